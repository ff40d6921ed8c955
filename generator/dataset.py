"""Turn raw files into typed records: one Dataset of every year, plus a report of every problem found."""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import pydantic
from pydantic import ValidationError

from . import load
from .cache import ObjectCache
from .cache import key as cache_key
from .problems import Report
from .schema import (
    BLANKS,
    TABLES,
    Department,
    Level,
    Monitoring,
    Project,
    Published,
    Record,
    Rectification,
    RectificationStatus,
    SiteSettings,
    Target,
    YearReport,
)

YEAR_DIR = re.compile(r"^\d{4}$")
YEAR_RANGE = (2000, 2100)  # the same range the 年度 fields accept
SETTINGS_FILE = "settings.yaml"
FROZEN_FILE = "frozen.yaml"  # checksums of published years, written by generator/freeze.py


@dataclass
class YearData:
    year: int
    path: Path
    report: YearReport | None
    tables: dict[type[Published], list[Published]] = field(default_factory=dict)
    key: str | None = None  # identifies the year's files when read through a cache (see ``cached_year``)
    # The tables whose file the year has (perhaps with a header only); the others were not published as records,
    # so pages show their counts as "—", not 0.
    provided: set[type[Published]] = field(default_factory=set)
    # IDs (单位名称, 项目编码, 目标编号 …) of rows that could not be read: their own errors are reported, so a record
    # that refers to one is not reported again as referring to something that does not exist.
    unread: set[str] = field(default_factory=set)
    # What could be read of those rows (see ``partial_record``), so that a row with a bad amount and a misspelt unit
    # name, or a bad score and a grade that is not configured, gets both problems in one run.
    partial: dict[type[Published], list[Published]] = field(default_factory=dict)
    # How many rows of each table could not be read: totals and counts over that table wait until they can.
    failed: dict[type[Published], int] = field(default_factory=dict)

    def records(self, model: type[Published]) -> list:
        return self.tables.get(model, [])

    def counted_from(self, name: str) -> type[Published]:
        """The table a counted figure (``counted``) is counted from."""
        return COUNTED_FROM[name]

    def counted(self, *, whole: bool = True) -> dict[str, int]:
        """Figures the narrative may cite as {{…}} that are counted from the year's records rather than declared:
        each only when its table was published and read whole (all records count, withheld ones too, as in the
        report's own totals). With ``whole=False`` also those of tables with rows that could not be read (their
        counts are then not final: for knowing which names are citable)."""
        read_whole = whole
        out: dict[str, int] = {}

        def whole(model) -> bool:
            return model in self.provided and not (read_whole and self.failed.get(model))

        if whole(Department):
            # (a unit whose 级次 is not stated is not guessed to be 一级: checks.narrative asks for it where cited)
            out["一级预算单位数"] = sum(1 for d in self.records(Department) if d.level is Level.FIRST)
        if whole(Project):
            out["项目数"] = len(self.records(Project))
            out["纳入绩效目标管理的项目数"] = sum(1 for p in self.records(Project) if p.under_goal_management)
        if whole(Monitoring):
            out["绩效监控项目数"] = sum(1 for m in self.records(Monitoring) if m.target is Target.PROJECT)
        if whole(Rectification):
            out["整改问题数"] = len(self.records(Rectification))
            out["未完成整改数"] = sum(1 for r in self.records(Rectification)
                                  if r.status is not RectificationStatus.DONE)
        return out


COUNTED_FROM: dict[str, type[Published]] = {
    "一级预算单位数": Department, "项目数": Project, "纳入绩效目标管理的项目数": Project,
    "绩效监控项目数": Monitoring, "整改问题数": Rectification, "未完成整改数": Rectification,
}


@dataclass
class Dataset:
    root: Path
    settings: SiteSettings
    years: dict[int, YearData]
    settings_bytes: bytes = b""  # settings.yaml as read: what caches of work that depends on it are keyed by

    def without_records(self) -> Dataset:
        """The same years with their reports and folders but no records: what registering the published years
        (freeze.record_all) reads, once the pages are made."""
        years = {y: YearData(d.year, d.path, d.report, key=d.key) for y, d in self.years.items()}
        return Dataset(self.root, self.settings, years, self.settings_bytes)


_PYDANTIC_CODES = {
    "missing": "missing-field",
    "too_short": "missing-field",
    "extra_forbidden": "unknown-field",
    "enum": "bad-enum",
    "literal_error": "bad-enum",
    "date_type": "bad-date",
    "date_parsing": "bad-date",
    "date_from_datetime_parsing": "bad-date",
}


