// Export/import job page: refresh the status fragment until the job has finished.
(function () {
  "use strict";
  var box = document.getElementById("transfer-status");
  if (!box || !window.fetch) return;
  function finished() {
    var card = box.querySelector("[data-status]");
    var status = card ? card.getAttribute("data-status") : "";
    return status === "done" || status === "failed";
  }
  function poll() {
    if (finished()) return;
    fetch(box.getAttribute("data-poll"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { box.innerHTML = html; window.setTimeout(poll, 1500); })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
