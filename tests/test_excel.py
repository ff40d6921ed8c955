"""Excel workflow: templates derived from the schema, a filled template imported and published, located errors."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import build_site
from openpyxl import Workbook, load_workbook

from generator import excel, newyear, schema
from generator.excel_import import import_workbook

ALL_IN_ONE = f"{excel.ALL_IN_ONE}.xlsx"
PROJECT = "51162124R000000000001"


# --- helpers: fill a template the way a clerk would -------------------------------------------


def _label_cell(ws, label: str, after: int = 1):
    for row in ws.iter_rows(min_row=after):
        for cell in row:
            if cell.value == label:
                return cell
    raise AssertionError(f"label {label} not found in {ws.title}")


def _value_cell(ws, label: str, after: int = 1):
    cell = _label_cell(ws, label, after)
    end = cell.column
    for rng in ws.merged_cells.ranges:
        if cell.coordinate in rng:
            end = rng.max_col
    return ws.cell(cell.row, end + 1)


def fill_form(ws, header: dict[str, object], rows: list[dict[str, object]]) -> None:
    for label, value in header.items():
        _value_cell(ws, label).value = value
    first = _label_cell(ws, "三级指标")
    columns = {ws.cell(first.row, c).value: c for c in range(1, ws.max_column + 1)}
    for i, values in enumerate(rows, start=first.row + 1):
        for label, value in values.items():
            ws.cell(i, columns[label]).value = value


def fill_list(ws, rows: list[dict[str, object]], header_row: int = 2) -> None:
    columns = {ws.cell(header_row, c).value: c for c in range(1, ws.max_column + 1)}
    for i, values in enumerate(rows, start=header_row + 1):
        for label, value in values.items():
            ws.cell(i, columns[label]).value = value


def filled_workbook(path: Path, year: int = 2024) -> Path:
    wb = load_workbook(path)
    wb[excel.INSTRUCTIONS_SHEET]["B3"] = year
    fill_list(wb["预算单位"], [{"单位名称": "县教育局", "级次": "一级"}])
    fill_list(wb["项目"], [{"项目编码": PROJECT, "项目名称": "岳池县义务教育学生营养改善计划", "主管部门": "县教育局",
                            "项目属性": "延续", "预算类型": "一般公共预算", "金额": 1234.5, "纳入绩效目标管理": "是"}])
    fill_form(wb["绩效目标表"], {
        "目标编号": "目标2024-001", "对象类型": "项目", "项目编码": PROJECT, "单位名称": "县教育局",
        "年度目标": "保障全县义务教育阶段学生营养餐供应", "年度资金总额": 1234.5, "本年财政拨款": 1234.5, "其他资金": 0,
    }, [
        {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "受益学生人数", "指标性质": "≥", "指标值": 32000,
         "度量单位": "人", "分值": 30},
        {"一级指标": "产出指标", "二级指标": "质量指标", "三级指标": "食品安全事故", "指标性质": "定性", "指标值": "无",
         "分值": 20},
        {"一级指标": "效益指标", "二级指标": "社会效益", "三级指标": "学生营养状况改善", "指标性质": "定性",
         "指标值": "明显改善", "分值": 30},
        {"一级指标": "满意度指标", "二级指标": "服务对象满意度", "三级指标": "家长满意度", "指标性质": "≥",
         "指标值": 90, "度量单位": "%", "分值": 10},
        {"一级指标": "预算执行率", "二级指标": "预算执行率", "三级指标": "预算执行率", "指标性质": "≥", "指标值": 100,
         "度量单位": "%", "分值": 10},
    ])
    fill_form(wb["项目支出绩效自评表"], {
        "评价编号": "评价2024-001", "评价类型": "单位自评", "对象类型": "项目", "项目编码": PROJECT,
        "单位名称": "县教育局", "评价年度": year - 1, "评价机构": "县教育局", "得分": 95.5, "等级": "优",
        "发现问题": "部分学校营养餐台账登记不完整",
    }, [
        {"一级指标": "产出指标", "二级指标": "数量指标", "三级指标": "受益学生人数", "指标性质": "≥", "指标值": 32000,
         "完成值": 32500, "分值": 30, "得分": 30},
        {"一级指标": "产出指标", "二级指标": "质量指标", "三级指标": "食品安全事故", "指标性质": "定性", "指标值": "无",
         "完成值": "无", "分值": 20, "得分": 20},
        {"一级指标": "效益指标", "二级指标": "社会效益", "三级指标": "学生营养状况改善", "指标性质": "定性",
         "指标值": "明显改善", "完成值": "有所改善", "分值": 30, "得分": 27, "偏差原因": "部分学校开餐时间晚"},
        {"一级指标": "满意度指标", "二级指标": "服务对象满意度", "三级指标": "家长满意度", "指标性质": "≥",
         "指标值": 90, "完成值": 95, "分值": 10, "得分": 10},
        {"一级指标": "预算执行率", "二级指标": "预算执行率", "三级指标": "预算执行率", "指标性质": "≥", "指标值": 100,
         "完成值": 85, "分值": 10, "得分": 8.5},
    ])
    fill_list(wb["整改台账"], [{
        "整改编号": "整改2024-001", "来源类型": "绩效评价", "来源编号": "评价2024-001", "单位名称": "县教育局",
        "项目编码": PROJECT, "问题": "营养餐台账登记不完整，部分学校缺少每日留样记录", "整改要求": "建立每日留样台账",
        "发现日期": dt.datetime(year, 6, 30), "整改期限": 45565,  # a date typed as an Excel serial: 2024-09-30
        "状态": "整改中",
    }])
    out = path.parent / "filled.xlsx"
    wb.save(out)
    return out


@pytest.fixture
def new_year_data(data_copy: Path) -> Path:
    report, _ = newyear.new_year(data_copy, 2024)
    assert report.ok, report.as_text()
    return data_copy


@pytest.fixture(scope="session")
def templates(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("templates")
    assert excel.write_templates(out)[0]
    return out


def _snapshot(data_dir: Path) -> dict[str, bytes]:
    return {p.relative_to(data_dir).as_posix(): p.read_bytes() for p in sorted(data_dir.rglob("*")) if p.is_file()}


# --- templates ----------------------------------------------------------------------------------


def test_templates_have_schema_headers_dropdowns_formats_and_instructions(templates: Path):
    assert sorted(p.name for p in templates.iterdir()) == sorted(f"{n}.xlsx" for n in excel.TEMPLATE_BOOKS)
    wb = load_workbook(templates / ALL_IN_ONE)
    ws = wb["项目"]
    header = [c.value for c in ws[2] if c.value]
    assert header == [c.alias for c in excel.columns(schema.Project)]
    assert ws.freeze_panes == "A3"
    money_col = header.index("金额") + 1
    assert ws.cell(3, money_col).number_format == "0.00"
    lists = {str(dv.sqref).split(":")[0][:-1]: dv.formula1 for dv in ws.data_validations.dataValidation}
    options = wb[excel.OPTIONS_SHEET]
    assert options.sheet_state == "hidden"

    def choices(formula: str) -> list[str]:
        col = formula.split("!$")[1][0]
        return [c.value for c in options[col][1:] if c.value]

    budget_col = excel.columns(schema.Project)[header.index("预算类型")]
    assert choices(lists[chr(64 + header.index("预算类型") + 1)]) == list(budget_col.options)
    assert choices(lists[chr(64 + header.index("纳入绩效目标管理") + 1)]) == ["是", "否"]
    # The indicator table offers the 二级指标 of the official hierarchy and 指标性质 symbols.
    goal = wb["绩效目标表"]
    formulas = [dv.formula1 for dv in goal.data_validations.dataValidation]
    all_choices = [choices(f) for f in formulas]
    assert any("数量指标" in c and "服务对象满意度" in c for c in all_choices)
    assert any(c == ["≥", "≤", "=", "定性"] for c in all_choices)
    monitoring = wb["绩效运行监控表"]
    rate_label = _label_cell(monitoring, "执行率")
    assert monitoring.cell(rate_label.row, rate_label.column + 1).number_format == '0.00"%"'
    # Every field of every sheet is explained on the instructions sheet, from schema.field_rows.
    texts = {c.value for row in wb[excel.INSTRUCTIONS_SHEET].iter_rows() for c in row if c.value}
    # (A form sheet fills in the link of the rows under a record, 目标编号 of an indicator: not a column to explain.)
    links = {(s.child, s.child.alias_of(s.link)) for s in excel.SHEETS if isinstance(s, excel.FormSheet)}
    for model in schema.TABLES:
        for row in schema.field_rows(model):
            assert row["name"] in texts
            if row["description"] and (model, row["name"]) not in links:
                assert any(isinstance(t, str) and t.startswith(row["description"]) for t in texts)


def test_layout_hints_name_real_fields():
    fields = {a for m in schema.TABLES for a in m.model_fields}
    assert excel.WIDE_FIELDS <= fields
    assert set(excel.TEXT_OPTIONS) <= fields
    covered = {m for s in excel.SHEETS for m in ((s.model,) if isinstance(s, excel.ListSheet) else s.models)}
    assert covered == set(schema.TABLES)


# --- import: a filled template ends up on the site ----------------------------------------------


@pytest.mark.slow
def test_filled_template_is_imported_and_published(templates: Path, new_year_data: Path, tmp_path: Path):
    shutil.copy(templates / ALL_IN_ONE, tmp_path / ALL_IN_ONE)
    book = filled_workbook(tmp_path / ALL_IN_ONE)
    result = import_workbook(book, new_year_data)
    assert result.ok, result.as_text()
    year_dir = new_year_data / "2024"
    assert "营养改善计划,县教育局,,延续,一般公共预算,1234.50,是" in (year_dir / "projects.csv").read_text("utf-8")
    rect = (year_dir / "rectifications.csv").read_text("utf-8")
    assert "2024-06-30,2024-09-30,整改中" in rect
    assert (year_dir / "indicators.csv").read_text("utf-8").count("目标2024-001") == 5
    assert (year_dir / "evaluation_scores.csv").read_text("utf-8").count("评价2024-001") == 5

    site = build_site(new_year_data, tmp_path / "site")
    page = BeautifulSoup((site / "2024" / "index.html").read_text("utf-8"), "html.parser")
    text = page.get_text(" ")
    assert "草稿" in text
    cells = {td.get_text(strip=True) for td in page.find_all("td")}
    assert {"目标2024-001", "评价2024-001", "营养餐台账登记不完整，部分学校缺少每日留样记录"} <= cells
    assert "95.5" in cells or "95.50" in cells


def test_import_twice_changes_nothing(templates: Path, new_year_data: Path, tmp_path: Path):
    shutil.copy(templates / ALL_IN_ONE, tmp_path / ALL_IN_ONE)
    book = filled_workbook(tmp_path / ALL_IN_ONE)
    assert import_workbook(book, new_year_data).ok
    before = _snapshot(new_year_data)
    again = import_workbook(book, new_year_data)
    assert again.ok and again.written == []
    assert _snapshot(new_year_data) == before


def test_export_then_import_round_trips(templates: Path, new_year_data: Path, tmp_path: Path):
    shutil.copy(templates / ALL_IN_ONE, tmp_path / ALL_IN_ONE)
    assert import_workbook(filled_workbook(tmp_path / ALL_IN_ONE), new_year_data).ok
    for year in (2023, 2024):
        before = _snapshot(new_year_data)
        out = tmp_path / f"export-{year}.xlsx"
        assert excel.export_year(new_year_data, year, out).ok
        result = import_workbook(out, new_year_data)
        assert result.ok, result.as_text()
        assert result.written == []
        assert _snapshot(new_year_data) == before

    # Into an empty year the export recreates the same records (files gain the full set of columns).
    empty = tmp_path / "empty" / "data"
    shutil.copytree(new_year_data, empty)
    for f in (empty / "2024").glob("*.csv"):
        f.unlink()
    result = import_workbook(tmp_path / "export-2024.xlsx", empty)
    assert result.ok, result.as_text()
    excel.export_year(empty, 2024, tmp_path / "again.xlsx")
    assert _sheet_values(tmp_path / "again.xlsx") == _sheet_values(tmp_path / "export-2024.xlsx")


def _sheet_values(path: Path) -> dict[str, list[tuple]]:
    wb = load_workbook(path)
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()] for ws in wb.worksheets}


# --- import: malformed workbooks ------------------------------------------------------------------


def test_malformed_workbook_gives_located_chinese_errors_and_changes_nothing(templates: Path,
                                                                             new_year_data: Path, tmp_path: Path):
    wb = load_workbook(templates / ALL_IN_ONE)
    wb[excel.INSTRUCTIONS_SHEET]["B3"] = 2024
    fill_list(wb["预算单位"], [{"单位名称": "县教育局"}])
    fill_list(wb["项目"], [
        {"项目编码": PROJECT, "项目名称": "甲", "主管部门": "县教育局", "预算类型": "一般预算", "金额": 10},
        {"项目编码": "51162124R000000000002", "项目名称": "乙", "主管部门": "县教育局",
         "预算类型": "一般公共预算", "金额": "一千万"},
        {"项目编码": PROJECT, "项目名称": "丙", "主管部门": "县教育局", "预算类型": "一般公共预算", "金额": 5},
    ])
    ex = wb["事前绩效评估"]
    name = _label_cell(ex, "项目名称")
    ex.delete_cols(name.column)
    fill_list(ex, [{"评估编号": "事前2024-1", "主管部门": "县教育局"}])
    book = tmp_path / "bad.xlsx"
    wb.save(book)
    before = _snapshot(new_year_data)
    result = import_workbook(book, new_year_data)
    assert not result.ok
    # The rows are checked in the same run as the sheets' own problems (a missing column, a repeated key); the
    # missing 项目名称 column is said once, at its header, not again for each row.
    assert set(result.locations()) == {
        ("duplicate-id", "项目", 5),
        ("missing-field", "事前绩效评估", 2),
        ("bad-money", "项目", 4),
    }
    text = result.as_text()
    assert "工作表『项目』第5行 A列「项目编码」" in text
    assert "缺少必填列「项目名称」" in text
    assert _snapshot(new_year_data) == before

    # With the sheet-level problems fixed, the value problems are found by the same checks as validate.
    wb = load_workbook(book)
    ws = wb["项目"]
    ws["A5"] = "51162124R000000000003"
    wb.remove(wb["事前绩效评估"])
    wb.save(book)
    result = import_workbook(book, new_year_data)
    located = sorted(result.locations())
    assert located[0] == ("bad-enum", "项目", 3)
    assert located[1][1:] == ("项目", 4) and located[1][0] in ("bad-money", "bad-number")  # text in 金额
    assert len(located) == 2
    assert "工作表『项目』第4行 G列「金额」" in result.as_text()
    assert _snapshot(new_year_data) == before


def test_unreadable_or_yearless_workbooks_are_reported(new_year_data: Path, tmp_path: Path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    result = import_workbook(broken, new_year_data, 2024)
    assert result.locations() == [("file-unreadable", str(broken), None)]
    # A folder, a missing file: said in Chinese, named as given, no exception names.
    for given, says in ((tmp_path, "这是一个文件夹"), (tmp_path / "nope.xlsx", "找不到这个文件")):
        result = import_workbook(given, new_year_data, 2024)
        assert result.locations() == [("file-unreadable", str(given), None)]
        text = result.as_text()
        assert says in text and "工作表" not in text and not re.search(r"[A-Za-z]+(Error|Exception|File)\b", text)
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    assert import_workbook(old, new_year_data, 2024).locations() == [("file-unreadable", "old.xls", None)]
    wb = Workbook()
    wb.active.title = "项目"
    wb.save(tmp_path / "noyear.xlsx")
    result = import_workbook(tmp_path / "noyear.xlsx", new_year_data)
    assert [c for c, _, _ in result.locations()] == ["missing-field"]
    assert "--year" in result.as_text()
    assert [c for c, _, _ in import_workbook(tmp_path / "noyear.xlsx", new_year_data, 2031).locations()] \
        == ["file-missing"]


def test_common_variants_title_rows_merged_headers_totals_text_numbers_serial_dates(new_year_data: Path,
                                                                                      tmp_path: Path):
    wb = Workbook()
    ws = wb.active
    ws.title = "项目"
    ws["A1"] = "岳池县2024年项目支出预算表"
    ws.merge_cells("A1:H1")
    ws["A2"] = "单位：万元"
    # A two-level header: 序号 and the plain columns merged down, 金额 under a group heading.
    for col, text in zip("ABCDEF", ["序号", "项目编码", "项目名称", "主管部门", "预算类型", "项目属性"], strict=True):
        ws[f"{col}3"] = text
        ws.merge_cells(f"{col}3:{col}4")
    ws["G3"] = "资金情况"
    ws.merge_cells("G3:H3")
    ws["G4"] = "金额（万元）"
    ws["H4"] = "纳入绩效\n目标管理"
    rows = [
        (1, PROJECT, "营养改善计划", "县教育局", "一般公共预算", "延续", "1,234.50", "是"),
        (2, "51162124R000000000002", "校舍维修", "县教育局", "一般公共预算", "新增", 20.1, True),
    ]
    for r, values in enumerate(rows, start=5):
        for c, value in enumerate(values, start=1):
            ws.cell(r, c, value)
    ws["A7"] = "合计"
    ws["G7"] = "=G5+G6"
    ws.cell(30, 1).number_format = "0.00"  # formatting left on an empty trailing row
    dept = wb.create_sheet("预算单位")
    dept.append(["单位名称", "级次"])
    dept.append(["县教育局", "一级"])
    ledger = wb.create_sheet("整改台账 (2)")
    ledger.append([c.alias for c in excel.columns(schema.Rectification)][:13])
    ledger.append(["整改2024-9", "审计监督", "", "县教育局", PROJECT, "台账不全", "", 45444, "2024年9月30日",
                   "已整改", dt.date(2024, 8, 1)])
    book = tmp_path / "variant.xlsx"
    wb.save(book)
    result = import_workbook(book, new_year_data, 2024)
    assert result.ok, result.as_text()
    projects = (new_year_data / "2024" / "projects.csv").read_text("utf-8").splitlines()
    assert projects[1:] == [
        f"{PROJECT},营养改善计划,县教育局,,延续,一般公共预算,1234.50,是,,,",
        "51162124R000000000002,校舍维修,县教育局,,新增,一般公共预算,20.10,是,,,",
    ]
    rect = (new_year_data / "2024" / "rectifications.csv").read_text("utf-8")
    assert "2024-06-01,2024-09-30,已整改,2024-08-01" in rect


def test_percent_cells_in_either_format(new_year_data: Path, tmp_path: Path):
    from openpyxl.styles.numbers import FORMAT_PERCENTAGE_00

    wb = Workbook()
    ws = wb.active
    ws.title = "绩效运行监控表"
    ws.append(["监控编号", "M1", "对象类型", "部门整体", "单位名称", "县消防救援大队"])
    ws.append(["监控期间", "1-7月", "全年预算数", 200, "执行数", 117])
    ws.append(["执行率", 0.585])
    ws["B3"].number_format = FORMAT_PERCENTAGE_00
    wb.save(tmp_path / "m.xlsx")
    result = import_workbook(tmp_path / "m.xlsx", new_year_data, 2024)
    assert result.ok, result.as_text()
    assert "M1,部门整体,,县消防救援大队,1-7月,200.00,117.00,58.5," in \
        (new_year_data / "2024" / "monitoring.csv").read_text("utf-8")


# --- progress feedback on long runs -----------------------------------------------------------


class _Terminal:
    def __init__(self):
        self.text = ""

    def isatty(self) -> bool:
        return True

    def write(self, s: str) -> None:
        self.text += s

    def flush(self) -> None:
        pass


def test_progress_bar_only_on_a_terminal_and_only_for_long_work():
    from generator import progress

    term = _Terminal()
    with progress.Bar("导入", stream=term) as bar:
        bar.update(progress.THRESHOLD - 1)
        assert term.text == ""  # short work: no bar
        bar.update(5)
        assert "导入" in term.text and "行" in term.text
    quiet = _Terminal()
    with progress.Bar("导入", stream=quiet, quiet=True) as bar:
        bar.update(10 * progress.THRESHOLD)
    assert quiet.text == ""
    with progress.Bar("导入") as bar:  # pytest's stderr is not a terminal
        bar.update(10 * progress.THRESHOLD)
        assert bar._bar is None


def test_import_reports_rows_to_the_progress_callback(templates: Path, new_year_data: Path, tmp_path: Path):
    shutil.copy(templates / ALL_IN_ONE, tmp_path / ALL_IN_ONE)
    counts: list[int] = []
    assert import_workbook(filled_workbook(tmp_path / ALL_IN_ONE), new_year_data, progress=counts.append).ok
    # The imported rows (1+1+1+5+1+5+1) and then every row validation read, 2023 included.
    assert sum(counts) >= 15 + 4


def test_official_form_variants_merged_labels_stacked_forms_copied_sheets(new_year_data: Path, tmp_path: Path):
    """A 绩效目标表 laid out by hand: merged title and labels, 一级指标 merged down, a 合计 row, two forms."""
    wb = Workbook()
    ws = wb.active
    ws.title = "绩效目标表"

    def form(top: int, goal_id: str, indicators: list[tuple]) -> int:
        ws.cell(top, 1, "项目支出绩效目标表（2024年度）")
        ws.merge_cells(start_row=top, start_column=1, end_row=top, end_column=8)
        labels = [("目标编号", goal_id), ("对象类型", "部门整体"), ("单位名称", "县消防救援大队"),
                  ("年度资金总额", "90"), ("本年财政拨款", "90"), ("其他资金", "0")]
        for i, (label, value) in enumerate(labels):
            r = top + 1 + i // 2
            c = 1 + (i % 2) * 4
            ws.cell(r, c, label)
            ws.merge_cells(start_row=r, start_column=c, end_row=r, end_column=c + 1)  # label over two cells
            ws.cell(r, c + 2, value)
        ws.cell(top + 4, 1, "年度\n目标")
        ws.cell(top + 4, 3, f"{goal_id}：保障消防救援队伍正常运转")
        ws.merge_cells(start_row=top + 4, start_column=3, end_row=top + 4, end_column=8)
        head = top + 5
        for c, text in enumerate(["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "分值（分）"], 1):
            ws.cell(head, c, text)
        r = head + 1
        first = r
        for row in indicators:
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(r, c, value)
            r += 1
        ws.merge_cells(start_row=first, start_column=1, end_row=first + 1, end_column=1)  # 产出指标 merged down
        ws.cell(r, 1, "合计")
        ws.cell(r, 7, 100)
        return r + 2

    nxt = form(1, "目标2024-A", [("产出指标", "数量指标", "出警次数", ">=", "300", "次", 50),
                                 (None, "时效指标", "到场时间", "≤", 15, "分钟", 30),
                                 ("满意度指标", "服务对象满意度", "群众满意度", "≥", 90, "%", 20)])
    form(nxt, "目标2024-B", [("产出指标", "数量指标", "培训人次", "≥", 100, "人次", 60),
                             (None, "质量指标", "培训合格率", "≥", 95, "%", 40)])
    copy = wb.copy_worksheet(ws)
    copy.title = "绩效目标表 (2)"
    copy["A2"].value = None  # the copy holds a third goal: change its ID in both places
    copy["C2"] = "目标2024-C"
    for row in copy.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("目标2024-A："):
                cell.value = "目标2024-C：购置救援装备"
    copy["A2"] = "目标编号"
    for r in range(nxt, copy.max_row + 1):
        for c in range(1, 9):
            copy.cell(r, c).value = None
    book = tmp_path / "forms.xlsx"
    wb.save(book)
    result = import_workbook(book, new_year_data, 2024)
    assert result.ok, result.as_text()
    goals = (new_year_data / "2024" / "goals.csv").read_text("utf-8").splitlines()
    assert [line.split(",")[0] for line in goals[1:]] == ["目标2024-A", "目标2024-B", "目标2024-C"]
    assert "目标2024-A,部门整体,,县消防救援大队,目标2024-A：保障消防救援队伍正常运转,,90.00,90.00,0.00" in goals[1]
    indicators = (new_year_data / "2024" / "indicators.csv").read_text("utf-8").splitlines()
    assert len(indicators) == 1 + 3 + 2 + 3
    assert "目标2024-A,产出指标,时效指标,到场时间,≤,15,分钟,30" in indicators[2]  # 一级 from the merged cell
    assert "目标2024-A,产出指标,数量指标,出警次数,≥,300,次,50" in indicators[1]  # >= read as ≥
    assert not any("合计" in line for line in indicators)


def test_a_sheet_with_another_name_is_recognised_by_its_header(new_year_data: Path, tmp_path: Path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["序号", "单位名称", "级次", "单位编码"])
    ws.append([1, "县教育局", "一级", "101001"])
    wb.create_sheet("Sheet2")  # empty: ignored in silence
    wb.save(tmp_path / "units.xlsx")
    result = import_workbook(tmp_path / "units.xlsx", new_year_data, 2024)
    assert result.ok, result.as_text()
    assert "按表头识别为『预算单位』" in result.as_text()
    assert (new_year_data / "2024" / "departments.csv").read_text("utf-8").endswith("\n101001,县教育局,一级,,,\n")


def test_editing_an_exported_workbook_changes_only_what_was_edited(templates: Path, new_year_data: Path,
                                                                    tmp_path: Path):
    shutil.copy(templates / ALL_IN_ONE, tmp_path / ALL_IN_ONE)
    assert import_workbook(filled_workbook(tmp_path / ALL_IN_ONE), new_year_data).ok
    indicators = new_year_data / "2024" / "indicators.csv"
    before = indicators.read_text("utf-8").splitlines()
    out = tmp_path / "export.xlsx"
    excel.export_year(new_year_data, 2024, out)
    wb = load_workbook(out)
    ws = wb["绩效目标表"]
    header = _label_cell(ws, "三级指标")
    cols = {ws.cell(header.row, c).value: c for c in range(1, ws.max_column + 1)}
    rows = {ws.cell(r, cols["三级指标"]).value: r for r in range(header.row + 1, ws.max_row + 1)}
    ws.cell(rows["受益学生人数"], cols["指标值"]).value = 33000
    ws.delete_rows(rows["食品安全事故"])
    wb.save(out)
    result = import_workbook(out, new_year_data)
    assert result.ok, result.as_text()
    assert [p.name for p in result.written] == ["indicators.csv"]
    after = indicators.read_text("utf-8").splitlines()
    assert after == [before[0], before[1].replace(",32000,", ",33000,"), *before[3:]]


def test_build_progress_plugin_counts_pages_only_on_a_verbose_terminal_build(monkeypatch, capsys):
    import logging

    from generator import progress

    class Page:
        def is_documentation_page(self):
            return True

    files = [Page() for _ in range(progress.PAGE_THRESHOLD)]
    plugin = progress.ProgressPlugin()
    monkeypatch.setattr(progress, "_is_tty", lambda stream: True)
    monkeypatch.setattr(logging.getLogger("mkdocs"), "level", logging.WARNING)  # build --quiet
    plugin.on_files(files, config=None)
    assert plugin._pages is None
    monkeypatch.setattr(logging.getLogger("mkdocs"), "level", logging.INFO)
    plugin.on_files(files, config=None)
    for _ in files:
        plugin.on_post_page("", page=None, config=None)
    assert plugin._pages.count == len(files)
    plugin.on_post_build(config=None)
    assert "生成网页" in capsys.readouterr().err


@pytest.mark.slow
def test_a_synthetic_county_year_round_trips_through_excel(tmp_path: Path):
    """A hundred projects with goals, monitoring, evaluations: past the merged-cell limit, every table filled."""
    from generator import dataset, synth
    from generator.problems import Report

    data = tmp_path / "data"
    synth.generate("S", data, seed=3)
    year = max(int(p.name) for p in data.iterdir() if p.is_dir())
    book = tmp_path / "year.xlsx"
    assert excel.export_year(data, year, book).ok
    before = _snapshot(data)
    result = import_workbook(book, data)
    assert result.ok and result.written == [], result.as_text()
    assert _snapshot(data) == before

    empty = tmp_path / "empty" / "data"
    shutil.copytree(data, empty)
    for f in (empty / str(year)).glob("*.csv"):
        f.unlink()
    result = import_workbook(book, empty)
    assert result.ok, result.as_text()

    def records(root: Path) -> dict[str, list[dict]]:
        ds = dataset.read_dataset(root, Report())
        return {m.FILE: [r.model_dump() for r in ds.years[year].records(m)] for m in schema.TABLES}

    original, imported = records(data), records(empty)
    assert all(original[m.FILE] for m in schema.TABLES)
    assert imported == original


def test_templates_into_a_place_that_cannot_take_them_says_so(tmp_path: Path, capsys):
    from generator import cli

    taken = tmp_path / "模板.xlsx"
    taken.write_bytes(b"")
    assert cli.main(["templates", str(taken)]) == 1
    err = capsys.readouterr().err
    assert "无法把模板写入" in err and "Traceback" not in err and "Error" not in err


def test_templates_again_keep_a_workbook_someone_started_filling_in(tmp_path: Path, capsys):
    """Run again into the same folder, templates overwrote a template a clerk had typed into, without a word."""
    from generator import cli

    assert cli.main(["templates", str(tmp_path / "模板")]) == 0
    book = tmp_path / "模板" / ALL_IN_ONE
    wb = load_workbook(book)
    wb[excel.INSTRUCTIONS_SHEET]["B3"] = 2025
    wb.save(book)
    before = book.read_bytes()
    capsys.readouterr()
    assert cli.main(["templates", str(tmp_path / "模板")]) == 0
    out = capsys.readouterr().out
    assert book.read_bytes() == before
    assert "已存在，未覆盖" in out and ALL_IN_ONE in out and "已生成" not in out


def test_the_workbooks_year_is_read_as_clerks_write_it(templates: Path, new_year_data: Path, tmp_path: Path):
    """“2024年” in the 年度 cell is 2024; what is not a year is reported at its cell, never as an empty cell; a
    --year that is not a four-digit year is said to be so, instead of advising new-year for it."""
    shutil.copy(templates / ALL_IN_ONE, tmp_path / ALL_IN_ONE)
    wb = load_workbook(filled_workbook(tmp_path / ALL_IN_ONE))
    wb[excel.INSTRUCTIONS_SHEET]["B3"] = "2024年"
    wb.save(tmp_path / "a.xlsx")
    assert import_workbook(tmp_path / "a.xlsx", new_year_data).year == 2024
    wb[excel.INSTRUCTIONS_SHEET]["B3"] = "二〇二四"
    wb.save(tmp_path / "b.xlsx")
    result = import_workbook(tmp_path / "b.xlsx", new_year_data)
    assert result.locations() == [("bad-number", excel.INSTRUCTIONS_SHEET, 3)]
    assert "B列「年度」" in result.as_text() and "二〇二四" in result.as_text()
    result = import_workbook(tmp_path / "a.xlsx", new_year_data, 24)
    assert ("bad-number", "命令行", None) in result.locations()
    assert "new-year 24" not in result.as_text()


def test_text_starting_with_equals_stays_text_through_export_and_import(templates: Path, new_year_data: Path,
                                                                         tmp_path: Path):
    """openpyxl writes any text starting with "=" as a formula, which Excel would run and the import would read
    back as blank: the export keeps it text, so export then import changes nothing."""
    import csv
    import io
    import zipfile

    shutil.copy(templates / ALL_IN_ONE, tmp_path / ALL_IN_ONE)
    assert import_workbook(filled_workbook(tmp_path / ALL_IN_ONE), new_year_data).ok
    path = new_year_data / "2024" / "rectifications.csv"
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
    rows[1][rows[0].index("问题")] = "=受雨季影响，进度滞后"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    before = _snapshot(new_year_data)
    book = tmp_path / "export.xlsx"
    assert excel.export_year(new_year_data, 2024, book).ok
    with zipfile.ZipFile(book) as z:
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any(re.search(rb"<f[ >]", s) for s in sheets)
    result = import_workbook(book, new_year_data)
    assert result.ok and result.written == [], result.as_text()
    assert _snapshot(new_year_data) == before


def test_a_formula_without_a_stored_result_or_a_hidden_sheet_is_an_error(templates: Path, new_year_data: Path,
                                                                         tmp_path: Path):
    shutil.copy(templates / ALL_IN_ONE, tmp_path / ALL_IN_ONE)
    filled = filled_workbook(tmp_path / ALL_IN_ONE)
    before = _snapshot(new_year_data)
    wb = load_workbook(filled)
    ws = wb["项目"]
    amount = _label_cell(ws, "金额")
    ws.cell(amount.row + 1, amount.column).value = "=263+0.15"  # openpyxl stores no result, as some tools do
    wb.save(tmp_path / "formula.xlsx")
    result = import_workbook(tmp_path / "formula.xlsx", new_year_data)
    assert not result.ok
    assert any(p.sheet == "项目" and p.row == amount.row + 1 and p.problem.value == "=263+0.15"
               and "计算结果" in p.problem.message for p in result.problems), result.as_text()
    assert _snapshot(new_year_data) == before

    wb = load_workbook(filled)
    wb["项目"].sheet_state = "hidden"
    wb.save(tmp_path / "hidden.xlsx")
    result = import_workbook(tmp_path / "hidden.xlsx", new_year_data)
    assert not result.ok and any("被隐藏" in p.problem.message for p in result.problems), result.as_text()
    assert _snapshot(new_year_data) == before


def test_a_money_column_headed_in_yuan_is_refused(templates: Path, new_year_data: Path, tmp_path: Path):
    shutil.copy(templates / ALL_IN_ONE, tmp_path / ALL_IN_ONE)
    filled = filled_workbook(tmp_path / ALL_IN_ONE)
    before = _snapshot(new_year_data)
    wb = load_workbook(filled)
    header = _label_cell(wb["项目"], "金额")
    header.value = "金额（元）"
    wb.save(tmp_path / "yuan.xlsx")
    result = import_workbook(tmp_path / "yuan.xlsx", new_year_data)
    assert not result.ok
    assert any(p.problem.code == "bad-header" and "万元" in p.problem.message and p.row == header.row
               for p in result.problems), result.as_text()
    # One cause, one error: the column is not also said to be missing, in its header or in each row.
    assert not [p for p in result.problems if p.problem.field == "金额" and p.code != "bad-header"], result.as_text()
    assert _snapshot(new_year_data) == before


def test_a_blank_id_in_a_sheet_is_told_once(templates: Path, new_year_data: Path, tmp_path: Path):
    shutil.copy(templates / ALL_IN_ONE, tmp_path / ALL_IN_ONE)
    filled = filled_workbook(tmp_path / ALL_IN_ONE)
    wb = load_workbook(filled)
    header = _label_cell(wb["项目"], "项目编码")
    wb["项目"].cell(header.row + 1, header.column).value = None
    wb.save(tmp_path / "blank-id.xlsx")
    result = import_workbook(tmp_path / "blank-id.xlsx", new_year_data)
    at_cell = [p for p in result.problems if getattr(p, "sheet", None) == "项目" and p.row == header.row + 1
               and p.problem.code == "missing-field"]
    assert len(at_cell) == 1, result.as_text()
    assert ".import-" not in result.as_text()


def test_a_formula_that_stored_an_empty_text_result_is_read_as_blank(templates: Path, new_year_data: Path,
                                                                      tmp_path: Path):
    """=IF(…,"",…) stores an empty text result (t="str", empty <v>): that is a result, the cell is blank, no error."""
    import zipfile

    shutil.copy(templates / ALL_IN_ONE, tmp_path / ALL_IN_ONE)
    filled = filled_workbook(tmp_path / ALL_IN_ONE)
    wb = load_workbook(filled)
    ws = wb["项目"]
    cell = _label_cell(ws, "实施单位")
    target = ws.cell(cell.row + 1, cell.column)
    target.value = '=IF(1>0,"","x")'
    wb.save(tmp_path / "formula.xlsx")
    out = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(tmp_path / "formula.xlsx") as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<c r="' + target.coordinate.encode() + rb'"([^>]*)><f>(.*?)</f><v\s*/>',
                              lambda m: b'<c r="' + target.coordinate.encode() + b'"' + re.sub(rb'\s*t="[^"]*"', b"", m.group(1)) + b' t="str"><f>'
                              + m.group(2) + b"</f><v></v>", data)
            dst.writestr(item, data)
    result = import_workbook(out, new_year_data)
    assert result.ok, result.as_text()


def _project_sheet(book: Path, *, note: str = "单位：万元", total: object = None) -> Path:
    """A 项目 list as another system exports it: a title, a unit note, the header, two projects, a 合计 row."""
    wb = Workbook()
    ws = wb.active
    ws.title = "项目"
    ws["A1"] = "2024年项目支出预算表"
    ws.merge_cells("A1:G1")
    ws["A2"] = note
    ws.append(["项目编码", "项目名称", "主管部门", "预算类型", "项目属性", "金额"])
    ws.append([PROJECT, "营养改善计划", "县教育局", "一般公共预算", "延续", 1234.5])
    ws.append(["51162124R000000000002", "校舍维修", "县教育局", "一般公共预算", "新增", "20.10"])
    if total is not None:
        ws.append(["合计", None, None, None, None, total])
    dept = wb.create_sheet("预算单位")
    dept.append(["单位名称", "级次"])
    dept.append(["县教育局", "一级"])
    wb.save(book)
    return book


def test_amounts_stated_in_yuan_above_the_header_are_refused(new_year_data: Path, tmp_path: Path):
    """“单位：元” in a note row means every amount below is in 元: read as 万元 they would be 10,000 times too large."""
    before = _snapshot(new_year_data)
    result = import_workbook(_project_sheet(tmp_path / "yuan.xlsx", note="金额单位：元"), new_year_data, 2024)
    assert not result.ok
    assert set(result.locations()) == {("bad-header", "项目", 2)}
    assert "换算为万元" in result.as_text()
    assert _snapshot(new_year_data) == before
    # The same sheet saying 万元 is read as it is.
    assert import_workbook(_project_sheet(tmp_path / "wan.xlsx"), new_year_data, 2024).ok


def test_a_total_row_must_agree_with_the_rows_above_it(new_year_data: Path, tmp_path: Path):
    """A 合计 row is not imported, but a wrong one is a mistake to report (DOMAIN §4: 8 + 8 reported as 15)."""
    before = _snapshot(new_year_data)
    result = import_workbook(_project_sheet(tmp_path / "wrong.xlsx", total=5000), new_year_data, 2024)
    assert not result.ok
    assert set(result.locations()) == {("total-mismatch", "项目", 6)}
    assert "1254.60" in result.as_text() or "1254.6" in result.as_text()
    assert _snapshot(new_year_data) == before
    result = import_workbook(_project_sheet(tmp_path / "right.xlsx", total="1,254.60"), new_year_data, 2024)
    assert result.ok, result.as_text()
    assert "合计" not in (new_year_data / "2024" / "projects.csv").read_text("utf-8")


def test_a_record_left_out_of_the_sheet_stays_and_the_clerk_is_told(new_year_data: Path, tmp_path: Path):
    """Import adds and updates; a row deleted in the workbook stays in the data, and the notice says where and how
    to remove it (a clerk expects deleting the row to delete the record)."""
    assert import_workbook(_project_sheet(tmp_path / "both.xlsx"), new_year_data, 2024).ok
    wb = load_workbook(_project_sheet(tmp_path / "one.xlsx"))
    wb["项目"].delete_rows(5)  # 校舍维修
    wb.save(tmp_path / "one.xlsx")
    result = import_workbook(tmp_path / "one.xlsx", new_year_data, 2024)
    assert result.ok, result.as_text()
    kept = [p for p in result.problems if p.code == "records-kept" and p.problem.file.endswith("projects.csv")]
    assert len(kept) == 1 and kept[0].problem.value == "51162124R000000000002"
    assert "删去这些行" in kept[0].problem.message
    assert "51162124R000000000002" in (new_year_data / "2024" / "projects.csv").read_text("utf-8")


def test_a_header_saying_its_unit_is_yuan_is_one_error(new_year_data: Path, tmp_path: Path):
    book = _project_sheet(tmp_path / "header.xlsx")
    wb = load_workbook(book)
    wb["项目"]["F3"] = "金额（单位：元）"
    wb.save(book)
    result = import_workbook(book, new_year_data, 2024)
    assert [(p.code, p.row, p.column) for p in result.problems if p.severity.value == "错误"] == [("bad-header", 3, "F")]


def test_a_blank_public_cell_never_publishes_a_withheld_record(new_year_data: Path, tmp_path: Path):
    """A unit returns the template (公开 ships blank) for a record the bureau withheld: the blank keeps 否, and the
    internal note a template never holds is not wiped. Publishing it takes a 是, which is told."""
    assert import_workbook(_project_sheet(tmp_path / "both.xlsx"), new_year_data, 2024).ok
    projects = new_year_data / "2024" / "projects.csv"
    rows = projects.read_text("utf-8").splitlines()
    header = rows[0].split(",")
    header += [a for a in ("公开", "内部备注") if a not in header]
    lines = [",".join(header)]
    for line in rows[1:]:
        cells = line.split(",") + [""] * (len(header) - len(line.split(",")))
        if PROJECT in line:
            cells[header.index("公开")], cells[header.index("内部备注")] = "否", "待审计结论"
        else:
            cells[header.index("公开")] = "是"
        lines.append(",".join(cells))
    projects.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def returned(name: str, public: object) -> Path:
        wb = load_workbook(_project_sheet(tmp_path / name))
        ws = wb["项目"]
        ws.cell(3, 7, "公开"), ws.cell(3, 8, "内部备注")
        ws.cell(4, 7, public), ws.cell(4, 8, None)
        ws.cell(4, 6, 1300)  # the unit's update
        wb.save(tmp_path / name)
        return tmp_path / name

    result = import_workbook(returned("blank.xlsx", None), new_year_data, 2024)
    assert result.ok, result.as_text()
    row = next(r for r in projects.read_text("utf-8").splitlines() if PROJECT in r).split(",")
    header = projects.read_text("utf-8").splitlines()[0].split(",")
    assert row[header.index("公开")] == "否" and row[header.index("内部备注")] == "待审计结论"
    assert row[header.index("金额")] in ("1300", "1300.00")
    kept = {(p.problem.field, p.problem.value): p.location() for p in result.problems if p.code == "blank-kept"}
    assert kept == {("公开", "否"): "工作表『项目』第4行 G列「公开」",
                    ("内部备注", "待审计结论"): "工作表『项目』第4行 H列「内部备注」"}
    assert "made-public" not in {p.code for p in result.problems}
    # Public records returned with 公开 blank are not said to have kept a 否 they never had.
    other = [p for p in result.problems if p.code == "blank-kept" and p.problem.value != "否"
             and p.problem.field == "公开"]
    assert not other

    result = import_workbook(returned("yes.xlsx", "是"), new_year_data, 2024)
    assert result.ok, result.as_text()
    assert [p.location() for p in result.problems if p.code == "made-public"] == ["工作表『项目』第4行 G列「公开」"]
    row = next(r for r in projects.read_text("utf-8").splitlines() if PROJECT in r).split(",")
    assert row[header.index("公开")] == "是"


def test_percent_and_formula_cells_are_read_as_excel_shows_them(templates: Path, new_year_data: Path, tmp_path: Path):
    """指标值 shown as 90% (Excel stores 0.9) is 90%, not 0.9: read as 0.9 the score check demanded full marks for 85
    against 0.9, and the site published a target of 0.9. A computed 执行率 or 得分 (=B5/F4) holds every digit; shown
    to two places it is read to two places, and shown whole (General) it is an error saying how to round."""
    shutil.copy(templates / ALL_IN_ONE, tmp_path / ALL_IN_ONE)
    wb = load_workbook(filled_workbook(tmp_path / ALL_IN_ONE))
    ws = wb["项目支出绩效自评表"]
    first = _label_cell(ws, "三级指标")
    cols = {ws.cell(first.row, c).value: c for c in range(1, ws.max_column + 1)}
    rows = {ws.cell(r, cols["三级指标"]).value: r for r in range(first.row + 1, ws.max_row + 1)}
    target = ws.cell(rows["家长满意度"], cols["指标值"])
    target.value, target.number_format = 0.9, "0%"
    actual = ws.cell(rows["家长满意度"], cols["完成值"])
    actual.value, actual.number_format = 0.84999575002125, "0.00%"  # a formula's result, shown as 85.00%
    ws.cell(rows["家长满意度"], cols["得分"]).value = 9.44
    rate = ws.cell(rows["预算执行率"], cols["得分"])
    rate.value, rate.number_format = 10 * 85 / 100.00000001, "0.00"  # 8.4999999915 from a formula
    _value_cell(ws, "得分").value = 94.94
    wb.save(tmp_path / "shown.xlsx")
    result = import_workbook(tmp_path / "shown.xlsx", new_year_data)
    assert result.ok, result.as_text()
    scores = (new_year_data / "2024" / "evaluation_scores.csv").read_text("utf-8")
    assert ",家长满意度,≥,90%,85%,10,9.44," in scores and ",预算执行率,≥,100,85,10,8.5," in scores

    rate.number_format = "General"
    wb.save(tmp_path / "general.xlsx")
    result = import_workbook(tmp_path / "general.xlsx", new_year_data)
    assert not result.ok
    [problem] = [p for p in result.problems if p.severity == "错误"]
    assert problem.location().endswith("「得分」") and "ROUND" in problem.problem.message


def test_a_currency_sign_is_named_as_the_mistake_in_an_amount():
    """¥1,234.50 used to be blamed on its (correct) thousands separators."""
    from pydantic import ValidationError

    for typed, sign in (("¥1,234.50", "¥"), ("￥12", "￥"), ("RMB 5", "RMB")):
        with pytest.raises(ValidationError) as caught:
            schema.Project.model_validate({"项目编码": "5116", "项目名称": "a", "主管部门": "b", "预算类型": "一般公共预算",
                                           "项目属性": "新增", "金额": typed})
        [message] = [e["msg"] for e in caught.value.errors() if e["loc"] == ("金额",)]
        assert f"不要带货币符号“{sign}”" in message and "千位分隔符" not in message
