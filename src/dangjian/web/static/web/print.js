// The print view's two buttons (no inline handlers: the Content-Security-Policy allows none).
document.addEventListener("click", function (ev) {
  var el = ev.target.closest("[data-action]");
  if (!el) return;
  if (el.getAttribute("data-action") === "print") window.print();
  if (el.getAttribute("data-action") === "close") window.close();
});
