"""Page weight (issue 6): the theme's chrome without indentation, department pages that do not grow with years."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.mkdocs_plugin import squeeze_chrome


def test_squeeze_chrome_leaves_the_article_and_preformatted_text_alone():
    article = '<article class="x">\n    <pre>\n  code\n    kept</pre>\n\n   text\n</article>'
    page = ('<html>\n  <head>\n    <script>var a = `\n   x`;</script>\n  </head>\n  <body>\n\n    <textarea>\n  t'
            "</textarea>\n    <span>\n      标题\u3000\n    </span>\n" + article + "\n  <footer>\n    底部\n  </footer>\n</html>")
    out = squeeze_chrome(page)
    assert article in out
    assert "<script>var a = `\n   x`;</script>" in out and "<textarea>\n  t</textarea>" in out
    assert "<span>\n标题\u3000\n</span>" in out  # a full-width space is text, not indentation
    assert out.endswith("</article>\n<footer>\n底部\n</footer>\n</html>")
    assert squeeze_chrome("<p>\n   no article</p>") == "<p>\n   no article</p>"


@pytest.mark.slow
def test_built_chrome_has_no_indentation(example_site: Path):
    for page in sorted(example_site.rglob("*.html"))[:40]:
        html = page.read_text(encoding="utf-8")
        if "<article" not in html:
            continue
        chrome = html[:html.index("<article")] + html[html.rindex("</article>"):]
        chrome = re.sub(r"<(pre|textarea|script)\b.*?</\1>", "", chrome, flags=re.S)
        assert not re.search(r"\n[ \t]", chrome), page


@pytest.mark.slow
def test_department_page_links_its_years_which_hold_the_records(shixian_site: Path):
    for dept in sorted((shixian_site / "departments").glob("*/index.html")):
        html = dept.read_text(encoding="utf-8")
        years = sorted(p.parent.name for p in dept.parent.glob("*/index.html"))
        assert years, dept
        for year in years:
            assert re.search(rf'<a href="{year}/">{year}年(（草稿）)?</a>', html)  # the comparison's year cell
            sub = (dept.parent / year / "index.html").read_text(encoding="utf-8")
            assert '<a href="../">' in sub and f'<a href="../../../{year}/">' in sub
        # Records of single years are on the year pages: the department page keeps what spans years.
        captions = re.findall(r"<caption>(.*?)</caption>", html)
        assert set(captions) <= {"历年对比", "项目", "未完成的整改"}, captions


@pytest.mark.slow
def test_navigation_rendered_once_for_pages_outside_it_is_what_each_page_would_render(shixian_site: Path, tmp_path,
                                                                                       monkeypatch):
    """Pages outside the navigation reuse its HTML (generator/mkdocs_plugin.py); a build that renders it for every
    page gives every page byte for byte."""
    from generator import mkdocs_plugin
    from tests.conftest import ROOT, build_site

    monkeypatch.setattr(mkdocs_plugin, "cache_nav_outside_it", lambda env: None)
    each = build_site(ROOT / "examples" / "shixian" / "data", tmp_path / "site")

    def pages(site: Path) -> dict[str, bytes]:
        return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*.html")
                if p.relative_to(site).parts[0] != "pagefind"}

    cached, rendered = pages(shixian_site), pages(each)
    assert cached.keys() == rendered.keys()
    assert len([k for k in cached if k.startswith(("projects/", "departments/"))]) > 20  # pages outside the nav
    different = [k for k in cached if cached[k] != rendered[k]]
    assert different == []
