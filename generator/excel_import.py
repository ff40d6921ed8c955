"""Import a filled workbook into data/<year>/*.csv: all or nothing, problems named by sheet, row and column.

Decision (documented in the staff guide): the workbook is merged into a private copy of the whole data folder,
that copy is validated exactly like ``validate``, and only when it has no error are the changed CSV files moved
into data/ (one rename each). On any error nothing in data/ changes.

Merging is by record ID (目标编号, 项目编码 …): a row with a known ID updates that record, a new ID is appended.
Indicator rows belong to their form: a form with indicator rows replaces that form's indicators. A value that
means the same as the stored one (90 and 90.00) keeps the stored text, so importing twice changes no byte.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from . import load, pipeline, schema
from .dataset import YEAR_RANGE
from .excel import (
    HELPER_SHEETS,
    INSTRUCTIONS_SHEET,
    SHEETS,
    YEAR_LABEL,
    Column,
    FormSheet,
    ListSheet,
    canonical_text,
    columns,
    form_columns,
    key_alias,
    list_columns,
    parse_value,
    same_value,
)
from .problems import Problem, Report, Severity
from .schema import is_public_field
from .types import Kind, cents

GRAND_TOTALS = frozenset({"合计", "总计", "合计数"})  # (a 小计 adds up a group: its rows cannot be told apart here)
# Columns whose 合计 is a sum of the rows (not 执行率 or a year).
SUMMED_KINDS = frozenset({Kind.MONEY, Kind.SCORE, Kind.COUNT})
# "单位：元" in a title or note row: the unit of every amount below it.
_UNIT_NOTE = re.compile(r"单位[:：]((?:万|千|百万|亿)?元)")
IGNORED_HEADERS = frozenset({"序号", "行号"})
HEADER_SEARCH_ROWS = 15
_BLANKS = load.BLANK_MARKS
_UNIT_SUFFIX = re.compile(r"[（(][^（）()]*[）)]$")
_COPY_SUFFIX = re.compile(r"\s*[（(]\d+[）)]$|\d+$")


# --- located problems -------------------------------------------------------------------------


@dataclass(frozen=True)
class CellProblem:
    """A problem in the workbook, named the way staff find it: 工作表『项目』第7行 C列「金额」."""

    sheet: str
    row: int | None
    column: str
    problem: Problem

    @property
    def code(self) -> str:
        return self.problem.code

    @property
    def severity(self) -> Severity:
        return self.problem.severity

    def location(self) -> str:
        where = f"工作表『{self.sheet}』"
        if self.row is not None:
            where += f"第{self.row}行"
        if self.column:
            where += f" {self.column}列"
        if self.problem.field:
            where += f"「{self.problem.field}」"
        return where

    def as_text(self) -> str:
        p = self.problem
        value = f"；现值：{p.value}" if p.value != "" else ""
        return f"[{p.severity}] {self.location()}：{p.title}（{p.code}）{value}；{p.message}"


@dataclass
class ImportResult:
    year: int | None = None
    problems: list[CellProblem | Problem] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    stats: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def errors(self) -> list:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors

    def locations(self) -> list[tuple[str, str, int | None]]:
        """(code, sheet or file, row) of every error: what tests compare."""
        return [(p.code, p.sheet, p.row) if isinstance(p, CellProblem) else (p.code, p.file, p.row)
                for p in self.errors]

    def as_text(self) -> str:
        lines = [p.as_text() for p in self.problems]
        notices = len(self.problems) - len(self.errors)
        if self.errors:
            if all(isinstance(p, CellProblem) for p in self.errors):
                where = "请在工作簿中改正后重新导入。"
            elif all(p.code in ("file-unreadable", "file-too-large") for p in self.errors):
                where = "请检查工作簿文件后重新导入。"
            else:
                where = "请按上列位置改正（工作表中的在工作簿里改，data/ 中的文件直接改）后重新导入。"
            lines.append(f"共发现 {len(self.errors)} 个错误、{notices} 条提示。数据文件未作任何修改；{where}")
        else:
            lines.append(f"数据检查通过（{notices} 条提示）。")
        return "\n".join(lines)


def _error(sheet: str, row: int | None, column: int | str | None, code: str, fld: str = "", value="",
           message: str = "") -> CellProblem:
    letter = get_column_letter(column) if isinstance(column, int) else (column or "")
    return CellProblem(sheet, row, letter, Problem(sheet, row, code, fld, "" if value is None else str(value), message))


# --- reading cells ----------------------------------------------------------------------------


class Grid:
    """A worksheet's values with merged ranges spread over every cell they cover."""

    def __init__(self, ws):
        self.name = ws.title
        self.cells = {(c.row, c.column): c for row in ws.iter_rows() for c in row if c.value is not None}
        self.span: dict[tuple[int, int], tuple[int, int, int, int]] = {}
        for rng in ws.merged_cells.ranges:
            bounds = (rng.min_row, rng.min_col, rng.max_row, rng.max_col)
            for r in range(rng.min_row, rng.max_row + 1):
                for c in range(rng.min_col, rng.max_col + 1):
                    self.span[(r, c)] = bounds
        self.max_row = max((r for r, _ in self.cells), default=0)
        self.max_col = max((c for _, c in self.cells), default=0)
        self._texts: dict[int, list[str]] = {}  # every row is looked at several times (header, blank, 合计)

    def cell(self, r: int, c: int):
        if (r, c) in self.span:
            r, c = self.span[(r, c)][:2]
        return self.cells.get((r, c))

    def text(self, r: int, c: int) -> str:
        cell = self.cell(r, c)
        return "" if cell is None else load.clean_cell(str(cell.value))

    def end_col(self, r: int, c: int) -> int:
        return self.span.get((r, c), (r, c, r, c))[3]

    def end_row(self, r: int, c: int) -> int:
        return self.span.get((r, c), (r, c, r, c))[2]

    def row_texts(self, r: int) -> list[str]:
        if r not in self._texts:
            self._texts[r] = [self.text(r, c) for c in range(1, self.max_col + 1)]
        return self._texts[r]

    def is_blank(self, r: int) -> bool:
        return not any(self.row_texts(r))

    def is_total(self, r: int) -> bool:
        return self.total_mark(r) is not None

    def total_mark(self, r: int) -> str | None:
        """合计, 总计, 小计 … when the row is a total row (the mark among its first filled cells)."""
        return load.total_mark(self.row_texts(r))

    def is_title(self, r: int) -> bool:
        """A row holding one text spread over several merged columns (a form's title or a note)."""
        filled = [c for c in range(1, self.max_col + 1) if (r, c) in self.cells]
        return len(filled) == 1 and self.end_col(r, filled[0]) - filled[0] >= 2


