"""The public site beyond the year report (issue 4): archive and freezing, departments, project lifecycle,
trackers, charts, government-site conventions. Built from the rich fixture data, read back from the HTML."""

from __future__ import annotations

import csv
import io
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from generator import cli, pipeline
from tests.conftest import FIXTURES, ROOT, build_site

pytestmark = pytest.mark.slow

RICH = FIXTURES / "rich_data"


def soup(site: Path, rel: str) -> BeautifulSoup:
    return BeautifulSoup((site / rel).read_text(encoding="utf-8"), "html.parser")


def article(site: Path, rel: str):
    return soup(site, rel).find("article")


def resolve(site: Path, page_rel: str, href: str) -> tuple[Path, str | None]:
    """The built file an href on a page points to, and its #fragment."""
    page_dir = (site / page_rel).parent
    path, _, frag = href.partition("#")
    path = path.partition("?")[0]  # (a list opened with its filters set: ?status=整改中)
    target = (page_dir / path).resolve() if path else (site / page_rel).resolve()
    if target.is_dir():
        target = target / "index.html"
    return target, frag or None


@pytest.fixture(scope="module")
def rich_site(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("rich") / "data"
    shutil.copytree(RICH, data)
    exante = data / "2024" / "exante.csv"
    exante.write_text(exante.read_text(encoding="utf-8").rstrip("\n") +
                      "\n事前2024-9,P2024-001,示例县义务教育营养餐示例项目,示例县教育局,示例评估咨询有限公司,予以支持,"
                      "320.50,320.50,2024-01-10,是,是\n", encoding="utf-8")
    report = data / "2024" / "report.yaml"
    report.write_text(report.read_text(encoding="utf-8").replace("事前评估项目数: 2", "事前评估项目数: 3")
                      .replace("事前评估涉及部门数: 2", "事前评估涉及部门数: 3"), encoding="utf-8")
    return build_site(data, data.parent / "site")


def test_every_year_has_its_stable_address_and_archive_entry(rich_site):
    assert (rich_site / "2024" / "index.html").exists()
    rows = article(rich_site, "archive/index.html").find("tbody").find_all("tr")
    cells = [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in rows]
    assert cells[0][0] == "2024" and cells[0][2] == "已发布" and cells[0][3] == "2024-12-25"
    # A table like the others for screen readers: a caption and column headers.
    table = article(rich_site, "archive/index.html").find("table")
    assert table.find("caption").get_text(strip=True) == "历年公开的年度报告"
    assert [th.get("scope") for th in table.find("thead").find_all("th")] == ["col"] * 5


def test_year_page_has_metadata_block(rich_site):
    meta = article(rich_site, "2024/index.html").find("table")
    heads = [th.get_text(strip=True) for th in meta.find_all("th")]
    assert heads == ["索引号", "发布机构", "文号", "成文日期", "发布日期"]


def test_project_page_links_all_six_lifecycle_steps(rich_site):
    page = "projects/P2024-001/index.html"
    links = [a["href"] for a in article(rich_site, page).select("ol.jx-lifecycle div.jx-step > a")]
    sections = {re.search(r"2024/(\w+)/", h).group(1) for h in links}
    assert sections == {"goals", "exante", "monitoring", "evaluations", "rectifications", "applications"}
    for href in links:
        target, frag = resolve(rich_site, page, href)
        assert target.exists(), href
        assert BeautifulSoup(target.read_text(encoding="utf-8"), "html.parser").find(id=frag) is not None, href


def test_project_page_orders_lifecycle_by_spending_year(rich_site):
    art = article(rich_site, "projects/P2024-001/index.html")
    years = [h.get_text(strip=True) for h in art.find_all("h3")]
    assert years == ["2024年度资金", "2023年度资金"]  # the 2024 evaluation judged 2023 spending
    cycle_2023 = art.find("h3", string="2023年度资金").find_next("ol")
    assert "评价2024-3" in cycle_2023.get_text() and "89.14" in cycle_2023.get_text()


def test_department_page_shows_scores_rectifications_and_budget_effects(rich_site):
    index = article(rich_site, "departments/index.html")
    link = next(a for a in index.find_all("a") if a.get_text(strip=True) == "示例县卫生健康局")
    target, _ = resolve(rich_site, "departments/index.html", link["href"])
    dept = BeautifulSoup(target.read_text(encoding="utf-8"), "html.parser").find("article")
    captions = [c.get_text(strip=True) for c in dept.find_all("caption")]
    assert {"历年对比", "项目", "未完成的整改"} <= set(captions)
    open_rows = dept.find("caption", string="未完成的整改").find_parent("table").find("tbody").find_all("tr")
    assert {tr.find_all("td")[4].get_text(strip=True) for tr in open_rows} <= {"整改中", "未整改"}
    # Each year of the comparison opens the department's records of that year: scores, rectifications, and
    # what the evaluations did to the budget.
    years = dept.find("caption", string="历年对比").find_parent("table").find("tbody").find_all("tr")
    seen = set()
    for tr in years:
        link = tr.find("td").find("a")
        year_page, _ = resolve(rich_site, target.relative_to(rich_site).as_posix(), link["href"])
        assert year_page.parent.parent == target.parent and year_page.parent.name == link.get_text()[:4]
        page = BeautifulSoup(year_page.read_text(encoding="utf-8"), "html.parser").find("article")
        assert "示例县卫生健康局" in page.find("h1").get_text()
        seen |= {c.get_text(strip=True).split("年", 1)[1] for c in page.find_all("caption")}
        seen.add(page.get_text())
    assert {"绩效评价", "整改", "结果应用（对预算的影响）"} <= seen
    assert any("削减" in text and "50.00" in text for text in seen)


def test_rectification_tracker_is_filterable_and_flags_overdue(rich_site):
    page = article(rich_site, "2024/rectifications/index.html")
    assert page.find("form", class_="jx-filter") is not None
    rows = page.find("div", id="jx-list").find("tbody").find_all("tr")
    assert all(tr.has_attr("data-status") and tr.has_attr("data-dept") for tr in rows)
    # as of 2024-12-31: 整改2024-3 (deadline 2024-10-31, 未整改) is overdue; 整改2024-1 finished in time
    by_id = {tr.find("td").get_text(strip=True).replace("示例", ""): tr for tr in rows}
    assert by_id["整改2024-3"]["data-overdue"] == "逾期"
    assert by_id["整改2024-1"]["data-overdue"] == "否"


def test_grade_and_status_shares_add_up_to_exactly_100(rich_site):
    for rel, caption in (("2024/index.html", "2024年绩效评价等级分布"), ("2024/index.html", "2024年整改状态")):
        table = article(rich_site, rel).find("caption", string=caption).find_parent("table")
        shares = [Decimal(tr.find_all("td")[2].get_text(strip=True).rstrip("%"))
                  for tr in table.find("tbody").find_all("tr")]
        assert sum(shares) == Decimal("100.00")


def test_charts_are_inline_svg_with_a_text_alternative(rich_site):
    page = article(rich_site, "2024/index.html")
    svgs = page.find_all("svg")
    assert len(svgs) >= 3
    for svg in svgs:
        assert svg.get("role") == "img" and svg.find("title") is not None and svg.find("desc") is not None
    assert not page.find_all("script")


def test_table_downloads_match_the_table(rich_site):
    page = "2024/index.html"
    table = article(rich_site, page).find("caption", string="2024年项目金额（按预算类型）").find_parent("table")
    link = table.find_parent("div").find_next("p", class_="jx-table-download").a
    target, _ = resolve(rich_site, page, link["href"])
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    shown = [[td.get_text(strip=True) for td in tr.find_all(["td"])] for tr in table.find("tbody").find_all("tr")]
    assert rows[0] == [th.get_text(strip=True) for th in table.find("thead").find_all("th")]
    assert rows[1:1 + len(shown)] == shown


def test_footer_shows_configured_site_identity(rich_site):
    footer = soup(rich_site, "index.html").find("div", class_="jx-footer")
    items = {dt.get_text(strip=True): dt.find_next("dd").get_text(strip=True) for dt in footer.find_all("dt")}
    assert items["主办单位"] == "示例县财政局"
    assert items["联系方式"] == "示例县财政局绩效股"
    assert items["网站标识码"] == "—"
    assert set(items) == {"主办单位", "联系方式", "网站标识码", "ICP备案号", "公安机关备案号", "党政机关网站标识"}


def test_large_text_toggle_and_print_layout_exist(rich_site):
    page = soup(rich_site, "2024/index.html")
    button = page.find(id="jx-large-text")
    assert button is not None and button.name == "button" and button.get("aria-pressed") == "false"
    css = (rich_site / "assets" / "jx.css").read_text(encoding="utf-8")
    assert "html.jx-large .md-typeset" in css and "@media print" in css


def test_nav_has_constant_size_regardless_of_records(rich_site):
    nav = soup(rich_site, "projects/P2024-001/index.html").select("nav.md-nav--primary a.md-nav__link")
    hrefs = [a.get("href", "") for a in nav]
    assert not any("projects/P" in h for h in hrefs)
    assert len(nav) < 50


# --- freezing published years -----------------------------------------------------------------


@pytest.fixture
def project_root(tmp_path) -> Path:
    """A private copy of the project (config, hand-written pages, rich data) where default builds may write."""
    root = tmp_path / "proj"
    root.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(ROOT / "content", root / "content", ignore=shutil.ignore_patterns("generated"))
    if (ROOT / "overrides").exists():
        shutil.copytree(ROOT / "overrides", root / "overrides")
    shutil.copytree(RICH, root / "data")
    return root


def _codes(root: Path) -> set[tuple[str, str]]:
    _, report = pipeline.validate(root / "data")
    return {(p.code, p.file) for p in report.errors}


def test_published_year_is_frozen_and_changes_need_an_erratum(project_root, capsys):
    paths = pipeline.Paths(project_root)
    pipeline.build(paths, quiet=True)
    frozen = (project_root / "data" / "frozen.yaml").read_text(encoding="utf-8")
    assert "2024:" in frozen and "更正条数: 0" in frozen

    projects = project_root / "data" / "2024" / "projects.csv"
    projects.write_text(projects.read_text(encoding="utf-8").replace("示例县第一示例中学", "示例县第二示例中学"),
                        encoding="utf-8")
    assert ("frozen-year-changed", "data/2024/report.yaml") in _codes(project_root)
    assert cli.main(["--root", str(project_root), "validate"]) == 1
    site_before = (project_root / "site" / "2024" / "index.html").read_bytes()
    assert cli.main(["--root", str(project_root), "build", "--quiet"]) == 1
    assert (project_root / "site" / "2024" / "index.html").read_bytes() == site_before

    report = project_root / "data" / "2024" / "report.yaml"
    report.write_text(report.read_text(encoding="utf-8").rstrip("\n") +
                      "\n更正说明:\n  - 日期: 2025-01-10\n    说明: 更正示例县义务教育营养餐示例项目的实施单位\n"
                      "    变更内容: 实施单位由示例县第一示例中学更正为示例县第二示例中学\n", encoding="utf-8")
    assert _codes(project_root) == set()
    pipeline.build(paths, quiet=True)
    assert "更正条数: 1" in (project_root / "data" / "frozen.yaml").read_text(encoding="utf-8")
    page = article(project_root / "site", "2024/index.html")
    errata = page.find("caption", string="更正说明").find_parent("table").find("tbody").get_text()
    assert "2025-01-10" in errata and "示例县第二示例中学" in errata
    assert "1 次" in article(project_root / "site", "archive/index.html").get_text()


def test_unchanged_pages_keep_their_mtime_after_one_record_changes(project_root):
    paths = pipeline.Paths(project_root)
    pipeline.build(paths, quiet=True)
    generated = project_root / "content" / "generated"
    before = {p: p.stat().st_mtime_ns for p in generated.rglob("*") if p.is_file()}
    report = project_root / "data" / "2024" / "report.yaml"
    text = report.read_text(encoding="utf-8")
    assert "更正说明" not in text
    report.write_text(text.rstrip("\n") + "\n更正说明:\n  - 日期: 2025-02-01\n    说明: 补充说明\n"
                      "    变更内容: 补充说明，数据未改\n", encoding="utf-8")
    pipeline.build(paths, quiet=True)
    changed = {p.relative_to(generated).as_posix() for p, t in before.items() if p.stat().st_mtime_ns != t}
    assert "2024/index.md" in changed
    assert "projects/P2024-001.md" not in changed and "departments/index.md" not in changed
    assert len(changed) < len(before) / 4
