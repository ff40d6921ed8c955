"""Excel workbooks in the official layouts staff know: blank templates out, a year's records out.

The layouts are derived from the record models in ``schema``: every column header is a field alias, every
drop-down an enumeration, so a field added to the schema appears in the templates without touching this file.
Reading filled workbooks back is ``excel_import``; both share the layouts and cell conversions defined here.
"""

from __future__ import annotations

import os
import tempfile
import typing
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import TypeAdapter, ValidationError

from . import load, schema, types
from .problems import Report
from .types import Kind

# --- layouts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListSheet:
    """One record per row under a header row (预算单位, 项目, 整改台账 …)."""

    name: str
    model: type[schema.Published]


@dataclass(frozen=True)
class FormSheet:
    """The official form: a header block of label/value pairs, then a table of indicator rows.

    Several forms can be stacked on one sheet (export does this); staff may also copy the sheet.
    """

    name: str
    parent: type[schema.Published]
    child: type[schema.Published]
    link: str  # attribute of ``child`` holding the parent's key

    @property
    def models(self) -> tuple[type[schema.Published], ...]:
        return (self.parent, self.child)


GOAL_FORM = FormSheet("绩效目标表", schema.Goal, schema.Indicator, "goal")
EVALUATION_FORM = FormSheet("项目支出绩效自评表", schema.Evaluation, schema.EvaluationScore, "evaluation")
MONITORING_FORM = FormSheet("绩效运行监控表", schema.Monitoring, schema.MonitoringIndicator, "monitoring")
RECTIFICATION_LEDGER = ListSheet(schema.Rectification.TITLE + "台账", schema.Rectification)

# Sheet order follows the year's work: who and what, goals, ex-ante, monitoring, evaluation, follow-up.
SHEETS: tuple[ListSheet | FormSheet, ...] = (
    ListSheet(schema.Department.TITLE, schema.Department),
    ListSheet(schema.Project.TITLE, schema.Project),
    GOAL_FORM,
    ListSheet(schema.ExAnte.TITLE, schema.ExAnte),
    MONITORING_FORM,
    EVALUATION_FORM,
    RECTIFICATION_LEDGER,
    ListSheet(schema.Application.TITLE, schema.Application),
)

# One workbook per official form, and one with every sheet (the layout ``export`` writes).
ALL_IN_ONE = "年度数据（全部表格）"
TEMPLATE_BOOKS: dict[str, tuple[ListSheet | FormSheet, ...]] = {
    GOAL_FORM.name: (GOAL_FORM,),
    EVALUATION_FORM.name: (EVALUATION_FORM,),
    MONITORING_FORM.name: (MONITORING_FORM,),
    RECTIFICATION_LEDGER.name: (RECTIFICATION_LEDGER,),
    ALL_IN_ONE: SHEETS,
}

INSTRUCTIONS_SHEET = "填写说明"
OPTIONS_SHEET = "下拉选项"
YEAR_LABEL = "年度"
HELPER_SHEETS = (INSTRUCTIONS_SHEET, OPTIONS_SHEET)

# Layout hints only (which header-block fields get a whole row); tests check each names a real field.
WIDE_FIELDS = frozenset({"annual_goal", "long_term_goal", "findings", "advice", "deviation", "corrective",
                         "internal_note", "subject"})
PAIRS_PER_ROW = 3
BLANK_CHILD_ROWS = 12  # indicator rows pre-formatted in a blank form
BLANK_LIST_ROWS = 500
MERGE_LIMIT = 50  # forms per sheet up to which wide fields get merged cells  # list rows carrying drop-downs and number formats in a blank sheet


def level2_options() -> tuple[str, ...]:
    """Every 二级指标 the schema accepts, in the order of the official indicator hierarchy."""
    return tuple(dict.fromkeys(v for values in schema.INDICATOR_LEVELS.values() for v in values))


# Free-text fields that still have a closed list of values staff should pick from.
TEXT_OPTIONS = {"level2": level2_options}


# --- field kinds ------------------------------------------------------------------------------


