// Check-in page: show what a tapped level means, count rated items, and keep an unsent
// draft in localStorage so a lost connection or a closed tab loses nothing. The draft keeps
// the client token too, so re-sending it after a failure cannot record the check-in twice.
(function () {
  "use strict";

  function storage() {
    try {
      var probe = "continuum:probe";
      window.localStorage.setItem(probe, "1");
      window.localStorage.removeItem(probe);
      return window.localStorage;
    } catch (e) {
      return null; // private mode or storage disabled: the page still works, without drafts
    }
  }

  var store = storage();

  // On the page shown after a successful save: forget the draft that was just sent.
  var cleared = document.querySelector("[data-clear-draft]");
  if (cleared && store) {
    var sentToken = cleared.getAttribute("data-clear-draft");
    if (sentToken) {
      for (var i = store.length - 1; i >= 0; i--) {
        var key = store.key(i);
        if (key && key.indexOf("continuum:checkin:") === 0) {
          try {
            var saved = JSON.parse(store.getItem(key) || "{}");
            if (saved.token === sentToken) store.removeItem(key);
          } catch (e) {
            store.removeItem(key);
          }
        }
      }
    }
  }

  var form = document.querySelector("form[data-checkin]");
  if (!form) return;
  var key = form.getAttribute("data-draft-key");
  var tokenInput = form.querySelector("[data-client-token]");
  var initialToken = tokenInput.value;
  var banner = document.querySelector("[data-draft-banner]");
  var submit = form.querySelector("[data-submit]");
  var ratedOut = form.querySelector("[data-rated]");

  function fields() {
    return Array.prototype.slice.call(form.querySelectorAll("input[type=radio], textarea, input[type=checkbox]"));
  }

  function showLevelText(item) {
    var out = item.querySelector("[data-level-text]");
    var checked = item.querySelector("input[type=radio]:checked");
    if (out) out.textContent = checked ? checked.getAttribute("data-text") || "" : "";
  }

  function countRated() {
    var items = form.querySelectorAll("[data-item]");
    var rated = 0;
    for (var i = 0; i < items.length; i++) {
      if (items[i].querySelector("input[type=radio]:checked")) rated++;
    }
    if (ratedOut) ratedOut.textContent = String(rated);
  }

  function snapshot() {
    var draft = { token: tokenInput.value, levels: {}, notes: {}, evidence: {}, savedAt: new Date().toISOString() };
    fields().forEach(function (field) {
      if (field.type === "radio" && field.checked) draft.levels[field.name] = field.value;
      if (field.tagName === "TEXTAREA" && field.value.trim()) draft.notes[field.name] = field.value;
      if (field.type === "checkbox" && field.checked) {
        (draft.evidence[field.name] = draft.evidence[field.name] || []).push(field.value);
      }
    });
    return draft;
  }

  function isEmpty(draft) {
    return !Object.keys(draft.levels).length && !Object.keys(draft.notes).length && !Object.keys(draft.evidence).length;
  }

  function save() {
    if (!store) return;
    var draft = snapshot();
    try {
      if (isEmpty(draft)) store.removeItem(key);
      else store.setItem(key, JSON.stringify(draft));
    } catch (e) {
      /* storage full: keep going without a draft */
    }
  }

  function restore(draft) {
    fields().forEach(function (field) {
      if (field.type === "radio") field.checked = draft.levels[field.name] === field.value;
      if (field.tagName === "TEXTAREA") field.value = draft.notes[field.name] || "";
      if (field.type === "checkbox") field.checked = (draft.evidence[field.name] || []).indexOf(field.value) !== -1;
    });
    if (draft.token) tokenInput.value = draft.token;
  }

  // Notes fold away until asked for, so Tab goes from one item's levels to the next item's.
  // The "Add a note" button is for pointers (and a screen reader's browse mode); from the
  // keyboard, N on an item's levels opens its note. Without this script every note shows.
  function openNote(item, focus) {
    var box = item.querySelector("[data-note-box]");
    var toggle = item.querySelector("[data-note-toggle]");
    if (!box) return;
    box.hidden = false;
    if (toggle) {
      toggle.hidden = true;
      toggle.setAttribute("aria-expanded", "true");
    }
    if (focus) box.querySelector("textarea").focus();
  }

  function foldNotes() {
    if (form.hasAttribute("data-single")) return;
    Array.prototype.forEach.call(form.querySelectorAll("[data-item]"), function (item) {
      var box = item.querySelector("[data-note-box]");
      var toggle = item.querySelector("[data-note-toggle]");
      if (!box || !toggle) return;
      var empty = !box.querySelector("textarea").value.trim();
      box.hidden = empty;
      toggle.hidden = !empty;
      toggle.setAttribute("aria-expanded", empty ? "false" : "true");
    });
  }

  function groupFocusTarget(item) {
    return item.querySelector("input[type=radio]:checked") || item.querySelector("input[type=radio]");
  }

  // A digit on an item's levels chooses that whole level and moves on to the next item (the
  // page says so above the first item); after the last item, to the Save button.
  form.addEventListener("keydown", function (event) {
    var radio = event.target;
    if (radio.type !== "radio" || event.altKey || event.ctrlKey || event.metaKey) return;
    var item = radio.closest("[data-item]");
    if (!item) return;
    if (event.key === "n" || event.key === "N") {
      event.preventDefault();
      openNote(item, true);
      return;
    }
    if (!/^[0-9]$/.test(event.key)) return;
    var choice = item.querySelector('input[type=radio][value="' + event.key + '"]');
    if (!choice) return;
    event.preventDefault();
    if (!choice.checked) {
      choice.checked = true;
      choice.dispatchEvent(new Event("change", { bubbles: true }));
    }
    var items = Array.prototype.slice.call(form.querySelectorAll("[data-item]"));
    var next = items[items.indexOf(item) + 1];
    (next ? groupFocusTarget(next) : submit).focus();
  });

  // Focus moved by this script (a note opening, the next item) is scrolled by the browser only
  // until some of it shows; the page's scroll-padding keeps the Save bar's height clear when
  // asked to scroll the whole of it into view.
  var bar = form.querySelector(".checkin-bar");
  form.addEventListener("focusin", function (event) {
    if (!bar || bar.contains(event.target)) return;
    var box = event.target.getBoundingClientRect();
    if (box.bottom > bar.getBoundingClientRect().top || box.top < 0) {
      event.target.scrollIntoView({ block: "nearest" });
    }
  });

  form.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-note-toggle]");
    if (toggle) openNote(toggle.closest("[data-item]"), true);
  });

  function refresh() {
    Array.prototype.forEach.call(form.querySelectorAll("[data-item]"), showLevelText);
    countRated();
    foldNotes();
  }

  // A page re-shown after a refused submit carries what was posted: that wins over a draft.
  if (store && !form.hasAttribute("data-posted")) {
    var raw = store.getItem(key);
    if (raw) {
      try {
        var draft = JSON.parse(raw);
        if (!isEmpty(draft)) {
          restore(draft);
          if (banner) {
            var when = new Date(draft.savedAt);
            banner.querySelector("[data-draft-time]").textContent = isNaN(when) ? "earlier" : when.toLocaleString();
            banner.hidden = false;
          }
        }
      } catch (e) {
        store.removeItem(key);
      }
    }
  } else if (store) {
    save();
  }
  refresh();

  form.addEventListener("change", function (event) {
    var item = event.target.closest("[data-item]");
    if (item) showLevelText(item);
    countRated();
    save();
  });
  form.addEventListener("input", function (event) {
    if (event.target.tagName === "TEXTAREA") save();
  });

  if (banner) {
    banner.querySelector("[data-draft-discard]").addEventListener("click", function () {
      if (store) store.removeItem(key);
      restore({ token: initialToken, levels: {}, notes: {}, evidence: {} });
      banner.hidden = true;
      refresh();
    });
  }

  form.addEventListener("submit", function (event) {
    if (form.getAttribute("data-sending")) {
      event.preventDefault(); // a second tap while the first is on its way
      return;
    }
    save();
    form.setAttribute("data-sending", "1");
    submit.setAttribute("aria-disabled", "true");
    submit.textContent = "Saving…";
    // If the page is still here after a while (lost connection), allow another try:
    // the same client token makes a retry safe.
    window.setTimeout(function () {
      form.removeAttribute("data-sending");
      submit.removeAttribute("aria-disabled");
      submit.textContent = "Save check-in";
    }, 8000);
  });
})();
