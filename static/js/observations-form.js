/* The one-minute observation form: level words on tap, gentle hints against generic feedback
   (never a block — the server accepts any text within the length limit), one submit only. */
(function () {
  "use strict";
  var form = document.querySelector("[data-observe-form]");
  if (!form) return;
  var config = {};
  try {
    config = JSON.parse(document.getElementById("obs-hint-config").textContent);
  } catch (error) {
    config = { stock: [], short_words: 5, messages: {} };
  }
  var stock = {};
  (config.stock || []).forEach(function (phrase) { stock[phrase] = true; });

  function normalise(text) {
    return text.toLowerCase().replace(/\s+/g, " ").replace(/[^a-z/ ]+/g, "").trim();
  }

  function hintFor(field, text) {
    var cleaned = normalise(text);
    var messages = config.messages || {};
    if (!cleaned) return "";
    if (stock[cleaned] || stock[cleaned.replace(/s$/, "")]) return messages["stock_" + field] || "";
    if (cleaned.split(" ").length < (config.short_words || 5)) return messages.short || "";
    return "";
  }

  form.querySelectorAll("[data-narrative]").forEach(function (area) {
    var field = area.getAttribute("data-narrative");
    var out = form.querySelector('[data-hint-for="' + field + '"]');
    var timer = null;
    function update() {
      var hint = hintFor(field, area.value);
      out.textContent = hint;
      out.classList.toggle("is-shown", Boolean(hint));
    }
    area.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(update, 600);
    });
    area.addEventListener("blur", update);
  });

  form.querySelectorAll(".obs-item").forEach(function (item) {
    var text = item.querySelector("[data-level-text]");
    if (!text) return;
    function show() {
      var checked = item.querySelector("input[type=radio]:checked");
      text.textContent = checked ? checked.getAttribute("data-text") || "" : "";
    }
    item.addEventListener("change", show);
    show();
  });

  // One submit per tap; a second tap while saving does nothing (the server would return
  // the same record anyway, because the submission key is the same).
  var sent = false;
  var button = form.querySelector("[data-submit]");
  var label = button ? button.textContent : "";
  form.addEventListener("submit", function (event) {
    if (sent) {
      event.preventDefault();
      return;
    }
    sent = true;
    if (button) {
      button.setAttribute("aria-disabled", "true");
      button.textContent = "Saving…";
    }
  });
  // Coming back through the browser's history shows the page again: allow a fresh submit.
  window.addEventListener("pageshow", function () {
    sent = false;
    if (button) {
      button.removeAttribute("aria-disabled");
      button.textContent = label;
    }
  });
})();
