"""No broken link anywhere: every internal href/src of every built page reaches a file, and its #anchor exists.

Read from the HTML files without a browser, so it covers every page of the site in seconds; the browser crawl in
test_paths.py adds what only a browser sees (assets the pages really load).
"""

from __future__ import annotations

import pytest

from tests.browser.siteindex import SiteIndex

pytestmark = pytest.mark.slow


def test_checker_finds_missing_files_and_anchors(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text(
        '<h1 id="top">首页</h1><a href="a/">甲</a><a href="a/#x">锚点</a><a href="a/#nope">坏锚点</a>'
        '<a href="b/">缺页</a><img src="/logo.png"><a href="#top">本页</a><a href="https://example.org/">外站</a>'
        '<a href="mailto:x@example.org">信</a>', encoding="utf-8")
    (tmp_path / "a" / "index.html").write_text('<h2 id="x">甲</h2><a href="../#gone">回</a>', encoding="utf-8")
    broken = SiteIndex(tmp_path).broken_links()
    assert sorted(broken) == sorted([
        "/: <a> a/#nope -> /a/ 中没有锚点 #nope",
        "/: <a> b/ -> 文件不存在 /b/",
        "/: <img> /logo.png -> 文件不存在 /logo.png",
        "/a/: <a> ../#gone -> / 中没有锚点 #gone",
    ])


def test_every_link_of_the_bundled_example_resolves(example_site):
    index = SiteIndex(example_site)
    assert len(index.pages) >= 5, f"只找到 {len(index.pages)} 个页面"
    broken = index.broken_links()
    assert not broken, f"{len(broken)} 个失效链接：\n" + "\n".join(broken)


def test_every_link_of_the_multi_year_example_resolves(shixian):
    broken = shixian.index.broken_links()
    assert not broken, f"{len(broken)} 个失效链接：\n" + "\n".join(broken[:200])
