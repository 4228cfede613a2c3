// A table wider than the screen scrolls sideways inside its box (.table-scroll), as do sample
// files (pre.sample) and long kept records (.record-text). A keyboard user can scroll such a
// box only if it can take focus (WCAG 2.1.1; axe's scrollable-region-focusable), so a box
// that overflows becomes a named region in the Tab order, and a box that fits stays out of
// it: no extra Tab stop on a wide screen.
(function () {
  "use strict";

  function nameOf(box) {
    var table = box.querySelector("table");
    var caption = table && table.querySelector("caption");
    if (caption) return caption.textContent.trim();
    if (table && table.getAttribute("aria-label")) return table.getAttribute("aria-label");
    var labelledBy = table && table.getAttribute("aria-labelledby");
    var label = labelledBy && document.getElementById(labelledBy.split(" ")[0]);
    if (label) return label.textContent.trim();
    var before = box.previousElementSibling;
    if (before && /^H[1-6]$/.test(before.tagName)) return before.textContent.trim();
    return table ? "Table" : "Text";
  }

  function update(box) {
    var overflows =
      box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
    var ours = box.hasAttribute("data-scroll-region");
    if (overflows && !ours && !box.hasAttribute("tabindex")) {
      box.setAttribute("data-scroll-region", "");
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", nameOf(box) + " (scrolls)");
    } else if (!overflows && ours) {
      ["data-scroll-region", "tabindex", "role", "aria-label"].forEach(function (name) {
        box.removeAttribute(name);
      });
    }
  }

  var boxes = document.querySelectorAll(
    ".table-scroll, .obs-table-scroll, pre.sample, .record-text"
  );
  boxes.forEach(update);
  if (window.ResizeObserver) {
    var observer = new ResizeObserver(function (entries) {
      entries.forEach(function (entry) {
        update(entry.target);
      });
    });
    boxes.forEach(function (box) {
      observer.observe(box);
    });
  }
})();
