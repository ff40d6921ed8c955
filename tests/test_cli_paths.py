"""Files named in reports open from the folder the command runs in, also with --data pointing elsewhere."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from openpyxl import Workbook

from generator import cli
from tests.conftest import ROOT


def test_json_report_gives_the_path_to_open_beside_the_stable_file_name(tmp_path, capsys, monkeypatch):
    data = tmp_path / "县数据"
    shutil.copytree(ROOT / "examples" / "shixian" / "data", data)
    path = data / "2024" / "projects.csv"  # (a draft year: no erratum needed)
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[1] = lines[1].replace(".", "x", 1)  # an amount that cannot be read
    path.write_text("\n".join(lines), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--root", str(ROOT), "--data", str(data), "validate", "--format", "json"]) == cli.EXIT_DATA
    problems = json.loads(capsys.readouterr().out)["problems"]
    bad = next(p for p in problems if p["code"] == "bad-money")
    assert bad["file"] == "县数据/2024/projects.csv" and bad["path"] == "县数据/2024/projects.csv"
    assert (tmp_path / bad["path"]).is_file()
    monkeypatch.chdir(ROOT)  # the data outside the current folder: its full path
    assert cli.main(["--root", str(ROOT), "--data", str(data), "validate", "--format", "json"]) == cli.EXIT_DATA
    bad = next(p for p in json.loads(capsys.readouterr().out)["problems"] if p["code"] == "bad-money")
    assert bad["file"] == "县数据/2024/projects.csv" and Path(bad["path"]) == path.resolve()


def test_import_names_the_data_folder_it_wrote_to(tmp_path, capsys, monkeypatch):
    data = tmp_path / "county" / "records"
    shutil.copytree(ROOT / "examples" / "shixian" / "data", data)
    book = tmp_path / "units.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "预算单位"
    ws.append(["单位编码", "单位名称", "级次"])
    ws.append(["999099", "示例县档案馆", "一级"])
    wb.save(book)
    monkeypatch.chdir(tmp_path)
    code = cli.main(["--root", str(ROOT), "--data", str(data), "import", str(book), "--year", "2024", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "已导入到 county/records/2024/：" in out and "data/2024" not in out


def test_build_elsewhere_says_how_to_look_at_that_site_and_quiet_says_nothing(tmp_path, capsys):
    """A site built with --site was advised to be previewed with serve, which shows data/ from content/ instead."""
    site = tmp_path / "out"
    assert cli.main(["--root", str(ROOT), "--site", str(site), "build"]) == 0
    out = capsys.readouterr().out
    assert f"预览：python -m http.server -d {site} 8000" in out and "generator serve" not in out
    assert cli.main(["--root", str(ROOT), "--site", str(site), "build", "--quiet"]) == 0
    assert capsys.readouterr().out == ""