def header_name(text: str, aliases) -> str | None:
    """The field a header cell names: tolerates line breaks, spaces, a * for required, and a unit suffix."""
    name = _BLANKS.sub("", text)
    if name in aliases:
        return name
    stripped = _UNIT_SUFFIX.sub("", name)
    return stripped if stripped in aliases else None


def _percent_format(number_format: str) -> bool:
    """A real percent format (Excel stores 85.5% as 0.855); a quoted "%" is only a label."""
    return "%" in re.sub(r'"[^"]*"', "", number_format or "")


_ROUNDED_AS_SHOWN = (Kind.PERCENT, Kind.SCORE)  # (amounts are typed, and a third decimal there is a mistake)
_PLACES = re.compile(r"[0#?]\.([0#?]+)")


def _shown_places(number_format: str) -> int | None:
    """Decimal places a number format shows ("0.00%" -> 2, "#,##0" -> 0); None for General and the like."""
    section = re.sub(r'"[^"]*"|\[[^]]*\]', "", (number_format or "").split(";")[0])
    if not re.search(r"[0#?]", section):
        return None
    found = _PLACES.search(section)
    return len(found.group(1)) if found else 0


def cell_text(cell, column: Column) -> str:
    """The text a CSV would hold for this cell, as staff meant it."""
    if cell is None or cell.value is None:
        return ""
    value = cell.value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) or column.kind is Kind.DATE else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        if column.kind is Kind.DATE and 1 <= value < 2958466:
            return from_excel(value).date().isoformat()  # a date typed into a cell formatted as a number
        number = Decimal(format(value, ".15g")) if isinstance(value, float) else Decimal(value)
        percent = _percent_format(cell.number_format)
        if percent and column.kind in (Kind.PERCENT, Kind.TEXT):
            number *= 100
        places = _shown_places(cell.number_format) if isinstance(value, float) else None
        if places is not None and column.kind in _ROUNDED_AS_SHOWN and number != cents(number):
            # A formula's result (执行率 =B5/F4, 得分 =25*28/30) holds every digit; the official tables show it rounded.
            # Read to the two places these fields hold (half up, as the tables round): the figure the table shows
            # where it shows two places, and a valid one closer to the result where it shows fewer. In a General
            # cell Excel shows every digit, and the error asks the clerk to round.
            number = cents(number)
        elif places is not None and percent and column.kind is Kind.TEXT:
            # 指标值, 完成值 as text: what the cell shows (a formula's 84.9995… shown as 85.00%)
            number = number.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        text = format(number, "f")
        if "." in text and isinstance(value, float):
            text = text.rstrip("0").rstrip(".")
        if percent and column.kind is Kind.TEXT:
            return text + "%"  # 指标值, 完成值: text (a 定性 value is a word), written as Excel shows it
        return text
    return load.clean_cell(str(value))


# --- sheets -> rows ---------------------------------------------------------------------------


@dataclass
class SheetRow:
    """One record read from the workbook, with the cell each value came from."""

    sheet: str
    row: int
    values: dict[str, str]  # alias -> text, only for columns the sheet has
    cells: dict[str, tuple[int, str]] = field(default_factory=dict)  # alias -> (row, column letter)

    def where(self, alias: str) -> tuple[int, str]:
        return self.cells.get(alias, (self.row, ""))


@dataclass
class Incoming:
    rows: dict[type, list[SheetRow]] = field(default_factory=dict)
    # parent key -> indicator rows, for each form read (a form with no indicator rows leaves them alone)
    children: dict[type, dict[str, list[SheetRow]]] = field(default_factory=dict)
    problems: list[CellProblem] = field(default_factory=list)
    sheets_read: list[str] = field(default_factory=list)


def _sheet_kind(title: str) -> ListSheet | FormSheet | None:
    base = _COPY_SUFFIX.sub("", title.strip())
    for sheet in SHEETS:
        if isinstance(sheet, FormSheet) and title.strip().startswith(sheet.name):
            return sheet
    for sheet in SHEETS:
        if isinstance(sheet, ListSheet) and base in (sheet.name, sheet.model.TITLE, sheet.model.FILE[:-4]):
            return sheet
    return None


