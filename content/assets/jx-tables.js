/* 表格排序：点击（或用键盘选中后按回车或空格键）表头即可按该列排序；不启用 JavaScript 时表格同样完整可读。
 * Sorts tables marked data-jx-sort with the vendored tablesort. Runs on every page view, including
 * Material's instant navigation (document$), and loads nothing from any other host. */
(function () {
  "use strict";
  if (typeof window.Tablesort !== "function") {
    return;
  }

  // Chinese collation with numeric runs compared as numbers, so 事前2023-2 sorts before 事前2023-10.
  var collator = window.Intl && Intl.Collator ? new Intl.Collator("zh-Hans-CN", { numeric: true }) : null;
  // tablesort's comparators return > 0 when b should come first and reverses for ascending order.
  window.Tablesort.extend("jx-text", function () { return false; }, function (a, b) {
    if (collator) {
      return collator.compare(b, a);
    }
    return a < b ? 1 : a > b ? -1 : 0;
  });

  // A blank (a cell showing "—", or data-sort="") means "not reported": keep such rows last whichever way the
  // column is sorted. Cells carry data-sort only where their text would sort differently (generator/tables.py).
  function isBlank(cell) {
    var key = cell.getAttribute("data-sort");
    return key === null ? cell.textContent.trim() === "\u2014" : key === "";
  }

  function blanksLast(table, column) {
    var body = table.tBodies[0];
    var blanks = [];
    for (var i = 0; i < body.rows.length; i++) {
      var cell = body.rows[i].cells[column];
      if (cell && isBlank(cell)) {
        blanks.push(body.rows[i]);
      }
    }
    for (var j = 0; j < blanks.length; j++) {
      body.appendChild(blanks[j]);
    }
  }

  function init() {
    var tables = document.querySelectorAll("table[data-jx-sort]:not([data-jx-sort=on])");
    for (var i = 0; i < tables.length; i++) {
      (function (table) {
        table.setAttribute("data-jx-sort", "on");
        var heads = table.tHead ? table.tHead.rows[0].cells : [];
        // Number columns are named once on the table (data-jx-num="2 5", 1-based, as jx.css aligns them): they
        // sort as numbers. Text is the default for the others (the pages mark nothing on each header).
        (table.getAttribute("data-jx-num") || "").split(" ").forEach(function (n) {
          var head = heads[Number(n) - 1];
          if (head && !head.hasAttribute("data-sort-method")) { head.setAttribute("data-sort-method", "number"); }
        });
        for (var h = 0; h < heads.length; h++) {
          if (!heads[h].hasAttribute("data-sort-method")) { heads[h].setAttribute("data-sort-method", "jx-text"); }
        }
        var sorter = new window.Tablesort(table);
        table.addEventListener("afterSort", function () { blanksLast(table, sorter.col); });
        // tablesort sorts on Enter only; Space, the other key that operates a control, would scroll the page.
        // The title is read by screen readers as the header's description, so they learn it can be sorted;
        // tablesort marks the sorted header with aria-sort (ascending / descending).
        for (var k = 0; k < heads.length; k++) {
          if (heads[k].getAttribute("data-sort-method") === "none") { continue; }
          heads[k].title = "可排序：点击或按回车键、空格键按此列排序";
          heads[k].addEventListener("keydown", function (event) {
            if (event.key === " ") {
              event.preventDefault();
              this.click();
            }
          });
        }
      })(tables[i]);
    }
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
