"""Field types shared by the records: exact money, percentages, scores, dates, yes/no.

Each type accepts what staff type in Excel, normalises the harmless variants (with a note, through the
validation context) and rejects the rest with a stable error code.
"""

from __future__ import annotations

import re
import typing
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from types import UnionType
from typing import Annotated

from pydantic import BeforeValidator, ValidationInfo
from pydantic_core import PydanticCustomError

from .load import normalise_digits

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def _note(info: ValidationInfo, raw: str, normalised: str, why: str) -> None:
    if info.context is not None and "notes" in info.context:
        info.context["notes"].append((info.field_name, raw, normalised, why))


# After normalisation a number is plain digits: no exponent (Excel shows long numbers as 1.2E+05, which has
# already lost digits), no currency sign, no unit.
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_UNITS = ("万元", "元", "亿元", "分", "个", "项", "年")
_BLANK_MARKS = {"-", "—", "——", "－", "/", "／", "无", "空", "N/A", "n/a", "NA", "#N/A"}


# No figure of a county's disclosure has more integer digits (a trillion 万元 is 16); longer ones are mistakes, and
# beyond 28 digits Decimal's two-place rounding fails.
MAX_INTEGER_DIGITS = 15


def _to_decimal(value, info: ValidationInfo, *, allow_percent: bool, what: str) -> Decimal:
    number = _read_decimal(value, info, allow_percent=allow_percent, what=what)
    if not number.is_finite():
        raise PydanticCustomError("bad-number", "应为{what}（只写数字，例如 1234.50）", {"what": what})
    if number.adjusted() >= MAX_INTEGER_DIGITS:
        raise PydanticCustomError("bad-number", "数字过大（超过 {digits} 位整数），请核对是否多填了数字或单位不对",
                                  {"digits": MAX_INTEGER_DIGITS})
    return number.copy_abs() if number.is_zero() else number  # "-0" is 0


def _read_decimal(value, info: ValidationInfo, *, allow_percent: bool, what: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool) or value is None:
        raise PydanticCustomError("bad-number", "应为{what}", {"what": what})
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # Only reachable from Python callers; data files hand us text.
        return Decimal(str(value))
    if not isinstance(value, str):
        raise PydanticCustomError("bad-number", "应为{what}，不能是列表或多项内容", {"what": what})
    raw = value
    text = normalise_digits(raw).strip()
    if text != raw.strip():
        _note(info, raw, text, "全角数字已转为半角")
    if text.endswith("%"):
        if not allow_percent:
            raise PydanticCustomError(
                "bad-number", "此栏应为{what}，不能带百分号“%”；请只填数字", {"what": what})
        text = text[:-1].strip()
        _note(info, raw, text, "已去掉百分号（数值本身即百分数）")
    if _THOUSANDS.match(text):
        plain = text.replace(",", "")
        _note(info, raw, plain, "已去掉千位分隔符")
        text = plain
    if _PLAIN_NUMBER.match(text):
        return Decimal(text)
    if text in _BLANK_MARKS:
        raise PydanticCustomError("bad-number", "应为{what}；没有或未披露的数请留空，不要填“-”“/”“无”",
                                  {"what": what})
    unit = next((u for u in _UNITS if text.endswith(u) and (_PLAIN_NUMBER.match(text[: -len(u)].strip())
                                                            or _THOUSANDS.match(text[: -len(u)].strip()))), None)
    if unit:
        raise PydanticCustomError("bad-number", "应为{what}；只填数字，不要带单位“{unit}”（单位见列名说明）",
                                  {"what": what, "unit": unit})
    if re.match(r"^[+-]?[\d.]+[eE][+-]?\d+$", text):
        raise PydanticCustomError(
            "bad-number", "应为{what}；不能是科学计数法（Excel 显示为 1.2E+05 时数字已被截断），"
            "请把单元格设为“数值”格式后重新填写", {"what": what})
    if re.match(r"^[¥￥$＄]|^(人民币|RMB)", text, re.I):
        raise PydanticCustomError("bad-number", "应为{what}；只填数字，不要带货币符号“{sign}”",
                                  {"what": what, "sign": re.match(r"^([¥￥$＄]|人民币|RMB)", text, re.I).group(1)})
    if "," in text or "，" in raw:
        raise PydanticCustomError("bad-number", "应为{what}；千位分隔符位置不对（例如 1,234.50）", {"what": what})
    raise PydanticCustomError("bad-number", "应为{what}（只写数字，例如 1234.50）", {"what": what})


