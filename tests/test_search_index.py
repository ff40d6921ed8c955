"""Site search: Pagefind's index is built with the site, segments Chinese, and the search box uses Material's markup.

Queries run Pagefind's own JS (generator/search.py probe, in Node) when Node is available; the fragment checks
below need only Python and read what Pagefind stored for each page.
"""

from __future__ import annotations

import gzip
import json
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
