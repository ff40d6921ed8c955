"""Read data files exactly as staff save them, keeping where every value came from.

This is the only module that opens input files. It never interprets values: it hands on strings (and the
few YAML scalars that are unambiguous) with their file, row or line, and reports what it cannot read.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .problems import Report

MAX_FILE_BYTES = 20 * 1024 * 1024  # a county's yearly table is a few MB; anything larger is a mistake
# report.yaml and settings.yaml are prose and a few figures (the 2023 report is 12 KB). PyYAML is pure Python:
# a many-MB YAML would stall validation for minutes, so the limit is far lower than for tables.
MAX_YAML_BYTES = 2 * 1024 * 1024
MAX_YAML_NODES = 100_000
MAX_YAML_DEPTH = 20  # the deepest real structure is 引用文件 -> item -> field (3 levels)
MAX_CELL_CHARS = 20_000  # longer than any 发现问题 text; csv's own limit would otherwise end the file

# C0/C1 control characters (NUL, BEL, ESC …) cannot be typed in Excel; they come from broken exports or
# copy-paste from PDFs and would end up invisible (or truncating) in pages and downloads.
# Control characters, and the invisible ones that change how a line reads: zero-width spaces and joiners, and the
# bidirectional overrides and isolates (U+202E would show the figures after it reversed on the page).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")

# Characters Excel and WPS leave around cell values: ordinary, full-width and non-breaking spaces.
BLANKS = " \t\r\n\u3000\u00a0\ufeff"


def clean_cell(value: str) -> str:
    return value.strip(BLANKS)


@dataclass
class RawRow:
    row: int  # line of the file where the record starts (the header is line 1)
    values: dict[str, str]


@dataclass
class RawTable:
    file: str
    header: list[str]
    header_row: int
    rows: list[RawRow] = field(default_factory=list)
    encoding: str = "utf-8"
    # Rows with a cell that cannot be taken as it is (control characters, too long): reported here, not read as
    # records, kept so that records naming them are not reported again as naming something unknown.
    skipped: list[RawRow] = field(default_factory=list)


@dataclass
class RawDocument:
    """A YAML document as plain data, with the line of every key and list item."""

    file: str
    data: object
    lines: dict[tuple, int]

    def line_of(self, path: tuple) -> int | None:
        """Line of the deepest known element on a path (pydantic error locations map onto this)."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


def read_bytes(path: Path, name: str, report: Report, limit: int = MAX_FILE_BYTES) -> bytes | None:
    if path.is_dir():
        report.error(name, None, "file-unreadable", value="文件夹",
                     message="此处应为数据文件，却是一个文件夹；请删除或改名")
        return None
    try:
        size = path.stat().st_size
        if size > limit:
            report.error(
                name, None, "file-too-large", value=f"{size} 字节",
                message=f"此数据文件不应超过 {limit // 1024 // 1024} MB，请检查是否误存了其他内容",
            )
            return None
        return path.read_bytes()
    except OSError as exc:
        report.error(name, None, "file-unreadable", value=exc.strerror or type(exc).__name__,
                     message="文件无法读取：可能不存在、无读取权限，或正被其他程序（如 Excel）独占打开")
        return None


_HEADER_UNIT = re.compile(r"[（(]([^（）()]*)[）)]$")


def header_unit(header: str) -> tuple[str, str]:
    """A header split into its name and the unit written after it: 金额（万元） -> (金额, 万元)."""
    text = re.sub(r"[\s\u3000]+", "", header)
    found = _HEADER_UNIT.search(text)
    return (text[:found.start()], found.group(1).removeprefix("单位：").removeprefix("单位:")) if found else (text, "")


_PLAIN_DECIMAL = re.compile(r"[+-]?\d+(\.\d+)?")


def plain_decimal(text: str) -> Decimal | None:
    """A number written plainly (85, -3.5, 1,200.50, full-width digits); None for anything else, exponents (1e5)
    included: 1e-9999999 would overflow the arithmetic done with it."""
    cleaned = normalise_digits(text).strip().replace(",", "")
    return Decimal(cleaned) if _PLAIN_DECIMAL.fullmatch(cleaned) else None


