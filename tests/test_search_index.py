"""Site search: Pagefind's index is built with the site, segments Chinese, and the search box uses Material's markup.

Queries run Pagefind's own JS (generator/search.py probe, in Node) when Node is available; the fragment checks
below need only Python and read what Pagefind stored for each page.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from generator import search
from tests.conftest import ROOT, build_site

pytestmark = pytest.mark.slow

# (.ci/run installs Node where it is missing; in CI its absence fails these tests instead of skipping them)
needs_node = pytest.mark.skipif(search.node() is None and not os.environ.get("CI"),
                                reason="需要 Node.js 运行 Pagefind 的检索代码")


@pytest.fixture(scope="module")
def shixian_site(tmp_path_factory) -> Path:
    return build_site(ROOT / "examples" / "shixian" / "data", tmp_path_factory.mktemp("shixian") / "site")


def fragments(site: Path) -> dict[str, list[str]]:
    """URL -> the words Pagefind indexed for that page (it stores content segmented with zero-width spaces)."""
    out = {}
    for path in (site / "pagefind" / "fragment").glob("*.pf_fragment"):
        raw = gzip.decompress(path.read_bytes())
        assert raw.startswith(b"pagefind_dc")
        fragment = json.loads(raw[raw.index(b"{"):])
        out[fragment["url"]] = [w.strip() for w in fragment["content"].split("\u200b")]
    return out


def test_index_is_built_with_the_site_in_chinese(example_site):
    entry = json.loads((example_site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert list(entry["languages"]) == ["zh"]
    assert (example_site / "pagefind" / "pagefind.js").is_file()
    assert not (example_site / "pagefind" / "pagefind-ui.js").exists()  # unused interface not published
    # Material's own lunr index is not built: it is what made the first search download megabytes.
    assert not (example_site / "search" / "search_index.json").exists()


def test_year_page_is_indexed_as_segmented_chinese_words(example_site):
    words = fragments(example_site)["/2023/"]
    for word in ("消防", "营房", "环城", "西路"):
        assert word in words, f"“{word}”未作为独立词编入 /2023/ 的索引"
    assert "环城西路" not in words  # segmented into words, not kept as one run of characters
    # Only the article is indexed, not the navigation repeated on every page.
    assert "历年公开一览" not in "".join(words)


def test_only_the_article_is_marked_for_indexing(example_site):
    soup = BeautifulSoup((example_site / "2023" / "index.html").read_text(encoding="utf-8"), "html.parser")
    bodies = soup.select("[data-pagefind-body]")
    assert len(bodies) == 1
    assert bodies[0].find_parent("article") is not None
    assert not bodies[0].select(".md-nav, .md-header, .md-footer")


def test_search_box_uses_material_markup_and_loads_pagefind_relatively(example_site):
    soup = BeautifulSoup((example_site / "2023" / "index.html").read_text(encoding="utf-8"), "html.parser")
    box = soup.select_one(".md-search")
    query = box.select_one("input[data-md-component=search-query]")
    assert query is not None and "搜索" in query["aria-label"]
    assert box.select_one(".md-search-result__list") is not None
    # Without these Material's bundle would fetch search/search_index.json, which no longer exists.
    assert soup.select_one('form[name="search"]') is None and soup.select_one("[data-md-component=search]") is None
    scripts = [s.get("src", "") for s in soup.find_all("script")]
    assert "../assets/jx-search.js" in scripts
    js = (example_site / "assets" / "jx-search.js").read_text(encoding="utf-8")
    assert 'new URL("pagefind/pagefind.js", base)' in js and '"input"' in js and "没有找到结果" in js


@needs_node
def test_chinese_queries_find_the_2023_report(example_site):
    # (a 文号 typed in other brackets is searched in 六角括号, as the search box does)
    for result in search.probe(example_site, ["消防", "环城西路", "第三方", "川财绩[2018]14号", "川财绩（2018）14号",
                                              "川财绩2018 14号", "川财绩〔2018]14号", "川财绩（2018〕14号",
                                              "川财绩〔２０１８〕１４号"]):
        urls = [r["url"] for r in result["results"]]
        assert "/2023/" in urls, f"搜索“{result['query']}”没有找到 /2023/：{urls}"
    # Pagefind alone would list /2023/ for 量子纠缠火锅 (the page has the single-character word 量); the box shows only pages
    # that contain what was typed.
    nonsense = search.probe(example_site, ["量子纠缠火锅", "zqxjkv"])
    assert [r["total"] for r in nonsense] == [0, 0]


@needs_node
def test_a_project_is_found_by_a_word_of_its_name(shixian_site):
    found = search.probe(shixian_site, ["蔬菜"])[0]
    projects = [r for r in found["results"] if r["url"].startswith("/projects/")]
    assert projects and all("蔬菜" in r["title"] for r in projects)
    # And the first search stays small: files Pagefind fetched, as stored (index files are gzip already).
    fetched = sum(Path(p).stat().st_size for p in found["fetched"])
    assert fetched < 300 * 1024


@needs_node
def test_words_typed_together_find_a_project_holding_them_apart(shixian_site):
    """Chinese is typed without spaces: 饮水工程 is two words the project's name holds apart (…农村饮水安全巩固提升工程);
    it used to find nothing, as the query was looked for as typed. A run of characters the segmenter leaves single
    stays together (整改中), and a query whose words no page holds all of still finds nothing."""
    found = {r["query"]: r for r in search.probe(shixian_site, ["饮水工程", "食堂设备", "蔬菜基地", "量子纠缠火锅"])}
    for query, words in {"饮水工程": ("饮水", "工程"), "食堂设备": ("食堂", "设备"), "蔬菜基地": ("蔬菜", "基地")}.items():
        projects = [r["title"] for r in found[query]["results"] if r["url"].startswith("/projects/")]
        assert projects, f"搜索“{query}”没有找到项目：{found[query]['results']}"
        assert all(query not in t and all(w in t for w in words) for t in projects), projects
    assert found["量子纠缠火锅"]["total"] == 0


# (page text, query part, whether the page holds it): the search box's rule, run in Node as the box runs it
HOLDS = [
    ("黄桷镇农村饮水安全巩固提升工程", "饮水工程", True),  # two words the name holds apart
    ("黄桷镇农村饮水安全巩固提升工程", "黄桷镇饮水", True),  # 黄 + 桷 + 镇 to the segmenter: kept together
    ("黄桷镇农村饮水安全巩固提升工程", "饮水，工程", True),  # punctuation is a break
    ("黄桷镇农村饮水安全巩固提升工程", "量子纠缠火锅", False),
    ("黄桷镇农村饮水安全巩固提升工程", "镇饮水", False),  # one character alone goes with the word beside it
    ("示例县人民医院", "县医院", False),
    ("整改2020-0001 来源：评价2019-0005", "整改2019-0001", False),  # a record number is looked for as typed
    ("整改2019-0001 来源：评价2019-0005", "整改2019-0001", True),
    ("川财绩〔2019〕14号；2018年度", "川财绩〔2018〕14号", False),  # so is a 文号
    ("整改 中", "整改中", False),
    ("饮水", "饮水饮水", False),
    ("示例县2023年度报告", "constructor", False),  # (a memo without a prototype: this used to stop the search)
    ("示例县2023年度报告", "__proto__", False),
]


@needs_node
def test_a_query_part_is_on_the_page_as_typed_or_in_its_chinese_words():
    script = (ROOT / "content" / "assets" / "jx-search.js").read_text(encoding="utf-8")
    probe = ("new Function(require('fs').readFileSync(0, 'utf-8'))(); const c = globalThis.JXSearchCore;"
             f"console.log(JSON.stringify({json.dumps([[t, q] for t, q, _ in HOLDS])}"
             ".map(([t, q]) => c.holds(c.normalise(t), c.normalise(q)))));")
    done = subprocess.run([search.node(), "-e", probe], input=script, capture_output=True, text=True, check=True)
    got = json.loads(done.stdout)
    wrong = [(t, q, want) for (t, q, want), g in zip(HOLDS, got, strict=True) if g != want]
    assert not wrong, wrong


@needs_node
def test_a_rectification_of_a_unit_is_found_by_its_number(shixian_site):
    """整改2023-0001 concerns a unit, not a project: the ledger is the only indexed page holding it (it used to be
    left out of the index, and a reviewer looking up a cited 整改编号 found nothing)."""
    found = search.probe(shixian_site, ["整改2023-0001"])[0]
    assert "/2023/rectifications/" in [r["url"] for r in found["results"]], found["results"]


def bundle_files(bundle: Path) -> dict[str, bytes]:
    return {p.relative_to(bundle).as_posix(): p.read_bytes() for p in sorted(bundle.rglob("*")) if p.is_file()}


def test_index_is_the_one_pagefind_makes_from_the_whole_pages(shixian_site, tmp_path):
    """Pagefind is given only the marked content of each page; what it writes is byte for byte what it writes when
    it is given the whole pages (titles, words, excerpts, anchors, ranking data)."""
    whole = tmp_path / "site"
    shutil.copytree(shixian_site, whole, ignore=shutil.ignore_patterns(search.BUNDLE_DIR))
    with search.Indexer(cut=False) as indexer:
        indexer.finish(whole)
    rebuilt = tmp_path / "cut"
    shutil.copytree(shixian_site, rebuilt, ignore=shutil.ignore_patterns(search.BUNDLE_DIR))
    search.build_index(rebuilt)
    assert bundle_files(rebuilt / search.BUNDLE_DIR) == bundle_files(whole / search.BUNDLE_DIR)


def test_index_fed_during_the_build_is_the_one_made_from_the_site_on_disk(shixian_site, tmp_path):
    """The build hands Pagefind each page as MkDocs writes it; indexing the finished site afterwards gives the same
    page records byte for byte, so no page is missed, changed after it was indexed, or indexed twice. (The word
    index numbers pages in the order they came, MkDocs' order during the build, so only its size is compared.)"""
    after = tmp_path / "site"
    shutil.copytree(shixian_site, after, ignore=shutil.ignore_patterns(search.BUNDLE_DIR))
    search.build_index(after)
    during, later = bundle_files(shixian_site / search.BUNDLE_DIR), bundle_files(after / search.BUNDLE_DIR)

    def part(files, prefix):
        return {k: v for k, v in files.items() if k.startswith(prefix)}

    assert part(during, "fragment/") == part(later, "fragment/") and len(part(during, "fragment/")) > 100
    assert len(part(during, "index/")) == len(part(later, "index/"))
    counts = [json.loads(f["pagefind-entry.json"])["languages"]["zh"]["page_count"] for f in (during, later)]
    assert counts[0] == counts[1] == len(part(during, "fragment/"))
    # Everything else (the search code, filters) is the same file for file; the page list (*.pf_meta) and the
    # entry naming it follow the page order like the word index.
    fixed = [{k: v for k, v in f.items() if not k.startswith(("index/", "pagefind-entry")) and not k.endswith(".pf_meta")}
             for f in (during, later)]
    assert fixed[0] == fixed[1]


def test_the_whole_pages_are_what_the_pagefind_command_indexes(tmp_path):
    """Our service client gives Pagefind the same pages its own command would read from the folder."""
    site = tmp_path / "site"
    for rel, body in (("a/index.html", "<p>环城西路消防营房改造</p>"), ("b/index.html", "<h2 id=\"x\">绩效</h2><p>蔬菜基地</p>")):
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(PAGE.format(body=body, tail=""), encoding="utf-8")
    (site / "404.html").write_text("<html><head></head><body><h1>404</h1></body></html>", encoding="utf-8")
    cli = tmp_path / "cli"
    subprocess.run([str(search.executable()), "--site", str(site), "--output-path", str(cli), "--silent"],
                   check=True, capture_output=True)
    for name in search.UNUSED_UI:
        (cli / name).unlink(missing_ok=True)
    ours = search.build_index(site)
    assert sorted(fragments(site)) == ["/a/", "/b/"]
    assert {k: v for k, v in bundle_files(ours).items() if k.startswith("fragment/")} == {
        k: v for k, v in bundle_files(cli).items() if k.startswith("fragment/")}


PAGE = ("<!doctype html><html lang=\"zh\" class=\"no-js\"><head><meta charset=\"utf-8\"><title>页 - 站</title>"
        "<script>var s = '<div>';</script></head><body><header><nav>历年公开一览</nav></header>"
        "<article><div data-pagefind-body>\n<!-- <div> -->{body}</div><footer>页脚</footer></article>{tail}</body></html>")


def cut(body: str, tail: str = "") -> str | None:
    out = search.cut_page(PAGE.format(body=body, tail=tail).encode())
    return None if out is None else out.decode()


def test_a_page_is_cut_down_to_its_marked_content():
    out = cut("<h1 id=\"t\">标题</h1><div class=\"a\"><div>正文</div></div>")
    assert out == ("<!doctype html><html lang=\"zh\" class=\"no-js\"><head><meta charset=\"utf-8\"><title>页 - 站</title>"
                   "</head><body><div data-pagefind-body>\n<!-- <div> --><h1 id=\"t\">标题</h1>"
                   "<div class=\"a\"><div>正文</div></div></div></body></html>")


def test_ignored_elements_are_emptied_but_keep_their_tags():
    out = cut("<h1>标题</h1><div id=\"jx-list\"><table data-pagefind-ignore id=\"x\"><tr><td>长表</td></tr></table>"
              "</div><p>保留</p><section data-pagefind-ignore=\"all\"><div><div>也去掉</div></div></section><p>尾</p>")
    assert "长表" not in out and "也去掉" not in out
    assert ("<div id=\"jx-list\"><table data-pagefind-ignore id=\"x\"></table></div><p>保留</p>"
            "<section data-pagefind-ignore=\"all\"></section><p>尾</p>") in out


def test_parts_pagefind_reads_anyway_are_not_cut():
    # Meta or a heading inside an ignored element: Pagefind reads them, so that element stays whole.
    out = cut("<p>正文</p><div data-pagefind-ignore><span data-pagefind-meta=\"date\">2024</span></div>")
    assert "data-pagefind-meta" in out and "历年公开一览" not in out
    # Meta, a heading or an image outside the body: the page goes whole.
    page = PAGE.format(body="<p>正文</p>", tail="<img src=\"x.png\">").encode()
    assert search.cut_page(page) is page
    page = PAGE.format(body="<p>正文</p>", tail="<span data-pagefind-filter=\"年度\">2024</span>").encode()
    assert search.cut_page(page) is page
    # An unclosed body: the page goes whole.
    page = PAGE.format(body="<div>", tail="").encode()
    assert search.cut_page(page) is page


def test_pages_without_a_marked_body_are_left_out(tmp_path):
    assert search.cut_page(b"<html><head><title>404</title></head><body><h1>404</h1></body></html>") is None
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "a" / "index.html").write_text(PAGE.format(body="<p>正文</p>", tail=""), encoding="utf-8")
    (site / "404.html").write_text("<html><head></head><body><h1>404</h1></body></html>", encoding="utf-8")
    search.build_index(site)
    assert sorted(fragments(site)) == ["/a/"]


