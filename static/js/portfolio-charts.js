// Draw the progress page's charts with the local plotly.js: every [data-plotly] element from
// the figure JSON its attribute names, and the trajectory ([data-trajectory]) from the series
// portfolio.figures.trajectory_series writes. The tables beside each chart carry the same
// numbers, for readers without scripts.
(function () {
  "use strict";
  if (!window.Plotly) return;
  var config = { responsive: true, displaylogo: false, displayModeBar: false };

  function json(el, attribute) {
    var source = document.getElementById(el.getAttribute(attribute));
    return source ? JSON.parse(source.textContent) : null;
  }

  function line(name, x, y, colour, visible) {
    return {
      type: "scatter",
      mode: "lines+markers",
      name: name,
      x: x,
      y: y,
      visible: visible,
      line: { color: colour, width: 2 },
      marker: { color: colour, size: 7 },
      hovertemplate: "%{x|%b %Y}: %{y}<extra>" + name + "</extra>",
    };
  }

  // Across one framework's competencies, each month's mean of all ratings: the sum of their
  // levels over their number, exact because the sums come in whole tenths. Never across
  // frameworks: an EPA entrustment level and a milestone level are on different scales.
  function meanOf(columns, months, inFramework) {
    var tenths = {};
    var counts = {};
    columns.month.forEach(function (m, i) {
      if (!inFramework[columns.competency[i]]) return;
      tenths[m] = (tenths[m] || 0) + columns.tenths[i];
      counts[m] = (counts[m] || 0) + columns.n[i];
    });
    var rated = Object.keys(tenths).map(Number).sort(function (a, b) { return a - b; });
    return {
      x: rated.map(function (m) { return months[m]; }),
      y: rated.map(function (m) { return Math.round((tenths[m] / counts[m]) * 10) / 100; }),
    };
  }

  // One competency's points (columns come by month, so each competency's stay in order).
  function pointsOf(columns, months) {
    var by = {};
    columns.competency.forEach(function (id, i) {
      var points = by[id] || (by[id] = { x: [], y: [] });
      points.x.push(months[columns.month[i]]);
      points.y.push(columns.mean[i]);
    });
    return by;
  }

  // One tick per month, quarter, half year or year, so labels never repeat or crowd.
  function monthStep(first, last) {
    var months = (last.getUTCFullYear() - first.getUTCFullYear()) * 12 +
      last.getUTCMonth() - first.getUTCMonth();
    return months <= 6 ? "M1" : months <= 18 ? "M3" : months <= 36 ? "M6" : "M12";
  }

  function shiftDays(date, days) {
    return new Date(date.getTime() + days * 86400000).toISOString().slice(0, 10);
  }

  function trajectoryFigure(series) {
    var colours = series.colours;
    var months = series.months;
    var traces = [];
    var views = [];  // per menu entry: its label and the indexes of its traces
    series.frameworks.forEach(function (f, index) {
      var inFramework = {};
      series.competencies.forEach(function (c) { if (c.framework === f.id) inFramework[c.id] = true; });
      var yours = meanOf(series.you, months, inFramework);
      var theirs = meanOf(series.assessors, months, inFramework);
      var first = traces.length;
      traces.push(line("You (mean) · " + f.name, yours.x, yours.y, colours.you, index === 0));
      traces.push(line("Assessors (mean) · " + f.name, theirs.x, theirs.y, colours.assessors, index === 0));
      views.push({ label: f.name + " (mean)", shows: [first, first + 1] });
    });
    var mine = pointsOf(series.you, months);
    var theirs = pointsOf(series.assessors, months);
    var empty = { x: [], y: [] };
    series.competencies.forEach(function (c) {
      var you = mine[c.id] || empty;
      var them = theirs[c.id] || empty;
      var first = traces.length;
      var shows = [first, first + 1];
      traces.push(line("You · " + c.code, you.x, you.y, colours.you, false));
      traces.push(line("Assessors · " + c.code, them.x, them.y, colours.assessors, false));
      var expected = series.expected[String(c.id)];
      if (expected) {
        var trace = line("Expected · " + c.code, expected.x, expected.y, colours.expected, false);
        trace.mode = "lines";
        trace.line.dash = "dot";
        traces.push(trace);
        shows.push(first + 2);
      }
      views.push({ label: c.code, shows: shows });
    });
    var buttons = views.map(function (view) {
      var visible = traces.map(function (_, i) { return view.shows.indexOf(i) !== -1; });
      return { label: view.label, method: "update", args: [{ visible: visible }] };
    });

    var span = months.concat(series.boundaries.map(function (b) { return b.on; })).sort();
    var first = span.length ? new Date(span[0]) : null;
    var last = span.length ? new Date(span[span.length - 1]) : null;
    var layout = {
      height: 430,
      margin: { l: 60, r: 16, t: 72, b: 110 },
      font: series.font,
      paper_bgcolor: "#ffffff",
      plot_bgcolor: "#ffffff",
      legend: { orientation: "h", y: -0.32, x: 0 },
      hovermode: "closest",
      xaxis: {
        type: "date",
        title: "Month",
        gridcolor: "#e3e9ee",
        tickformat: "%b<br>%Y",
        tickangle: 0,
        dtick: first ? monthStep(first, last) : "M1",
        // At least a few months wide, so one month of data does not zoom into hours.
        range: first ? [shiftDays(first, -62), shiftDays(last, 62)] : undefined,
      },
      yaxis: { range: [-0.25, 5.25], dtick: 1, title: "Level", gridcolor: "#e3e9ee" },
      shapes: series.boundaries.map(function (b) {
        return {
          type: "line", xref: "x", yref: "paper", x0: b.on, x1: b.on, y0: 0, y1: 1,
          line: { color: colours.stage, dash: "dash", width: 1.5 },
        };
      }),
      annotations: series.boundaries.map(function (b) {
        return {
          x: b.on, xref: "x", y: 1, yref: "paper", text: b.label, showarrow: false,
          xanchor: "left", yanchor: "bottom", font: { size: 11 },
        };
      }),
    };
    if (buttons.length > 1) {
      layout.updatemenus = [{
        buttons: buttons, direction: "down", x: 0, xanchor: "left", y: 1.28, yanchor: "top",
        showactive: true,
      }];
    }
    return { data: traces, layout: layout };
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-plotly]"), function (el) {
    var figure = json(el, "data-plotly");
    if (figure) window.Plotly.newPlot(el, figure.data, figure.layout, config);
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-trajectory]"), function (el) {
    var series = json(el, "data-trajectory");
    if (!series) return;
    var figure = trajectoryFigure(series);
    window.Plotly.newPlot(el, figure.data, figure.layout, config);
  });
  // Printing shows the tables: open any folded ones first.
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".chart-block details"), function (d) {
      d.open = true;
    });
  });
})();
