"""Site identity from data/settings.yaml: the published address (网站地址), the 党政机关网站标识 in the footer, and
the pages that depend on them (sitemap, 404)."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from mkdocs.exceptions import Abort

from generator import pipeline
from generator.problems import DataError
from tests.conftest import ROOT

pytestmark = pytest.mark.slow

MARK_URL = "https://bszs.conac.cn/sitename?method=show&id=0123456789ABCDEF"
# A 1×1 PNG, enough to be a file of the site.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000000000200015e2b5f3a0000000049454e44ae426082")


def project(tmp_path: Path, settings: dict[str, str], image: bool = True) -> pipeline.Paths:
    """A copy of the project (configuration, theme overrides, hand-written pages, example data) with ``settings``
    added to data/settings.yaml and, with ``image``, the mark's image in content/assets."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(ROOT / "overrides", root / "overrides")
    shutil.copytree(ROOT / "content", root / "content", ignore=shutil.ignore_patterns("generated"))
    shutil.copytree(ROOT / "data", root / "data")
    if image:
        (root / "content" / "assets" / "dzjg.png").write_bytes(PNG)
    path = root / "data" / "settings.yaml"
    text = path.read_text(encoding="utf-8")
    for key, value in settings.items():
        text, found = re.subn(rf"(?m)^{key}:.*$", f"{key}: {value}", text)
        if not found:
            text += f"{key}: {value}\n"
    path.write_text(text, encoding="utf-8")
    return pipeline.Paths(root, root / "data", tmp_path / "site")


def soup(site: Path, rel: str) -> BeautifulSoup:
    return BeautifulSoup((site / rel).read_text(encoding="utf-8"), "html.parser")


def footer_items(site: Path, rel: str) -> dict:
    footer = soup(site, rel).find("div", class_="jx-footer")
    return {dt.get_text(strip=True): dt.find_next("dd") for dt in footer.find_all("dt")}


def test_configured_address_and_mark(tmp_path):
    paths = project(tmp_path, {"网站地址": "https://czj.example.gov.cn/jxgk", "党政机关网站标识": MARK_URL,
                               "党政机关网站标识图片": "assets/dzjg.png"})
    pipeline.build(paths, strict=True, quiet=True)
    site = paths.site
    for rel in ("index.html", "2023/index.html", "404.html"):
        mark = footer_items(site, rel)["党政机关网站标识"]
        link = mark.find("a")
        assert link["href"] == MARK_URL and link.get("target") is None  # no new window (适老化: no pop-ups)
        image = link.find("img")
        assert image["alt"] == "党政机关网站标识"
        # The image is the site's own file, reached from every page (the 404 page by the site's own path).
        src = image["src"]
        if rel == "404.html":
            assert src == "/jxgk/assets/dzjg.png"
        else:
            assert not re.match(r"^(https?:)?//|^/", src)
            assert ((site / rel).parent / src).resolve() == (site / "assets" / "dzjg.png").resolve()
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://czj.example.gov.cn/jxgk/2023/</loc>" in sitemap
    # In a folder of the host, the 404 page (served for any missing address) still finds the theme's files.
    styles = [link["href"] for link in soup(site, "404.html").find_all("link", rel="stylesheet")]
    assert styles and all(href.startswith("/jxgk/") for href in styles)
    canonical = soup(site, "2023/index.html").find("link", rel="canonical")
    assert canonical["href"] == "https://czj.example.gov.cn/jxgk/2023/"


def test_mark_without_image_is_a_text_link(tmp_path):
    paths = project(tmp_path, {"党政机关网站标识": MARK_URL}, image=False)
    pipeline.build(paths, strict=True, quiet=True)
    mark = footer_items(paths.site, "index.html")["党政机关网站标识"]
    assert mark.find("a")["href"] == MARK_URL and mark.find("img") is None
    assert mark.get_text(strip=True) == "认证信息"