def _field_path(loc: tuple) -> str:
    """Where in a YAML document a value is, as staff count: 引用文件第1项.文号 (pydantic says 引用文件.0.文号)."""
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int) and parts:
            parts[-1] += f"第{part + 1}项"
        else:
            parts.append(str(part))
    return ".".join(parts)


def _message(error: dict, model: type[Record]) -> tuple[str, str]:
    kind = error["type"]
    code = _PYDANTIC_CODES.get(kind)
    if code is None:
        code = kind if kind in {"bad-number", "bad-money", "bad-date", "bad-url", "bad-doc-number", "out-of-range", "bad-enum"} \
            else "bad-type"
    if kind in ("missing", "too_short"):
        return code, "这是必填项，不能为空"
    if kind == "extra_forbidden":
        names = "、".join(model.alias_of(n) for n in model.model_fields)
        return code, f"不认识的字段名；{model.TITLE or '此处'}可用的字段：{names}"
    if kind == "enum":
        return code, "应为以下之一：" + error.get("ctx", {}).get("expected", "").replace("'", "").replace(" or ", "、").replace(", ", "、")
    if kind == "string_pattern_mismatch":
        return code, "格式不符合要求（" + _PATTERN_HINTS.get(error.get("ctx", {}).get("pattern", ""), "请对照数据说明页") + "）"
    if kind == "string_too_long":
        return code, f"文字过长，最多 {error.get('ctx', {}).get('max_length')} 个字"
    if kind in ("string_type", "str_type"):
        return code, "应为文字"
    if kind.startswith(("decimal_", "int_", "float_")) or kind == "finite_number":
        # Plain Decimal fields (settings: 下限, 权重, 容差) are parsed by pydantic itself, in English.
        return "bad-number", "应为数字（例如 90 或 0.5）"
    if kind.startswith("bool_"):
        return "bad-enum", "应填“是”或“否”"
    if kind in ("list_type",):
        return code, "应为列表（每项一行，以“- ”开头）"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return code, "应为“键: 值”的结构"
    if code.startswith("bad-") or code == "out-of-range":
        return code, error["msg"]
    return code, "值的类型或格式不符合要求，请对照网站“数据说明”页中此字段的说明"




_PATTERN_HINTS = {
    r"^[0-9A-Za-z\-]{4,40}$": "项目编码只含数字、字母和连字符，4–40 位",
    r"^[0-9A-Za-z\-]{1,40}$": "单位编码只含数字、字母和连字符，最多 40 位",
    r"^\d{1,2}-\d{1,2}月$": "例如 1-7月",
    r"^\d{10}$": "网站标识码为 10 位数字",
}


def _value_text(value) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)


def _notes_to_report(notes, file: str, row: int | None, model, report: Report) -> None:
    for attr, raw, normalised, why in notes:
        report.notice(file, row, "normalised-number", model.alias_of(attr) if attr else "", raw,
                      f"{why}，按 {normalised} 读取")


