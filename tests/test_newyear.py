"""new-year: a draft year with the report skeleton, departments carried over, empty tables; never overwrites."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import build_site

from generator import cli, dataset, excel, newyear, schema
from generator.problems import Report


def test_new_year_creates_a_valid_draft(data_copy: Path, capsys):
    previous = data_copy / "2023" / "report.yaml"
    previous.write_text(previous.read_text(encoding="utf-8").replace("发布机构:\n", "发布机构: 岳池县财政局\n"),
                        encoding="utf-8")
    assert cli.main(["--data", str(data_copy), "new-year", "2024"]) == 0
    out = capsys.readouterr().out
    assert "已新建 2024 年度（状态：草稿）" in out
    # The next step is a command that runs as printed, on this data folder.
    shown = data_copy.resolve().as_posix()
    assert f"\n  {shown}/2024/report.yaml\n" in out
    assert f"填好后运行 python -m generator --data {shown} import <工作簿.xlsx> --year 2024。" in out
    year_dir = data_copy / "2024"
    assert sorted(p.name for p in year_dir.iterdir()) == sorted(
        [schema.YearReport.FILE] + [m.FILE for m in schema.TABLES])
    # Departments carry over byte for byte; every other table starts empty with the full header.
    assert (year_dir / "departments.csv").read_bytes() == (data_copy / "2023" / "departments.csv").read_bytes()
    for model in schema.TABLES:
        if model is schema.Department:
            continue
        rows = list(csv.reader((year_dir / model.FILE).open(encoding="utf-8")))
        assert rows == [[c.alias for c in excel.columns(model)]]

    report = Report()
    data = dataset.read_year(data_copy, year_dir, 2024, report)
    assert report.ok, report.as_text()
    rep = data.report
    assert rep.status is schema.YearStatus.DRAFT
    assert rep.title == "岳池县2024年度预算绩效管理工作开展情况"
    assert rep.publisher == "岳池县财政局"  # carried over from 2023
    assert rep.documents == [] and rep.errata == []
    assert all(v is None for v in rep.figures.model_dump().values())
    assert rep.overview == [newyear.PLACEHOLDER] and rep.application == [newyear.PLACEHOLDER]
    # Every field of the report appears in the skeleton, so staff see each heading to fill.
    text = (year_dir / "report.yaml").read_text("utf-8")
    for field in schema.YearReport.model_fields.values():
        assert f"\n{field.alias}:" in text
    for field in schema.DeclaredFigures.model_fields.values():
        assert f"#  {field.alias}:" in text


def test_new_year_refuses_to_overwrite(data_copy: Path, capsys):
    before = {p: p.read_bytes() for p in (data_copy / "2023").iterdir()}
    assert cli.main(["--data", str(data_copy), "new-year", "2023"]) == 1
    assert "年度已存在（year-exists）；现值：2023；2023 年度已存在，不会覆盖" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in (data_copy / "2023").iterdir()} == before
    report, created = newyear.new_year(data_copy, 1999)
    assert created == [] and [p.code for p in report.errors] == ["out-of-range"]
    assert not (data_copy / "1999").exists()
    assert not [p for p in data_copy.iterdir() if p.name.startswith(".new-")]


@pytest.mark.slow
def test_draft_year_builds_and_shows_as_draft(data_copy: Path, tmp_path: Path):
    newyear.new_year(data_copy, 2024)
    site = build_site(data_copy, tmp_path / "site")
    page = BeautifulSoup((site / "2024" / "index.html").read_text("utf-8"), "html.parser")
    assert page.find("div", class_="admonition warning").find(class_="admonition-title").get_text() == "草稿"
    nav = " ".join(a.get_text(" ", strip=True) for a in page.select("nav a"))
    assert "2024年度（草稿）" in nav
    published = BeautifulSoup((site / "2023" / "index.html").read_text("utf-8"), "html.parser")
    assert published.find("div", class_="admonition warning") is None or "草稿" not in \
        published.find("div", class_="admonition warning").get_text()


def test_following_the_skeletons_hints_gives_a_valid_report(data_copy: Path, capsys):
    """Each commented example in report.yaml becomes valid YAML by doing what its comment says: drop the "[]" or
    "{}", take away the leading "#" of the lines used, put text where "…" is."""
    assert cli.main(["--data", str(data_copy), "new-year", "2024"]) == 0
    path = data_copy / "2024" / "report.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    out, filling = [], None
    for line in lines:
        if line.startswith(("存在的问题: []", "引用文件: []", "更正说明: []", "汇总数: {}")):
            filling = line.split(":")[0]
            out.append(f"{filling}:")
        elif filling and line.startswith("#  "):
            entry = line[1:].replace("…", "示例文字")
            if filling == "汇总数":
                entry = entry.replace(":", ": 3", 1) if "项目数" in entry else None
            elif filling == "引用文件" and "链接" in entry:
                entry = None  # optional; a link must be an address
            elif filling == "更正说明" and "日期" in entry:
                entry = entry.replace("示例文字", "2025-01-10")
            if entry:
                out.append(entry)
        else:
            filling = None if not line.startswith("#") else filling
            out.append(line)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    report = Report()
    data = dataset.read_year(data_copy, data_copy / "2024", 2024, report)
    assert report.ok, report.as_text()
    rep = data.report
    assert [(i.title, i.body) for i in rep.problems] == [("示例文字", "示例文字")]
    assert rep.documents[0].key == "示例文字" and rep.errata[0].on.isoformat() == "2025-01-10"
    assert rep.figures.exante_projects == 3


def test_a_year_cannot_be_published_with_the_skeletons_placeholders(data_copy: Path):
    """（待填写） is fine in a draft; published, the county's report would say it to the public."""
    from generator import pipeline

    newyear.new_year(data_copy, 2024)
    report = data_copy / "2024" / "report.yaml"
    _, found = pipeline.validate(data_copy)
    assert found.ok, found.as_text()
    report.write_text(report.read_text("utf-8").replace("状态: 草稿", "状态: 已发布"), encoding="utf-8")
    _, found = pipeline.validate(data_copy)
    unfinished = [p for p in found.errors if p.code == "unfinished-text"]
    assert unfinished and all(p.file == "data/2024/report.yaml" and p.row for p in unfinished)
    lines = report.read_text("utf-8").splitlines()
    assert {lines[p.row - 1].strip() for p in unfinished} <= {"- （待填写）", "标题: （待填写）", "内容: （待填写）",
                                                              "- 标题: （待填写）"}
