"""The linked domain: years, departments and projects with their lifecycle, and the figures pages show.

Knows neither files nor templates. Records marked 公开: 否 are dropped here, so nothing downstream can
publish them by accident.
"""

from __future__ import annotations

import functools
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal

from .dataset import Dataset, YearData
from .schema import (
    MONEY_REDUCING,
    Application,
    BudgetType,
    Department,
    Evaluation,
    EvaluationScore,
    EvaluationType,
    ExAnte,
    Goal,
    GradeBand,
    Indicator,
    Measure,
    Monitoring,
    MonitoringIndicator,
    Project,
    Published,
    Rectification,
    RectificationStatus,
    SiteSettings,
    SourceKind,
    Target,
    YearReport,
    YearStatus,
    named_departments,
)
from .types import cents


def largest_remainder(counts: list[int], places: int = 2) -> list[Decimal]:
    """Percent shares of a whole that add up to exactly 100 at the given places (DOMAIN.md §3)."""
    total = sum(counts)
    if total == 0:
        return [Decimal(0) for _ in counts]
    unit = Decimal(1).scaleb(-places)
    exact = [Decimal(c) * 100 / total for c in counts]
    floors = [e.quantize(unit, rounding=ROUND_DOWN) for e in exact]
    missing = int((Decimal(100) - sum(floors)) / unit)
    order = sorted(range(len(counts)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:missing]:
        floors[i] += unit
    return floors


def department_slug(dept: Department | None, name: str) -> str:
    if dept is not None and dept.code:
        return "".join(ch for ch in dept.code if ch.isalnum() or ch == "-")
    return "d" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]


@dataclass
class GoalView:
    goal: Goal
    indicators: list[Indicator]


@dataclass
class MonitoringView:
    record: Monitoring
    indicators: list[MonitoringIndicator]


@dataclass
class EvaluationView:
    record: Evaluation
    scores: list[EvaluationScore]


@dataclass
class Figure:
    """A figure the report states: its value and whether detailed records back it."""

    label: str
    value: object
    unit: str
    checked: bool


@dataclass
class FigureChange:
    """A declared figure in two published years: the change, and the change as a percentage of the earlier."""

    label: str
    unit: str
    previous: Decimal | int
    current: Decimal | int
    change: Decimal | int
    rate: Decimal | None  # None where the earlier figure is 0


@dataclass
class Share:
    label: str
    count: int
    percent: Decimal


@dataclass
class Group:
    """One line of a breakdown by kind (预算类型, 措施): how many records, their money and, where a page shows it,
    their share of the whole."""

    kind: BudgetType | Measure
    count: int
    amount: Decimal | None
    share: Decimal | None = None


@dataclass
class Execution:
    """A department's spending in the monitoring period, on one basis (see ``YearModel.execution``)."""

    department: str
    basis: str
    budget: Decimal
    executed: Decimal
    rate: Decimal | None


@dataclass
class RectificationTally:
    total: int
    done: int
    in_progress: int
    open: int
    overdue: int


def is_overdue(r: Rectification, as_of: date) -> bool:
    """Open past its deadline, or closed after it (逾期完成)."""
    if r.status is RectificationStatus.DONE:
        return r.completed_on is not None and r.completed_on > r.deadline
    return r.deadline < as_of


def status_shares(rows: list[Rectification]) -> list[Share]:
    """Rectifications by status, every status listed, with shares that add up to 100%."""
    counts = Counter(r.status for r in rows)
    statuses = list(RectificationStatus)
    values = [counts[s] for s in statuses]
    return [Share(str(s), c, p) for s, c, p in zip(statuses, values, largest_remainder(values), strict=True)]


def tally(rows: list[Rectification], as_of: date) -> RectificationTally:
    c = Counter(r.status for r in rows)
    return RectificationTally(len(rows), c[RectificationStatus.DONE], c[RectificationStatus.IN_PROGRESS],
                              c[RectificationStatus.OPEN], sum(1 for r in rows if is_overdue(r, as_of)))


def measure_totals(applications: list[Application]) -> list[Group]:
    """Applications by measure, in the order of ``Measure``; a measure's amount is None (“—”) when none of its
    records states one."""
    amounts: dict[Measure, Decimal] = {}
    counts: Counter = Counter()
    for a in applications:
        counts[a.measure] += 1
        if a.amount is not None:
            amounts[a.measure] = amounts.get(a.measure, Decimal("0.00")) + a.amount
    return [Group(m, counts[m], amounts.get(m)) for m in Measure if counts[m]]


