/* A button marked data-print prints the page (the CSP allows no onclick attribute). */
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) { window.print(); }
});
