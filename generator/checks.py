"""Rules across records: identities, references, totals, rates, grades, scores and dates.

Every rule appends to the report and carries on, so one run lists every problem. ``RULES`` names the source of
each rule; the data dictionary page prints it.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from operator import attrgetter

from .cache import ObjectCache
from .cache import key as cache_key
from .dataset import WHOLE_FILE, Dataset, YearData
from .load import plain_decimal
from .problems import Report
from .schema import (
    INDICATOR_LEVELS,
    RULE_FIELDS,
    UNFINISHED,
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
    Monitoring,
    MonitoringIndicator,
    Nature,
    Project,
    ProjectKind,
    QuantitativeRule,
    Record,
    Rectification,
    RectificationStatus,
    SiteSettings,
    SourceKind,
    Target,
    YearReport,
    YearRules,
    YearStatus,
    named_departments,
)
from .types import cents


@dataclass(frozen=True)
class Rule:
    code: str
    description: str
    source: str


RULES: tuple[Rule, ...] = (
    # The 依据 column of the public data dictionary: what a reader can look up or check, in Chinese.
    Rule("duplicate-id", "同一年度内记录编号（单位名称、项目编码、目标编号等）不得重复", "数据完整性"),
    Rule("unknown-reference", "引用的单位、项目、目标、监控、评价、事前评估须存在",
         "记录之间的关系：绩效目标、监控、评价、整改与结果应用都指向本年度的单位和项目"),
    Rule("total-mismatch", "年度资金总额 = 本年财政拨款 + 其他资金；汇总金额 = 明细金额之和（精确到分）",
         "金额以万元计、保留两位小数，按十进制精确计算：汇总数须是其组成部分的精确和"),
    Rule("count-mismatch", "报告中的汇总数量（项目数、部门数、单位数）与明细记录条数一致（有明细时）",
         "报告中的数字来自数据，并与明细记录核对"),
    Rule("rate-mismatch", "执行率 = 执行数 ÷ 全年预算数（调整后预算）",
         "预算执行率按调整后的全年预算数计算，不用年初预算数；容差见站点设置「执行率容差」"),
    Rule("grade-score-mismatch", "评价等级与得分在所配置的等级划分下一致",
         "等级划分见站点设置「等级划分」（默认全国口径：优≥90、良80–90、中60–80、差<60，下限含）"),
    Rule("score-mismatch", "评价总分与各指标得分之和一致；评价的指标分值合计为 100，绩效目标的不超过 100；项目单位自评各类一级指标的分值符合自评权重"
         "（未设满意度指标时，其分值可并入另一类）",
         "单位自评各类指标权重（财预〔2020〕10号：产出 50、效益 30、满意度 10、预算执行率 10，见站点设置「自评权重」）；"
         "容差见站点设置「得分容差」"),
    Rule("indicator-score-mismatch", "指标得分不超过分值；定量指标达到指标值得满分，未达到的按比例计分：正向 分值×完成值/指标值，"
         "反向 分值×指标值/完成值（指标值或完成值为负数时只核对得分在 0 与分值之间）；"
         "定性指标的完成情况为“达成”“部分达成”“未达成”时，得分在该档的区间内",
         "定量指标评分口径见站点设置「定量评分」（可设为不校验）；定性指标见「定性评分」（默认 达成 80–100%、部分达成 50–80%、"
         "未达成 0–50%）"),
    Rule("bad-indicator-level", "二级指标属于其一级指标（产出/效益/满意度/成本）",
         "绩效指标体系：产出指标（数量、质量、时效、成本）、效益指标（经济、社会、生态效益，可持续影响）、满意度指标"),
    Rule("date-order", "整改期限、完成日期不早于发现日期；完成日期不晚于数据截止日期（未设置时为最新年度的下一年年底）；"
         "监控发现的问题，发现日期不早于监控期间结束；发布日期不早于成文日期；更正日期不早于发布日期",
         "整改台账的时间顺序；已发布数据的更正须注明日期"),
    Rule("status-inconsistent", "“已整改”须有完成日期；“未整改”“整改中”不应有完成日期", "整改台账的状态与完成日期"),
    Rule("year-mismatch", "报告年度与文件夹一致；评价年度不晚于报告年度；结果应用影响的预算年度在上一年度到后两年之间；"
         "本年度“新增”的项目没有往年支出可评价（提示）",
         "年度关系：2023 年开展的评价针对 2022 年的支出，结果用于 2024 年预算"),
    Rule("unknown-placeholder", "正文中的 {{…}} 须对应汇总数、由明细统计的数或引用文件的编号", "报告中的数字来自数据"),
    Rule("uncounted-figure", "正文引用的由明细统计的数须有明细可统计：所统计的表不能是空表；一级预算单位数要求各单位填写级次"
         "（草稿年度为提示，已发布年度为错误）", "报告中的数字来自数据，不以空表或未填的级次充数"),
    Rule("second-goal", "同一项目同一年度只有一张绩效目标表（提示）：第二张多半是改了编号的旧表", "绩效目标管理"),
    Rule("unfinished-text", "已发布年度的正文、标题中不得留有新建年度时的“（待填写）”", "公开的报告须完整"),
    Rule("typed-figure", "正文中直接写出的金额、单位数、项目数等（提示）：应改为引用汇总数或由明细统计的数",
         "报告中的数字来自数据，并与明细记录核对"),
    Rule("missing-field", "对象类型为“项目”时须填项目编码；对象类型为“政策”时须填评价对象",
         "绩效目标、监控与评价的对象可以是项目、政策或部门整体支出"),
    Rule("out-of-range", "执行数不超过全年预算数；建议金额不超过申请金额，结论为“不予支持”时不建议安排金额；"
         "监控期间的月份在 1–12 月且起不晚于止",
         "绩效运行监控（监控期间如 1-7月）；事前绩效评估（申请金额、建议金额）"),
    Rule("department-mismatch", "引用项目的记录（目标、事前评估、监控、评价、整改、结果应用），其单位名称应为本年度项目表中该项目的"
         "主管部门或实施单位（提示，不阻止发布）", "项目由其主管部门或实施单位负责，各环节的记录属于同一单位"),
    Rule("bad-type", "单位编码、项目编码不能是网站保留的页面名“index”", "单位与项目页面的网址由其编码而来"),
    Rule("department-renamed", "同一单位编码在往年对应另一单位名称时提示（按同一单位更名处理，历年记录在同一单位页面）",
         "单位编码是单位页面的网址，机构改革更名时保持不变"),
    Rule("nonpublic-reference", "公开的记录不得引用标为不公开的单位、项目或来源记录（否则其名称会出现在公开页面）；项目是否公开按年度"
         "决定：看记录所在年度的项目表（该年度未列出此项目时，看此前最近列出它的年度），评价还看评价年度的项目表",
         "数据字典「公开」字段：“否”表示不出现在网站、搜索和下载中；某一年度不公开一个项目，不影响它在其他年度已公开的记录"),
    Rule("bad-enum", "评价等级须为所配置等级划分中的一个", "站点设置「等级划分」"),
    Rule("bad-number", "定量指标（≥、≤、=）的指标值为数字", "定量指标评分口径"),
    Rule("bad-settings", "等级划分不为空，等级与下限各不相同、在 0–100 之间且有下限为 0 的一档；自评权重非负、合计 100；"
         "定性评分各档的下限不大于上限；得分容差与执行率容差在 0–5 之间；年度口径每个起始年度只写一项",
         "评分口径按各地、各年度配置（站点设置及其「年度口径」）；自评权重默认依据财预〔2020〕10号"),
)

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
# A figure typed into the prose instead of taken from data: money, or a count of the records the site holds, also
# with the words that qualify such records (16个重点项目, 85家一级预算单位, 7个重大项目). Only those words: "3个方面的
# 问题" counts aspects, "3个月才完成整改" and "5个工作日内完成项目" are durations.
_QUALIFIERS = "一级|二级|三级|预算|重点|重大|试点|民生|新增|延续|主管|县级|县直|市级|乡镇|部门整体|整体"
TYPED_FIGURE = re.compile(r"(?<![\d.,〔（(\-第])\d[\d,]*(?:\.\d+)?\s*(?:万元|亿元"
                          rf"|[个家项](?:{_QUALIFIERS})*(?:单位|部门|项目|政策|整改|问题))")


def check(dataset: Dataset, report: Report, cache: ObjectCache | None = None) -> None:
    """Every cross-record rule. With ``cache``, a year whose files, settings and cross-year references are as in an
    earlier run reports that run's problems without checking again."""
    check_settings(dataset.settings, report)
    all_projects: dict[str, Project] = {}
    for data in dataset.years.values():
        for p in data.records(Project):
            all_projects.setdefault(p.code, p)
    shared = _AcrossYears(dataset)
    context = None
    for year, data in sorted(dataset.years.items()):
        if cache is None or data.key is None:
            _YearChecks(dataset.settings.for_year(year), year, data, all_projects, dataset, report, shared).run()
            continue
        if context is None:
            context = shared.digest(all_projects)
        key = cache_key("checks", data.key, context)
        problems = cache.get(key)
        if problems is None:
            own = Report()
            _YearChecks(dataset.settings.for_year(year), year, data, all_projects, dataset, own, shared).run()
            problems = own.problems
            cache.put(key, problems)
        report.extend(problems)


