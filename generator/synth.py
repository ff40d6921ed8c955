"""Synthetic data for 示例县: a complete, valid data directory of any size, deterministic from a seed.

Used for the bundled multi-year example (examples/shixian/data) and for the scale benchmark. Every record is
marked 示例=是 and every report says 示例数据, so nobody can mistake it for a real county's disclosure.
Columns come from the schema (aliases of each model's fields), so the files follow the schema as it changes.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from pathlib import Path

import yaml

from . import schema
from .schema import (
    Application,
    Conclusion,
    Department,
    Evaluation,
    EvaluationScore,
    EvaluationType,
    ExAnte,
    Goal,
    Indicator,
    Level,
    Level1,
    Likelihood,
    Measure,
    Monitoring,
    MonitoringIndicator,
    Nature,
    Project,
    ProjectKind,
    Rectification,
    RectificationStatus,
    SiteSettings,
    SourceKind,
    Target,
    YearStatus,
)
from .synth_catalog import (
    AUDIT_PROBLEMS,
    CONTACTS,
    COUNTY,
    DEPARTMENTS,
    EVALUATORS,
    FINDINGS,
    MONITORING_CORRECTIVE,
    MONITORING_DEVIATION,
    PHASES,
    PLACES,
    POLICIES,
)
from .synth_catalog import ProjectKind as Kind

CENT = Decimal("0.01")
SAMPLE_NOTE = "本站全部数据均为程序生成的示例数据（示例县并不存在），仅用于演示网站功能，不代表任何地区的真实情况。"


@dataclass(frozen=True)
class Preset:
    years: tuple[int, ...]
    projects: int  # per year
    indicators: int  # per project goal (at most 10)
    draft_last: bool = False


# The newest year is a draft (still being prepared), as in a real archive; published years are frozen.
PRESETS: dict[str, Preset] = {
    "XS": Preset((2024, 2025), 12, 4, draft_last=True),  # for fast tests of the tools themselves
    "S": Preset((2025,), 100, 10, draft_last=True),
    "M": Preset((2025,), 1000, 10, draft_last=True),
    "L": Preset(tuple(range(2016, 2026)), 1000, 10, draft_last=True),
    "example": Preset((2021, 2022, 2023, 2024), 75, 8, draft_last=True),
}


def money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def split_weight(total: int, parts: int) -> list[int]:
    """Integer 分值 for ``parts`` indicators that add up to ``total`` exactly."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def category_weights(specs, weights: dict[Level1, int]) -> dict[Level1, int]:
    """Weights of the categories present; a category without indicators gives its weight to 产出 (DOMAIN.md §3)."""
    present = {s.level1 for s in specs}
    out = {k: v for k, v in weights.items() if k in present}
    out[Level1.OUTPUT] = out.get(Level1.OUTPUT, 0) + sum(v for k, v in weights.items() if k not in present)
    return out


# --- the county's stable structure --------------------------------------------------------------


@dataclass
class Dept:
    code: str
    name: str
    kind_index: int
    parent: str | None = None


@dataclass
class Proj:
    code: str
    name: str
    dept: Dept
    kind: Kind
    implementer: str | None
    budget_type: schema.BudgetType
    base_amount: Decimal
    first_year: int
    public: bool = True
    amounts: dict[int, Decimal] = field(default_factory=dict)


def make_departments() -> tuple[list[Dept], list[Dept]]:
    """一级 departments (one per kind) and their 二级 units."""
    top, sub = [], []
    for i, d in enumerate(DEPARTMENTS, start=1):
        dept = Dept(f"999{i:03d}", f"{COUNTY}{d.short}", i - 1)
        top.append(dept)
        for j, unit in enumerate(d.subunits, start=1):
            sub.append(Dept(f"999{i:03d}{j:03d}", unit, i - 1, parent=dept.name))
    return top, sub


class NamePool:
    """Distinct project names: every (kind, place, phase) once, first phases first, in a seeded order."""

    def __init__(self, rng: random.Random):
        self.by_phase: list[list[tuple[int, int, str]]] = []
        for phase in PHASES:
            combos = []
            for di, d in enumerate(DEPARTMENTS):
                for ki, k in enumerate(d.kinds):
                    places = PLACES if k.local else (COUNTY,)
                    combos.extend((di, ki, place + k.name + phase) for place in places)
            rng.shuffle(combos)
            self.by_phase.append(combos)
        self.position = [0] * len(PHASES)

    def take(self) -> tuple[int, int, str]:
        for p, combos in enumerate(self.by_phase):
            if self.position[p] < len(combos):
                self.position[p] += 1
                return combos[self.position[p] - 1]
        raise ValueError("示例项目名称已用尽；请减少项目数")


