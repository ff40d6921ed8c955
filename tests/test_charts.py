"""Charts: inline SVG with a text alternative, escaped labels, no script, legible colours, Markdown-safe."""

from __future__ import annotations

import re
from decimal import Decimal

import markdown
import pytest
from bs4 import BeautifulSoup

from generator import charts
from generator.model import Share, largest_remainder

TYPES = ["一般公共预算", "政府性基金预算", "国有资本经营预算", "社会保险基金预算"]


def shares(labels, counts) -> list[Share]:
    return [Share(label, c, p) for label, c, p in zip(labels, counts, largest_remainder(counts), strict=True)]


def svg_of(html) -> BeautifulSoup:
    soup = BeautifulSoup(str(html), "html.parser")
    top = [c for c in soup.contents if getattr(c, "name", None)]
    assert len(top) == 1 and top[0].name == "figure"  # one block element
    return top[0]


def bar_widths(figure, fill=charts.BAR) -> list[float]:
    return [float(r["width"]) for r in figure.find_all("rect") if r.get("fill") == fill]


def test_bar_chart_text_alternative_lists_every_value():
    html = charts.bar_chart("按预算类型的项目金额", TYPES, [Decimal("12345.60"), Decimal("0.00"), None,
                                                         Decimal("800.25")], "万元")
    fig = svg_of(html)
    svg = fig.find("svg")
    assert svg["role"] == "img" and svg["viewbox"].startswith(f"0 0 {charts.WIDTH} ")
    title, desc = svg.find("title"), svg.find("desc")
    assert svg["aria-labelledby"] == f'{title["id"]} {desc["id"]}'
    assert title.get_text() == "按预算类型的项目金额"
    alt = desc.get_text()
    for text in ("一般公共预算：12345.60", "政府性基金预算：0.00", "国有资本经营预算：未填报", "社会保险基金预算：800.25",
                 "万元"):
        assert text in alt
    shown = [t.get_text() for t in svg.find_all("text")]
    assert shown == ["一般公共预算", "12345.60", "政府性基金预算", "0.00", "国有资本经营预算", "未填报",
                     "社会保险基金预算", "800.25"]
    assert fig.find("figcaption").get_text() == "按预算类型的项目金额（单位：万元）"


def test_bar_lengths_follow_values_and_scale():
    fig = svg_of(charts.bar_chart("执行率", ["甲", "乙", "丙"], [Decimal("50"), Decimal("100"), Decimal("0")], "%",
                                  max_value=Decimal("200")))
    track = float(next(r for r in fig.find_all("rect") if r.get("fill") == charts.TRACK)["width"])
    widths = bar_widths(fig)
    assert len(widths) == 2  # 0 draws no bar
    assert widths[0] == pytest.approx(track / 4, abs=0.01) and widths[1] == pytest.approx(track / 2, abs=0.01)
    assert "50%" in fig.find("desc").get_text() and "丙：0%" in fig.find("desc").get_text()
    full = svg_of(charts.bar_chart("金额", ["甲", "乙"], [Decimal("3"), Decimal("12")], "万元"))
    assert bar_widths(full)[1] == pytest.approx(track_width(full), abs=0.01)  # largest value fills the track


def track_width(fig) -> float:
    return float(next(r for r in fig.find_all("rect") if r.get("fill") == charts.TRACK)["width"])


def test_bar_chart_all_blank_or_empty():
    fig = svg_of(charts.bar_chart("得分", ["甲", "乙"], [None, Decimal(0)], "分"))
    assert bar_widths(fig) == [] and "甲：未填报" in fig.find("desc").get_text()
    empty = svg_of(charts.bar_chart("得分", [], [], "分"))
    assert "暂无数据" in empty.find("desc").get_text() and "暂无数据" in empty.find("svg").get_text()
    with pytest.raises(ValueError):
        charts.bar_chart("金额", ["甲"], [Decimal("-1")], "万元")


def test_labels_are_escaped_and_there_is_no_script():
    hostile = '<script>alert("x")</script>'
    html = str(charts.bar_chart(hostile, [hostile, "a&b"], [Decimal(1), Decimal(2)], "万元"))
    html += str(charts.share_chart(hostile, shares([hostile, "乙"], [1, 2])))
    assert "<script" not in html.lower() and "&lt;script&gt;" in html
    assert "a&amp;b" in html
    assert not re.search(r"\son[a-z]+=", html)  # no event handlers
    assert "url(#" in html and not re.search(r"https?://|url\((?!#)|@import", html)  # only local pattern refs