def row_digest(values: dict[str, str]) -> str:
    text = "\x1f".join(map("\x1e".join, values.items()))  # (column, text) pairs, as read
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def parse_table(raw: load.RawTable, model: type[Published], report: Report,
                previous: TableRecords | None = None) -> TableRecords:
    """Validate each row; a header problem is reported once, not once per row. ``previous``: an earlier parse of
    the same file (see ``_cached_table``); a row whose values are those of one of its records (the same digest) is
    that record again, at its new place, without being validated again."""
    aliases = {model.alias_of(n): n for n in model.model_fields}
    # 金额（万元） is the column 金额; 金额（元） is reported: its amounts are not in 万元.
    rename = {}
    for h in raw.header:
        name, unit = load.header_unit(h) if h not in aliases else (h, "")
        if name != h and name in aliases:
            if name in raw.header or name in rename.values():
                first = name if name in raw.header else next(k for k, v in rename.items() if v == name)
                report.error(raw.file, raw.header_row, "bad-header", h, h,
                             f"此列与“{first}”列是同一字段；请删除其中一列")
                rename[h] = h  # (left as it is: reported once, here, not again as unknown)
                continue
            if _is_money(model, aliases[name]) and load.wrong_money_unit(unit):
                report.error(raw.file, raw.header_row, "bad-header", h, h,
                             f"此列的单位是“{unit}”，而金额一律以万元计；请把金额换算为万元，并把列名改为“{name}”")
            rename[h] = name
    if rename:
        raw.header = [rename.get(h, h) for h in raw.header]
        for row in [*raw.rows, *raw.skipped]:
            row.values = {rename.get(k, k): v for k, v in row.values.items()}
    unknown = [h for h in raw.header if h not in aliases]
    for h in unknown:
        if rename.get(h) == h:
            continue
        close = difflib.get_close_matches(h.replace(" ", "").replace("\u3000", ""),
                                          [a for a in aliases if a not in raw.header], n=1, cutoff=0.5)
        hint = f"是否应为“{close[0]}”？" if close else ""
        report.error(raw.file, raw.header_row, "unknown-field", h, h,
                     f"不认识的列名；{hint}{model.TITLE}可用的列：{'、'.join(aliases)}")
    required_missing = {
        a for a, n in aliases.items() if model.model_fields[n].is_required() and a not in raw.header
    }
    for a in sorted(required_missing):
        report.error(raw.file, raw.header_row, "missing-field", a, "",
                     f"缺少必填列“{a}”；请在表头加上这一列")
    records = TableRecords()
    key_alias = model.alias_of(model.KEY) if model.KEY else None
    earlier = _by_digest(previous, model)
    for raw_row in raw.rows:
        values = {k: v for k, v in raw_row.values.items() if k not in unknown}
        digest = row_digest(values)
        if digest in earlier:  # (never a 合计 row, below: those are not records)
            record, notes = _again(earlier[digest], previous, raw.file, raw_row.row)
            _notes_to_report(notes, raw.file, raw_row.row, model, report)
            if notes:
                records.notes[digest] = notes
            records.append(record)
            continue
        mark = load.total_mark(v for v in values.values() if isinstance(v, str))
        if mark is not None and (not key_alias or not values.get(key_alias) or mark in values[key_alias]):
            # A spreadsheet's 合计 row saved with the detail: one mistake, not one per field it leaves blank.
            records.failed += 1
            report.error(raw.file, raw_row.row, "total-row", key_alias or "", mark,
                         "这是合计行；数据文件只填逐条明细，合计由程序计算并与报告核对，请删除这一行")
            continue
        notes: list = []
        try:
            record = model.model_validate(values, context={"notes": notes})
        except ValidationError as exc:
            records.failed += 1
            if key_alias and values.get(key_alias):
                records.unread.add(values[key_alias])
            failed = set()
            for error in exc.errors():
                loc = error["loc"][0] if error["loc"] else ""
                failed.add(loc)
                if loc in required_missing:
                    continue
                code, message = _message(error, model)
                report.error(raw.file, raw_row.row, code, str(loc), _value_text(error.get("input")), message)
            _notes_to_report(notes, raw.file, raw_row.row, model, report)
            partial = partial_record(model, values, failed)
            if partial is not None:
                partial._file, partial._row = raw.file, raw_row.row
                records.partial.append(partial)
            continue
        _notes_to_report(notes, raw.file, raw_row.row, model, report)
        private = record.__pydantic_private__  # (one dict update, not three of pydantic's __setattr__)
        private["_file"], private["_row"], private["_digest"] = raw.file, raw_row.row, digest
        if notes:
            records.notes[digest] = notes
        records.append(record)
    records.failed += len(raw.skipped)
    for raw_row in raw.skipped:  # (their cells' problems were reported when reading)
        values = {k: load.without_control_characters(v) for k, v in raw_row.values.items() if k not in unknown}
        if key_alias and values.get(key_alias):
            records.unread.add(values[key_alias].strip(BLANKS))
        bad = {k for k, v in raw_row.values.items() if v != values.get(k, v) or len(v) > load.MAX_CELL_CHARS}
        partial = partial_record(model, values, bad)
        if partial is not None:
            partial._file, partial._row = raw.file, raw_row.row
            records.partial.append(partial)
    return records


def _by_digest(previous: TableRecords | None, model: type[Published]) -> dict[str, Published]:
    """The records of an earlier parse by the digest of the row each was read from (rows with the same values are
    the same record, whichever of them is taken)."""
    if not previous:
        return {}
    return {r.__pydantic_private__["_digest"]: r for r in previous
            if type(r) is model and r.__pydantic_private__.get("_digest")}


