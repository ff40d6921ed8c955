"""Cross-year views: a project's whole lifecycle and a department's record, linked across disclosure years.

Years are offset (DOMAIN.md §2): goals and monitoring of spending year Y are disclosed in Y, its evaluation in
Y+1, and the results feed the budget of Y+1 or Y+2. A project's page is organised by spending year, so one row of
its lifecycle is one budget cycle: goal → 事前评估 → 监控 → 评价 → 整改 → 结果应用.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from .model import (
    Archive,
    EvaluationView,
    GoalView,
    MonitoringView,
    YearModel,
    item_record,
    money_reduced,
    named_projects,
)
from .schema import (
    Application,
    Department,
    ExAnte,
    Project,
    Rectification,
    RectificationStatus,
    SourceKind,
)
from .types import cents

STAGES = ("绩效目标", "事前评估", "绩效监控", "绩效评价", "整改", "结果应用")

_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


# The prefix of the row anchors in each year's list of records ("rect-…" in the 整改台账).
ROW_ANCHORS = {"projects": "proj", "goals": "goal", "exante": "exante", "monitoring": "mon", "evaluations": "eval",
               "rectifications": "rect", "applications": "app"}


def row_anchor(section: str, record_id: str) -> str:
    """The HTML id of a record's row in its year's list (``section`` as in YearModel: "goals" …)."""
    return anchor(ROW_ANCHORS[section], record_id)


def anchor(kind: str, record_id: str) -> str:
    """An HTML id for one record row: readable when the ID is ASCII, a short hash otherwise."""
    if _SAFE_ID.match(record_id):
        return f"{kind}-{record_id}"
    return f"{kind}-{hashlib.sha1(record_id.encode('utf-8')).hexdigest()[:10]}"


@dataclass
class Step:
    """One record in a lifecycle: where it was disclosed and what it is."""

    stage: str
    disclosed_in: int
    record: object
    list_page: str  # section of the year where the record is listed ("goals", "evaluations" …)
    anchor: str

    @property
    def record_id(self) -> str:
        rec = self.record
        if isinstance(rec, GoalView):
            return rec.goal.id
        if isinstance(rec, MonitoringView | EvaluationView):
            return rec.record.id
        return rec.id


@dataclass
class Cycle:
    spending_year: int
    project: Project | None = None
    steps: list[Step] = field(default_factory=list)

    def of(self, stage: str) -> list[Step]:
        return [s for s in self.steps if s.stage == stage]


@dataclass
class ProjectHistory:
    code: str
    slug: str
    name: str
    department: str
    cycles: list[Cycle]  # ascending spending year

    @property
    def years(self) -> list[int]:
        return [c.spending_year for c in self.cycles if c.project is not None]

    @property
    def sample(self) -> bool:
        return any(c.project is not None and c.project.sample for c in self.cycles)


_DEPARTMENT_LISTS = ("projects", "goals", "monitoring", "evaluations", "rectifications", "applications", "exante")


@dataclass
class DepartmentYear:
    year: int
    record: Department | None
    projects: list[Project]
    goals: list[GoalView]
    monitoring: list[MonitoringView]
    evaluations: list[EvaluationView]
    rectifications: list[Rectification]
    applications: list[Application]
    exante: list[ExAnte] = field(default_factory=list)
    # Projects another unit (its 主管部门) is responsible for and this one carries out (实施单位): a sub-unit's
    # page would otherwise be empty although it does the work.
    implemented: list[Project] = field(default_factory=list)
    # The names its records' projects have this year, as the pages show them (and so part of the pages' key).
    project_names: dict[str, str] = field(default_factory=dict)
    provided: frozenset[str] = frozenset(_DEPARTMENT_LISTS)  # as YearModel.provided
    name: str = ""  # the unit's name that year (records name units by name; a renamed unit keeps its code)
    # The year's report paragraphs that name the unit, as (part of the report, paragraph): YearModel.mentions.
    # (Shown on its year page, which is rendered with the year's other pages.)
    mentions: list[tuple[str, str]] = field(default_factory=list)
    money_known: bool = True  # YearModel.unit_money_known

    def count(self, kind: str) -> int | None:
        """The department's records of ``kind`` this year; None (“—”) when the year published no such table."""
        return len(getattr(self, kind)) if kind in self.provided else None

    @property
    def budget(self) -> Decimal | None:
        """Sum of the year's project amounts (0.00 for a unit without projects); None (shown as “—”) when the year
        published no project table."""
        return sum((p.amount for p in self.projects), Decimal("0.00")) if "projects" in self.provided else None

    @property
    def mean_score(self) -> Decimal | None:
        scores = [e.record.score for e in self.evaluations if e.record.score is not None]
        return cents(sum(scores) / len(scores)) if scores else None

    @property
    def open_rectifications(self) -> int | None:
        if "rectifications" not in self.provided:
            return None
        return sum(1 for r in self.rectifications if r.status is not RectificationStatus.DONE)

    @property
    def money_moved(self) -> Decimal | None:
        return money_reduced(self.applications) if self.money_known else None


@dataclass
class DepartmentHistory:
    name: str
    slug: str
    years: list[DepartmentYear]  # ascending

    @property
    def code(self) -> str | None:
        return next((y.record.code for y in reversed(self.years) if y.record and y.record.code), None)

    @property
    def former_names(self) -> list[str]:
        """Names the unit had in earlier years under the same code (机构改革 renames), oldest first."""
        names = list(dict.fromkeys(y.name for y in self.years))
        return [n for n in names if n != self.name]


