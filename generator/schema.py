"""Typed records. Field aliases are the official Chinese terms staff see in the tables; attributes are English.

Every model forbids unknown fields. A field with ``public=False`` in its extra schema is internal: it is
validated but never rendered, indexed or exported.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from .load import BLANKS
from .types import Count, Day, DocNumber, Money, Percent, Score, SiteImage, Url, WebAddress, Year, YesNo


class BudgetType(StrEnum):
    GENERAL = "一般公共预算"
    FUND = "政府性基金预算"
    STATE_CAPITAL = "国有资本经营预算"
    SOCIAL_INSURANCE = "社会保险基金预算"


class ProjectKind(StrEnum):
    NEW = "新增"
    CONTINUING = "延续"


class Target(StrEnum):
    """What a goal, a monitoring record or an evaluation is about."""

    PROJECT = "项目"
    POLICY = "政策"
    DEPARTMENT = "部门整体"


class EvaluationType(StrEnum):
    SELF = "单位自评"
    DEPARTMENT = "部门评价"
    FINANCE = "财政重点评价"


class Conclusion(StrEnum):
    SUPPORT = "予以支持"
    PARTLY = "部分支持"
    REJECT = "不予支持"


class Nature(StrEnum):
    """指标性质: how the completed value is compared with the target."""

    AT_LEAST = "≥"
    AT_MOST = "≤"
    EQUAL = "="
    QUALITATIVE = "定性"


NATURE_SYNONYMS = {">=": "≥", "＞＝": "≥", "≧": "≥", "<=": "≤", "＜＝": "≤", "≦": "≤", "＝": "=", "==": "="}


class Level1(StrEnum):
    OUTPUT = "产出指标"
    BENEFIT = "效益指标"
    SATISFACTION = "满意度指标"
    COST = "成本指标"
    EXECUTION = "预算执行率"


# 一级 -> allowed 二级 (DOMAIN.md §3; newer tables put 成本指标 at the first level, older say 环境效益).
INDICATOR_LEVELS: dict[Level1, tuple[str, ...]] = {
    Level1.OUTPUT: ("数量指标", "质量指标", "时效指标", "成本指标"),
    Level1.BENEFIT: ("经济效益", "社会效益", "生态效益", "环境效益", "可持续影响",
                     "经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
    Level1.SATISFACTION: ("服务对象满意度", "社会公众或服务对象满意度", "服务对象满意度指标"),
    Level1.COST: ("经济成本指标", "社会成本指标", "生态环境成本指标"),
    Level1.EXECUTION: ("预算执行率",),
}


class Likelihood(StrEnum):
    CERTAIN = "确定能"
    POSSIBLE = "有可能"
    IMPOSSIBLE = "完全不可能"


class RectificationStatus(StrEnum):
    OPEN = "未整改"
    IN_PROGRESS = "整改中"
    DONE = "已整改"


class SourceKind(StrEnum):
    GOAL_REVIEW = "目标审核"
    EX_ANTE = "事前评估"
    MONITORING = "绩效监控"
    EVALUATION = "绩效评价"
    AUDIT = "审计监督"
    OTHER = "其他"


class Measure(StrEnum):
    CUT = "削减"
    CANCEL = "取消"
    ADJUST = "调整"
    CLAW_BACK = "追减"
    ACCOUNTABILITY = "问责"
    PRIORITY = "优先保障"
    RECTIFY_NOTICE = "督促整改"


MONEY_REDUCING = (Measure.CUT, Measure.CANCEL, Measure.CLAW_BACK)


class Level(StrEnum):
    FIRST = "一级"
    SECOND = "二级"
    THIRD = "三级"


# What new-year writes where staff still have to write the report's text; a published year may not keep it.
UNFINISHED = "（待填写）"


class YearStatus(StrEnum):
    DRAFT = "草稿"
    PUBLISHED = "已发布"


def internal(description: str, **kw) -> Any:
    """A field that is validated but never published."""
    return Field(None, description=description, json_schema_extra={"public": False}, **kw)


class Record(BaseModel):
    """Base of every record: strict fields, Chinese aliases, blanks as missing, and where it came from."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False, use_enum_values=False)

    TITLE: ClassVar[str] = ""
    FILE: ClassVar[str] = ""
    KEY: ClassVar[str | None] = None  # attribute holding the record's ID, unique within the year

    _file: str = PrivateAttr("")
    _row: int | None = PrivateAttr(None)
    # YAML records: line of each field ("overview") and list item ("overview.0"), so checks point at the line.
    _lines: dict[str, int] = PrivateAttr(default_factory=dict)
    # Digest of the row as read (CSV records): pages that show the record are re-rendered when it changes.
    _digest: str = PrivateAttr("")

    @model_validator(mode="before")
    @classmethod
    def _blank_is_missing(cls, data):
        if isinstance(data, dict):
            # Surrounding blanks (also full-width and non-breaking ones from Excel or Word) carry nothing.
            # One pass (this runs for every record read): clean text, then drop what is left empty.
            return {k: c for k, v in data.items()
                    if (c := v.strip(BLANKS) if isinstance(v, str) else v) is not None and c != ""}
        return data

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        # Pydantic gives each new record its private attributes by walking their declarations once per level of
        # the class tree, about a quarter of the cost of validating a row. Its validator calls ``model_post_init``
        # by name, so one function that sets them all at once does the same work (tests/test_units.py holds it
        # to pydantic's own result).
        cls.model_post_init = _fresh_private  # type: ignore[method-assign]

    @property
    def source(self) -> tuple[str, int | None]:
        return self._file, self._row

    @classmethod
    def alias_of(cls, attr: str) -> str:
        return cls.model_fields[attr].alias or attr

    @classmethod
    def public_fields(cls) -> list[str]:
        return [name for name, f in cls.model_fields.items() if is_public_field(f)]