def total_amount(rows) -> Decimal:
    return sum((r.amount for r in rows), Decimal("0.00"))


# Part 二 of the report: its five sections, in order, and the YearReport fields that hold their paragraphs.
REPORT_SECTIONS = (
    ("绩效目标管理", "goals"),
    ("事前绩效评估", "exante"),
    ("事中绩效监控", "monitoring"),
    ("事后绩效评价", "evaluation"),
    ("绩效结果应用", "application"),
)

# The list a rectification's or application's 来源编号 points into, by its 来源类型.
SOURCE_SECTIONS = {SourceKind.EVALUATION: "evaluations", SourceKind.MONITORING: "monitoring",
                   SourceKind.EX_ANTE: "exante"}


def item_record(item):
    """The record of a list item (a goal, monitoring or evaluation view holds its record with its rows)."""
    return item.goal if isinstance(item, GoalView) else getattr(item, "record", item)


# The lists whose records may name a project by its code (a year's or a unit's year's: the same attributes).
NAMING_LISTS = ("goals", "exante", "monitoring", "evaluations", "rectifications", "applications")


def named_projects(holder) -> set[str]:
    """The codes of the projects the records of ``holder``'s NAMING_LISTS name."""
    return {r.project for kind in NAMING_LISTS for item in getattr(holder, kind) if (r := item_record(item)).project}


# The tables behind each kind of record a year model lists.
SECTIONS: dict[type, str] = {Project: "projects", Goal: "goals", ExAnte: "exante", Monitoring: "monitoring",
                             Evaluation: "evaluations", Rectification: "rectifications", Application: "applications"}