def test_missing_mark_image_stops_the_build_and_says_where(tmp_path, caplog):
    paths = project(tmp_path, {"党政机关网站标识": MARK_URL, "党政机关网站标识图片": "assets/dzjg.png"}, image=False)
    with caplog.at_level(logging.ERROR, logger="mkdocs"), pytest.raises(Abort):
        pipeline.build(paths, strict=True, quiet=True)
    assert "党政机关网站标识图片" in caplog.text and "content/assets/dzjg.png" in caplog.text
    assert not paths.site.exists()  # nothing half-published


@pytest.mark.parametrize(("field", "value"), [("网站地址", "czj.example.gov.cn/jxgk/"),
                                              ("网站地址", "javascript:alert(1)"),
                                              ("党政机关网站标识", "bszs.conac.cn/x"),
                                              ("党政机关网站标识图片", "https://example.com/mark.png")])
def test_bad_address_or_mark_is_reported_in_chinese(tmp_path, field, value):
    paths = project(tmp_path, {field: value}, image=False)
    with pytest.raises(DataError) as caught:
        pipeline.build(paths, strict=True, quiet=True)
    text = caught.value.report.as_text()
    assert field in text and "settings.yaml" in text and value in text


def test_without_an_address_there_is_no_empty_sitemap_and_404_is_chinese(example_site):
    assert not (example_site / "sitemap.xml").exists() and not (example_site / "sitemap.xml.gz").exists()
    page = soup(example_site, "404.html")
    assert page.title.get_text() == "页面不存在 - 岳池县预算绩效管理信息公开"
    assert "页面不存在" in page.find("article").get_text() and "Not found" not in page.get_text()
    mark = footer_items(example_site, "index.html")["党政机关网站标识"]
    assert mark.get_text(strip=True) == "—" and mark.find("a") is None


def test_pages_of_a_draft_year_are_left_out_of_the_sitemap(tmp_path):
    """A draft (草稿) is on the site for review, not offered to search engines as published."""
    from generator import newyear

    paths = project(tmp_path, {"网站地址": "https://czj.example.gov.cn/jxgk"})
    report, _ = newyear.new_year(paths.data, 2024)
    assert report.ok, report.as_text()
    pipeline.build(paths, strict=True, quiet=True)
    assert (paths.site / "2024" / "index.html").exists()
    sitemap = (paths.site / "sitemap.xml").read_text(encoding="utf-8")
    assert sitemap.startswith("<?xml")
    assert "<loc>https://czj.example.gov.cn/jxgk/2023/</loc>" in sitemap
    assert "/jxgk/2024/" not in sitemap


def test_the_shixian_sitemap_leaves_out_what_only_its_draft_year_shows(tmp_path):
    """2024 is a draft: its year pages, its department-year pages and the projects only 2024 has stay out."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "examples" / "shixian" / "data", data)
    path = data / "settings.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "网站地址: https://czj.example.gov.cn/\n", encoding="utf-8")
    site = tmp_path / "site"
    pipeline.build(pipeline.Paths(ROOT, data, site), strict=True, quiet=True)
    locs = re.findall(r"<loc>https://czj\.example\.gov\.cn/([^<]*)</loc>", (site / "sitemap.xml").read_text("utf-8"))
    assert "2023/" in locs and "departments/999001/2023/" in locs
    assert not [u for u in locs if u.startswith("2024/") or re.match(r"departments/[^/]+/2024/", u)]
    pages = {p.name for p in (site / "projects").iterdir() if (p / "index.html").exists()}
    listed = {u.split("/")[1] for u in locs if u.startswith("projects/") and u.count("/") == 2}
    published = {line.split(",")[0] for year in ("2021", "2022", "2023")
                 for line in (data / year / "projects.csv").read_text("utf-8").splitlines()[1:]}
    assert pages - listed == pages - published and pages - published, "projects only 2024 has stay out"
    assert listed == pages & published
