"""Records marked 公开: 否 and internal fields (内部备注, 内部联系人, 联系电话) never reach any built file.

Canary strings go into every non-public place of the rich fixture; after a full build every file of the site is
read as bytes, with .gz, Pagefind's gzip fragments and .xlsx/.zip downloads unpacked, and searched for them.
Public markers placed the same way must be found, so the search itself is shown to work.
"""

from __future__ import annotations

import csv
import gzip
import io
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator import newyear, pipeline
from tests.conftest import FIXTURES, ROOT, build_site

pytestmark = pytest.mark.slow

_GZIP = b"\x1f\x8b"
_ZIP = b"PK\x03\x04"


def _unpack(name: str, data: bytes, depth: int = 0) -> Iterator[tuple[str, bytes]]:
    yield name, data
    if depth > 3:
        return
    if data.startswith(_GZIP):
        # sitemap.xml.gz, and Pagefind's index and fragments (gzip without a .gz suffix)
        yield from _unpack(name + "!gunzip", gzip.decompress(data), depth + 1)
    elif data.startswith(_ZIP):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for member in z.namelist():
                yield from _unpack(f"{name}!{member}", z.read(member), depth + 1)


def site_blobs(site: Path) -> list[tuple[str, bytes]]:
    """(name, bytes) of every file under ``site`` and of everything packed inside one."""
    return [blob for path in sorted(site.rglob("*")) if path.is_file()
            for blob in _unpack(path.relative_to(site).as_posix(), path.read_bytes())]


def _forms(text: str) -> list[bytes]:
    """How a string can be stored: UTF-8, JSON \\uXXXX escapes, UTF-16."""
    escaped = "".join(ch if ord(ch) < 128 else f"\\u{ord(ch):04x}" for ch in text)
    return [text.encode("utf-8"), escaped.encode("ascii"), text.encode("utf-16-le")]


_ZWSP = "\u200b".encode()  # Pagefind's extended build puts zero-width spaces between the words it segments


def files_containing(blobs: list[tuple[str, bytes]], text: str) -> list[str]:
    forms = _forms(text)
    return [name for name, data in blobs if any(f in data or f in data.replace(_ZWSP, b"") for f in forms)]


# --- putting canaries into a copy of the rich fixture ------------------------------------------------------


