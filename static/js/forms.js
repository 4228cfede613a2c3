// Every page, loaded by base.html (no inline script under the content security policy):
//
// 1. When the server sends a form back with errors, focus moves to the first field in error
//    (Django marks it aria-invalid), or to the form's error summary when the error is not on one
//    field, so keyboard and screen-reader users start where the problem is.
// 2. A create form's one-time token (core.once) is remembered in the page's history entry when
//    the form is sent. Back, then Save again, sends the same token even when the browser fetched
//    the page anew (and so got a new token), and the server shows what was already created.
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
    focusFirstError();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
