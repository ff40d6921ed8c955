"""Read data files exactly as staff save them, keeping where every value came from.

This is the only module that opens input files. It never interprets values: it hands on strings (and the
few YAML scalars that are unambiguous) with their file, row or line, and reports what it cannot read.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .problems import Report

MAX_FILE_BYTES = 20 * 1024 * 1024  # a county's yearly table is a few MB; anything larger is a mistake
MAX_YAML_NODES = 200_000

# Characters Excel and WPS leave around cell values: ordinary, full-width and non-breaking spaces.
_BLANKS = " \t\r\n\u3000\u00a0\ufeff"


def clean_cell(value: str) -> str:
    return value.strip(_BLANKS)


def display_path(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root.parent if root.name == "data" else root).as_posix()
        except ValueError:
            pass
    return path.as_posix()


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


def read_bytes(path: Path, name: str, report: Report) -> bytes | None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        report.error(name, None, "file-unreadable", value=str(exc), message="文件不存在或无权限读取")
        return None
    if size > MAX_FILE_BYTES:
        report.error(
            name, None, "file-too-large", value=f"{size} 字节",
            message=f"单个数据文件不应超过 {MAX_FILE_BYTES // 1024 // 1024} MB，请检查是否误存了其他内容",
        )
        return None
    return path.read_bytes()


def decode_text(raw: bytes, name: str, report: Report) -> tuple[str, str] | None:
    """Decode UTF-8 (with or without BOM) or GB18030/GBK, the encodings Excel and WPS save CSV in."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        report.error(
            name, None, "bad-encoding", value="UTF-16",
            message="文件是 UTF-16（Excel“Unicode 文本”）格式；请在 Excel 中“另存为 → CSV UTF-8（逗号分隔）”",
        )
        return None
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError as exc:
        report.error(
            name, None, "bad-encoding", value=f"第{exc.start}字节",
            message="文件既不是 UTF-8 也不是 GB18030/GBK 编码；请另存为“CSV UTF-8（逗号分隔）”",
        )
        return None
    report.notice(name, None, "bad-encoding", value="GB18030/GBK",
                  message="已按 GB18030（GBK）编码读取；建议另存为 CSV UTF-8")
    return text, "gb18030"


def read_csv(path: Path, name: str, report: Report) -> RawTable | None:
    raw = read_bytes(path, name, report)
    if raw is None:
        return None
    decoded = decode_text(raw, name, report)
    if decoded is None:
        return None
    text, encoding = decoded
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_row = 1
    table: RawTable | None = None
    try:
        start = 1
        for cells in reader:
            row_no, start = start, reader.line_num + 1
            if not any(clean_cell(c) for c in cells):
                continue  # Excel leaves empty trailing rows; they carry nothing
            if header is None:
                header = [clean_cell(c) for c in cells]
                header_row = row_no
                while header and header[-1] == "":
                    header.pop()
                if not _check_header(header, name, header_row, report):
                    return None
                table = RawTable(name, header, header_row, encoding=encoding)
                continue
            extra = [c for c in cells[len(header):] if clean_cell(c)]
            if extra:
                report.error(name, row_no, "bad-csv", value=" | ".join(extra),
                             message=f"本行有 {len(cells)} 列，比表头多；请检查是否有多余的逗号或未加引号的文字")
                continue
            values = {h: clean_cell(cells[i]) if i < len(cells) else "" for i, h in enumerate(header)}
            table.rows.append(RawRow(row_no, values))
    except csv.Error as exc:
        report.error(name, reader.line_num, "bad-csv", value=str(exc), message="CSV 格式损坏（引号不成对等）")
        return None
    if table is None:
        return RawTable(name, [], 1, encoding=encoding)
    return table


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


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases: staff never need them and they are how alias bombs work."""

    def compose_node(self, parent, index):
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                None, None, "不允许使用 YAML 别名（*别名）", event.start_mark
            )
        return super().compose_node(parent, index)


_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}


class _Walker:
    def __init__(self, loader: _SafeLoader, name: str, report: Report):
        self.loader = loader
        self.name = name
        self.report = report
        self.lines: dict[tuple, int] = {}
        self.nodes = 0
        self.ok = True

    def walk(self, node, path: tuple):
        self.nodes += 1
        if self.nodes > MAX_YAML_NODES:
            raise _TooBig()
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, MappingNode):
            out: dict = {}
            for key_node, value_node in node.value:
                key = self.scalar(key_node, path)
                if not isinstance(key, str | int):
                    self.bad(key_node, "yaml-unsafe", "键必须是文字")
                    continue
                key = str(key)
                if key in out:
                    self.report.error(self.name, key_node.start_mark.line + 1, "yaml-duplicate-key", field=key,
                                      value=key, message="同一层级中此键出现了两次；请删除或合并重复的一项")
                    self.ok = False
                    continue
                self.lines[path + (key,)] = key_node.start_mark.line + 1
                out[key] = self.walk(value_node, path + (key,))
            return out
        if isinstance(node, SequenceNode):
            return [self.walk(item, path + (i,)) for i, item in enumerate(node.value)]
        return self.scalar(node, path)

    def scalar(self, node, path):
        if not isinstance(node, ScalarNode):
            self.bad(node, "yaml-unsafe", "此处应为单个值")
            return None
        if node.tag in _PLAIN_TAGS:
            # Numbers stay text so that money keeps its exact decimals (17395.80 is not a float).
            return node.value
        if node.tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"):
            return self.loader.construct_object(node, deep=True)
        self.bad(node, "yaml-unsafe", f"不允许的 YAML 标签 {node.tag}；只能使用文字、数字、日期、列表和键值")
        return None

    def bad(self, node, code: str, message: str) -> None:
        self.ok = False
        self.report.error(self.name, node.start_mark.line + 1, code, value=getattr(node, "tag", ""), message=message)


class _TooBig(Exception):
    pass


def read_yaml(path: Path, name: str, report: Report) -> RawDocument | None:
    raw = read_bytes(path, name, report)
    if raw is None:
        return None
    decoded = decode_text(raw, name, report)
    if decoded is None:
        return None
    text, _ = decoded
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return RawDocument(name, {}, {})
        walker = _Walker(loader, name, report)
        data = walker.walk(node, ())
    except _TooBig:
        report.error(name, None, "file-too-large", value=f">{MAX_YAML_NODES} 个节点",
                     message="YAML 内容过多，疑似错误或恶意文件")
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        message = exc.problem or str(exc)
        code = "yaml-unsafe" if "别名" in message else "bad-yaml"
        report.error(name, line, code, value=_yaml_snippet(text, line), message=_yaml_hint(message))
        return None
    except yaml.YAMLError as exc:
        report.error(name, None, "bad-yaml", value=str(exc)[:80], message="无法解析 YAML")
        return None
    finally:
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
    }
    for needle, hint in hints.items():
        if needle in problem:
            return hint
    return f"YAML 语法错误（{problem}）；请检查缩进、冒号与引号"


def normalise_digits(text: str) -> str:
    """Full-width digits and signs (１２３．４) to ASCII; other characters untouched."""
    return "".join(unicodedata.normalize("NFKC", ch) if "\uff01" <= ch <= "\uff5e" else ch for ch in text)