def _fresh_private(self: Record, context: Any, /) -> None:
    """The private attributes of a new record, as declared on Record (no model declares others)."""
    object.__setattr__(self, "__pydantic_private__", {"_file": "", "_row": None, "_lines": {}, "_digest": ""})


Record.model_post_init = _fresh_private  # type: ignore[method-assign]


def is_public_field(field) -> bool:
    extra = field.json_schema_extra or {}
    return not (isinstance(extra, dict) and extra.get("public") is False)


class Published(Record):
    """Records that can be withheld (公开: 否) or be illustrative (示例: 是)."""

    sample: YesNo = Field(False, alias="示例", description="“是”表示此条为示例数据，页面上会醒目标注“示例”")
    public: YesNo = Field(True, alias="公开", description="“否”表示此条不公开：不出现在网站、搜索和下载中")
    internal_note: str | None = internal("内部备注，不公开", alias="内部备注")


class Department(Published):
    TITLE = "预算单位"
    FILE = "departments.csv"
    KEY = "name"

    code: str | None = Field(None, alias="单位编码", description="财政一体化系统中的单位编码；单位页面的网址由它而来，更名时保持不变",
                             pattern=r"^[0-9A-Za-z\-]{1,40}$")
    name: str = Field(alias="单位名称", description="单位全称；其他表用此名称引用本单位", max_length=100)
    level: Level | None = Field(None, alias="级次", description="一级/二级/三级预算单位")
    parent: str | None = Field(None, alias="上级单位", description="上级单位名称（二级及以下单位填写）")


class Project(Published):
    TITLE = "项目"
    FILE = "projects.csv"
    KEY = "code"

    code: str = Field(alias="项目编码", description="项目编码，跨年度不变，例如 51000021R000000019951",
                      pattern=r"^[0-9A-Za-z\-]{4,40}$")
    name: str = Field(alias="项目名称", description="项目全称，与预算批复一致", max_length=200)
    department: str = Field(alias="主管部门", description="主管部门的单位名称（须在预算单位表中）")
    implementer: str | None = Field(None, alias="实施单位", description="具体实施项目的单位；空白表示由主管部门实施")
    kind: ProjectKind | None = Field(None, alias="项目属性")
    budget_type: BudgetType = Field(alias="预算类型")
    amount: Money = Field(alias="金额", description="本年预算金额（万元）")
    under_goal_management: YesNo = Field(True, alias="纳入绩效目标管理", description="项目是否编报绩效目标、纳入绩效目标管理")


