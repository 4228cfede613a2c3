// Forms with fields that only some choices use (the evidence kind, the sharing audience):
// show a field only when its controlling input has one of the values it is for. Without
// script every field shows, and the server checks what matters.
(function () {
  "use strict";
  var fields = document.querySelectorAll("[data-show-for][data-shown-by]");
  if (!fields.length) return;
  function valueOf(name) {
    var control = document.querySelector("select[name=" + name + "], input[name=" + name + "]:checked, input[type=hidden][name=" + name + "]");
    return control ? control.value : "";
  }
  function update() {
    Array.prototype.forEach.call(fields, function (field) {
      var values = field.getAttribute("data-show-for").split(" ");
      field.hidden = values.indexOf(valueOf(field.getAttribute("data-shown-by"))) === -1;
    });
  }
  document.addEventListener("change", update);
  update();
})();
