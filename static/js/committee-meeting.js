// Meeting mode: → or j opens the next learner, ← or k the previous one, unless someone is
// typing in a field (a consensus being recorded) or holds a modifier key.
(function () {
  "use strict";
  var next = document.querySelector("[data-meeting-next]");
  var previous = document.querySelector("[data-meeting-prev]");
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      return;
    }
    var link = null;
    if (event.key === "ArrowRight" || event.key === "j") {
      link = next;
    } else if (event.key === "ArrowLeft" || event.key === "k") {
      link = previous;
    }
    if (link) {
      event.preventDefault();
      window.location.assign(link.getAttribute("href"));
    }
  });
})();