NUMBER_FORMATS = {
    Kind.MONEY: "0.00", Kind.PERCENT: '0.00"%"', Kind.SCORE: "0.00", Kind.QUANTITY: "General",
    Kind.COUNT: "0", Kind.YEAR: "0", Kind.DATE: "yyyy-mm-dd", Kind.TEXT: "@", Kind.ENUM: "@",
    Kind.YES_NO: "@", Kind.URL: "@", Kind.WEB_ADDRESS: "@", Kind.SITE_IMAGE: "@", Kind.DOC_NUMBER: "@",
}
NUMERIC_KINDS = frozenset({Kind.MONEY, Kind.PERCENT, Kind.SCORE, Kind.QUANTITY, Kind.COUNT, Kind.YEAR})


@dataclass(frozen=True)
class Column:
    attr: str
    alias: str
    kind: Kind
    required: bool
    options: tuple[str, ...] = ()
    description: str = ""

    @property
    def width(self) -> float:
        if self.attr in WIDE_FIELDS or self.kind is Kind.TEXT and self.attr in ("name", "problem", "description"):
            return 36
        return max(10.0, len(self.alias) * 2.2 + 2)


def _kind(field) -> tuple[Kind, tuple[str, ...]]:
    """The field's kind and the values a cell may take (a drop-down list in the template)."""
    kind = types.field_kind(field)
    if kind is Kind.YES_NO:
        return kind, ("是", "否")
    enum = types.field_enum(field)
    return kind, (tuple(m.value for m in enum) if enum else ())


def columns(model: type[schema.Record], skip: tuple[str, ...] = ()) -> list[Column]:
    """The model's fields as spreadsheet columns, in schema order."""
    out = []
    # The record's own fields first, then 示例/公开/内部备注 shared by all records (as in the data files).
    base = schema.Published.model_fields if issubclass(model, schema.Published) else {}
    order = [a for a in model.model_fields if a not in base] + [a for a in model.model_fields if a in base]
    for attr in order:
        field = model.model_fields[attr]
        if attr in skip:
            continue
        kind, options = _kind(field)
        if attr in TEXT_OPTIONS:
            options = TEXT_OPTIONS[attr]()
        out.append(Column(attr, field.alias or attr, kind, field.is_required(), options, field.description or ""))
    return out


def list_columns(sheet: ListSheet) -> list[Column]:
    return columns(sheet.model)


def form_columns(sheet: FormSheet) -> tuple[list[Column], list[Column]]:
    return columns(sheet.parent), columns(sheet.child, skip=(sheet.link,))


def key_alias(model: type[schema.Published]) -> str:
    return model.alias_of(model.KEY)


# --- cell values ------------------------------------------------------------------------------


def _adapter(model: type[schema.Record], attr: str) -> TypeAdapter:
    field = model.model_fields[attr]
    if not field.metadata:
        return TypeAdapter(field.annotation)
    return TypeAdapter(typing.Annotated[field.annotation, *field.metadata])


_ADAPTERS: dict[tuple[type, str], TypeAdapter] = {}


def parse_value(model: type[schema.Record], attr: str, text: str):
    """The typed value of a cell text, or None when it is blank or invalid (validation reports that)."""
    if text == "":
        return None
    key = (model, attr)
    if key not in _ADAPTERS:
        _ADAPTERS[key] = _adapter(model, attr)
    try:
        return _ADAPTERS[key].validate_python(text)
    except (ValidationError, ValueError, TypeError, InvalidOperation):
        return None


def same_value(model: type[schema.Record], attr: str, a: str, b: str) -> bool:
    """Whether two texts mean the same value (90 and 90.00, 2023/5/1 and 2023-05-01)."""
    if a == b:
        return True
    va, vb = parse_value(model, attr, a), parse_value(model, attr, b)
    return va is not None and va == vb