def _again(record: Published, previous: TableRecords, file: str, row: int) -> tuple[Published, list]:
    """A record of an earlier parse, as a new object read from ``row`` of ``file``, with the notes its row gave. A
    record is made from its row's values alone (validators read no other row, no setting), so it is the record
    validating the row again would make; tests/test_incremental.py checks that against a parse from scratch."""
    new, put = object.__new__, object.__setattr__
    again = new(type(record))
    put(again, "__dict__", dict(record.__dict__))
    put(again, "__pydantic_fields_set__", set(record.__pydantic_fields_set__))
    put(again, "__pydantic_extra__", None)
    put(again, "__pydantic_private__", {**record.__pydantic_private__, "_file": file, "_row": row})
    return again, previous.notes.get(record.__pydantic_private__["_digest"], [])


def partial_record(model: type[Published], values: dict[str, str], failed: set) -> Published | None:
    """A row that could not be read as a whole, kept with the fields that could (each validated as in the whole row;
    those named in ``failed`` and the others that fail are None), so that checks of the fields read still run: a row
    with a bad amount and a misspelt unit name gets both problems in one run. Its set fields
    (``__pydantic_fields_set__``) are the fields read, blank optional ones included, which tells a field left blank
    from one that could not be read (checks.py, ``_YearChecks.read``). Returns None when nothing could be read."""
    failed = set(failed)
    lenient = _lenient(model)
    for _ in range(2):
        try:
            read = lenient.model_validate({k: v for k, v in values.items() if k not in failed},
                                          context={"notes": []})  # (the row's notes were reported with its errors)
            break
        except ValidationError as exc:
            # (rows not validated whole yet: those skipped when reading, whose cells are checked here first)
            failed |= {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
    else:
        return None
    if not read.model_fields_set:
        return None
    fields = {name: getattr(read, name) for name in model.model_fields}
    readable = {name for name, f in model.model_fields.items()
                if (f.alias or name) not in failed and not (f.is_required() and fields[name] is None)}
    return model.model_construct(_fields_set=readable, **fields)


@functools.cache
def _lenient(model: type[Published]) -> type[Published]:
    """``model`` with every field optional: the fields of a row that could not be read as a whole are validated by
    it, with the model's own validators (blank cells, synonyms) and each field's constraints."""
    optional = {}
    for name, f in model.model_fields.items():
        if f.is_required():
            kind = Annotated[f.annotation, *f.metadata] if f.metadata else f.annotation
            optional[name] = (kind | None, pydantic.Field(None, alias=f.alias))
    return pydantic.create_model(f"{model.__name__}Read", __base__=model, **optional)


def _is_money(model: type[Record], attr: str) -> bool:
    from .types import Kind, field_kind

    return field_kind(model.model_fields[attr]) is Kind.MONEY


def parse_document(raw: load.RawDocument, model: type[Record], report: Report) -> Record | None:
    if not isinstance(raw.data, dict):
        report.error(raw.file, 1, "bad-type", "", "", "文件顶层应为“键: 值”的结构")
        return None
    notes: list = []
    try:
        record = model.model_validate(raw.data, context={"notes": notes})
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            code, message = _message(error, _submodel_at(model, loc))
            field_name = _field_path(loc)
            report.error(raw.file, raw.line_of(loc), code, field_name, _value_text(error.get("input")), message)
        return None
    finally:
        for attr, raw_value, normalised, why in notes:
            line, alias = _yaml_place(raw, raw_value)
            report.notice(raw.file, line, "normalised-number", alias or attr or "", raw_value,
                          f"{why}，按 {normalised} 读取")
    record._file, record._row = raw.file, 1
    _stamp_lines(record, raw, ())
    return record


def _yaml_place(raw: load.RawDocument, value: str) -> tuple[int | None, str]:
    """The line and key of the YAML scalar written as ``value`` (for a note about how a number was read)."""
    for path, line in raw.lines.items():
        node = raw.data
        for part in path:
            node = node[part] if isinstance(node, dict | list) and (isinstance(node, dict) and part in node or
                                                                    isinstance(node, list) and isinstance(part, int)
                                                                    and part < len(node)) else None
        if node is not None and not isinstance(node, dict | list) and str(node) == value:
            key = next((p for p in reversed(path) if isinstance(p, str)), "")
            return line, key
    return None, ""


def _stamp_lines(record: Record, raw: load.RawDocument, path: tuple) -> None:
    """Give nested YAML records (documents, errata …) their own line, for later cross-record checks."""
    for name, f in type(record).model_fields.items():
        value = getattr(record, name)
        key = path + (f.alias or name,)
        if key in raw.lines:
            record._lines[name] = raw.lines[key]
        if isinstance(value, list):
            for i in range(len(value)):
                if key + (i,) in raw.lines:
                    record._lines[f"{name}.{i}"] = raw.lines[key + (i,)]
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            if isinstance(item, Record):
                sub = key + (i,) if isinstance(value, list) else key
                item._file, item._row = raw.file, raw.line_of(sub)
                _stamp_lines(item, raw, sub)


def _submodel_at(model: type[Record], loc: tuple) -> type[Record]:
    """The model that owns the last element of a pydantic error location, to list its valid fields."""
    import typing

    current = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        attr = next((n for n, f in current.model_fields.items() if (f.alias or n) == part), None)
        if attr is None:
            break
        annotation = current.model_fields[attr].annotation
        candidates = [annotation, *typing.get_args(annotation)]
        nxt = next((c for c in candidates if isinstance(c, type) and issubclass(c, Record)), None)
        if nxt is None:
            break
        current = nxt
    return current


def read_dataset(root: Path, report: Report, years: list[int] | None = None,
                 progress=None, cache: ObjectCache | None = None, first: Collection[int] = (),
                 then: Callable[[int], None] | None = None, last: Collection[int] = ()) -> Dataset | None:
    """Read settings and every year directory under ``root``; problems go to ``report``.

    ``progress``, if given, is called with the number of rows of each table read (for a progress bar).
    With ``cache``, a year whose files are byte for byte as before is not parsed again (see ``cached_year``).
    The years in ``first`` are read before the others, each named to ``then`` once read if no error was found so
    far (the pipeline begins their open-data bundles meanwhile); the years in ``last`` after all others (another
    process is reading them meanwhile and puts their parsed tables in ``cache``); the result is the same in any
    order."""
    if not root.is_dir():
        report.error(str(root), None, "file-missing", "", "",
                     "数据目录不存在（或不是文件夹）；请用 --data 指向含 settings.yaml 与年度文件夹的目录")
        return None
    settings = SiteSettings(站点名称="预算绩效管理信息公开", 地区="（未设置）")
    settings_path = root / SETTINGS_FILE
    settings_bytes = b""
    if settings_path.exists():
        try:
            settings_bytes = settings_path.read_bytes()
        except OSError:
            pass  # read_yaml reports it
        raw = load.read_yaml(settings_path, _name(root, settings_path), report)
        if raw is not None:
            parsed = parse_document(raw, SiteSettings, report)
            if parsed is not None:
                settings = parsed
    else:
        report.error(_name(root, settings_path), None, "file-missing", "", "",
                     "缺少站点设置文件 settings.yaml（站点名称、地区、页脚信息、等级划分）")
    found: dict[int, YearData] = {}
    year_dirs = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or entry.name in (SETTINGS_FILE, FROZEN_FILE) \
                or entry.suffix.lower() in (".md", ".txt"):
            continue  # notes for staff (README.md, 说明.txt) may sit beside the data
        if entry.is_dir() and YEAR_DIR.match(entry.name) and YEAR_RANGE[0] <= int(entry.name) <= YEAR_RANGE[1]:
            year_dirs.append(entry)
        elif entry.is_dir():
            # A folder named 2023年 or 23 would otherwise be skipped in silence and a whole year go missing.
            report.error(_name(root, entry), None, "unknown-file", "", entry.name,
                         f"不认识的文件夹；年度文件夹须以四位数年份命名（{YEAR_RANGE[0]}–{YEAR_RANGE[1]}），例如 data/2023/")
        else:
            report.error(_name(root, entry), None, "unknown-file", "", entry.name,
                         "数据目录顶层只放 settings.yaml 与年度文件夹；各表格文件请放入对应年度文件夹，例如 data/2023/")
    if years:
        year_dirs = [d for d in year_dirs if int(d.name) in years]
    ahead = [d for d in year_dirs if int(d.name) in first]
    behind = [d for d in year_dirs if int(d.name) in last and d not in ahead]
    for year_dir in ahead + [d for d in year_dirs if d not in ahead and d not in behind] + behind:
        year = int(year_dir.name)
        found[year] = cached_year(root, year_dir, year, report, progress, cache) if cache is not None \
            else read_year(root, year_dir, year, report, progress)
        if then is not None and year_dir in ahead and report.ok:
            then(year)
    if not found:
        report.error(_name(root, root), None, "file-missing", "", "",
                     "数据目录中没有任何年度文件夹（例如 data/2023/）")
    return Dataset(root, settings, dict(sorted(found.items())), settings_bytes)


def read_year(root: Path, year_dir: Path, year: int, report: Report, progress=None,
              cache: ObjectCache | None = None) -> YearData:
    report_path = year_dir / YearReport.FILE
    year_report = None
    if report_path.exists():
        year_report = _cached_report(root, report_path, report, cache)
    else:
        report.error(_name(root, report_path), None, "file-missing", "", "",
                     "每个年度都需要 report.yaml（年度报告的正文与汇总数）")
    data = YearData(year, year_dir, year_report)
    known = [YearReport.FILE, *(m.FILE for m in TABLES)]  # (listed in this order: the report's, then the records')
    for extra in sorted(p.name for p in year_dir.iterdir() if not p.name.startswith(".")):
        if extra not in known:
            hint = _suggest_file(extra, set(known))
            report.error(_name(root, year_dir / extra), None, "unknown-file", "", extra,
                         "不认识的数据文件名，此文件不会被读取" + (hint or "；") + "可用的文件：" + "、".join(known))
    for model in TABLES:
        path = year_dir / model.FILE
        if not path.exists():
            if path.is_symlink():  # a link to a file that is gone: not "no such table"
                report.error(_name(root, path), None, "file-unreadable", "", "失效的链接",
                             "此文件是一个链接（快捷方式），它指向的文件已不存在；请换成实际的数据文件")
            data.tables[model] = []
            continue
        records = _cached_table(root, path, model, report, progress, cache)
        data.tables[model] = list(records)
        data.unread |= records.unread
        if records.failed:
            data.failed[model] = records.failed
        if records.partial:
            data.partial[model] = records.partial
        data.provided.add(model)
    return data


def year_files_key(root: Path, year_dir: Path) -> str:
    """Everything a year's parse depends on: the code, where its files are shown to be, and their names and bytes."""
    parts: list[str | bytes] = ["year", _name(root, year_dir)]
    for path in sorted(year_dir.iterdir()):
        if path.name.startswith("."):
            continue
        parts.append(path.name)
        parts.append(path.read_bytes() if path.is_file() else b"<dir>")
    return cache_key(*parts)


def cached_year(root: Path, year_dir: Path, year: int, report: Report, progress, cache: ObjectCache) -> YearData:
    """``read_year``, reusing the records and problems of an earlier parse of each file whose bytes did not change:
    after an edit to one table only that table is parsed again."""
    try:
        key = year_files_key(root, year_dir)
    except OSError:
        return read_year(root, year_dir, year, report, progress)  # read_year reports what cannot be read
    data = read_year(root, year_dir, year, report, progress, cache)
    data.key = key
    return data


def _cached_table(root: Path, path: Path, model: type[Published], report: Report, progress,
                  cache: ObjectCache | None) -> list[Published]:
    name = _name(root, path)

    def parse(own: Report, previous) -> TableRecords:
        raw_table = load.read_csv(path, name, own)
        if progress is not None and raw_table is not None:
            progress(len(raw_table.rows))
        if raw_table is not None:
            return parse_table(raw_table, model, own, previous if isinstance(previous, TableRecords) else None)
        unreadable = TableRecords()
        unreadable.failed = WHOLE_FILE
        return unreadable

    records, cached = _parsed(cache, ("table", model.__name__), path, name, report, parse, reuse=True)
    if cached and progress is not None:
        progress(len(records))
    return records


def _cached_report(root: Path, path: Path, report: Report, cache: ObjectCache | None) -> YearReport | None:
    """The year's report.yaml, parsed."""
    name = _name(root, path)

    def parse(own: Report) -> YearReport | None:
        raw = load.read_yaml(path, name, own)
        return parse_document(raw, YearReport, own) if raw is not None else None

    return _parsed(cache, ("report",), path, name, report, parse)[0]


def _parsed(cache: ObjectCache | None, kind: tuple[str, ...], path: Path, name: str, report: Report, parse, *,
            reuse: bool = False):
    """``parse(own report)`` of one file and the problems it found, reused from ``cache`` while the file's bytes
    (and the code) are the same; the problems go to ``report`` either way. Returns the result and whether it came
    from the cache. With ``reuse``, ``parse(own report, previous)``: the result of the last parse of the file before
    its bytes changed, or None (after an edit to one row of a table only that row is validated again)."""
    key = latest = None
    if cache is not None:
        try:
            key = cache_key(*kind, PACK_VERSION, name, path.read_bytes())
        except OSError:
            key = None  # parse reports it
        hit = cache.get(key) if key else None
        if hit is not None:
            value, problems = hit
            report.extend(problems)
            return value, True
        latest = cache_key("latest", *kind, PACK_VERSION, name) if reuse else None
    own = Report()
    if reuse:
        last = cache.get(latest) if latest is not None else None
        value = parse(own, (cache.get(last) or (None,))[0] if isinstance(last, str) else None)
    else:
        value = parse(own)
    if key:
        cache.put(key, (value, own.problems))
        if latest is not None:
            cache.put(latest, key)
    report.extend(own.problems)
    return value, False


# A table's records as the cache pickles them: the class once, then each record's field values (its ``__dict__``,
# which the unpickler builds in C), its set fields and its private attributes (source row, digest). Pickling the
# records themselves costs a call of pydantic's __setstate__ each on loading: several times slower, paid by every
# build that starts from the cache (after an edit to a ten-year archive, loading the nine other years is a third
# of the generator's step). In memory (``serve``) they stay records. The attributes set below are pydantic's, so
# its version is part of the cache key.
PACK_VERSION = f"records-5/pydantic-{pydantic.VERSION}"


WHOLE_FILE = -1  # TableRecords.failed of a file that could not be read at all


class TableRecords(list):
    """The records of one table, all of one class; the IDs of its rows that could not be read (``unread``) and the
    references of those rows (``partial``); the notices its rows gave (``notes``, given again when a later parse
    reuses their records); pickled compactly (the cache of parsed tables)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.unread: set[str] = set()
        self.failed = 0  # rows that could not be read (WHOLE_FILE: the file could not be read)
        self.partial: list[Published] = []
        self.notes: dict[str, list] = {}  # the notes (parse_table) of the rows that gave any, by row digest

    def __reduce__(self):
        model = type(self[0]) if self else None
        rows = []
        extra = (self.unread, self.partial, self.failed, self.notes)
        for r in self:
            if type(r) is not model or r.__pydantic_extra__:
                # (never for parsed rows) pickled one by one
                return (_unpack_list, (list(self), extra))
            rows.append((r.__dict__, r.__pydantic_fields_set__, r.__pydantic_private__))
        return (_unpack_records, (model, rows, extra))


def _unpack_list(records: list, extra: tuple) -> TableRecords:
    out = TableRecords(records)
    out.unread, out.partial, out.failed, out.notes = extra
    return out


def _unpack_records(model: type[Published] | None, rows: list[tuple], extra: tuple) -> TableRecords:
    new, put = object.__new__, object.__setattr__
    out = TableRecords()
    out.unread, out.partial, out.failed, out.notes = set(extra[0]), extra[1], extra[2], extra[3]
    append = out.append
    for values, fields_set, private in rows:
        record = new(model)
        put(record, "__dict__", values)
        put(record, "__pydantic_fields_set__", fields_set)
        put(record, "__pydantic_extra__", None)
        put(record, "__pydantic_private__", private)
        append(record)
    return out


def _suggest_file(name: str, known: set[str]) -> str:
    """Excel saves 项目.xlsx or projects (1).csv; point to the name we expect."""
    stem = name.rsplit(".", 1)[0].split(" ")[0].split("(")[0].split("（")[0]
    titles = {m.TITLE: m.FILE for m in TABLES} | {m.TITLE + "表": m.FILE for m in TABLES} | {"年度报告": YearReport.FILE}
    for k in sorted(known):
        if k.rsplit(".", 1)[0] == stem or titles.get(stem) == k:
            return f"；是否应为“{k}”（CSV UTF-8 格式）？" if k.endswith(".csv") else f"；是否应为“{k}”？"
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.7)
    return f"；是否应为“{close[0]}”？" if close else ""


def _name(root: Path, path: Path) -> str:
    """Paths in messages are relative to the project (data/2023/projects.csv), as staff see them (the command line
    shows them from the folder staff work in: cli.seen_from_here)."""
    try:
        return (Path(root.name) / path.relative_to(root)).as_posix()
    except ValueError:
        return path.as_posix()