def _guess_list_sheet(grid: Grid) -> ListSheet | None:
    """A list exported from another system (named Sheet1) is recognised by its header: the record ID and at
    least two more fields of exactly one kind of list."""
    scores = []
    for sheet in SHEETS:
        if isinstance(sheet, ListSheet):
            aliases = {c.alias for c in list_columns(sheet)}
            row, matches = _find_header(grid, aliases)
            has_key = row and any(header_name(t, {key_alias(sheet.model)}) for t in grid.row_texts(row))
            if has_key and matches >= 3:
                scores.append((matches, sheet))
    scores.sort(key=lambda s: -s[0])
    if scores and (len(scores) == 1 or scores[0][0] > scores[1][0]):
        return scores[0][1]
    return None


def _find_header(grid: Grid, aliases, start: int = 1, stop: int | None = None) -> tuple[int, int]:
    """(row, matches) of the row naming the most fields; title rows and group headings above it are skipped."""
    best = (0, 0)
    last = min(grid.max_row, stop or start + HEADER_SEARCH_ROWS - 1)
    for r in range(start, last + 1):
        found = {header_name(t, aliases) for t in grid.row_texts(r)} - {None}
        if len(found) > best[1]:
            best = (r, len(found))
    return best


def _map_header(grid: Grid, r: int, cols: list[Column], sheet: str, problems: list) -> dict[int, Column]:
    by_alias = {c.alias: c for c in cols}
    mapping: dict[int, Column] = {}
    seen: dict[str, int] = {}
    for c in range(1, grid.max_col + 1):
        if (r, c) in grid.span and grid.span[(r, c)][1] != c:
            continue  # the rest of a merged header cell
        text = grid.text(r, c)
        if not text or _BLANKS.sub("", text) in IGNORED_HEADERS:
            continue
        name = header_name(text, by_alias)
        if name is None:
            problems.append(_error(sheet, r, c, "unknown-field", text, text,
                                   "不认识的列名；可用的列：" + "、".join(by_alias) + "。如不需要导入，请删除此列"))
        elif name in seen:
            problems.append(_error(sheet, r, c, "bad-header", name, name,
                                   f"此列与 {get_column_letter(seen[name])} 列重名；请删除其中一列"))
        elif by_alias[name].kind is Kind.MONEY and load.wrong_money_unit(load.header_unit(text)[1]):
            unit = load.header_unit(text)[1]
            problems.append(_error(sheet, r, c, "bad-header", name, text,
                                   f"此列的单位是“{unit}”，而金额一律以万元计；请把金额换算为万元，并把列名改为“{name}”"))
        else:
            seen[name] = c
            mapping[c] = by_alias[name]
    return mapping


def read_list_sheet(grid: Grid, sheet: ListSheet, incoming: Incoming) -> None:
    cols = list_columns(sheet)
    header, matches = _find_header(grid, {c.alias for c in cols})
    if matches < 2:
        if grid.cells:
            incoming.problems.append(_error(grid.name, None, None, "bad-header", "", "",
                                            f"找不到表头行；表头应为{sheet.name}的字段名，例如 "
                                            + "、".join(c.alias for c in cols[:4])))
        return
    mapping = _map_header(grid, header, cols, grid.name, incoming.problems)
    # A column whose header was refused (金额（元）) is there: it is not also reported as missing.
    present = {c.alias for c in mapping.values()} | {
        p.problem.field for p in incoming.problems
        if isinstance(p, CellProblem) and p.sheet == grid.name and p.row == header and p.code == "bad-header"}
    for c in cols:
        if c.required and c.alias not in present:
            incoming.problems.append(_error(grid.name, header, None, "missing-field", c.alias, "",
                                            f"缺少必填列「{c.alias}」；请在表头加上这一列"))
    first = max(grid.end_row(header, c) for c in mapping) + 1 if mapping else header + 1
    if any(col.kind is Kind.MONEY for col in mapping.values()):
        _check_stated_unit(grid, range(1, header), incoming.problems)  # (a header in 元 is told by _map_header)
    rows = incoming.rows.setdefault(sheet.model, [])
    read: list[SheetRow] = []
    totals: list[int] = []
    for r in range(first, grid.max_row + 1):
        if grid.is_total(r):
            totals.append(r)
            continue
        if grid.is_blank(r) or grid.is_title(r):
            continue
        values = {col.alias: canonical_text(sheet.model, col, cell_text(grid.cell(r, c), col))
                  for c, col in mapping.items()}
        cells = {col.alias: (r, get_column_letter(c)) for c, col in mapping.items()}
        read.append(SheetRow(grid.name, r, values, cells))
    rows.extend(read)
    _check_totals(grid, totals, mapping, read, incoming.problems)


def _check_stated_unit(grid: Grid, rows, problems: list) -> None:
    """A title or note row saying the amounts are in 元 (tables from other systems): read as 万元 they would be
    10,000 times too large, so the sheet is refused until they are converted."""
    for r in rows:
        for c in range(1, grid.max_col + 1):
            found = _UNIT_NOTE.search(_BLANKS.sub("", grid.text(r, c))) if (r, c) in grid.cells else None
            if found and load.wrong_money_unit(found.group(1)):
                unit = found.group(1)
                problems.append(_error(grid.name, r, c, "bad-header", "金额单位", grid.text(r, c),
                                       f"此表注明金额单位为“{unit}”，而金额一律以万元计；请把金额换算为万元，"
                                       f"并把“单位：{unit}”改为“单位：万元”"))