def canonical_text(model: type[schema.Record], column: Column, text: str) -> str:
    """The text a valid value is stored as in CSV; invalid text is kept so validation can name it."""
    if column.kind is Kind.ENUM:
        text = schema.NATURE_SYNONYMS.get(text, text)  # >= typed on a keyboard is the official ≥
    value = parse_value(model, column.attr, text)
    if value is None:
        return text
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{types.cents(value):.2f}" if column.kind is Kind.MONEY else format(value, "f")
    if isinstance(value, StrEnum):
        return value.value
    return str(value)


def cell_value(column: Column, text: str):
    """What export writes into a cell: numbers and dates typed so Excel can sum and sort them."""
    if text == "":
        return None
    if column.kind in NUMERIC_KINDS:
        plain = load.normalise_digits(text).strip().rstrip("%").replace(",", "")
        try:
            number = Decimal(plain)
        except InvalidOperation:
            return text
        if not number.is_finite():
            return text
        if column.kind in (Kind.COUNT, Kind.YEAR) and number == number.to_integral_value():
            return int(number)
        return number
    if column.kind is Kind.DATE:
        for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"):
            try:
                return datetime.strptime(text.strip(), fmt).date()
            except ValueError:
                continue
    return text


# --- writing ----------------------------------------------------------------------------------

THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
OPTIONAL_FILL = PatternFill("solid", fgColor="EDEDED")
YEAR_FILL = PatternFill("solid", fgColor="FFF2CC")
TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
CENTER = Alignment(horizontal="center", vertical="center")


def _hint(column: Column) -> str:
    parts = ["必填" if column.required else "选填"]
    if column.kind is Kind.MONEY:
        parts.append("单位：万元，最多两位小数")
    elif column.kind is Kind.PERCENT:
        parts.append("百分数，填 85.5 表示 85.5%")
    elif column.kind is Kind.DATE:
        parts.append("日期，例如 2023-05-31")
    if column.options:
        parts.append("从下拉列表选择")
    if column.description:
        parts.append(column.description)
    return "；".join(parts)


class _Options:
    """The hidden sheet that drop-down lists point to (cross-sheet lists have no 255-character limit)."""

    def __init__(self, wb: Workbook):
        self.ws = wb.create_sheet(OPTIONS_SHEET)
        self.ws.sheet_state = "hidden"
        self.ranges: dict[tuple[str, ...], str] = {}
        self.validations: dict[tuple[str, str], DataValidation] = {}
        self.cells: dict[tuple[str, str], list[str]] = {}

    def finish(self) -> None:
        for key, dv in self.validations.items():
            dv.sqref = MultiCellRange(" ".join(self.cells[key]))

    def range_for(self, label: str, options: tuple[str, ...]) -> str:
        if options not in self.ranges:
            col = get_column_letter(len(self.ranges) + 1)
            self.ws[f"{col}1"] = label
            for i, value in enumerate(options, start=2):
                self.ws[f"{col}{i}"] = value
            self.ranges[options] = f"'{OPTIONS_SHEET}'!${col}$2:${col}${len(options) + 1}"
        return self.ranges[options]


def _validate(ws, options: _Options, column: Column, cells: str) -> None:
    # One validation per sheet and field, listing all its ranges: a thousand stacked forms would otherwise
    # carry thousands of validation objects and take minutes to open.
    key = (ws.title, column.alias)
    dv = options.validations.get(key)
    if dv is None:
        dv = DataValidation(type="list", formula1=f"={options.range_for(column.alias, column.options)}",
                            allow_blank=True, showErrorMessage=True, errorTitle="不在可选值之内",
                            error=f"「{column.alias}」只能从下拉列表中选择")
        ws.add_data_validation(dv)
        options.validations[key] = dv
        options.cells[key] = []
    options.cells[key].append(cells)  # joined once at the end: adding range by range is quadratic


def _header_cell(ws, row: int, col: int, column: Column, comment: bool = True) -> None:
    cell = ws.cell(row, col, column.alias)
    cell.font = BOLD
    cell.fill = REQUIRED_FILL if column.required else OPTIONAL_FILL
    cell.border = BORDER
    cell.alignment = CENTER
    if comment:
        cell.comment = Comment(_hint(column), "填写说明", width=260, height=110)


