// 客户移交: select all / none of the listed rows and a live count of the selected customers (SPEC §2).
// Without this script the links reload the page with every row ticked or none, and the count is on the
// confirmation step.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("handover-form");
  if (!form) return;
  var boxes = function () { return form.querySelectorAll('input[type="checkbox"][name="customer_ids"]'); };
  var count = document.getElementById("handover-count");
  var update = function () {
    var n = 0;
    boxes().forEach(function (b) { if (b.checked) n += 1; });
    if (count) count.textContent = String(n);
  };
  document.querySelectorAll("[data-handover-select]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var on = link.getAttribute("data-handover-select") === "all";
      boxes().forEach(function (b) { b.checked = on; });
      update();
    });
  });
  form.addEventListener("change", update);
  update();
});
