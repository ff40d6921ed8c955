"""Contexts for the cross-year pages: departments, projects (their lifecycle), trackers and open data."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from markupsafe import Markup, escape

from . import charts, links
from .lifecycle import STAGES, DepartmentHistory, ProjectHistory, Step, anchor
from .model import (
    Archive,
    EvaluationView,
    GoalView,
    MonitoringView,
    YearModel,
    is_overdue,
    status_shares,
    tally,
    total_amount,
)
from .render_year import PAGE_ROWS, Tables, department_year_src
from .schema import Application, ExAnte, Rectification, RectificationStatus
from .tables import Column, Table, fmt_money, fmt_percent, link_cell


@dataclass
class StepView:
    stage: str
    summary: list[tuple[str, object]]  # label, value pairs
    link: Markup | None
    indicators: Table | None = None


@dataclass
class CycleView:
    spending_year: int
    stages: list[tuple[str, list[StepView]]]


@dataclass
class ProjectPage:
    src: str
    title: str
    code: str
    facts: Table
    by_year: Table
    cycles: list[CycleView]
    sample: bool
    department_link: str | None

    def tables(self) -> list[Table]:
        steps = [s for c in self.cycles for _, views in c.stages for s in views]
        return [self.facts, self.by_year, *(s.indicators for s in steps if s.indicators is not None)]


@dataclass
class DepartmentPage:
    """A department across years: the yearly figures side by side, its projects and unfinished rectifications;
    each year's records are on the department's year pages (render_year.department_year_page)."""

    src: str
    title: str
    code: str | None
    former_names: list[str]
    by_year: Table
    year_links: list[tuple[str, str]]  # (label, Markdown link to the department's year page), newest first
    projects: Table
    open_rectifications: Table

    def tables(self) -> list[Table]:
        return [self.by_year, self.projects, self.open_rectifications]


@dataclass
class IndexPage:
    src: str
    title: str
    intro: str
    blocks: list[Table | Markup] = field(default_factory=list)

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]


def record_positions(archive: Archive) -> dict[tuple[int, str, str], int]:
    """Where each record sits in its year's list, to link to the right list page and row."""
    return {(y.year, section, rid): i for y in archive.years for (section, rid), i in y.positions.items()}


def _money(value: Decimal | None) -> str | None:
    return None if value is None else fmt_money(value)


def _step_view(step: Step, src: str, positions, archive: Archive) -> StepView:
    rec = step.record
    record_id = step.record_id
    page = 1 + positions.get((step.disclosed_in, step.list_page, record_id), 0) // PAGE_ROWS
    url = links.href(src, links.year_section(step.disclosed_in, step.list_page, page), step.anchor)
    kind = "草稿记录" if step.disclosed_in in archive.drafts else "公开记录"
    link = Markup(f'<a href="{escape(url)}">{step.disclosed_in}年{kind} {escape(record_id)}</a>')
    indicators = None
    if isinstance(rec, GoalView):
        g = rec.goal
        summary = [("年度目标", g.annual_goal), ("年度资金总额（万元）", _money(g.total_funds)), ("指标数", len(rec.indicators))]
        indicators = Table(f"绩效指标（{g.id}）", [
            Column("一级指标"), Column("二级指标"), Column("三级指标"), Column("指标性质"), Column("指标值"),
            Column("度量单位"), Column("分值", "number")],
            [[i.level1, i.level2, i.name, i.nature, i.target_value, i.unit, i.weight] for i in rec.indicators],
            download=f"{anchor('indicators', g.id)}.csv")
    elif isinstance(rec, ExAnte):
        summary = [("评估机构", rec.assessor), ("评估结论", rec.conclusion), ("申请金额（万元）", _money(rec.requested)),
                   ("建议金额（万元）", _money(rec.recommended))]
    elif isinstance(rec, MonitoringView):
        m = rec.record
        summary = [("监控期间", m.period), ("执行率", fmt_percent(m.execution_rate)),
                   ("纠偏措施", m.corrective)]
        if rec.indicators:  # (DOMAIN §2: per indicator 完成值, 全年预计完成, 偏差原因, 完成可能性)
            indicators = Table(f"监控指标（{m.id}）", [
                Column("三级指标"), Column("全年指标值"), Column(f"{m.period}完成值"), Column("全年预计完成值"),
                Column("完成可能性"), Column("偏差原因", "long")],
                [[i.name, i.target_value, i.period_value, i.expected_value, i.likelihood, i.deviation]
                 for i in rec.indicators],
                download=f"{anchor('monitoring-indicators', m.id)}.csv")
    elif isinstance(rec, EvaluationView):
        e = rec.record
        summary = [("评价类型", e.kind), ("评价年度", e.spending_year), ("得分", e.score), ("等级", e.grade),
                   ("发现问题", e.findings), ("建议", e.advice)]
        if rec.scores:
            indicators = Table(f"指标得分（{e.id}）", [
                Column("一级指标"), Column("三级指标"), Column("指标值"), Column("完成值"), Column("分值", "number"),
                Column("得分", "number")],
                [[s.level1, s.name, s.target_value, s.actual_value, s.weight, s.score] for s in rec.scores],
                download=f"{anchor('scores', e.id)}.csv")
    elif isinstance(rec, Rectification):
        summary = [("问题", rec.problem), ("整改要求", rec.requirement), ("整改期限", rec.deadline), ("状态", rec.status),
                   ("完成日期", rec.completed_on), ("逾期", "是" if is_overdue(rec, archive.as_of) else "否")]
    elif isinstance(rec, Application):
        summary = [("措施", rec.measure), ("金额（万元）", _money(rec.amount)), ("影响预算年度", rec.budget_year),
                   ("说明", rec.description)]
    else:
        summary = []
    return StepView(step.stage, summary, link, indicators)


