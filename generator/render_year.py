"""Contexts for a year: the report page (the yearly report's skeleton), the per-section record lists, and each
department's records of the year (``departments/<id>/<year>/``, linked from the department's page)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from markupsafe import Markup

from . import charts, links, opendata, schema
from .escape import md_text, safe_url
from .lifecycle import (
    DepartmentHistory,
    DepartmentYear,
    department_histories,
    project_slug,
    row_anchor,
)
from .model import (
    REPORT_SECTIONS,
    SECTIONS,
    SOURCE_SECTIONS,
    Archive,
    YearModel,
    is_overdue,
    measure_totals,
    status_shares,
    total_amount,
)
from .narrative import narrative
from .schema import RectificationStatus, Target
from .tables import Cell, Column, Table, fmt_money, link_cell

INLINE_MAX = 20  # a section lists its records inline up to this many; more go to the section's own pages
PAGE_ROWS = 200  # rows per list page: keeps every page well under 300 KB on a ten-year archive


@dataclass
class Section:
    title: str
    paragraphs: list[Markup]
    blocks: list[Table | Markup]  # tables and charts, in order


@dataclass
class YearPage:
    src: str
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
    downloads: str | None
    section_links: list[tuple[str, str, int]]

    def tables(self) -> list[Table]:
        blocks = [b for s in self.sections for b in s.blocks]
        return [self.metadata, *(b for b in blocks if isinstance(b, Table)), self.documents, self.figures, self.errata]


@dataclass
class ListPage:
    """A page of records (list.md.j2): a title, an intro with links back, blocks (tables, charts, Markdown
    headings as Markup) and optionally one filterable, paginated list."""

    src: str
    title: str
    intro: str | Markup
    back: list[tuple[str, str]]  # (label, Markdown link), shown after the intro
    blocks: list[Table | Markup]
    table: Table | None
    pager: list[tuple[str, str | None]] = field(default_factory=list)
    filters: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (label, data key, options)
    searchable: bool = True  # False: left out of the search index
    # A list on several pages: what a sort on one page leaves out, and the year's whole list as a file,
    # (text, file name, Markdown link).
    whole: tuple[str, str, str] | None = None

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)] + ([self.table] if self.table else [])



SECTION_FIGURES = {
    "绩效目标管理": ("goal_project_amount",),
    "事前绩效评估": ("exante_projects", "exante_departments"),
    "事后绩效评价": ("self_eval_units", "finance_eval_projects", "finance_eval_departments"),
}

# The unit of a row of the lists that can be narrowed to one unit (the rectification ledger has its own filters).
ROW_UNIT = {
    "projects": lambda p: p.department,
    "goals": lambda g: g.goal.department,
    "monitoring": lambda m: m.record.department,
    "evaluations": lambda e: e.record.department,
}

LIST_TITLES = {
    "projects": "项目",
    "goals": "绩效目标",
    "exante": "事前绩效评估",
    "monitoring": "绩效运行监控",
    "evaluations": "绩效评价",
    "rectifications": "整改台账",
    "applications": "绩效结果应用",
}


# --- record tables (shared by the year page, list pages, departments and projects) ------------


class Tables:
    """Builds the record tables of one year as seen from the page ``src`` (links are relative to it)."""

    def __init__(self, archive: Archive, y: YearModel, src: str):
        self.archive = archive
        self.y = y
        self.src = src

    def dept(self, name: str | None):
        if not name:
            return None
        slug = self.y.dept_slugs.get(name)
        return link_cell(name, links.href(self.src, links.department_page(slug))) if slug else name

    def project(self, code: str | None, label: str | None = None):
        """A link to the project's page, named (a bare 项目编码 tells a reader nothing) unless it has no public name."""
        if not code:
            return label
        name = label or self.y.project_name(code) or code
        return link_cell(name, links.href(self.src, links.project_page(project_slug(code))))

    def record(self, section: str, record_id: str) -> Cell | str:
        """A link to a record's row in this year's list; the bare ID for a record of another year (a year's pages
        are made from its own data alone)."""
        i = self.y.positions.get((section, record_id))
        if i is None:
            return record_id
        page = links.year_section(self.y.year, section, i // PAGE_ROWS + 1)
        return link_cell(record_id, links.href(self.src, page, row_anchor(section, record_id)))

    def source(self, r) -> Cell | str:
        """来源 of a rectification or application: its kind, and the record it came from where that has a list."""
        section = SOURCE_SECTIONS.get(r.source_kind)
        if not (section and r.source_id):
            return str(r.source_kind)
        return _joined(str(r.source_kind), " ", [self.record(section, r.source_id)])

    def follow_ups(self, section: str, record_id: str) -> Cell | None:
        """The rectifications and applications that name the record as their source, as links."""
        found = self.y.follow_ups.get((section, record_id))
        if not found:
            return None
        return _joined("", "", [self.record(SECTIONS[type(r)], r.id) for r in found], sep="、")

    def projects(self, rows, caption: str) -> Table:
        return Table(caption, [
            Column("项目编码"), Column("项目名称"), Column("主管部门"), Column("项目属性"), Column("预算类型"),
            Column("金额（万元）", "money")],
            [[p.code, self.project(p.code, p.name), self.dept(p.department), p.kind, p.budget_type, p.amount]
             for p in rows],
            {i for i, p in enumerate(rows) if p.sample}, row_ids=[row_anchor("projects", p.code) for p in rows])

    def goals(self, rows, caption: str) -> Table:
        return Table(caption, [
            Column("目标编号"), Column("对象"), Column("单位名称"), Column("年度目标", "long"),
            Column("年度资金总额（万元）", "money"), Column("本年财政拨款（万元）", "money"), Column("指标数", "number")],
            [[g.goal.id, self.project(g.goal.project) or g.goal.target, self.dept(g.goal.department),
              g.goal.annual_goal, g.goal.total_funds, g.goal.fiscal_funds, len(g.indicators)] for g in rows],
            {i for i, g in enumerate(rows) if g.goal.sample}, empty="本年度未公开逐项绩效目标明细。",
            row_ids=[row_anchor("goals", g.goal.id) for g in rows])

    def exante(self, rows, caption: str) -> Table:
        return Table(caption, [
            Column("项目名称"), Column("主管部门"), Column("评估机构"), Column("评估结论"),
            Column("申请金额（万元）", "money"), Column("建议金额（万元）", "money")],
            [[self.project(x.project, x.project_name) if x.project else x.project_name, self.dept(x.department),
              x.assessor, x.conclusion, x.requested, x.recommended] for x in rows],
            {i for i, x in enumerate(rows) if x.sample}, row_ids=[row_anchor("exante", x.id) for x in rows])

    def monitoring(self, rows, caption: str) -> Table:
        return Table(caption, [
            Column("监控编号"), Column("对象"), Column("单位名称"), Column("监控期间"),
            Column("全年预算数（万元）", "money"), Column("执行数（万元）", "money"), Column("执行率", "percent"),
            Column("偏差原因", "long"), Column("纠偏措施", "long")],
            [[m.record.id, self.project(m.record.project) or m.record.target, self.dept(m.record.department),
              m.record.period, m.record.budget, m.record.executed, m.record.execution_rate, m.record.deviation,
              m.record.corrective] for m in rows],
            {i for i, m in enumerate(rows) if m.record.sample}, empty="本年度未公开逐项监控明细。",
            row_ids=[row_anchor("monitoring", m.record.id) for m in rows])

    def evaluations(self, rows, caption: str) -> Table:
        return Table(caption, [
            Column("评价编号"), Column("评价类型"), Column("评价对象"), Column("单位名称"), Column("评价年度", "number"),
            Column("评价机构"), Column("得分", "number"), Column("等级"), Column("发现问题", "long"),
            Column("建议", "long"), Column("评价报告"), Column("整改与结果应用")],
            [[e.record.id, e.record.kind,
              self.project(e.record.project, e.record.subject) if e.record.project else
              (e.record.subject or e.record.target),
              self.dept(e.record.department), e.record.spending_year, e.record.evaluator, e.record.score,
              e.record.grade, e.record.findings, e.record.advice, report_link(e.record.report_url),
              self.follow_ups("evaluations", e.record.id)] for e in rows],
            {i for i, e in enumerate(rows) if e.record.sample}, empty="本年度未公开逐项评价明细。",
            row_ids=[row_anchor("evaluations", e.record.id) for e in rows])

    def rectifications(self, rows, caption: str) -> Table:
        as_of = self.archive.as_of
        return Table(caption, [
            Column("整改编号"), Column("问题", "long"), Column("整改要求", "long"), Column("来源"), Column("单位名称"),
            Column("项目"), Column("发现日期", "date"), Column("整改期限", "date"), Column("状态"),
            Column("完成日期", "date"), Column("逾期")],
            [[r.id, r.problem, r.requirement, self.source(r), self.dept(r.department), self.project(r.project),
              r.found_on, r.deadline, r.status, r.completed_on, "逾期" if is_overdue(r, as_of) else "否"]
             for r in rows],
            {i for i, r in enumerate(rows) if r.sample}, empty="本年度未公开逐项整改明细。",
            row_ids=[row_anchor("rectifications", r.id) for r in rows],
            row_attrs=[{"dept": r.department, "status": str(r.status),
                        "overdue": "逾期" if is_overdue(r, as_of) else "否"} for r in rows])

    def applications(self, rows, caption: str) -> Table:
        return Table(caption, [
            Column("应用编号"), Column("来源"), Column("措施"), Column("单位名称"), Column("项目"),
            Column("金额（万元）", "money"), Column("影响预算年度", "number"), Column("说明", "long")],
            [[a.id, self.source(a), a.measure, self.dept(a.department), self.project(a.project), a.amount, a.budget_year,
              a.description] for a in rows],
            {i for i, a in enumerate(rows) if a.sample}, row_ids=[row_anchor("applications", a.id) for a in rows])


def _joined(prefix: str, between: str, parts: list[Cell | str], sep: str = "") -> Cell:
    """One cell of text and links: ``prefix``, ``between``, then the parts joined by ``sep``."""
    html = Markup(sep).join(p.html if isinstance(p, Cell) else Markup.escape(p) for p in parts)
    text = sep.join(p.text if isinstance(p, Cell) else p for p in parts)
    return Cell(Markup.escape(prefix) + between + html, prefix + between + text)


def report_link(url: str | None) -> Cell | None:
    """A link to an evaluation report; the URL was validated at load and is checked again here."""
    href = safe_url(url) if url else None
    return link_cell("查看", href) if href else None


# --- summaries and charts -----------------------------------------------------------------------


def figures_table(y: YearModel, names: tuple[str, ...] | None, caption: str) -> Table:
    fields = schema.DeclaredFigures.model_fields
    aliases = {fields[n].alias for n in names} if names else None
    rows = []
    for f in y.figures:
        if aliases is not None and f.label not in aliases:
            continue
        value = fmt_money(f.value) if isinstance(f.value, Decimal) else str(f.value)
        rows.append([f.label, value, f.unit, y.figure_source(f.checked)])
    return Table(caption, [Column("项目"), Column("数值", "number"), Column("单位"), Column("来源与核对")], rows,
                 download=f"figures-{'-'.join(names) if names else 'all'}.csv".replace("_", "-"),
                 empty="本年度报告未申报汇总数。")


def budget_type_blocks(y: YearModel) -> list[Table | Markup]:
    groups = y.budget_types
    if not groups:
        return []
    table = Table(f"{y.year}年项目金额（按预算类型）", [
        Column("预算类型"), Column("项目数", "number"), Column("金额（万元）", "money"), Column("占比", "percent")],
        [[g.kind, g.count, g.amount, g.share] for g in groups],
        footer=["合计", len(y.projects), total_amount(y.projects), Decimal(100) if groups[0].share is not None else None],
        download="budget-types.csv")
    chart = charts.bar_chart(f"{y.year}年项目金额（按预算类型）", [str(g.kind) for g in groups],
                             [g.amount for g in groups], "万元")
    return [chart, table, *withheld_note(y, "projects", "项目")]


def grade_blocks(y: YearModel, bands: list[schema.GradeBand]) -> list[Table | Markup]:
    shares = y.grade_distribution([b.grade for b in bands])
    if not any(s.count for s in shares):
        return []
    table = Table(f"{y.year}年绩效评价等级分布", [Column("等级"), Column("数量", "number"), Column("占比", "percent")],
                  [[s.label, s.count, s.percent] for s in shares],
                  footer=["合计", sum(s.count for s in shares), sum(s.percent for s in shares)],
                  download="grades.csv")
    return [charts.share_chart(f"{y.year}年绩效评价等级分布", shares), table, grade_scale_note(bands)]


def grade_scale_note(bands: list[schema.GradeBand]) -> Markup:
    """The bands the grades above were given by, in words: counties set their own (one used 中 = 70–80), and a reader
    comparing grades across counties or years needs to know which."""
    parts = []
    for i, band in enumerate(bands):
        low, high = format(band.lower.normalize(), "f"), format(bands[i - 1].lower.normalize(), "f") if i else None
        if high is None:
            parts.append(f"{band.grade} {low} 分及以上")
        elif band.lower > 0:
            parts.append(f"{band.grade} {low} 分及以上、不足 {high} 分")
        else:
            parts.append(f"{band.grade} 不足 {high} 分")
    return Markup('<p class="jx-note">等级按本年度口径划分：{}。</p>').format("；".join(parts))


def execution_blocks(y: YearModel) -> list[Table | Markup]:
    rows = y.execution
    if not rows:
        return []
    title = f"{y.year}年各单位监控期预算执行率"
    chart = charts.bar_chart(title, [r.department for r in rows], [r.rate for r in rows], "%", max_value=Decimal(100))
    table = Table(title, [
        Column("单位名称"), Column("口径"), Column("全年预算数（万元）", "money"), Column("执行数（万元）", "money"),
        Column("执行率", "percent")], [[r.department, r.basis, r.budget, r.executed, r.rate] for r in rows],
        download="execution.csv")
    return [chart, table]


def rectification_blocks(y: YearModel) -> list[Table | Markup]:
    if not y.rectifications:
        return []
    shares = status_shares(y.rectifications)
    table = Table(f"{y.year}年整改状态", [Column("状态"), Column("数量", "number"), Column("占比", "percent")],
                  [[s.label, s.count, s.percent] for s in shares],
                  footer=["合计", sum(s.count for s in shares), sum(s.percent for s in shares)],
                  download="rectification-status.csv")
    return [charts.share_chart(f"{y.year}年整改状态", shares), table, *withheld_note(y, "rectifications", "整改记录")]


# How a withheld note names each kind of record.
WITHHELD_WHAT = {"projects": "项目", "goals": "绩效目标", "exante": "事前评估记录", "monitoring": "监控记录",
                 "evaluations": "评价记录", "rectifications": "整改记录", "applications": "结果应用记录"}


def withheld_note(y: YearModel, section: str, what: str) -> list[Markup]:
    """Said next to a table's 合计 when records of its kind are withheld: the report's own figures (the prose)
    count them, so the two would otherwise disagree before the reader's eyes with no reason given."""
    n = y.withheld_of.get(section, 0)
    if not n:
        return []
    return [Markup('<p class="jx-note">另有 {} 条{}按规定不公开，未列入本表；报告正文中的数字按全部记录统计。</p>')
            .format(n, what)]


def application_totals(rows) -> Table:
    groups = measure_totals(rows)
    amounts = [g.amount for g in groups if g.amount is not None]
    return Table("结果应用汇总（按措施）", [Column("措施"), Column("条数", "number"), Column("金额（万元）", "money")],
                 [[g.kind, g.count, g.amount] for g in groups],
                 footer=["合计", len(rows), sum(amounts, Decimal("0.00")) if amounts else None],
                 download="application-totals.csv")


# --- pages --------------------------------------------------------------------------------------


def _section_rows(y: YearModel) -> dict[str, list]:
    return {"projects": y.projects, "goals": y.goals, "exante": y.exante, "monitoring": y.monitoring,
            "evaluations": y.evaluations, "rectifications": y.rectifications, "applications": y.applications}


def _inline_or_link(t: Tables, y: YearModel, section: str, caption: str) -> list[Table | Markup]:
    rows = _section_rows(y)[section]
    if not rows:
        return [getattr(t, section)(rows, caption)] if section in ("goals", "monitoring", "evaluations",
                                                                          "rectifications") else []
    if len(rows) <= INLINE_MAX:
        table = getattr(t, section)(rows, caption)
        table.row_ids = None  # the section's list page carries the anchors; ids must be unique per site page
        table.download = f"{section}.csv"
        # The list page also has the filters (the 整改台账's by unit and status) and is where other pages link.
        url = links.href(t.src, links.year_section(y.year, section))
        more = Markup('<p class="jx-more"><a href="{}">{}页面</a></p>').format(url, LIST_TITLES[section])
        notes = [] if section in ("projects", "rectifications") else withheld_note(y, section, WITHHELD_WHAT[section])
        return [table, *notes, more]
    url = links.href(t.src, links.year_section(y.year, section))
    return [Markup('<p class="jx-more"><a href="{}">查看全部 {} 条{}记录</a></p>').format(url, len(rows),
                                                                                       LIST_TITLES[section])]


def section_blocks(archive: Archive, y: YearModel, key: str, t: Tables) -> list[Table | Markup]:
    blocks: list[Table | Markup] = []
    if key in SECTION_FIGURES:
        figures = figures_table(y, SECTION_FIGURES[key], f"{y.year}年{key}汇总数")
        if figures.rows:  # (a section whose figures the report does not declare: its records speak for it)
            blocks.append(figures)
    if key == "绩效目标管理":
        blocks += budget_type_blocks(y)
        blocks += _inline_or_link(t, y, "goals", f"{y.year}年绩效目标")
    elif key == "事前绩效评估":
        blocks += _inline_or_link(t, y, "exante", f"{y.year}年事前绩效评估项目")
    elif key == "事中绩效监控":
        blocks += execution_blocks(y)
        blocks += _inline_or_link(t, y, "monitoring", f"{y.year}年绩效运行监控")
    elif key == "事后绩效评价":
        blocks += grade_blocks(y, archive.grade_bands_of(y.year))
        blocks += _inline_or_link(t, y, "evaluations", f"{y.year}年绩效评价")
        if y.report.finance_eval_fund_types:
            blocks.append(Table(f"{y.year}年财政重点评价涉及的资金类型（报告列举）", [Column("资金类型")],
                                [[k] for k in y.report.finance_eval_fund_types], download="fund-types.csv"))
    elif key == "绩效结果应用":
        if len(y.applications) > INLINE_MAX:
            blocks.append(application_totals(y.applications))
        blocks += _inline_or_link(t, y, "applications", f"{y.year}年绩效结果应用")
        blocks += rectification_blocks(y)
        blocks += _inline_or_link(t, y, "rectifications", f"{y.year}年整改情况")
    return blocks


def year_page(archive: Archive, y: YearModel) -> YearPage:
    rep = y.report
    src = links.year_page(y.year)
    t = Tables(archive, y, src)
    metadata = Table(
        "公开信息", [Column("索引号"), Column("发布机构"), Column("文号"), Column("成文日期", "date"),
                     Column("发布日期", "date")],
        [[rep.index_no, rep.publisher, rep.doc_no, rep.written_on, rep.published_on]], download="metadata.csv")
    sections = [
        Section(f"{i}. {title}", [narrative(p, rep, y.counted) for p in getattr(rep, attr)], section_blocks(archive, y, title, t))
        for i, (title, attr) in enumerate(REPORT_SECTIONS, start=1)
    ]
    documents = Table("引用文件", [Column("文件名称"), Column("文号"), Column("发文机关")],
                      [[f"《{d.title}》", d.number, d.issuer] for d in rep.documents], download="documents.csv")
    errata = Table("更正说明", [Column("日期", "date"), Column("说明", "long"), Column("变更内容", "long")],
                   [[e.on, e.description, e.changes] for e in rep.errata], empty="本年度公开内容无更正。",
                   download="errata.csv")
    section_links = [(LIST_TITLES[k], links.md_link(src, links.year_section(y.year, k)), len(rows))
                     for k, rows in _section_rows(y).items() if len(rows) > INLINE_MAX]
    return YearPage(
        # A draft says so in its title too: browser tabs, search results and bookmarks show the title alone.
        src=src, year=y, title=rep.title + ("（草稿）" if not y.published else ""), metadata=metadata,
        draft=not y.published,
        preface=narrative(rep.preface, rep, y.counted) if rep.preface else None,
        overview=[narrative(p, rep, y.counted) for p in rep.overview],
        sections=sections,
        problems=[(i.title, narrative(i.body, rep, y.counted)) for i in rep.problems],
        plans=[(i.title, narrative(i.body, rep, y.counted)) for i in rep.plans],
        documents=documents,
        figures=figures_table(y, None, f"{y.year}年报告汇总数"),
        errata=errata,
        notes=rep.data_notes + ([f"本年度有 {y.withheld} 条记录按规定不公开（"
                                  + "、".join(f"{kind} {n} 条" for kind, n in y.withheld_kinds.items())
                                  + "），未列入本站的表格、图表与下载；报告申报的汇总数按全部记录核对。"]
                                 if y.withheld else []),
        has_sample=y.has_sample,
        downloads=links.md_link(src, links.OPEN_DATA),
        section_links=section_links,
    )


def _list_filters(archive: Archive, y: YearModel, section: str, rows: list) -> list[tuple[str, str, list[str]]]:
    """A list's filters (label, data key, options), the same on each of its pages: the options are those of the
    whole year (?dept=… in a link works on every page, showing none where none is)."""
    if section == "rectifications":
        return [("单位", "dept", sorted({r.department for r in rows})),
                ("状态", "status", [str(s) for s in RectificationStatus]),
                ("逾期", "overdue", ["逾期", "否"])]
    if section not in ROW_UNIT:
        return []
    filters = [("单位", "dept", sorted({u for r in rows if (u := ROW_UNIT[section](r))}))]
    if section == "evaluations":
        given = {e.record.grade for e in rows if e.record.grade}
        bands = [b.grade for b in archive.grade_bands_of(y.year)]
        filters.append(("等级", "grade", [g for g in bands if g in given] + sorted(given - set(bands))))
    return filters


def list_pages(archive: Archive, y: YearModel,
               departments: dict[str, DepartmentHistory] | None = None) -> list[ListPage]:
    """The year's record lists, 200 rows a page, and its department-year pages (``departments``: the archive's
    department histories, when the caller has them already). Every record has its row (and anchor) in a list, so
    lifecycle and department pages can link to it; the year page lists small sections inline as well."""
    pages = []
    for section, rows in _section_rows(y).items():
        if not rows:
            continue
        chunks = [rows[i:i + PAGE_ROWS] for i in range(0, len(rows), PAGE_ROWS)]
        srcs = [links.year_section(y.year, section, n) for n in range(1, len(chunks) + 1)]
        filters = _list_filters(archive, y, section, rows)
        for n, chunk in enumerate(chunks, start=1):
            src = srcs[n - 1]
            t = Tables(archive, y, src)
            # A draft's lists say so in their titles too: search results and browser tabs show the title alone.
            title = (f"{y.year}年{LIST_TITLES[section]}" + ("" if y.published else "（草稿）")
                     + (f"（第{n}页）" if len(chunks) > 1 else ""))
            table = getattr(t, section)(chunk, title)
            table.download = f"{section}-{n}.csv"
            # Records with a project or department are indexed on those pages; a list page repeats them. Not the
            # ledger of rectifications: one of a unit, not a project, is on no indexed page but this one (a unit's
            # year pages are left out of search), and a reviewer looks up a cited 整改编号.
            table.searchable = section in ("exante", "applications", "rectifications")
            blocks: list[Table | Markup] = []
            if section == "rectifications" and n == 1:
                blocks = rectification_blocks(y)  # (with the note on withheld records)
            elif n == 1:
                blocks = withheld_note(y, section, WITHHELD_WHAT[section])
            if section in ROW_UNIT:
                # A reviewer reads one unit's records of a long list, or one grade's evaluations.
                attrs = [{"dept": ROW_UNIT[section](r) or ""} for r in chunk]
                if section == "evaluations":
                    for a, e in zip(attrs, chunk, strict=True):
                        a["grade"] = e.record.grade or ""
                table.row_attrs = attrs
            if section == "evaluations" and n == 1:
                blocks = grade_blocks(y, archive.grade_bands_of(y.year)) + blocks
            if section == "applications" and n == 1:
                blocks = [application_totals(rows), *blocks]
            pager = [(str(k), links.md_link(src, s) if k != n else None) for k, s in enumerate(srcs, start=1)]
            intro = (("" if y.published else f"{y.year} 年度报告尚未正式发布（草稿），以下内容可能变动。")
                     + f"共 {len(rows)} 条，本页第 {(n - 1) * PAGE_ROWS + 1}–{(n - 1) * PAGE_ROWS + len(chunk)} 条。")
            back = [(f"{y.year}年度报告" + ("" if y.published else "（草稿）"),
                     links.md_link(src, links.year_page(y.year)))]
            whole = None
            if len(chunks) > 1:
                name = opendata.csv_name(str(y.year), section)  # (its sheet is named as the section)
                whole = (f"本表分 {len(chunks)} 页，点击表头排序、筛选只作用于本页；全年 {len(rows)} 条在一个文件中：",
                         name, links.md_link(src, f"{links.year_data_dir(y.year)}/{name}"))
            pages.append(ListPage(src, title, intro, back, blocks, table, pager if len(chunks) > 1 else [], filters,
                                  whole=whole))
    return pages + department_year_pages(archive, y, departments)


# --- a department's year ----------------------------------------------------------------------------------
# The department page (render_entities.department_page) shows every year side by side and what spans years (its
# projects, unfinished rectifications); each year's records are on a page of their own, so the department page
# stays small however many years are published, and a reviewer reads one year's records together.


def department_year_src(slug: str, year: int) -> str:
    return f"departments/{slug}/{year}.md"


def department_year_pages(archive: Archive, y: YearModel,
                          departments: dict[str, DepartmentHistory] | None = None) -> list[ListPage]:
    pages = []
    for d in (departments if departments is not None else department_histories(archive)).values():
        dy = next((dy for dy in d.years if dy.year == y.year), None)
        if dy is not None and d.slug:
            pages.append(department_year_page(archive, y, d, dy))
    return pages


def _none(dy: DepartmentYear, kind: str, what: str) -> str:
    """An empty list's text: none this year, or a year whose report gave no such records at all."""
    return f"本年度该单位无{what}记录。" if kind in dy.provided else f"本年度未公开逐项{what}明细。"


def department_year_page(archive: Archive, y: YearModel, d: DepartmentHistory, dy: DepartmentYear) -> ListPage:
    src = department_year_src(d.slug, y.year)
    t = Tables(archive, y, src)
    base = f"{d.slug}-{y.year}"
    as_of = archive.as_of
    projects = Table(f"{y.year}年项目", [Column("项目名称"), Column("项目编码"), Column("项目属性"), Column("预算类型"),
                                       Column("金额（万元）", "money")],
                     [[t.project(p.code, p.name), p.code, p.kind, p.budget_type, p.amount] for p in dy.projects],
                     {i for i, p in enumerate(dy.projects) if p.sample}, empty=_none(dy, "projects", "项目"),
                     download=f"{base}-projects.csv")
    exante = Table(f"{y.year}年事前绩效评估", [Column("项目"), Column("评估机构"), Column("评估结论"),
                                           Column("申请金额（万元）", "money"), Column("建议金额（万元）", "money")],
                   [[t.project(x.project, x.project_name) if x.project else x.project_name, x.assessor, x.conclusion,
                     x.requested, x.recommended] for x in dy.exante],
                   empty=("本年度的事前绩效评估记录未逐项写明主管部门，见年度报告。"
                          if "exante" in y.unassigned else _none(dy, "exante", "事前评估")),
                   download=f"{base}-exante.csv")
    evaluations = Table(f"{y.year}年绩效评价", [Column("评价编号"), Column("评价类型"), Column("评价对象"),
                                            Column("评价年度", "number"), Column("得分", "number"), Column("等级"),
                                            Column("整改与结果应用")],
                        [[t.record("evaluations", e.record.id), e.record.kind,
                          t.project(e.record.project, e.record.subject) if e.record.project
                          else (e.record.subject or e.record.target),
                          e.record.spending_year, e.record.score, e.record.grade,
                          t.follow_ups("evaluations", e.record.id)] for e in dy.evaluations],
                        empty=_none(dy, "evaluations", "评价"), download=f"{base}-evaluations.csv")
    rectifications = Table(f"{y.year}年整改", [Column("整改编号"), Column("问题", "long"), Column("整改要求", "long"),
                                             Column("来源"), Column("项目"), Column("整改期限", "date"),
                                             Column("状态"), Column("完成日期", "date"), Column("逾期")],
                           [[t.record("rectifications", r.id), r.problem, r.requirement, t.source(r),
                             t.project(r.project), r.deadline, r.status, r.completed_on,
                             "逾期" if is_overdue(r, as_of) else "否"] for r in dy.rectifications],
                           empty=_none(dy, "rectifications", "整改"), download=f"{base}-rectifications.csv")
    applications = Table(f"{y.year}年结果应用（对预算的影响）", [
        Column("来源"), Column("措施"), Column("项目"), Column("金额（万元）", "money"), Column("影响预算年度", "number"),
        Column("说明", "long")],
        [[t.source(a), a.measure, t.project(a.project), a.amount, a.budget_year, a.description]
         for a in dy.applications],
        empty=("本年度的结果应用记录未逐项写明单位，见年度报告。" if "applications" in y.unassigned
               else _none(dy, "applications", "结果应用")), download=f"{base}-applications.csv")
    # The unit's own goal and monitoring (部门整体); its projects' are on their project pages.
    own_goals = [g for g in dy.goals if g.goal.target is Target.DEPARTMENT]
    own_monitoring = [m for m in dy.monitoring if m.record.target is Target.DEPARTMENT]
    goals = Table(f"{y.year}年单位整体绩效目标", [Column("目标编号"), Column("年度目标", "long"),
                                               Column("年度资金总额（万元）", "money"), Column("指标数", "number")],
                  [[t.record("goals", g.goal.id), g.goal.annual_goal, g.goal.total_funds, len(g.indicators)]
                   for g in own_goals],
                  empty=_none(dy, "goals", "单位整体绩效目标"), download=f"{base}-goals.csv")
    monitoring = Table(f"{y.year}年单位整体绩效监控", [
        Column("监控编号"), Column("监控期间"), Column("全年预算数（万元）", "money"), Column("执行数（万元）", "money"),
        Column("执行率", "percent"), Column("偏差原因", "long"), Column("纠偏措施", "long")],
        [[t.record("monitoring", m.record.id), m.record.period, m.record.budget, m.record.executed,
          m.record.execution_rate, m.record.deviation, m.record.corrective] for m in own_monitoring],
        empty=_none(dy, "monitoring", "单位整体监控"), download=f"{base}-monitoring.csv")
    blocks: list[Table | Markup] = []
    if dy.mentions:
        # What the report itself says of the unit: for a unit a report names without records of its own (the units
        # of a pilot), the only thing the site can show.
        blocks += [Markup("## 年度报告中提及本单位"),
                   Markup("\n").join(Markup("- **{}**：{}").format(part, narrative(text, y.report, y.counted))
                                     for part, text in dy.mentions)]
    for heading, table in (("项目", projects), ("单位整体绩效目标", goals), ("单位整体绩效监控", monitoring),
                           ("事前绩效评估", exante), ("绩效评价", evaluations), ("整改", rectifications),
                           ("结果应用", applications)):
        blocks += [Markup(f"## {heading}"), table]
        if heading == "项目" and dy.implemented:
            # Under another unit's responsibility: listed here, counted there (its 主管部门's figures hold them).
            implemented = Table(f"{y.year}年由本单位实施的项目（主管部门为其他单位）", [
                Column("项目名称"), Column("项目编码"), Column("主管部门"), Column("金额（万元）", "money")],
                [[t.project(p.code, p.name), p.code, t.dept(p.department), p.amount] for p in dy.implemented],
                {i for i, p in enumerate(dy.implemented) if p.sample}, download=f"{base}-implemented.csv")
            blocks.append(implemented)
    code = Markup("单位编码：{}。").format(md_text(d.code)) if d.code else ""
    draft = "" if y.published else "（草稿）"
    intro = Markup("{}本页列出该单位{}年度公开的项目、单位整体的绩效目标与监控、事前绩效评估、绩效评价、整改与结果应用"
                   "（项目的绩效目标与监控见各项目页面）；各年数字的对比见单位页面。{}").format(
        code, y.year, "" if y.published else f"{y.year} 年度报告尚未正式发布（草稿），以下内容可能变动。")
    back = [(Markup("{}（历年）").format(md_text(d.name)), links.md_link(src, links.department_page(d.slug))),
            (f"{y.year}年度报告{draft}", links.md_link(src, links.year_page(y.year)))]
    # Not searched: its records are found on the year's lists and project pages, the unit on its own page (which
    # links every year). Indexed, ten years of these pages came before the unit's own page for its name, and before
    # the year's lists for 绩效评价 or 整改 (headings of every one of them).
    return ListPage(src, f"{dy.name or d.name} {y.year}年度{draft}", intro, back, blocks, None, searchable=False)
