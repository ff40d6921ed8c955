"""The bundled multi-year synthetic example (issue 4): archive, lifecycle, departments, trackers, downloads."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from bs4 import BeautifulSoup

from generator import pipeline
from tests.conftest import ROOT, unfreeze

pytestmark = pytest.mark.slow

SIX = {"goals", "exante", "monitoring", "evaluations", "rectifications", "applications"}


def soup(site, rel) -> BeautifulSoup:
    return BeautifulSoup((site / rel).read_text(encoding="utf-8"), "html.parser")


def resolve(site, page_rel, href):
    path, _, frag = href.partition("#")
    path = path.partition("?")[0]  # (a list opened with its filters set: ?status=整改中)
    target = ((site / page_rel).parent / path).resolve() if path else (site / page_rel)
    return (target / "index.html" if target.is_dir() else target), frag or None


def test_archive_lists_every_year_with_status(shixian_site):
    rows = soup(shixian_site, "archive/index.html").find("article").find("tbody").find_all("tr")
    cells = {tr.find_all("td")[0].get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")]
             for tr in rows}
    assert sorted(cells) == ["2021", "2022", "2023", "2024"]
    assert cells["2024"][2] == "草稿" and cells["2023"][2] == "已发布"
    assert cells["2021"][4] != "无"  # the 2021 report carries an erratum
    for year in cells:
        assert (shixian_site / year / "index.html").exists()
    draft = soup(shixian_site, "2024/index.html").find("article")
    assert "草稿" in draft.find(class_="admonition").get_text()


def test_erratum_is_shown_dated_on_its_year_page(shixian_site):
    table = soup(shixian_site, "2021/index.html").find("caption", string="更正说明").find_parent("table")
    first = [td.get_text(strip=True) for td in table.find("tbody").find("tr").find_all("td")]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", first[0]) and first[1]


def test_some_project_page_links_all_six_steps_and_every_link_lands_on_its_row(shixian_site):
    ids: dict = {}

    def ids_of(path):
        if path not in ids:
            ids[path] = set(re.findall(r'\bid="([^"]+)"', path.read_text(encoding="utf-8")))
        return ids[path]

    complete = []
    for page in sorted((shixian_site / "projects").glob("*/index.html")):
        rel = page.relative_to(shixian_site).as_posix()
        html = page.read_text(encoding="utf-8")
        lifecycle = html[html.index('<ol class="jx-lifecycle">'):html.rindex("</ol>")]
        hrefs = re.findall(r'<div class="jx-step"><a href="([^"]+)"', lifecycle)
        sections = {m.group(1) for h in hrefs if (m := re.search(r"\d{4}/(\w+)/", h))}
        for href in hrefs:
            target, frag = resolve(shixian_site, rel, href)
            assert target.exists(), (rel, href)
            assert frag in ids_of(target), (rel, href)
        if sections == SIX:
            complete.append(rel)
    assert complete, "no project shows the whole chain goal → 事前评估 → 监控 → 评价 → 整改 → 结果应用"


def test_project_and_department_pages_compare_years(shixian_site):
    pages = sorted((shixian_site / "projects").glob("*/index.html"))[:40]
    multi = 0
    for page in pages:
        table = soup(shixian_site, page.relative_to(shixian_site).as_posix()).find("caption", string="历年对比")
        years = [tr.find("td").get_text(strip=True) for tr in table.find_parent("table").find("tbody").find_all("tr")]
        assert years == sorted(years, reverse=True), page  # newest first, as the chain below it
        multi += len(set(years)) >= 3
    assert multi > 10
    dept = next(iter(sorted((shixian_site / "departments").glob("*/index.html"))))
    table = BeautifulSoup(dept.read_text(encoding="utf-8"), "html.parser").find("caption", string="历年对比")
    years = [tr.find("td").get_text(strip=True) for tr in table.find_parent("table").find("tbody").find_all("tr")]
    assert years == sorted(years, reverse=True) and len(years) >= 2  # newest first, as everywhere years are listed


def test_grade_distribution_adds_to_100_every_year(shixian_site):
    for year in ("2021", "2022", "2023"):
        caption = soup(shixian_site, f"{year}/index.html").find("caption", string=f"{year}年绩效评价等级分布")
        rows = caption.find_parent("table").find("tbody").find_all("tr")
        assert sum(Decimal(tr.find_all("td")[2].get_text(strip=True).rstrip("%")) for tr in rows) == Decimal("100.00")


def test_rectification_tracker_rows_carry_filters_and_overdue(shixian_site):
    page = soup(shixian_site, "2023/rectifications/index.html").find("article")
    selects = {s["data-filter"] for s in page.select("form.jx-filter select")}
    assert selects == {"dept", "status", "overdue"}
    rows = page.find(id="jx-list").find("tbody").find_all("tr")
    assert rows and all(tr["data-status"] in {"未整改", "整改中", "已整改"} for tr in rows)
    for tr in rows:
        overdue_cell = tr.find_all("td")[-1].get_text(strip=True)
        assert overdue_cell == tr["data-overdue"]


def test_year_downloads_parse_and_match_checksums(shixian_site):
    data = shixian_site / "2023" / "data"
    sums = {}
    for line in (data / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name.lstrip("*")] = digest
    assert sums
    for name, digest in sums.items():
        assert hashlib.sha256((data / name).read_bytes()).hexdigest() == digest
    package = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    assert {r["path"] for r in package["resources"]} <= set(sums)
    xlsx = next(data.glob("*.xlsx"))
    assert len(openpyxl.load_workbook(xlsx, read_only=True).sheetnames) >= 5


def test_list_page_download_matches_its_table(shixian_site):
    rel = "2023/evaluations/index.html"
    article = soup(shixian_site, rel).find("article")
    table = article.find(id="jx-list").find("table")
    link = article.find(id="jx-list").select_one(".jx-table-download a")
    target, _ = resolve(shixian_site, rel, link["href"])
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    header = [th.get_text(strip=True) for th in table.find("thead").find_all("th")]
    assert rows[0][: len(header)] == header
    shown = [[td.get_text(" ", strip=True) for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")]
    assert len(rows) - 1 == len(shown)
    assert [r[1] for r in rows[1:]] == [s[1] for s in shown]  # 评价类型 column, row by row


def test_changing_a_frozen_year_without_erratum_fails(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "examples" / "shixian" / "data", data)
    _, report = pipeline.validate(data)
    assert report.ok
    departments = data / "2022" / "departments.csv"
    departments.write_bytes(departments.read_bytes().replace("示例县教育局".encode(), "示例县教育和体育局".encode(), 1))
    _, report = pipeline.validate(data)
    changed = [p for p in report.errors if (p.code, p.file) == ("frozen-year-changed", "data/2022/report.yaml")]
    assert changed and "改动的文件：departments.csv；" in changed[0].message  # staff are told where to look


def test_a_published_year_saved_again_unchanged_is_not_a_change(tmp_path):
    """Opening a published CSV in Excel and saving it (BOM, CRLF, every cell quoted, a trailing blank row) or a
    report.yaml with other line endings changes bytes, not content: no erratum is asked for, and the next build
    registers the new bytes."""
    from generator import freeze

    data = tmp_path / "data"
    shutil.copytree(ROOT / "examples" / "shixian" / "data", data)
    projects = data / "2022" / "projects.csv"
    rows = list(csv.reader(io.StringIO(projects.read_text(encoding="utf-8"))))
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows([*rows, [""] * len(rows[0])])
    projects.write_bytes(out.getvalue().encode("utf-8-sig"))
    report_yaml = data / "2022" / "report.yaml"
    report_yaml.write_bytes(report_yaml.read_bytes().replace(b"\n", b"\r\n"))
    # Excel also rewrites values it reads as numbers or dates: 2600.00 as 2600, 2022-07-31 as 2022/7/31.
    for path in (data / "2022").glob("*.csv"):
        text = path.read_bytes().decode("utf-8-sig")
        text = re.sub(r"\b(\d+)\.00\b", r"\1", text)
        text = re.sub(r"\b(20\d\d)-0?(\d{1,2})-0?(\d{1,2})\b", r"\1/\2/\3", text)
        path.write_bytes(text.encode("gb18030"))
    assert "/7/" in "".join(p.read_bytes().decode("gb18030") for p in (data / "2022").glob("*.csv"))
    ds, report = pipeline.validate(data)
    assert report.ok, report.as_text()
    assert not [p for p in report.problems if p.code.startswith("frozen-year")], report.as_text()
    assert freeze.record_all(ds, report) == [2022]  # the new bytes are registered, the content checksum kept
    _, again = pipeline.validate(data)
    assert again.ok and not [p for p in again.problems if p.code.startswith("frozen-year")]


def test_an_erratum_once_published_cannot_be_removed(tmp_path):
    """2021 carries an erratum; taking it out is told as such, not as a change lacking an erratum."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "examples" / "shixian" / "data", data)
    report_file = data / "2021" / "report.yaml"
    text = report_file.read_text(encoding="utf-8")
    start = text.index("更正说明:")
    end = text.index("\n", text.index("变更内容:", start))
    report_file.write_text(text[:start] + "更正说明: []" + text[end:], encoding="utf-8")
    _, report = pipeline.validate(data)
    problem = next(p for p in report.errors if p.code == "frozen-year-changed")
    assert problem.file == "data/2021/report.yaml" and "不能删除" in problem.message