def _index_newest_indicators(cycles: list[CycleView]) -> None:
    """Search indexes the newest indicator table of each stage (goals, evaluation scores) on a project page: a
    continuing project repeats its indicator names every year, and indexing each repetition was most of the
    search-index build on a ten-year archive. Every table is still on the page."""
    seen: set[str] = set()
    for c in cycles:  # newest spending year first
        for stage, steps in c.stages:
            for s in steps:
                if s.indicators is not None:
                    s.indicators.searchable = stage not in seen
                    seen.add(stage)


def project_page(archive: Archive, h: ProjectHistory, positions, dept_slugs: dict[str, str]) -> ProjectPage:
    src = links.project_page(h.slug)
    latest = next(c.project for c in reversed(h.cycles) if c.project is not None)
    dept_slug = dept_slugs.get(h.department)
    facts = Table("项目基本信息", [Column("项目编码"), Column("项目名称"), Column("主管部门"), Column("实施单位"),
                                 Column("项目属性"), Column("预算类型")],
                  [[h.code, h.name,
                    link_cell(h.department, links.href(src, links.department_page(dept_slug))) if dept_slug
                    else h.department, latest.implementer, latest.kind, latest.budget_type]], download=f"{h.slug}-facts.csv")
    rows = []
    # Newest year first, like the chain below, the archive, the trackers and a unit's page.
    for c in reversed(h.cycles):
        goal = next((s.record for s in c.of("绩效目标")), None)
        mon = next((s.record for s in c.of("绩效监控")), None)
        ev = next((s.record for s in c.of("绩效评价")), None)
        rows.append([archive.year_label(c.spending_year), c.project.amount if c.project else None,
                     goal.goal.total_funds if goal else None,
                     mon.record.execution_rate if mon else None,
                     ev.record.score if ev else None, ev.record.grade if ev else None,
                     len(c.of("整改")), len(c.of("结果应用"))])
    by_year = Table("历年对比", [Column("年度"), Column("预算金额（万元）", "money"),
                                 Column("目标资金总额（万元）", "money"), Column("监控执行率", "percent"),
                                 Column("评价得分", "number"), Column("等级"), Column("整改条数", "number"),
                                 Column("结果应用条数", "number")], rows, download=f"{h.slug}-years.csv",
                    searchable=False, sticky_first=True)  # figures only: a quarter of the text indexed, and nobody searches 752.04
    cycles = [CycleView(c.spending_year,
                        [(stage, [_step_view(s, src, positions, archive) for s in c.of(stage)]) for stage in STAGES])
              for c in reversed(h.cycles)]
    _index_newest_indicators(cycles)
    return ProjectPage(src, h.name, h.code, facts, by_year, cycles, h.sample,
                       links.href(src, links.department_page(dept_slug)) if dept_slug else None)


