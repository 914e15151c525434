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
// Pickers: an input with data-lookup searches as you type (scoped on the server) via a datalist.
document.querySelectorAll("input[data-lookup]").forEach(function (input) {
  var list = document.createElement("datalist");
  list.id = input.id + "-options";
  input.setAttribute("list", list.id);
  input.after(list);
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var url = input.getAttribute("data-lookup");
      url += (url.indexOf("?") >= 0 ? "&" : "?") + "q=" + encodeURIComponent(input.value);
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) {
          list.innerHTML = "";
          data.results.forEach(function (item) {
            var opt = document.createElement("option");
            opt.value = item.value;
            opt.label = item.label;
            opt.textContent = item.label;
            list.appendChild(opt);
          });
        });
    }, 200);
  });
});

// Rich-text minutes: a contenteditable editor kept in step with its hidden textarea (the server
// sanitizes what arrives to an allow-list of tags).
document.querySelectorAll('.richtext-editor').forEach(function (ed) {
  var form = ed.closest('form');
  var ta = form && form.querySelector('textarea[name=' + (ed.dataset.field || 'minutes') + ']');
  if (!ta) return;
  var sync = function () { ta.value = ed.innerHTML; };
  form.querySelectorAll('.rt-toolbar [data-cmd]').forEach(function (b) {
    b.addEventListener('click', function () { ed.focus(); document.execCommand(b.dataset.cmd, false, null); sync(); });
  });
  ed.addEventListener('input', sync);
  form.addEventListener('submit', sync);
});