def test_the_bundle_replaces_the_previous_one_whole(tmp_path):
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "a" / "index.html").write_text(PAGE.format(body="<p>正文</p>", tail=""), encoding="utf-8")
    (site / search.BUNDLE_DIR / "fragment").mkdir(parents=True)
    (site / search.BUNDLE_DIR / "fragment" / "zh_old.pf_fragment").write_bytes(b"stale")
    bundle = search.build_index(site)
    assert not (bundle / "fragment" / "zh_old.pf_fragment").exists()
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    meta = entry["languages"]["zh"]["hash"]
    assert (bundle / f"pagefind.{meta}.pf_meta").is_file() and (bundle / "pagefind.js").is_file()
    assert not any((bundle / name).exists() for name in search.UNUSED_UI)


def test_a_site_without_marked_bodies_is_indexed_whole(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<html lang=\"zh\"><head><title>首页</title></head><body><h1>首页</h1>"
                                     "<p>环城西路</p></body></html>", encoding="utf-8")
    search.build_index(site)
    assert sorted(fragments(site)) == ["/"]


def test_a_failed_build_leaves_no_pagefind_running():
    with pytest.raises(RuntimeError), search.Indexer() as indexer:
        indexer.add("a/index.html", PAGE.format(body="<p>正文</p>", tail="").encode("utf-8"))
        raise RuntimeError("MkDocs 失败")
    assert indexer._proc.poll() is not None


