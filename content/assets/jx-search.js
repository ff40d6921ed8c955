/* 站内搜索：在 Material 主题自带的搜索框中显示 Pagefind 的检索结果。
 *
 * Why Pagefind: Material's lunr index holds every page (about 6 KB a page, 24 MB for a ten-year archive) and is
 * downloaded whole before the first result. Pagefind's index is split into chunks fetched per query, and its
 * extended build segments Chinese words. Everything is loaded from this site, by URLs relative to the page, so
 * the site also works under a sub-path. */
(function () {
  "use strict";

  // What a query finds, apart from any page: the box below uses these rules, and the tests' probe
  // (generator/search.py) runs this file in Node and calls the same functions (window.JXSearchCore).
  var TITLED_MAX = 5;  // pages put first because their title holds the query
  var STAFF_SECTIONS = ["guide/", "data-dictionary/"];
  var CJK = /[\u3400-\u9fff]/;
  // (for ``words``: set before the early return below, which the tests' probe takes)
  var segmenter = typeof Intl !== "undefined" && Intl.Segmenter ? new Intl.Segmenter("zh", { granularity: "word" })
    : null;
  var wordsOf = Object.create(null);  // (no prototype: a query part "constructor" is just a word)
  (typeof window !== "undefined" ? window : globalThis).JXSearchCore = {
    normalise: normalise, docNumber: docNumber, containsAll: containsAll, candidates: candidates,
    titleMatches: titleMatches, firstPage: firstPage, forStaff: forStaff, holds: holds,
  };
  if (typeof document === "undefined") return;

  var input = document.querySelector(".jx-search [data-md-component=search-query]");
  var toggle = document.getElementById("__search");
  var configNode = document.getElementById("__config");
  if (!input || !toggle || !configNode) return;

  var root = input.closest(".jx-search");
  var list = root.querySelector(".md-search-result__list");
  var meta = root.querySelector(".md-search-result__meta");
  var config = JSON.parse(configNode.textContent);
  // base_url is relative ("..", "../.."); resolving it against this page gives the site root, sub-path included.
  var base = new URL(String(config.base || ".").replace(/\/?$/, "/"), location.href);
  var MAX_RESULTS = 10;
  var queue = Promise.resolve();
  var BATCH = 10;
  var MAX_CHECKED = 50;  // fragments fetched at most per query while looking for literal matches
  var DEBOUNCE_MS = 150;
  var IDLE_TEXT = "输入关键词搜索";
  var pagefind = null;
  var latest = 0;
  var timer = null;

  // The indexed pages' titles (generator/search.py writes them with the index): a page whose title holds what was
  // typed comes first, whatever Pagefind's word segments make of the query.
  var titles = null;

  function loadTitles() {
    if (!titles) {
      titles = fetch(new URL("pagefind/titles.json", base).href).then(function (response) {
        return response.ok ? response.json() : [];
      });
      titles.catch(function () { titles = null; });
    }
    return titles.catch(function () { return []; });
  }

  // Titles ([title, site-relative URL], pagefind/titles.json) holding every part of the query: the closest first
  // (the title itself, then the shortest), at most TITLED_MAX.
  function titleMatches(list, parts, query) {
    var whole = normalise(query);
    return list
      .map(function (entry, i) { return { title: entry[0], url: entry[1], i: i, text: normalise(entry[0]) }; })
      .filter(function (e) { return parts.every(function (part) { return holds(e.text, part); }); })
      .sort(function (a, b) {
        return (b.text === whole) - (a.text === whole) || a.text.length - b.text.length || a.i - b.i;
      })
      .slice(0, TITLED_MAX);
  }

  // The staff guide and the data dictionary are published too, but a reader searching 整改中 or 第三方 looks for the
  // records: on the first page of results, those pages come after the others that match. (``path``: site-relative.)
  function forStaff(path) {
    return STAFF_SECTIONS.some(function (section) { return path.indexOf(section) === 0; });
  }

  // The first page of results: the title matches (Pagefind's own result where it found the page too, for its
  // excerpt), then Pagefind's other matches in its order, the staff's pages last. ``key`` names a result's page;
  // ``shown`` holds the pages shown, which later batches ("显示更多结果") skip.
  function firstPage(kept, titled, key, isStaff) {
    var found = {};
    var shown = {};
    kept.forEach(function (d) { found[key(d)] = d; });
    titled.forEach(function (t) { shown[key(t)] = true; });
    var rest = kept.filter(function (d) { return !shown[key(d)]; });
    return {
      kept: titled.map(function (t) { return found[key(t)] || t; })
        .concat(rest.filter(function (d) { return !isStaff(d); }), rest.filter(isStaff)),
      shown: shown,
    };
  }

  function pathOf(url) {
    return new URL(url, location.href).pathname;
  }

  function load() {
    if (!pagefind) {
      pagefind = import(new URL("pagefind/pagefind.js", base).href).then(function (pf) {
        return pf.options({ baseUrl: base.pathname, excerptLength: 30 }).then(function () {
          pf.init();
          return pf;
        });
      });
      pagefind.catch(function () { pagefind = null; });  // let a later attempt retry
    }
    return pagefind;
  }

  // Pagefind excerpts are text with <mark> around hits; rebuild them from text nodes so page text never
  // becomes markup here. Pagefind starts an excerpt a few words before the first hit, often inside a name
  // (镇蔬菜产业基地建设 for 太平镇蔬菜产业基地建设): the cut phrase is completed from the page's text when it is short,
  // and otherwise the excerpt starts with "…". (Pagefind's text joins the page's blocks with ". ".)
  var LEAD_MAX = 16;

  function spaced(text) {
    return String(text || "").replace(/\u200b/g, "").replace(/\s+/g, " ");
  }

  function textOf(html) {
    var template = document.createElement("template");
    template.innerHTML = html;  // (inert: a template's content is never rendered or run)
    return template.content.textContent;
  }

  function lead(data) {
    var plain = spaced(textOf(data.excerpt || "")).trim();  // (the excerpt escapes < > &, the content does not)
    var content = spaced(data.content);
    var at = plain ? content.indexOf(plain) : -1;
    if (at <= 0) return "";
    var start = content.lastIndexOf(". ", at - 1);
    start = start < 0 ? 0 : start + 2;
    return at - start <= LEAD_MAX ? content.slice(start, at) : "…";
  }

  function excerpt(html, before) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var out = document.createDocumentFragment();
    if (before) out.appendChild(document.createTextNode(before));
    template.content.childNodes.forEach(function (node) {
      if (node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        out.appendChild(mark);
      } else {
        out.appendChild(document.createTextNode(node.textContent));
      }
    });
    return out;
  }

  // Pagefind ranks pages that share any word with the query, so 量子纠缠火锅 would list a page that merely has
  // the word 量. Readers expect the words they typed to be on the page: keep results whose text holds every
  // space-separated part of the query (``holds``), checking Pagefind's best candidates in order.
  function normalise(text) {
    return String(text || "").replace(/\u200b/g, "").replace(/\s+/g, " ").toLocaleLowerCase();
  }

  // A 文号 is published with 六角括号 (川财绩〔2018〕14号); readers type the year in whatever brackets their keyboard
  // gives, half-right pairs and full-width digits too, as the data's rule (generator/types.py) corrects them.
  function docNumber(query) {
    return query.replace(/[０-９]/g, function (d) { return String.fromCharCode(d.charCodeAt(0) - 0xFEE0); })
      .replace(/[\[【(（〈<［{｛﹝〖〔]\s*((?:19|20)\d{2})\s*[\]】)）〉>］}｝﹞〗〕]/g, "〔$1〕")
      .replace(/([\u3400-\u9fff])\s*((?:19|20)\d{2})\s+(\d{1,4}\s*号)/g, "$1〔$2〕$3");  // 川财绩2018 14号
  }

  function containsAll(data, parts) {
    var text = normalise(((data.meta && data.meta.title) || "") + " " + data.content);
    return parts.every(function (part) { return holds(text, part); });
  }

  // Chinese is typed without spaces: 饮水工程 or 黄桷镇饮水 are words a page holds apart (黄桷镇农村饮水安全巩固提升工程).
  // A part of the query is on the page as typed, or else each of its pieces is (so 量子纠缠火锅 still needs 量子, 纠缠
  // and 火锅 on one page). It is cut only between the words of its Chinese text (Intl.Segmenter) and at punctuation:
  // what has letters or digits stays with the Chinese beside it (整改2019-0001 and 川财绩〔2018〕14号 are looked for as
  // typed, not as 整改 + 2019 + 0001); characters the segmenter leaves single stay together (黄桷镇, 整改中), and one
  // alone goes with the word beside it (县医院 is not 县 anywhere + 医院). Without Intl.Segmenter, only at punctuation.
  function chineseWords(run) {
    var segments = segmenter ? Array.from(segmenter.segment(run), function (s) { return s.segment; }) : [run];
    var words = [];
    var singles = "";
    segments.forEach(function (segment) {
      if (segment.length === 1) {
        singles += segment;
        return;
      }
      if (singles.length === 1) {
        words.push(singles + segment);
      } else {
        if (singles) words.push(singles);
        words.push(segment);
      }
      singles = "";
    });
    if (singles.length === 1 && words.length) words[words.length - 1] += singles;
    else if (singles) words.push(singles);
    return words;
  }

  function words(part) {
    if (!(part in wordsOf)) {
      var pieces = [];
      var joined = false;  // whether what comes next is part of the last piece (nothing between them)
      var add = function (text, glue) {
        if (glue && pieces.length) pieces[pieces.length - 1] += text;
        else pieces.push(text);
      };
      if (CJK.test(part)) {
        (part.match(/[\u3400-\u9fff]+|[^\u3400-\u9fff]+/g) || []).forEach(function (run) {
          if (CJK.test(run)) {
            chineseWords(run).forEach(function (word, i) { add(word, i === 0 && joined); });
            joined = true;
          } else if (/[0-9a-z]/i.test(run)) {
            add(run, joined);
            joined = true;
          } else {
            joined = false;  // punctuation: a break between pieces
          }
        });
      }
      var unique = pieces.filter(function (piece, i) { return pieces.indexOf(piece) === i; });
      wordsOf[part] = unique.length > 1 ? unique : [];
    }
    return wordsOf[part];
  }

  function holds(text, part) {
    if (text.indexOf(part) !== -1) return true;
    var split = words(part);
    return split.length > 0 && split.every(function (word) { return text.indexOf(word) !== -1; });
  }

  // Pagefind's candidates are checked in order until ``wanted`` match (more are looked for on "显示更多结果",
  // continuing where the last look stopped: ``state.next``).
  function literalMatches(state, wanted, mine) {
    var stop = state.next + MAX_CHECKED;
    function step() {
      if (mine !== latest) return Promise.resolve(null);
      if (state.kept.length >= wanted || state.next >= state.results.length || state.next >= stop) {
        state.more = state.next < state.results.length;
        return Promise.resolve(state);
      }
      var start = state.next;
      var batch = state.results.slice(start, start + BATCH);
      return Promise.all(batch.map(function (r) { return r.data(); })).then(function (data) {
        // Stop at the candidate that completes the page: those after it are looked at by "显示更多结果".
        var i = 0;
        for (; i < data.length && state.kept.length < wanted; i++) {
          if (containsAll(data[i], state.parts) && !state.titled[pathOf(data[i].url)]) state.kept.push(data[i]);
        }
        state.next = start + i;
        return step();
      });
    }
    return step();
  }

  function render(state, focusFrom) {
    var results = state.kept;
    list.textContent = "";
    if (!results.length && !state.more) {
      meta.textContent = "没有找到结果";
      return;
    }
    meta.textContent = !results.length ? "在最相关的页面中暂未找到含所输入文字的页面，可继续查找"
      : state.more ? "显示最相关的 " + results.length + " 个结果"
      : "找到 " + results.length + " 个结果";
    results.forEach(function (r) {
      var item = document.createElement("li");
      item.className = "md-search-result__item";
      var link = document.createElement("a");
      link.className = "md-search-result__link";
      link.href = r.url;
      var article = document.createElement("article");
      article.className = "md-search-result__article md-typeset";
      var title = document.createElement("h1");
      title.textContent = (r.meta && r.meta.title) || r.url;
      var text = document.createElement("p");
      text.appendChild(excerpt(r.excerpt || "", lead(r)));
      article.appendChild(title);
      article.appendChild(text);
      link.appendChild(article);
      item.appendChild(link);
      list.appendChild(item);
    });
    if (state.more) {
      // A button after the results (the arrow keys reach it like them); it adds the next ten in place.
      var moreItem = document.createElement("li");
      moreItem.className = "jx-search-more";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "jx-search-more__link";
      button.textContent = results.length ? "显示更多结果" : "继续查找";
      button.addEventListener("click", function (event) {
        event.preventDefault();
        var mine = state.search;
        if (mine !== latest) return;  // a newer query is on its way: these results are no longer asked for
        var shown = state.kept.length;
        meta.textContent = "正在搜索…";
        literalMatches(state, shown + MAX_RESULTS, mine).then(function (done) {
          if (done && mine === latest) render(done, shown);
        });
      });
      moreItem.appendChild(button);
      list.appendChild(moreItem);
    }
    if (focusFrom !== undefined) {
      // After "显示更多结果", focus the first new result (the button it replaces is gone).
      var links = list.querySelectorAll(".md-search-result__link, .jx-search-more__link");
      (links[focusFrom] || links[links.length - 1] || input).focus();
    }
  }

  // The index is segmented at build time (Pagefind's dictionary), the query in the browser (Intl.Segmenter):
  // they can disagree, e.g. Chromium splits 整改 into 整 + 改 while the index holds the word 整改, and the page is
  // missed. So Chinese queries also search by their first character, which Pagefind matches as a word prefix;
  // the literal filter below keeps only pages that really contain what was typed.
  function candidates(pf, query) {
    return pf.search(query).then(function (found) {
      var first = query.match(CJK);
      if (!first) return found.results;
      return pf.search(first[0]).then(function (wide) {
        var seen = {};
        return found.results.concat(wide.results).filter(function (r) {
          if (seen[r.id]) return false;
          seen[r.id] = true;
          return true;
        });
      });
    });
  }

  function search() {
    var query = docNumber(input.value.trim());
    var mine = ++latest;
    if (!query) {
      list.textContent = "";
      meta.textContent = IDLE_TEXT;
      return;
    }
    meta.textContent = "正在搜索…";
    // One search at a time: a search started while an earlier one is still loading index chunks can come back
    // incomplete (seen with 整 then 整改 typed quickly), and a query already superseded is skipped.
    var run = queue
      .then(function () { return Promise.all([load(), loadTitles()]); })
      .then(function (loaded) {
        return mine === latest ? candidates(loaded[0], query).then(function (found) { return [found, loaded[1]]; })
          : null;
      });
    queue = run.catch(function () { return null; });
    run
      .then(function (got) {
        if (!got || mine !== latest) return null;
        var parts = normalise(query).split(" ").filter(Boolean);
        var state = { results: got[0], parts: parts, kept: [], next: 0, more: false, search: mine, titled: {} };
        var titled = titleMatches(got[1], parts, query).map(function (t) {
          return { url: new URL(t.url, base).pathname, meta: { title: t.title }, excerpt: "", content: "" };
        });
        return literalMatches(state, MAX_RESULTS - titled.length, mine).then(function (matched) {
          if (!matched || mine !== latest) return;
          var page = firstPage(matched.kept, titled, function (d) { return pathOf(d.url); }, function (d) {
            return forStaff(pathOf(d.url).slice(base.pathname.length));
          });
          matched.kept = page.kept;
          matched.titled = page.shown;
          render(matched);
        });
      })
      .catch(function () {
        if (mine === latest) meta.textContent = "搜索暂时不可用，请稍后重试";
      });
  }

  function open() {
    if (!toggle.checked) toggle.checked = true;
    input.focus();
    load();  // fetch the search code while the reader types
  }

  // Closed by Escape, focus goes back to the search box (not to <body>, where a keyboard reader would start over
  // from the top of the page), without opening the panel again; typing there reopens it. On a phone the box is
  // hidden with the panel, and focus goes to the magnifier button instead.
  var quiet = false;
  function closeToBox() {
    toggle.checked = false;
    quiet = true;
    input.focus();
    quiet = false;
    if (document.activeElement !== input) {
      var button = document.querySelector(".jx-search-open");
      if (button) button.focus();
    }
  }

  // "input" fires for typing, pasting and IME composition alike, so pasted text searches without a key press.
  input.addEventListener("input", function () {
    toggle.checked = true;
    clearTimeout(timer);
    timer = setTimeout(search, DEBOUNCE_MS);
  });
  input.addEventListener("click", function () { toggle.checked = true; });
  input.addEventListener("focus", function () {
    if (quiet) return;
    toggle.checked = true;
    load();
  });
  input.form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    search();
  });
  input.form.addEventListener("reset", function () {
    setTimeout(function () { search(); input.focus(); }, 0);
  });
  toggle.addEventListener("change", function () {
    if (toggle.checked) input.focus();
    else input.blur();
  });

  document.querySelectorAll(".jx-search-open").forEach(function (button) {
    button.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        open();
      }
    });
  });

  // The panel covers the page (grey at desktop width, the whole screen on a phone): close it when keyboard focus
  // moves to something outside the search area, e.g. Tab past the last result. A click on a blank part of the
  // panel moves focus nowhere (relatedTarget null) and leaves it open.
  root.addEventListener("focusout", function (event) {
    var next = event.relatedTarget;
    if (toggle.checked && next && !root.contains(next)) toggle.checked = false;
  });

  // Keyboard: Escape closes, wherever focus is; arrow keys move between the query and the results; "/" or "s"
  // opens search (Material's own shortcuts, which its search plugin would otherwise provide).
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && toggle.checked) {
      event.preventDefault();
      closeToBox();
    }
  });
  root.addEventListener("keydown", function (event) {
    var links = Array.prototype.slice.call(list.querySelectorAll(".md-search-result__link, .jx-search-more__link"));
    var at = links.indexOf(document.activeElement);
    if (event.key === "Enter" && event.target === input && !event.isComposing) {
      // Enter (a phone keyboard's 搜索 key) in the box opens the first result, as Material's own search does;
      // not while an input method is still composing the word.
      var first = list.querySelector(".md-search-result__link");
      event.preventDefault();
      if (first) first.click();
    } else if (event.key === "ArrowDown" && links.length) {
      event.preventDefault();
      links[Math.min(at + 1, links.length - 1)].focus();
    } else if (event.key === "ArrowUp" && at >= 0) {
      event.preventDefault();
      if (at === 0) input.focus();
      else links[at - 1].focus();
    }
  });
  window.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || toggle.checked) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    if (event.key === "/" || event.key === "s") {
      event.preventDefault();
      open();
    }
  });
})();