def project_histories(archive: Archive) -> dict[str, ProjectHistory]:
    """Every project code seen in any year, with its cycles; public records only (the model filtered them)."""
    cycles: dict[str, dict[int, Cycle]] = defaultdict(dict)

    def cycle(code: str, year: int) -> Cycle:
        return cycles[code].setdefault(year, Cycle(year))

    latest: dict[str, Project] = {}
    evaluation_year: dict[str, tuple[str, int]] = {}
    monitoring_year: dict[str, tuple[str, int]] = {}
    exante_year: dict[str, tuple[str, int]] = {}
    for y in sorted(archive.years, key=lambda y: y.year):
        for p in y.projects:
            cycle(p.code, y.year).project = p
            latest[p.code] = p
        for g in y.goals:
            if g.goal.project:
                cycle(g.goal.project, y.year).steps.append(
                    Step("绩效目标", y.year, g, "goals", row_anchor("goals", g.goal.id)))
        for x in y.exante:
            if x.project:
                cycle(x.project, y.year).steps.append(Step("事前评估", y.year, x, "exante", row_anchor("exante", x.id)))
                exante_year[x.id] = (x.project, y.year)
        for m in y.monitoring:
            if m.record.project:
                cycle(m.record.project, y.year).steps.append(
                    Step("绩效监控", y.year, m, "monitoring", row_anchor("monitoring", m.record.id)))
                monitoring_year[m.record.id] = (m.record.project, y.year)
        for e in y.evaluations:
            if e.record.project:
                cycle(e.record.project, e.record.spending_year).steps.append(
                    Step("绩效评价", y.year, e, "evaluations", row_anchor("evaluations", e.record.id)))
                evaluation_year[e.record.id] = (e.record.project, e.record.spending_year)
    sources = {SourceKind.EVALUATION: evaluation_year, SourceKind.MONITORING: monitoring_year,
               SourceKind.EX_ANTE: exante_year}
    for y in sorted(archive.years, key=lambda y: y.year):
        for r in y.rectifications:
            target = _follow(r, sources, y.year)
            if target:
                cycle(*target).steps.append(Step("整改", y.year, r, "rectifications", row_anchor("rectifications", r.id)))
        for a in y.applications:
            target = _follow(a, sources, y.year)
            if target:
                cycle(*target).steps.append(Step("结果应用", y.year, a, "applications", row_anchor("applications", a.id)))
    histories = {}
    for code, by_year in cycles.items():
        project = latest.get(code)
        if project is None:
            continue  # a reference to a project outside the archive: checks reported it already
        histories[code] = ProjectHistory(
            code, project_slug(code), project.name, project.department,
            [by_year[k] for k in sorted(by_year)])
    return dict(sorted(histories.items()))


def _follow(record: Rectification | Application, sources, disclosed_in: int) -> tuple[str, int] | None:
    """The (project, spending year) a rectification or application belongs to, through its source if it has one."""
    if record.source_id and record.source_kind in sources and record.source_id in sources[record.source_kind]:
        return sources[record.source_kind][record.source_id]
    if record.project:
        return record.project, disclosed_in
    return None


def project_slug(code: str) -> str:
    if _SLUG_SAFE.fullmatch(code):
        return code  # every valid 项目编码 (ASCII letters, digits, "-"): called for each link to a project
    return "".join(ch for ch in code if ch.isalnum() or ch == "-")


_SLUG_SAFE = re.compile(r"[0-9A-Za-z-]+")


def department_histories(archive: Archive) -> dict[str, DepartmentHistory]:
    """One history per unit, keyed by its page address: the unit's code when it has one, so a unit renamed between
    years (机构改革) keeps one page with every year, under its latest name."""
    names = sorted({d.name for y in archive.years for d in y.departments})
    by_year = [(y, _by_department(y)) for y in sorted(archive.years, key=lambda y: y.year)]
    years_of: dict[str, list[DepartmentYear]] = defaultdict(list)
    for y, groups in by_year:
        for name in names:
            dy = _department_year(y, name, groups)
            if dy is not None:
                years_of[y.dept_slugs.get(name, "")].append(dy)
    histories = {slug: DepartmentHistory(years[-1].name, slug, years) for slug, years in years_of.items()}
    # By 单位编码 (a unit's sub-units follow it), units without a code after them: sorting Chinese names by character
    # code gives no order a reader can follow.
    return dict(sorted(histories.items(), key=lambda item: (item[1].code is None, item[1].code or "", item[1].name)))




def _by_department(y: YearModel) -> dict[str, dict[str, list]]:
    """The year's records grouped by department name, in their order, in one pass over each list."""
    groups: dict[str, dict[str, list]] = defaultdict(lambda: {kind: [] for kind in _DEPARTMENT_LISTS})
    for kind in _DEPARTMENT_LISTS:
        for item in getattr(y, kind):
            groups[item_record(item).department][kind].append(item)
    for p in y.projects:
        if p.implementer and p.implementer != p.department:
            groups[p.implementer].setdefault("implemented", []).append(p)
    return groups


def _department_year(y: YearModel, name: str, groups: dict[str, dict[str, list]]) -> DepartmentYear | None:
    record = next((d for d in y.departments if d.name == name), None)
    lists = groups.get(name) or {kind: [] for kind in _DEPARTMENT_LISTS}
    provided = y.provided - y.unassigned  # records not naming their unit: a unit's count is unknown, not 0
    dy = DepartmentYear(y.year, record, **lists, provided=provided, name=name, mentions=y.mentions(name),
                        money_known=y.unit_money_known)
    if record is None and not (dy.projects or dy.goals or dy.evaluations or dy.rectifications or dy.exante
                               or dy.implemented):
        return None
    dy.project_names = {code: y.project_name(code) or "" for code in sorted(named_projects(dy))}
    return dy