class Goal(Published):
    TITLE = "绩效目标"
    FILE = "goals.csv"
    KEY = "id"

    id: str = Field(alias="目标编号", description="本表内唯一的编号；绩效指标表用它归属指标", max_length=40)
    target: Target = Field(alias="对象类型")
    project: str | None = Field(None, alias="项目编码", description="对象类型为“项目”时填写")
    department: str = Field(alias="单位名称", description="编报目标的单位（须在预算单位表中）")
    annual_goal: str = Field(alias="年度目标", description="本年度预期达到的产出和效果")
    long_term_goal: str | None = Field(None, alias="长期目标", description="项目整个实施期的总体目标（延续项目可填）")
    total_funds: Money | None = Field(None, alias="年度资金总额", description="本年度全部资金（万元），为财政拨款与其他资金之和")
    fiscal_funds: Money | None = Field(None, alias="本年财政拨款", description="年度资金中的财政拨款（万元）")
    other_funds: Money | None = Field(None, alias="其他资金", description="年度资金中的非财政拨款资金（万元）")


class _HasNature(Published):
    @model_validator(mode="before")
    @classmethod
    def _nature_synonyms(cls, data):
        if isinstance(data, dict) and isinstance(data.get("指标性质"), str):
            v = data["指标性质"].strip()
            data = {**data, "指标性质": NATURE_SYNONYMS.get(v, v)}
        return data


class Indicator(_HasNature):
    TITLE = "绩效指标"
    FILE = "indicators.csv"

    goal: str = Field(alias="目标编号", description="所属绩效目标的编号")
    level1: Level1 = Field(alias="一级指标")
    level2: str = Field(alias="二级指标", description="一级指标下的分类，如 数量指标、社会效益")
    name: str = Field(alias="三级指标", description="具体的指标名称，如 签约服务人数")
    nature: Nature = Field(alias="指标性质", description="≥（正向）、≤（反向）、=、定性")
    target_value: str = Field(alias="指标值", description="定量指标填数字；定性指标填文字，例如“达成”")
    unit: str | None = Field(None, alias="度量单位", description="指标值的单位，如 人、%、万元；定性指标可空")
    weight: Score | None = Field(None, alias="分值", description="该指标在评分中所占的分值")


class ExAnte(Published):
    TITLE = "事前绩效评估"
    FILE = "exante.csv"
    KEY = "id"

    id: str = Field(alias="评估编号", description="本表内唯一的编号", max_length=40)
    project: str | None = Field(None, alias="项目编码", description="已有项目编码的填写（新增项目可空）")
    project_name: str = Field(alias="项目名称", description="被评估项目的名称")
    # Blank where the source does not say (a report may list the projects and the departments apart).
    department: str | None = Field(None, alias="主管部门", description="项目的主管部门；原始材料未逐项写明时留空")
    assessor: str | None = Field(None, alias="评估机构", description="开展评估的单位或第三方机构；未写明时留空")
    conclusion: Conclusion | None = Field(None, alias="评估结论")
    requested: Money | None = Field(None, alias="申请金额", description="单位申请的预算金额（万元）")
    recommended: Money | None = Field(None, alias="建议金额", description="评估建议安排的金额（万元）")
    assessed_on: Day | None = Field(None, alias="评估日期", description="出具评估结论的日期")


def named_departments(records: list[ExAnte]) -> set[str] | None:
    """The departments ex-ante records name; None when one leaves it blank (a declared count cannot be checked)."""
    names = {x.department for x in records}
    return None if None in names else names


class Monitoring(Published):
    TITLE = "绩效运行监控"
    FILE = "monitoring.csv"
    KEY = "id"

    id: str = Field(alias="监控编号", description="本表内唯一的编号；监控指标表用它归属指标", max_length=40)
    target: Target = Field(alias="对象类型")
    project: str | None = Field(None, alias="项目编码", description="对象类型为“项目”时填写")
    department: str = Field(alias="单位名称", description="被监控的单位（须在预算单位表中）")
    period: str = Field(alias="监控期间", description="例如 1-7月", pattern=r"^\d{1,2}-\d{1,2}月$")
    budget: Money = Field(alias="全年预算数", description="调整后的全年预算数（万元）")
    executed: Money = Field(alias="执行数", description="监控期间累计执行数（万元）")
    execution_rate: Percent | None = Field(None, alias="执行率", description="执行数 ÷ 全年预算数，百分数")
    deviation: str | None = Field(None, alias="偏差原因", description="执行进度或指标完成偏离目标的原因")
    corrective: str | None = Field(None, alias="纠偏措施", description="针对偏差采取或要求采取的措施")