def test_a_page_pagefind_cannot_take_fails_the_index(tmp_path):
    """Pagefind's errors stop the build with its message instead of leaving a site with a partial index."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(PAGE.format(body="<p>正文</p>", tail=""), encoding="utf-8")
    with search.Indexer() as indexer:
        indexer._request({"type": "AddFile", "index_id": 999, "file_path": "x.html", "url": None,
                          "file_contents": "<html></html>"})
        with pytest.raises(search.SearchIndexError, match="Pagefind"):
            indexer.finish(site)


@needs_node
def test_a_unit_searched_by_name_comes_first_with_its_own_page(shixian_site):
    """Every unit, by its full name and by its name without the county's (教育局, 第一中学): readers type the short
    one. On the ten-year archive, 水利局 used to list the unit 62nd, behind its year pages and projects naming it."""
    units = {}
    for page in sorted((shixian_site / "departments").glob("*/index.html")):
        units[f"/departments/{page.parent.name}/"] = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").h1.get_text(strip=True)
    assert len(units) >= 25
    queries = [(url, q) for url, name in units.items() for q in (name, name.removeprefix("示例县"))]
    found = search.probe(shixian_site, [q for _, q in queries])
    wrong = [(q, [r["url"] for r in f["results"][:3]]) for (url, q), f in zip(queries, found, strict=True)
             if not f["results"] or f["results"][0]["url"] != url]
    assert not wrong


@needs_node
def test_unit_year_pages_are_left_out_of_search(shixian_site):
    """A unit's year page lists records found on the year's lists and on project pages, and the unit's own page links
    it; indexed, these pages came before the year's own pages for 事前绩效评估 (a heading of every one of them)."""
    unit_year, generic = search.probe(shixian_site, ["水利局 2023", "事前绩效评估"])
    assert unit_year["results"][0]["url"] == "/departments/999005/"
    assert generic["results"][0]["url"].endswith("/exante/")
    indexed = fragments(shixian_site)
    assert "/departments/999005/" in indexed and "/projects/" in "".join(indexed)
    assert not [url for url in indexed if url.count("/") > 3 and url.startswith("/departments/")]


@needs_node
def test_a_page_title_typed_finds_that_page_first(shixian_site):
    """The box puts pages whose title holds the query first (pagefind/titles.json, written with the index): in
    Chromium, Pagefind alone found nothing for 2023年整改台账, the title of a page."""
    titles = json.loads((shixian_site / "pagefind" / "titles.json").read_text(encoding="utf-8"))
    by_url = {url: title for title, url in titles}
    assert by_url["2023/rectifications/"] == "2023年整改台账" and by_url["departments/999005/"] == "示例县水利局"
    assert set(by_url) == {url.lstrip("/") for url in fragments(shixian_site)}  # exactly the pages indexed
    for query, url in (("2023年整改台账", "/2023/rectifications/"), ("数据说明", "/data-dictionary/")):
        found = search.probe(shixian_site, [query])[0]["results"]
        assert found[0]["url"] == url, (query, found[:3])
