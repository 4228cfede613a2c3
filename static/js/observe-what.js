/* "What should they observe?": show the list of the chosen kind (an EPA, or sub-competencies)
   and hide the other; the server sets aside what was picked under the kind not chosen. */
(function () {
  "use strict";
  document.querySelectorAll("[data-observe-what]").forEach(function (box) {
    var choices = box.querySelectorAll("[data-observe-choice]");
    if (!choices.length) return;
    function show() {
      var chosen = box.querySelector("[data-observe-choice]:checked");
      box.querySelectorAll("[data-observe-panel]").forEach(function (panel) {
        panel.hidden = !chosen || panel.getAttribute("data-observe-panel") !== chosen.value;
      });
    }
    choices.forEach(function (choice) { choice.addEventListener("change", show); });
    show();
  });
})();