class _AcrossYears:
    """Sets drawn from every year (IDs a record may cite from another year, withheld IDs), built once per check
    rather than once per year."""

    def __init__(self, dataset: Dataset):
        self.dataset = dataset
        self._ids: dict = {}
        self._project_years: dict[str, dict[int, bool]] | None = None

    def _collect(self, model, *, withheld: bool) -> set:
        key = (model, withheld)
        if key not in self._ids:
            attr = "code" if model is Project else "id"
            self._ids[key] = {getattr(x, attr) for y in self.dataset.years.values() for x in y.records(model)
                              if not withheld or not x.public}
        return self._ids[key]

    def department_names_before(self, year: int) -> dict[str, tuple[int, str]]:
        """Each unit code's name in the latest year before ``year`` that lists it: code -> (year, name)."""
        out: dict[str, tuple[int, str]] = {}
        for y, data in sorted(self.dataset.years.items()):
            if y < year:
                out.update({d.code: (y, d.name) for d in data.records(Department) if d.code})
        return out

    def ids_of(self, *models) -> tuple[set, ...]:
        return tuple(self._collect(m, withheld=False) for m in models)

    def withheld(self, model) -> set:
        return self._collect(model, withheld=True)

    def _withheld_project_years(self) -> dict[str, dict[int, bool]]:
        """Each project withheld in some year: every year whose project table lists it, and whether it is public
        there (not if any of its rows that year is withheld)."""
        if self._project_years is None:
            codes = self._collect(Project, withheld=True)
            years: dict[str, dict[int, bool]] = defaultdict(dict)
            for y, data in sorted(self.dataset.years.items()):
                for p in data.records(Project):
                    if p.code in codes:
                        years[p.code][y] = years[p.code].get(y, True) and p.public
            self._project_years = dict(years)
        return self._project_years

    def withheld_projects(self, year: int) -> dict[str, int]:
        """The projects a public record of ``year`` may not name, each with the year whose project table withholds
        it. Publication is decided year by year, as the disclosures are: by the year's own project table, or for a
        year that does not list the project, by the latest earlier year that does (else the first later one). A
        project withheld from 2025 on keeps its published 2021–2024 records, which name it as those years list it."""
        out = {}
        for code, listed in self._withheld_project_years().items():
            deciding = year if year in listed else max((y for y in listed if y < year), default=min(listed))
            if not listed[deciding]:
                out[code] = deciding
        return out

    def withheld_in(self, code: str, year: int) -> bool:
        """Whether ``year``'s own project table lists the project as withheld."""
        return self._withheld_project_years().get(code, {}).get(year) is False

    def digest(self, all_projects: dict) -> str:
        """Everything a year's checks read besides its own records: settings, and what other years hold."""
        parts: list[str | bytes] = [self.dataset.settings_bytes, *sorted(all_projects),
                                    "|", *map(str, sorted(self.dataset.years))]
        for model in (Evaluation, ExAnte, Monitoring):
            parts += ["|", *sorted(self._collect(model, withheld=False))]
        for model in (Evaluation, Monitoring, ExAnte, Goal):
            parts += ["|", *sorted(self._collect(model, withheld=True))]
        parts += ["|", *sorted(f"{code}\x1f{y}\x1f{public}" for code, listed in self._withheld_project_years().items()
                               for y, public in listed.items())]
        parts += ["|", *sorted(f"{y}\x1f{d.code}\x1f{d.name}" for y, data in self.dataset.years.items()
                               for d in data.records(Department) if d.code)]
        return cache_key(*parts)