def edit_rows(data: Path, name: str, change: Callable[[list[dict]], None]) -> None:
    path = data / "2024" / f"{name}.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    change(rows)
    fields: list[str] = []
    for row in rows:
        fields += [k for k in row if k not in fields]
    out = io.StringIO()
    writer = csv.DictWriter(out, fields, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def where(rows: list[dict], key: str, value: str) -> dict:
    return next(r for r in rows if r[key] == value)


HIDDEN = "否"
CANARIES = {
    "CANARY01": "不公开的预算单位名称",
    "CANARY02": "不公开的项目名称",
    "CANARY03": "不公开的绩效目标",
    "CANARY04": "不公开目标下的指标（指标本身标为公开）",
    "CANARY05": "不公开的事前评估",
    "CANARY06": "不公开的监控记录",
    "CANARY07": "不公开监控下的监控指标（本身标为公开）",
    "CANARY08": "公开监控下不公开的监控指标",
    "CANARY09": "不公开的评价（发现问题）",
    "CANARY10": "不公开评价下的指标得分（本身标为公开）",
    "CANARY11": "不公开的整改",
    "CANARY12": "不公开的结果应用",
    "CANARY13": "公开单位的内部备注",
    "CANARY14": "公开项目的内部备注",
    "CANARY15": "公开评价的内部备注",
    "CANARY16": "公开整改的内部联系人",
    "CANARY17": "公开整改的联系电话",
    "CANARY18": "公开目标的内部备注",
    "CANARY19": "公开结果应用的内部备注",
    "CANARY20": "公开指标的内部备注",
}
PUBLIC_MARKERS = ["PUBLICMARK1", "PUBLICMARK2"]


def plant(data: Path) -> None:
    hidden_dept = "示例县内部核算中心CANARY01"

    def departments(rows):
        rows.append({"单位编码": "901099", "单位名称": hidden_dept, "级次": "一级", "示例": "是", "公开": HIDDEN})
        where(rows, "单位名称", "示例县教育局")["内部备注"] = "CANARY13 仅供内部"

    def projects(rows):
        rows.append({"项目编码": "P2024-900", "项目名称": "示例保密项目CANARY02", "主管部门": hidden_dept,
                     "预算类型": "一般公共预算", "金额": "10.00", "纳入绩效目标管理": "否", "示例": "是", "公开": HIDDEN})
        where(rows, "项目编码", "P2024-001")["内部备注"] = "CANARY14 仅供内部"
        where(rows, "项目编码", "P2024-004")["项目名称"] = "示例县财政信息化示例项目PUBLICMARK1"

    def goals(rows):
        rows.append({"目标编号": "G2024-90", "对象类型": "项目", "项目编码": "P2024-900", "单位名称": hidden_dept,
                     "年度目标": "CANARY03 年度目标", "示例": "是", "公开": HIDDEN})
        where(rows, "目标编号", "G2024-01")["内部备注"] = "CANARY18"

    def indicators(rows):
        rows.append({"目标编号": "G2024-90", "一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "CANARY04指标",
                     "指标性质": "定性", "指标值": "达成", "分值": "100", "示例": "是", "公开": "是"})
        rows[0]["内部备注"] = "CANARY20"

    def exante(rows):
        rows.append({"评估编号": "事前2024-9", "项目编码": "P2024-900", "项目名称": "CANARY05 项目",
                     "主管部门": hidden_dept, "评估机构": "示例机构", "示例": "是", "公开": HIDDEN})

    def monitoring(rows):
        rows.append({"监控编号": "监控2024-9", "对象类型": "部门整体", "单位名称": hidden_dept, "监控期间": "1-7月",
                     "全年预算数": "10.00", "执行数": "5.00", "执行率": "50", "偏差原因": "CANARY06",
                     "示例": "是", "公开": HIDDEN})

    def monitoring_indicators(rows):
        rows.append({"监控编号": "监控2024-9", "三级指标": "CANARY07指标", "全年指标值": "1", "示例": "是", "公开": "是"})
        rows.append({"监控编号": "监控2024-1", "三级指标": "CANARY08指标", "全年指标值": "1", "示例": "是",
                     "公开": HIDDEN})

    def evaluations(rows):
        rows.append({"评价编号": "评价2024-9", "评价类型": "部门评价", "对象类型": "部门整体", "单位名称": hidden_dept,
                     "评价年度": "2023", "得分": "90", "等级": "优", "发现问题": "CANARY09 问题",
                     "示例": "是", "公开": HIDDEN})
        where(rows, "评价编号", "评价2024-3")["内部备注"] = "CANARY15"
        where(rows, "评价编号", "评价2024-3")["发现问题"] = "部分学校食材验收记录不全PUBLICMARK2。"

    def evaluation_scores(rows):
        rows.append({"评价编号": "评价2024-9", "一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "CANARY10指标",
                     "指标性质": "定性", "指标值": "达成", "完成值": "达成", "分值": "100", "得分": "90",
                     "示例": "是", "公开": "是"})

    def rectifications(rows):
        rows.append({"整改编号": "整改2024-9", "来源类型": "绩效评价", "来源编号": "评价2024-9", "单位名称": hidden_dept,
                     "问题": "CANARY11 问题", "发现日期": "2024-06-01", "整改期限": "2024-07-01", "状态": "整改中",
                     "示例": "是", "公开": HIDDEN})
        r = where(rows, "整改编号", "整改2024-1")
        r["内部联系人"] = "张示例CANARY16"
        r["联系电话"] = "CANARY17-13800000000"

    def applications(rows):
        rows.append({"应用编号": "应用2024-9", "来源类型": "绩效评价", "来源编号": "评价2024-9", "单位名称": hidden_dept,
                     "措施": "问责", "影响预算年度": "2025", "说明": "CANARY12 说明", "示例": "是", "公开": HIDDEN})
        rows[0]["内部备注"] = "CANARY19"

    for name, change in [("departments", departments), ("projects", projects), ("goals", goals),
                         ("indicators", indicators), ("exante", exante), ("monitoring", monitoring),
                         ("monitoring_indicators", monitoring_indicators), ("evaluations", evaluations),
                         ("evaluation_scores", evaluation_scores), ("rectifications", rectifications),
                         ("applications", applications)]:
        edit_rows(data, name, change)
    # The hidden 事前评估 is real work of the year: the declared totals count it (it is only not published).
    report = data / "2024" / "report.yaml"
    report.write_text(report.read_text(encoding="utf-8").replace("事前评估项目数: 2", "事前评估项目数: 3")
                      .replace("事前评估涉及部门数: 2", "事前评估涉及部门数: 3"), encoding="utf-8")


@pytest.fixture(scope="module")
def canary_site(tmp_path_factory) -> list[tuple[str, bytes]]:
    tmp = tmp_path_factory.mktemp("canaries")
    data = tmp / "data"
    shutil.copytree(FIXTURES / "rich_data", data)
    plant(data)
    build_site(data, tmp / "site")
    return site_blobs(tmp / "site")


def test_canaries_are_all_planted():
    data_text = "".join(p.read_text(encoding="utf-8") for p in (FIXTURES / "rich_data").rglob("*.*"))
    assert not any(c in data_text for c in CANARIES)
    assert len(CANARIES) == 20


@pytest.mark.parametrize("canary", sorted(CANARIES), ids=[f"{k}-{v}" for k, v in sorted(CANARIES.items())])
def test_no_built_file_contains_a_non_public_value(canary_site, canary):
    assert files_containing(canary_site, canary) == []


def test_nothing_named_canary_anywhere(canary_site):
    assert files_containing(canary_site, "CANARY") == []


@pytest.mark.parametrize("marker", PUBLIC_MARKERS)
def test_public_values_planted_the_same_way_are_found(canary_site, marker):
    """The search above is not blind: public text is found in pages, in the search index and in downloads."""
    found = files_containing(canary_site, marker)
    assert any(name.endswith(".html") for name in found), found
    assert any(name.startswith("pagefind/") and "!gunzip" in name for name in found), found
    assert any(not name.endswith(".html") and not name.startswith("pagefind/") for name in found), found


def test_a_public_record_naming_a_withheld_one_is_refused(tmp_path):
    """The one way a withheld name could reach a page: a public record that refers to it. Validation stops it."""
    from generator.problems import DataError

    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "rich_data", data)
    plant(data)
    edit_rows(data, "projects", lambda rows: where(rows, "项目编码", "P2024-004").update(主管部门="示例县内部核算中心CANARY01"))
    with pytest.raises(DataError) as exc:
        build_site(data, tmp_path / "site")
    assert {(p.code, p.file, p.row) for p in exc.value.report.errors} == {
        ("nonpublic-reference", "data/2024/projects.csv", 5)}
    assert not (tmp_path / "site").exists()