def _data_style(wb, column: Column) -> str:
    """A named cell style per kind of column: assigning one is far cheaper than format + border per cell."""
    wide = column.attr in WIDE_FIELDS
    name = f"数据·{column.kind.value}{'·长文字' if wide else ''}"
    if name not in wb.named_styles:
        wb.add_named_style(NamedStyle(name=name, number_format=NUMBER_FORMATS[column.kind], border=BORDER,
                                      alignment=WRAP if wide else Alignment()))
    return name


def _data_cell(ws, row: int, col: int, column: Column, value=None) -> None:
    cell = ws.cell(row, col)
    if value is not None:
        cell.value = value
        if cell.data_type == "f":  # openpyxl takes any text starting with "=" for a formula: keep it text
            cell.data_type = "s"
    cell.style = _data_style(ws.parent, column)


def _title(ws, text: str, width: int) -> None:
    ws.cell(1, 1, text).font = TITLE_FONT
    ws.cell(1, 1).alignment = CENTER
    if width > 1:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)


def write_list_sheet(ws, sheet: ListSheet, options: _Options, rows: list[dict[str, str]]) -> None:
    cols = list_columns(sheet)
    _title(ws, sheet.name + ("（金额单位：万元）" if any(c.kind is Kind.MONEY for c in cols) else ""), len(cols))
    header_row = 2
    for i, column in enumerate(cols, start=1):
        _header_cell(ws, header_row, i, column)
        ws.column_dimensions[get_column_letter(i)].width = column.width
    last = header_row + max(len(rows) + 50, BLANK_LIST_ROWS)
    for r, values in enumerate(rows, start=header_row + 1):
        for i, column in enumerate(cols, start=1):
            _data_cell(ws, r, i, column, cell_value(column, values.get(column.alias, "")))
    for i, column in enumerate(cols, start=1):
        letter = get_column_letter(i)
        for r in range(header_row + 1 + len(rows), last + 1):
            ws.cell(r, i).number_format = NUMBER_FORMATS[column.kind]
        if column.options:
            _validate(ws, options, column, f"{letter}{header_row + 1}:{letter}{last}")
    ws.freeze_panes = ws.cell(header_row + 1, 1)


@dataclass
class FormBlock:
    """One filled (or blank) form: the parent's values and its indicator rows."""

    parent: dict[str, str]
    children: list[dict[str, str]]


def _form_width(sheet: FormSheet) -> int:
    parent_cols, child_cols = form_columns(sheet)
    return max(len(child_cols), PAIRS_PER_ROW * 2)


def write_form_sheet(ws, sheet: FormSheet, options: _Options, blocks: list[FormBlock]) -> None:
    parent_cols, child_cols = form_columns(sheet)
    width = _form_width(sheet)
    _title(ws, sheet.name, width)
    for i in range(1, width + 1):
        ws.column_dimensions[get_column_letter(i)].width = 16
    for i, column in enumerate(child_cols, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(16, column.width)
    row = 3
    # Merged value cells are the official look, but openpyxl (and so import) spends seconds per hundred
    # merged ranges when opening a workbook: a large export leaves long text to overflow instead.
    merge = len(blocks) <= MERGE_LIMIT
    for block in blocks or [FormBlock({}, [])]:
        row = _write_block(ws, sheet, options, block, row, parent_cols, child_cols, width, merge) + 2
    ws.freeze_panes = "A2"


def _write_block(ws, sheet, options, block: FormBlock, row: int, parent_cols, child_cols, width,
                 merge: bool) -> int:
    """Write one form from ``row``; returns the last row used."""
    pairs = [c for c in parent_cols if c.attr not in WIDE_FIELDS]
    wide = [c for c in parent_cols if c.attr in WIDE_FIELDS]
    for start in range(0, len(pairs), PAIRS_PER_ROW):
        for j, column in enumerate(pairs[start:start + PAIRS_PER_ROW]):
            col = 1 + j * 2
            _header_cell(ws, row, col, column)
            _data_cell(ws, row, col + 1, column, cell_value(column, block.parent.get(column.alias, "")))
            if column.options:
                _validate(ws, options, column, ws.cell(row, col + 1).coordinate)
        row += 1
    for column in wide:
        _header_cell(ws, row, 1, column)
        _data_cell(ws, row, 2, column, cell_value(column, block.parent.get(column.alias, "")))
        if merge:
            ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=width)
            ws.row_dimensions[row].height = 45
        else:
            ws.cell(row, 2).alignment = TOP  # unwrapped, the text runs on over the empty cells to its right
        row += 1
    for i, column in enumerate(child_cols, start=1):
        _header_cell(ws, row, i, column, comment=row < 40)  # one set of comments is enough per sheet
    first = row + 1
    rows = block.children or [{} for _ in range(BLANK_CHILD_ROWS)]
    for r, values in enumerate(rows, start=first):
        for i, column in enumerate(child_cols, start=1):
            _data_cell(ws, r, i, column, cell_value(column, values.get(column.alias, "")))
    last = first + len(rows) - 1
    for i, column in enumerate(child_cols, start=1):
        if column.options:
            letter = get_column_letter(i)
            _validate(ws, options, column, f"{letter}{first}:{letter}{last}")
    return last


