// Agency pickers hold a jurisdiction's few hundred names: a search box above each one narrows the
// options as one types (a name, or any part of it). Without script the plain list still works.
(function () {
  function enhance(select) {
    if (select.dataset.searchReady) return;
    select.dataset.searchReady = "1";
    var box = document.createElement("input");
    box.type = "search";
    box.className = "picker-search";
    box.placeholder = select.dataset.searchable || "";
    box.setAttribute("aria-label", select.dataset.searchable || "");
    box.addEventListener("input", function () {
      var q = box.value.trim();
      Array.prototype.forEach.call(select.options, function (option) {
        option.hidden = q !== "" && option.value !== "" && option.text.indexOf(q) === -1 && !option.selected;
      });
    });
    select.parentNode.insertBefore(box, select);
  }
  function scan(root) {
    Array.prototype.forEach.call(root.querySelectorAll("select[data-searchable]"), enhance);
  }
  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  // Pages swapped in by htmx carry new pickers.
  document.addEventListener("htmx:afterSettle", function (event) { scan(event.target); });
})();