class MonitoringIndicator(Published):
    TITLE = "监控指标"
    FILE = "monitoring_indicators.csv"

    monitoring: str = Field(alias="监控编号", description="所属监控记录的编号")
    name: str = Field(alias="三级指标", description="被监控的指标名称")
    target_value: str = Field(alias="全年指标值", description="绩效目标中该指标的全年目标值")
    period_value: str | None = Field(None, alias="期间完成值", description="监控期间末的实际完成值")
    expected_value: str | None = Field(None, alias="全年预计完成值", description="按目前进度预计的全年完成值")
    likelihood: Likelihood | None = Field(None, alias="完成可能性")
    deviation: str | None = Field(None, alias="偏差原因", description="完成值偏离目标的原因")


class Evaluation(Published):
    TITLE = "绩效评价"
    FILE = "evaluations.csv"
    KEY = "id"

    id: str = Field(alias="评价编号", description="本表内唯一的编号；评价指标得分、整改和结果应用用它引用本评价",
                    max_length=40)
    kind: EvaluationType = Field(alias="评价类型")
    target: Target = Field(alias="对象类型")
    project: str | None = Field(None, alias="项目编码", description="对象类型为“项目”时填写")
    department: str = Field(alias="单位名称", description="被评价的单位（须在预算单位表中）")
    subject: str | None = Field(None, alias="评价对象", description="政策名称等；项目与部门整体可不填")
    spending_year: Year = Field(alias="评价年度", description="被评价资金所属年度（通常为上一年）")
    evaluator: str | None = Field(None, alias="评价机构", description="开展评价的单位或第三方机构（单位自评填本单位）")
    score: Score | None = Field(None, alias="得分", description="评价总分（满分 100）")
    grade: str | None = Field(None, alias="等级", description="按等级划分由得分确定，如 优、良、中、差")
    findings: str | None = Field(None, alias="发现问题", description="评价发现的主要问题")
    advice: str | None = Field(None, alias="建议", description="评价提出的改进建议")
    report_url: Url | None = Field(None, alias="报告链接", description="评价报告全文的链接")


class EvaluationScore(_HasNature):
    TITLE = "评价指标得分"
    FILE = "evaluation_scores.csv"

    evaluation: str = Field(alias="评价编号", description="所属评价的编号")
    level1: Level1 = Field(alias="一级指标")
    level2: str = Field(alias="二级指标", description="一级指标下的分类")
    name: str = Field(alias="三级指标", description="具体的指标名称")
    nature: Nature = Field(alias="指标性质")
    target_value: str = Field(alias="指标值", description="绩效目标中的指标值")
    actual_value: str | None = Field(None, alias="完成值", description="实际完成值；定性指标填 达成、部分达成 或 未达成")
    weight: Score = Field(alias="分值", description="该指标的分值；各指标分值合计 100")
    score: Score | None = Field(None, alias="得分", description="该指标的得分，不超过分值")
    deviation: str | None = Field(None, alias="偏差原因", description="未完成指标值的原因")


class Rectification(Published):
    TITLE = "整改"
    FILE = "rectifications.csv"
    KEY = "id"

    id: str = Field(alias="整改编号", description="本表内唯一的编号", max_length=40)
    source_kind: SourceKind = Field(alias="来源类型")
    source_id: str | None = Field(None, alias="来源编号", description="来源为监控/评价/事前评估时填写其编号")
    department: str = Field(alias="单位名称", description="负责整改的单位（须在预算单位表中）")
    project: str | None = Field(None, alias="项目编码", description="问题涉及的项目（可空）")
    problem: str = Field(alias="问题", description="发现的问题")
    requirement: str | None = Field(None, alias="整改要求", description="对整改提出的要求")
    found_on: Day = Field(alias="发现日期", description="发现问题（出具结论）的日期")
    deadline: Day = Field(alias="整改期限", description="应完成整改的日期")
    status: RectificationStatus = Field(alias="状态")
    completed_on: Day | None = Field(None, alias="完成日期", description="状态为“已整改”时填写实际完成的日期")
    archived: YesNo = Field(False, alias="整改报告归档", description="整改报告是否已归档备查")
    contact: str | None = internal("内部联系人，不公开", alias="内部联系人")
    phone: str | None = internal("联系电话，不公开", alias="联系电话")


