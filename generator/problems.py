"""Problems found in the data: errors are data, with a stable code and a location (after frictionless-py)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "错误"
    NOTICE = "提示"


# Stable codes: tests and CI annotations rely on them, so never rename one.
CODES: dict[str, str] = {
    "file-missing": "缺少必需的数据文件",
    "file-unreadable": "文件无法读取",
    "file-too-large": "文件过大",
    "bad-encoding": "文件编码无法识别",
    "gbk-encoding": "文件为 GBK 编码（已读取）",
    "bad-character": "含不可见的控制字符",
    "unknown-file": "不认识的文件或文件夹",
    "bad-yaml": "YAML 格式错误",
    "yaml-duplicate-key": "YAML 中键重复",
    "yaml-unsafe": "YAML 含不安全内容",
    "bad-csv": "CSV 格式错误",
    "total-row": "数据中有合计行",
    "records-kept": "工作表未列出的已有记录保持不变",
    "blank-kept": "空格未覆盖原有的不公开信息",
    "made-public": "不公开的记录改为公开",
    "second-goal": "同一项目有两张绩效目标表",
    "bad-header": "表头错误",
    "missing-field": "缺少必填字段",
    "unknown-field": "未知字段",
    "bad-type": "类型错误",
    "bad-enum": "不在可选值之内",
    "bad-number": "数字格式错误",
    "bad-money": "金额格式错误",
    "bad-date": "日期错误",
    "bad-url": "链接不安全或格式错误",
    "bad-doc-number": "文号格式错误",
    "out-of-range": "数值超出范围",
    "normalised-number": "数字已规范化",
    "duplicate-id": "编号重复",
    "unknown-reference": "引用的记录不存在",
    "nonpublic-reference": "公开记录引用了不公开的记录",
    "department-mismatch": "单位名称与项目的主管部门、实施单位都不同",
    "department-renamed": "单位编码与往年相同而名称不同（按更名处理）",
    "unknown-placeholder": "正文引用的数据项不存在",
    "uncounted-figure": "正文引用的统计数无法由明细得出",
    "typed-figure": "正文直接写了数字",
    "unfinished-text": "正文尚未写完",
    "total-mismatch": "合计与明细不符",
    "count-mismatch": "数量与明细不符",
    "rate-mismatch": "执行率与执行数不符",
    "grade-score-mismatch": "等级与得分不符",
    "score-mismatch": "得分或分值合计不符",
    "indicator-score-mismatch": "指标得分与评分规则不符",
    "date-order": "日期先后顺序错误",
    "year-mismatch": "年度不一致",
    "bad-indicator-level": "指标层级不匹配",
    "status-inconsistent": "状态与日期不一致",
    "frozen-year-changed": "已发布年度的数据被修改而未附更正说明",
    "frozen-year-recorded": "已发布年度的数据校验值待登记",
    "frozen-year-unregistered": "已发布年度的数据校验值未登记",
    "frozen-year-withdrawn": "已发布年度不能撤回或删除",
    "year-not-published": "年度不存在或尚未发布",
    "year-exists": "年度已存在",
    "bad-settings": "站点设置错误",
}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong (or normalised) in the data, located as precisely as the source allows."""

    file: str
    row: int | None
    code: str
    field: str = ""
    value: str = ""
    message: str = ""
    severity: Severity = Severity.ERROR

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unregistered problem code: {self.code}")

    @property
    def title(self) -> str:
        return CODES[self.code]

    def location(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" 第{self.row}行"
        if self.field:
            where += f"「{self.field}」"
        return where

    def as_text(self) -> str:
        value = f"；现值：{_shorten(self.value)!s}" if self.value != "" else ""
        return f"[{self.severity}] {self.location()}：{self.title}（{self.code}）{value}；{self.message}"

    def as_dict(self) -> dict:
        d = asdict(self)
        d["severity"] = str(self.severity)
        d["title"] = self.title
        return d


def _shorten(value: str, limit: int = 80) -> str:
    value = str(value).replace("\n", "⏎")
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass
class Report:
    """All problems of one run; validation keeps going and collects, it never stops at the first."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def extend(self, problems) -> None:
        self.problems.extend(problems)

    def error(self, file: str, row: int | None, code: str, field: str = "", value="", message: str = "") -> None:
        self.add(Problem(file, row, code, field, "" if value is None else str(value), message))

    def notice(self, file: str, row: int | None, code: str, field: str = "", value="", message: str = "") -> None:
        self.add(Problem(file, row, code, field, "" if value is None else str(value), message, Severity.NOTICE))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.sorted() if p.severity is Severity.ERROR]

    @property
    def notices(self) -> list[Problem]:
        return [p for p in self.sorted() if p.severity is Severity.NOTICE]

    @property
    def ok(self) -> bool:
        return not self.errors

    def sorted(self) -> list[Problem]:
        unique = dict.fromkeys(self.problems)
        return sorted(unique, key=lambda p: (p.file, p.row or 0, p.field, p.code, p.value))

    def as_text(self) -> str:
        lines = [p.as_text() for p in self.sorted()]
        n_err, n_note = len(self.errors), len(self.notices)
        if n_err:
            lines.append(f"共发现 {n_err} 个错误、{n_note} 条提示。请逐条修改数据文件后重新运行。")
        else:
            lines.append(f"数据检查通过（{n_note} 条提示）。")
        return "\n".join(lines)

    def as_json(self, path=None) -> str:
        """``path``: where each problem's file is opened from (a function of its ``file``), given as ``path``."""
        return json.dumps(
            {
                "ok": self.ok,
                "errors": len(self.errors),
                "notices": len(self.notices),
                "problems": [p.as_dict() | ({"path": path(p.file)} if path else {}) for p in self.sorted()],
            },
            ensure_ascii=False,
            indent=2,
        )


class DataError(Exception):
    """Raised at the pipeline boundary when the data cannot be published; carries the full report."""

    def __init__(self, report: Report):
        super().__init__(f"{len(report.errors)} data errors")
        self.report = report
