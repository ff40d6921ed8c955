"""Start a new reporting year: a draft report skeleton, the departments carried over, empty tables with headers.

The skeleton is derived from ``schema.YearReport`` so every heading the year page needs is there, each
section holding one placeholder paragraph (the schema requires at least one) that staff replace.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import tempfile
import typing
from pathlib import Path

from annotated_types import MinLen

from . import dataset, excel, load, schema
from .problems import Report

PLACEHOLDER = schema.UNFINISHED
CARRIED_OVER = (schema.Department,)  # the list of budget units rarely changes from one year to the next
_PLAIN = re.compile(r"^[\w\u4e00-\u9fff（）〔〕《》、，。·\-]+$")


def _scalar(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return " " + (text if _PLAIN.match(text) and not text.isdigit() or isinstance(value, int)
                  else json.dumps(text, ensure_ascii=False))


def _comment(field) -> str:
    return f"  # {field.description}" if field.description else ""


def report_skeleton(year: int, region: str, publisher: str | None) -> str:
    """report.yaml for a new draft year, field by field in schema order, with each field's description."""
    values = {
        "year": year,
        "title": f"{region}{year}年度预算绩效管理工作开展情况",
        "region": region,
        "publisher": publisher,
        "status": schema.YearStatus.DRAFT.value,
    }
    lines = [
        f"# {region}{year}年度预算绩效管理工作开展情况（年度报告正文与汇总数）",
        f"# 由 python -m generator new-year {year} 生成。各部分的“{PLACEHOLDER}”请换成正文；",
        "# 正文中可用 {{编号}} 引用“汇总数”或“引用文件”中的数据。字段说明见网站“数据说明”页。",
        "# 全部填好并核对后，把“状态”改为“已发布”，网站上的“草稿”标记随之消失；",
        f"# 再运行 python -m generator freeze {year} 登记校验值，把数据文件夹中的 frozen.yaml 一起提交（否则 CI 不予发布）。",
    ]
    for attr, field in schema.YearReport.model_fields.items():
        alias = field.alias or attr
        annotation = field.annotation
        origin = typing.get_origin(annotation)
        if attr in values:
            lines.append(f"{alias}:{_scalar(values[attr])}{_comment(field)}")
        elif origin is list and any(isinstance(m, MinLen) for m in field.metadata):
            lines += ["", f"{alias}:{_comment(field)}", f"  - {PLACEHOLDER}"]
        elif origin is list:
            item = typing.get_args(annotation)[0]
            if isinstance(item, type) and issubclass(item, schema.Record):
                # The example is valid YAML once "[]" and the leading "#" are taken away, as the comment says.
                lines += ["", f"{alias}: []  # 有内容时删去“[]”，按下面的格式逐条填写（去掉行首的“#”，每条以“- ”开头）"]
                for i, f in enumerate(item.model_fields.values()):
                    lines.append(f"#  {'- ' if i == 0 else '  '}{f.alias}: …{_comment(f)}")
            else:
                lines += ["", f"{alias}: []{_comment(field)}"]
        elif isinstance(annotation, type) and issubclass(annotation, schema.Record):
            lines += ["", f"{alias}: {{}}  # 填写时删去“{{}}”，并去掉所填各行行首的“#”"]
            lines += [f"#  {f.alias}:{_comment(f)}" for f in annotation.model_fields.values()]
        else:
            lines.append(f"{alias}:{_comment(field)}")
    return "\n".join(lines) + "\n"


def _header_only(model: type[schema.Published]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([c.alias for c in excel.columns(model)])
    return buf.getvalue()


def _settings(data_dir: Path, report: Report) -> schema.SiteSettings | None:
    path = data_dir / dataset.SETTINGS_FILE
    if not path.exists():
        return None
    raw = load.read_yaml(path, f"{data_dir.name}/{dataset.SETTINGS_FILE}", report)
    return dataset.parse_document(raw, schema.SiteSettings, report) if raw is not None else None


def _previous_publisher(year_dir: Path | None) -> str | None:
    if year_dir is None or not (year_dir / schema.YearReport.FILE).exists():
        return None
    raw = load.read_yaml(year_dir / schema.YearReport.FILE, "", Report())
    if raw is None or not isinstance(raw.data, dict):
        return None
    value = raw.data.get(schema.YearReport.alias_of("publisher"))
    return value if isinstance(value, str) and value.strip() else None


def new_year(data_dir: Path, year: int) -> tuple[Report, list[Path]]:
    """Create data/<year>/ (written aside, then renamed into place); never touches an existing year."""
    report = Report()
    target = data_dir / str(year)
    name = f"{data_dir.name}/{year}"
    if not 2000 <= year <= 2100:
        report.error(name, None, "out-of-range", "年度", year, "年度应为四位数年份，例如 2024")
    elif target.exists():
        report.error(name, None, "year-exists", "年度", year,
                     f"{year} 年度已存在，不会覆盖；要修改请直接编辑其中的文件，已发布年度的更正请加“更正说明”")
    elif not data_dir.is_dir():
        report.error(str(data_dir), None, "file-missing", "", "", "数据目录不存在")
    if not report.ok:
        return report, []
    settings = _settings(data_dir, report)
    if not report.ok:
        return report, []
    years = sorted(int(p.name) for p in data_dir.iterdir() if p.is_dir() and dataset.YEAR_DIR.match(p.name))
    earlier = [y for y in years if y < year]
    previous = data_dir / str(earlier[-1]) if earlier else None
    region = settings.region if settings else "（地区）"
    publisher = _previous_publisher(previous) or (settings.host_org if settings else None)

    stage = Path(tempfile.mkdtemp(prefix=f".new-{year}-", dir=data_dir))
    try:
        (stage / schema.YearReport.FILE).write_text(report_skeleton(year, region, publisher), encoding="utf-8")
        for model in schema.TABLES:
            source = previous / model.FILE if previous and model in CARRIED_OVER else None
            if source is not None and source.exists():
                shutil.copyfile(source, stage / model.FILE)
            else:
                (stage / model.FILE).write_text(_header_only(model), encoding="utf-8")
        # The skeleton must pass validation as it stands, or the draft year would stop every build.
        check = Report()
        data = dataset.read_year(data_dir, stage, year, check)
        if data.report is None or not check.ok:
            report.extend(p for p in check.problems if p.severity.name == "ERROR")
            return report, []
        stage.chmod(0o755)
        stage.rename(target)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
    return report, sorted(target.iterdir())