class Application(Published):
    TITLE = "结果应用"
    FILE = "applications.csv"
    KEY = "id"

    id: str = Field(alias="应用编号", description="本表内唯一的编号", max_length=40)
    source_kind: SourceKind = Field(alias="来源类型")
    source_id: str | None = Field(None, alias="来源编号", description="来源为监控/评价/事前评估时填写其编号")
    department: str | None = Field(None, alias="单位名称", description="措施涉及的单位；原始材料未写明时留空")
    project: str | None = Field(None, alias="项目编码", description="措施涉及的项目（可空）")
    measure: Measure = Field(alias="措施")
    amount: Money | None = Field(None, alias="金额", description="调减、取消或增加的金额（万元）；未披露则留空")
    budget_year: Year | None = Field(None, alias="影响预算年度",
                                     description="措施影响的预算年度；督促整改、问责等不改变预算的措施可留空")
    description: str = Field(alias="说明", description="措施的内容和依据")


# --- the yearly report (YAML) ---------------------------------------------------------------


class Document(Record):
    key: str = Field(alias="编号", description="正文中用 {{编号}} 引用此文件")
    title: str = Field(alias="标题", description="文件全称，不含书名号")
    number: DocNumber | None = Field(None, alias="文号", description="例如 川财绩〔2018〕14号（保留六角括号）")
    issuer: str | None = Field(None, alias="发文机关")
    url: Url | None = Field(None, alias="链接")


class Item(Record):
    """A numbered problem or plan: a heading and its text."""

    title: str = Field(alias="标题")
    body: str = Field(alias="内容")


class Erratum(Record):
    on: Day = Field(alias="日期")
    description: str = Field(alias="说明")
    # Required of every erratum added from now on (freeze.check): the public erratum is where a reader learns what a
    # published figure was and what it is now. One registered before it was required stays as published (filling it
    # in would change a published year, which takes another erratum).
    changes: str | None = Field(None, alias="变更内容",
                                description="改了哪条记录的哪一项、由什么改为什么；新增的更正说明必填")


class DeclaredFigures(Record):
    """Figures the report states as totals; checked against detailed records where those exist."""

    goal_project_amount: Money | None = Field(
        None, alias="纳入绩效目标管理的项目支出金额",
        description="万元；有项目明细时，须等于“纳入绩效目标管理”为“是”的项目金额之和")
    exante_projects: Count | None = Field(
        None, alias="事前评估项目数", description="有事前评估明细时，须等于明细条数")
    exante_departments: Count | None = Field(
        None, alias="事前评估涉及部门数", description="有事前评估明细时，须等于所涉主管部门数")
    self_eval_units: Count | None = Field(
        None, alias="整体支出自评一级预算单位数",
        description="有评价明细时，须等于对象类型为“部门整体”的单位自评数")
    finance_eval_projects: Count | None = Field(
        None, alias="财政重点评价项目数",
        description="含重点政策；有评价明细时，须等于财政重点评价中对象为项目或政策的条数")
    finance_eval_departments: Count | None = Field(
        None, alias="财政重点评价部门数",
        description="有评价明细时，须等于财政重点评价中对象为部门整体的条数")


class YearReport(Record):
    TITLE = "年度报告"
    FILE = "report.yaml"

    year: Year = Field(alias="年度", description="开展工作的年度（报告年度）")
    title: str = Field(alias="标题")
    region: str = Field(alias="地区")
    publisher: str | None = Field(None, alias="发布机构")
    status: YearStatus = Field(alias="状态", description="草稿 或 已发布；已发布的年度数据被冻结")
    index_no: str | None = Field(None, alias="索引号")
    doc_no: DocNumber | None = Field(None, alias="文号")
    written_on: Day | None = Field(None, alias="成文日期")
    published_on: Day | None = Field(None, alias="发布日期")
    preface: str | None = Field(None, alias="导语")
    overview: list[str] = Field(alias="总体情况", min_length=1)
    goals: list[str] = Field(alias="绩效目标管理", min_length=1)
    exante: list[str] = Field(alias="事前绩效评估", min_length=1)
    monitoring: list[str] = Field(alias="事中绩效监控", min_length=1)
    evaluation: list[str] = Field(alias="事后绩效评价", min_length=1)
    application: list[str] = Field(alias="绩效结果应用", min_length=1)
    problems: list[Item] = Field(alias="存在的问题")
    plans: list[Item] = Field(alias="下一步工作打算")
    documents: list[Document] = Field(default_factory=list, alias="引用文件")
    figures: DeclaredFigures = Field(default_factory=DeclaredFigures, alias="汇总数")
    finance_eval_fund_types: list[str] = Field(default_factory=list, alias="财政重点评价资金类型")
    errata: list[Erratum] = Field(default_factory=list, alias="更正说明")
    data_notes: list[str] = Field(default_factory=list, alias="数据说明",
                                  description="关于数据来源与口径的说明，显示在年度页末尾")


