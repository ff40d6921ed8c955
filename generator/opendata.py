"""Open data downloads: a year's public records as CSV, XLSX and JSON, a Frictionless Data Package, SHA-256 sums.

Reads only the model, which has already dropped records marked 公开: 否; here only public fields
(``Record.public_fields``) are written, so internal fields such as 内部联系人 never reach a download.
Same model, same bytes: rows keep the model's order, and every timestamp inside the XLSX (document
properties, zip entries) is fixed from the report's dates.

Machine-readable files leave blanks empty (pages show "—") and write money as exact decimal text with two
places (万元). Headers are the Chinese field names staff know from the data files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path

import xlsxwriter

from . import schema
from .escape import spreadsheet_text
from .model import YearModel
from .types import TYPE_LABELS, Kind, cents, field_enum, field_kind

CHECKSUMS = "SHA256SUMS"
DATAPACKAGE = "datapackage.json"
XLSX_MEDIATYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOTE = ("本数据为公开记录的公开字段；标为不公开的记录和仅供内部使用的字段均不含在内。"
        "金额单位为万元，保留两位小数；百分数不带百分号；空白表示未填报。"
        "没有公开记录的类别不列出：本年度或没有此类记录，或未公开逐项明细，见年度报告页面。")

# Each kind of field (types.Kind) -> its Table Schema type and unit.
_TABLE_SCHEMA_TYPES = {
    Kind.MONEY: ("number", "万元"), Kind.PERCENT: ("number", "%"), Kind.SCORE: ("number", "分"),
    Kind.QUANTITY: ("number", None), Kind.COUNT: ("integer", None), Kind.YEAR: ("year", None),
    Kind.DATE: ("date", None), Kind.YES_NO: ("boolean", None), Kind.URL: ("string", None),
    Kind.WEB_ADDRESS: ("string", None), Kind.SITE_IMAGE: ("string", None), Kind.DOC_NUMBER: ("string", None),
    Kind.ENUM: ("string", None), Kind.TEXT: ("string", None),
}
# The 类型 column of the workbook's 字段说明 sheet, for people (datapackage.json keeps the Table Schema types).
_KIND_LABELS = {
    Kind.MONEY: "金额", Kind.PERCENT: "百分数", Kind.SCORE: "分数", Kind.QUANTITY: "数值", Kind.COUNT: "整数",
    Kind.YEAR: "年度", Kind.DATE: "日期", Kind.YES_NO: "是/否", Kind.URL: "链接", Kind.WEB_ADDRESS: "网址",
    Kind.SITE_IMAGE: "图片路径", Kind.DOC_NUMBER: "文号", Kind.ENUM: "可选值之一", Kind.TEXT: "文本",
}
_NUMBER_FORMATS = {Kind.MONEY: "0.00", Kind.PERCENT: "0.00", Kind.SCORE: "0.00", Kind.DATE: "yyyy-mm-dd"}


@dataclass(frozen=True)
class FieldSpec:
    """One column of a download: its Chinese header, kind (see ``_TABLE_SCHEMA_TYPES``) and description."""

    name: str
    kind: Kind
    description: str = ""
    required: bool = False
    enum: tuple[str, ...] = ()

    @property
    def unit(self) -> str | None:
        return _TABLE_SCHEMA_TYPES[self.kind][1]


@dataclass
class Sheet:
    """One table of the export: a CSV file, an XLSX sheet and a Data Package resource."""

    name: str  # resource name and CSV file stem: lowercase ASCII, e.g. "projects"
    title: str  # Chinese, also the XLSX sheet name
    fields: list[FieldSpec]
    rows: list[list[object]] = field(default_factory=list)
    primary_key: tuple[str, ...] = ()  # fields whose values identify a row


# --- from the model to sheets ---------------------------------------------------------------


def record_fields(model: type[schema.Record]) -> list[FieldSpec]:
    """The public fields of a record type, in schema order (the order of the data files' columns)."""
    specs = []
    for name in model.public_fields():
        f = model.model_fields[name]
        kind = field_kind(f)
        enum_type = field_enum(f)
        enum = tuple(m.value for m in enum_type) if enum_type else ()
        # Every field gets a description: the schema's own, else what its type accepts.
        description = f.description or TYPE_LABELS.get(kind) or ("可选值：" + "、".join(enum) if enum else "文字")
        specs.append(FieldSpec(f.alias or name, kind, description, f.is_required(), enum))
    return specs


def _value(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


def records_sheet(model: type[schema.Record], records: Sequence[schema.Record]) -> Sheet:
    names = model.public_fields()
    rows = [[_value(getattr(r, n)) for n in names] for r in records if getattr(r, "public", True)]
    key = (model.alias_of(model.KEY),) if getattr(model, "KEY", None) else ()
    return Sheet(Path(model.FILE).stem, model.TITLE, record_fields(model), rows, key)


def year_records(y: YearModel) -> dict[type[schema.Published], list[schema.Published]]:
    """Every public record of a year by kind, in schema.TABLES order; a kind whose table the year did not publish
    is left out (its count is unknown, where a published table without rows has none)."""
    records = {
        schema.Department: list(y.departments),
        schema.Project: list(y.projects),
        schema.Goal: [g.goal for g in y.goals],
        schema.Indicator: [i for g in y.goals for i in g.indicators],
        schema.ExAnte: list(y.exante),
        schema.Monitoring: [m.record for m in y.monitoring],
        schema.MonitoringIndicator: [i for m in y.monitoring for i in m.indicators],
        schema.Evaluation: [e.record for e in y.evaluations],
        schema.EvaluationScore: [s for e in y.evaluations for s in e.scores],
        schema.Rectification: list(y.rectifications),
        schema.Application: list(y.applications),
    }
    return {model: rows for model, rows in records.items() if _SECTION_OF.get(model, "") in y.provided | {""}}


# The list of a year model behind each kind of record (rows under a goal, monitoring or evaluation go with it).
_SECTION_OF = {schema.Project: "projects", schema.Goal: "goals", schema.Indicator: "goals", schema.ExAnte: "exante",
               schema.Monitoring: "monitoring", schema.MonitoringIndicator: "monitoring",
               schema.Evaluation: "evaluations", schema.EvaluationScore: "evaluations",
               schema.Rectification: "rectifications", schema.Application: "applications"}


# What each file of a year's bundle holds, for the open-data page: (order, description) by the file's stem after
# "<year>-"; the workbook and the JSON first, then one CSV per kind of record in schema.TABLES order.
_BUNDLE_FILES = {
    "全部数据.xlsx": "全部数据（Excel 工作簿：每类记录一个工作表，附字段说明）",
    "全部数据.json": "全部数据（JSON）",
    **{f"{Path(m.FILE).stem}.csv": f"{m.TITLE}（CSV）" for m in schema.TABLES},
    "figures.csv": "报告汇总数（CSV）", "fund-types.csv": "财政重点评价资金类型（CSV）", "documents.csv": "引用文件（CSV）", "errata.csv": "更正说明（CSV）",
}
_PACKAGE_FILES = {DATAPACKAGE: "数据包说明（每个文件、每个字段的含义与单位）", CHECKSUMS: "文件校验值（SHA-256）"}


def describe_files(year: int, names: Sequence[str]) -> list[tuple[str, str]]:
    """A year's bundle as (description, file name), in reading order; a file not known here keeps its name."""
    known = {f"{year}-{stem}": (i, text) for i, (stem, text) in enumerate(_BUNDLE_FILES.items())}
    known |= {name: (len(known) + i, text) for i, (name, text) in enumerate(_PACKAGE_FILES.items())}
    return sorted(((known.get(n, (len(known), n))[1], n) for n in names),
                  key=lambda item: (known.get(item[1], (len(known),))[0], item[1]))


def _figures_sheet(y: YearModel) -> Sheet:
    fields = [FieldSpec("项目", Kind.TEXT, "报告中的汇总数名称", True), FieldSpec("数值", Kind.QUANTITY, "汇总数的值", True),
              FieldSpec("单位", Kind.TEXT, "数值的单位"), FieldSpec("核对情况", Kind.TEXT, "是否已与明细记录核对")]
    rows = [[f.label, f.value, f.unit, y.figure_source(f.checked)] for f in y.figures]
    return Sheet("figures", "汇总数", fields, rows, ("项目",))


def _fund_types_sheet(y: YearModel) -> Sheet:
    fields = [FieldSpec("资金类型", Kind.TEXT, "报告列举的财政重点评价所涉资金类型", True)]
    return Sheet("fund-types", "财政重点评价资金类型", fields, [[k] for k in y.report.finance_eval_fund_types],
                 ("资金类型",))


def _report_sheet(model: type[schema.Record], items: Sequence[schema.Record], name: str, title: str) -> Sheet:
    sheet = records_sheet(model, items)
    return Sheet(name, title, sheet.fields, sheet.rows)


def record_sheets(y: YearModel) -> dict[type[schema.Published], Sheet]:
    """A sheet for each kind of record the year published (see ``year_records``), perhaps without rows."""
    return {model: records_sheet(model, records) for model, records in year_records(y).items()}


def year_sheets(y: YearModel, by_kind: dict[type[schema.Published], Sheet] | None = None) -> list[Sheet]:
    """The tables of one year's export: each record kind with public records, then the report's own tables.
    ``by_kind``: the year's ``record_sheets``, if already made."""
    sheets = list((record_sheets(y) if by_kind is None else by_kind).values())
    sheets.append(_figures_sheet(y))
    sheets.append(_fund_types_sheet(y))
    sheets.append(_report_sheet(schema.Document, y.report.documents, "documents", "引用文件"))
    sheets.append(_report_sheet(schema.Erratum, y.report.errata, "errata", "更正说明"))
    return [s for s in sheets if s.rows]


# --- cell values per format -----------------------------------------------------------------


def text_value(value: object, kind: Kind) -> str:
    """A value as CSV text: blanks empty, money with exactly two places, dates ISO, 是/否 for yes/no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        # Money and percentages with exactly two places, as the pages show them (76.7 → 76.70, same value).
        return f"{cents(value):.2f}" if kind in (Kind.MONEY, Kind.PERCENT) else format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def json_value(value: object, kind: Kind) -> object:
    """A value for JSON: decimals as strings (exact), dates ISO, yes/no as true/false, blanks null."""
    if isinstance(value, Decimal):
        return text_value(value, kind)
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_bytes(sheet: Sheet) -> bytes:
    """The sheet as CSV, UTF-8 with a byte-order mark so Excel reads the Chinese headers."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([f.name for f in sheet.fields])
    for row in sheet.rows:
        writer.writerow([spreadsheet_text(text_value(v, f.kind)) for f, v in zip(sheet.fields, row, strict=True)])
    return buf.getvalue().encode("utf-8-sig")


def _sheet_title(title: str) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\."""
    return "".join("_" if ch in "[]:*?/\\" else ch for ch in title)[:31]


def xlsx_bytes(sheets: Sequence[Sheet], about: Sequence[tuple[str, str]], stamp: datetime, creator: str) -> bytes:
    """A workbook: an 说明 sheet, one sheet per table, and a 字段说明 sheet; byte-identical for the same input.

    Written with XlsxWriter (several times faster than openpyxl for whole years of records); text is always
    written as text, so a value that starts with "=" never becomes a formula.
    """
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False})
    wb.set_properties({"creator": creator, "author": creator, "created": stamp})
    bold = wb.add_format({"bold": True})
    formats = {kind: wb.add_format({"num_format": fmt}) for kind, fmt in _NUMBER_FORMATS.items()}

    places = {n: wb.add_format({"num_format": "0." + "0" * n}) for n in (1, 2)}

    date_format = formats[Kind.DATE]

    def table(ws, header, rows, kinds=None):
        ws.write_row(0, 0, header, bold)
        column_formats = [formats.get(k) for k in kinds] if kinds else [None] * len(header)
        write_string = ws.write_string
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if type(value) is str:  # most cells (enum values arrive as their text): without a format
                    write_string(r, c, value)
                    continue
                fmt = column_formats[c]
                if fmt is None and isinstance(value, Decimal) and -value.as_tuple().exponent in places:
                    # (a figure of mixed units, 17395.80 万元 beside 5 个: shown with the places it was given)
                    fmt = places[-value.as_tuple().exponent]
                _write_cell(ws, r, c, value, fmt, date_format)

    info = wb.add_worksheet("说明")
    for r, (key, value) in enumerate(about):
        info.write_string(r, 0, key)
        info.write_string(r, 1, value)
    info.set_column(0, 0, 14)
    info.set_column(1, 1, 80)
    for sheet in sheets:
        ws = wb.add_worksheet(_sheet_title(sheet.title))
        table(ws, [f.name for f in sheet.fields], sheet.rows, [f.kind for f in sheet.fields])
        for c, spec in enumerate(sheet.fields):
            ws.set_column(c, c, max(10, min(40, 2 * len(spec.name) + 2)))
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(sheet.rows), 1), max(len(sheet.fields) - 1, 0))
    fields = wb.add_worksheet("字段说明")
    table(fields, ["表", "字段", "类型", "单位", "说明"],
          [[sheet.title, spec.name, _KIND_LABELS[spec.kind], spec.unit or "", spec.description]
           for sheet in sheets for spec in sheet.fields])
    wb.close()
    # In memory, XlsxWriter dates every part of the zip 1980-01-01 and the document itself ``stamp``: the same
    # data gives the same bytes (on one platform: the zip records which kind of system wrote it).
    return buf.getvalue()


def _write_cell(ws, row: int, col: int, value: object, number_format, date_format=None) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        ws.write_string(row, col, "是" if value else "否")
    elif isinstance(value, str):
        ws.write_string(row, col, value)
    elif isinstance(value, Decimal | int | float):
        ws.write_number(row, col, float(value), number_format)
    elif isinstance(value, date):
        ws.write_datetime(row, col, datetime(value.year, value.month, value.day), number_format or date_format)
    else:
        ws.write_string(row, col, str(value))


def _rows_as_objects(sheet: Sheet) -> list[dict[str, object]]:
    fields = [(f.name, f.kind) for f in sheet.fields]
    # (text and blanks, most cells, as they are: a year has some 160,000 cells)
    return [{name: v if v is None or type(v) is str else json_value(v, kind)
             for (name, kind), v in zip(fields, row, strict=True)} for row in sheet.rows]


def year_json(y: YearModel, region: str, by_kind: dict[type[schema.Published], Sheet] | None = None) -> dict[str, object]:
    """A year's export as one JSON document: the report's metadata, figures, documents, errata and records.
    ``by_kind``: the year's ``record_sheets``, if already made."""
    rep = y.report
    by_kind = record_sheets(y) if by_kind is None else by_kind
    # As in the CSV files and the workbook, a kind without public records is not listed (not "[]": the year may
    # not have published such records at all, and an empty list would say it had none).
    records = {model.TITLE: _rows_as_objects(sheet) for model, sheet in by_kind.items() if sheet.rows}
    sheets = {s.name: s for s in (_figures_sheet(y),
                                  _report_sheet(schema.Document, rep.documents, "documents", "引用文件"),
                                  _report_sheet(schema.Erratum, rep.errata, "errata", "更正说明"))}
    return {
        "年度": y.year,
        "标题": rep.title + ("" if y.published else DRAFT_MARK),  # (as datapackage.json and the workbook say)
        "地区": rep.region or region,
        "说明": NOTE,
        "年度报告": {
            "发布机构": rep.publisher, "状态": rep.status.value, "索引号": rep.index_no, "文号": rep.doc_no,
            "成文日期": json_value(rep.written_on, Kind.DATE), "发布日期": json_value(rep.published_on, Kind.DATE),
        },
        "汇总数": _rows_as_objects(sheets["figures"]),
        "财政重点评价资金类型": list(rep.finance_eval_fund_types),
        "引用文件": _rows_as_objects(sheets["documents"]),
        "更正说明": _rows_as_objects(sheets["errata"]),
        "记录": records,
    }


DRAFT_MARK = "（草稿，尚未正式发布）"


def json_bytes(document: object) -> bytes:
    """UTF-8 without a byte-order mark (RFC 8259), keys in the order built: the structure indented, each record
    (an object of plain values) on one line, so a diff shows which records changed. The flat parts go through
    json's C encoder; indenting everything would use its pure-Python one, several times slower for a year."""
    return (_json_text(document, 0) + "\n").encode("utf-8")


# One encoder for every call (json.dumps with options makes a new one each time: some 16,000 records a year).
_encode = json.JSONEncoder(ensure_ascii=False).encode


def _json_text(value: object, depth: int) -> str:
    nested = isinstance(value, dict | list) and any(
        isinstance(v, dict | list) for v in (value.values() if isinstance(value, dict) else value))
    if not nested:
        return _encode(value)
    pad, inner = " " * depth, " " * (depth + 1)
    if isinstance(value, dict):
        items = [f"{inner}{_encode(k)}: {_json_text(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    return "[\n" + ",\n".join(inner + _json_text(v, depth + 1) for v in value) + "\n" + pad + "]"


# --- Data Package and checksums -------------------------------------------------------------


def table_schema_field(spec: FieldSpec) -> dict[str, object]:
    """A Table Schema field descriptor; ``unit`` is an extension property naming 万元, % or 分."""
    ftype, unit = _TABLE_SCHEMA_TYPES[spec.kind]
    out: dict[str, object] = {"name": spec.name, "type": ftype, "title": spec.name}
    description = spec.description + (f"（单位：{unit}）" if unit and unit not in spec.description else "")
    if description:
        out["description"] = description
    if unit:
        out["unit"] = unit
    if ftype == "boolean":
        out["trueValues"] = ["是"]
        out["falseValues"] = ["否"]
    constraints: dict[str, object] = {}
    if spec.required:
        constraints["required"] = True
    if spec.enum:
        constraints["enum"] = list(spec.enum)
    if constraints:
        out["constraints"] = constraints
    return out


def _file_resource(name: str, path: str, data: bytes, **extra: object) -> dict[str, object]:
    return {"name": name, "path": path, **extra, "bytes": len(data),
            "hash": "sha256:" + hashlib.sha256(data).hexdigest()}


def datapackage(name: str, title: str, description: str, files: dict[str, bytes], sheets: Sequence[Sheet],
                csv_names: dict[str, str], extra_files: Iterable[tuple[str, str, str, str]],
                created: date | None) -> dict[str, object]:
    """A Frictionless Data Package descriptor: one tabular resource per CSV, plus the XLSX and JSON files."""
    resources = []
    for sheet in sheets:
        path = csv_names[sheet.name]
        schema_desc: dict[str, object] = {"fields": [table_schema_field(f) for f in sheet.fields],
                                          "missingValues": [""]}
        if sheet.primary_key:
            schema_desc["primaryKey"] = list(sheet.primary_key)
        resources.append(_file_resource(
            sheet.name, path, files[path], profile="tabular-data-resource", title=sheet.title,
            format="csv", mediatype="text/csv", encoding="utf-8-sig",
            dialect={"delimiter": ",", "lineTerminator": "\r\n", "header": True}, schema=schema_desc))
    for res_name, path, fmt, mediatype in extra_files:
        resources.append(_file_resource(res_name, path, files[path], profile="data-resource",
                                        title=_EXTRA_TITLES[fmt], format=fmt, mediatype=mediatype,
                                        encoding="utf-8"))
    package: dict[str, object] = {
        "profile": "data-package",
        "name": name,
        "title": title,
        "description": description,
        "keywords": ["预算绩效管理", "信息公开"],
    }
    if created is not None:
        package["created"] = datetime(created.year, created.month, created.day).isoformat() + "Z"
    package["resources"] = resources
    return package


_EXTRA_TITLES = {"xlsx": "全部数据（Excel 工作簿，每类记录一张工作表）", "json": "全部数据（JSON）"}


def sha256sums(files: dict[str, bytes]) -> bytes:
    """Checksums in ``sha256sum`` format (verify with ``sha256sum -c SHA256SUMS``), sorted by file name."""
    lines = [f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())]
    return "".join(lines).encode("utf-8")


def _write(dest: Path, files: dict[str, bytes]) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in sorted(files.items()):
        path = dest / name
        path.write_bytes(data)
        written.append(path)
    return written


def csv_name(stem: str, sheet: str) -> str:
    """The file of one sheet in a bundle: ``<year>-<sheet>.csv`` (list pages link the year's whole list)."""
    return f"{stem}-{sheet}.csv"


def _bundle(stem: str, sheets: list[Sheet], document: dict[str, object], about: list[tuple[str, str]],
            package_name: str, title: str, stamp: date, creator: str, created: date | None) -> dict[str, bytes]:
    csv_names = {s.name: csv_name(stem, s.name) for s in sheets}
    files = {csv_names[s.name]: csv_bytes(s) for s in sheets}
    xlsx_name, json_name = f"{stem}-全部数据.xlsx", f"{stem}-全部数据.json"
    moment = datetime(stamp.year, stamp.month, stamp.day)
    files[xlsx_name] = xlsx_bytes(sheets, about, moment, creator)
    files[json_name] = json_bytes(document)
    extra = [("workbook", xlsx_name, "xlsx", XLSX_MEDIATYPE), ("all-json", json_name, "json", "application/json")]
    package = datapackage(package_name, title, NOTE, files, sheets, csv_names, extra, created)
    files[DATAPACKAGE] = json_bytes(package)
    files[CHECKSUMS] = sha256sums(files)
    return files


def export_year(year: YearModel, dest: Path, *, region: str = "", creator: str = "预算绩效管理信息公开") -> list[Path]:
    """Write one year's open data into ``dest`` and return the files written, sorted by name.

    Files: ``<year>-<kind>.csv`` for each record kind with public records and for the report's figures,
    documents and errata; ``<year>-全部数据.xlsx``; ``<year>-全部数据.json``; ``datapackage.json``;
    ``SHA256SUMS`` (of every other file).
    """
    rep = year.report
    region = rep.region or region
    by_kind = record_sheets(year)  # (for the CSV files, the workbook and the JSON alike)
    sheets = year_sheets(year, by_kind)
    # A draft year's files say so where they travel without the page: the package title and the 说明 sheet.
    title = f"{region}{year.year}年度预算绩效管理公开数据" + ("" if year.published else DRAFT_MARK)
    about = [("标题", title), ("年度报告", rep.title), ("状态", rep.status.value), ("地区", region),
             ("年度", str(year.year)),
             ("发布机构", rep.publisher or ""), ("索引号", rep.index_no or ""), ("文号", rep.doc_no or ""),
             ("成文日期", text_value(rep.written_on, Kind.DATE)), ("发布日期", text_value(rep.published_on, Kind.DATE)),
             ("说明", NOTE), ("工作表", "、".join(s.title for s in sheets) + "、字段说明")]
    created = rep.published_on or rep.written_on
    files = _bundle(str(year.year), sheets, year_json(year, region, by_kind), about, f"budget-performance-{year.year}",
                    title, created or date(year.year, 1, 1), creator, created)
    return _write(dest, files)