@dataclass
class YearModel:
    year: int
    report: YearReport
    departments: list[Department]
    projects: list[Project]
    goals: list[GoalView]
    exante: list[ExAnte]
    monitoring: list[MonitoringView]
    evaluations: list[EvaluationView]
    rectifications: list[Rectification]
    applications: list[Application]
    figures: list[Figure]
    dept_slugs: dict[str, str] = field(default_factory=dict)
    counted: dict[str, int] = field(default_factory=dict)  # figures counted from the records (YearData.counted)
    # Records marked 公开: 否 by kind of record ("绩效指标": 8 …), counted so pages can say totals exclude them.
    withheld_kinds: dict[str, int] = field(default_factory=dict)
    # The kinds of record ("projects", "goals" … as the attributes above) whose table the year published, perhaps
    # empty; a kind not published has no count ("—"), where an empty table has 0.
    provided: frozenset[str] = frozenset(SECTIONS.values())
    # Names of the projects this year's records name by code that its project table does not hold (one evaluated,
    # rectified or cut after its last year of funds), from the nearest earlier published year that holds each
    # (build_archive): a bare 项目编码 tells a reader nothing. Never a draft's names on a published year, and never a
    # later year's: a published year's pages do not change when another year is published.
    other_names: dict[str, str] = field(default_factory=dict)

    @property
    def withheld(self) -> int:
        return sum(self.withheld_kinds.values())

    @functools.cached_property
    def withheld_of(self) -> dict[str, int]:
        """The withheld records by list ("projects" …)."""
        return {SECTIONS[m]: self.withheld_kinds[m.TITLE] for m in SECTIONS if m.TITLE in self.withheld_kinds}

    def figure_source(self, checked: bool) -> str:
        """How a figure the report declares was checked, as pages and downloads say it. Withheld records count in
        the check but not in the site's tables, so a reader is told why a table may show fewer."""
        if not checked:
            return "报告申报的合计数（无逐项明细）"
        if self.withheld:
            return "已与全部明细记录核对一致（含按规定不公开、未列入本站表格的记录）"
        return "已与明细记录核对一致"

    def count(self, kind: str) -> int | None:
        """How many public records of ``kind`` the year has; None when it published no table of them."""
        return len(getattr(self, kind)) if kind in self.provided else None

    @property
    def published(self) -> bool:
        return self.report.status is YearStatus.PUBLISHED

    @property
    def has_sample(self) -> bool:
        records: list[Published] = [*self.departments, *self.projects, *self.exante, *self.rectifications,
                                    *self.applications, *(g.goal for g in self.goals),
                                    *(m.record for m in self.monitoring), *(e.record for e in self.evaluations)]
        return any(r.sample for r in records)

    def grade_distribution(self, bands: list[str]) -> list[Share]:
        counts = defaultdict(int)
        for e in self.evaluations:
            if e.record.grade:
                counts[e.record.grade] += 1
        values = [counts[b] for b in bands]
        return [Share(b, c, p) for b, c, p in zip(bands, values, largest_remainder(values), strict=True)]

    def application_total(self) -> Decimal | None:
        return money_reduced(self.applications) if "applications" in self.provided else None

    @functools.cached_property
    def positions(self) -> dict[tuple[str, str], int]:
        """Where each public record sits in its section's list, by (section, ID): pages link to its list page
        and row."""
        pos: dict[tuple[str, str], int] = {}
        for section in SECTIONS.values():
            if section == "projects":
                continue
            for i, item in enumerate(getattr(self, section)):
                pos[(section, item_record(item).id)] = i
        return pos

    @functools.cached_property
    def follow_ups(self) -> dict[tuple[str, str], list[Rectification | Application]]:
        """The year's rectifications and applications by the record they came from, as (section, ID): an
        evaluation's row leads on to what was done about it."""
        out: dict[tuple[str, str], list[Rectification | Application]] = defaultdict(list)
        for r in [*self.rectifications, *self.applications]:
            section = SOURCE_SECTIONS.get(r.source_kind)
            if section and r.source_id:
                out[(section, r.source_id)].append(r)
        return out

    @functools.cached_property
    def report_paragraphs(self) -> list[tuple[str, str]]:
        """The report's prose as (part, paragraph), in the report's order; paragraphs still hold their {{…}}."""
        rep = self.report
        parts = [("导语", p) for p in ([rep.preface] if rep.preface else [])]
        parts += [("一、总体情况", p) for p in rep.overview]
        parts += [(f"二、绩效管理工作开展情况（{i}. {title}）", p)
                  for i, (title, attr) in enumerate(REPORT_SECTIONS, start=1) for p in getattr(rep, attr)]
        parts += [("三、存在的问题", f"{i.title}。{i.body}") for i in rep.problems]
        parts += [("四、下一步工作打算", f"{i.title}。{i.body}") for i in rep.plans]
        return parts

    def mentions(self, name: str) -> list[tuple[str, str]]:
        """The report's paragraphs that name a unit: for a unit the report speaks of without records of its own
        (a real report often names the units of a pilot), what the report says of it is all there is."""
        return [(part, p) for part, p in self.report_paragraphs if name and name in p]

    @functools.cached_property
    def budget_types(self) -> list[Group]:
        """The year's projects by 预算类型, with each type's share of the money (to the fen, adding up to 100%)."""
        amounts: dict[BudgetType, Decimal] = defaultdict(lambda: Decimal("0.00"))
        counts: Counter = Counter()
        for p in self.projects:
            amounts[p.budget_type] += p.amount
            counts[p.budget_type] += 1
        kinds = [k for k in BudgetType if counts[k]]
        cents_by_kind = [int(amounts[k] * 100) for k in kinds]
        # Shares of nothing (every amount 0.00) are not 0% each under a 合计 of 100%: they are "—".
        shares = largest_remainder(cents_by_kind) if any(cents_by_kind) else [None] * len(kinds)
        return [Group(k, counts[k], amounts[k], s) for k, s in zip(kinds, shares, strict=True)]

    @functools.cached_property
    def execution(self) -> list[Execution]:
        """Each department's execution in the monitoring period. A 部门整体 record covers the department's whole
        spending, its projects included: where one exists it stands for the department, and its project records
        are not added to it (that would count their money twice); otherwise the department's project records are
        summed, and without those its policy records. In the order of the year's 预算单位 table (the official
        order staff keep), not by character code."""
        by_dept: dict[str, dict[Target, list[Monitoring]]] = defaultdict(lambda: defaultdict(list))
        for m in self.monitoring:
            by_dept[m.record.department][m.record.target].append(m.record)
        order = {d.name: i for i, d in enumerate(self.departments)}
        rows = []
        for name, groups in sorted(by_dept.items(), key=lambda item: (order.get(item[0], len(order)), item[0])):
            target = next(t for t in (Target.DEPARTMENT, Target.PROJECT, Target.POLICY) if groups.get(t))
            records = groups[target]
            budget = sum((r.budget for r in records), Decimal("0.00"))
            executed = sum((r.executed for r in records), Decimal("0.00"))
            basis = {Target.DEPARTMENT: "部门整体", Target.PROJECT: f"{len(records)}个项目合计",
                     Target.POLICY: f"{len(records)}项政策合计"}[target]
            rows.append(Execution(name, basis, budget, executed, cents(executed / budget * 100) if budget else None))
        return rows

    @functools.cached_property
    def unassigned(self) -> frozenset[str]:
        """The kinds of record ("exante", "applications") some of whose records name no unit (a report may list
        projects and departments apart, or say what was done without saying to whom): how many each unit had is then
        unknown."""
        return frozenset(section for section in ("exante", "applications")
                         if any(r.department is None for r in getattr(self, section)))

    @functools.cached_property
    def unit_money_known(self) -> bool:
        """Whether each unit's money cut is known from the applications naming it: the year published applications
        and none that cuts money leaves its unit unnamed. (One naming no unit that cuts nothing, such as 督促整改 for
        every project with a poor goal, leaves every unit's money known, though their counts are not.)"""
        return "applications" in self.provided and not any(
            a.department is None and a.measure in MONEY_REDUCING for a in self.applications)

    @functools.cached_property
    def project_names(self) -> dict[str, str]:
        """The year's public projects by code: tables that name a project by its code show this name, the year's
        own (a draft's names stay off published years), else one of ``other_names``."""
        return {p.code: p.name for p in self.projects}

    def project_name(self, code: str) -> str | None:
        return self.project_names.get(code) or self.other_names.get(code)