def check_settings(settings: SiteSettings, report: Report) -> None:
    """Grades, weights and scoring rules are configuration; a wrong band would silently mis-grade every evaluation.
    The rules of 年度口径 are held to the same checks, each where it is written."""

    def err(record: Record, attr: str, value, message: str) -> None:
        file, row = record.source
        row = record._lines.get(attr, row)
        report.error(file or "settings.yaml", row, "bad-settings", type(record).alias_of(attr), value, message)

    _check_rules(settings, err)
    seen: dict[int, YearRules] = {}
    for rules in settings.year_rules:
        if rules.from_year in seen:
            err(rules, "from_year", rules.from_year, "年度口径中此起始年度出现了多次；同一年度的改变请写在一项里")
        seen.setdefault(rules.from_year, rules)
        if not any(getattr(rules, name) is not None for name in RULE_FIELDS):
            err(rules, "from_year", rules.from_year, "此项没有写出改变的口径（等级划分、自评权重、定性评分、定量评分、得分容差或执行率容差）")
        _check_rules(rules, err)


def _check_rules(rules: SiteSettings | YearRules, err) -> None:
    bands = rules.grade_bands
    if bands is not None and not bands:
        err(rules, "grade_bands", "", "等级划分不能为空；不填此项则使用全国口径（优≥90、良80–90、中60–80、差<60）")
    for attr, upper in (("score_tolerance", Decimal(5)), ("rate_tolerance", Decimal(5))):
        value = getattr(rules, attr)
        if value is not None and not Decimal(0) <= value <= upper:
            err(rules, attr, value, f"容差应在 0 到 {upper} 之间；容差过大会放过真实的错误")
    categories = [c.value for c in Level1]
    weights = rules.self_eval_weights
    for name, weight in (weights or {}).items():
        if weight < 0:
            err(rules, "self_eval_weights", f"{name}: {weight}", "权重不能为负数")
        if name not in categories:
            err(rules, "self_eval_weights", name, "权重的类别应为一级指标名称：" + "、".join(categories))
    if weights and sum(weights.values(), Decimal(0)) != 100:
        err(rules, "self_eval_weights", sum(weights.values(), Decimal(0)), "自评权重合计应为 100")
    for band in bands or []:
        if [b.grade for b in bands].count(band.grade) > 1:
            err(band, "grade", band.grade, "等级划分中此等级出现了多次")
        if not Decimal(0) <= band.lower <= Decimal(100):
            err(band, "lower", band.lower, "下限应在 0 到 100 之间")
    lowers = [b.lower for b in bands or []]
    for band in bands or []:
        if lowers.count(band.lower) > 1:
            err(band, "lower", band.lower, "两个等级的下限相同，无法区分")
    if bands and min(lowers) != 0:
        err(min(bands, key=lambda b: b.lower), "lower", min(lowers), "最低一档的下限应为 0，否则低分无等级可归")
    qualitative = rules.qualitative_bands or []
    for band in qualitative:
        if [b.result for b in qualitative].count(band.result) > 1:
            err(band, "result", band.result, "定性评分中此完成情况出现了多次")
        if not Decimal(0) <= band.lower <= band.upper <= Decimal(100):
            err(band, "lower", f"{band.lower}–{band.upper}", "下限、上限应在 0 到 100 之间，且下限不大于上限")


# The table a reference field names (for a source, the kind the record says).
_REFERENCED = {"department": Department, "parent": Department, "implementer": Department, "project": Project,
               "goal": Goal, "monitoring": Monitoring, "evaluation": Evaluation}

_SOURCE_TABLES = {SourceKind.EVALUATION: Evaluation, SourceKind.MONITORING: Monitoring, SourceKind.EX_ANTE: ExAnte}

_PERIOD = re.compile(r"^(\d{1,2})-(\d{1,2})月$")


