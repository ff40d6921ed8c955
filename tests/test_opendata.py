"""Open data downloads: CSV, XLSX, JSON, datapackage.json and SHA256SUMS of a year, built from a small data set.

The data set goes through the real pipeline (validate, build_archive). It holds canaries that must never be
published: an 内部联系人, a 联系电话, an 内部备注, and a whole record marked 公开: 否.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from generator import model, opendata, pipeline, schema

ROOT = Path(__file__).resolve().parent.parent

CANARIES = ("CANARY联系人张三", "13800000000", "CANARY内部备注", "CANARY不公开的问题", "CANARY保密单位")

CSV_FILES = {
    "departments.csv": """单位编码,单位名称,级次,上级单位,示例,公开,内部备注
101001,县民政局,一级,,否,是,CANARY内部备注
101002,县住房和城乡建设局,一级,,否,是,
101003,县消防救援大队,一级,,否,是,
101004,县现代农业园区服务中心,二级,县民政局,否,是,
101005,县教育局,一级,,否,是,
101099,CANARY保密单位,一级,,否,否,
""",
    "projects.csv": """项目编码,项目名称,主管部门,实施单位,项目属性,预算类型,金额,纳入绩效目标管理,示例,公开
P2023001,城市社区综合服务提升项目,县民政局,,新增,一般公共预算,10000.00,是,否,是
P2023002,市政基础设施维修工程,县住房和城乡建设局,,延续,政府性基金预算,7000.50,是,否,是
P2023003,蔬菜科技服务体系建设项目,县现代农业园区服务中心,,新增,一般公共预算,395.38,是,是,是
P2023004,教育信息化项目,县教育局,,延续,一般公共预算,120,否,否,是
""",
    "goals.csv": """目标编号,对象类型,项目编码,单位名称,年度目标,长期目标,年度资金总额,本年财政拨款,其他资金,示例,公开
目标2023-1,项目,P2023001,县民政局,提升社区综合服务能力,,10000.00,9000.00,1000.00,否,是
""",
    "indicators.csv": """目标编号,一级指标,二级指标,三级指标,指标性质,指标值,度量单位,分值,示例,公开
目标2023-1,产出指标,数量指标,服务社区数量,≥,20,个,20,否,是
目标2023-1,满意度指标,服务对象满意度,群众满意度,≥,90,%,10,否,是
""",
    "monitoring.csv": """监控编号,对象类型,项目编码,单位名称,监控期间,全年预算数,执行数,执行率,偏差原因,纠偏措施,示例,公开
监控2023-1,项目,P2023001,县民政局,1-7月,10000.00,5500.00,55.00,,加快支出进度,否,是
监控2023-2,部门整体,,县教育局,1-7月,800.00,0.00,0,尚未启动,,否,是
""",
    "evaluations.csv": """评价编号,评价类型,对象类型,项目编码,单位名称,评价对象,评价年度,评价机构,得分,等级,发现问题,建议,报告链接,示例,公开
评价2023-1,部门评价,项目,P2023001,县民政局,,2022,第三方机构,92.5,优,,,,否,是
评价2023-2,部门评价,项目,P2023002,县住房和城乡建设局,,2022,第三方机构,78,中,资金拨付滞后,加快拨付,,否,是
评价2023-3,部门评价,政策,,县教育局,义务教育保障政策,2022,,,,,,,否,是
""",
    "rectifications.csv": """整改编号,来源类型,来源编号,单位名称,项目编码,问题,整改要求,发现日期,整改期限,状态,完成日期,整改报告归档,内部联系人,联系电话,示例,公开