# What a spreadsheet's total row says in its first cells; data files hold detail only (totals are worked out).
TOTAL_MARKS = frozenset({"合计", "总计", "小计", "合计数"})


def total_mark(cells) -> str | None:
    """合计, 总计 … when one of the first three filled cells of a row says the row is a total. (Asked of every row
    read: it looks at no more than three cells, and spends a regular expression only on a cell holding 计.)"""
    filled = 0
    for cell in cells:
        if not cell or cell.isspace():
            continue
        if "计" in cell:
            mark = BLANK_MARKS.sub("", cell)
            if mark in TOTAL_MARKS:
                return mark
        filled += 1
        if filled == 3:
            break
    return None


# Spaces of every width and the * marking a required column: what a header or mark cell may carry around its words.
BLANK_MARKS = re.compile(r"[\s\u3000\u00a0*＊]+")


def wrong_money_unit(unit: str) -> bool:
    """A money column's header in 元 or 亿元: our amounts are in 万元, so its numbers would be read 10,000 times off."""
    return "元" in unit and unit != "万元"


def without_control_characters(text: str) -> str:
    return _CONTROL.sub("", text)


def control_character(text: str) -> str | None:
    """The first control character in ``text``, shown as U+XXXX, or None."""
    m = _CONTROL.search(text)
    return f"U+{ord(m.group()):04X}" if m else None