def department_page(archive: Archive, d: DepartmentHistory, by_year_models: dict[int, YearModel]) -> DepartmentPage:
    src = links.department_page(d.slug)
    as_of = archive.as_of
    # A kind of record the year did not publish as a table has no count: "—", not 0 (DOMAIN §3).
    summary = [[link_cell(archive.year_label(dy.year), links.href(src, department_year_src(d.slug, dy.year))),
                dy.count("projects"), dy.budget, dy.count("goals"), dy.count("exante"), dy.count("monitoring"),
                dy.count("evaluations"), dy.mean_score, dy.count("rectifications"), dy.open_rectifications,
                dy.money_moved]
               for dy in reversed(d.years)]  # (newest first, as everywhere years are listed)
    by_year = Table("历年对比", [
        Column("年度"), Column("项目数", "number"), Column("项目金额（万元）", "money"),
        Column("绩效目标", "number"), Column("事前评估", "number"), Column("监控", "number"), Column("评价", "number"),
        Column("平均得分（各类评价）", "number"), Column("整改", "number"), Column("未完成整改", "number"),
        Column("削减/取消/追减（万元）", "money")],
        summary, download=f"{d.slug}-years.csv", searchable=False, sticky_first=True)
    proj_rows, open_rows = [], []
    seen: set[str] = set()
    for dy in reversed(d.years):
        t = Tables(archive, by_year_models[dy.year], src)
        for p in dy.projects:
            if p.code not in seen:
                seen.add(p.code)
                proj_rows.append([t.project(p.code, p.name), p.code, archive.year_label(dy.year), p.amount])
        for r in dy.rectifications:
            if r.status is not RectificationStatus.DONE:
                open_rows.append([archive.year_label(dy.year), r.problem, t.project(r.project), r.deadline, r.status,
                                  "逾期" if is_overdue(r, as_of) else "否"])
    year_links = [(archive.year_label(dy.year), links.md_link(src, department_year_src(d.slug, dy.year)))
                  for dy in reversed(d.years)]
    # The page is found by the unit's name; its projects and open rectifications are found on their own pages and
    # lists. Indexed here too, they made the page long, and Pagefind ranks long pages down: 水利局 listed the unit
    # 62nd, behind projects that merely name it, and 蔬菜 put the unit before the vegetable projects.
    return DepartmentPage(
        src, d.name, d.code, d.former_names, by_year, year_links,
        Table("项目", [Column("项目名称"), Column("项目编码"), Column("最近年度"),
                       Column("最近金额（万元）", "money")], proj_rows, empty="无项目明细。",
              download=f"{d.slug}-projects.csv", searchable=False),
        Table("未完成的整改", [Column("公开年度"), Column("问题", "long"), Column("项目"),
                               Column("整改期限", "date"), Column("状态"), Column("逾期")], open_rows,
              empty="无未完成的整改。" if any(dy.open_rectifications is not None for dy in d.years)
              else "尚未公开整改明细。", download=f"{d.slug}-open.csv", searchable=False),
    )


def year_span(years: list[int]) -> str:
    """2021、2022、2023、2025 -> 2021–2023、2025: runs of consecutive years read as ranges."""
    runs: list[list[int]] = []
    for year in sorted(years):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return "、".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def _known_sum(counts) -> int | None:
    """The sum of the counts that are known; None (“—”) when none is (no year published such a table)."""
    known = [c for c in counts if c is not None]
    return sum(known) if known else None


def departments_index(archive: Archive, histories: dict[str, DepartmentHistory]) -> IndexPage:
    src = links.DEPARTMENTS
    rows = []
    for d in histories.values():
        # Published years' figures only: a draft's may still change (its own pages say 草稿), and its year is
        # named as a draft.
        published = [dy for dy in d.years if dy.year not in archive.drafts]
        drafts = "、".join(f"{dy.year}（草稿）" for dy in d.years if dy.year in archive.drafts)
        latest = published[-1] if published else None
        rows.append([link_cell(d.name, links.href(src, links.department_page(d.slug))), d.code,
                     "、".join(p for p in (year_span([dy.year for dy in published]), drafts) if p),
                     latest.count("projects") if latest else None, latest.budget if latest else None,
                     _known_sum(dy.count("evaluations") for dy in published),
                     _known_sum(dy.open_rectifications for dy in published)])
    table = Table("预算单位一览", [Column("单位名称"), Column("单位编码"), Column("公开年度"),
                                   Column("最近发布年度项目数", "number"),
                                   Column("最近发布年度项目金额（万元）", "money"),
                                   Column("评价（已发布年度合计）", "number"), Column("未完成整改（已发布年度）", "number")],
                  rows, download="departments.csv")
    intro = "按单位查看历年绩效目标、监控、评价、整改与结果应用。" + (
        "表中数字只统计已发布的年度，草稿年度的记录见各单位页面。" if archive.drafts else "")
    return IndexPage(src, "预算单位", intro, [table])


def projects_index(archive: Archive, histories: dict[str, ProjectHistory]) -> IndexPage:
    src = links.PROJECTS
    blocks = []
    year_rows = []
    for y in archive.years:
        if y.projects:
            year_rows.append([link_cell(f"{archive.year_label(y.year)}项目",
                                        links.href(src, links.year_section(y.year, "projects"))),
                              len(y.projects), total_amount(y.projects)])
    blocks.append(Table("各年度项目", [Column("年度"), Column("项目数", "number"), Column("金额（万元）", "money")],
                        year_rows, empty="尚无项目明细。", download="projects-by-year.csv"))
    withheld = [f"{y.year}年 {y.withheld_of['projects']} 个" for y in archive.years
                if y.projects and y.withheld_of.get("projects")]
    if withheld:
        blocks.append(Markup('<p class="jx-note">另有按规定不公开的项目（{}）未列入本表；年度报告与历年汇总数按全部项目统计。</p>')
                      .format("、".join(withheld)))
    multi = [h for h in histories.values() if len(h.years) > 1]
    if histories:
        intro = (f"共 {len(histories)} 个项目（按项目编码），其中 {len(multi)} 个跨越多个年度。"
                 "每个项目的页面按“绩效目标 → 事前评估 → 监控 → 评价 → 整改 → 结果应用”展示全过程；"
                 "也可用页首搜索框按项目名称查找。")
    else:
        # Not "共 0 个项目": a county that publishes only its report's totals has projects, just no project list.
        intro = "尚未公开项目明细（项目编码、名称与金额），因此没有项目页面；各年度的汇总数见年度报告。"
    return IndexPage(src, "项目", intro, blocks)