INSTRUCTIONS = (
    "本工作簿的表头与网站数据文件的字段名一致；请不要修改表头文字。橙色表头为必填（不能删除），灰色为选填（不用的可以整列删除）；"
    "把鼠标移到表头上可看到该栏的说明。",
    "带下拉箭头的单元格请从列表中选择；金额一律以“万元”为单位，最多两位小数；百分数填 85.5 表示 85.5%；"
    "日期写成 2023-05-31。没有或未披露的数请留空，不要填 0、“-”或“无”。",
    "绩效目标表、绩效运行监控表、项目支出绩效自评表：上方为表头部分（每张表一份），下方为指标行。"
    "要填多张表，可复制整张工作表（名称如“绩效目标表 (2)”），或在同一工作表中空一行后复制一份整表。",
    "“目标编号”“监控编号”“评价编号”“整改编号”等编号在同一年度内不得重复；再次导入时，编号相同的记录会被更新，"
    "不会重复添加。",
    "填好后运行：python -m generator import 本文件.xlsx（上方“年度”格已填时可不写 --year）。"
    "程序会先检查全部数据，有错误时列出“工作表、行、列”并不改动任何数据文件。",
)


def write_instructions(wb: Workbook, sheets, year: int | None) -> None:
    ws = wb.create_sheet(INSTRUCTIONS_SHEET)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 10
    ws.column_dimensions["C"].width = 34
    ws.column_dimensions["D"].width = 60
    ws.cell(1, 1, "填写说明").font = TITLE_FONT
    ws.cell(3, 1, YEAR_LABEL).font = BOLD
    year_cell = ws.cell(3, 2, year)
    year_cell.fill = YEAR_FILL
    year_cell.border = BORDER
    year_cell.number_format = "0"
    ws.cell(3, 3, "本工作簿数据所属的报告年度，例如 2024（导入时写入 data/2024/）")
    row = 5
    for n, text in enumerate(INSTRUCTIONS, start=1):
        ws.cell(row, 1, f"{n}.")
        ws.cell(row, 2, text).alignment = WRAP
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
        ws.row_dimensions[row].height = 48
        row += 1
    for sheet in sheets:
        parts = ([("", sheet.model)] if isinstance(sheet, ListSheet)
                 else [("表头部分", sheet.parent), ("指标行", sheet.child)])
        for part, model in parts:
            row += 1
            ws.cell(row, 1, f"工作表『{sheet.name}』" + (f"·{part}" if part else "")).font = BOLD
            row += 1
            for i, head in enumerate(("字段", "必填", "类型与格式", "说明"), start=1):
                cell = ws.cell(row, i, head)
                cell.font = BOLD
                cell.fill = OPTIONAL_FILL
                cell.border = BORDER
            skip = (sheet.link,) if part == "指标行" else ()
            order = [c.alias for c in columns(model, skip)]  # the order of the sheet's columns
            fields = sorted((f for f in schema.field_rows(model) if f["name"] in order),
                            key=lambda f: order.index(f["name"]))
            for field in fields:
                row += 1
                description = field["description"]
                if field["public"] != "公开" and "不公开" not in description:
                    description += "（不在网站公开）"
                for i, value in enumerate((field["name"], field["required"], field["type"], description), 1):
                    cell = ws.cell(row, i, value)
                    cell.border = BORDER
                    cell.alignment = WRAP