def _money(value, info: ValidationInfo) -> Decimal:
    try:
        number = _to_decimal(value, info, allow_percent=False, what="金额（万元）")
    except PydanticCustomError as exc:
        # Same explanation, but the money code, so a report groups every money mistake together.
        raise PydanticCustomError("bad-money", exc.message()) from None
    if number < 0:
        raise PydanticCustomError("bad-money", "金额不能为负数；应为以万元计、最多两位小数的非负数")
    if number.as_tuple().exponent < -2:
        raise PydanticCustomError("bad-money", "金额最多两位小数（单位：万元），请勿四舍五入后再填写")
    return number.quantize(Decimal("0.01"))


CENT = Decimal("0.01")


def cents(value: Decimal | int) -> Decimal:
    """Two decimals, rounded the way published reports round (四舍五入: 85.125 → 85.13), not Python's default
    round-half-even (85.12)."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


# Such a value usually comes from an Excel formula (=B5/F4) in a cell showing every digit (常规 format).
_ROUND_HINT = "；若由公式算出，请把单元格设为显示两位小数（导入时按显示的两位读取），或用 ROUND(…, 2)"


def _percent(value, info: ValidationInfo) -> Decimal:
    number = _to_decimal(value, info, allow_percent=True, what="百分数（例如 85.5 表示 85.5%）")
    if not Decimal(0) <= number <= Decimal(100):
        raise PydanticCustomError("out-of-range", "百分数应在 0 到 100 之间")
    if number.as_tuple().exponent < -2:
        if Decimal(0) < number < Decimal(1):
            raise PydanticCustomError("bad-number", "看起来填的是小数（{value} 即 {percent}%）；请填百分数，例如 {percent}",
                                      {"value": format(number, "f"), "percent": format((number * 100).normalize(), "f")})
        raise PydanticCustomError("bad-number", "百分数最多两位小数" + _ROUND_HINT)
    return number


def _score(value, info: ValidationInfo) -> Decimal:
    number = _to_decimal(value, info, allow_percent=False, what="分数")
    if not Decimal(0) <= number <= Decimal(100):
        raise PydanticCustomError("out-of-range", "分数应在 0 到 100 之间")
    if number.as_tuple().exponent < -2:
        raise PydanticCustomError("bad-number", "分数最多两位小数" + _ROUND_HINT)
    return number


def _quantity(value, info: ValidationInfo) -> Decimal:
    number = _to_decimal(value, info, allow_percent=True, what="数值")
    if number < 0:
        raise PydanticCustomError("out-of-range", "数值不能为负数")
    return number


def _count(value, info: ValidationInfo) -> int:
    number = _to_decimal(value, info, allow_percent=False, what="整数")
    if number != number.to_integral_value():
        raise PydanticCustomError("bad-number", "应为整数")
    if number < 0:
        raise PydanticCustomError("out-of-range", "数量不能为负数")
    return int(number)


def _year(value, info: ValidationInfo) -> int:
    number = _count(value, info)
    if not 2000 <= number <= 2100:
        raise PydanticCustomError("out-of-range", "年度应为四位数年份，例如 2023")
    return number


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
]


_MIDNIGHT = re.compile(r"^(\S+)\s+0{1,2}:00(:00)?$")  # Excel/WPS exports date cells as "2024-06-10 00:00:00"


def _date(value, info: ValidationInfo) -> date:
    day = _read_date(value, info)
    if not 2000 <= day.year <= 2100:  # (1899-12-25 is what a spreadsheet makes of -5 in a date cell)
        raise PydanticCustomError("bad-date", "日期的年份应在 2000–2100 之间；请核对是否填错")
    return day


def _read_date(value, info: ValidationInfo) -> date:
    if isinstance(value, datetime):
        raise PydanticCustomError("bad-date", "应为日期（不含时间），例如 2023-05-31")
    if isinstance(value, date):
        return value
    raw = str(value)
    text = normalise_digits(raw).strip()
    midnight = _MIDNIGHT.match(text)
    if midnight:
        text = midnight.group(1)
        _note(info, raw, text, "已去掉时间部分“00:00:00”")
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        raise PydanticCustomError(
            "bad-date", "这是 Excel 的日期序号而不是日期；请把单元格格式设为“日期”后重新另存，或直接填写 2023-05-31")
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return date(y, mo, d)
            except ValueError:
                raise PydanticCustomError("bad-date", "日期不存在（例如没有 2 月 30 日）") from None
    raise PydanticCustomError("bad-date", "日期格式应为 2023-05-31")


def _yes_no(value, info: ValidationInfo) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip()
    if text in ("是", "Y", "y"):
        return True
    if text in ("否", "N", "n"):
        return False
    raise PydanticCustomError("bad-enum", "应填“是”或“否”")


# Site-relative paths start with one "/": "//host/…" (and "/\\host", which browsers read alike) is another site.
_SAFE_URL = re.compile(r"^(https?://[^\s<>\"'\\]+|/(?![/\\])[^\s<>\"'\\]*|[A-Za-z0-9_.-][A-Za-z0-9_./-]*\.(pdf|docx?|xlsx?|html))$")


def _url(value, info: ValidationInfo) -> str:
    text = str(value).strip()
    if not _SAFE_URL.match(text) or ".." in text:
        raise PydanticCustomError(
            "bad-url", "链接只能是 http(s):// 开头的网址或本站内的相对路径（不能是 javascript: 等）"
        )
    return text


_WEB_ADDRESS = re.compile(r"^https?://[^\s/?#<>\"']+(/[^\s<>\"']*)?$")
_SITE_IMAGE = re.compile(r"^[A-Za-z0-9_\-/]+\.(png|gif|jpe?g|svg)$")


def _web_address(value, info: ValidationInfo) -> str:
    text = str(value).strip()
    if not _WEB_ADDRESS.match(text):
        raise PydanticCustomError("bad-url", "应为 http:// 或 https:// 开头的完整网址，如 https://czj.example.gov.cn/jxgk/")
    return text


def _site_image(value, info: ValidationInfo) -> str:
    text = str(value).strip().lstrip("/")
    if not _SITE_IMAGE.match(text) or ".." in text:
        raise PydanticCustomError("bad-url", "应为图片在 content/ 下的路径（英文字母、数字组成，png、gif、jpg 或 svg），"
                                             "如 assets/dzjg.png；不能是其他网站的图片")
    return text


# The year of a 文号 in anything but 六角括号: [2018] 【2018】 (2018) （2018） 〈2018〉 ［2018］, the look-alikes
# ﹝2018﹞ (small brackets, which input methods offer for 〔〕) and 〖2018〗, or no brackets.
# Also a pair that is half right (〔2020], [2020〕) and full-width digits (〔２０２０〕１４号), which search and sorting
# would not match with the 文号 as published.
_DOC_NO_YEAR = re.compile(r"[\[【(（〈<［{｛﹝〖〔]\s*((?:19|20)\d{2})\s*[\]】)）〉>］}｝﹞〗〕]"
                          r"|(?<=[^\d〔〕﹝﹞〖〗])((?:19|20)\d{2})年?(?=\d+号)")


def _doc_number(value, info: ValidationInfo) -> str:
    text = str(value).strip()
    fixed = normalise_digits(text)
    fixed = _DOC_NO_YEAR.sub(lambda m: f"〔{m.group(1) or m.group(2)}〕", fixed)
    if fixed != text:
        raise PydanticCustomError(
            "bad-doc-number", "文号的年份应放在六角括号〔〕中、数字用半角，例如 川财绩〔2018〕14号；此处应写作“{fixed}”",
            {"fixed": fixed})
    return text


Money = Annotated[Decimal, BeforeValidator(_money)]
Percent = Annotated[Decimal, BeforeValidator(_percent)]
Score = Annotated[Decimal, BeforeValidator(_score)]
Quantity = Annotated[Decimal, BeforeValidator(_quantity)]
Count = Annotated[int, BeforeValidator(_count)]
Year = Annotated[int, BeforeValidator(_year)]
Day = Annotated[date, BeforeValidator(_date)]
YesNo = Annotated[bool, BeforeValidator(_yes_no)]
Url = Annotated[str, BeforeValidator(_url)]
WebAddress = Annotated[str, BeforeValidator(_web_address)]
SiteImage = Annotated[str, BeforeValidator(_site_image)]
DocNumber = Annotated[str, BeforeValidator(_doc_number)]

class Kind(StrEnum):
    """What a field holds, from the type it is declared with: spreadsheets, downloads and the data dictionary all
    format, check and describe a field by this one classification."""

    MONEY = "money"
    PERCENT = "percent"
    SCORE = "score"
    QUANTITY = "quantity"
    COUNT = "count"
    YEAR = "year"
    DATE = "date"
    YES_NO = "yes_no"
    URL = "url"
    WEB_ADDRESS = "web_address"
    SITE_IMAGE = "site_image"
    DOC_NUMBER = "doc_number"
    ENUM = "enum"
    TEXT = "text"


_KINDS = {
    _money: Kind.MONEY, _percent: Kind.PERCENT, _score: Kind.SCORE, _quantity: Kind.QUANTITY, _count: Kind.COUNT,
    _year: Kind.YEAR, _date: Kind.DATE, _yes_no: Kind.YES_NO, _url: Kind.URL, _web_address: Kind.WEB_ADDRESS,
    _site_image: Kind.SITE_IMAGE, _doc_number: Kind.DOC_NUMBER,
}

# What each typed kind accepts, for the data dictionary and the downloads' field descriptions.
TYPE_LABELS = {
    Kind.MONEY: "金额（万元，最多两位小数）",
    Kind.PERCENT: "百分数（0–100，可带 %）",
    Kind.SCORE: "分数（0–100，最多两位小数）",
    Kind.QUANTITY: "数值",
    Kind.COUNT: "非负整数",
    Kind.YEAR: "年度（四位数）",
    Kind.DATE: "日期（如 2023-05-31）",
    Kind.YES_NO: "是/否",
    Kind.URL: "链接（http(s):// 或站内路径）",
    Kind.WEB_ADDRESS: "网址（http:// 或 https:// 开头）",
    Kind.SITE_IMAGE: "站内图片路径（content/ 下，如 assets/dzjg.png）",
    Kind.DOC_NUMBER: "文号（年份用六角括号，如 川财绩〔2018〕14号）",
}


def _declared(annotation):
    """The type inside ``X | None`` and inside ``Annotated[X, …]``."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if len(args) == 1 and (typing.get_origin(annotation) is typing.Union or isinstance(annotation, UnionType)):
        annotation = args[0]
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def field_enum(field) -> type[StrEnum] | None:
    """The enumeration a pydantic field's values come from, if any."""
    declared = _declared(field.annotation)
    return declared if isinstance(declared, type) and issubclass(declared, StrEnum) else None


def field_kind(field) -> Kind:
    """The kind of a pydantic field: from the validator its type carries (Money, Percent …), else ENUM or TEXT.

    An optional field (``Money | None``) keeps its validator inside the union's Annotated member, not in the
    field's own metadata, so both places are searched.
    """
    nested = [m for a in typing.get_args(field.annotation) if typing.get_origin(a) is typing.Annotated
              for m in a.__metadata__]
    for meta in [*field.metadata, *nested]:
        kind = _KINDS.get(getattr(meta, "func", None))
        if kind is not None:
            return kind
    return Kind.ENUM if field_enum(field) is not None else Kind.TEXT