def money_reduced(applications: list[Application]) -> Decimal | None:
    """Money cut, cancelled or clawed back: 0.00 when no application does so; None (“—”, not 0) when some do but
    none states its amount (the report gave no figure)."""
    reducing = [a for a in applications if a.measure in MONEY_REDUCING]
    amounts = [a.amount for a in reducing if a.amount is not None]
    if reducing and not amounts:
        return None
    return sum(amounts, Decimal("0.00"))


@dataclass
class Archive:
    settings: SiteSettings
    years: list[YearModel]  # newest first

    @functools.cached_property
    def drafts(self) -> frozenset[int]:
        """The years not yet published: whatever a page shows of them says 草稿, not only their own year page."""
        return frozenset(y.year for y in self.years if not y.published)

    def year_label(self, year: int) -> str:
        """2023年, or 2024年（草稿） for a year not yet published."""
        return f"{year}年" + ("（草稿）" if year in self.drafts else "")

    @property
    def as_of(self) -> date:
        """The date overdue flags are judged against: configured, else the end of the latest year (deterministic)."""
        if self.settings.as_of:
            return self.settings.as_of
        return date(max((y.year for y in self.years), default=2000), 12, 31)

    @property
    def latest(self) -> YearModel | None:
        published = [y for y in self.years if y.published]
        return (published or self.years or [None])[0]

    def figure_changes(self) -> tuple[YearModel, YearModel, list[FigureChange]] | None:
        """The newest published year's declared figures against the published year before it (drafts may still
        change); None with fewer than two published years."""
        published = [y for y in self.years if y.published]
        if len(published) < 2:
            return None
        current, previous = published[0], published[1]
        before = {f.label: f for f in previous.figures}
        changes = []
        for f in current.figures:
            old = before.get(f.label)
            if old is None or old.unit != f.unit:
                continue
            change = f.value - old.value
            rate = cents(Decimal(change) / Decimal(old.value) * 100) if old.value else None
            changes.append(FigureChange(f.label, f.unit, old.value, f.value, change, rate))
        return current, previous, changes

    @property
    def grade_names(self) -> list[str]:
        """Every grade the archive's years use, best first (年度口径 may change the bands from a year on)."""
        names: list[str] = []
        for year in self.years:
            names += [g for g in self.grade_names_of(year.year) if g not in names]
        return names or self.grade_names_of(None)

    def grade_names_of(self, year: int | None) -> list[str]:
        return [b.grade for b in self.grade_bands_of(year)]

    def grade_bands_of(self, year: int | None) -> list[GradeBand]:
        """The grade bands a year's evaluations were graded by (年度口径 may change them from a year on), best first."""
        settings = self.settings if year is None else self.settings.for_year(year)
        return sorted(settings.grade_bands, key=lambda b: b.lower, reverse=True)


def _public(records):
    return [r for r in records if r.public]


FIGURE_UNITS = {
    "goal_project_amount": "万元",
}