def _check_totals(grid: Grid, totals: list[int], mapping: dict[int, Column], rows: list[SheetRow],
                  problems: list) -> None:
    """A 合计 row is not imported, but it must agree with the rows above it (DOMAIN: 8 + 8 projects reported as 15):
    a wrong total in the workbook is a mistake in the rows or in the total, and staff are told which sum differs.
    Skipped where a row's value cannot be read (its own error comes first) and where 小计 rows split the table."""
    if not totals or any(grid.total_mark(r) not in GRAND_TOTALS for r in totals):
        return
    for r in totals:
        for c, col in mapping.items():
            if col.kind not in SUMMED_KINDS:
                continue
            stated = load.plain_decimal(cell_text(grid.cell(r, c), col))
            parts = [load.plain_decimal(row.values.get(col.alias, "")) for row in rows if row.values.get(col.alias, "")]
            if stated is None or not parts or None in parts:
                continue
            actual = sum(parts, Decimal(0))
            if actual != stated:
                problems.append(_error(grid.name, r, c, "total-mismatch", col.alias, cell_text(grid.cell(r, c), col),
                                       f"合计行为 {format(stated, 'f')}，上方各行「{col.alias}」之和为 "
                                       f"{format(actual, 'f')}；请核对明细或合计（合计行本身不导入）"))


def read_form_sheet(grid: Grid, sheet: FormSheet, incoming: Incoming) -> None:
    parent_cols, child_cols = form_columns(sheet)
    parent_by_alias = {c.alias: c for c in parent_cols}
    child_only = {c.alias for c in child_cols} - set(parent_by_alias)
    key = key_alias(sheet.parent)
    child_headers = [r for r in range(1, grid.max_row + 1)
                     if len({header_name(t, child_only) for t in grid.row_texts(r)} - {None}) >= 3]
    starts = [r for r in range(1, grid.max_row + 1) if r not in child_headers
              and any(header_name(t, {key}) for t in grid.row_texts(r))]
    if not starts:
        if grid.cells and child_headers:
            incoming.problems.append(_error(grid.name, child_headers[0], None, "missing-field", key, "",
                                            f"表头部分缺少「{key}」；每张{sheet.name}都要填写{key}"))
        return
    if any(c.kind is Kind.MONEY for c in (*parent_cols, *child_cols)):
        _check_stated_unit(grid, [r for r in range(1, grid.max_row + 1) if r < starts[0] or grid.is_title(r)],
                           incoming.problems)
    for i, start in enumerate(starts):
        end = starts[i + 1] - 1 if i + 1 < len(starts) else grid.max_row
        header = next((r for r in child_headers if start < r <= end), None)
        _read_block(grid, sheet, incoming, start, header, end, parent_cols, child_cols)


def _value_col(grid: Grid, r: int, label_col: int, aliases) -> int:
    """The cell holding a label's value: the first filled cell right of it before the next label, else the
    cell right next to it (a label drawn over two unmerged cells leaves a blank between label and value)."""
    first = grid.end_col(r, label_col) + 1
    c = first
    while c <= grid.max_col:
        text = grid.text(r, c)
        if text:
            return first if header_name(text, aliases) else c
        c = grid.end_col(r, c) + 1
    return first


def _read_block(grid, sheet: FormSheet, incoming: Incoming, start, header, end, parent_cols, child_cols) -> None:
    parent_by_alias = {c.alias: c for c in parent_cols}
    values: dict[str, str] = {}
    cells: dict[str, tuple[int, str]] = {}
    for r in range(start, (header or end + 1)):
        c = 1
        while c <= grid.max_col:
            name = header_name(grid.text(r, c), parent_by_alias) if (r, c) in grid.cells else None
            if name is None or name in values:
                c += 1
                continue
            value_col = _value_col(grid, r, c, parent_by_alias)
            column = parent_by_alias[name]
            values[name] = canonical_text(sheet.parent, column, cell_text(grid.cell(r, value_col), column))
            cells[name] = (r, get_column_letter(value_col))
            c = grid.end_col(r, value_col) + 1
    children: list[SheetRow] = []
    if header is not None:
        mapping = _map_header(grid, header, child_cols, grid.name, incoming.problems)
        totals: list[int] = []
        for r in range(header + 1, end + 1):
            if grid.is_total(r):
                totals.append(r)
                continue
            if grid.is_blank(r) or grid.is_title(r):
                continue
            row_values = {col.alias: canonical_text(sheet.child, col, cell_text(grid.cell(r, c), col))
                          for c, col in mapping.items()}
            if not any(row_values.values()):
                continue
            children.append(SheetRow(grid.name, r, row_values,
                                     {col.alias: (r, get_column_letter(c)) for c, col in mapping.items()}))
        _check_totals(grid, totals, mapping, children, incoming.problems)
    key = key_alias(sheet.parent)
    key_value = values.get(key, "")
    others = {k: v for k, v in values.items() if k != key and v}
    if not key_value:
        if others or children:
            row, letter = cells.get(key, (start, ""))
            incoming.problems.append(_error(grid.name, row, letter, "missing-field", key, "",
                                            f"这是必填项，不能为空；每张{sheet.name}都要有唯一的{key}"))
        return  # a blank form (the template's) carries nothing
    for c in parent_cols:
        if c.required and c.alias not in values and others:
            incoming.problems.append(_error(grid.name, start, None, "missing-field", c.alias, "",
                                            f"表头部分缺少「{c.alias}」；请按模板补上这一项"))
    if others:
        incoming.rows.setdefault(sheet.parent, []).append(SheetRow(grid.name, start, values, cells))
    if children:
        link = sheet.child.alias_of(sheet.link)
        for child in children:
            child.values[link] = key_value
            child.cells[link] = cells[key]  # a wrong 目标编号 is fixed in the form's header block
        incoming.children.setdefault(sheet.child, {}).setdefault(key_value, []).extend(children)


