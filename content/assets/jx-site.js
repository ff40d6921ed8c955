/* 站点脚本：大字模式、打印、整改台账筛选。页面在没有 JavaScript 时内容完整，脚本只增加便利。 */
(function () {
  "use strict";

  function setLarge(on) {
    document.documentElement.classList.toggle("jx-large", on);
    var button = document.getElementById("jx-large-text");
    if (button) {
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? "标准字号" : "大字模式";
    }
    try { localStorage.setItem("jx-large-text", on ? "1" : "0"); } catch (e) { /* private mode */ }
  }

  function initTools() {
    var large = document.getElementById("jx-large-text");
    if (large && !large.dataset.jxBound) {
      large.dataset.jxBound = "1";
      large.addEventListener("click", function () {
        setLarge(!document.documentElement.classList.contains("jx-large"));
      });
      setLarge(document.documentElement.classList.contains("jx-large"));
    }
    var print = document.getElementById("jx-print");
    if (print && !print.dataset.jxBound) {
      print.dataset.jxBound = "1";
      print.addEventListener("click", function () { window.print(); });
    }
  }

  function initFilters() {
    var forms = document.querySelectorAll("form.jx-filter");
    Array.prototype.forEach.call(forms, function (form) {
      if (form.dataset.jxBound) { return; }
      form.dataset.jxBound = "1";
      var target = document.getElementById(form.getAttribute("data-target"));
      if (!target) { return; }
      var selects = form.querySelectorAll("select[data-filter]");
      var output = form.querySelector(".jx-filter-count");
      function apply() {
        var rows = target.querySelectorAll("tbody tr");
        var shown = 0;
        Array.prototype.forEach.call(rows, function (row) {
          var visible = Array.prototype.every.call(selects, function (select) {
            return !select.value || row.getAttribute("data-" + select.getAttribute("data-filter")) === select.value;
          });
          row.hidden = !visible;
          if (visible) { shown += 1; }
        });
        if (output) { output.textContent = "显示 " + shown + " / " + rows.length + " 条"; }
      }
      Array.prototype.forEach.call(selects, function (select) { select.addEventListener("change", apply); });
      form.addEventListener("submit", function (event) { event.preventDefault(); });
      apply();
    });
  }

  function init() { initTools(); initFilters(); }

  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