class GradeBand(Record):
    grade: str = Field(alias="等级")
    lower: Decimal = Field(alias="下限", description="该等级的最低分（含）")


class QualitativeBand(Record):
    result: str = Field(alias="完成情况", description="定性指标的完成值写作此词时（如 达成），按本档核对得分")
    lower: Decimal = Field(alias="下限", description="得分占分值的最低百分比（含）")
    upper: Decimal = Field(alias="上限", description="得分占分值的最高百分比（含）")


class QuantitativeRule(StrEnum):
    PROPORTIONAL = "按比例"  # 正向 分值×完成值÷指标值，反向 分值×指标值÷完成值，均以分值封顶
    UNCHECKED = "不校验"


def _national_grade_bands() -> list[GradeBand]:
    return [GradeBand(等级=g, 下限=Decimal(n)) for g, n in (("优", 90), ("良", 80), ("中", 60), ("差", 0))]


def _national_weights() -> dict[str, Decimal]:
    return {"产出指标": Decimal(50), "效益指标": Decimal(30), "满意度指标": Decimal(10), "预算执行率": Decimal(10)}


def _national_qualitative() -> list[QualitativeBand]:
    return [QualitativeBand(完成情况=r, 下限=Decimal(lo), 上限=Decimal(hi))
            for r, lo, hi in (("达成", 80, 100), ("部分达成", 50, 80), ("未达成", 0, 50))]


# The scoring rules (DOMAIN.md §3, configurable): in settings.yaml for every year, and in 年度口径 for the years
# from which a province changed them. (Names and descriptions are shared by both places.)
RULE_FIELDS = ("grade_bands", "self_eval_weights", "qualitative_bands", "quantitative_rule", "score_tolerance",
               "rate_tolerance")
_RULE_TEXT = {
    "grade_bands": ("等级划分", "默认全国口径：优≥90，良80–90，中60–80，差<60（下限含）"),
    "self_eval_weights": ("自评权重", "单位自评（项目）各类一级指标的分值（财预〔2020〕10号：产出 50、效益 30、满意度 10、"
                                      "预算执行率 10）；未设满意度指标时，其分值可并入另一类"),
    "qualitative_bands": ("定性评分", "定性指标按完成情况得分的区间（得分占分值的百分比）；默认 达成 80–100%、部分达成 50–80%、"
                                      "未达成 0–50%"),
    "quantitative_rule": ("定量评分", "定量指标（≥、≤）的得分规则：按比例（达到指标值得满分；未达到的，正向 分值×完成值÷指标值，"
                                      "反向 分值×指标值÷完成值；值为负数时不按比例核对）或 不校验"),
    "score_tolerance": ("得分容差", "自评总分与指标得分之和、指标得分与评分规则允许的差（四舍五入误差）"),
    "rate_tolerance": ("执行率容差", "执行率与 执行数÷全年预算数 允许的差（百分点）"),
}


def _rule(name: str, default=None, factory=None):
    alias, description = _RULE_TEXT[name]
    if factory is not None:
        return Field(default_factory=factory, alias=alias, description=description)
    return Field(default, alias=alias, description=description)


class YearRules(Record):
    """Scoring rules that differ from a given year on (年度口径): what is not given stays as before."""

    from_year: Year = Field(alias="起始年度", description="自该年度的报告起适用（直到下一个起始年度）")
    grade_bands: list[GradeBand] | None = _rule("grade_bands")
    self_eval_weights: dict[str, Decimal] | None = _rule("self_eval_weights")
    qualitative_bands: list[QualitativeBand] | None = _rule("qualitative_bands")
    quantitative_rule: QuantitativeRule | None = _rule("quantitative_rule")
    score_tolerance: Decimal | None = _rule("score_tolerance")
    rate_tolerance: Decimal | None = _rule("rate_tolerance")


