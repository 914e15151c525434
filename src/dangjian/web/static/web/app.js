// Small behaviours shared by staff pages: confirmations and the elderly-mode switch.
document.addEventListener("click", function (ev) {
  var el = ev.target.closest("[data-confirm]");
  if (el && !window.confirm(el.getAttribute("data-confirm"))) {
    ev.preventDefault();
    ev.stopPropagation();
  }
});
// the organization tree: a node's button shows or hides its children (loaded once by htmx)
document.addEventListener("click", function (ev) {
  var btn = ev.target.closest("[data-toggle-kids]");
  if (!btn) return;
  var kids = document.getElementById(btn.getAttribute("data-toggle-kids"));
  if (!kids) return;
  kids.classList.toggle("d-none");
  btn.textContent = kids.classList.contains("d-none") ? "▸" : "▾";
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
// A date never breaks across two lines (phones, 长辈模式, narrow table columns).
(function () {
  var re = /\d{4}年\d{1,2}月\d{1,2}日|\d{4}-\d{2}-\d{2}|\d{1,2}月\d{1,2}日/g;
  var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  var nodes = [];
  while (walker.nextNode()) {
    var n = walker.currentNode, p = n.parentElement;
    if (!p || /^(SCRIPT|STYLE|TEXTAREA|OPTION|TITLE)$/.test(p.tagName) || p.closest(".text-nowrap")) continue;
    re.lastIndex = 0;
    if (re.test(n.textContent)) nodes.push(n);
  }
  nodes.forEach(function (n) {
    var text = n.textContent, frag = document.createDocumentFragment(), last = 0, m;
    re.lastIndex = 0;
    while ((m = re.exec(text))) {
      frag.appendChild(document.createTextNode(text.slice(last, m.index)));
      var span = document.createElement("span");
      span.className = "text-nowrap";
      span.textContent = m[0];
      frag.appendChild(span);
      last = m.index + m[0].length;
    }
    frag.appendChild(document.createTextNode(text.slice(last)));
    n.parentNode.replaceChild(frag, n);
  });
})();

// Tables scroll inside their own box on a narrow screen, never the page.
function boxTables(root) {
  root.querySelectorAll("table").forEach(function (t) {
    if (t.closest(".table-responsive")) return;
    var box = document.createElement("div");
    box.className = "table-responsive";
    t.parentNode.insertBefore(box, t);
    box.appendChild(t);
  });
}
var mainEl = document.querySelector("main");
if (mainEl) boxTables(mainEl);
document.body.addEventListener("htmx:afterSwap", function (ev) { boxTables(ev.detail.target); });

// 导出Excel / 打印: the list's filters as the address bar has them now (htmx keeps them there).
document.addEventListener("click", function (ev) {
  var a = ev.target.closest("[data-export] a");
  if (!a) return;
  var q = new URLSearchParams(window.location.search);
  ["page", "page_size", "partial"].forEach(function (k) { q.delete(k); });
  new URLSearchParams(a.parentNode.getAttribute("data-fixed") || "").forEach(function (v, k) { q.set(k, v); });
  a.href = a.href.split("?")[0] + "?" + q.toString();
});

// Pickers (web/widgets.py): search as you type, choose with the mouse or the keyboard, browse the
// organization tree; the hidden input holds the chosen value(s).
(function () {
  function get(url, params) {
    var q = Object.keys(params).map(function (k) { return k + "=" + encodeURIComponent(params[k]); }).join("&");
    return fetch(url + (url.indexOf("?") >= 0 ? "&" : "?") + q, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .catch(function () { return { results: [] }; });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function setup(box) {
    var url = box.getAttribute("data-picker");
    var multiple = box.hasAttribute("data-multiple");
    var hidden = box.querySelector(".picker-value");
    var input = box.querySelector("input[type=text]");
    var menu = box.querySelector(".picker-menu");
    var tree = box.querySelector(".picker-tree");
    var chips = box.querySelector(".picker-chips");
    var items = [], active = -1, timer = null, seq = 0;
    menu.id = input.id + "-menu";
    input.setAttribute("aria-controls", menu.id);
    function values() { return hidden.value ? hidden.value.split(",").filter(Boolean) : []; }
    function changed() { hidden.dispatchEvent(new Event("change", { bubbles: true })); }
    function addChip(value, label) {
      var chip = el("span", "picker-chip badge text-bg-light border", label);
      chip.dataset.value = value;
      var x = el("button", "btn-close btn-close-sm ms-1");
      x.type = "button";
      x.setAttribute("aria-label", "移除" + label);
      x.addEventListener("click", function () {
        hidden.value = values().filter(function (v) { return v !== value; }).join(",");
        chip.remove();
        changed();
      });
      chip.appendChild(x);
      chips.appendChild(chip);
    }
    function choose(item) {
      if (!item || item.selectable === false) return;
      clearTimeout(timer);
      seq++;  // answers to searches still on their way are not shown over the choice
      if (multiple) {
        if (values().indexOf(item.value) < 0) {
          hidden.value = values().concat([item.value]).join(",");
          addChip(item.value, item.label);
        }
        input.value = "";
      } else {
        hidden.value = item.value;
        input.value = item.label;
      }
      input.classList.remove("is-invalid");
      close();
      if (tree) tree.hidden = true;
      changed();
    }
    function close() { menu.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; }
    function highlight(i) {
      var opts = menu.querySelectorAll("[role=option]");
      opts.forEach(function (o, j) { o.classList.toggle("active", j === i); o.setAttribute("aria-selected", j === i ? "true" : "false"); });
      active = i;
      if (opts[i]) { input.setAttribute("aria-activedescendant", opts[i].id); opts[i].scrollIntoView({ block: "nearest" }); }
    }
    function show(results, q) {
      items = results;
      menu.innerHTML = "";
      if (!results.length) {
        menu.appendChild(el("div", "list-group-item small text-muted", q ? "没有找到“" + q + "”，请换个写法（名称、编号或拼音首字母）" : "输入文字开始查找"));
      }
      results.forEach(function (item, i) {
        var o = el("button", "list-group-item list-group-item-action py-1");
        o.type = "button";
        o.id = menu.id + "-" + i;
        o.setAttribute("role", "option");
        o.tabIndex = -1;
        o.appendChild(el("div", "picker-label", item.label));
        if (item.hint) o.appendChild(el("div", "small text-muted", item.hint));
        if (item.selectable === false) { o.disabled = true; o.title = "此类组织不能选择"; }
        o.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(item); });
        menu.appendChild(o);
      });
      menu.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }
    function search() {
      var q = input.value.trim(), mine = ++seq;
      if (!multiple) hidden.value = "";
      get(url, { q: q }).then(function (data) { if (mine === seq && document.activeElement === input) show(data.results, q); });
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 180); });
    input.addEventListener("focus", function () { if (!input.value || !hidden.value) { clearTimeout(timer); timer = setTimeout(search, 0); } });
    input.addEventListener("blur", function () {
      setTimeout(close, 150);
      var text = input.value.trim();
      if (!multiple && text && !hidden.value) {
        // a code or number typed in full: take it when it names exactly one
        get(url, { value: text }).then(function (data) { if (data.results.length === 1 && !hidden.value) choose(data.results[0]); });
      }
    });
    input.addEventListener("keydown", function (ev) {
      var n = menu.querySelectorAll("[role=option]").length;
      if (ev.key === "ArrowDown") { ev.preventDefault(); if (menu.hidden) search(); else highlight(Math.min(n - 1, active + 1)); }
      else if (ev.key === "ArrowUp") { ev.preventDefault(); highlight(Math.max(0, active - 1)); }
      else if (ev.key === "Enter" && !menu.hidden && active >= 0) { ev.preventDefault(); choose(items[active]); }
      else if (ev.key === "Escape") { close(); if (tree) tree.hidden = true; }
    });
    if (multiple) {
      input.addEventListener("paste", function (ev) {
        var text = (ev.clipboardData || window.clipboardData).getData("text");
        var nos = text.split(/[\s,，、]+/).filter(Boolean);
        if (nos.length < 2) return;
        ev.preventDefault();
        get(url, { value: nos.join(",") }).then(function (data) {
          var found = {};
          data.results.forEach(function (item) { found[item.value] = true; choose(item); });
          var missing = nos.filter(function (v) { return !found[v]; });
          input.value = missing.join(" ");
          input.classList.toggle("is-invalid", missing.length > 0);
          input.title = missing.length ? "未找到或不在管理范围内：" + missing.join("、") : "";
        });
      });
    }
    // the tree: one level at a time, the tops of the scope first
    function level(ul, parent) {
      var params = { parent: parent || "" };
      ul.appendChild(el("li", "small text-muted", "加载中…"));
      get(url, params).then(function (data) {
        ul.innerHTML = "";
        if (!data.results.length) ul.appendChild(el("li", "small text-muted", "没有下级组织"));
        data.results.forEach(function (item) {
          var li = el("li", "picker-node");
          var row = el("div", "d-flex align-items-center gap-1");
          var tog = el("button", "btn btn-sm btn-link p-0 picker-expand", item.children ? "▸" : "");
          tog.type = "button";
          tog.disabled = !item.children;
          tog.setAttribute("aria-label", "展开" + item.label);
          var pick = el("button", "btn btn-sm btn-link p-0 text-start picker-pick", item.label);
          pick.type = "button";
          if (item.selectable === false) { pick.classList.add("text-muted"); pick.disabled = true; }
          pick.addEventListener("click", function () { choose(item); });
          row.appendChild(tog);
          row.appendChild(pick);
          li.appendChild(row);
          var sub = el("ul", "list-unstyled ms-3 mb-0");
          sub.hidden = true;
          li.appendChild(sub);
          tog.addEventListener("click", function () {
            sub.hidden = !sub.hidden;
            tog.textContent = sub.hidden ? "▸" : "▾";
            if (!sub.hidden && !sub.dataset.loaded) { sub.dataset.loaded = "1"; level(sub, item.value); }
          });
          ul.appendChild(li);
        });
      });
    }
    if (tree) {
      box.querySelector(".picker-tree-toggle").addEventListener("click", function () {
        tree.hidden = !tree.hidden;
        close();
        var root = tree.querySelector(".picker-tree-root");
        if (!tree.hidden && !root.dataset.loaded) { root.dataset.loaded = "1"; level(root, ""); }
      });
    }
    document.addEventListener("click", function (ev) { if (tree && !box.contains(ev.target)) tree.hidden = true; });
    // labels of what is already chosen (an edit form, a form shown again with its errors)
    if (hidden.value) {
      get(url, { value: hidden.value }).then(function (data) {
        if (multiple) data.results.forEach(function (item) { addChip(item.value, item.label); });
        else if (data.results.length === 1) input.value = data.results[0].label;
      });
    }
  }
  document.querySelectorAll("[data-picker]").forEach(setup);
})();

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