class Synth:
    def __init__(self, preset: Preset, seed: int):
        self.preset = preset
        self.rng = random.Random(seed)
        self.departments, self.subunits = make_departments()
        self.names = NamePool(self.rng)
        self.serial = 0
        self.settings = SiteSettings(站点名称="示例", 地区=COUNTY)
        # Projects active in each year, in a stable order.
        self.active: dict[int, list[Proj]] = {}
        # Each year's ex-ante assessments once the year is made (years are made in order).
        self.exante_by_year: dict[int, list[dict]] = {}
        self._plan_projects()

    # -- projects across years ----------------------------------------------------------------

    def _new_project(self, year: int) -> Proj:
        di, ki, name = self.names.take()
        dept = self.departments[di]
        kind = DEPARTMENTS[di].kinds[ki]
        self.serial += 1
        units = [s.name for s in self.subunits if s.parent == dept.name]
        implementer = self.rng.choice(units) if units and self.rng.random() < 0.4 else dept.name
        r = self.rng.random()
        budget_type = (schema.BudgetType.GENERAL if r < 0.8 else schema.BudgetType.FUND if r < 0.95
                       else schema.BudgetType.STATE_CAPITAL)
        amount = money(min(6000.0, max(3.0, self.rng.lognormvariate(4.3, 1.0))))
        code = f"519999{year % 100:02d}R{self.serial:07d}"
        # About one project in a hundred is withheld (e.g. it names individuals), to exercise 公开: 否.
        public = self.serial % 97 != 50
        return Proj(code, name, dept, kind, implementer, budget_type, amount, year, public)

    def _plan_projects(self) -> None:
        current: list[Proj] = []
        for year in self.preset.years:
            # About one project in eight ends each year; new ones take their place.
            kept = [p for p in current if self.rng.random() >= 0.125]
            while len(kept) < self.preset.projects:
                p = self._new_project(year)
                if not current and self.serial % 8:
                    # The archive's first year: most projects were running before it (延续), about one in eight
                    # is new that year, so that year's evaluations of the year before have projects to evaluate.
                    p.first_year = year - 1
                kept.append(p)
            for p in kept:
                drift = Decimal(str(round(self.rng.uniform(0.85, 1.15), 2)))
                p.amounts[year] = money(p.base_amount * drift) if p.first_year != year else p.base_amount
            self.active[year] = kept
            current = kept

    # -- one year -------------------------------------------------------------------------------

    def year_tables(self, year: int) -> tuple[dict[type, list[dict]], dict]:
        y = _Year(self, year)
        tables = y.build()
        self.exante_by_year[year] = tables[ExAnte]
        return tables, y.report()


@dataclass
class _IndicatorSpec:
    level1: Level1
    level2: str
    name: str
    nature: Nature
    target: str
    unit: str | None


def indicator_specs(p: Proj, year: int) -> list[_IndicatorSpec]:
    """The goal table of one project: ten indicators, ordered so that any first n cover 产出, 效益 and 满意度."""
    k, rng = p.kind, random.Random(f"{p.code}:{year}")
    qty = rng.randint(k.low, k.high)
    amount = p.amounts[year]
    specs = [
        _IndicatorSpec(Level1.OUTPUT, "数量指标", k.quantity, Nature.AT_LEAST, str(qty), k.unit),
        _IndicatorSpec(Level1.BENEFIT, "社会效益", k.benefit, Nature.QUALITATIVE, "有效提升", None),
        _IndicatorSpec(Level1.SATISFACTION, "服务对象满意度", f"{k.beneficiary}满意度", Nature.AT_LEAST, "90", "%"),
        _IndicatorSpec(Level1.OUTPUT, "质量指标", "项目验收合格率", Nature.AT_LEAST, "100", "%"),
        _IndicatorSpec(Level1.OUTPUT, "时效指标", "项目完成时间", Nature.AT_MOST, "12", "月"),
        _IndicatorSpec(Level1.OUTPUT, "成本指标", "项目总成本", Nature.AT_MOST, str(amount), "万元"),
        _IndicatorSpec(Level1.OUTPUT, "质量指标", "资金使用合规率", Nature.AT_LEAST, "100", "%"),
        _IndicatorSpec(Level1.BENEFIT, "可持续影响", "项目持续发挥效益年限", Nature.AT_LEAST, str(rng.choice((3, 5, 10))), "年"),
        _IndicatorSpec(Level1.BENEFIT, "经济效益", "带动就业人数", Nature.AT_LEAST, str(rng.randint(5, 200)), "人"),
        _IndicatorSpec(Level1.OUTPUT, "时效指标", "资金拨付及时率", Nature.AT_LEAST, "95", "%"),
    ]
    return specs