整改2023-1,绩效评价,评价2023-2,县住房和城乡建设局,P2023002,资金拨付滞后,加快拨付,2023-06-01,2023-09-30,已整改,2023-09-15,是,CANARY联系人张三,13800000000,否,是
整改2023-2,绩效评价,评价2023-1,县民政局,P2023001,=1+1 绩效目标不够明确,细化绩效指标,2023-07-01,2023-12-31,整改中,,否,CANARY联系人张三,,否,是
整改2023-3,绩效监控,监控2023-2,县教育局,,CANARY不公开的问题,,2023-08-01,2023-12-31,未整改,,否,,,否,否
""",
}


def write_data(root: Path) -> Path:
    """A small but complete data set: the real 2023 report and its exante/applications, plus detail records."""
    data = root / "data"
    (data / "2023").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "settings.yaml", data / "settings.yaml")
    report = (ROOT / "data" / "2023" / "report.yaml").read_text(encoding="utf-8")
    # A draft with a date, so the export's timestamps come from data, not from the clock.
    report = report.replace("状态: 已发布", "状态: 草稿").replace("成文日期:\n", "成文日期: 2024-03-01\n")
    (data / "2023" / "report.yaml").write_text(report, encoding="utf-8")
    for name in ("exante.csv", "applications.csv"):
        shutil.copy(ROOT / "data" / "2023" / name, data / "2023" / name)
    for name, text in CSV_FILES.items():
        (data / "2023" / name).write_text(text, encoding="utf-8")
    return data


def build_model(data: Path) -> model.Archive:
    ds, report = pipeline.validate(data)
    assert ds is not None and report.ok, [str(p) for p in report.problems]
    return model.build_archive(ds)


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> model.Archive:
    return build_model(write_data(tmp_path_factory.mktemp("od")))


@pytest.fixture(scope="module")
def exported(archive, tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("export") / "2023" / "data"
    opendata.export_year(archive.years[0], dest)
    return dest


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name} 应带 UTF-8 BOM"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_listed_fund_types_are_in_the_downloads(exported):
    """The report's list of fund types (a fact of its own, not a record table) travels with the data too."""
    listed = ["一般公共预算", "政府性基金预算", "国有资本经营预算", "地方债券资金", "政府购买服务"]
    assert [r["资金类型"] for r in read_csv(exported / "2023-fund-types.csv")] == listed
    document = json.loads((exported / "2023-全部数据.json").read_text(encoding="utf-8"))
    assert document["财政重点评价资金类型"] == listed
    wb = openpyxl.load_workbook(exported / "2023-全部数据.xlsx")
    assert [c.value for c in wb["财政重点评价资金类型"]["A"]][1:] == listed
    about = {r[0].value: r[1].value for r in wb["说明"].iter_rows()}
    assert {"索引号", "文号", "成文日期", "发布日期"} <= set(about)


def test_files_written(exported):
    names = sorted(p.name for p in exported.iterdir())
    assert names == sorted([
        "2023-departments.csv", "2023-projects.csv", "2023-goals.csv", "2023-indicators.csv", "2023-exante.csv",
        "2023-monitoring.csv", "2023-evaluations.csv", "2023-rectifications.csv", "2023-applications.csv",
        "2023-figures.csv", "2023-fund-types.csv", "2023-documents.csv", "2023-errata.csv",
        "2023-全部数据.xlsx", "2023-全部数据.json",
        "datapackage.json", "SHA256SUMS",
    ])  # no monitoring indicators or evaluation scores in this data set: no empty files for them


def test_csv_matches_model(exported, archive):
    y = archive.years[0]
    projects = read_csv(exported / "2023-projects.csv")
    assert list(projects[0]) == [schema.Project.alias_of(n) for n in schema.Project.public_fields()]
    assert [p["项目编码"] for p in projects] == [p.code for p in y.projects]
    assert [p["金额"] for p in projects] == ["10000.00", "7000.50", "395.38", "120.00"]
    assert sum(Decimal(p["金额"]) for p in projects if p["纳入绩效目标管理"] == "是") == Decimal("17395.88")
    assert [p["示例"] for p in projects] == ["否", "否", "是", "否"]
    exante = read_csv(exported / "2023-exante.csv")
    assert len(exante) == 5 and exante[0]["评估结论"] == "" and exante[0]["申请金额"] == ""  # blanks stay empty
    evaluations = read_csv(exported / "2023-evaluations.csv")
    assert [e["得分"] for e in evaluations] == ["92.5", "78", ""]
    rect = read_csv(exported / "2023-rectifications.csv")
    assert [r["整改编号"] for r in rect] == ["整改2023-1", "整改2023-2"]
    assert rect[0]["完成日期"] == "2023-09-15" and rect[1]["完成日期"] == ""
    figures = {f["项目"]: f for f in read_csv(exported / "2023-figures.csv")}
    assert figures["纳入绩效目标管理的项目支出金额"]["数值"] == "17395.88"
    assert figures["纳入绩效目标管理的项目支出金额"]["单位"] == "万元"
    assert figures["事前评估项目数"]["数值"] == "5"
    documents = read_csv(exported / "2023-documents.csv")
    assert documents[0]["文号"] == "川财绩〔2018〕14号"


