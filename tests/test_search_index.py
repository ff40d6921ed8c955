"""Site search: Pagefind's index is built with the site, segments Chinese, and the search box uses Material's markup.

Queries run Pagefind's own JS (generator/search.py probe, in Node) when Node is available; the fragment checks
below need only Python and read what Pagefind stored for each page.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from generator import search
from tests.conftest import ROOT, build_site

pytestmark = pytest.mark.slow

needs_node = pytest.mark.skipif(search.node() is None, reason="需要 Node.js 运行 Pagefind 的检索代码")


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
    for result in search.probe(example_site, ["消防", "环城西路", "第三方"]):
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


def bundle_files(bundle: Path) -> dict[str, bytes]:
    return {p.relative_to(bundle).as_posix(): p.read_bytes() for p in sorted(bundle.rglob("*")) if p.is_file()}


def test_index_is_the_one_pagefind_makes_from_the_whole_pages(shixian_site, tmp_path):
    """Pagefind is given only the marked content of each page; what it writes is byte for byte what it writes when
    it reads the whole pages itself (titles, words, excerpts, anchors, ranking data)."""
    whole = tmp_path / "site"
    shutil.copytree(shixian_site, whole, ignore=shutil.ignore_patterns(search.BUNDLE_DIR))
    subprocess.run([str(search.executable()), "--site", str(whole), "--output-subdir", search.BUNDLE_DIR, "--silent"],
                   check=True, capture_output=True)
    for name in search.UNUSED_UI:
        (whole / search.BUNDLE_DIR / name).unlink(missing_ok=True)
    assert bundle_files(shixian_site / search.BUNDLE_DIR) == bundle_files(whole / search.BUNDLE_DIR)


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
    assert search.write_index_input(site, tmp_path / "in") == 1
    assert sorted(p.relative_to(tmp_path / "in").as_posix() for p in (tmp_path / "in").rglob("*.html")) == [
        "a/index.html"]