def decode_text(raw: bytes, name: str, report: Report) -> tuple[str, str] | None:
    """Decode UTF-8 (with or without BOM) or GB18030/GBK, the encodings Excel and WPS save CSV in."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        report.error(
            name, None, "bad-encoding", value="UTF-16",
            message="文件是 UTF-16（Excel“Unicode 文本”）格式；" + _save_as_hint(name),
        )
        return None
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    line = _mixed_utf8_line(raw)
    if line is not None:
        # Read as GB18030, the UTF-8 majority would turn into plausible-looking but wrong characters.
        report.error(
            name, line, "bad-encoding", value="UTF-8 中混有其他编码",
            message="文件是 UTF-8 编码，但这一行含有其他编码（多为 GBK）的文字，常见于从别的表格复制粘贴；"
                    "请重新输入这一行的文字后另存为 UTF-8",
        )
        return None
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        report.error(
            name, None, "bad-encoding", value=f"第{exc.start}字节",
            message="文件既不是 UTF-8 也不是 GB18030/GBK 编码；" + _save_as_hint(name),
        )
        return None
    report.notice(name, None, "gbk-encoding", value="GB18030/GBK",
                  message="已按 GB18030（GBK）编码读取；" + ("建议另存为 CSV UTF-8" if name.lower().endswith(".csv")
                                                          else "建议用记事本或编辑器以 UTF-8 编码另存"))
    return text, "gb18030"


def _mixed_utf8_line(raw: bytes) -> int | None:
    """Line of the first undecodable byte when a file is mostly valid UTF-8 (a pasted GBK cell), else None."""
    text = raw.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127 and ch != "\ufffd")
    if bad and good >= 4 * bad:
        return text[: text.index("\ufffd")].count("\n") + 1
    return None


def _save_as_hint(name: str) -> str:
    if name.endswith(".csv"):
        return "请在 Excel 中“另存为 → CSV UTF-8（逗号分隔）”"
    return "请用记事本或编辑器以 UTF-8 编码另存"


def read_csv(path: Path, name: str, report: Report) -> RawTable | None:
    raw = read_bytes(path, name, report)
    if raw is None:
        return None
    decoded = decode_text(raw, name, report)
    if decoded is None:
        return None
    text, encoding = decoded
    # csv's own field limit would end the file with an English message; _bad_cells reports long cells instead.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FILE_BYTES))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    lines: list[tuple[int, list[str]]] = []
    try:
        start = 1
        for cells in reader:
            row_no, start = start, reader.line_num + 1
            cells = [_short(c.strip(BLANKS)) for c in cells]
            if any(cells):  # Excel leaves empty trailing rows; they carry nothing
                lines.append((row_no, cells))
    except csv.Error:
        # The quote opened on the line where the failing row starts (``start``); the reader has run on from there.
        lines_read = list(io.StringIO(text, newline=""))  # the lines as the csv reader counted them
        opened = lines_read[start - 1] if start - 1 < len(lines_read) else ""
        report.error(name, start, "bad-csv", value=_short(opened.strip())[:60],
                     message="CSV 格式损坏：此行起引号不成对（单元格中的英文双引号须成对出现），其后各行无法读取；"
                             "请在 Excel 中打开后重新另存为 CSV，或删去多余的引号")
        return None
    if _is_title_row(lines):
        # Tables made for printing start with a title such as “2024年项目支出表” above the header.
        title_row, title = lines.pop(0)
        report.notice(name, title_row, "bad-header", value=" ".join(clean_cell(c) for c in title if clean_cell(c)),
                      message="第一行像是表格标题而不是表头，已跳过；表头应为字段名（见数据说明页）")
    table: RawTable | None = None
    for row_no, cells in lines:
        if table is None:
            header = [clean_cell(c) for c in cells]
            while header and header[-1] == "":
                header.pop()
            if not _check_header(header, name, row_no, report):
                return None
            table = RawTable(name, header, row_no, encoding=encoding)
            continue
        extra = [c for c in cells[len(table.header):] if clean_cell(c)]
        if extra:
            report.error(name, row_no, "bad-csv", value=" | ".join(extra),
                         message=f"本行有 {len(cells)} 列，比表头多；请检查是否有多余的逗号或未加引号的文字")
            continue
        if len(cells) < len(table.header):
            cells = cells + [""] * (len(table.header) - len(cells))
        values = dict(zip(table.header, cells, strict=False))  # longer rows were checked above
        if _bad_cells(values, name, row_no, report):
            table.skipped.append(RawRow(row_no, values))
            continue
        table.rows.append(RawRow(row_no, values))
    if table is None:
        report.error(name, None, "bad-header", value="",
                     message="文件为空，连表头也没有；若本年度没有此类记录，请删除此文件或只保留表头一行")
        return None
    return table


def _short(text: str) -> str:
    """Short cells (codes, names, units, enum values) repeat down a table: one string object for each distinct one
    makes ten years of records smaller in memory and in the cache, and faster to load from it."""
    return sys.intern(text) if len(text) <= 24 else text


def _is_title_row(lines: list[tuple[int, list[str]]]) -> bool:
    """One filled cell on the first line and several on the next: a title above the header."""
    if len(lines) < 2:
        return False
    filled = [sum(1 for c in cells if clean_cell(c)) for _, cells in lines[:2]]
    return filled[0] == 1 and filled[1] >= 2


def _bad_cells(values: dict[str, str], name: str, row: int, report: Report) -> bool:
    if max(map(len, values.values()), default=0) <= MAX_CELL_CHARS and not _CONTROL.search("".join(values.values())):
        return False  # the usual case, checked in one pass
    bad = False
    for column, value in values.items():
        char = control_character(value)
        if char:
            report.error(name, row, "bad-character", field=column, value=char,
                         message="单元格含不可见的控制字符（常见于从 PDF 或其他系统复制）；请删除后重新输入")
            bad = True
        elif len(value) > MAX_CELL_CHARS:
            report.error(name, row, "file-too-large", field=column, value=f"{len(value)} 字",
                         message=f"单元格内容过长（上限 {MAX_CELL_CHARS} 字），请检查是否误粘贴了整篇文件")
            bad = True
    return bad


def _check_header(header: list[str], name: str, row: int, report: Report) -> bool:
    ok = True
    seen: set[str] = set()
    for i, h in enumerate(header, start=1):
        if not h:
            report.error(name, row, "bad-header", value=f"第{i}列", message="表头单元格为空；每一列都需要字段名")
            ok = False
        elif h in seen:
            report.error(name, row, "bad-header", field=h, value=h, message="表头字段名重复")
            ok = False
        seen.add(h)
    return ok


class _YamlRefused(Exception):
    """A YAML construct we refuse before building it (alias, too many nodes, too deep)."""

    def __init__(self, code: str, line: int | None, value: str, message: str):
        super().__init__(message)
        self.code, self.line, self.value, self.message = code, line, value, message


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and oversized trees while composing, before any memory is spent.

    Staff never need aliases, and they are how alias bombs ("billion laughs") work; counting nodes and depth
    here stops a hostile or broken file before PyYAML's recursive composer can exhaust memory or the stack.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self.node_count = 0
        self.depth = 0

    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise _YamlRefused("yaml-unsafe", event.start_mark.line + 1, f"*{event.anchor}",
                               "不允许使用 YAML 别名（*名称）；请把内容直接写出来")
        self.node_count += 1
        if self.node_count > MAX_YAML_NODES:
            raise _YamlRefused("file-too-large", self.peek_event().start_mark.line + 1, f">{MAX_YAML_NODES} 个节点",
                               "YAML 内容过多，疑似误存或恶意文件；年度报告只需正文与汇总数")
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                raise _YamlRefused("file-too-large", self.peek_event().start_mark.line + 1,
                                   f"超过 {MAX_YAML_DEPTH} 层",
                                   "YAML 嵌套层数过多，疑似误存或恶意文件；请检查缩进与方括号")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}
_TAG_HINT = "只能使用文字、数字、日期、列表和“键: 值”，不能使用 !! 标签"


class _Walker:
    def __init__(self, loader: _SafeLoader, name: str, report: Report):
        self.loader = loader
        self.name = name
        self.report = report
        self.lines: dict[tuple, int] = {}
        self.ok = True

    def walk(self, node, path: tuple):
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, MappingNode):
            if node.tag != "tag:yaml.org,2002:map":
                # !!set, !!omap and application tags build objects other than plain mappings.
                self.bad(node, "yaml-unsafe", f"不允许的 YAML 标签 {node.tag}；{_TAG_HINT}")
                return None
            out: dict = {}
            for key_node, value_node in node.value:
                key = self.scalar(key_node, path)
                if not isinstance(key, str | int):
                    self.bad(key_node, "yaml-unsafe", "键必须是文字")
                    continue
                key = str(key)
                if key in out:
                    # Reported, and the first value kept, so the rest of the file is still checked in this run
                    # (PyYAML would silently keep the last).
                    self.report.error(self.name, key_node.start_mark.line + 1, "yaml-duplicate-key", field=key,
                                      value=key, message=f"同一层级中此键出现了两次（第{self.lines[path + (key,)]}行已有）；"
                                                         "请删除或合并重复的一项")
                    continue
                self.lines[path + (key,)] = key_node.start_mark.line + 1
                out[key] = self.walk(value_node, path + (key,))
            return out
        if isinstance(node, SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                self.bad(node, "yaml-unsafe", f"不允许的 YAML 标签 {node.tag}；{_TAG_HINT}")
                return None
            return [self.walk(item, path + (i,)) for i, item in enumerate(node.value)]
        return self.scalar(node, path)

    def scalar(self, node, path):
        if not isinstance(node, ScalarNode):
            self.bad(node, "yaml-unsafe", "此处应为单个值")
            return None
        char = control_character(node.value)
        if char:
            self.ok = False
            self.report.error(self.name, node.start_mark.line + 1, "bad-character",
                              field=str(path[-1]) if path else "", value=char,
                              message="文字中含不可见的控制字符（常见于从 PDF 或其他系统复制）；请删除后重新输入")
            return None
        if node.tag in _PLAIN_TAGS:
            # Numbers stay text so that money keeps its exact decimals (17395.80 is not a float).
            return node.value
        if node.tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"):
            try:
                return self.loader.construct_object(node, deep=True)
            except ValueError:  # 2023-02-30 matches the timestamp pattern but is no date
                return node.value
        self.bad(node, "yaml-unsafe", f"不允许的 YAML 标签 {node.tag}；{_TAG_HINT}")
        return None

    def bad(self, node, code: str, message: str) -> None:
        self.ok = False
        self.report.error(self.name, node.start_mark.line + 1, code, value=getattr(node, "tag", ""), message=message)


def read_yaml(path: Path, name: str, report: Report) -> RawDocument | None:
    raw = read_bytes(path, name, report, limit=MAX_YAML_BYTES)
    if raw is None:
        return None
    decoded = decode_text(raw, name, report)
    if decoded is None:
        return None
    text, _ = decoded
    loader = None
    try:
        # The reader refuses NUL and other special characters while the loader is constructed, so that
        # belongs inside the try as well.
        loader = _SafeLoader(text)
        node = loader.get_single_node()
        if node is None:
            return RawDocument(name, {}, {})
        walker = _Walker(loader, name, report)
        data = walker.walk(node, ())
    except _YamlRefused as exc:
        report.error(name, exc.line, exc.code, value=exc.value, message=exc.message)
        return None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        report.error(name, line, "bad-character", value=f"U+{exc.character:04X}" if isinstance(exc.character, int)
                     else "", message="文件中含不可见的控制字符（常见于从 PDF 或其他系统复制）；请删除后重新保存")
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        message = exc.problem or str(exc)
        report.error(name, line, "bad-yaml", value=_yaml_snippet(text, line), message=_yaml_hint(message))
        return None
    except yaml.YAMLError as exc:
        report.error(name, None, "bad-yaml", value=str(exc)[:80], message="无法解析 YAML；请检查缩进、冒号与引号")
        return None
    finally:
        if loader is not None:
            loader.dispose()
    if not walker.ok:
        return None
    return RawDocument(name, data, walker.lines)


def _yaml_snippet(text: str, line: int | None) -> str:
    if not line:
        return ""
    lines = text.splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def _yaml_hint(problem: str) -> str:
    hints = {
        "found character '\\t'": "YAML 不能用 Tab 缩进，请改用空格",
        "mapping values are not allowed": "冒号位置不对：一行只能有一个“键: 值”，文字中的冒号请用引号括起来",
        "could not find expected ':'": "缺少冒号，或缩进不一致",
        "found undefined alias": "不允许使用 YAML 别名",
        "expected <block end>": "缩进不一致",
        "but found another document": "一个文件只能有一个 YAML 文档；请删除多余的“---”",
        "found unknown escape character": "双引号中的反斜杠 \\ 须写成 \\\\，或改用单引号",
        "found unexpected end of stream": "引号或括号没有闭合",
        "expected ',' or '}'": "花括号 { } 中的各项要用英文逗号“,”分隔（不能用中文逗号“，”），或改成每项一行的写法",
        "expected ',' or ']'": "方括号 [ ] 中的各项要用英文逗号“,”分隔（不能用中文逗号“，”），或改成每项一行、以“- ”开头的写法",
        "that cannot start any token": "文字以 YAML 不允许的字符开头（如 @、` 或 %）；请给这段文字加上引号",
        "while scanning a quoted scalar": "引号没有闭合",
    }
    for needle, hint in hints.items():
        if needle in problem:
            return hint
    # PyYAML's own words are English: the clerk gets the line and what to look at instead.
    return "YAML 格式错误：请检查这一行及上一行的缩进（只用空格）、冒号后的空格、引号和括号是否成对，文字中的冒号请用引号括起来"


_FULL_WIDTH = re.compile("[\uff01-\uff5e]")


def normalise_digits(text: str) -> str:
    """Full-width digits and signs (１２３．４) to ASCII; other characters untouched."""
    if not _FULL_WIDTH.search(text):
        return text  # the usual case: nothing to change
    return "".join(unicodedata.normalize("NFKC", ch) if "\uff01" <= ch <= "\uff5e" else ch for ch in text)