_YEAR_TEXT = re.compile(r"^(\d{4})\s*(年度?)?$")


def workbook_year(wb) -> int | CellProblem | None:
    """The 年度 filled in on the 填写说明 sheet (2024, 2024年, 2024年度); a problem naming the cell when what is
    there is not a year; None when the cell is not there or empty."""
    if INSTRUCTIONS_SHEET not in wb.sheetnames:
        return None
    grid = Grid(wb[INSTRUCTIONS_SHEET])
    for r in range(1, min(grid.max_row, 12) + 1):
        if grid.text(r, 1) == YEAR_LABEL:
            text = load.normalise_digits(cell_text(grid.cell(r, 2), Column("year", YEAR_LABEL, Kind.YEAR, False)))
            if not text:
                return None
            found = _YEAR_TEXT.match(text)
            if found:
                return int(found.group(1))
            return _error(INSTRUCTIONS_SHEET, r, 2, "bad-number", YEAR_LABEL, text, "年度应为四位数年份，例如 2024")
    return None


def read_workbook(path: Path, result: ImportResult) -> tuple[Incoming, int | None] | None:
    name = path.name
    if path.suffix.lower() in (".xls", ".et", ".csv"):
        result.problems.append(Problem(name, None, "file-unreadable", "", path.suffix,
                                       "只能导入 .xlsx 工作簿；请在 Excel/WPS 中“另存为 → Excel 工作簿(*.xlsx)”"))
        return None
    if not path.exists():
        result.problems.append(Problem(str(path), None, "file-unreadable", "", "",
                                       "找不到这个文件；请检查文件名和所在文件夹"))
        return None
    if not path.is_file():
        result.problems.append(Problem(str(path), None, "file-unreadable", "", "",
                                       "这是一个文件夹，不是工作簿；请写出 .xlsx 文件本身的路径"))
        return None
    try:
        if path.stat().st_size > load.MAX_FILE_BYTES:
            result.problems.append(_error(name, None, None, "file-too-large", "", f"{path.stat().st_size} 字节",
                                          "工作簿过大；请检查是否误存了图片或其他内容"))
            return None
        wb = load_workbook(path, data_only=True)
        uncached = _formulas_without_results(path)
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError, SyntaxError):
        result.problems.append(Problem(str(path), None, "file-unreadable", "", "",
                                       "无法打开工作簿：文件已损坏、没有读取权限或不是 .xlsx 格式；请在 Excel/WPS 中打开后"
                                       "“另存为 → Excel 工作簿(*.xlsx)”"))
        return None
    incoming = Incoming()
    for ws in wb.worksheets:
        if ws.title in HELPER_SHEETS:
            continue
        sheet = _sheet_kind(ws.title)
        if ws.sheet_state != "visible":
            if sheet is not None and any(c.value is not None for row in ws.iter_rows() for c in row):
                incoming.problems.append(_error(ws.title, None, None, "unknown-field", "", ws.title,
                                                f"工作表『{ws.title}』被隐藏了；隐藏的表是否要导入无法判断，请取消隐藏后重新导入，"
                                                "不需要的表请删除"))
            continue
        grid = Grid(ws)
        if sheet is None and grid.cells:
            sheet = _guess_list_sheet(grid)
            if sheet is not None:
                incoming.problems.append(CellProblem(ws.title, None, "", Problem(
                    ws.title, None, "unknown-field", "", ws.title,
                    f"工作表名称不是模板中的名称，按表头识别为『{sheet.name}』导入", Severity.NOTICE)))
        if sheet is None:
            if grid.cells:
                incoming.problems.append(CellProblem(ws.title, None, "", Problem(
                    ws.title, None, "unknown-field", "", ws.title,
                    "不认识的工作表名称，已跳过；可导入的工作表：" + "、".join(s.name for s in SHEETS),
                    Severity.NOTICE)))
            continue
        incoming.sheets_read.append(ws.title)
        if isinstance(sheet, ListSheet):
            read_list_sheet(grid, sheet, incoming)
        else:
            read_form_sheet(grid, sheet, incoming)
    _formula_problems(incoming, uncached)
    _duplicates(incoming)
    return incoming, workbook_year(wb)


_FORMULA_ELEMENT = re.compile(rb"<(?:\w+:)?f[ >/]")
_FORMULA_TEXT = re.compile(rb"<(?:\w+:)?f\b[^>]*>(.*?)</(?:\w+:)?f>", re.S)
_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*?\br="([A-Z]+\d+)"[^>]*)>(.*?)</(?:\w+:)?c>', re.S)
_STORED_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]+</(?:\w+:)?v>")


