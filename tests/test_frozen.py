"""Published years stay as registered in frozen.yaml: a change needs a new erratum, and the register must be updated
(and committed) before any build that does not update it itself (CI, --site, validate) accepts the change."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from generator import cli, freeze, pipeline
from generator.problems import DataError, Report
from tests.conftest import ROOT

SHIXIAN = ROOT / "examples" / "shixian" / "data"
# The review's correction: 事前2023-2 建议金额 201.03 → 180.00, with its erratum.
EXANTE = "2023/exante.csv"
CORRECTION = """  - 日期: 2024-05-10
    说明: 事前评估“柳林乡小型水库除险加固工程”的建议金额录入有误，予以更正。
    变更内容: 建议金额由 201.03 万元更正为 180.00 万元。
"""


@pytest.fixture
def data(tmp_path) -> Path:
    dest = tmp_path / "data"
    shutil.copytree(SHIXIAN, dest)
    return dest


def edit(data: Path, rel: str, old: str, new: str) -> None:
    path = data / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def correct_2023(data: Path) -> None:
    """The correction as a clerk makes it: the record and a new entry in 更正说明."""
    edit(data, EXANTE, "予以支持,201.03,201.03", "予以支持,201.03,180.00")
    edit(data, "2023/report.yaml", "更正说明: []\n", "更正说明:\n" + CORRECTION)


def run(capsys, *argv: str) -> tuple[int, str]:
    code = cli.main(["--root", str(ROOT), *argv])
    out, err = capsys.readouterr()
    return code, out + err


def problems(capsys, data: Path) -> tuple[int, list[dict]]:
    code, printed = run(capsys, "--data", str(data), "validate", "--format", "json")
    return code, json.loads(printed)["problems"]


def test_a_correction_left_unregistered_fails_validation_and_the_ci_build(data, tmp_path, capsys):
    """The review's hole: the register stayed as before the correction, so a later silent change passed under the
    pending erratum. Now validate and every build that does not register refuse until the register is updated."""
    register = (data / "frozen.yaml").read_bytes()
    correct_2023(data)
    code, found = problems(capsys, data)
    assert code == cli.EXIT_DATA
    assert [(p["code"], p["file"], p["field"], p["severity"]) for p in found] == [
        ("frozen-year-unregistered", "data/frozen.yaml", "2023", "错误")]
    message = found[0]["message"]
    assert "python -m generator freeze 2023" in message and "data/frozen.yaml" in message
    assert "exante.csv" in message  # what the erratum must account for
    assert "构建成功后" not in message

    site = tmp_path / "site"
    code, printed = run(capsys, "--data", str(data), "--site", str(site), "build", "--quiet")
    assert code == cli.EXIT_DATA and "frozen-year-unregistered" in printed and "构建成功后" not in printed
    assert not site.exists() and (data / "frozen.yaml").read_bytes() == register

    # Registered as the message says, the correction passes; a second change without an erratum does not.
    code, printed = run(capsys, "--data", str(data), "freeze", "2023")
    assert code == 0, printed
    assert problems(capsys, data) == (0, [])
    edit(data, EXANTE, "事前2023-1,51999923R0000088,龙泉镇农村公路日常养护,示例县交通运输局,示例会计师事务所（虚构）,予以支持,263.15,263.15",
         "事前2023-1,51999923R0000088,龙泉镇农村公路日常养护,示例县交通运输局,示例会计师事务所（虚构）,不予支持,263.15,0.00")
    code, found = problems(capsys, data)
    assert code == cli.EXIT_DATA
    assert ("frozen-year-changed", "data/2023/report.yaml") in {(p["code"], p["file"]) for p in found}


def test_a_published_year_never_registered_fails_outside_a_plain_build(data, capsys):
    """Marked 已发布 and pushed without a plain build or freeze, a year would never be registered, and every later
    change to it would pass."""
    frozen = freeze.read_frozen(data, pipeline.Report())
    del frozen.years[2023]
    freeze.write_frozen(data, frozen)
    code, found = problems(capsys, data)
    assert code == cli.EXIT_DATA
    assert [(p["code"], p["file"], p["field"], p["value"]) for p in found] == [
        ("frozen-year-unregistered", "data/frozen.yaml", "2023", "未登记")]
    assert "python -m generator freeze 2023" in found[0]["message"]


@pytest.mark.parametrize("unregistered", list(freeze.Unregistered))
def test_each_command_says_what_it_does_about_the_register(data, unregistered):
    """The plain build registers after success and says so; preview and import leave the register and say how to
    update it; validate and the other builds refuse. No command promises a registration it does not make."""
    correct_2023(data)
    _, report = pipeline.validate(data, unregistered=unregistered)
    [problem] = [p for p in report.problems if p.code.startswith("frozen-year")]
    if unregistered is freeze.Unregistered.REFUSE:
        assert (problem.code, str(problem.severity)) == ("frozen-year-unregistered", "错误")
    else:
        assert (problem.code, str(problem.severity)) == ("frozen-year-recorded", "提示")
    promises = "构建成功后" in problem.message
    assert promises == (unregistered is freeze.Unregistered.REGISTER), problem.message
    assert "data/frozen.yaml" in problem.message


def test_import_and_preview_still_work_on_a_correction_not_yet_registered(data, tmp_path):
    """import validates with the defaults, and serve generates with them: both go on, with a notice."""
    correct_2023(data)
    _, report = pipeline.validate(data)
    assert report.ok and [p.code for p in report.notices] == ["frozen-year-recorded"]
    assert "python -m generator freeze 2023" in report.notices[0].message
    pipeline.generate(data, tmp_path / "out")
    assert "180.00" in (tmp_path / "out" / "2023" / "exante.csv").read_text(encoding="utf-8")


def test_an_imported_correction_is_told_to_be_registered(data, tmp_path, capsys):
    """The documented way to correct: export, change in Excel, add the erratum, import. The import writes the change
    and says that the year must be registered before it is committed; until then validation refuses it."""
    from openpyxl import load_workbook

    from generator import excel

    book = tmp_path / "2023.xlsx"
    assert excel.export_year(data, 2023, book).ok
    wb = load_workbook(book)
    ws = wb["事前绩效评估"]
    row = next(c.row for c in ws["A"] if c.value == "事前2023-2")
    column = next(c.column for c in ws[2] if c.value == "建议金额")
    ws.cell(row, column).value = 180
    wb.save(book)
    edit(data, "2023/report.yaml", "更正说明: []\n", "更正说明:\n" + CORRECTION)
    code, printed = run(capsys, "--data", str(data), "import", str(book), "--quiet")
    assert code == 0, printed
    assert "180.00" in (data / EXANTE).read_text(encoding="utf-8")
    assert "frozen-year-recorded" in printed and "构建成功后" not in printed
    # (the data folder given with --data, so the command registers that folder)
    assert f"核对无误后运行 python -m generator --data {data.resolve().as_posix()} freeze 2023 重新登记校验值" in printed
    code, found = problems(capsys, data)
    assert code == cli.EXIT_DATA and [p["code"] for p in found] == ["frozen-year-unregistered"]


def test_the_plain_build_is_the_one_build_that_registers(data, tmp_path):
    """pipeline.build decides from its paths: only the default data and site folders are registered; any other
    build (tests/test_site_pages.py builds the default ones) refuses what is not registered."""
    assert pipeline.Paths(ROOT).unregistered is freeze.Unregistered.REGISTER
    assert pipeline.Paths(ROOT, site_dir=tmp_path / "site").unregistered is freeze.Unregistered.REFUSE
    correct_2023(data)
    with pytest.raises(DataError) as refused:
        pipeline.build(pipeline.Paths(ROOT, data, tmp_path / "site"), quiet=True)
    assert [p.code for p in refused.value.report.errors] == ["frozen-year-unregistered"]


def test_freeze_refuses_data_with_errors(data, capsys):
    """Registered with a mistake in it, a year could be put right only with another erratum."""
    correct_2023(data)
    edit(data, EXANTE, "予以支持,201.03,180.00", "予以支持,201.03,280.00")  # more than applied for
    register = (data / "frozen.yaml").read_bytes()
    code, printed = run(capsys, "--data", str(data), "freeze", "2023")
    assert code == cli.EXIT_DATA
    assert "out-of-range" in printed and "未登记" in printed
    assert (data / "frozen.yaml").read_bytes() == register


def test_a_change_without_erratum_says_how_to_see_what_changed(data, capsys, monkeypatch):
    """frozen.yaml keeps a checksum per file, not the old records: the message names the files and the command that
    shows the changed records, with the path as the clerk's folder names them."""
    edit(data, EXANTE, "予以支持,201.03,201.03", "予以支持,201.03,180.00")
    _, report = pipeline.validate(data)
    [changed] = [p for p in report.errors if p.code == "frozen-year-changed"]
    assert "改动的文件：exante.csv；" in changed.message
    assert "git diff -- data/2023/exante.csv" in changed.message
    monkeypatch.chdir(data.parent.parent)  # run from the folder above: the data are <tmp>/data
    code, printed = run(capsys, "--data", str(data), "validate")
    assert code == cli.EXIT_DATA
    shown = f"{data.parent.name}/data"
    assert f"[错误] {shown}/2023/report.yaml" in printed
    assert f"git diff -- {shown}/2023/exante.csv" in printed