# --- withholding a project in one year only ---------------------------------------------------------------

SHIXIAN = ROOT / "examples" / "shixian" / "data"
CONTINUING = "51999921R0000002"  # 黄桷镇养老服务中心建设: a continuing project, public in every year 2021–2024
CANARY_2025 = "WITHHELD2025"


def append_row(path: Path, row: dict[str, str]) -> int:
    """Add a row to a data file by column name, as a clerk adds one in Excel; returns its line number."""
    text = path.read_text(encoding="utf-8")
    header = next(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    csv.DictWriter(out, header, lineterminator="\n", restval="").writerow(row)
    path.write_text(text + out.getvalue(), encoding="utf-8")
    return len(list(csv.reader(io.StringIO(text)))) + 1


def project_row(name: str, public: str) -> dict[str, str]:
    return {"项目编码": CONTINUING, "项目名称": name, "主管部门": "示例县民政局", "项目属性": "延续",
            "预算类型": "一般公共预算", "金额": "77.77", "纳入绩效目标管理": "是", "公开": public}


@pytest.fixture
def withheld_2025(tmp_path) -> Path:
    """The four-year example with a new draft 2025 that withholds the continuing project (and its 2025 goal)."""
    data = tmp_path / "data"
    shutil.copytree(SHIXIAN, data)
    assert newyear.new_year(data, 2025)[0].ok
    append_row(data / "2025" / "projects.csv", project_row(f"黄桷镇养老服务中心建设{CANARY_2025}", "否"))
    append_row(data / "2025" / "goals.csv", {
        "目标编号": "目标2025-0001", "对象类型": "项目", "项目编码": CONTINUING, "单位名称": "示例县民政局",
        "年度目标": f"{CANARY_2025} 年度目标", "年度资金总额": "77.77", "本年财政拨款": "77.77", "公开": "否"})
    return data


def withheld_references(data: Path) -> dict[tuple[str, int | None], str]:
    _, report = pipeline.validate(data)
    return {(p.file, p.row): p.message for p in report.errors if p.code == "nonpublic-reference"}


def test_withholding_a_project_in_a_new_year_leaves_the_years_it_was_published_in_alone(withheld_2025):
    """Publication is decided year by year: the 2021–2024 records name the project as those years list it (public),
    so withholding it in 2025 asks for no change, and no erratum, in the published years."""
    _, report = pipeline.validate(withheld_2025)
    assert report.ok, report.as_text()


def test_a_public_record_of_the_withholding_year_may_not_name_the_project(withheld_2025):
    row = append_row(withheld_2025 / "2025" / "monitoring.csv", {
        "监控编号": "监控2025-0001", "对象类型": "项目", "项目编码": CONTINUING, "单位名称": "示例县民政局",
        "监控期间": "1-7月", "全年预算数": "77.77", "执行数": "10.00", "执行率": "12.86", "公开": "是"})
    found = withheld_references(withheld_2025)
    assert list(found) == [("data/2025/monitoring.csv", row)]
    assert "在本年度项目表中标为不公开" in found["data/2025/monitoring.csv", row]
    assert "把 2025 年度项目表中该项目的“公开”改为“是”" in found["data/2025/monitoring.csv", row]


def test_a_year_that_does_not_list_the_project_goes_by_the_latest_year_before_it(withheld_2025):
    assert newyear.new_year(withheld_2025, 2026)[0].ok
    row = append_row(withheld_2025 / "2026" / "rectifications.csv", {
        "整改编号": "整改2026-0001", "来源类型": "其他", "单位名称": "示例县民政局", "项目编码": CONTINUING,
        "问题": "示例问题", "发现日期": "2026-03-01", "整改期限": "2026-06-30", "状态": "整改中", "公开": "是"})
    found = withheld_references(withheld_2025)
    assert list(found) == [("data/2026/rectifications.csv", row)]
    assert "不在本年度项目表中，而在此前最近列出它的 2025 年度项目表中标为不公开" in found["data/2026/rectifications.csv", row]
    # The third way out: this year's own table listing the project as public.
    assert "或在本年度项目表中列出该项目并标为公开" in found["data/2026/rectifications.csv", row]


def test_a_public_evaluation_of_a_withheld_year_s_spending_is_refused(withheld_2025):
    """An evaluation shows under its spending year on the project's page: publishing the 2026 evaluation of the
    withheld 2025 spending would publish that year's scores and findings, though 2026 lists the project as public."""
    assert newyear.new_year(withheld_2025, 2026)[0].ok
    append_row(withheld_2025 / "2026" / "projects.csv", project_row("黄桷镇养老服务中心建设", "是"))
    row = append_row(withheld_2025 / "2026" / "evaluations.csv", {
        "评价编号": "评价2026-0001", "评价类型": "单位自评", "对象类型": "项目", "项目编码": CONTINUING,
        "单位名称": "示例县民政局", "评价年度": "2025", "得分": "91.00", "等级": "优", "公开": "是"})
    found = withheld_references(withheld_2025)
    assert list(found) == [("data/2026/evaluations.csv", row)]
    assert "评价的是项目 2025 年度的资金" in found["data/2026/evaluations.csv", row]


def test_a_project_withheld_in_one_year_shows_its_other_years_and_nothing_of_that_one(withheld_2025, tmp_path):
    site = build_site(withheld_2025, tmp_path / "site")
    blobs = site_blobs(site)
    assert files_containing(blobs, CANARY_2025) == []
    assert files_containing(blobs, "77.77") == []
    page = (site / "projects" / CONTINUING / "index.html").read_text(encoding="utf-8")
    article = page.split("<article", 1)[1]
    assert "2024年度资金" in article and "2021年完成黄桷镇养老服务中心建设年度建设任务" in article
    assert "2025年度资金" not in article and "目标2025-0001" not in article
    assert "51999921R0000002" not in (site / "2025" / "index.html").read_text(encoding="utf-8").split("<article", 1)[1]