def test_share_chart_parts_add_up_and_list_every_share():
    data = shares(["优", "良", "中", "差", "未评定"], [12, 17, 10, 2, 0])
    assert sum(s.percent for s in data) == 100
    fig = svg_of(charts.share_chart("评价等级分布", data))
    alt = fig.find("desc").get_text()
    for s in data:
        assert f"{s.label}：{s.count}项，占{s.percent:.2f}%" in alt
    assert "共41项" in alt
    fills = {s.label: charts.PALETTE[i] for i, s in enumerate(data)}
    segments = [r for r in fig.find_all("rect") if r.get("height") == "36" and r.get("fill") in fills.values()]
    assert len(segments) == 4  # the zero share draws nothing in the bar
    assert sum(float(r["width"]) for r in segments) == pytest.approx(track_width(fig), abs=0.05)
    legend = [t.get_text() for t in fig.find_all("text")]
    assert "未评定 0项（0.00%）" in legend and "差 2项（4.88%）" in legend
    # Every pattern a part uses is defined in this chart.
    defined = {p["id"] for p in fig.find_all("pattern")}
    used = set(re.findall(r"url\(#([^)]+)\)", str(fig)))
    assert used and used <= defined


def test_share_chart_without_data():
    fig = svg_of(charts.share_chart("整改状态", shares(["未整改", "整改中", "已整改"], [0, 0, 0])))
    assert "共0项" in fig.find("desc").get_text() and "暂无数据" in fig.find("svg").get_text()


def test_colours_are_legible_and_parts_distinguishable_without_colour():
    for text in (charts.TEXT, charts.MUTED_TEXT):
        assert charts.contrast_ratio(text, charts.BACKGROUND) >= 4.5
        assert charts.contrast_ratio(text, charts.TRACK) >= 4.5  # "暂无数据" sits on the track
    assert charts.contrast_ratio(charts.BAR, charts.BACKGROUND) >= 3
    for fill in charts.PALETTE:
        assert charts.contrast_ratio(fill, charts.BACKGROUND) >= 3, fill  # non-text contrast
    assert len(set(charts.PATTERNS)) == len(charts.PATTERNS) == len(charts.PALETTE)
    assert charts.contrast_ratio("#000000", "#ffffff") == pytest.approx(21)


def test_cjk_font_stack_without_web_fonts():
    html = str(charts.share_chart("分布", shares(["优"], [1])))
    svg = svg_of(html).find("svg")
    assert "Noto Sans CJK SC" in svg["font-family"] and "Microsoft YaHei" in svg["font-family"]
    assert svg["font-family"].endswith("sans-serif") and "@font-face" not in html


def test_chart_survives_markdown_as_one_raw_block():
    html = str(charts.bar_chart("金额", TYPES, [Decimal(1), Decimal(2), Decimal(3), Decimal(4)], "万元"))
    assert "\n\n" not in html and not any(line.startswith("    ") for line in html.splitlines())
    page = markdown.markdown("正文\n\n" + html + "\n\n结尾", extensions=["tables", "attr_list", "admonition", "toc"])
    soup = BeautifulSoup(page, "html.parser")
    assert soup.find("figure", class_="jx-chart").find("svg").find("desc") is not None
    assert not any(p.find("svg") for p in soup.find_all("p"))


def test_deterministic_and_distinct_ids():
    a = charts.bar_chart("金额", ["甲"], [Decimal(1)], "万元")
    assert a == charts.bar_chart("金额", ["甲"], [Decimal(1)], "万元")
    b = charts.bar_chart("金额", ["甲"], [Decimal(2)], "万元")
    assert svg_of(a)["id"] != svg_of(b)["id"]


def test_long_labels_are_cut_to_fit_but_kept_in_the_alternative():
    label = "县" + "很长的单位名称" * 10
    fig = svg_of(charts.bar_chart("金额", [label], [Decimal(1)], "万元"))
    drawn = fig.find("svg").find("text").get_text()
    assert drawn.endswith("…") and charts.text_width(drawn) <= charts.WIDTH - 2 * charts.PAD
    assert label in fig.find("desc").get_text()