def test_an_erratum_must_say_what_changed(data, capsys):
    """The guide and the messages ask for 日期、说明与变更内容: an erratum without 变更内容 tells the public nothing
    about the change. The error names the file, the erratum's line and place, the field and what to write."""
    edit(data, EXANTE, "予以支持,201.03,201.03", "予以支持,201.03,180.00")
    edit(data, "2023/report.yaml", "更正说明: []\n", "更正说明:\n  - 日期: 2024-05-10\n    说明: 金额更正。\n")
    lines = (data / "2023" / "report.yaml").read_text(encoding="utf-8").splitlines()
    line = lines.index("  - 日期: 2024-05-10") + 1
    code, found = problems(capsys, data)
    assert code == cli.EXIT_DATA
    missing = [p for p in found if p["code"] == "missing-field"]
    assert [(p["file"], p["row"], p["field"]) for p in missing] == [("data/2023/report.yaml", line, "更正说明第1项.变更内容")]
    assert "由什么改为什么" in missing[0]["message"] and not re.search(r"[A-Za-z]{4,}", missing[0]["message"])


def test_an_erratum_registered_before_it_had_to_say_what_changed_stays_as_published(data, capsys):
    """A county whose registered erratum has no 变更内容 (it was optional) is not stopped: filling it in would change
    a published year and take another erratum. The next erratum must say what changed."""
    report = data / "2021" / "report.yaml"
    text = report.read_text(encoding="utf-8")
    old = re.search(r"\n  变更内容: [^\n]*", text).group(0)
    report.write_text(text.replace(old, "", 1), encoding="utf-8")
    # (registered as it was published then, when 变更内容 was optional)
    register = yaml.safe_load((data / "frozen.yaml").read_text(encoding="utf-8"))
    frozen = freeze.read_frozen(data, Report())
    state = next(s for s in freeze.states(pipeline.validate(data)[0], frozen) if s.year == 2021)
    frozen.years[2021] = state.registration()
    freeze.write_frozen(data, frozen)
    assert register != yaml.safe_load((data / "frozen.yaml").read_text(encoding="utf-8"))
    assert problems(capsys, data) == (0, [])
    correct_2023(data)
    edit(data, "2023/report.yaml", "    变更内容: 建议金额由 201.03 万元更正为 180.00 万元。\n", "")
    code, found = problems(capsys, data)
    assert code == cli.EXIT_DATA and ("missing-field", "更正说明第1项.变更内容") in {(p["code"], p["field"]) for p in found}


