"""文号 keep their 六角括号 (DOMAIN §1): every other spelling of the year's brackets, half-right pairs included, and
full-width digits are refused with the spelling to use (search and readers match the 文号 as published)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from generator import schema


def doc_number_problem(number: str) -> str | None:
    try:
        schema.Document.model_validate({"编号": "通知", "标题": "关于开展绩效评价的通知", "文号": number})
    except ValidationError as exc:
        return "；".join(e["msg"] for e in exc.errors())
    return None


@pytest.mark.parametrize("typed, fixed", [
    ("示财绩[2024]1号", "示财绩〔2024〕1号"), ("示财绩（2024）1号", "示财绩〔2024〕1号"),
    ("示财绩﹝2024﹞1号", "示财绩〔2024〕1号"), ("示财绩〔2020]5号", "示财绩〔2020〕5号"),
    ("示财绩[2020〕5号", "示财绩〔2020〕5号"), ("示财绩(2020〕5号", "示财绩〔2020〕5号"),
    ("示财绩〔 2020 〕5号", "示财绩〔2020〕5号"), ("川财绩〔２０１８〕１４号", "川财绩〔2018〕14号"),
    ("川财绩2018年14号", "川财绩〔2018〕14号"),
])
def test_a_doc_number_not_spelled_as_published_is_refused_with_the_right_spelling(typed, fixed):
    assert f"此处应写作“{fixed}”" in (doc_number_problem(typed) or "")


@pytest.mark.parametrize("number", ["川财绩〔2018〕14号", "财预〔2020〕10号", "中发〔2018〕34号", "岳财绩〔2023〕3号"])
def test_doc_numbers_as_published_are_accepted(number):
    assert doc_number_problem(number) is None
