// Render every [data-plotly] element from the figure JSON next to it (plotly.js is local).
(function () {
  "use strict";
  if (!window.Plotly) return; // the tables beside each chart carry the same numbers
  var config = { responsive: true, displaylogo: false, displayModeBar: false };
  Array.prototype.forEach.call(document.querySelectorAll("[data-plotly]"), function (el) {
    var source = document.getElementById(el.getAttribute("data-plotly"));
    if (!source) return;
    var figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(el, figure.data, figure.layout, config);
  });
  // Printing shows the tables: open any folded ones first.
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".chart-block details"), function (d) {
      d.open = true;
    });
  });
})();
