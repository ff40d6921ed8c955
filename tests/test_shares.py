"""Shares of a whole (DOMAIN §3) add up to exactly 100% — and a whole of nothing has no shares."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from generator import model, pipeline, render_year


def test_budget_type_shares_of_no_money_are_blank_not_zero_under_a_hundred(rich):
    """Every project at 0.00 万元 showed 0.00% on each row under a 合计 of 100.00%."""
    path = rich / "2024" / "projects.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    for row in rows[1:]:
        row[rows[0].index("金额")] = "0.00"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    ds, _ = pipeline.validate(rich)
    year = next(y for y in model.build_archive(ds).years if y.year == 2024)
    assert len(year.budget_types) > 1 and all(g.share is None for g in year.budget_types)
    table = next(b for b in render_year.budget_type_blocks(year) if isinstance(b, render_year.Table))
    assert table.footer[-1] is None and "100.00%" not in table.html()

    # With money, the shares are the largest-remainder ones under 100.00%.
    rows[1][rows[0].index("金额")] = "10.00"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    ds, _ = pipeline.validate(rich)
    year = next(y for y in model.build_archive(ds).years if y.year == 2024)
    assert sum(g.share for g in year.budget_types) == Decimal(100)


def test_grade_distribution_says_which_bands_graded_the_year(rich, tmp_path):
    """A county may set its own bands (年度口径 from a year on); the year's distribution names them."""
    from tests.test_bad_inputs import SETTINGS, add_line

    add_line(SETTINGS, "年度口径:\n  - 起始年度: 2024\n    等级划分:\n      - {等级: 优, 下限: 90}\n"
                       "      - {等级: 良, 下限: 80}\n      - {等级: 中, 下限: 70}\n      - {等级: 差, 下限: 0}")(rich)
    pipeline.generate(rich, tmp_path / "out")
    page = (tmp_path / "out" / "2024" / "index.md").read_text(encoding="utf-8")
    assert ("等级按本年度口径划分：优 90 分及以上；良 80 分及以上、不足 90 分；中 70 分及以上、不足 80 分；"
            "差 不足 70 分。") in page