DEPT_SPECS = (
    _IndicatorSpec(Level1.OUTPUT, "数量指标", "重点工作任务完成数", Nature.AT_LEAST, "10", "项"),
    _IndicatorSpec(Level1.OUTPUT, "质量指标", "“三公”经费控制率", Nature.AT_MOST, "100", "%"),
    _IndicatorSpec(Level1.BENEFIT, "社会效益", "部门职能履行情况", Nature.QUALITATIVE, "全面履行", None),
    _IndicatorSpec(Level1.SATISFACTION, "社会公众或服务对象满意度", "服务对象满意度", Nature.AT_LEAST, "90", "%"),
)


class _Year:
    """The records of one year, built in dependency order so every reference resolves."""

    def __init__(self, synth: Synth, year: int):
        self.s = synth
        self.year = year
        self.rng = random.Random(f"{synth.rng.random()}:{year}")
        self.projects = synth.active[year]
        self.public_projects = [p for p in self.projects if p.public]
        self.last = year == synth.preset.years[-1]
        self.draft = self.last and synth.preset.draft_last
        self.as_of = date(year + 1, 1, 10)
        self.t: dict[type, list[dict]] = {m: [] for m in schema.TABLES}
        self.finance_count = (0, 0)
        self.monitored_low: list[tuple[dict, Proj]] = []

    def row(self, model: type, **values) -> dict:
        values.setdefault("sample", True)
        values.setdefault("public", True)
        self.t[model].append(values)
        return values

    def build(self) -> dict[type, list[dict]]:
        self.departments()
        self.goals()
        self.exante()
        self.monitoring()
        evaluations = self.evaluations()
        self.rectifications(evaluations)
        self.applications(evaluations)
        return self.t

    # -- records -----------------------------------------------------------------------------

    def departments(self) -> None:
        for d in self.s.departments:
            self.row(Department, code=d.code, name=d.name, level=Level.FIRST)
        for d in self.s.subunits:
            self.row(Department, code=d.code, name=d.name, level=Level.SECOND, parent=d.parent)
        for p in self.projects:
            self.row(Project, code=p.code, name=p.name, department=p.dept.name, implementer=p.implementer,
                     kind=ProjectKind.NEW if p.first_year == self.year else ProjectKind.CONTINUING,
                     budget_type=p.budget_type, amount=p.amounts[self.year],
                     under_goal_management=True, public=p.public,
                     internal_note=None if p.public else "涉及个人信息，按规定不予公开")

    def goals(self) -> None:
        n = self.s.preset.indicators
        for i, p in enumerate(self.projects, start=1):
            gid = f"目标{self.year}-{i:04d}"
            amount = p.amounts[self.year]
            other = money(amount * Decimal("0.1")) if i % 7 == 0 else Decimal("0.00")
            self.row(Goal, id=gid, target=Target.PROJECT, project=p.code, department=p.dept.name,
                     annual_goal=f"{self.year}年完成{p.name}年度建设任务，{p.kind.benefit}。",
                     long_term_goal=p.kind.benefit if p.first_year != self.year else None,
                     total_funds=amount, fiscal_funds=amount - other, other_funds=other, public=p.public)
            specs = indicator_specs(p, self.year)[:n]
            self._indicators(gid, specs, p.public)
        for j, d in enumerate(self.s.departments, start=1):
            gid = f"目标{self.year}-B{j:03d}"
            self.row(Goal, id=gid, target=Target.DEPARTMENT, department=d.name,
                     annual_goal=f"全面履行{d.name}职能，完成{self.year}年度重点工作任务。")
            self._indicators(gid, list(DEPT_SPECS), True)

    def _indicators(self, gid: str, specs: list[_IndicatorSpec], public: bool) -> None:
        for level1, total in category_weights(specs, {Level1.OUTPUT: 60, Level1.BENEFIT: 30,
                                                      Level1.SATISFACTION: 10}).items():
            group = [s for s in specs if s.level1 is level1]
            for spec, w in zip(group, split_weight(total, len(group)), strict=True):
                self.row(Indicator, goal=gid, level1=spec.level1, level2=spec.level2, name=spec.name,
                         nature=spec.nature, target_value=spec.target, unit=spec.unit, weight=Decimal(w),
                         public=public)

    def exante(self) -> None:
        new = [p for p in self.public_projects if p.first_year == self.year]
        chosen = sorted(new, key=lambda p: -p.amounts[self.year])[: max(2, len(self.projects) // 100)]
        depts: list[str] = []
        for i, p in enumerate(chosen, start=1):
            conclusion = Conclusion.SUPPORT if i % 3 else Conclusion.PARTLY
            requested = p.amounts[self.year] if conclusion is Conclusion.SUPPORT else money(p.amounts[self.year] * Decimal("1.2"))
            self.row(ExAnte, id=f"事前{self.year}-{i}", project=p.code, project_name=p.name, department=p.dept.name,
                     assessor=self.rng.choice(EVALUATORS), conclusion=conclusion, requested=requested,
                     recommended=p.amounts[self.year], assessed_on=date(self.year, 1, 10 + i % 15))
            depts.append(p.dept.name)
        # A proposal the assessment turned down never becomes a project, so it has no 项目编码.
        d = self.s.departments[self.rng.randrange(len(self.s.departments))]
        kind = self.rng.choice(DEPARTMENTS[d.kind_index].kinds)
        self.row(ExAnte, id=f"事前{self.year}-{len(chosen) + 1}", project_name=f"{self.rng.choice(PLACES)}{kind.name}（拟新增）",
                 department=d.name, assessor=self.rng.choice(EVALUATORS), conclusion=Conclusion.REJECT,
                 requested=money(self.rng.uniform(100, 900)), recommended=Decimal("0.00"),
                 assessed_on=date(self.year, 2, 1))

    def monitoring(self) -> None:
        for i, p in enumerate(self.projects, start=1):
            budget = p.amounts[self.year]
            rate = self.rng.uniform(0.25, 0.95) if self.rng.random() > 0.08 else self.rng.uniform(0.05, 0.3)
            executed = money(budget * Decimal(str(round(rate, 4))))
            mid = f"监控{self.year}-{i:04d}"
            low = executed < budget * Decimal("0.4")
            values = self.row(Monitoring, id=mid, target=Target.PROJECT, project=p.code, department=p.dept.name,
                              period="1-7月", budget=budget, executed=executed,
                              execution_rate=money(executed / budget * 100),
                              deviation=self.rng.choice(MONITORING_DEVIATION) if low else None,
                              corrective=self.rng.choice(MONITORING_CORRECTIVE) if low else None, public=p.public)
            if low and p.public:
                self.monitored_low.append((values, p))
                specs = indicator_specs(p, self.year)
                for spec in (specs[0], next(s for s in specs if s.level2 == "成本指标")):
                    target = Decimal(spec.target)
                    period_value = executed if spec.unit == "万元" else (target * Decimal(str(round(rate, 2)))).quantize(Decimal(1))
                    likely = self.rng.random() < 0.8
                    self.row(MonitoringIndicator, monitoring=mid, name=spec.name, target_value=spec.target,
                             period_value=str(period_value), expected_value=spec.target if likely else str(period_value * 2),
                             likelihood=Likelihood.POSSIBLE if likely else Likelihood.IMPOSSIBLE,
                             deviation=values["deviation"])
        for j, d in enumerate(self.s.departments, start=1):
            budget = money(sum((p.amounts[self.year] for p in self.projects if p.dept is d), Decimal(0)) + 300)
            executed = money(budget * Decimal(str(round(self.rng.uniform(0.5, 0.75), 4))))
            self.row(Monitoring, id=f"监控{self.year}-B{j:03d}", target=Target.DEPARTMENT, department=d.name,
                     period="1-7月", budget=budget, executed=executed,
                     execution_rate=money(executed / budget * 100))

    def evaluations(self) -> list[dict]:
        """Evaluations carried out this year of last year's spending (DOMAIN.md: 2023 work evaluates 2022)."""
        previous = self.s.active.get(self.year - 1)
        active = {id(p) for p in self.projects}
        # Last year's projects (in the archive's first year, this year's that ran last year too): a project new this
        # year has no spending of last year to evaluate.
        pool = [p for p in (previous or [q for q in self.projects if q.first_year < self.year])
                if p.public and (previous is None or id(p) in active or self.rng.random() < 0.3)]
        self.rng.shuffle(pool)
        # Last year's new projects that had an ex-ante assessment are major ones: the finance bureau's key
        # evaluations (重点评价) take them first, so their whole course shows (事前评估 → … → 评价 → 整改).
        assessed = {x.get("project") for x in self.s.exante_by_year.get(self.year - 1, [])}
        pool.sort(key=lambda p: p.code not in assessed)
        n_finance = max(3, len(self.projects) // 60)
        n_self = max(5, len(self.projects) // 6)
        made: list[dict] = []
        counter = iter(range(1, 100000))

        def new_id() -> str:
            return f"评价{self.year}-{next(counter):04d}"

        for d in self.s.departments:
            score = money(self.rng.uniform(76, 98))
            made.append(self.row(Evaluation, id=new_id(), kind=EvaluationType.SELF, target=Target.DEPARTMENT,
                                 department=d.name, spending_year=self.year - 1, evaluator=d.name,
                                 score=score, grade=self.s.settings.grade_for(score)))
        finance_depts = self.s.departments[self.year % 5::5][:3]
        for d in finance_depts:
            score = money(self.rng.uniform(62, 92))
            made.append(self.row(Evaluation, id=new_id(), kind=EvaluationType.FINANCE, target=Target.DEPARTMENT,
                                 department=d.name, spending_year=self.year - 1, evaluator=self.rng.choice(EVALUATORS),
                                 score=score, grade=self.s.settings.grade_for(score),
                                 **self._findings(["goal", "archive"] if score < 85 else [])))
        for p in pool[:n_finance]:
            made.append(self._scored(new_id(), EvaluationType.FINANCE, p, self.rng.choice(EVALUATORS)))
        di, policy = POLICIES[self.year % len(POLICIES)]
        policy_dept = self.s.departments[di]
        policy_kind = DEPARTMENTS[di].kinds[0]
        stand_in = Proj("", policy, policy_dept, policy_kind, None, schema.BudgetType.GENERAL, Decimal(500),
                        self.year, amounts={self.year: Decimal(500)})
        made.append(self._scored(new_id(), EvaluationType.FINANCE, stand_in, self.rng.choice(EVALUATORS),
                                 policy=policy))
        for p in pool[n_finance:n_finance + max(2, n_self // 10)]:
            made.append(self._scored(new_id(), EvaluationType.DEPARTMENT, p, p.dept.name))
        for p in pool[n_finance + max(2, n_self // 10):n_finance + n_self]:
            made.append(self._scored(new_id(), EvaluationType.SELF, p, p.implementer or p.dept.name))
        finance = [e for e in made if e["kind"] is EvaluationType.FINANCE]
        self.finance_count = (sum(1 for e in finance if e["target"] is not Target.DEPARTMENT),
                              sum(1 for e in finance if e["target"] is Target.DEPARTMENT))
        return made

    def _scored(self, eid: str, kind: EvaluationType, p: Proj, evaluator: str, policy: str | None = None) -> dict:
        """An evaluation with its scoring table; each score follows the rule checks.py applies."""
        year = self.year - 1 if self.year - 1 in p.amounts else self.year
        specs = indicator_specs(p, year)[: self.s.preset.indicators]
        groups = category_weights(specs, {Level1.OUTPUT: 50, Level1.BENEFIT: 30, Level1.SATISFACTION: 10})
        weak = self.rng.random() < 0.3
        # A few do badly (中, now and then 差): the example must show what a poor result does to the budget.
        poor = weak and self.rng.random() < 0.3
        lost: list[str] = []
        rows = []
        for level1, total in groups.items():
            group = [s for s in specs if s.level1 is level1]
            for spec, w in zip(group, split_weight(total, len(group)), strict=True):
                actual, score = self._actual(spec, Decimal(w), weak, poor)
                if score < w:
                    lost.append({"时效指标": "time", "成本指标": "cost", "数量指标": "quantity"}.get(spec.level2, "goal"))
                rows.append(dict(evaluation=eid, level1=spec.level1, level2=spec.level2, name=spec.name,
                                 nature=spec.nature, target_value=spec.target, actual_value=actual,
                                 weight=Decimal(w), score=score))
        low = 0.45 if poor else 0.7 if weak else 0.9
        rate = Decimal(str(round(self.rng.uniform(low, 1.0 if not poor else 0.75) * 100, 2)))
        exec_score = money(Decimal(10) * rate / 100)  # 四舍五入, as checks.py and the pages round
        if rate < 90:
            lost.insert(0, "execution")
        rows.append(dict(evaluation=eid, level1=Level1.EXECUTION, level2="预算执行率", name="预算执行率",
                         nature=Nature.AT_LEAST, target_value="100", actual_value=str(rate), weight=Decimal(10),
                         score=exec_score))
        for r in rows:
            self.row(EvaluationScore, **r)
        total = sum((r["score"] for r in rows), Decimal(0))
        target = Target.POLICY if policy else Target.PROJECT
        return self.row(Evaluation, id=eid, kind=kind, target=target, project=None if policy else p.code,
                        department=p.dept.name, subject=policy, spending_year=self.year - 1, evaluator=evaluator,
                        score=total, grade=self.s.settings.grade_for(total),
                        **self._findings(list(dict.fromkeys(lost))[:2] if total < 92 else []),
                        _project=None if policy else p)

    def _actual(self, spec: _IndicatorSpec, weight: Decimal, weak: bool, poor: bool = False) -> tuple[str, Decimal]:
        if spec.nature is Nature.QUALITATIVE:
            achieved = self.rng.random() > (0.8 if poor else 0.4 if weak else 0.1)
            share = Decimal(str(self.rng.choice((0.9, 1.0)) if achieved else self.rng.choice((0.6, 0.7))))
            return ("达成" if achieved else "部分达成"), money(weight * share)
        target = Decimal(spec.target)
        miss = self.rng.random() < (0.85 if poor else 0.5 if weak else 0.15)
        if spec.nature is Nature.AT_LEAST:
            factor = (self.rng.uniform(0.35, 0.7) if poor else self.rng.uniform(0.6, 0.98)) if miss \
                else self.rng.uniform(1.0, 1.1)
            cap = Decimal(100) if spec.unit == "%" else None
            actual = (target * Decimal(str(round(factor, 3)))).quantize(CENT if spec.unit in ("万元",) else Decimal("0.1"))
            if cap is not None:
                actual = min(actual, cap)
            actual = actual.normalize() if actual == actual.to_integral_value() else actual
            ratio = actual / target if target else Decimal(1)
        else:
            factor = (self.rng.uniform(1.3, 1.8) if poor else self.rng.uniform(1.02, 1.3)) if miss \
                else self.rng.uniform(0.8, 1.0)
            actual = (target * Decimal(str(round(factor, 3)))).quantize(CENT if spec.unit == "万元" else Decimal("0.1"))
            ratio = target / actual if actual else Decimal(1)
        actual_text = format(actual, "f")
        return actual_text, money(weight * min(Decimal(1), ratio))

    def _findings(self, keys: list[str]) -> dict:
        if not keys:
            return {"findings": None, "advice": None}
        return {"findings": "；".join(FINDINGS[k][0] for k in keys) + "。",
                "advice": "；".join(FINDINGS[k][1] for k in keys) + "。"}

    def rectifications(self, evaluations: list[dict]) -> None:
        counter = iter(range(1, 100000))
        sources: list[tuple[SourceKind, str | None, str, Proj | None, str, str | None]] = []
        for e in evaluations:
            if e.get("findings"):
                sources.append((SourceKind.EVALUATION, e["id"], e["department"], e.get("_project"),
                                e["findings"], e["advice"]))
        for values, p in self.monitored_low[: max(2, len(self.monitored_low) // 4)]:
            sources.append((SourceKind.MONITORING, values["id"], p.dept.name, p,
                            f"监控发现{p.name}执行进度偏慢（1-7月执行率{values['execution_rate']}%）",
                            values["corrective"]))
        for problem, requirement in AUDIT_PROBLEMS:
            d = self.s.departments[self.rng.randrange(len(self.s.departments))]
            sources.append((SourceKind.AUDIT, None, d.name, None, problem, requirement))
        for kind, source_id, dept, p, problem, requirement in sources:
            # What 1-7月 monitoring found is known from August on; other problems from April.
            found = date(self.year, self.rng.randint(8 if kind is SourceKind.MONITORING else 4, 10),
                         self.rng.randint(1, 28))
            deadline = found + timedelta(days=self.rng.choice((30, 60, 90, 120)))
            r = self.rng.random()
            if self.last:
                # The newest year is still being worked on: a mix, some already overdue.
                status = (RectificationStatus.DONE if r < 0.45 else RectificationStatus.IN_PROGRESS if r < 0.8
                          else RectificationStatus.OPEN)
            else:
                status = RectificationStatus.DONE if r < 0.9 else RectificationStatus.IN_PROGRESS
            completed = None
            if status is RectificationStatus.DONE:
                completed = min(self.as_of, found + timedelta(days=self.rng.randint(10, 150)))
            n = next(counter)
            self.row(Rectification, id=f"整改{self.year}-{n:04d}", source_kind=kind, source_id=source_id,
                     department=dept, project=p.code if p else None, problem=problem, requirement=requirement,
                     found_on=found, deadline=deadline, status=status, completed_on=completed,
                     archived=status is RectificationStatus.DONE, contact=self.rng.choice(CONTACTS),
                     phone=f"0000-{self.rng.randint(1000000, 9999999)}",
                     # A few rectifications concern personnel matters and stay internal.
                     public=n % 40 != 7, internal_note="涉及人员处理，暂不公开" if n % 40 == 7 else None)

    def applications(self, evaluations: list[dict]) -> None:
        counter = iter(range(1, 100000))

        def add(**values) -> None:
            self.row(Application, id=f"应用{self.year}-{next(counter):04d}", **values)

        for e in evaluations:
            p: Proj | None = e.get("_project")
            if p is None or e["grade"] == "良":
                continue
            amount_now = p.amounts.get(self.year, p.base_amount)
            if e["grade"] == "优":
                add(source_kind=SourceKind.EVALUATION, source_id=e["id"], department=e["department"], project=p.code,
                    measure=Measure.PRIORITY, budget_year=self.year + 1,
                    description=f"{p.name}评价等级为“优”，{self.year + 1}年预算优先保障。")
            elif e["grade"] == "中":
                cut = money(amount_now * Decimal("0.1"))
                add(source_kind=SourceKind.EVALUATION, source_id=e["id"], department=e["department"], project=p.code,
                    measure=Measure.CUT, amount=cut, budget_year=self.year + 1,
                    description=f"{p.name}评价等级为“中”，{self.year + 1}年预算削减10%。")
                # The next year's budget (not made yet: years are made in order) carries the cut out.
                if p in self.s.active.get(self.year + 1, []):
                    p.amounts[self.year + 1] = amount_now - cut
            else:
                add(source_kind=SourceKind.EVALUATION, source_id=e["id"], department=e["department"], project=p.code,
                    measure=Measure.CANCEL, amount=amount_now, budget_year=self.year + 1,
                    description=f"{p.name}评价等级为“差”，{self.year + 1}年起取消该项目预算。")
                for later in self.s.active:
                    if later > self.year and p in self.s.active[later]:
                        self.s.active[later] = [q for q in self.s.active[later] if q is not p]
        for x in self.t[ExAnte]:
            if x["conclusion"] is Conclusion.PARTLY:
                add(source_kind=SourceKind.EX_ANTE, source_id=x["id"], department=x["department"],
                    project=x.get("project"), measure=Measure.CLAW_BACK, amount=x["requested"] - x["recommended"],
                    budget_year=self.year, description=f"根据事前绩效评估结论，{x['project_name']}按建议金额安排预算。")
        for values, p in self.monitored_low[:3]:
            add(source_kind=SourceKind.MONITORING, source_id=values["id"], department=p.dept.name, project=p.code,
                measure=Measure.ADJUST, budget_year=self.year,
                description=f"{p.name}执行进度偏慢，年中调整支出安排。")
        add(source_kind=SourceKind.GOAL_REVIEW, measure=Measure.RECTIFY_NOTICE, budget_year=self.year + 1,
            description="对绩效目标设置不合理的项目下发整改通知，督促重新编制绩效目标。", public=True,
            internal_note="名单见内部通报")

    # -- the report ------------------------------------------------------------------------------

    def report(self) -> dict:
        y = self.year
        t = self.t
        amount = sum((r["amount"] for r in t[Project] if r["under_goal_management"]), Decimal("0.00"))
        exante = t[ExAnte]
        evaluations = t[Evaluation]
        self_units = sum(1 for e in evaluations if e["kind"] is EvaluationType.SELF and e["target"] is Target.DEPARTMENT)
        fin_projects, fin_depts = self.finance_count
        title = f"{COUNTY}{y}年度预算绩效管理工作开展情况（示例数据）"
        report: dict = {
            "年度": y,
            "标题": title,
            "地区": COUNTY,
            "发布机构": f"{COUNTY}财政局",
            "状态": (YearStatus.DRAFT if self.draft else YearStatus.PUBLISHED).value,
            "索引号": None if self.draft else f"SL-{y}-0001",
            "文号": None if self.draft else f"示财绩〔{y + 1}〕1号",
            "成文日期": None if self.draft else date(y + 1, 1, 15),
            "发布日期": None if self.draft else date(y + 1, 1, 20),
            "导语": f"【示例数据】本页为程序生成的示例，{COUNTY}并不存在。{y}年，{COUNTY}持续推进预算绩效管理工作，"
                  f"现将{y}年度预算绩效管理工作开展情况公示如下。",
            "总体情况": [
                f"{y}年，{COUNTY}按照{{{{示例县预算绩效管理办法}}}}要求，全方位、全过程、全覆盖实施预算绩效管理，"
                "{{一级预算单位数}}个一级预算单位全部编制绩效目标并开展绩效运行监控和绩效自评。",
            ],
            "绩效目标管理": [
                f"{y}年全县{{{{纳入绩效目标管理的项目数}}}}个预算项目全部编制绩效目标，"
                "纳入绩效目标管理的项目支出金额{{纳入绩效目标管理的项目支出金额}}万元。",
            ],
            "事前绩效评估": [
                "对拟新增的重大项目开展事前绩效评估{{事前评估项目数}}个，涉及{{事前评估涉及部门数}}个部门，"
                "评估结论作为预算安排的依据。",
            ],
            "事中绩效监控": [
                "对{{绩效监控项目数}}个项目开展1-7月绩效运行监控，对执行进度偏慢的项目提出纠偏措施。",
            ],
            "事后绩效评价": [
                f"{{{{整体支出自评一级预算单位数}}}}个一级预算单位开展了{y - 1}年部门整体支出绩效自评；"
                "委托第三方机构对{{财政重点评价项目数}}个项目（含政策）和{{财政重点评价部门数}}个部门开展财政重点评价。",
            ],
            "绩效结果应用": [
                f"评价结果与{y + 1}年预算安排挂钩：评价等级为“中”的项目削减预算，为“差”的项目取消预算，"
                "为“优”的项目优先保障；发现的问题均下发整改通知，尚有{{未完成整改数}}项未完成整改。",
            ],
            "存在的问题": [
                {"标题": "部分单位绩效目标质量不高", "内容": "部分绩效指标难以量化，目标值设置偏低。"},
                {"标题": "预算执行进度不均衡", "内容": "部分项目上半年执行进度偏慢，资金结余较多。"},
            ],
            "下一步工作打算": [
                {"标题": "提高绩效目标编制质量", "内容": "加强绩效目标审核，推动指标细化量化。"},
                {"标题": "强化评价结果应用", "内容": "将评价结果与预算安排、政策调整挂钩。"},
            ],
            "引用文件": [
                {"编号": "示例县预算绩效管理办法", "标题": f"{COUNTY}财政局关于印发〈{COUNTY}预算绩效管理办法〉的通知",
                 "文号": f"示财绩〔{self.s.preset.years[0] - 1}〕5号", "发文机关": f"{COUNTY}财政局"},
            ],
            "汇总数": {
                "纳入绩效目标管理的项目支出金额": amount,
                "事前评估项目数": len(exante),
                "事前评估涉及部门数": len({x["department"] for x in exante}),
                "整体支出自评一级预算单位数": self_units,
                "财政重点评价项目数": fin_projects,
                "财政重点评价部门数": fin_depts,
            },
            "财政重点评价资金类型": ["一般公共预算", "政府性基金预算"],
            "更正说明": [],
            "数据说明": [SAMPLE_NOTE],
        }
        if not self.draft and y == self.s.preset.years[0] and len(self.s.preset.years) > 1:
            report["更正说明"].append({"日期": date(y + 1, 3, 2), "说明": "更正事前评估涉及部门数的表述（示例）。",
                                      "变更内容": "正文“涉及部门数”改为由明细统计。"})
        return report


# --- writing ---------------------------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_csv(path: Path, model: type[schema.Published], rows: list[dict]) -> None:
    """One table, columns in schema order under their Chinese aliases; only fields the schema defines."""
    # The record's own fields first, then 示例/公开/内部备注, as staff lay out their tables.
    common = schema.Published.model_fields
    names = [n for n in model.model_fields if n not in common] + [n for n in model.model_fields if n in common]
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow([model.alias_of(n) for n in names])
        out.writerows([_cell(r.get(n)) for n in names] for r in rows)


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(Decimal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:float", format(v, "f")))


def write_yaml(path: Path, data: dict, comment: str) -> None:
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)
    path.write_text(comment + text, encoding="utf-8")


def settings() -> dict:
    return {
        "站点名称": f"{COUNTY}预算绩效管理信息公开（示例数据）",
        "地区": COUNTY,
        "主办单位": f"{COUNTY}财政局（示例）",
        "联系方式": "示例数据，无联系方式",
        "网站标识码": None,
        "ICP备案号": None,
        "公安机关备案号": None,
    }


def generate(size: str, out: Path, seed: int = 1) -> list[Path]:
    """Write a complete data directory for ``size`` (S, M, L or example) into ``out``; returns the files."""
    preset = PRESETS[size]
    synth = Synth(preset, seed)
    out.mkdir(parents=True, exist_ok=True)
    header = f"# 示例数据：由 python -m generator synth {size} 生成（种子 {seed}），{COUNTY}并不存在。\n"
    written = [out / schema.SiteSettings.FILE]
    errata: dict[int, int] = {}
    write_yaml(written[0], settings(), header)
    for year in preset.years:
        year_dir = out / str(year)
        year_dir.mkdir(exist_ok=True)
        tables, report = synth.year_tables(year)
        if report["状态"] == YearStatus.PUBLISHED.value:
            errata[year] = len(report["更正说明"])
        for model in schema.TABLES:
            path = year_dir / model.FILE
            write_csv(path, model, tables[model])
            written.append(path)
        path = year_dir / schema.YearReport.FILE
        write_yaml(path, report, header)
        written.append(path)
    written.append(_freeze(out, errata))
    return written


def _freeze(out: Path, errata: dict[int, int]) -> Path:
    """Record the checksums of the published years, as `python -m generator freeze` would."""
    from . import freeze

    frozen = freeze.FrozenFile()
    for year, count in errata.items():
        frozen.years[year] = freeze.FrozenYear(校验值=freeze.year_checksum(out / str(year)), 更正条数=count,
                                               文件内容校验值=freeze.file_checksums(out / str(year)))
    freeze.write_frozen(out, frozen)
    return out / freeze.FROZEN_FILE