def trackers_page(archive: Archive) -> IndexPage:
    src = links.TRACKERS
    as_of = archive.as_of
    blocks: list[Table | Markup] = [Markup("## 整改情况")]
    all_rect = [r for y in archive.years for r in y.rectifications]
    if not any("rectifications" in y.provided for y in archive.years):
        blocks.append(Markup('<p class="jx-empty">尚未公开逐项整改明细。</p>'))
    else:
        rows = []
        for y in archive.years:
            if not y.rectifications:
                continue
            n = tally(y.rectifications, as_of)
            ledger = links.href(src, links.year_section(y.year, "rectifications"))
            whole = len(y.rectifications) <= PAGE_ROWS

            def filtered(count: int, key: str, value: str, ledger=ledger, whole=whole):
                # The ledger opens with its filter set (jx-site.js reads it from the address). A filter acts on the
                # page it is on: a ledger of several pages would show only its first page's share of the count.
                return link_cell(str(count), f"{ledger}?{urlencode({key: value})}") if count and whole else count

            rows.append([link_cell(f"{archive.year_label(y.year)}整改台账", ledger), n.total, n.done,
                         filtered(n.in_progress, "status", str(RectificationStatus.IN_PROGRESS)),
                         filtered(n.open, "status", str(RectificationStatus.OPEN)),
                         filtered(n.overdue, "overdue", "逾期")])
        # A draft's records may still change: the chart of all years counts the published ones.
        published = [r for y in archive.years if y.year not in archive.drafts for r in y.rectifications]
        if published:
            title = "历年整改状态" + ("（不含草稿年度）" if len(published) < len(all_rect) else "")
            blocks.append(charts.share_chart(title, status_shares(published)))
        blocks.append(Table(f"整改情况（逾期按 {as_of.isoformat()} 判断）", [
            Column("年度"), Column("整改总数", "number"), Column("已整改", "number"), Column("整改中", "number"),
            # 逾期 counts those still open past their deadline and those completed after it (lifecycle.is_overdue).
            Column("未整改", "number"), Column("逾期（含逾期完成）", "number")], rows, empty="尚无整改明细。",
            download="rectifications-by-year.csv"))
        t_rows = []
        for y in archive.years:
            t = Tables(archive, y, src)
            for r in y.rectifications:
                if r.status is not RectificationStatus.DONE and is_overdue(r, as_of):
                    t_rows.append([archive.year_label(y.year), r.problem, t.dept(r.department), t.project(r.project),
                                   r.deadline, r.status])
        blocks += [Markup("## 逾期未完成的整改"),
                   Table("逾期未完成的整改", [Column("公开年度"), Column("问题", "long"), Column("单位名称"),
                                             Column("项目"), Column("整改期限", "date"), Column("状态")], t_rows,
                         empty="没有逾期未完成的整改。", download="overdue.csv")]
    app_rows = []
    for y in archive.years:
        if y.applications:
            app_rows.append([link_cell(archive.year_label(y.year),
                                       links.href(src, links.year_section(y.year, "applications"))),
                             len(y.applications), y.application_total()])
    blocks += [Markup("## 结果应用"),
               Table("结果应用（历年）", [Column("年度"), Column("条数", "number"),
                                        Column("削减/取消/追减合计（万元）", "money")], app_rows,
                     empty="尚无结果应用记录。", download="applications-by-year.csv")]
    grade_rows = []
    for y in archive.years:
        shares = y.grade_distribution(archive.grade_names)
        if any(s.count for s in shares):
            grade_rows.append([archive.year_label(y.year), *(f"{s.count}（{s.percent}%）" for s in shares)])
    blocks += [Markup("## 评价等级分布"),
               Table("评价等级分布（历年）", [Column("年度"), *(Column(g) for g in archive.grade_names)],
                     grade_rows, empty="尚无评价明细。", download="grades-by-year.csv")]
    return IndexPage(src, "整改与结果应用", "跟踪各年度发现问题的整改进度，以及评价结果对预算的影响。", blocks)
