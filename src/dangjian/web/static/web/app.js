// Small behaviours shared by staff pages: confirmations and the elderly-mode switch.
document.addEventListener("click", function (ev) {
  var el = ev.target.closest("[data-confirm]");
  if (el && !window.confirm(el.getAttribute("data-confirm"))) {
    ev.preventDefault();
    ev.stopPropagation();
  }
});
document.addEventListener("submit", function (ev) {
  var form = ev.target;
  if (form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) {
    ev.preventDefault();
  }
});
(function () {
  var toggle = document.getElementById("elderToggle");
  if (localStorage.getItem("elderMode") === "1") { document.body.classList.add("elder"); if (toggle) toggle.checked = true; }
  if (toggle) toggle.addEventListener("change", function () {
    document.body.classList.toggle("elder", toggle.checked);
    localStorage.setItem("elderMode", toggle.checked ? "1" : "0");
  });
})();