def build_workbook(sheets, year: int | None = None,
                   lists: dict[type, list[dict[str, str]]] | None = None,
                   forms: dict[str, list[FormBlock]] | None = None) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    data_sheets = [(sheet, wb.create_sheet(sheet.name)) for sheet in sheets]
    write_instructions(wb, sheets, year)
    options = _Options(wb)
    for sheet, ws in data_sheets:
        if isinstance(sheet, ListSheet):
            write_list_sheet(ws, sheet, options, (lists or {}).get(sheet.model, []))
        else:
            write_form_sheet(ws, sheet, options, (forms or {}).get(sheet.name, []))
    options.finish()
    wb.active = 0
    return wb


def save_atomically(wb: Workbook, path: Path) -> None:
    """Write beside the target and rename, so a failed save never leaves half a workbook."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".xlsx")
    os.close(fd)
    try:
        wb.save(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; a saved workbook should not be
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_templates(out_dir: Path) -> tuple[list[Path], list[Path]]:
    """Blank workbooks, one per official form plus one with every sheet: (written, kept). A workbook already there
    is kept: it may be a template someone has started filling in."""
    written, kept = [], []
    for name, sheets in TEMPLATE_BOOKS.items():
        path = out_dir / f"{name}.xlsx"
        if path.exists():
            kept.append(path)
            continue
        save_atomically(build_workbook(sheets), path)
        written.append(path)
    return written, kept


# --- export -----------------------------------------------------------------------------------


def _raw_rows(year_dir: Path, model: type[schema.Published], name: str, report: Report) -> list[dict[str, str]]:
    path = year_dir / model.FILE
    if not path.exists():
        return []
    table = load.read_csv(path, name, report)
    return [] if table is None else [raw.values for raw in table.rows]


def export_year(data_dir: Path, year: int, out: Path) -> Report:
    """Write a year's records (as stored, valid or not) into one workbook in the template layout."""
    report = Report()
    year_dir = data_dir / str(year)
    if not year_dir.is_dir():
        report.error(f"{data_dir.name}/{year}", None, "file-missing", "", "",
                     f"没有 {year} 年度的数据文件夹；可用 new-year {year} 新建")
        return report
    raw: dict[type, list[dict[str, str]]] = {}
    for model in schema.TABLES:
        raw[model] = _raw_rows(year_dir, model, f"{data_dir.name}/{year}/{model.FILE}", report)
    if not report.ok:
        return report
    forms = {sheet.name: form_blocks(sheet, raw[sheet.parent], raw[sheet.child])
             for sheet in SHEETS if isinstance(sheet, FormSheet)}
    save_atomically(build_workbook(SHEETS, year, raw, forms), out)
    return report


def form_blocks(sheet: FormSheet, parents: list[dict[str, str]], children: list[dict[str, str]]) -> list[FormBlock]:
    """Group indicator rows under their form; rows whose form is missing get a form holding only the key."""
    key = key_alias(sheet.parent)
    link = sheet.child.alias_of(sheet.link)
    blocks: list[FormBlock] = []
    by_key: dict[str, FormBlock] = {}
    for values in parents:
        block = FormBlock(values, [])
        blocks.append(block)
        by_key.setdefault(values.get(key, ""), block)
    for values in children:
        parent = values.get(link, "")
        if parent not in by_key:
            by_key[parent] = FormBlock({key: parent}, [])
            blocks.append(by_key[parent])
        by_key[parent].children.append(values)
    return blocks