def _formula_problems(incoming: Incoming, uncached: dict[str, list[tuple[int, int, str]]]) -> None:
    """A value read from a formula cell without a stored result (a 合计 row's formula is not read: no problem)."""
    if not uncached:
        return
    where = {(sheet, r, get_column_letter(c)): formula for sheet, cells in uncached.items() for r, c, formula in cells}
    rows = [*(r for rs in incoming.rows.values() for r in rs),
            *(r for by_parent in incoming.children.values() for rs in by_parent.values() for r in rs)]
    for row in rows:
        for alias, (r, letter) in row.cells.items():
            formula = where.get((row.sheet, r, letter))
            if formula is not None:
                incoming.problems.append(_error(
                    row.sheet, r, letter, "bad-type", alias, formula,
                    "此单元格是公式，但工作簿里没有保存它的计算结果（常见于由其他程序生成的文件），读出来会是空白；"
                    "请在 Excel/WPS 中打开、保存后重新导入，或把公式改为数值"))


def _formulas_without_results(path: Path) -> dict[str, list[tuple[int, int, str]]]:
    """Cells holding a formula whose result the file does not store: read for their values they are blank, and an
    import would quietly empty the field. (Excel and WPS store results on saving; other programs may not.)"""
    import html

    from openpyxl.utils import column_index_from_string

    out: dict[str, list[tuple[int, int, str]]] = {}
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        if not any(_FORMULA_ELEMENT.search(z.read(n)) for n in sheets):
            return {}
        # Sheet titles by their file: xl/workbook.xml names each sheet's relation, the relations name the file.
        rels = dict(re.findall(rb'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"',
                               z.read("xl/_rels/workbook.xml.rels")))
        rels |= {k: v for v, k in re.findall(rb'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"',
                                              z.read("xl/_rels/workbook.xml.rels"))}
        for name, rid in re.findall(rb'<(?:\w+:)?sheet\b[^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"',
                                    z.read("xl/workbook.xml")):
            target = rels.get(rid, b"").decode("utf-8").lstrip("/")
            member = target if target.startswith("xl/") else "xl/" + target
            if member not in sheets:
                continue
            title = html.unescape(name.decode("utf-8"))
            # A formula's stored result is its <v>; a formula giving "" stores an empty one in a text cell (t="str").
            # Without either, the cell reads as blank for lack of a result.
            for attrs, ref, inner in _CELL.findall(z.read(member)):
                if (_FORMULA_ELEMENT.search(inner) and not _STORED_VALUE.search(inner)
                        and not re.search(rb'\bt="str"', attrs)):
                    col, row = re.match(rb"([A-Z]+)(\d+)", ref).groups()
                    text = _FORMULA_TEXT.search(inner)
                    formula = "=" + html.unescape(text.group(1).decode("utf-8")) if text else "（共享公式）"
                    out.setdefault(title, []).append((int(row), column_index_from_string(col.decode()), formula))
    return out


def _duplicates(incoming: Incoming) -> None:
    """Two rows with one ID would silently become one record when merged: stop and name both."""
    for model, rows in incoming.rows.items():
        alias = key_alias(model)
        first: dict[str, SheetRow] = {}
        for row in rows:
            k = row.values.get(alias, "")
            if not k:
                if alias in row.values:
                    r, letter = row.where(alias)
                    incoming.problems.append(_error(row.sheet, r, letter, "missing-field", alias, "",
                                                    "这是必填项，不能为空"))
                continue
            if k in first:
                other = first[k]
                r, letter = row.where(alias)
                incoming.problems.append(_error(row.sheet, r, letter, "duplicate-id", alias, k,
                                                f"与工作表『{other.sheet}』第{other.where(alias)[0]}行重复；"
                                                "每条记录的编号须唯一"))
            else:
                first[k] = row


# --- merging into CSV -------------------------------------------------------------------------


