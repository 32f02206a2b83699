// Case page helpers: add/remove/reorder code rows, code-book search beside the case, one submit.
// Everything here is an enhancement: without JavaScript the fixed rows and the search form still work.
(function () {
  "use strict";
  var lastInput = null;

  function renumber(list) {
    var kind = list.getAttribute("data-rows");
    Array.prototype.forEach.call(list.querySelectorAll(".code-row"), function (row, i) {
      var n = i + 1;
      row.querySelectorAll("input").forEach(function (input) {
        var name = input.name.replace(/_\d+$/, "_" + n);
        input.name = name; input.id = name;
      });
      row.querySelectorAll("label").forEach(function (label) {
        label.htmlFor = label.htmlFor.replace(/_\d+$/, "_" + n);
        label.textContent = label.textContent.replace(/\d+/, n);
      });
      var num = row.querySelector("td");
      if (kind === "px" && num) { num.textContent = n; }
    });
  }

  function addControls(list) {
    var kind = list.getAttribute("data-rows");
    var max = parseInt(list.getAttribute("data-max"), 10);
    var holder = document.createElement("p");
    holder.className = "row-controls";
    var add = document.createElement("button");
    add.type = "button"; add.className = "button small secondary";
    add.textContent = kind === "dx" ? "Add a diagnosis row" : "Add a procedure row";
    add.addEventListener("click", function () {
      var rows = list.querySelectorAll(".code-row");
      if (rows.length >= max) { add.disabled = true; return; }
      var clone = rows[rows.length - 1].cloneNode(true);
      clone.classList.remove("has-error");
      clone.querySelectorAll(".error").forEach(function (e) { e.remove(); });
      clone.querySelectorAll("input").forEach(function (i) { i.value = i.name.indexOf("units") >= 0 ? "1" : ""; });
      list.appendChild(clone);
      decorate(clone, list);
      renumber(list);
      clone.querySelector("input").focus();
      add.disabled = list.querySelectorAll(".code-row").length >= max;
    });
    holder.appendChild(add);
    (list.closest("table") || list).insertAdjacentElement("afterend", holder);
  }

  function decorate(row, list) {
    if (row.querySelector(".row-actions")) { row.querySelector(".row-actions").remove(); }
    var kind = list.getAttribute("data-rows");
    var box = document.createElement(kind === "px" ? "td" : "span");
    box.className = "row-actions";
    function button(label, title, fn) {
      var b = document.createElement("button");
      b.type = "button"; b.className = "icon"; b.textContent = label; b.title = title;
      b.setAttribute("aria-label", title);
      b.addEventListener("click", fn); box.appendChild(b);
    }
    if (kind === "dx") {
      button("↑", "Move up", function () {
        var prev = row.previousElementSibling;
        if (prev) { list.insertBefore(row, prev); renumber(list); }
      });
      button("↓", "Move down", function () {
        var next = row.nextElementSibling;
        if (next) { list.insertBefore(next, row); renumber(list); }
      });
    }
    button("✕", "Remove this row", function () {
      if (list.querySelectorAll(".code-row").length > 1) { row.remove(); renumber(list); }
      else { row.querySelectorAll("input").forEach(function (i) { i.value = i.name.indexOf("units") >= 0 ? "1" : ""; }); }
    });
    row.appendChild(box);
  }

  document.querySelectorAll(".code-rows").forEach(function (list) {
    list.querySelectorAll(".code-row").forEach(function (row) { decorate(row, list); });
    addControls(list);
  });

  document.addEventListener("focusin", function (e) {
    if (e.target.classList && e.target.classList.contains("code-input")) { lastInput = e.target; }
  });

  // One submit: a double click sends the form once (the server also ignores a repeated token).
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var b = form.querySelector("[data-once]");
      if (b) { setTimeout(function () { b.disabled = true; b.textContent = "Grading…"; }, 0); }
    });
  });

  // Code-book search beside the case, answered by /api/codes.
  var search = document.querySelector("form[data-autocomplete]");
  if (!search) { return; }
  var input = search.querySelector("input[name=q]");
  var system = search.querySelector("select[name=system]");
  var out = document.querySelector(".codebook-results");
  var timer = null;

  function render(items) {
    out.textContent = "";
    if (!items.length) { out.textContent = "No match."; return; }
    var ul = document.createElement("ul");
    ul.className = "cb-list";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var code = document.createElement("button");
      code.type = "button"; code.className = "cb-code"; code.textContent = item.code;
      code.title = "Put " + item.code + " in the last code box you used";
      code.addEventListener("click", function () {
        if (lastInput) { lastInput.value = item.code; lastInput.focus(); }
      });
      var link = document.createElement("a");
      link.href = item.url; link.target = "_blank"; link.rel = "noopener";
      link.textContent = item.description;
      li.appendChild(code); li.appendChild(document.createTextNode(" "));
      li.appendChild(link);
      if (!item.billable) {
        var b = document.createElement("span"); b.className = "badge warn"; b.textContent = "header";
        li.appendChild(document.createTextNode(" ")); li.appendChild(b);
      }
      ul.appendChild(li);
    });
    out.appendChild(ul);
  }

  function run() {
    var q = input.value.trim();
    if (q.length < 2) { out.textContent = ""; return; }
    fetch("/api/codes?limit=15&system=" + encodeURIComponent(system.value) + "&q=" + encodeURIComponent(q),
          { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) { render(data.results || []); })
      .catch(function () { out.textContent = "Search is unavailable; use the Search button."; });
  }
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 150); });
  system.addEventListener("change", run);
  search.addEventListener("submit", function (e) { e.preventDefault(); run(); });
})();
