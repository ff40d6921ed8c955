"""Published years are frozen: a checksum of each year's data is kept in data/frozen.yaml, and a change to a
published year is accepted only together with a new erratum (DOMAIN.md §5: corrections are public).

Workflow: mark the year 已发布 and run a plain local build (no --site, no --data), which records the checksum, or
``python -m generator freeze 2023``; commit frozen.yaml with the data. To correct the year later, edit the data, add
an entry to 更正说明 in report.yaml and register again the same way: validation accepts the change only with that
new erratum.

A year whose current data the register does not hold (never registered, or changed under a new erratum) is an error
for every command that does not register it itself (validate, builds with --site or --data, so CI): left so, the
register would keep the state before the erratum forever, and any later change would pass under that erratum.
Preview and import only tell, so a correction can be prepared and looked at before it is registered.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated

from pydantic import Field

from . import load
from .dataset import FROZEN_FILE, Dataset, parse_document
from .problems import Report
from .schema import Record, YearStatus
from .types import Count


class FrozenYear(Record):
    checksum: str = Field(alias="校验值", pattern=r"^[0-9a-f]{64}$")
    errata: Count = Field(alias="更正条数")
    # What each file says, however saved (BOM, line endings, quoting, 2600.00 saved as 2600, 2024-07-31 as
    # 2024/7/31): opening a published CSV in Excel and saving it again is not a change, and a change names its file.
    files: dict[str, Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]] | None = Field(None, alias="文件内容校验值")
    # The same for the whole year, as registered before per-file checksums were kept (compared only then).
    content: str | None = Field(None, alias="内容校验值", pattern=r"^[0-9a-f]{64}$")


class FrozenFile(Record):
    years: dict[int, FrozenYear] = Field(default_factory=dict, alias="年度")


def year_checksum(year_dir: Path) -> str | None:
    """SHA-256 over every data file of the year, names included, in a fixed order; None if a file cannot be
    read (loading has reported it already)."""
    digest = hashlib.sha256()
    try:
        for path in sorted(p for p in year_dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
            digest.update(path.relative_to(year_dir).as_posix().encode("utf-8") + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    except OSError:
        return None
    return digest.hexdigest()


def content_checksum(year_dir: Path) -> str | None:
    """SHA-256 over what the year's files hold, as registrations made before ``file_checksums`` kept it: CSV as
    cell texts (encoding, quoting, line endings and blank rows aside), YAML as text with line endings and trailing
    blanks evened out; None if a file cannot be read."""
    digest = hashlib.sha256()
    try:
        for path in sorted(p for p in year_dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
            digest.update(path.relative_to(year_dir).as_posix().encode("utf-8") + b"\0")
            digest.update(hashlib.sha256(_content(path)).digest())
    except OSError:
        return None
    return digest.hexdigest()


def file_checksums(year_dir: Path) -> dict[str, str] | None:
    """Each file's content checksum by its path in the year: as ``content_checksum`` reads it, and with the
    values a spreadsheet rewrites when it saves a CSV evened out (2600.00 → 2600, 2024/7/31 → 2024-07-31);
    None if a file cannot be read."""
    try:
        return {path.relative_to(year_dir).as_posix(): hashlib.sha256(_content(path, values=True)).hexdigest()
                for path in sorted(p for p in year_dir.rglob("*") if p.is_file() and not p.name.startswith("."))}
    except OSError:
        return None


_TRAILING_ZEROS = re.compile(r"^([+-]?\d+)(?:\.0*|(\.\d*?[1-9])0+)$")
_SLASH_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")


def _same_value(cell: str) -> str:
    """A cell as a spreadsheet may write the same value: decimals without trailing zeros, dates in ISO form. Leading
    zeros are kept: a code saved as a number (0012 → 12) has changed."""
    found = _TRAILING_ZEROS.match(cell)
    if found:
        return found.group(1) + (found.group(2) or "")
    found = _SLASH_DATE.match(cell)
    if found:
        return f"{found.group(1)}-{int(found.group(2)):02d}-{int(found.group(3)):02d}"
    return cell


def _content(path: Path, *, values: bool = False) -> bytes:
    raw = path.read_bytes()
    decoded = load.decode_text(raw, path.name, Report())
    if decoded is None:
        return raw
    text = decoded[0].lstrip("\ufeff")
    if path.suffix.lower() == ".csv":
        try:
            rows = [[c.strip(load.BLANKS) for c in row] for row in csv.reader(io.StringIO(text, newline=""))]
        except csv.Error:
            return raw
        while rows and rows[-1] and not any(rows[-1]):
            rows.pop()
        rows = [r[:max((i + 1 for i, c in enumerate(r) if c), default=0)] for r in rows if any(r)]
        if values:
            rows = [[_same_value(c) for c in r] for r in rows]
        return json.dumps(rows, ensure_ascii=False).encode("utf-8")
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n").encode("utf-8")


class Unregistered(Enum):
    """What the command checking the data does about a published year whose current data frozen.yaml does not hold."""

    REGISTER = "register"  # the plain local build: registers it once the build succeeded
    TELL = "tell"  # preview and import: a step towards publishing; the clerk is told how to register
    REFUSE = "refuse"  # validate, builds with --site/--data (CI), generate: nothing registers it, so nothing passes


def read_frozen(root: Path, report: Report) -> FrozenFile:
    path = root / FROZEN_FILE
    if not path.exists():
        return FrozenFile()
    raw = load.read_yaml(path, f"{root.name}/{FROZEN_FILE}", report)
    if raw is None:
        return FrozenFile()
    parsed = parse_document(raw, FrozenFile, report)
    return parsed if parsed is not None else FrozenFile()


@dataclass
class FreezeState:
    year: int
    checksum: str
    recorded: FrozenYear | None
    errata: int
    path: Path | None = None
    _files: dict[str, str] | None = None

    @property
    def files(self) -> dict[str, str] | None:
        """The files' content checksums, worked out only when the bytes differ from the registration (or to
        register)."""
        if self._files is None and self.path is not None:
            self._files = file_checksums(self.path)
        return self._files

    @functools.cached_property
    def changed(self) -> bool:
        if self.recorded is None or self.recorded.checksum == self.checksum:
            return False
        if self.recorded.files is not None:
            return self.recorded.files != self.files
        if self.recorded.content is not None and self.path is not None:
            return self.recorded.content != content_checksum(self.path)
        return True

    @property
    def changed_files(self) -> list[str]:
        """The files whose content differs from the registration (added and removed ones too), where it says."""
        before, now = (self.recorded.files if self.recorded else None), self.files
        if before is None or now is None:
            return []
        return sorted(name for name in before.keys() | now.keys() if before.get(name) != now.get(name))

    @property
    def resaved(self) -> bool:
        """Saved again without a change of content: the registration takes the new bytes."""
        return self.recorded is not None and self.recorded.checksum != self.checksum and not self.changed

    def registration(self) -> FrozenYear:
        return FrozenYear(校验值=self.checksum, 更正条数=self.errata, 文件内容校验值=self.files)

    @property
    def erratum_added(self) -> bool:
        return self.recorded is not None and self.errata > self.recorded.errata


def states(ds: Dataset, frozen: FrozenFile) -> list[FreezeState]:
    out = []
    for year, data in sorted(ds.years.items()):
        if data.report is None or data.report.status is not YearStatus.PUBLISHED:
            continue
        checksum = year_checksum(data.path)
        if checksum is not None:
            out.append(FreezeState(year, checksum, frozen.years.get(year), len(data.report.errata), data.path))
    return out


def check(ds: Dataset, report: Report, unregistered: Unregistered = Unregistered.TELL) -> None:
    """Validation rule: a published year matches its recorded checksum, or carries a new erratum (and then is
    registered again, see ``Unregistered``)."""
    frozen = read_frozen(ds.root, report)
    name = f"{ds.root.name}/{FROZEN_FILE}"
    # A published year stays published and stays in the archive: back to 草稿 it would take changes without an
    # erratum (and show them as a draft), removed it would vanish from the record.
    for year in sorted(frozen.years):
        data = ds.years.get(year)
        if data is None:
            report.error(name, None, "frozen-year-withdrawn", "年度", str(year),
                         f"{year} 年度已发布（登记在 {FROZEN_FILE}），但 {year} 文件夹不见了；已发布的年度不能删除，请恢复该文件夹")
        elif data.report is not None and data.report.status is not YearStatus.PUBLISHED:
            report.error(f"{ds.root.name}/{year}/report.yaml", data.report._lines.get("status"), "frozen-year-withdrawn",
                         "状态", str(data.report.status),
                         f"{year} 年度已发布（登记在 {FROZEN_FILE}），不能改回“{data.report.status}”；"
                         "已发布的数据如需修改，请保持“已发布”，并在“更正说明”中新增一条")
    for s in states(ds, frozen):
        file = f"{ds.root.name}/{s.year}/report.yaml"
        _new_errata_say_what_changed(ds, s, file, report)
        if s.recorded is None and s.errata:
            # Errata are written to a year already published, which the first build after publishing registered:
            # an unregistered year with errata means the register lost it (frozen.yaml emptied or replaced).
            report.error(name, None, "frozen-year-changed", str(s.year), "未登记",
                         f"{s.year} 年度已有 {s.errata} 条更正说明，说明它早已发布并登记，但 {FROZEN_FILE} 中没有它的登记；"
                         f"请从版本库恢复 {FROZEN_FILE}。若是初次把往年数据迁入本工具，核对无误后运行 "
                         f"python -m generator freeze {s.year} 登记")
        elif s.recorded is None:
            _pending(report, unregistered, name, s.year, "未登记",
                     f"{s.year} 年度已标为“已发布”，{name} 中还没有它的数据校验值", "登记其数据校验值")
        elif s.changed and s.errata < s.recorded.errata:
            report.error(file, None, "frozen-year-changed", "更正说明", f"{s.errata} 条",
                         f"{s.year} 年度已发布，登记时有 {s.recorded.errata} 条更正说明，现在只有 {s.errata} 条；"
                         "更正说明公开后不能删除，请恢复")
        elif s.changed and not s.erratum_added:
            files = s.changed_files
            which = f"改动的文件：{'、'.join(files)}；" if files else ""
            # The register keeps checksums, not the records: version control holds what they said before.
            paths = " ".join(f"{ds.root.name}/{s.year}/{f}" for f in files) or f"{ds.root.name}/{s.year}/"
            report.error(file, None, "frozen-year-changed", "更正说明", f"{s.errata} 条",
                         f"{s.year} 年度已发布，其数据已被修改（{which}校验值与 {FROZEN_FILE} 不符），但没有新增更正说明；"
                         f"要查看改了哪些记录，可运行 git diff -- {paths}；"
                         "请在“更正说明”中写明日期、说明与变更内容，或撤销修改")
        elif s.changed:
            files = s.changed_files
            which = f"（改动的文件：{'、'.join(files)}）" if files else ""
            _pending(report, unregistered, name, s.year, f"已登记 {s.recorded.errata} 条更正，现有 {s.errata} 条",
                     f"{s.year} 年度已按新增的更正说明修改{which}，{name} 中的校验值仍是修改前的", "更新校验值")


def _new_errata_say_what_changed(ds: Dataset, s: FreezeState, file: str, report: Report) -> None:
    """An erratum not registered yet must say what changed (变更内容); the registered ones stay as published."""
    errata = ds.years[s.year].report.errata
    first_new = s.recorded.errata if s.recorded is not None else 0
    for i, e in enumerate(errata[first_new:], start=first_new + 1):
        if not (e.changes or "").strip():
            report.error(file, e._lines.get("changes", e._lines.get("on")), "missing-field", f"更正说明第{i}项.变更内容",
                         "", "新增的更正说明必须写明变更内容：改了哪条记录的哪一项、由什么改为什么，"
                             "例如：建议金额由 120.00 万元更正为 102.00 万元")


def _pending(report: Report, unregistered: Unregistered, name: str, year: int, value: str, what: str,
             action: str) -> None:
    """A published year the register does not hold as it is now, told as the running command will treat it."""
    how = f"python -m generator freeze {year} 登记，再把 {name} 与数据一起提交"
    if unregistered is Unregistered.REGISTER:
        report.notice(name, None, "frozen-year-recorded", str(year), value,
                      f"{what}；本次构建成功后将{action}，请把 {name} 与数据一起提交；此后修改须附新的更正说明")
    elif unregistered is Unregistered.TELL:
        report.notice(name, None, "frozen-year-recorded", str(year), value,
                      f"{what}；预览核对无误后，请运行 {how}；登记之前，validate 和 CI 的构建都会报错")
    else:
        report.error(name, None, "frozen-year-unregistered", str(year), value,
                     f"{what}；不登记，此后对该年度的修改都无法发现，所以不能发布。请在本机核对无误后运行 {how}")


def record_all(ds: Dataset, report: Report) -> list[int]:
    """After a successful build: record every published year that is new or was corrected with an erratum."""
    frozen = read_frozen(ds.root, report)
    updated = []
    for s in states(ds, frozen):
        # (A registration made before per-file content checksums were kept gains them while the year is unchanged.)
        migrate = s.recorded is not None and s.recorded.files is None and not s.changed
        if (s.recorded is None and not s.errata) or (s.changed and s.erratum_added) or s.resaved or migrate:
            frozen.years[s.year] = s.registration()
            updated.append(s.year)
    if updated:
        write_frozen(ds.root, frozen)
    return updated


def freeze(ds: Dataset, year: int, report: Report) -> bool:
    """Record the checksum of a published year; refuses a changed year that has no new erratum."""
    frozen = read_frozen(ds.root, report)
    if not report.ok:
        return False
    target = next((s for s in states(ds, frozen) if s.year == year), None)
    if target is None:
        data = ds.years.get(year)
        status = str(data.report.status) if data is not None and data.report is not None else "不存在"
        report.error(f"{ds.root.name}/{year}/report.yaml", None, "year-not-published", "状态", status,
                     f"{year} 年度不存在或状态不是“已发布”；只有已发布的年度需要冻结")
        return False
    if target.changed and not target.erratum_added:
        report.error(f"{ds.root.name}/{year}/report.yaml", None, "frozen-year-changed", "更正说明",
                     f"{target.errata} 条", "数据已修改但没有新增更正说明，拒绝更新校验值")
        return False
    frozen.years[year] = target.registration()
    write_frozen(ds.root, frozen)
    return True


def write_frozen(root: Path, frozen: FrozenFile) -> None:
    lines = [
        "# 已发布年度的数据校验值：由不带 --site、--data 的 build 或 python -m generator freeze <年度> 登记，随数据一起提交；"
        "请勿手工修改。",
        "# 已发布年度的数据一经修改，必须在该年度 report.yaml 的“更正说明”中新增一条并重新登记，否则校验与 CI 构建都不通过。",
        "年度:",
    ]
    for year in sorted(frozen.years):
        entry = frozen.years[year]
        lines += [f"  {year}:", f"    校验值: {entry.checksum}", f"    更正条数: {entry.errata}"]
        if entry.files is not None:
            lines.append("    文件内容校验值:")
            lines += [f"      {json.dumps(name, ensure_ascii=False)}: {digest}" for name, digest in sorted(entry.files.items())]
        elif entry.content:
            lines.append(f"    内容校验值: {entry.content}")
    (root / FROZEN_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
