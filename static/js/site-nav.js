// The phone menus. The "Menu" button in the header shows and hides the main section links.
// Without this script the button stays hidden and the links show as a plain list
// (templates/base.html); on wide screens CSS hides the button and always shows the links.
(function () {
  "use strict";
  // A section menu that scrolls sideways on a phone (.scroll-row, app.css) opens with the
  // current section in view rather than cut off at the right edge.
  var current = document.querySelector('.scroll-row [aria-current="page"]');
  var row = current && current.closest(".scroll-row");
  if (row) {
    var left = current.offsetLeft - row.offsetLeft;
    // Only when it would be cut off; then with a peek of the one before it.
    if (left + current.offsetWidth > row.clientWidth) row.scrollLeft = left - 48;
  }

  var nav = document.getElementById("main-nav");
  if (!nav) return;
  var button = nav.querySelector(".menu-button");
  var list = document.getElementById(button ? button.getAttribute("aria-controls") : "");
  if (!button || !list) return;

  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("is-open", open);
  }

  nav.classList.add("has-menu-button");
  button.hidden = false;
  setOpen(false);

  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });

  // Escape closes the menu from the button or any link in it, and focus goes back to the
  // button so a keyboard user is not left on a link that is no longer shown.
  nav.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && nav.classList.contains("is-open")) {
      setOpen(false);
      button.focus();
      event.preventDefault();
    }
  });

  // A click or focus outside the open menu closes it, as menus elsewhere do.
  document.addEventListener("click", function (event) {
    if (nav.classList.contains("is-open") && !nav.contains(event.target)) setOpen(false);
  });
  document.addEventListener("focusin", function (event) {
    if (nav.classList.contains("is-open") && !nav.contains(event.target)) setOpen(false);
  });
})();
