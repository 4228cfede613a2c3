// Every page, loaded by base.html (no inline script under the content security policy):
//
// 1. When the server sends a form back with errors, focus moves to the first field in error
//    (Django marks it aria-invalid), or to the form's error summary when the error is not on one
//    field, so keyboard and screen-reader users start where the problem is.
// 2. A create form's one-time token (core.once) is remembered in the page's history entry when
//    the form is sent. Back, then Save again, sends the same token even when the browser fetched
//    the page anew (and so got a new token), and the server shows what was already created.
// 3. A field's length limit is said, not enforced by cutting: the browser's maxlength cuts
//    pasted text without a word, so it is swapped for a message under the field once the text
//    is over the limit ("At most 200 characters (you wrote 231)."), the words the server uses
//    when it refuses. Without this script maxlength stays, and the server still refuses.
(function () {
  "use strict";

  var TOKEN = 'input[name="form_token"]';

  function historyState() {
    var state = window.history.state;
    return state && typeof state === "object" ? state : {};
  }

  function keepFormTokens() {
    var inputs = document.querySelectorAll(TOKEN);
    var sent = historyState().formTokens || {};
    Array.prototype.forEach.call(inputs, function (input, index) {
      var form = input.form;
      if (!form) return;
      var key = (form.getAttribute("action") || window.location.pathname) + "#" + index;
      if (sent[key]) input.value = sent[key];
      form.addEventListener("submit", function () {
        var state = Object.assign({}, historyState());
        state.formTokens = Object.assign({}, state.formTokens || {});
        state.formTokens[key] = input.value;
        window.history.replaceState(state, "");
      });
    });
  }

  function sayLimits() {
    var fields = document.querySelectorAll(
      'form input[maxlength]:not([type="hidden"]), form textarea[maxlength]'
    );
    Array.prototype.forEach.call(fields, function (field, index) {
      var limit = parseInt(field.getAttribute("maxlength"), 10);
      if (!(limit > 0)) return;
      field.removeAttribute("maxlength");
      field.setAttribute("data-maxlength", String(limit));
      var note = document.createElement("p");
      note.className = "errorlist length-limit";
      note.id = (field.id || "field-" + index) + "-limit";
      note.setAttribute("aria-live", "polite");
      note.hidden = true;
      field.insertAdjacentElement("afterend", note);
      var described = field.getAttribute("aria-describedby");
      field.setAttribute("aria-describedby", (described ? described + " " : "") + note.id);
      var serverSaid = field.getAttribute("aria-invalid") === "true";
      function check() {
        var length = field.value.length;
        var over = length > limit;
        note.hidden = !over;
        note.textContent = over
          ? "At most " + limit.toLocaleString("en") + " characters (you wrote " +
            length.toLocaleString("en") + ")."
          : "";
        if (over) field.setAttribute("aria-invalid", "true");
        else if (!serverSaid) field.removeAttribute("aria-invalid");
      }
      field.addEventListener("input", function () {
        serverSaid = false;
        check();
      });
      if (!serverSaid && field.value.length > limit) check();
    });
  }

  function firstError() {
    var field = document.querySelector(
      'form [aria-invalid="true"]:not([type="hidden"]):not([disabled])'
    );
    if (field) return field;
    var inList = document.querySelector("form .has-error");
    if (inList) {
      var control = inList.querySelector("input:not([type=hidden]), select, textarea");
      if (control) return control;
    }
    var summary = document.querySelector("form .form-errors, form .errorlist, .form-errors");
    if (summary) {
      if (!summary.hasAttribute("tabindex")) summary.setAttribute("tabindex", "-1");
      return summary;
    }
    return null;
  }

  function focusFirstError() {
    // A page script that already placed focus (a restored draft, an autofocus field) wins.
    var active = document.activeElement;
    if (active && active !== document.body && active !== document.documentElement) return;
    var target = firstError();
    if (!target) return;
    target.focus();
    if (target.scrollIntoView) target.scrollIntoView({ block: "center" });
  }

  function start() {
    keepFormTokens();
    sayLimits();
    focusFirstError();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