@dataclass
class Merged:
    header: list[str]
    rows: list[dict[str, str]]
    origin: list[SheetRow | None]
    added: int = 0
    updated: int = 0
    removed: int = 0
    # (row, alias, stored text, what happened): blank cells that kept a stored value, records made public
    told: list[tuple[SheetRow, str, str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


KEPT, MADE_PUBLIC = "kept", "made-public"


def _update(model, old: dict[str, str], new: SheetRow, told: list) -> tuple[dict[str, str], bool]:
    """``old`` with the workbook's values. A blank cell keeps what is stored where blanking it would publish or lose
    something: 公开 (blank means public: a unit returning the template, which ships 公开 blank, would publish a
    withheld record) and the internal fields (the template holds none of them). Both are told in ``told``, as is a
    record the workbook turns from 否 to 是."""
    merged = dict(old)
    changed = False
    for alias, text in new.values.items():
        attr = next((a for a, f in model.model_fields.items() if (f.alias or a) == alias), alias)
        stored = old.get(alias, "")
        if same_value(model, attr, stored, text):
            continue
        withheld = attr == "public" and parse_value(model, attr, stored) is False
        internal = attr in model.model_fields and not is_public_field(model.model_fields[attr])
        if (withheld or internal) and not text.strip() and stored.strip():
            told.append((new, alias, stored, KEPT))
            continue
        if withheld:
            told.append((new, alias, stored, MADE_PUBLIC))
        merged[alias] = text
        changed = True
    return merged, changed


def merge(model, existing: load.RawTable | None, incoming: Incoming, link: str | None) -> Merged:
    aliases = [c.alias for c in columns(model)]
    rows = [raw.values for raw in existing.rows] if existing else []
    out = Merged(list(existing.header) if existing and existing.header else [], list(rows), [None] * len(rows))
    if link is None:
        key = key_alias(model)
        index = {r.get(key, ""): i for i, r in reversed(list(enumerate(rows)))}
        for new in incoming.rows.get(model, []):
            i = index.get(new.values.get(key, ""))
            if i is None:
                out.rows.append({a: new.values.get(a, "") for a in aliases})
                out.origin.append(new)
                index[new.values.get(key, "")] = len(out.rows) - 1
                out.added += 1
            else:
                out.rows[i], changed = _update(model, out.rows[i], new, out.told)
                out.origin[i] = new
                out.updated += changed
    else:
        _merge_children(model, out, incoming.children.get(model, {}), aliases, link)
    if not out.header:
        out.header = list(aliases)
    for a in aliases:
        if a not in out.header and any(r.get(a) for r in out.rows):
            out.header.append(a)
    return out


def _merge_children(model, out: Merged, groups: dict[str, list[SheetRow]], aliases, link: str) -> None:
    """Each form read replaces its indicator rows, placed where its first old row was (one pass)."""
    link_alias, name_alias = model.alias_of(link), model.alias_of("name")
    old: dict[str, list[dict[str, str]]] = {}
    for r in out.rows:
        if r.get(link_alias, "") in groups:
            old.setdefault(r.get(link_alias, ""), []).append(r)

    def replacement(parent: str) -> list[tuple[dict[str, str], SheetRow]]:
        previous = old.get(parent, [])
        by_name: dict[str, dict[str, str]] = {}
        for r in previous:
            by_name.setdefault(r.get(name_alias, ""), r)
        rows = []
        for new in groups[parent]:
            before = by_name.get(new.values.get(name_alias, ""))
            rows.append(_update(model, before, new, out.told)[0] if before is not None
                        else {a: new.values.get(a, "") for a in aliases})
        if rows != previous:
            out.added += max(0, len(rows) - len(previous))
            out.removed += max(0, len(previous) - len(rows))
            out.updated += min(len(rows), len(previous))
        return list(zip(rows, groups[parent], strict=True))

    pairs: list[tuple[dict[str, str], SheetRow | None]] = []
    placed: set[str] = set()
    for r, origin in zip(out.rows, out.origin, strict=True):
        parent = r.get(link_alias, "")
        if parent not in groups:
            pairs.append((r, origin))
        elif parent not in placed:
            placed.add(parent)
            pairs += replacement(parent)
    for parent in groups:
        if parent not in placed:
            pairs += replacement(parent)
    out.rows = [r for r, _ in pairs]
    out.origin = [o for _, o in pairs]


def _tell_kept(model, existing: load.RawTable, incoming: Incoming, name: str, result: ImportResult) -> None:
    """Import adds and updates the records a sheet lists; one it leaves out stays in the data. A clerk who deleted
    a row in the workbook expects it gone: say where it stayed and how to remove it."""
    rows = incoming.rows.get(model)
    if not rows:
        return
    key = key_alias(model)
    listed = {r.values.get(key, "") for r in rows}
    kept = [raw.values.get(key, "") for raw in existing.rows if raw.values.get(key, "") not in listed]
    if kept:
        shown = "、".join(kept[:5]) + (f" 等 {len(kept)} 条" if len(kept) > 5 else "")
        result.problems.append(CellProblem(rows[0].sheet, None, "", Problem(
            name, None, "records-kept", key, shown,
            f"工作表中没有 {name} 里已有的这些记录，它们保持不变：导入只新增或更新工作表中列出的记录。"
            f"如要删除，请在 {name} 中删去这些行（已发布的年度还须附更正说明）", Severity.NOTICE)))


def _told(name: str, row: SheetRow, alias: str, stored: str, what: str) -> CellProblem:
    r, letter = row.where(alias)
    if what == MADE_PUBLIC:
        problem = Problem(name, None, "made-public", alias, stored,
                          "这条记录原标为不公开（公开：否），工作簿中填了“是”，导入后将在网站、搜索和下载中公开；"
                          "如不应公开，请把此格改回“否”再导入", Severity.NOTICE)
    elif alias == schema.Published.alias_of("public"):
        problem = Problem(name, None, "blank-kept", alias, stored,
                          "工作簿中此格为空，已保留数据中原有的“否”（不公开）：空格不会让不公开的记录变为公开。"
                          "确需公开，请填“是”", Severity.NOTICE)
    else:
        problem = Problem(name, None, "blank-kept", alias, stored,
                          "工作簿中此格为空，已保留数据中原有的内部信息（不公开）：空格不会删掉它。确需删除，"
                          f"请直接编辑 {name}", Severity.NOTICE)
    return CellProblem(row.sheet, r, letter, problem)


def serialise(merged: Merged) -> tuple[str, dict[int, SheetRow]]:
    """CSV text (UTF-8, \\n line ends, minimal quoting) and the line where each imported record starts."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(merged.header)
    line = 2
    lines: dict[int, SheetRow] = {}
    for values, origin in zip(merged.rows, merged.origin, strict=True):
        start = buf.tell()
        writer.writerow([values.get(h, "") for h in merged.header])
        if origin is not None:
            lines[line] = origin
        line += buf.getvalue()[start:].count("\n")
    return buf.getvalue(), lines


# --- the whole import -------------------------------------------------------------------------


def _models_in_order() -> list[tuple[type, str | None]]:
    out = []
    for sheet in SHEETS:
        if isinstance(sheet, ListSheet):
            out.append((sheet.model, None))
        else:
            out += [(sheet.parent, None), (sheet.child, sheet.link)]
    return out


def import_workbook(path: Path, data_dir: Path, year: int | None = None,
                    progress: Callable[[int], None] | None = None) -> ImportResult:
    result = ImportResult()
    read = read_workbook(path, result)
    if read is None:
        return result
    incoming, book_year = read
    unreadable_year = isinstance(book_year, CellProblem)
    if unreadable_year:
        result.problems.append(book_year)
        book_year = None
    result.problems.extend(incoming.problems)
    if year is not None and book_year is not None and year != book_year:
        result.problems.append(_error(INSTRUCTIONS_SHEET, None, None, "year-mismatch", YEAR_LABEL, book_year,
                                      f"工作簿填写的年度为 {book_year}，与命令中的 --year {year} 不一致；请确认后改正其一"))
    from_command = year is not None
    result.year = year = year or book_year
    if year is None:
        if not unreadable_year:  # (an unreadable 年度 cell is reported at its cell, above)
            result.problems.append(_error(INSTRUCTIONS_SHEET, None, None, "missing-field", YEAR_LABEL, "",
                                          "不知道导入到哪个年度：请在“填写说明”工作表的“年度”格填写，或在命令后加 --year <年度>（例如 --year 2025）"))
    elif not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        message = f"年度应为四位数年份（{YEAR_RANGE[0]}–{YEAR_RANGE[1]}），例如 2024"
        result.problems.append(Problem("命令行", None, "bad-number", "--year", str(year), message) if from_command
                               else _error(INSTRUCTIONS_SHEET, None, None, "bad-number", YEAR_LABEL, year, message))
    elif not (data_dir / str(year)).is_dir():
        result.problems.append(Problem(f"{data_dir.name}/{year}", None, "file-missing", "", "",
                                       f"没有 {year} 年度的数据文件夹；请先运行 python -m generator new-year {year}"))
    else:
        # The year is known: the rows are checked even when a sheet has a problem of its own (a missing column),
        # so one run lists every problem. Nothing is written unless there is none.
        return _stage(data_dir, year, incoming, result, progress)
    return result


def _stage(data_dir: Path, year: int, incoming: Incoming, result: ImportResult, progress) -> ImportResult:
    stage_root = Path(tempfile.mkdtemp(prefix=".import-", dir=data_dir.parent))
    try:
        return _stage_and_apply(data_dir, year, incoming, result, stage_root, progress)
    finally:
        shutil.rmtree(stage_root, ignore_errors=True)


def _stage_and_apply(data_dir, year, incoming, result, stage_root, progress) -> ImportResult:
    stage = stage_root / data_dir.name
    shutil.copytree(data_dir, stage, ignore=shutil.ignore_patterns(".*"))
    origins: dict[tuple[str, int], SheetRow] = {}
    changed_files: list[str] = []
    read_report = Report()
    for model, link in _models_in_order():
        rel = f"{year}/{model.FILE}"
        name = f"{data_dir.name}/{rel}"
        existing = load.read_csv(stage / rel, name, read_report) if (stage / rel).exists() else None
        merged = merge(model, existing, incoming, link)
        if link is None and existing is not None:
            _tell_kept(model, existing, incoming, name, result)
        result.problems += [_told(name, *t) for t in merged.told]
        if progress:
            progress(sum(o is not None for o in merged.origin))
        text, lines = serialise(merged)
        origins.update({(name, line): row for line, row in lines.items()})
        if merged.changed or existing is None and merged.rows:
            (stage / rel).write_text(text, encoding="utf-8")
            changed_files.append(rel)
            result.stats[model.FILE] = {"新增": merged.added, "更新": merged.updated, "删除": merged.removed}
    if not read_report.ok:
        result.problems.extend(read_report.sorted())
        return result
    _, report = pipeline.validate(stage, progress=progress)
    # A column a sheet lacks was reported once, at its header: its rows are not each told the value is missing.
    missing_columns = {(c.sheet, c.problem.field) for c in result.problems
                       if isinstance(c, CellProblem) and (c.code == "missing-field" and not c.column
                                                          or c.code == "bad-header")}
    # A cell the workbook reading already reported (a blank ID …) is not reported again by the validation.
    told = {(c.sheet, c.row, c.column, c.code) for c in result.problems if isinstance(c, CellProblem)}
    for p in report.sorted():
        row = origins.get((p.file, p.row))
        if row is None:
            result.problems.append(p)
            continue
        if p.code == "missing-field" and (row.sheet, p.field) in missing_columns:
            continue
        r, letter = row.where(p.field) if p.field else (row.row, "")
        if (row.sheet, r, letter, p.code) in told:
            continue
        result.problems.append(CellProblem(row.sheet, r, letter, p))
    order = {name: i for i, name in enumerate(incoming.sheets_read)}
    result.problems.sort(key=lambda p: (0, order.get(p.sheet, len(order)), p.row or 0, len(p.column), p.column)
                         if isinstance(p, CellProblem) else (1, 0, 0, 0, ""))
    if result.ok:
        for rel in changed_files:
            os.replace(stage / rel, data_dir / rel)
            result.written.append(data_dir / rel)
    return result
