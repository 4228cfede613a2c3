// The cohort heatmap: sort by any column (a button in each column header, aria-sort says the
// order) and find learners by name. The table comes from the server in "most concern first"
// order; the first sort button press of "Learner" restores nothing more than alphabetical
// order, so "Reset order" brings back the server's.
(function () {
  "use strict";
  var table = document.querySelector("table.heatmap");
  if (!table || !table.tBodies.length) {
    return;
  }
  var body = table.tBodies[0];
  var original = Array.prototype.slice.call(body.rows);
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var status = document.querySelector("[data-heatmap-status]");

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  // A cell's sort key: a number for levels and counts ("·" and empty sort last), else text.
  function key(row, index) {
    var cell = row.cells[index];
    var text = (cell ? cell.textContent : "").replace(/[\u25BC\u2713]/g, "").trim();
    if (index === 0 || index === 1) {
      return { text: text.toLowerCase(), number: null };
    }
    var number = parseFloat(text);
    return { text: "", number: isNaN(number) ? (index === 2 ? 0 : null) : number };
  }

  function compare(index, direction) {
    return function (a, b) {
      var x = key(a, index);
      var y = key(b, index);
      if (x.number === null && y.number === null) {
        return direction * x.text.localeCompare(y.text);
      }
      if (x.number === null) {
        return 1; // no data last, whichever the direction
      }
      if (y.number === null) {
        return -1;
      }
      return direction * (x.number - y.number);
    };
  }

  function sortBy(index, button) {
    var current = headers[index].getAttribute("aria-sort");
    var ascending = current !== "ascending";
    headers.forEach(function (th) {
      th.removeAttribute("aria-sort");
    });
    headers[index].setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(compare(index, ascending ? 1 : -1));
    rows.forEach(function (row) {
      body.appendChild(row);
    });
    say("Sorted by " + button.textContent + (ascending ? ", lowest first." : ", highest first."));
  }

  headers.forEach(function (th, index) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "hm-sort";
    while (th.firstChild) {
      button.appendChild(th.firstChild);
    }
    th.appendChild(button);
    button.addEventListener("click", function () {
      sortBy(index, button);
    });
  });

  var reset = document.querySelector("[data-heatmap-reset]");
  if (reset) {
    reset.hidden = false;
    reset.addEventListener("click", function () {
      headers.forEach(function (th) {
        th.removeAttribute("aria-sort");
      });
      original.forEach(function (row) {
        body.appendChild(row);
      });
      say("Most concern first, as the committee reviews them.");
    });
  }

  var filter = document.querySelector("[data-heatmap-filter]");
  if (filter) {
    filter.closest("[hidden]") && (filter.closest("[hidden]").hidden = false);
    filter.addEventListener("input", function () {
      var wanted = filter.value.trim().toLowerCase();
      var shown = 0;
      original.forEach(function (row) {
        var match = !wanted || row.cells[0].textContent.toLowerCase().indexOf(wanted) !== -1;
        row.hidden = !match;
        shown += match ? 1 : 0;
      });
      say(shown + " of " + original.length + " learners shown.");
    });
  }
})();
