"""Render the model into Markdown pages under ``generated/``: one typed context per page, Jinja templates.

Every value a template prints goes through ``finalize``: data text is escaped for Markdown and HTML unless a
helper here already built it as ``Markup``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from . import checks, schema
from .escape import md_text, safe_title
from .model import Archive, YearModel
from .schema import Document
from .tables import BLANK, Column, Table, fmt_money, plain

GENERATED = "generated"
CN_NUMERALS = "一二三四五六七八九十"


def finalize(value: object) -> object:
    if isinstance(value, Markup):
        return value
    if value is None or value == "":
        return BLANK
    if isinstance(value, bool | int):
        return plain(value)
    if isinstance(value, Decimal | date | Enum):
        return md_text(plain(value))
    return md_text(value)


def cn_ordinal(n: int) -> str:
    return CN_NUMERALS[n - 1] if 1 <= n <= 10 else str(n)


def narrative(text: str, rep: schema.YearReport) -> Markup:
    """A paragraph of the report with {{…}} replaced by the declared figure or cited document it names."""
    values = checks.placeholder_values(rep)
    out = []
    pos = 0
    for m in checks.PLACEHOLDER.finditer(text):
        out.append(md_text(text[pos:m.start()]) if m.start() > pos else Markup(""))
        out.append(_placeholder(values[m.group(1)]))
        pos = m.end()
    out.append(md_text(text[pos:]))
    return Markup("").join(out)


def _placeholder(value: object) -> Markup:
    if isinstance(value, Document):
        cited = f"《{value.title}》" + (f"（{value.number}）" if value.number else "")
        return Markup('<span class="jx-doc">{}</span>').format(md_text(cited))
    if isinstance(value, Decimal):
        return Markup('<span class="jx-fig">{}</span>').format(fmt_money(value))
    return Markup('<span class="jx-fig">{}</span>').format(str(value))


def front_matter(title: str, **extra: object) -> Markup:
    meta = {"title": safe_title(title), **extra}
    lines = ["---", *(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in meta.items()), "---", ""]
    return Markup("\n".join(lines))


def make_env() -> Environment:
    env = Environment(
        loader=PackageLoader("generator", "templates"),
        autoescape=False,
        finalize=finalize,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cn"] = cn_ordinal
    env.filters["money"] = lambda v: Markup(fmt_money(v))
    env.globals["front_matter"] = front_matter
    return env


# --- page contexts --------------------------------------------------------------------------


@dataclass
class YearLink:
    year: int
    title: str
    href: str
    published_on: date | None
    status: str


@dataclass
class HomePage:
    site_name: str
    region: str
    latest: YearLink | None
    years: list[YearLink]
    figures: list[tuple[str, str]]


@dataclass
class ArchivePage:
    years: list[YearLink]


@dataclass
class Section:
    title: str
    paragraphs: list[Markup]
    tables: list[Table]
    notes: list[str]


@dataclass
class YearPage:
    year: YearModel
    title: str
    metadata: Table
    draft: bool
    preface: Markup | None
    overview: list[Markup]
    sections: list[Section]
    problems: list[tuple[str, Markup]]
    plans: list[tuple[str, Markup]]
    documents: Table
    figures: Table
    errata: Table
    notes: list[str]
    has_sample: bool


@dataclass
class DictionaryFile:
    file: str
    title: str
    table: Table


@dataclass
class DictionaryPage:
    files: list[DictionaryFile]
    rules: Table


# --- building contexts ----------------------------------------------------------------------


def year_href(year: int, from_dir: str = "") -> str:
    return f"{from_dir}{year}/index.md"


def year_links(archive: Archive, from_dir: str = "") -> list[YearLink]:
    return [
        YearLink(y.year, y.report.title, year_href(y.year, from_dir), y.report.published_on, str(y.report.status))
        for y in archive.years
    ]


def home_page(archive: Archive) -> HomePage:
    links = year_links(archive)
    latest = archive.latest
    latest_link = next((link for link in links if latest and link.year == latest.year), None)
    figures = []
    if latest:
        figures = [(f.label, fmt_money(f.value) + f.unit if isinstance(f.value, Decimal) else f"{f.value}{f.unit}")
                   for f in latest.figures]
    return HomePage(archive.settings.site_name, archive.settings.region, latest_link, links, figures)


SECTION_FIGURES = {
    "绩效目标管理": ("goal_project_amount",),
    "事前绩效评估": ("exante_projects", "exante_departments"),
    "事后绩效评价": ("self_eval_units", "finance_eval_projects", "finance_eval_departments"),
}


def figures_table(y: YearModel, names: tuple[str, ...] | None, caption: str) -> Table:
    fields = schema.DeclaredFigures.model_fields
    aliases = {fields[n].alias for n in names} if names else None
    rows = []
    for f in y.figures:
        if aliases is not None and f.label not in aliases:
            continue
        value = fmt_money(f.value) if isinstance(f.value, Decimal) else str(f.value)
        rows.append([f.label, value, f.unit, "已与明细记录核对一致" if f.checked else "报告申报的合计数（无逐项明细）"])
    return Table(caption, [Column("项目"), Column("数值", "number"), Column("单位"), Column("来源与核对")], rows)


def section_tables(y: YearModel, key: str) -> list[Table]:
    tables: list[Table] = []
    if key in SECTION_FIGURES:
        tables.append(figures_table(y, SECTION_FIGURES[key], f"{y.year}年{key}汇总数"))
    if key == "绩效目标管理":
        rows, samples = [], set()
        for i, g in enumerate(y.goals):
            rows.append([g.goal.id, g.goal.target, g.goal.project, g.goal.department, g.goal.annual_goal,
                         g.goal.total_funds, len(g.indicators)])
            if g.goal.sample:
                samples.add(i)
        tables.append(Table(f"{y.year}年绩效目标", [
            Column("目标编号"), Column("对象类型"), Column("项目编码"), Column("单位名称"), Column("年度目标", "long"),
            Column("年度资金总额（万元）", "money"), Column("指标数", "number")], rows, samples,
            empty="本年度未公开逐项绩效目标明细。"))
    elif key == "事前绩效评估":
        rows = [[x.project_name, x.department, x.assessor, x.conclusion, x.requested, x.recommended]
                for x in y.exante]
        tables.append(Table(f"{y.year}年事前绩效评估项目", [
            Column("项目名称"), Column("主管部门"), Column("评估机构"), Column("评估结论"),
            Column("申请金额（万元）", "money"), Column("建议金额（万元）", "money")], rows,
            {i for i, x in enumerate(y.exante) if x.sample}))
    elif key == "事中绩效监控":
        rows = [[m.record.id, m.record.target, m.record.project, m.record.department, m.record.period,
                 m.record.budget, m.record.executed, m.record.execution_rate, m.record.corrective]
                for m in y.monitoring]
        tables.append(Table(f"{y.year}年绩效运行监控", [
            Column("监控编号"), Column("对象类型"), Column("项目编码"), Column("单位名称"), Column("监控期间"),
            Column("全年预算数（万元）", "money"), Column("执行数（万元）", "money"), Column("执行率", "percent"),
            Column("纠偏措施", "long")], rows, {i for i, m in enumerate(y.monitoring) if m.record.sample},
            empty="本年度未公开逐项监控明细。"))
    elif key == "事后绩效评价":
        rows = [[e.record.id, e.record.kind, e.record.target, e.record.subject or e.record.project,
                 e.record.department, e.record.spending_year, e.record.evaluator, e.record.score, e.record.grade]
                for e in y.evaluations]
        tables.append(Table(f"{y.year}年绩效评价", [
            Column("评价编号"), Column("评价类型"), Column("对象类型"), Column("评价对象"), Column("单位名称"),
            Column("评价年度", "number"), Column("评价机构"), Column("得分", "number"), Column("等级")], rows,
            {i for i, e in enumerate(y.evaluations) if e.record.sample}, empty="本年度未公开逐项评价明细。"))
        if y.report.finance_eval_fund_types:
            tables.append(Table(f"{y.year}年财政重点评价涉及的资金类型", [Column("资金类型")],
                                [[t] for t in y.report.finance_eval_fund_types]))
    elif key == "绩效结果应用":
        rows = [[a.source_kind, a.measure, a.department, a.project, a.amount, a.budget_year, a.description]
                for a in y.applications]
        tables.append(Table(f"{y.year}年绩效结果应用", [
            Column("来源"), Column("措施"), Column("单位名称"), Column("项目编码"), Column("金额（万元）", "money"),
            Column("影响预算年度", "number"), Column("说明", "long")], rows,
            {i for i, a in enumerate(y.applications) if a.sample}))
        rows = [[r.problem, r.source_kind, r.department, r.deadline, r.status, r.completed_on]
                for r in y.rectifications]
        tables.append(Table(f"{y.year}年整改情况", [
            Column("问题", "long"), Column("来源"), Column("单位名称"), Column("整改期限", "date"), Column("状态"),
            Column("完成日期", "date")], rows, {i for i, r in enumerate(y.rectifications) if r.sample},
            empty="本年度未公开逐项整改明细。"))
    return tables


SECTION_KEYS = (
    ("绩效目标管理", "goals"),
    ("事前绩效评估", "exante"),
    ("事中绩效监控", "monitoring"),
    ("事后绩效评价", "evaluation"),
    ("绩效结果应用", "application"),
)


def year_page(y: YearModel) -> YearPage:
    rep = y.report
    metadata = Table(
        "公开信息", [Column("索引号"), Column("发布机构"), Column("文号"), Column("成文日期", "date"),
                     Column("发布日期", "date")],
        [[rep.index_no, rep.publisher, rep.doc_no, rep.written_on, rep.published_on]])
    sections = [
        Section(f"{i}. {title}", [narrative(p, rep) for p in getattr(rep, attr)], section_tables(y, title), [])
        for i, (title, attr) in enumerate(SECTION_KEYS, start=1)
    ]
    documents = Table("引用文件", [Column("文件名称"), Column("文号"), Column("发文机关")],
                      [[f"《{d.title}》", d.number, d.issuer] for d in rep.documents])
    errata = Table("更正说明", [Column("日期", "date"), Column("说明", "long"), Column("变更内容", "long")],
                   [[e.on, e.description, e.changes] for e in rep.errata], empty="本年度公开内容无更正。")
    return YearPage(
        year=y,
        title=rep.title,
        metadata=metadata,
        draft=not y.published,
        preface=narrative(rep.preface, rep) if rep.preface else None,
        overview=[narrative(p, rep) for p in rep.overview],
        sections=sections,
        problems=[(i.title, narrative(i.body, rep)) for i in rep.problems],
        plans=[(i.title, narrative(i.body, rep)) for i in rep.plans],
        documents=documents,
        figures=figures_table(y, None, f"{y.year}年报告汇总数"),
        errata=errata,
        notes=rep.data_notes,
        has_sample=y.has_sample,
    )


def dictionary_page() -> DictionaryPage:
    files = []
    columns = [Column("字段"), Column("必填"), Column("类型与格式"), Column("说明", "long"), Column("公开")]

    def table_for(model: type[schema.Record], caption: str) -> Table:
        rows = [[r["name"], r["required"], r["type"], r["description"], r["public"]]
                for r in schema.field_rows(model)]
        return Table(caption, columns, rows)

    files.append(DictionaryFile("data/settings.yaml", schema.SiteSettings.TITLE,
                                table_for(schema.SiteSettings, "站点设置字段")))
    files.append(DictionaryFile("data/<年度>/report.yaml", schema.YearReport.TITLE,
                                table_for(schema.YearReport, "年度报告字段")))
    for sub, caption in ((schema.DeclaredFigures, "汇总数"), (schema.Document, "引用文件"),
                         (schema.Item, "存在的问题 / 下一步工作打算"), (schema.Erratum, "更正说明"),
                         (schema.GradeBand, "等级划分")):
        files.append(DictionaryFile(f"（{caption}的每一项）", caption, table_for(sub, f"{caption}字段")))
    for model in schema.TABLES:
        files.append(DictionaryFile(f"data/<年度>/{model.FILE}", model.TITLE, table_for(model, f"{model.TITLE}字段")))
    rules = Table("校验规则", [Column("错误代码"), Column("规则", "long"), Column("依据", "long")],
                  [[r.code, r.description, r.source] for r in checks.RULES])
    return DictionaryPage(files, rules)


# --- writing --------------------------------------------------------------------------------


def render_site(archive: Archive, out: Path) -> list[Path]:
    """Write every generated page under ``out`` (the ``generated`` folder); returns the files written."""
    env = make_env()
    pages: dict[str, str] = {
        "index.md": env.get_template("home.md.j2").render(page=home_page(archive)),
        "archive.md": env.get_template("archive.md.j2").render(page=ArchivePage(year_links(archive, ""))),
        "data-dictionary.md": env.get_template("dictionary.md.j2").render(page=dictionary_page()),
    }
    for y in archive.years:
        pages[f"{y.year}/index.md"] = env.get_template("year.md.j2").render(page=year_page(y))
    nav = [
        {"首页": f"{GENERATED}/index.md"},
        {"历年公开": [{"历年公开一览": f"{GENERATED}/archive.md"},
                      *({f"{y.year}年度" + ("（草稿）" if not y.published else ""): f"{GENERATED}/{y.year}/index.md"}
                        for y in archive.years)]},
        {"数据说明": f"{GENERATED}/data-dictionary.md"},
        {"关于本站": "about.md"},
    ]
    pages["nav.json"] = json.dumps(nav, ensure_ascii=False, indent=1) + "\n"
    written = []
    for rel, text in sorted(pages.items()):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_tidy(text), encoding="utf-8")
        written.append(path)
    return written


_BLANK_RUNS = re.compile(r"\n{3,}")


def _tidy(text: str) -> str:
    return _BLANK_RUNS.sub("\n\n", text).rstrip("\n") + "\n"