def test_department_execution_counts_each_yuan_once(shixian_site):
    """A 部门整体 monitoring record covers the department's projects: where one exists the department's row is that
    record, not that record plus its projects again; otherwise the row sums the department's project records."""
    data = ROOT / "examples" / "shixian" / "data"
    bases: set[str] = set()
    for year in (2021, 2022, 2023, 2024):
        with (data / str(year) / "monitoring.csv").open(encoding="utf-8-sig", newline="") as f:
            records = [r for r in csv.DictReader(f) if r["公开"] != "否"]
        table = soup(shixian_site, f"{year}/index.html").find(
            "caption", string=f"{year}年各单位监控期预算执行率").find_parent("table")
        rows = [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")]
        assert rows
        for name, basis, budget, executed, _rate in rows:
            mine = [r for r in records if r["单位名称"] == name]
            whole = [r for r in mine if r["对象类型"] == "部门整体"]
            counted = whole or [r for r in mine if r["对象类型"] == "项目"]
            assert basis == ("部门整体" if whole else f"{len(counted)}个项目合计")
            assert Decimal(budget) == sum(Decimal(r["全年预算数"]) for r in counted), (year, name)
            assert Decimal(executed) == sum(Decimal(r["执行数"]) for r in counted), (year, name)
        bases.update(r[1] for r in rows)
    assert "部门整体" in bases  # the case that was counted twice is exercised


def test_scores_are_shown_as_written(shixian_site):
    """A score published as 87.30 reads 87.30 on every page, as in the downloads (not 87.3); an average score is
    kept to the cent (88.00, not 88)."""
    data = ROOT / "examples" / "shixian" / "data"
    with (data / "2023" / "evaluations.csv").open(encoding="utf-8-sig", newline="") as f:
        written = {r["评价编号"]: r["得分"] for r in csv.DictReader(f) if r["公开"] != "否" and r["得分"]}
    assert any(score.endswith("0") and "." in score for score in written.values())  # the case that was cut
    shown = {}
    for page in sorted((shixian_site / "2023" / "evaluations").rglob("index.html")):
        for table in soup(shixian_site, page.relative_to(shixian_site).as_posix()).find_all("table"):
            heads = [th.get_text(strip=True) for th in table.find("thead").find_all("th")]
            if "评价编号" in heads and "得分" in heads:
                for tr in table.find("tbody").find_all("tr"):
                    cells = [td.get_text(strip=True) for td in tr.find_all("td")]
                    shown[cells[heads.index("评价编号")].removesuffix("示例")] = cells[heads.index("得分")]
    assert {k: shown[k] for k in written} == written
    averages = []
    for page in (shixian_site / "departments").glob("*/index.html"):
        table = soup(shixian_site, page.relative_to(shixian_site).as_posix()).find("caption", string="历年对比")
        if table is None:
            continue
        table = table.find_parent("table")
        heads = [th.get_text(strip=True) for th in table.find("thead").find_all("th")]
        averages += [tr.find_all("td")[heads.index("平均得分（各类评价）")].get_text(strip=True)
                     for tr in table.find("tbody").find_all("tr")]
    averages = [a for a in averages if a != "—"]
    assert averages and all(re.fullmatch(r"\d+\.\d\d", a) for a in averages), averages[:5]


def test_open_data_page_says_what_each_file_holds(shixian_site):
    """Each file is listed with what it holds in Chinese (事前绩效评估（CSV）), not only as an English file name, and
    a year still in draft says so, as the archive does."""
    article = soup(shixian_site, "open-data/index.html").find("article")
    headings = [h.get_text(strip=True) for h in article.find_all("h2")]
    assert headings == ["2024年度（草稿）", "2023年度", "2022年度", "2021年度"]
    items = article.find_all("h2")[1].find_next("ul").find_all("li")
    described = {li.find("a").get_text(strip=True): li.get_text(strip=True).split("：")[0] for li in items}
    files = {p.name for p in (shixian_site / "2023" / "data").iterdir() if not p.name.endswith(".html")}
    assert set(described) == files
    assert described["2023-exante.csv"] == "事前绩效评估（CSV）"
    assert described["2023-evaluation_scores.csv"] == "评价指标得分（CSV）"
    assert all(re.search(r"[\u4e00-\u9fff]", text) and text != name for name, text in described.items())
    assert list(described)[0] == "2023-全部数据.xlsx"


def test_trackers_overdue_count_says_it_includes_late_completions(shixian_site):
    """The 逾期 count of a year holds rectifications still open past their deadline and those completed after it;
    the column says so, and its numbers agree with the year's rectification list."""
    article = soup(shixian_site, "trackers/index.html").find("article")
    table = article.find("caption", string=re.compile(r"^整改情况")).find_parent("table")
    heads = [th.get_text(strip=True) for th in table.find("thead").find_all("th")]
    assert heads[-1] == "逾期（含逾期完成）"
    for tr in table.find("tbody").find_all("tr"):
        cells = [td.get_text(strip=True) for td in tr.find_all("td")]
        year = cells[0][:4]
        listed = soup(shixian_site, f"{year}/rectifications/index.html").find_all("tr", attrs={"data-overdue": "逾期"})
        assert int(cells[-1]) == len(listed), year


def test_figures_checked_with_withheld_records_say_so_where_they_are_shown(shixian_site):
    """2023 has records withheld from publication: a declared count, checked against all records, may exceed the
    rows shown, and the figure's own line says that it was checked including records not listed here."""
    article = soup(shixian_site, "2023/index.html").find("article")
    assert "条记录按规定不公开" in article.get_text()
    sources = set()
    for caption in ("2023年绩效目标管理汇总数", "2023年报告汇总数"):
        table = article.find("caption", string=caption).find_parent("table")
        sources |= {tr.find_all("td")[3].get_text(strip=True) for tr in table.find("tbody").find_all("tr")}
    assert "已与全部明细记录核对一致（含按规定不公开、未列入本站表格的记录）" in sources
    assert "已与明细记录核对一致" not in sources


def test_a_unit_renamed_under_its_code_keeps_one_page_with_every_year(tmp_path):
    """机构改革: 示例县农业农村局 is renamed in 2024 (a draft year) and keeps its code 999004. Its page keeps the
    earlier years under the new name and lists the old one; validation says it took this for a rename."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "examples" / "shixian" / "data", data)
    old, new = "示例县农业农村局", "示例县农业农村和乡村振兴局"
    for path in (data / "2024").glob("*.csv"):
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    out = tmp_path / "generated"
    _, report = pipeline.generate(data, out)
    assert report.ok, report.as_text()
    renamed = [p for p in report.notices if p.code == "department-renamed"]
    assert [(p.file, p.value) for p in renamed] == [("data/2024/departments.csv", new)]
    page = (out / "departments" / "999004.md").read_text(encoding="utf-8")
    def heading(name):  # (the unit's page heading carries a search weight: "# name { data-pagefind-weight=… }")
        return re.compile(rf"\n# {re.escape(name)}(?: \{{[^}}]*\}})?\n")

    assert heading(new).search(page)
    assert f"曾用名：{old}" in page
    for year in (2021, 2022, 2023, 2024):
        assert (out / "departments" / "999004" / f"{year}.md").exists()
    assert f"{old} 2023年度" in (out / "departments" / "999004" / "2023.md").read_text(encoding="utf-8")
    assert not [p for p in (out / "departments").glob("*.md") if p.name != "999004.md"
                and heading(old).search(p.read_text(encoding="utf-8"))]


def test_a_draft_year_says_so_in_its_title_and_its_downloads(shixian_site):
    """2024 is a draft: the page's title (tabs, bookmarks, search results) and the files people download and pass
    on say 草稿, not only the notice box on the page."""
    page = BeautifulSoup((shixian_site / "2024" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert "草稿" in page.find("title").get_text() and "草稿" in page.find("h1").get_text()
    package = json.loads((shixian_site / "2024" / "data" / "datapackage.json").read_text(encoding="utf-8"))
    assert "草稿" in package["title"]
    book = openpyxl.load_workbook(shixian_site / "2024" / "data" / "2024-全部数据.xlsx", read_only=True)
    about = {row[0]: row[1] for row in book.worksheets[0].iter_rows(values_only=True) if row and row[0]}
    assert about.get("状态") == "草稿"
    published = BeautifulSoup((shixian_site / "2023" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert "草稿" not in published.find("title").get_text()


def test_a_unit_given_its_code_in_a_later_year_keeps_one_page(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "examples" / "shixian" / "data", data)
    unfreeze(data)  # (2021 and 2022 are published: edited here without errata)
    for year in ("2021", "2022"):
        path = data / year / "departments.csv"
        path.write_text(path.read_text(encoding="utf-8").replace("999001,示例县教育局", ",示例县教育局", 1), encoding="utf-8")
    out = tmp_path / "generated"
    _, report = pipeline.generate(data, out)
    assert report.ok, report.as_text()
    index = (out / "departments" / "index.md").read_text(encoding="utf-8")
    assert index.count("示例县教育局</a>") == 1 and '<a href="999001/">示例县教育局</a></td><td>999001</td><td>2021–2023、2024（草稿）' in index
    for year in (2021, 2022, 2023, 2024):
        assert (out / "departments" / "999001" / f"{year}.md").exists()


def test_every_project_page_links_its_department(shixian_site):
    pages = [p for p in (shixian_site / "projects").glob("*/index.html")]
    assert len(pages) > 50
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        article = soup.find("article")
        assert any("departments/" in a["href"] for a in article.find_all("a", href=True)), page


def test_an_emptied_register_is_noticed_for_a_year_with_errata(tmp_path):
    """A year with errata was published and registered before: frozen.yaml not holding it means the register was
    emptied or replaced, and the year could then change unseen. Registering it again is a deliberate command."""
    from generator import cli

    data = tmp_path / "data"
    shutil.copytree(ROOT / "examples" / "shixian" / "data", data)
    (data / "frozen.yaml").write_text("年度: {}\n", encoding="utf-8")
    _, report = pipeline.validate(data)
    assert {(p.code, p.field) for p in report.errors} == {("frozen-year-changed", "2021")}
    assert cli.main(["--root", str(ROOT), "--data", str(data), "freeze", "2021"]) == 0
    _, report = pipeline.validate(data)
    assert report.ok, report.as_text()


def test_a_registration_made_before_content_checksums_gains_one(tmp_path):
    """Registrations with the bytes' checksum only, or a whole-year content checksum, gain per-file content
    checksums while their year is unchanged; a resave is told from a change by the old checksum until then."""
    from generator import freeze

    data = tmp_path / "data"
    shutil.copytree(ROOT / "examples" / "shixian" / "data", data)
    frozen = data / "frozen.yaml"
    lines = frozen.read_text("utf-8").splitlines(keepends=True)
    bare = [line for line in lines if not line.startswith("      ") and "文件内容校验值" not in line]
    frozen.write_text("".join(bare), encoding="utf-8")
    ds, report = pipeline.validate(data)
    assert report.ok, report.as_text()
    assert freeze.record_all(ds, report) == [2021, 2022, 2023]
    assert frozen.read_text("utf-8").count("文件内容校验值") == 3
    ds, report = pipeline.validate(data)
    assert freeze.record_all(ds, report) == []
    # A registration of the previous kind (内容校验值 of the whole year) still tells a resave from a change.
    old = "".join(bare).replace("  2022:\n", "  2022:\n    内容校验值: " + freeze.content_checksum(data / "2022") + "\n")
    frozen.write_text(old, encoding="utf-8")
    projects = data / "2022" / "projects.csv"
    projects.write_bytes(projects.read_bytes().replace(b"\n", b"\r\n"))
    ds, report = pipeline.validate(data)
    assert report.ok and 2022 in freeze.record_all(ds, report)
    assert "文件内容校验值" in frozen.read_text("utf-8").split("  2022:")[1].split("  2023:")[0]


def test_a_draft_years_records_say_draft_wherever_they_are_shown(shixian_site):
    """2024 is a draft: its figures on pages spanning years (a unit's comparison, a project's chain, the trackers,
    the unit's 2024 page) say 草稿 as its year page does; the unit list's latest figures are the newest published."""
    index = soup(shixian_site, "departments/index.html").find("article")
    assert "最近发布年度项目数" in index.get_text()
    # Its sums leave the draft out (8 units' only open rectification was a 2024 draft one), and say so.
    table = index.find("caption", string="预算单位一览").find_parent("table")
    heads = [th.get_text(strip=True) for th in table.find("thead").find_all("th")]
    rows = [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")]
    assert all(r[heads.index("公开年度")].endswith("2024（草稿）") for r in rows if "2024" in r[heads.index("公开年度")])
    assert "未完成整改（已发布年度）" in heads and "只统计已发布的年度" in index.get_text()
    unit = soup(shixian_site, "departments/999007/index.html").find("article")
    years = unit.find("caption", string="历年对比").find_parent("table")
    unit_heads = [th.get_text(strip=True) for th in years.find("thead").find_all("th")]
    published_open = sum(int(t) for tr in years.find("tbody").find_all("tr")
                         if "草稿" not in (cells := [td.get_text(strip=True) for td in tr.find_all("td")])[0]
                         and (t := cells[unit_heads.index("未完成整改")]).isdigit())
    row = next(r for r in rows if r[0] == unit.find("h1").get_text(strip=True))
    assert row[heads.index("未完成整改（已发布年度）")] == str(published_open)
    unit = soup(shixian_site, "departments/999007/index.html").find("article")
    years = [tr.find("td").get_text(strip=True)
             for tr in unit.find("caption", string="历年对比").find_parent("table").find("tbody").find_all("tr")]
    assert "2024年（草稿）" in years and "2023年" in years
    unit_2024 = soup(shixian_site, "departments/999007/2024/index.html")
    assert "草稿" in unit_2024.find("h1").get_text() and "尚未正式发布" in unit_2024.find("article").get_text()
    steps = [a.get_text(strip=True) for page in shixian_site.glob("projects/*/index.html")
             for a in soup(shixian_site, page.relative_to(shixian_site)).select("article a")]
    assert any(t.startswith("2024年草稿记录") for t in steps)
    assert not any(t.startswith("2024年公开记录") for t in steps)
    for section in ("goals", "monitoring", "evaluations", "rectifications", "applications", "projects"):
        page = soup(shixian_site, f"2024/{section}/index.html")
        assert "（草稿）" in page.find("h1").get_text() and "（草稿）" in page.title.get_text(), section
        assert "尚未正式发布" in page.find("article").get_text(), section
    trackers = soup(shixian_site, "trackers/index.html").find("article")
    assert "2024年（草稿）整改台账" in trackers.get_text()
    assert "历年整改状态（不含草稿年度）" in trackers.get_text()
    assert "2024年（草稿）项目" in soup(shixian_site, "projects/index.html").find("article").get_text()
    project_years = [tr.find("td").get_text(strip=True) for page in shixian_site.glob("projects/*/index.html")
                     for tr in soup(shixian_site, page.relative_to(shixian_site)).find("caption", string="历年对比")
                     .find_parent("table").find("tbody").find_all("tr")]
    assert "2024年（草稿）" in project_years and "2024" not in project_years and "2023年" in project_years
    assert [h.get_text(strip=True) for h in trackers.find_all("h2")] == ["整改情况", "逾期未完成的整改", "结果应用",
                                                                       "评价等级分布"]


def test_tables_name_projects_instead_of_showing_their_codes(shixian_site):
    """A 项目 or 对象 cell links to the project's page under its name; a bare 项目编码 tells a reader nothing."""
    code = re.compile(r"^51999\d{2}R\d+$")
    for rel in ("2023/index.html", "2023/evaluations/index.html", "2023/goals/index.html",
                "departments/999007/2024/index.html"):
        links = soup(shixian_site, rel).find("article").select("td a[href*='projects/']")
        assert links, rel
        assert not [a.get_text(strip=True) for a in links if code.match(a.get_text(strip=True))], rel


def test_a_table_with_withheld_records_says_so_beside_its_total(shixian_site):
    """2024 withholds a rectification: the status table's 合计 is one short of the prose's {{整改问题数}}, and the
    table says why, where the reader compares them."""
    article = soup(shixian_site, "2024/index.html").find("article")
    table = article.find("caption", string="2024年整改状态").find_parent("div", class_="jx-table")
    note = table.find_next_sibling("p", class_="jx-note")
    assert note is not None and "条整改记录按规定不公开" in note.get_text()
    # 2021 withholds a project, a goal and a monitoring record: their lists and the projects index say so too.
    for section, what in (("projects", "项目"), ("goals", "绩效目标"), ("monitoring", "监控记录")):
        text = soup(shixian_site, f"2021/{section}/index.html").find("article").get_text()
        assert f"条{what}按规定不公开" in text, section
    assert "2021年 1 个" in soup(shixian_site, "projects/index.html").find("article").get_text()


def test_units_are_listed_by_their_code(shixian_site):
    rows = soup(shixian_site, "departments/index.html").find("article").find("tbody").find_all("tr")
    codes = [tr.find_all("td")[1].get_text(strip=True) for tr in rows]
    assert codes == sorted(codes) and "999002001" in codes
    assert codes.index("999002001") == codes.index("999002") + 1  # a sub-unit under its parent


def test_the_archive_compares_the_reports_figures_year_by_year(shixian_site):
    """A reviewer compares the counties' declared totals across years on one page, each as its report declares it."""
    article = soup(shixian_site, "archive/index.html").find("article")
    table = article.find("caption", string="历年报告汇总数").find_parent("table")
    heads = [th.get_text(strip=True) for th in table.find("thead").find_all("th")]
    rows = {tr.find("td").get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in table.find("tbody").find_all("tr")}
    assert set(rows) == {"2021年", "2022年", "2023年", "2024年（草稿）"}
    column = heads.index("纳入绩效目标管理的项目支出金额（万元）")
    for year in ("2021", "2022", "2023"):
        figures = soup(shixian_site, f"{year}/index.html").find("article").find("caption", string=f"{year}年报告汇总数")
        declared = {tr.find_all("td")[0].get_text(strip=True): tr.find_all("td")[1].get_text(strip=True)
                    for tr in figures.find_parent("table").find("tbody").find_all("tr")}
        assert rows[f"{year}年"][column] == declared["纳入绩效目标管理的项目支出金额"]
    # And the change from the year before, between published years only (2024 is a draft).
    change = article.find("caption", string="2023年与2022年汇总数对比").find_parent("table")
    line = next([td.get_text(strip=True) for td in tr.find_all("td")] for tr in change.find("tbody").find_all("tr")
                if tr.find("td").get_text(strip=True) == "纳入绩效目标管理的项目支出金额")
    before, now = Decimal(rows["2022年"][column]), Decimal(rows["2023年"][column])
    assert line[2:] == [str(before), str(now), str(now - before), f"{(now - before) / before * 100:.2f}%"]


def test_a_sub_unit_page_lists_the_projects_it_carries_out(shixian_site):
    """示例县疾病预防控制中心 is the 实施单位 of projects 示例县卫生健康局 is responsible for: its page lists them
    (it was empty), and they stay counted under the 主管部门 only."""
    article = soup(shixian_site, "departments/999002002/2023/index.html").find("article")
    table = article.find("caption", string=re.compile("由本单位实施的项目")).find_parent("table")
    names = [tr.find("td").find("a").get_text(strip=True) for tr in table.find("tbody").find_all("tr")]
    assert "城西街道家庭医生签约服务" in names and "永安镇家庭医生签约服务" in names
    unit = soup(shixian_site, "departments/999002002/index.html").find("article")
    row = next(tr for tr in unit.find("caption", string="历年对比").find_parent("table").find("tbody").find_all("tr")
               if tr.find("td").get_text(strip=True) == "2023年")
    assert row.find_all("td")[1].get_text(strip=True) == "0"  # its own projects (主管部门): none


def test_a_project_s_rectification_step_says_when_it_was_done(shixian_site):
    """The step said 逾期：是 but not when the work was finished."""
    done = [text for page in sorted(shixian_site.glob("projects/*/index.html"))[:200]
            for text in [soup(shixian_site, page.relative_to(shixian_site)).find("article").get_text(" ", strip=True)]
            if "状态： 已整改" in text or "状态：已整改" in text]
    assert done and all(re.search(r"完成日期：? ?\d{4}-\d{2}-\d{2}", text) for text in done)


def test_a_unit_s_money_cut_is_shown_beside_an_application_naming_no_unit(shixian_site):
    """Each year has one 督促整改 naming no unit (it cuts nothing): every unit's 削减/取消/追减 showed “—”, also the
    司法局's 23.11 万元 cancelled in 2023 that its year page lists. The count of applications stays unknown (“—”)."""
    unit = soup(shixian_site, "departments/999018/index.html").find("article")
    table = unit.find("caption", string="历年对比").find_parent("table")
    heads = [th.get_text(strip=True) for th in table.find("thead").find_all("th")]
    rows = {tr.find("td").get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in table.find("tbody").find_all("tr")}
    assert rows["2023年"][heads.index("削减/取消/追减（万元）")] == "23.11"
    assert rows["2022年"][heads.index("削减/取消/追减（万元）")] == "0.00"


def test_an_evaluation_leads_to_its_rectifications_and_applications_and_back(shixian_site):
    """A reviewer follows an evaluation to what was done about it, and a rectification back to what found it:
    each link lands on the row it names."""
    followed = 0
    for year in ("2021", "2022", "2023"):
        rel = f"{year}/evaluations/index.html"
        html = (shixian_site / rel).read_text(encoding="utf-8")
        links = re.findall(r'<a href="([^"]*(?:rectifications|applications)/[^"]*#[^"]+)">([^<]+)</a>', html)
        for href, label in links:
            target, frag = resolve(shixian_site, rel, href)
            row = soup(shixian_site, target.relative_to(shixian_site)).find(id=frag)
            assert row is not None and row.name == "tr", (rel, href)
            assert row.find("td").get_text(strip=True).startswith(label), (rel, href)  # the row shows the ID
            source = next(td for td in row.find_all("td") if td.get_text().startswith("绩效评价"))
            back = source.find("a")
            assert back is not None, (rel, href)  # and the row names its evaluation, as a link
            b_target, b_frag = resolve(shixian_site, target.relative_to(shixian_site).as_posix(), back["href"])
            assert b_target == shixian_site / rel and soup(shixian_site, rel).find(id=b_frag) is not None
            followed += 1
    assert followed >= 5, followed


def test_a_unit_without_projects_shows_zero_money_not_a_blank(shixian_site):
    """“—” means not reported: a unit with no projects in a year that published its projects has 0 and 0.00."""
    pairs = []
    for page in sorted(shixian_site.glob("departments/*/index.html")):
        table = soup(shixian_site, page.relative_to(shixian_site)).find("caption", string="历年对比")
        if table is None:
            continue
        for tr in table.find_parent("table").find("tbody").find_all("tr"):
            cells = [td.get_text(strip=True) for td in tr.find_all("td")]
            pairs.append((cells[1], cells[2]))
    assert ("0", "0.00") in pairs
    assert all((count == "0") == (money == "0.00") and (count == "—") == (money == "—") for count, money in pairs)


def test_a_units_year_page_shows_its_own_goal_and_monitoring(shixian_site):
    """The unit's 部门整体 goal and monitoring (execution rate, 偏差原因) are on its year page, linked to their rows."""
    rel = "departments/999004/2023/index.html"
    page = soup(shixian_site, rel)
    for caption, section in (("2023年单位整体绩效目标", "goals"), ("2023年单位整体绩效监控", "monitoring")):
        table = page.find("caption", string=caption).find_parent("table")
        link = table.find("tbody").find("a")
        assert link is not None and f"2023/{section}/" in link["href"], caption
        target, frag = resolve(shixian_site, rel, link["href"])
        assert soup(shixian_site, target.relative_to(shixian_site)).find(id=frag) is not None, caption


def _generated_with_lists_of_14(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """The 示例县 data generated with 14 rows a list page, so most lists have several pages: (data, output)."""
    from generator import render_entities, render_year

    monkeypatch.setattr(render_year, "PAGE_ROWS", 14)
    monkeypatch.setattr(render_entities, "PAGE_ROWS", 14)
    data = tmp_path / "data"
    shutil.copytree(ROOT / "examples" / "shixian" / "data", data)
    out = tmp_path / "out"
    pipeline.generate(data, out)
    return data, out


def test_tracker_counts_link_a_filtered_ledger_only_when_it_is_one_page(tmp_path, monkeypatch):
    """A filter acts on the page it is on: a count linking to page 1 of a ledger of several pages would show a
    part of what it counts. Such a ledger's filter says it covers this page."""
    data, out = _generated_with_lists_of_14(tmp_path, monkeypatch)
    trackers = (out / "trackers" / "index.md").read_text(encoding="utf-8")
    seen = set()
    for year in (2021, 2022, 2023, 2024):
        with (data / str(year) / "rectifications.csv").open(encoding="utf-8-sig", newline="") as f:
            public = sum(1 for r in csv.DictReader(f) if r["公开"] != "否")
        linked = f"../{year}/rectifications/?" in trackers
        assert linked == (public <= 14), (year, public)
        ledger = (out / str(year) / "rectifications" / "index.md").read_text(encoding="utf-8")
        assert ('data-scope="本页"' in ledger) == (public > 14), year
        seen.add(linked)
    assert seen == {True, False}  # (2021 has 14 public rectifications, the other years more)


def test_a_list_on_several_pages_says_a_sort_covers_its_page_and_links_the_whole_list(tmp_path, monkeypatch):
    """Sorting 金额 on page 1 of a year's 980 projects shows page 1's largest, not the year's (found by a review of
    the ten-year site): a list on several pages says so, and links the year's whole list as one file."""
    data, out = _generated_with_lists_of_14(tmp_path, monkeypatch)
    with (data / "2023" / "projects.csv").open(encoding="utf-8-sig", newline="") as f:
        public = sum(1 for r in csv.DictReader(f) if r["公开"] != "否")
    assert public > 14
    pages = -(-public // 14)
    for n in range(1, pages + 1):
        rel = "2023/projects/index.md" if n == 1 else f"2023/projects/{n}.md"
        text = (out / rel).read_text(encoding="utf-8")
        note = f"本表分 {pages} 页，点击表头排序、筛选只作用于本页；全年 {public} 条在一个文件中："
        assert note in text, rel
        label, href = re.search(re.escape(note) + r"\[([^\]]+)\]\(([^)]+)\)", text).groups()
        assert label.replace("\\", "") == "2023-projects.csv", label  # (Markdown-escaped: 2023\-projects\.csv)
        target = (out / rel).parent / href
        rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
        assert len(rows) == public + 1, (rel, href)
    # A list on one page says nothing of the kind.
    assert "点击表头排序" not in (out / "2023" / "exante" / "index.md").read_text(encoding="utf-8")


def test_long_lists_can_be_narrowed_to_one_unit(tmp_path, monkeypatch):
    """Projects, goals, monitoring and evaluations lists have a 单位 filter (evaluations a 等级 one too), like the
    rectification ledger: each row carries its unit, and the options are the year's units (of every page)."""
    data, out = _generated_with_lists_of_14(tmp_path, monkeypatch)
    for section, column in (("projects", "主管部门"), ("goals", "单位名称"), ("monitoring", "单位名称"),
                            ("evaluations", "单位名称")):
        page = BeautifulSoup((out / "2023" / section / "index.md").read_text(encoding="utf-8"), "html.parser")
        options = [o["value"] for o in page.find("select", attrs={"data-filter": "dept"}).find_all("option")][1:]
        with (data / "2023" / f"{section}.csv").open(encoding="utf-8-sig", newline="") as f:
            units = {r[column] for r in csv.DictReader(f) if r["公开"] != "否" and r[column]}
        assert options == sorted(units), section
        table = page.find(id="jx-list").find("table")
        heads = [th.get_text() for th in table.find("thead").find_all("th")]
        at = heads.index("单位名称" if "单位名称" in heads else "主管部门")
        for tr in table.find("tbody").find_all("tr"):
            assert tr["data-dept"] == tr.find_all("td")[at].get_text(), (section, tr.get("id"))
        assert 'data-scope="本页"' in str(page.find("form")), section  # (14 rows a page: every list has several)
    # 等级, best first (the year's bands), the grades the year's evaluations were given.
    with (data / "2023" / "evaluations.csv").open(encoding="utf-8-sig", newline="") as f:
        given = {r["等级"] for r in csv.DictReader(f) if r["公开"] != "否" and r["等级"]}
    grades = page.find("select", attrs={"data-filter": "grade"})
    assert [o["value"] for o in grades.find_all("option")][1:] == [g for g in ("优", "良", "中", "差") if g in given]
    assert len(given) > 1