def test_the_bundled_errata_say_what_changed():
    errata = [e for report in [*SHIXIAN.glob("*/report.yaml"), *(ROOT / "data").glob("*/report.yaml")]
              for e in yaml.safe_load(report.read_text(encoding="utf-8"))["更正说明"]]
    assert len(errata) == 2 and all(e.get("变更内容") for e in errata)


def test_the_errata_guide_quotes_what_the_commands_print(tmp_path, capsys, monkeypatch):
    """The two errors errata.md shows, on the bundled 2023 (one erratum already): a change without an erratum, and
    a correction whose register was not updated."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    monkeypatch.chdir(tmp_path)
    guide = (ROOT / "content" / "guide" / "errata.md").read_text(encoding="utf-8")
    edit(data, EXANTE, "岳池县城市社区综合服务提升项目,,,,,,,", "岳池县城市社区综合服务提升项目,,,,,102.00,,")
    _, printed = run(capsys, "--data", str(data), "validate")
    [line] = [t for t in printed.splitlines() if "frozen-year-changed" in t]
    assert line in guide
    report = data / "2023" / "report.yaml"
    report.write_text(report.read_text(encoding="utf-8") + "  - 日期: 2026-12-01\n    说明: 建议金额录入有误，予以更正。\n"
                      "    变更内容: 建议金额由 120.00 万元更正为 102.00 万元。\n", encoding="utf-8")
    _, printed = run(capsys, "--data", str(data), "validate")
    [line] = [t for t in printed.splitlines() if "frozen-year-unregistered" in t]
    assert line in guide


def test_the_register_advice_names_the_data_folder_given_with_data(tmp_path, capsys, monkeypatch):
    """With --data, "run python -m generator freeze 2023 and commit data/frozen.yaml" registered the project's own
    data/ instead, and the example kept failing. The advice now carries --data and the folder's frozen.yaml, and
    following it to the letter registers the year."""
    data = tmp_path / "county" / "records"
    shutil.copytree(SHIXIAN, data)
    correct_2023(data)
    monkeypatch.chdir(tmp_path)
    code, printed = run(capsys, "--data", "county/records", "validate")
    assert code == cli.EXIT_DATA
    assert "python -m generator --data county/records freeze 2023 登记，再把 county/records/frozen.yaml" in printed
    command = re.search(r"python -m generator (--data \S+ freeze 2023)", printed).group(1).split()
    assert run(capsys, *command)[0] == 0
    assert run(capsys, "--data", "county/records", "validate")[0] == 0
