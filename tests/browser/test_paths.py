"""The paths people take through the site, clicked in the browser, and the files they download."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from tests.browser.conftest import lacks
from tests.browser.ui import follow, heading, link_to, unfold_navigation

pytestmark = pytest.mark.browser

SHA256_LINE = re.compile(r"^([0-9a-fA-F]{64})\s+\*?(.+)$")


def test_home_to_latest_year_to_a_section(browsing, any_site):
    page = browsing.page
    year = any_site.latest_year
    browsing.goto(any_site.url("/"))
    follow(page, f"/{year}/", within="article", why="首页应链接最新一期年度报告")
    assert year in heading(page)
    # The section a reader looks for most: 事前绩效评估, picked from the page's own table of contents.
    # The theme writes the table of contents twice (sidebar and folded into the menu): take the visible one.
    toc = page.locator(".md-nav--secondary a.md-nav__link").filter(visible=True)
    assert toc.count() >= 5, "年度报告页应有目录（各节标题）"
    entry = toc.filter(has_text="事前绩效评估").first if toc.filter(has_text="事前绩效评估").count() else toc.first
    wanted = entry.inner_text().strip()
    entry.click()
    page.wait_for_function("() => location.hash.length > 1")
    fragment = unquote(urlsplit(page.url).fragment)
    target = page.locator(f"[id='{fragment}']")
    assert target.count() == 1, f"目录项「{wanted}」指向的锚点 #{fragment} 不在页面上"
    assert "".join(wanted.split()) in "".join(target.inner_text().split())
    page.wait_for_function("""id => { const r = document.getElementById(id).getBoundingClientRect();
                                      return r.top >= 0 && r.top < innerHeight; }""", arg=fragment)


def test_project_lifecycle_to_department_to_another_year(browsing, any_site):
    site = any_site
    pages = site.key_pages()
    if pages["project"] is None:
        lacks(site, "项目页面（生命周期）")
    page = browsing.page
    browsing.goto(site.url(f"/{site.latest_year}/"))
    # A project named in the latest report, whose name links to its lifecycle page.
    for name in site.data.projects:
        target = site.index.linked_page(name)
        if target and link_to(page, target, text=name):
            break
    else:
        pytest.fail(f"/{site.latest_year}/ 上没有通往项目页面的项目名称链接，读者无法从年度报告到达项目生命周期")
    follow(page, target, text=name, why="项目名称应链接项目生命周期页")
    assert name in heading(page)
    text = page.locator("article").inner_text()
    missing = [step for step in ("绩效目标", "事前", "监控", "评价", "整改", "结果应用") if step not in text]
    assert not missing, f"项目页面 {target} 缺少生命周期环节：{missing}"
    for department in site.data.departments:
        department_page = site.index.linked_page(department)
        if department_page and link_to(page, department_page, text=department, within="article"):
            break
    else:
        pytest.fail(f"项目页面 {target} 上没有通往其主管部门页面的链接")
    follow(page, department_page, text=department, within="article", why="项目页应链接其部门")
    assert department in heading(page)
    others = [y for y in site.data.years if y != site.latest_year]
    if not others:
        return  # a one-year site has no other year to go to
    # Another year's report: linked from the department's own figures, or else from the site menu.
    for within in ("article", "body"):
        if within == "body":
            unfold_navigation(page, "历年公开")
        for year in reversed(others):
            if link_to(page, f"/{year}/", within=within):
                follow(page, f"/{year}/", within=within, why="部门页应能到达其他年度")
                assert year in heading(page)
                return
    pytest.fail(f"部门页面 {department_page} 上没有通往其他年度（{others}）报告的链接")


def test_archive_lists_every_year(browsing, any_site):
    archive = any_site.key_pages()["archive"]
    assert archive, "网站应有“历年公开”页面"
    page = browsing.page
    browsing.goto(any_site.url("/"))
    if link_to(page, archive) is None:
        unfold_navigation(page, "历年公开")  # the menu keeps 历年公开 folded
    follow(page, archive, why="导航应能到达历年公开页面")
    missing = [year for year in any_site.data.years if link_to(page, f"/{year}/", within="article") is None]
    assert not missing, f"历年公开页面 {archive} 没有列出这些年度：{missing}"


def parse_download(name: str, body: bytes, fetch) -> str:
    """Parse a downloaded file by its type; returns a short description, raises when it does not parse."""
    suffix = name.rsplit(".", 1)[-1].lower()
    if suffix == "csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert rows and all(cell.strip() for cell in rows[0]), f"{name}：CSV 首行应为非空表头"
        assert len({len(row) for row in rows}) == 1, f"{name}：CSV 各行列数不一致"
        return f"CSV {len(rows) - 1} 行"
    if suffix == "json":
        data = json.loads(body.decode("utf-8"))
        for resource in data.get("resources", []) if isinstance(data, dict) else []:
            if isinstance(resource.get("path"), str):
                assert fetch(resource["path"]), f"{name}：数据包列出的文件 {resource['path']} 无法下载"
        return "JSON"
    if suffix == "xlsx":
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body), read_only=True)
        assert book.sheetnames and next(book.worksheets[0].iter_rows(values_only=True), None), f"{name}：工作簿为空"
        return f"XLSX {len(book.sheetnames)} 个工作表"
    if suffix == "zip":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            assert archive.testzip() is None and archive.namelist(), f"{name}：压缩包损坏或为空"
        return "ZIP"
    text = body.decode("utf-8")
    checked = 0
    for line in filter(None, map(str.strip, text.splitlines())):
        match = SHA256_LINE.match(line)
        if match:
            listed = fetch(match.group(2))
            assert listed is not None, f"{name}：校验清单中的 {match.group(2)} 无法下载"
            assert hashlib.sha256(listed).hexdigest() == match.group(1).lower(), f"{name}：{match.group(2)} 的 SHA-256 不符"
            checked += 1
    return f"文本，核对了 {checked} 个校验值"


def test_download_links_return_files_that_parse(browsing, any_site):
    downloads = any_site.index.downloads()
    if not downloads:
        lacks(any_site, "数据下载链接")
    page = browsing.page
    browsing.goto(any_site.url(f"/{any_site.latest_year}/"))

    def fetch_from(base: str):
        def fetch(relative: str) -> bytes | None:
            response = page.request.get(urljoin(base, relative))
            return response.body() if response.ok else None
        return fetch

    # Every kind of file, and all the files of the latest year: what a reader of that year would take.
    by_kind: dict[str, str] = {}
    for path in downloads:
        by_kind.setdefault(path.rsplit(".", 1)[-1].lower(), path)
    chosen = sorted(set(by_kind.values()) | {p for p in downloads if p.startswith(f"/{any_site.latest_year}/")})
    for path in chosen[:60]:
        url = any_site.url(path)
        response = page.request.get(url)
        assert response.ok, f"下载 {path} 失败：{response.status}"
        parse_download(path, response.body(), fetch_from(url))
