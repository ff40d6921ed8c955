"""Scoring one quantitative indicator (DOMAIN §3) with values at zero or below: growth rates and cost changes are
often negative. A met target earns full marks; the proportional rule gives a missed target its share only where the
values are not negative (there the stated score is checked only against 0–分值)."""

from __future__ import annotations

import pytest

from tests.test_bad_inputs import EVALS, SCORES, errors, set_cell

# 评价2024-4 (75.62, 中): line 8 每公里养护成本 ≤ 1.5 → 1.6, 40 points, 37.50; line 9 养护里程 ≥ 120 → 96, 30 points, 24.
CASES = {
    # ≤ 5 with -2: better than the target (the ratio 5 / -2 asked for -100 points).
    "reverse-met-below-zero": ([(SCORES, 8, "指标值", "5"), (SCORES, 8, "完成值", "-2"), (SCORES, 8, "得分", "40"),
                                (EVALS, 5, "得分", "78.12")], set()),
    # ≥ -2 with -1: a smaller fall than allowed (the ratio -1 / -2 asked for half the points).
    "target-below-zero-met": ([(SCORES, 9, "指标值", "-2"), (SCORES, 9, "完成值", "-1"), (SCORES, 9, "得分", "30"),
                               (EVALS, 5, "得分", "81.62"), (EVALS, 5, "等级", "良")], set()),
    # ≥ 120 with -5: missed, no share to take (the ratio asked for -1.25 points); 0 is within 0–30.
    "missed-below-zero": ([(SCORES, 9, "完成值", "-5"), (SCORES, 9, "得分", "0"), (EVALS, 5, "得分", "51.62"),
                           (EVALS, 5, "等级", "差")], set()),
    # ≥ 120 with 0 is still a share of nothing: 10 points is wrong.
    "missed-at-zero-still-checked": ([(SCORES, 9, "完成值", "0"), (SCORES, 9, "得分", "10"),
                                      (EVALS, 5, "得分", "61.62")], {("indicator-score-mismatch", SCORES, 9)}),
    # ≤ 1.5 with 0: met (as before).
    "reverse-met-at-zero": ([(SCORES, 8, "完成值", "0"), (SCORES, 8, "得分", "40"), (EVALS, 5, "得分", "78.12")],
                            set()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_quantitative_scores_with_values_at_or_below_zero(rich, name):
    edits, expected = CASES[name]
    for rel, line, column, value in edits:
        set_cell(rel, line, column, value)(rich)
    assert errors(rich) == expected