def test_xlsx_matches_csv(exported):
    wb = openpyxl.load_workbook(exported / "2023-全部数据.xlsx")
    assert wb.sheetnames[0] == "说明" and wb.sheetnames[-1] == "字段说明"
    assert {"项目", "事前绩效评估", "整改", "汇总数", "引用文件"} <= set(wb.sheetnames)
    ws = wb["项目"]
    rows = list(ws.values)
    assert list(rows[0]) == list(read_csv(exported / "2023-projects.csv")[0])
    amounts = [r[rows[0].index("金额")] for r in rows[1:]]
    assert amounts == [10000, 7000.5, 395.38, 120]  # numeric cells, not text
    assert ws.cell(row=2, column=rows[0].index("金额") + 1).number_format == "0.00"
    # The report's figures mix units: an amount keeps its two places (17395.80 shows as such), a count none.
    formats = {r[0].value: r[1].number_format for r in wb["汇总数"].iter_rows(min_row=2)}
    assert formats["纳入绩效目标管理的项目支出金额"] == "0.00" and formats["事前评估项目数"] == "General"
    rect = wb["整改"]
    header = [c.value for c in rect[1]]
    problem = rect.cell(row=3, column=header.index("问题") + 1)
    assert problem.value == "=1+1 绩效目标不够明确" and problem.data_type == "s"  # text, never a formula
    assert rect.cell(row=2, column=header.index("完成日期") + 1).value.date().isoformat() == "2023-09-15"
    assert rect.cell(row=3, column=header.index("完成日期") + 1).value is None
    for name in wb.sheetnames[1:-1]:
        sheet = wb[name]
        csv_name = next(p for p in exported.glob("*.csv") if read_csv_header(p) == [c.value for c in sheet[1]])
        assert sheet.max_row - 1 == len(read_csv(csv_name)), name
    # The field list is for people: Chinese type names, units where they apply.
    fields = list(wb["字段说明"].values)
    assert fields[0] == ("表", "字段", "类型", "单位", "说明")
    kinds = {(row[0], row[1]): (row[2], row[3]) for row in fields[1:]}
    assert kinds[("项目", "金额")] == ("金额", "万元") and kinds[("项目", "项目名称")] == ("文本", "")
    assert all(re.search(r"[\u4e00-\u9fff]", kind) for kind, _ in kinds.values())


