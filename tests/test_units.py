"""Unit tests per stage: load, types, escaping, shares, checks."""

from __future__ import annotations

from decimal import Decimal

import markdown
import pytest

from generator import freeze, load, model, schema  # noqa: F401 (freeze: its records too)
from generator.escape import md_text, safe_title, safe_url
from generator.problems import Report
from generator.schema import Monitoring, Project


def test_largest_remainder_matches_published_rounding():
    # DOMAIN.md §3: 35/41 is printed as 85.36% so that 2.44 + 7.32 + 85.36 + 4.88 = 100.00
    shares = model.largest_remainder([1, 3, 35, 2])
    assert shares == [Decimal("2.44"), Decimal("7.32"), Decimal("85.36"), Decimal("4.88")]
    assert sum(shares) == Decimal("100.00")


@pytest.mark.parametrize("counts", [[1, 1, 1], [2, 2, 2, 1], [0, 0, 7], [13, 17, 19, 23, 29]])
def test_largest_remainder_always_sums_to_100(counts):
    assert sum(model.largest_remainder(counts)) == Decimal("100.00")


def test_largest_remainder_of_nothing_is_zeros():
    assert model.largest_remainder([0, 0]) == [Decimal(0), Decimal(0)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_the_encodings_excel_saves(tmp_path, encoding):
    path = tmp_path / "departments.csv"
    path.write_bytes("单位名称,级次\n县民政局,一级\n\n,\n".encode(encoding))
    report = Report()
    table = load.read_csv(path, "departments.csv", report)
    assert report.errors == []
    assert table.header == ["单位名称", "级次"]
    assert [(r.row, r.values) for r in table.rows] == [(2, {"单位名称": "县民政局", "级次": "一级"})]


def test_yaml_keeps_numbers_exact_and_lines(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("a: 17395.80\nb:\n  - x: 1\n", encoding="utf-8")
    doc = load.read_yaml(path, "r.yaml", Report())
    assert doc.data == {"a": "17395.80", "b": [{"x": "1"}]}
    assert doc.line_of(("b", 0, "x")) == 3


def test_money_is_exact_decimal_with_two_places():
    notes: list = []
    p = Project.model_validate({"项目编码": "5100A", "项目名称": "x", "主管部门": "y", "预算类型": "一般公共预算",
                                "金额": "１,234.5"}, context={"notes": notes})
    assert p.amount == Decimal("1234.50") and str(p.amount) == "1234.50"
    assert {n[3] for n in notes} == {"全角数字已转为半角", "已去掉千位分隔符"}


def test_rounding_to_two_places_is_half_up_as_reports_print():
    from generator.tables import fmt_money, fmt_percent
    from generator.types import cents

    assert cents(Decimal("85.125")) == Decimal("85.13")  # Python's default (half-even) gives 85.12
    assert cents(Decimal("85.135")) == Decimal("85.14")
    assert fmt_percent(Decimal("2.4450")) == "2.45%"
    assert fmt_money(Decimal("0.005")) == "0.01"


def test_percent_accepts_a_percent_sign():
    m = Monitoring.model_validate({"监控编号": "M1", "对象类型": "部门整体", "单位名称": "x", "监控期间": "1-7月",
                                   "全年预算数": "100", "执行数": "85", "执行率": "85%"}, context={"notes": []})
    assert m.execution_rate == Decimal("85")


@pytest.mark.parametrize("payload", [
    "<script>alert(1)</script>", "[点我](javascript:alert(1))", "<img src=x onerror=alert(1)>",
    "# 标题", "!!! danger", "{: onclick=alert(1)}", "a | b", "`x`",
])
def test_md_text_never_produces_markup(payload):
    html = markdown.markdown(str(md_text(payload)), extensions=["tables", "attr_list", "admonition", "toc"])
    assert html.startswith("<p>") and html.count("<") == 2, html


def test_safe_url_refuses_script_schemes():
    assert safe_url("javascript:alert(1)") is None
    assert safe_url(" JavaScript:alert(1)") is None
    assert safe_url("data:text/html,x") is None
    assert safe_url("//evil.example/x") is None
    assert safe_url("https://example.gov.cn/a.pdf") == "https://example.gov.cn/a.pdf"


def test_safe_title_has_no_html_characters():
    assert not set("<>&\"'") & set(safe_title("<b onmouseover='x'>&"))


def test_year_span_reads_runs_as_ranges():
    from generator.render_entities import year_span

    assert year_span([2023, 2021, 2022, 2025]) == "2021–2023、2025"
    assert year_span([2023]) == "2023"


def test_file_cache_reuses_a_key_and_never_mixes_keys(tmp_path):
    from generator.cache import FileCache

    calls = []

    def produce(name):
        def write(directory):
            calls.append(name)
            path = directory / "a.txt"
            path.write_text(name, encoding="utf-8")
            return [path]
        return write

    cache = FileCache(tmp_path / "cache")
    assert cache.files("k1", produce("one")) == {"a.txt": b"one"}
    assert cache.files("k1", produce("changed")) == {"a.txt": b"one"}
    assert cache.files("k2", produce("two")) == {"a.txt": b"two"}
    assert FileCache(None).files("k1", produce("three")) == {"a.txt": b"three"}
    assert calls == ["one", "two", "three"]


def _all_record_classes(cls=schema.Record):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_record_classes(sub)


def test_records_start_with_the_private_attributes_pydantic_would_give_them():
    """schema.Record sets a new record's private attributes in one step instead of pydantic's generic walk; for
    every kind of record (freeze's too) the result must be what the class declares (``__private_attributes__``,
    each with its default), as pydantic would set it."""
    classes = list(_all_record_classes())
    assert schema.Project in classes and schema.Indicator in classes and len(classes) >= 20
    for cls in classes:
        ours = cls.model_construct()
        declared = {name: attr.get_default(call_default_factory=True) for name, attr in cls.__private_attributes__.items()}
        assert ours.__pydantic_private__ == declared, cls.__name__
        assert ours._lines is not cls.model_construct()._lines  # each record its own dict
    row = schema.Project.model_validate({"项目编码": "P0001", "项目名称": "蔬菜基地", "主管部门": "农业农村局",
                                         "预算类型": "一般公共预算", "金额": "1.00"})
    assert row.source == ("", None) and row._digest == ""


def test_an_amount_with_thousands_separators_and_a_unit_is_told_about_the_unit():
    """“1,234.50万元”: the commas are right; the unit is what must go (it used to be blamed on the commas)."""
    import pydantic

    from generator import schema

    with pytest.raises(pydantic.ValidationError) as caught:
        schema.Project.model_validate({"项目编码": "P1", "项目名称": "示例", "主管部门": "县教育局", "项目属性": "延续",
                                       "预算类型": "一般公共预算", "金额": "1,234.50万元", "纳入绩效目标管理": "是"})
    message = next(e["msg"] for e in caught.value.errors() if e["loc"] == ("金额",))
    assert "不要带单位“万元”" in message and "千位分隔符" not in message


def test_year_rules_apply_from_their_year_on_and_keep_what_they_do_not_change():
    settings = schema.SiteSettings.model_validate({
        "站点名称": "示例", "地区": "示例县",
        "年度口径": [
            {"起始年度": 2027, "得分容差": "0.2"},
            {"起始年度": 2025, "自评权重": {"产出指标": 40, "效益指标": 30, "满意度指标": 10, "预算执行率": 20},
             "等级划分": [{"等级": "A", "下限": 85}, {"等级": "B", "下限": 0}]},
        ]})
    assert settings.for_year(2024) is settings
    assert settings.for_year(2024).self_eval_weights["预算执行率"] == 10
    later = settings.for_year(2026)
    assert later.self_eval_weights["预算执行率"] == 20 and later.grade_for(Decimal("86")) == "A"
    assert later.score_tolerance == Decimal("0.5")
    latest = settings.for_year(2030)  # the 2027 entry changes the tolerance only; 2025's weights and bands stay
    assert latest.score_tolerance == Decimal("0.2") and latest.self_eval_weights["预算执行率"] == 20
    assert [b.grade for b in latest.grade_bands] == ["A", "B"]
    archive = model.Archive(settings, [type("Y", (), {"year": y})() for y in (2026, 2024)])
    assert archive.grade_names == ["A", "B", "优", "良", "中", "差"]
    assert archive.grade_names_of(2024) == ["优", "良", "中", "差"]


@pytest.mark.parametrize(("number", "ok"), [("川财绩〔2018〕14号", True), ("岳府发〔2023〕20156号", True),
                                            ("岳财发〔2023〕19001号", True), ("川财绩(2018)14号", False),
                                            ("川财绩2018年14号", False), ("川财绩[2018]14号", False)])
def test_doc_numbers_keep_the_year_in_hexagonal_brackets(number, ok):
    from pydantic import ValidationError

    try:
        schema.Document.model_validate({"编号": "a", "标题": "b", "文号": number})
    except ValidationError:
        assert not ok
    else:
        assert ok


def _rect(n: int, status: str, deadline: str, completed: str | None = None) -> schema.Rectification:
    return schema.Rectification.model_validate(
        {"整改编号": f"R{n}", "来源类型": "绩效评价", "单位名称": "县民政局", "问题": "p", "发现日期": "2023-01-01",
         "整改期限": deadline, "状态": status, "完成日期": completed}, context={"notes": []})


def test_rectification_tally_counts_late_completion_as_overdue():
    from datetime import date

    rows = [_rect(1, "已整改", "2023-06-30", "2023-06-01"), _rect(2, "已整改", "2023-06-30", "2023-07-15"),
            _rect(3, "整改中", "2023-12-31"), _rect(4, "未整改", "2023-03-31")]
    n = model.tally(rows, date(2023, 9, 30))
    assert (n.total, n.done, n.in_progress, n.open, n.overdue) == (4, 2, 1, 1, 2)
    shares = model.status_shares(rows)
    assert sorted((s.label, s.count) for s in shares) == sorted([("已整改", 2), ("整改中", 1), ("未整改", 1)])
    assert sum(s.percent for s in shares) == Decimal("100.00")


def test_measure_totals_leave_an_unstated_amount_blank_not_zero():
    def app(n, measure, amount=None):
        return schema.Application.model_validate({"应用编号": f"A{n}", "来源类型": "绩效评价", "措施": measure,
                                                  "金额": amount, "说明": "x"}, context={"notes": []})

    groups = model.measure_totals([app(1, "削减", "10.50"), app(2, "削减", None), app(3, "督促整改"), app(4, "削减", "2")])
    assert [(str(g.kind), g.count, g.amount) for g in groups] == [("削减", 3, Decimal("12.50")), ("督促整改", 1, None)]