class _YearChecks:
    def __init__(self, settings: SiteSettings, year: int, data: YearData, all_projects, dataset, report: Report,
                 shared: _AcrossYears):
        self.settings = settings
        self.shared = shared
        self.year = year
        self.data = data
        self.all_projects = all_projects
        self.dataset = dataset
        self.report = report
        # A negative tolerance is reported once as a settings error; here it would flag every score.
        self.score_tolerance = max(Decimal(0), settings.score_tolerance)
        # No record states as done what happens after the data's cut-off (settings 数据截止日期); without one, after
        # the year following the archive's latest (a report is published the year after the year it reports).
        last = max(dataset.years) + 1 if dataset.years else year + 1
        self.latest_known_day = settings.as_of or date(last, 12, 31)
        self.latest_known_what = "站点设置的数据截止日期" if settings.as_of else f"最新年度报告发布之年（{last} 年）年底"
        self._partial = {id(r) for rows in data.partial.values() for r in rows}

    # -- helpers -------------------------------------------------------------------------------

    def rows(self, model, *needed: str) -> list:
        """The year's records of ``model``, then its rows that could not be read as a whole but whose ``needed``
        fields could (dataset.partial_record). A check of some fields runs on every row that has them read, so a
        row's independent mistakes are all listed in one run; none runs on a field that could not be read, whose
        own error says what is wrong (a bad 得分 is not also told to contradict the 等级)."""
        partial = [r for r in self.data.partial.get(model, ()) if self.read(r, *needed)]
        if not partial:
            return self.data.records(model)
        return sorted([*self.data.records(model), *partial], key=lambda r: r._row or 0)  # (one file: in its order)

    def read(self, record: Record, *attrs: str) -> bool:
        """Whether ``attrs`` of ``record`` hold what the row says: always for a record read whole; for a row that
        could not be, those of its fields that could be read (a blank one included: it is None in either case)."""
        return id(record) not in self._partial or all(a in record.__pydantic_fields_set__ for a in attrs)

    def err(self, record: Record, code: str, attr: str, value, message: str) -> None:
        if code == "unknown-reference" and value in self.data.unread:
            return  # the row it names could not be read: that row's own errors say why, once
        table = _SOURCE_TABLES.get(getattr(record, "source_kind", None)) if attr == "source_id" else _REFERENCED.get(attr)
        if code == "unknown-reference" and self.data.failed.get(table) == WHOLE_FILE:
            return  # the whole table it names could not be read: that file's error comes first
        self.report.error(*_where(record, attr), code, *_field_value(record, attr, value), message)

    def note(self, record: Record, code: str, attr: str, value, message: str) -> None:
        """A problem that does not stop publication (提示)."""
        self.report.notice(*_where(record, attr), code, *_field_value(record, attr, value), message)

    def run(self) -> None:
        self.ids()
        self.references()
        self.visibility()
        self.totals()
        self.rates()
        self.grades_and_scores()
        self.indicators()
        self.dates()
        self.years()
        if self.data.report is not None:
            self.narrative(self.data.report)
            self.declared(self.data.report)

    # -- identity ------------------------------------------------------------------------------

    def ids(self) -> None:
        for model in self.data.tables:
            if model.KEY:
                self._unique(self.rows(model, model.KEY), attrgetter(model.KEY), model.KEY)
        self._unique(self.rows(Indicator, "goal", "name"), lambda r: (r.goal, r.name), "name")
        self._unique(self.rows(EvaluationScore, "evaluation", "name"), lambda r: (r.evaluation, r.name), "name")
        self._unique(self.rows(MonitoringIndicator, "monitoring", "name"), lambda r: (r.monitoring, r.name), "name")
        codes = [d for d in self.rows(Department, "code") if d.code]
        self._unique(codes, lambda r: r.code, "code")
        # A unit's or a project's code is its page's address: "index" is the address of the list of them all.
        for record, attr in [*((d, "code") for d in codes), *((p, "code") for p in self.rows(Project, "code"))]:
            if record.code.lower() == "index":
                self.err(record, "bad-type", attr, record.code, "“index”是网站保留的页面名，不能用作编码；请填写实际编码")
        earlier = self.shared.department_names_before(self.year)
        for d in codes:
            old = earlier.get(d.code)
            if old is not None and self.read(d, "name") and old[1] != d.name:
                self.note(d, "department-renamed", "name", d.name,
                          f"单位编码 {d.code} 在 {old[0]} 年度的单位名称为“{old[1]}”；按同一单位更名处理，历年记录显示在同一单位页面"
                          "（列出曾用名）；如果不是更名，请核对单位编码")
        if self.data.report:
            self._unique(self.data.report.documents, lambda d: d.key, "key")
        # One 绩效目标表 a project a year: a second one is most often the first renumbered in the workbook (import
        # adds a renumbered record; it does not replace the old one), and the site would show both.
        goal_of: dict[str, Goal] = {}
        for g in self.rows(Goal, "target", "project", "id"):
            if g.target is Target.PROJECT and g.project:
                first = goal_of.setdefault(g.project, g)
                if first is not g:
                    self.note(g, "second-goal", "id", g.id,
                              f"项目 {g.project} 本年度已有绩效目标 {first.id}（{first.source[0]} 第{first.source[1]}行）；"
                              "若是改了编号，请删去旧编号的那一行（连同其指标），否则两张目标表都会公开")

    def _unique(self, records, key, attr) -> None:
        first: dict = {}
        for r in records:
            k = key(r)
            if k in first:
                other = first[k].source
                self.err(r, "duplicate-id", attr, k if isinstance(k, str) else " / ".join(map(str, k)),
                         f"与 {other[0]} 第{other[1]}行重复；每条记录的编号须唯一")
            else:
                first[k] = r

    # -- references ----------------------------------------------------------------------------

    def references(self) -> None:
        d = self.data
        departments = {x.name for x in d.records(Department)}
        goals = {x.id for x in d.records(Goal)}
        monitoring = {x.id for x in d.records(Monitoring)}
        evaluations, exante, all_monitoring = self.shared.ids_of(Evaluation, ExAnte, Monitoring)

        def dept(record, attr="department"):
            value = getattr(record, attr)
            if value and value not in departments:
                self.err(record, "unknown-reference", attr, value,
                         f"预算单位表（{self.year}/departments.csv）中没有此单位名称" + _suggest(value, departments))

        year_projects = {p.code: p for p in d.records(Project)}

        def project(record, required=False):
            if record.project and record.project not in self.all_projects:
                self.err(record, "unknown-reference", "project", record.project, "项目表（projects.csv）中没有此项目编码")
            elif required and not record.project:
                self.err(record, "missing-field", "project", "", "对象类型为“项目”时须填写项目编码")
            elif record.project in year_projects:
                # Only against this year's projects.csv: a project may move to another department between years.
                p = year_projects[record.project]
                if record.department in departments and record.department not in (p.department, p.implementer):
                    also = f"、实施单位为“{p.implementer}”" if p.implementer else ""
                    self.note(record, "department-mismatch", "department", record.department,
                              f"本年度项目表中项目 {p.code} 的主管部门为“{p.department}”{also}；请确认单位名称是否填错")

        def goal(record):
            if record.goal not in goals:
                self.err(record, "unknown-reference", "goal", record.goal, "绩效目标表（goals.csv）中没有此目标编号")

        def monitoring_of(record):
            if record.monitoring not in monitoring:
                self.err(record, "unknown-reference", "monitoring", record.monitoring,
                         "监控表（monitoring.csv）中没有此监控编号")

        own_evals = {x.id for x in d.records(Evaluation)}

        def evaluation_of(record):
            if record.evaluation not in own_evals:
                self.err(record, "unknown-reference", "evaluation", record.evaluation,
                         "本年度评价表（evaluations.csv）中没有此评价编号")

        sources = {
            SourceKind.EVALUATION: (evaluations, "评价表（evaluations.csv）中没有此评价编号"),
            SourceKind.MONITORING: (all_monitoring, "监控表（monitoring.csv）中没有此监控编号"),
            SourceKind.EX_ANTE: (exante, "事前评估表（exante.csv）中没有此评估编号"),
        }

        def source(record):
            if record.source_kind in sources:
                known, message = sources[record.source_kind]
                if record.source_id and record.source_id not in known:
                    self.err(record, "unknown-reference", "source_id", record.source_id, message)

        # Rows that could not be read as a whole have the references that could be read checked too, so that a
        # row's misspelt unit shows in the same run as its bad amount (``rows``).
        for model in (Project, Goal, ExAnte, Monitoring, Evaluation, Rectification, Application):
            for r in self.rows(model, "department"):
                dept(r)
        for model in (Goal, ExAnte, Monitoring, Evaluation, Rectification, Application):
            targeted = "target" in model.model_fields
            for r in self.rows(model, "project"):
                project(r, required=targeted and self.read(r, "target") and r.target is Target.PROJECT)
        for i in self.rows(Indicator, "goal"):
            goal(i)
        for mi in self.rows(MonitoringIndicator, "monitoring"):
            monitoring_of(mi)
        for e in self.rows(Evaluation, "target", "subject"):
            if e.target is Target.POLICY and not e.subject:
                self.err(e, "missing-field", "subject", "", "对象类型为“政策”时须填写评价对象（政策名称）")
        for s in self.rows(EvaluationScore, "evaluation"):
            evaluation_of(s)
        for model in (Rectification, Application):
            for r in self.rows(model, "source_kind"):
                source(r)

    def visibility(self) -> None:
        """A public record must not point at a withheld one: its page would print the withheld name, or link to a
        page that does not exist. (Rows under a withheld goal, monitoring or evaluation are withheld with it.)"""
        hidden_departments = {x.name for x in self.data.records(Department) if not x.public}
        hidden_projects = self.shared.withheld_projects(self.year)
        hidden = {
            "department": (hidden_departments, "单位"),
            "parent": (hidden_departments, "上级单位"),
            "implementer": (hidden_departments, "实施单位"),
            "project": (hidden_projects, "项目"),
        }
        hidden_sources = {
            kind: self.shared.withheld(model)
            for kind, model in ((SourceKind.EVALUATION, Evaluation), (SourceKind.MONITORING, Monitoring),
                                (SourceKind.EX_ANTE, ExAnte), (SourceKind.GOAL_REVIEW, Goal))
        }
        # 审计监督 and 其他 name no record kind of ours, but their 来源编号 is published: it must not be a withheld ID.
        any_withheld = set().union(*hidden_sources.values(), hidden_projects)
        hidden_sources[SourceKind.AUDIT] = hidden_sources[SourceKind.OTHER] = any_withheld
        message = "此记录公开，但引用的{what}标为不公开（公开: 否），公开页面会显示它；请把两者的“公开”设为一致"
        for model in self.data.tables:
            # Only the references this kind of record has, and only to kinds that withhold something.
            refs = [(attr, names, what) for attr, (names, what) in hidden.items()
                    if names and attr in model.model_fields]
            sourced = issubclass(model, Rectification | Application) and any(hidden_sources.values())
            if not refs and not sourced:
                continue
            for r in self.rows(model, "public"):
                if not r.public:
                    continue
                for attr, names, what in refs:
                    if getattr(r, attr) in names:
                        text = self._withheld_project(hidden_projects[r.project]) if attr == "project" \
                            else message.format(what=what)
                        self.err(r, "nonpublic-reference", attr, getattr(r, attr), text)
                if sourced and r.source_id in hidden_sources.get(r.source_kind, ()):
                    self.err(r, "nonpublic-reference", "source_id", r.source_id, message.format(what="来源记录"))
        # An evaluation is also about its spending year, and its project's page shows it under that year: the
        # scores, targets and findings of a year whose project record is withheld would be published through it.
        for e in self.rows(Evaluation, "public", "project", "spending_year"):
            if e.public and e.project and e.project not in hidden_projects \
                    and self.shared.withheld_in(e.project, e.spending_year):
                self.err(e, "nonpublic-reference", "project", e.project,
                         f"此记录公开，但它评价的是项目 {e.spending_year} 年度的资金，而该项目在 {e.spending_year} 年度项目表中"
                         "标为不公开（公开: 否），公开此评价会在项目页面显示该年度的情况。项目是否公开按年度决定；请把此评价也设为"
                         f"不公开，或把 {e.spending_year} 年度项目表中该项目的“公开”改为“是”")

    def _withheld_project(self, year: int) -> str:
        """Why a public record may not name a project withheld in ``year``, and the two ways out (neither touches the
        other years: a project's earlier, published years stay as they are)."""
        where = "在本年度项目表中" if year == self.year else \
            f"不在本年度项目表中，而在{'此前' if year < self.year else '此后'}最近列出它的 {year} 年度项目表中"
        own = "" if year == self.year else "，或在本年度项目表中列出该项目并标为公开"
        return (f"此记录公开，但它引用的项目{where}标为不公开（公开: 否），公开页面会显示它。项目是否公开按年度决定："
                f"某年的项目表决定该年，以及其后未列出该项目的年度；请把此记录也设为不公开，或把 {year} 年度项目表中"
                f"该项目的“公开”改为“是”{own}")

    # -- money ---------------------------------------------------------------------------------

    def totals(self) -> None:
        for g in self.rows(Goal, "total_funds", "fiscal_funds", "other_funds"):
            if g.total_funds is None or (g.fiscal_funds is None and g.other_funds is None):
                continue
            parts = (g.fiscal_funds or Decimal(0)) + (g.other_funds or Decimal(0))
            if parts != g.total_funds:
                self.err(g, "total-mismatch", "total_funds", g.total_funds,
                         f"应等于 本年财政拨款 + 其他资金 = {parts}（万元）")

    def declared(self, rep: YearReport) -> None:
        f = rep.figures
        d = self.data
        # A table with rows that could not be read cannot be added up yet: those rows' own errors come first (a
        # total or count said to be wrong because of them would send staff after the wrong figure).
        projects = [] if d.failed.get(Project) else d.records(Project)
        if f.goal_project_amount is not None and projects:
            total = sum((p.amount for p in projects if p.under_goal_management), Decimal("0.00"))
            if total != f.goal_project_amount:
                self.err(f, "total-mismatch", "goal_project_amount", f.goal_project_amount,
                         f"项目表中“纳入绩效目标管理”为“是”的项目金额合计为 {total} 万元，两者应相等")
        exante = [] if d.failed.get(ExAnte) else d.records(ExAnte)
        if exante:
            self._count(f, "exante_projects", len(exante), "事前评估表的记录条数")
            named = named_departments(exante)
            if named is not None:
                self._count(f, "exante_departments", len(named), "事前评估表涉及的主管部门数")
        evaluations = [] if d.failed.get(Evaluation) or d.failed.get(Department) else d.records(Evaluation)
        if evaluations:
            self_dept = [e for e in evaluations if e.kind is EvaluationType.SELF and e.target is Target.DEPARTMENT]
            finance = [e for e in evaluations if e.kind is EvaluationType.FINANCE]
            if self_dept:
                # 一级预算单位 that evaluated their whole spending: each unit once, lower-level units not counted
                # (a unit without a 级次 counts: the table does not say it is lower).
                levels = {x.name: x.level for x in d.records(Department)}
                units = {e.department for e in self_dept if levels.get(e.department) in (Level.FIRST, None)}
                self._count(f, "self_eval_units", len(units), "开展部门整体支出自评的一级预算单位数")
            if finance:
                self._count(f, "finance_eval_projects",
                            sum(1 for e in finance if e.target is not Target.DEPARTMENT), "财政重点评价（项目、政策）的条数")
                self._count(f, "finance_eval_departments",
                            sum(1 for e in finance if e.target is Target.DEPARTMENT), "财政重点评价（部门整体）的条数")

    def _count(self, figures, attr: str, actual: int, what: str) -> None:
        declared = getattr(figures, attr)
        if declared is not None and declared != actual:
            self.err(figures, "count-mismatch", attr, declared, f"{what}为 {actual}，两者应相等")

    def rates(self) -> None:
        tolerance = max(Decimal(0), self.settings.rate_tolerance)  # a negative one is reported in settings
        for m in self.rows(Monitoring, "budget", "executed"):
            if m.budget == 0:
                if m.executed:
                    self.err(m, "rate-mismatch", "executed", m.executed, "全年预算数为 0 时不应有执行数")
                continue
            expected = cents(m.executed / m.budget * 100)
            if self.read(m, "execution_rate") and m.execution_rate is not None \
                    and abs(m.execution_rate - expected) > tolerance:
                # Excel percent cells saved as a fraction (0.62 for 62%) are the usual cause: say so.
                hint = "；看起来填的是小数，执行率请填百分数（例如 62 或 62%）" \
                    if abs(m.execution_rate * 100 - expected) <= tolerance else ""
                self.err(m, "rate-mismatch", "execution_rate", m.execution_rate,
                         f"执行数 {m.executed} ÷ 全年预算数 {m.budget} = {expected}%{hint}")
            if m.executed > m.budget:
                self.err(m, "out-of-range", "executed", m.executed, f"执行数不应超过全年预算数 {m.budget}")
        for m in self.rows(Monitoring, "period"):
            start, end = (int(x) for x in _PERIOD.match(m.period).groups())
            if not 1 <= start <= end <= 12:
                self.err(m, "out-of-range", "period", m.period, "监控期间的月份应在 1–12 月之间，且起始月不晚于截止月")
        for x in self.rows(ExAnte, "requested", "recommended", "conclusion"):
            if x.requested is not None and x.recommended is not None and x.recommended > x.requested:
                self.err(x, "out-of-range", "recommended", x.recommended, f"建议金额不应超过申请金额 {x.requested}")
            elif x.conclusion is Conclusion.REJECT and x.recommended:
                self.err(x, "out-of-range", "recommended", x.recommended,
                         "评估结论为“不予支持”时，建议金额应为 0 或不填；若建议部分安排，结论应为“部分支持”")

    # -- scores --------------------------------------------------------------------------------

    def grades_and_scores(self) -> None:
        grades = [b.grade for b in sorted(self.settings.grade_bands, key=lambda b: b.lower, reverse=True)]  # best first
        scores_by_eval: dict[str, list[EvaluationScore]] = defaultdict(list)
        for s in self.data.records(EvaluationScore):
            scores_by_eval[s.evaluation].append(s)
        # An evaluation with a score row that could not be read has no totals to check yet: that row's own error is
        # what to fix (a 分值 of "30%" would also make the 分值 add up to 70). A row whose evaluation is not known
        # either holds every evaluation's totals back.
        unread = [r for r in self.data.partial.get(EvaluationScore, []) if r.evaluation]
        all_unread = self.data.failed.get(EvaluationScore, 0) > len(unread)
        unread_evaluations = {r.evaluation for r in unread}
        for e in self.rows(Evaluation):
            if self.read(e, "grade") and e.grade is not None and e.grade not in grades:
                self.err(e, "bad-enum", "grade", e.grade,
                         "等级应为以下之一：" + "、".join(grades) + "（站点设置「等级划分」）" + _grade_meant(e.grade, grades))
            elif self.read(e, "grade", "score") and e.grade is not None and e.score is not None:
                expected = self.settings.grade_for(e.score)
                if expected != e.grade:
                    self.err(e, "grade-score-mismatch", "grade", e.grade,
                             f"得分 {e.score} 按等级划分应为“{expected}”")
            rows = scores_by_eval.get(e.id, []) if self.read(e, "id") else []
            if not rows or all_unread or e.id in unread_evaluations:
                continue
            weights = sum((r.weight for r in rows), Decimal(0))
            if weights != 100:
                # Said at the first row of the evaluation's scores, as a total: no single row is wrong.
                missing = ("；其中没有“预算执行率”指标（通常 10 分），是否漏填？"
                           if all(r.level1 is not Level1.EXECUTION for r in rows) else "")
                self.err(rows[0], "score-mismatch", "weight", f"合计 {weights}",
                         f"评价 {e.id} 的 {len(rows)} 项指标分值合计为 {weights}，应为 100{missing}")
            elif self.read(e, "kind", "target") and e.kind is EvaluationType.SELF and e.target is Target.PROJECT:
                self._self_eval_weights(e, rows)
            if self.read(e, "score") and e.score is not None and all(r.score is not None for r in rows):
                total = sum((r.score for r in rows), Decimal(0))
                if abs(total - e.score) > self.score_tolerance:
                    self.err(e, "score-mismatch", "score", e.score,
                             f"各指标得分之和为 {total}，差额超过容差 {self.score_tolerance}")
        for s in self.rows(EvaluationScore, "score", "weight"):
            self._indicator_score(s)

    def _self_eval_weights(self, e: Evaluation, rows: list[EvaluationScore]) -> None:
        """单位自评 of a project: each first-level category carries its configured points (自评权重); where no
        satisfaction indicator is set, its points may have gone to one other category (60/30/10)."""
        weights = self.settings.self_eval_weights
        if not weights:
            return
        actual: dict[str, Decimal] = defaultdict(Decimal)
        for r in rows:
            # 成本指标 at the first level (newer tables) counts with 产出 unless it has points of its own.
            category = r.level1.value
            if category not in weights and r.level1 is Level1.COST:
                category = Level1.OUTPUT.value
            actual[category] += r.weight
        actual = {c: w for c, w in actual.items() if w}  # (a category given 0 points is as one not given)
        wanted = {c: w for c, w in weights.items() if w}
        if all(actual.get(c, Decimal(0)) == w for c, w in wanted.items()) and set(actual) <= set(wanted):
            return
        moved = wanted.pop(Level1.SATISFACTION.value, None)
        if moved is not None and Level1.SATISFACTION.value not in actual:
            for c in wanted:
                options = dict(wanted, **{c: wanted[c] + moved})
                if all(actual.get(k, Decimal(0)) == w for k, w in options.items()) and set(actual) <= set(options):
                    return
        shown = "、".join(f"{c} {format(w, 'f')}" for c, w in actual.items())
        should = "、".join(f"{c} {format(w, 'f')}" for c, w in weights.items() if w)
        self.err(rows[0], "score-mismatch", "weight", shown,
                 f"评价 {e.id} 为项目单位自评，各类指标的分值按站点设置「自评权重」应为 {should}"
                 "（未设满意度指标时，其分值可并入另一类）")

    def _indicator_score(self, s: EvaluationScore) -> None:
        if s.score is None:
            return
        if s.score > s.weight:
            self.err(s, "indicator-score-mismatch", "score", s.score, f"得分不能超过分值 {s.weight}")
            return
        if s.actual_value is None or not self.read(s, "actual_value", "nature", "target_value"):
            return
        if s.nature is Nature.QUALITATIVE:
            self._qualitative_score(s)
            return
        if s.nature is Nature.EQUAL or self.settings.quantitative_rule is QuantitativeRule.UNCHECKED:
            return
        target, actual = _number(s.target_value), _number(s.actual_value)
        if target is None or actual is None:
            return
        # A met target earns full marks. A missed one earns its share: the proportional rule is defined for values
        # that are not negative (a growth rate of -1% against 5%, or a target of -2 for a cost change, has no share
        # to take), so there only the stated score's range is checked, above.
        if s.nature is Nature.AT_LEAST:
            met, ratio = actual >= target, (actual / target if target > 0 and actual >= 0 else None)
        else:
            met, ratio = actual <= target, (target / actual if actual > 0 and target >= 0 else None)
        if not met and ratio is None:
            return
        expected = s.weight if met else cents(s.weight * ratio)
        if abs(expected - s.score) > self.score_tolerance:
            self.err(s, "indicator-score-mismatch", "score", s.score,
                     f"按{'正向' if s.nature is Nature.AT_LEAST else '反向'}指标评分规则应得 {expected} 分")

    def _qualitative_score(self, s: EvaluationScore) -> None:
        """定性: a completion written as one of the configured results (达成, 部分达成, 未达成) scores within its share of
        the points; other wording is not checked."""
        band = next((b for b in self.settings.qualitative_bands if b.result == s.actual_value.strip()), None)
        if band is None or not s.weight:
            return
        low, high = cents(s.weight * band.lower / 100), cents(s.weight * band.upper / 100)
        if not low - self.score_tolerance <= s.score <= high + self.score_tolerance:
            self.err(s, "indicator-score-mismatch", "score", s.score,
                     f"定性指标完成情况为“{band.result}”，按站点设置「定性评分」应得分值的 {format(band.lower, 'f')}%–"
                     f"{format(band.upper, 'f')}%，即 {low}–{high} 分")

    def indicators(self) -> None:
        # A goal table's points may leave out 预算执行率 (added at evaluation), but never add up to more than 100.
        by_goal: dict[str, list[Indicator]] = defaultdict(list)
        for i in self.data.records(Indicator):
            if i.weight is not None:
                by_goal[i.goal].append(i)
        for goal, rows in by_goal.items():
            total = sum((i.weight for i in rows), Decimal(0))
            if total > 100:
                self.err(rows[0], "score-mismatch", "weight", f"合计 {total}",
                         f"绩效目标 {goal} 的 {len(rows)} 项指标分值合计为 {total}，不应超过 100")
        for i in [*self.rows(Indicator, "level1", "level2"), *self.rows(EvaluationScore, "level1", "level2")]:
            allowed = INDICATOR_LEVELS[i.level1]
            if i.level2 not in allowed:
                self.err(i, "bad-indicator-level", "level2", i.level2,
                         f"“{i.level1}”下的二级指标应为：{'、'.join(allowed)}")
        for i in [*self.rows(Indicator, "nature", "target_value"), *self.rows(EvaluationScore, "nature", "target_value")]:
            if i.nature is not Nature.QUALITATIVE and _number(i.target_value) is None:
                self.err(i, "bad-number", "target_value", i.target_value, "定量指标（≥、≤、=）的指标值应为数字；文字目标请将指标性质设为“定性”")

    # -- dates and years -----------------------------------------------------------------------

    def dates(self) -> None:
        # A problem a monitoring record found is known once its period is over (1-7月: after 31 July).
        period_ends = {m.id: (m.period, _period_end(self.year, m.period)) for m in self.data.records(Monitoring)}
        for r in self.rows(Rectification):
            found = self.read(r, "found_on")  # (of a row not read whole, each rule of the dates that could be read)
            if found and r.source_kind is SourceKind.MONITORING and r.source_id in period_ends:
                period, end = period_ends[r.source_id]
                if end is not None and r.found_on < end:
                    self.err(r, "date-order", "found_on", r.found_on,
                             f"问题由监控 {r.source_id}（监控期间 {period}）发现，发现日期应不早于监控期间结束的 {end}")
            if found and self.read(r, "deadline") and r.deadline < r.found_on:
                self.err(r, "date-order", "deadline", r.deadline, f"整改期限不能早于发现日期 {r.found_on}")
            if found and r.completed_on and r.completed_on < r.found_on:
                self.err(r, "date-order", "completed_on", r.completed_on, f"完成日期不能早于发现日期 {r.found_on}")
            if r.completed_on and r.completed_on > self.latest_known_day:
                self.err(r, "date-order", "completed_on", r.completed_on,
                         f"完成日期晚于{self.latest_known_what} {self.latest_known_day}，还不能算已完成；请核对日期")
            if not self.read(r, "status", "completed_on"):
                continue
            if r.status is RectificationStatus.DONE and not r.completed_on:
                self.err(r, "status-inconsistent", "completed_on", "", "状态为“已整改”时须填写完成日期")
            if r.status is not RectificationStatus.DONE and r.completed_on:
                self.err(r, "status-inconsistent", "status", r.status,
                         "已填写完成日期，状态应为“已整改”；若尚未完成请清空完成日期")
        rep = self.data.report
        if rep is None:
            return
        if rep.written_on and rep.published_on and rep.published_on < rep.written_on:
            self.err(rep, "date-order", "published_on", rep.published_on, f"发布日期不能早于成文日期 {rep.written_on}")
        for e in rep.errata:
            if rep.published_on and e.on < rep.published_on:
                self.err(e, "date-order", "on", e.on, f"更正日期不能早于发布日期 {rep.published_on}")

    def years(self) -> None:
        rep = self.data.report
        if rep is not None and rep.year != self.year:
            self.err(rep, "year-mismatch", "year", rep.year, f"文件位于 {self.year} 年度文件夹，年度应为 {self.year}")
        for e in self.rows(Evaluation, "spending_year"):
            if e.spending_year > self.year:
                self.err(e, "year-mismatch", "spending_year", e.spending_year,
                         f"评价年度（被评价资金的年度）不能晚于报告年度 {self.year}")
        for a in self.rows(Application, "budget_year"):
            if a.budget_year is None:
                continue
            if a.budget_year < self.year - 1:
                self.err(a, "year-mismatch", "budget_year", a.budget_year,
                         f"结果应用影响的预算年度应不早于 {self.year - 1} 年")
            elif a.budget_year > self.year + 2:
                self.err(a, "year-mismatch", "budget_year", a.budget_year,
                         f"结果应用影响的通常是下一年度（{self.year + 1} 年）的预算，最晚 {self.year + 2} 年；请核对年度")
        # A project the year's project table calls 新增 had no spending before this year: an evaluation of an
        # earlier year's spending of it contradicts one of the two (a notice: the table may have the wrong 项目属性).
        new = {p.code for p in self.data.records(Project) if p.kind is ProjectKind.NEW}
        for e in self.rows(Evaluation, "project", "spending_year"):
            if e.project in new and e.spending_year < self.year:
                self.note(e, "year-mismatch", "spending_year", e.spending_year,
                          f"项目 {e.project} 在本年度项目表中为“新增”，此前没有支出可评价；请核对评价年度或项目属性")

    # -- narrative -----------------------------------------------------------------------------

    def _counted_figure(self, rep: YearReport, record, line_key: str, attr: str, key: str) -> None:
        """A figure counted from records is published as counted: from an empty table that is 0, and a unit whose
        级次 is not stated is not counted as 一级. Told where the text cites it; refused in a published year."""
        problem = _counted_problem(self.data, key)
        if problem is None:
            return
        file, row = record.source
        tell = self.report.error if rep.status is YearStatus.PUBLISHED else self.report.notice
        tell(file, record._lines.get(line_key, row), "uncounted-figure", type(record).alias_of(attr), "{{" + key + "}}",
             problem)

    def narrative(self, rep: YearReport) -> None:
        # A counted figure whose table has unread rows is citable; it is counted once those rows are fixed.
        citable = self.data.counted(whole=False)
        known = placeholder_values(rep, citable).keys()
        counted_names = "、".join("{{" + k + "}}" for k in citable)
        declared = placeholder_values(rep).keys()
        texts = [(rep, f"{attr}.{i}", attr, text)
                 for attr in ("overview", "goals", "exante", "monitoring", "evaluation", "application")
                 for i, text in enumerate(getattr(rep, attr))]
        texts += [(item, "body", "body", item.body) for item in [*rep.problems, *rep.plans]]
        if rep.preface:
            texts.append((rep, "preface", "preface", rep.preface))
        texts += [(item, "title", "title", item.title) for item in [*rep.problems, *rep.plans]]
        for record, line_key, attr, text in texts:
            if UNFINISHED in text and rep.status is YearStatus.PUBLISHED:
                file, row = record.source
                self.report.error(file, record._lines.get(line_key, row), "unfinished-text",
                                  type(record).alias_of(attr), UNFINISHED,
                                  "已发布年度的报告中仍有新建年度时留下的“（待填写）”；请写好这一段（不需要的删去），"
                                  "或把状态改回“草稿”")
            typed = TYPED_FIGURE.findall(PLACEHOLDER.sub("", text))
            if typed:
                file, row = record.source
                self.report.notice(file, record._lines.get(line_key, row), "typed-figure", type(record).alias_of(attr),
                                   "、".join(dict.fromkeys(typed)),
                                   "正文中直接写了数字；报告中的数字应来自数据并与明细核对："
                                   + (f"可引用由明细统计的数（{counted_names}），或" if counted_names else "")
                                   + "在“汇总数”中填写后用 {{名称}} 引用")
            for key in PLACEHOLDER.findall(text):
                if key in citable and key not in declared:
                    self._counted_figure(rep, record, line_key, attr, key)
                if key not in known:
                    file, row = record.source
                    self.report.error(file, record._lines.get(line_key, row), "unknown-placeholder",
                                      type(record).alias_of(attr), "{{" + key + "}}",
                                      "正文引用的数据项应为“汇总数”中已填写的项目或“引用文件”的编号：" + "、".join(known))


