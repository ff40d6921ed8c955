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
        if (output) {
          // On a list of several pages the filter sees this page's rows only, and says so.
          output.textContent = "显示 " + shown + " / " + rows.length + " 条" +
            (form.getAttribute("data-scope") ? "（" + form.getAttribute("data-scope") + "）" : "");
        }
      }
      // The filters are in the address (?status=整改中&dept=…): a link can open the list filtered, and a filtered
      // list can be bookmarked or sent on.
      var params = window.URLSearchParams ? new URLSearchParams(window.location.search) : null;
      Array.prototype.forEach.call(selects, function (select) {
        var wanted = params && params.get(select.getAttribute("data-filter"));
        if (wanted && Array.prototype.some.call(select.options, function (o) { return o.value === wanted; })) {
          select.value = wanted;
        }
      });
      function remember() {
        if (!params || !window.history || !window.history.replaceState) { return; }
        Array.prototype.forEach.call(selects, function (select) {
          if (select.value) { params.set(select.getAttribute("data-filter"), select.value); }
          else { params.delete(select.getAttribute("data-filter")); }
        });
        var query = params.toString();
        window.history.replaceState(window.history.state, "",
          window.location.pathname + (query ? "?" + query : "") + window.location.hash);
      }
      Array.prototype.forEach.call(selects, function (select) {
        select.addEventListener("change", function () { apply(); remember(); });
      });
      form.addEventListener("submit", function (event) { event.preventDefault(); });
      apply();
    });
  }

  // 手机等窄屏上，导航菜单是屏幕左侧外的抽屉（主题在 76.1875em 以下如此显示）。抽屉关闭时设为 inert：其中几十个链接
  // 看不见，不应排在正文之前让键盘用户逐个按 Tab 经过，读屏软件也不应读到；打开后恢复。菜单按钮可用回车或空格键
  // 打开抽屉（焦点移入菜单），Esc 键关闭抽屉（焦点回到菜单按钮）。
  var DRAWER_MEDIA = "(max-width: 76.1875em)";

  function initDrawer() {
    var toggle = document.getElementById("__drawer");
    var drawer = document.querySelector(".md-sidebar--primary");
    var button = document.querySelector(".jx-drawer-open");
    if (!toggle || !drawer || toggle.dataset.jxBound) { return; }
    toggle.dataset.jxBound = "1";
    var narrow = window.matchMedia ? window.matchMedia(DRAWER_MEDIA) : { matches: false };

    function update() {
      if (narrow.matches && !toggle.checked) {
        if (button && drawer.contains(document.activeElement)) { button.focus(); }
        drawer.setAttribute("inert", "");
      } else {
        drawer.removeAttribute("inert");
      }
      if (button) { button.setAttribute("aria-expanded", toggle.checked ? "true" : "false"); }
    }

    function setOpen(open) {
      if (toggle.checked !== open) {
        toggle.checked = open;
        update();
      }
    }

    // The theme opens and closes the drawer with click() on the checkbox, which fires "change" too.
    toggle.addEventListener("change", update);
    if (narrow.addEventListener) { narrow.addEventListener("change", update); }
    else if (narrow.addListener) { narrow.addListener(update); }
    if (button) {
      button.addEventListener("keydown", function (event) {
        if (event.key !== "Enter" && event.key !== " ") { return; }
        event.preventDefault();
        setOpen(!toggle.checked);
        var first = toggle.checked && drawer.querySelector("a[href], [tabindex='0']");
        if (first) { first.focus(); }
      });
    }
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.checked && narrow.matches) {
        setOpen(false);
        if (button) { button.focus(); }
      }
    });
    update();
  }

  function init() { initTools(); initFilters(); initDrawer(); }

  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
