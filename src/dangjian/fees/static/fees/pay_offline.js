// 登记交纳 (offline payment): the amount follows the months ticked.
(function () {
  // the amount follows the months chosen (and what is given voluntarily), until typed by hand
  var form = document.getElementById("payForm");
  var amount = form.querySelector("[name=amount]");
  var voluntary = form.querySelector("[name=voluntary]");
  var typed = amount.value !== "";
  amount.addEventListener("input", function () { typed = true; });
  function fen(text) { var v = parseFloat((text || "").replace(/[,，]/g, "")); return isNaN(v) ? 0 : Math.round(v * 100); }
  function update(fromBox) {
    var due = 0, n = 0;
    form.querySelectorAll(".month-pick input").forEach(function (box) {
      box.closest(".month-pick").classList.toggle("chosen", box.checked);
      if (box.checked) { due += parseInt(box.dataset.due || "0", 10); n += 1; }
    });
    document.getElementById("monthsChosen").textContent = n;
    document.getElementById("monthsDue").textContent = (due / 100).toFixed(2);
    if (fromBox || !typed) { amount.value = ((due + fen(voluntary.value)) / 100).toFixed(2); typed = false; }
  }
  form.querySelectorAll(".month-pick input").forEach(function (box) { box.addEventListener("change", function () { update(true); }); });
  voluntary.addEventListener("input", function () { if (!typed) update(false); });
  update(false);
})();