def _counted_problem(data, key: str) -> str | None:
    """Why a figure counted from the year's records would be published wrong, if it would."""
    model = data.counted_from(key)
    records = data.records(model)
    if not records:
        return (f"{{{{{key}}}}} 由 {model.FILE} 统计，但该表还没有记录，页面上将显示 0；请先填写{model.TITLE}记录，"
                "或确为 0 时在“汇总数”中填写")
    if model is Department and key == "一级预算单位数":
        unstated = [d.name for d in records if d.level is None]
        if unstated:
            shown = "、".join(unstated[:3]) + (f" 等 {len(unstated)} 个" if len(unstated) > 3 else "")
            return (f"{{{{{key}}}}} 统计预算单位表中“级次”为一级的单位，但 {shown}单位未填级次，不计入；"
                    "请填写级次，或在“汇总数”中填写该数")
    return None


def placeholder_values(rep: YearReport, counted: dict[str, int] | None = None) -> dict[str, object]:
    """What ``{{…}}`` in the narrative may name: declared figures (by Chinese name), figures counted from the year's
    records (YearData.counted) and cited documents."""
    values: dict[str, object] = dict(counted or {})
    for name, f in type(rep.figures).model_fields.items():
        value = getattr(rep.figures, name)
        if value is not None:
            values[f.alias] = value
    for doc in rep.documents:
        values[doc.key] = doc
    return values