def build_year(data: YearData) -> YearModel:
    rep = data.report
    assert rep is not None, "build_year runs only after validation succeeded"
    indicators = defaultdict(list)
    for i in _public(data.records(Indicator)):
        indicators[i.goal].append(i)
    mon_ind = defaultdict(list)
    for i in _public(data.records(MonitoringIndicator)):
        mon_ind[i.monitoring].append(i)
    scores = defaultdict(list)
    for s in _public(data.records(EvaluationScore)):
        scores[s.evaluation].append(s)
    departments = _public(data.records(Department))
    all_departments = {d.name: d for d in data.records(Department)}

    detail = {
        "goal_project_amount": bool(data.records(Project)),
        "exante_projects": bool(data.records(ExAnte)),
        "exante_departments": bool(data.records(ExAnte)) and named_departments(data.records(ExAnte)) is not None,
        "self_eval_units": any(e.kind is EvaluationType.SELF and e.target is Target.DEPARTMENT
                               for e in data.records(Evaluation)),
        "finance_eval_projects": any(e.kind is EvaluationType.FINANCE for e in data.records(Evaluation)),
        "finance_eval_departments": any(e.kind is EvaluationType.FINANCE for e in data.records(Evaluation)),
    }
    withheld = {m: n for m, records in data.tables.items() if (n := sum(1 for r in records if not r.public))}
    figures = [
        Figure(f.alias, getattr(rep.figures, name), FIGURE_UNITS.get(name, "个"), detail.get(name, False))
        for name, f in type(rep.figures).model_fields.items()
        if getattr(rep.figures, name) is not None
    ]
    return YearModel(
        year=data.year,
        report=rep,
        departments=departments,
        projects=_public(data.records(Project)),
        goals=[GoalView(g, indicators[g.id]) for g in _public(data.records(Goal))],
        exante=_public(data.records(ExAnte)),
        monitoring=[MonitoringView(m, mon_ind[m.id]) for m in _public(data.records(Monitoring))],
        evaluations=[EvaluationView(e, scores[e.id]) for e in _public(data.records(Evaluation))],
        rectifications=_public(data.records(Rectification)),
        applications=_public(data.records(Application)),
        figures=figures,
        dept_slugs={name: department_slug(d, name) for name, d in all_departments.items()},
        counted=data.counted(),
        withheld_kinds={m.TITLE: n for m, n in withheld.items()},
        provided=frozenset(SECTIONS[m] for m in data.provided if m in SECTIONS),
    )


def build_archive(dataset: Dataset) -> Archive:
    years = [build_year(dataset.years[y]) for y in sorted(dataset.years, reverse=True)]
    slugs = archive_department_slugs(dataset)
    for y in years:
        y.dept_slugs = {name: slugs.get(name, slug) for name, slug in y.dept_slugs.items()}
    _name_other_projects(years)
    return Archive(dataset.settings, years)


def _name_other_projects(years: list[YearModel]) -> None:
    """Fill each year's ``other_names``: for a code its own project table lacks, the name the nearest earlier
    published year gives it."""
    published = [y for y in years if y.published]
    for y in years:
        missing = named_projects(y) - y.project_names.keys()
        if not missing:
            continue
        nearest = sorted((other for other in published if other.year < y.year), key=lambda other: -other.year)
        for code in sorted(missing):
            name = next((other.project_names[code] for other in nearest if code in other.project_names), None)
            if name:
                y.other_names[code] = name


def archive_department_slugs(dataset: Dataset) -> dict[str, str]:
    """One page address per unit across the archive. A unit is one across years when it keeps its name or its
    code: renamed under the same code (机构改革), or given a code in a later year. Its address is its latest code
    (the hash of its latest name while it has none)."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    latest: dict[tuple[str, str], tuple[int, str, Department]] = {}
    for year in sorted(dataset.years):
        for d in dataset.years[year].records(Department):
            node = find(("name", d.name))
            if d.code:
                parent[find(("code", d.code))] = node
            latest[("name", d.name)] = (year, d.name, d)
    best: dict[tuple[str, str], tuple[int, int, str, Department]] = {}
    for key, (year, name, d) in latest.items():
        root = find(key)
        rank = (year, 1 if d.code else 0)
        if root not in best or rank > best[root][:2]:
            best[root] = (*rank, name, d)
    return {name: department_slug(best[find(("name", name))][3], best[find(("name", name))][2])
            for (_, name) in latest}