def read_csv_header(path: Path) -> list[str]:
    return next(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


def test_json_matches_model(exported, archive):
    y = archive.years[0]
    doc = json.loads((exported / "2023-全部数据.json").read_text(encoding="utf-8"))
    assert doc["年度"] == 2023 and doc["年度报告"]["成文日期"] == "2024-03-01"
    assert doc["标题"].endswith("（草稿，尚未正式发布）")  # a draft's data says so, as datapackage.json does
    # Kinds without public records are not listed, as in the CSV files (an empty list would claim "none" for a
    # year that may not have published such records at all).
    assert set(doc["记录"]) == {m.TITLE for m in schema.TABLES} - {"监控指标", "评价指标得分"}
    projects = doc["记录"]["项目"]
    assert [p["金额"] for p in projects] == ["10000.00", "7000.50", "395.38", "120.00"]  # exact strings
    assert projects[2]["示例"] is True and projects[0]["纳入绩效目标管理"] is True
    assert doc["记录"]["整改"][0]["完成日期"] == "2023-09-15"
    assert doc["记录"]["事前绩效评估"][0]["申请金额"] is None
    assert len(doc["记录"]["绩效指标"]) == sum(len(g.indicators) for g in y.goals) == 2
    assert {f["项目"]: f["数值"] for f in doc["汇总数"]}["纳入绩效目标管理的项目支出金额"] == "17395.88"
    assert doc["引用文件"][0]["文号"] == "川财绩〔2018〕14号"


def test_non_public_never_exported(exported):
    for path in exported.iterdir():
        data = path.read_bytes()
        texts = [data]
        if path.suffix == ".xlsx":
            import zipfile

            with zipfile.ZipFile(path) as z:
                texts = [z.read(n) for n in z.namelist()]
        for blob in texts:
            for canary in CANARIES:
                assert canary.encode("utf-8") not in blob, (path.name, canary)
            for internal in ("内部联系人", "联系电话", "内部备注"):
                assert internal.encode("utf-8") not in blob, (path.name, internal)


def test_checksums_match(exported):
    lines = (exported / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
    others = {p.name for p in exported.iterdir() if p.name != "SHA256SUMS"}
    assert set(listed) == others
    for name, digest in listed.items():
        assert hashlib.sha256((exported / name).read_bytes()).hexdigest() == digest
    if shutil.which("sha256sum"):
        done = subprocess.run(["sha256sum", "--check", "--strict", "SHA256SUMS"], cwd=exported,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_datapackage_structure(exported):
    package = json.loads((exported / "datapackage.json").read_text(encoding="utf-8"))
    assert package["name"] == "budget-performance-2023" and package["title"]
    paths = [r["path"] for r in package["resources"]]
    assert sorted(paths) == sorted(p.name for p in exported.iterdir() if p.name not in ("datapackage.json",
                                                                                      "SHA256SUMS"))
    for resource in package["resources"]:
        data = (exported / resource["path"]).read_bytes()
        assert resource["bytes"] == len(data)
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert resource["name"] == resource["name"].lower()
        if resource["format"] != "csv":
            continue
        header = read_csv_header(exported / resource["path"])
        fields = resource["schema"]["fields"]
        assert [f["name"] for f in fields] == header
        assert all({"name", "type", "description"} <= set(f) for f in fields)
    projects = next(r for r in package["resources"] if r["name"] == "projects")
    amount = next(f for f in projects["schema"]["fields"] if f["name"] == "金额")
    assert amount["type"] == "number" and amount["unit"] == "万元" and "万元" in amount["description"]
    monitoring = next(r for r in package["resources"] if r["name"] == "monitoring")
    rate = next(f for f in monitoring["schema"]["fields"] if f["name"] == "执行率")
    assert rate["unit"] == "%"
    sample = next(f for f in projects["schema"]["fields"] if f["name"] == "示例")
    assert sample["type"] == "boolean" and sample["trueValues"] == ["是"]
    assert projects["schema"]["primaryKey"] == ["项目编码"]
    assert "primaryKey" not in next(r for r in package["resources"] if r["name"] == "indicators")["schema"]


def test_datapackage_validates_with_frictionless(exported):
    import frictionless
    report = frictionless.validate(str(exported / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_same_model_same_bytes(archive, tmp_path):
    first = opendata.export_year(archive.years[0], tmp_path / "a")
    second = opendata.export_year(archive.years[0], tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_xlsx_timestamps_come_from_data(exported):
    import zipfile

    with zipfile.ZipFile(exported / "2023-全部数据.xlsx") as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode("utf-8")
    assert "2024-03-01T00:00:00Z" in core  # the report's 成文日期


EXAMPLE = ROOT / "examples" / "shixian" / "data"


def test_multi_year_example_exports_every_record(tmp_path):
    import frictionless
    archive = build_model(EXAMPLE)
    for y in archive.years:
        dest = tmp_path / str(y.year)
        opendata.export_year(y, dest)
        for kind, records in opendata.year_records(y).items():
            path = dest / f"{y.year}-{Path(kind.FILE).stem}.csv"
            assert len(read_csv(path)) == len(records) if records else not path.exists(), path.name
        projects = read_csv(dest / f"{y.year}-projects.csv")
        assert sum(Decimal(p["金额"]) for p in projects) == sum(p.amount for p in y.projects)
        report = frictionless.validate(str(dest / "datapackage.json"))
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]


@pytest.mark.slow
def test_published_year_downloads_verify(shixian_site):
    """In the built multi-year site, every /<year>/data/ folder checks out against its SHA256SUMS and validates."""
    import frictionless
    folders = sorted(p.parent for p in shixian_site.glob("*/data/SHA256SUMS"))
    assert [f.parent.name for f in folders] == ["2021", "2022", "2023", "2024"]
    for folder in folders:
        for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
            digest, name = line.split("  ", 1)
            assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, f"{folder.parent.name}/{name}"
        report = frictionless.validate(str(folder / "datapackage.json"))
        assert report.valid, (folder.parent.name, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5])