def _where(record: Record, attr: str) -> tuple[str, int | None]:
    """The file and the row (or YAML line) of ``record``'s ``attr``."""
    file, row = record.source
    return file, record._lines.get(attr, row)


def _field_value(record: Record, attr: str, value) -> tuple[str, object]:
    field = type(record).alias_of(attr) if attr in type(record).model_fields else attr
    return field, "" if value is None else value


def _number(text: str | None) -> Decimal | None:
    """An indicator value as a number when it is written as one (85, 95%, 1,200.5); None for text (定性 values)."""
    return None if text is None else plain_decimal(text.strip().rstrip("%"))


def _grade_meant(value: str, grades: list[str]) -> str:
    """Which configured grade a report's usual wording means (良好 for 良, 较差 for 差), as a hint: the value is not
    taken as that grade, since grades are counted and compared as written."""
    meant = [g for g in grades if value != g and (value.startswith(g) or value.endswith(g))]
    return f"；“{value}”应填作“{meant[0]}”" if len(meant) == 1 else ""


def _suggest(value: str, names: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(value, sorted(names), n=1, cutoff=0.6)
    return f"；是否应为“{close[0]}”？" if close else ""


__all__ = ["RULES", "check", "placeholder_values"]


def _period_end(year: int, period: str) -> date | None:
    """The last day of a monitoring period such as 1-7月 in ``year``; None if it names no month."""
    found = _PERIOD.match(period)
    if not found or not 1 <= int(found.group(2)) <= 12:
        return None
    month = int(found.group(2))
    return date(year, month, calendar.monthrange(year, month)[1])