class SiteSettings(Record):
    TITLE = "站点设置"
    FILE = "settings.yaml"

    site_name: str = Field(alias="站点名称")
    region: str = Field(alias="地区")
    host_org: str | None = Field(None, alias="主办单位")
    contact: str | None = Field(None, alias="联系方式")
    site_code: str | None = Field(None, alias="网站标识码", pattern=r"^\d{10}$")
    icp: str | None = Field(None, alias="ICP备案号")
    police_record: str | None = Field(None, alias="公安机关备案号")
    gov_mark_url: WebAddress | None = Field(
        None, alias="党政机关网站标识",
        description="党政机关网站标识的认证信息网址（取得标识时由登记管理机关提供）；页脚显示并链接到该网址")
    gov_mark_image: SiteImage | None = Field(
        None, alias="党政机关网站标识图片", description="标识图片在 content/ 下的路径（如 assets/dzjg.png）；留空则页脚以文字链接显示")
    site_url: WebAddress | None = Field(
        None, alias="网站地址",
        description="网站发布后的网址（如 https://czj.example.gov.cn/jxgk/）；填写后生成站点地图（sitemap.xml），"
                    "网站放在子目录下时 404 页面也能正常显示")
    grade_bands: list[GradeBand] = _rule("grade_bands", factory=_national_grade_bands)
    self_eval_weights: dict[str, Decimal] = _rule("self_eval_weights", factory=_national_weights)
    qualitative_bands: list[QualitativeBand] = _rule("qualitative_bands", factory=_national_qualitative)
    quantitative_rule: QuantitativeRule = _rule("quantitative_rule", QuantitativeRule.PROPORTIONAL)
    score_tolerance: Decimal = _rule("score_tolerance", Decimal("0.5"))
    as_of: Day | None = Field(None, alias="数据截止日期",
                              description="判断整改是否逾期的日期；留空则取最新年度的 12 月 31 日")
    rate_tolerance: Decimal = _rule("rate_tolerance", Decimal("0.01"))
    year_rules: list[YearRules] = Field(
        default_factory=list, alias="年度口径",
        description="某年度起评分口径改变时填写：起始年度及改变的项（等级划分、自评权重、定性评分、定量评分、得分容差、执行率容差），"
                    "未填的项沿用此前的口径；已发布年度按当年口径核对")

    def for_year(self, year: int) -> SiteSettings:
        """These settings with the rules in force for ``year``'s report (年度口径 entries up to that year, in order)."""
        update = {}
        for rules in sorted(self.year_rules, key=lambda r: r.from_year):
            if rules.from_year <= year:
                update.update({name: getattr(rules, name) for name in RULE_FIELDS
                               if getattr(rules, name) is not None})
        return self.model_copy(update=update) if update else self

    def grade_for(self, score: Decimal) -> str:
        for band in sorted(self.grade_bands, key=lambda b: b.lower, reverse=True):
            if score >= band.lower:
                return band.grade
        return self.grade_bands[-1].grade


TABLES: tuple[type[Published], ...] = (
    Department, Project, Goal, Indicator, ExAnte, Monitoring, MonitoringIndicator,
    Evaluation, EvaluationScore, Rectification, Application,
)


def field_rows(model: type[Record]) -> list[dict[str, str]]:
    """Data-dictionary rows for one model: alias, required, type, description, public."""
    from .types import TYPE_LABELS, field_kind

    rows = []
    for name, f in model.model_fields.items():
        label = TYPE_LABELS.get(field_kind(f)) or _annotation_label(f.annotation)
        rows.append({
            "name": f.alias or name,
            "required": "必填" if f.is_required() else "选填",
            "type": label,
            "description": f.description or "",
            "public": "公开" if is_public_field(f) else "不公开",
        })
    return rows


def _annotation_label(annotation) -> str:
    import types as pytypes
    import typing

    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if isinstance(annotation, pytypes.UnionType) or typing.get_origin(annotation) is typing.Union:
        if len(args) == 1:
            return _annotation_label(args[0])
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return "可选值：" + "、".join(m.value for m in annotation)
    if typing.get_origin(annotation) is list:
        return "列表"
    if typing.get_origin(annotation) is dict:
        return "名称: 数值（每行一项）"
    if annotation is date:
        return "日期"
    if annotation is str:
        return "文字"
    if annotation is Decimal:
        return "数值"
    if isinstance(annotation, type) and issubclass(annotation, Record):
        return "见下表"
    return "文字"
