"""Charts drawn at build time as inline SVG: readable without JavaScript, in print, in greyscale and in Chinese.

Each chart is one ``<figure>`` (a block-level tag, so Markdown passes it through as a raw HTML block) holding a
visible caption and an ``<svg role="img">`` whose ``<title>`` and ``<desc>`` state every value in words. No
line inside is blank. Text from data is escaped by markupsafe. Sizes are in viewBox units so the chart scales
to the page width; jx.css caps the width in em, so the large-text mode enlarges charts too.

Colours: all text is near-black on white (contrast ≥ 4.5:1, checked by ``contrast_ratio`` in the tests); bar
fills have ≥ 3:1 against white, and each share carries its own pattern and a direct label, so the parts stay
distinguishable when printed in greyscale.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup

from .model import Share
from .tables import BLANK

# System fonts only: web fonts would be a request to another host (and Google Fonts stalls in mainland China).
FONT_STACK = ("'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC','Source Han Sans SC',"
              "'WenQuanYi Micro Hei',sans-serif")
TEXT = "#1a1a1a"
MUTED_TEXT = "#4d4d4d"
BACKGROUND = "#ffffff"
TRACK = "#e6e6e6"
BAR = "#1f4e79"
# Fills for the parts of a whole, with distinct lightness and (below) distinct patterns.
PALETTE = ("#1f4e79", "#b35900", "#3d7a28", "#7a3d8f", "#595959", "#8c6d00", "#a8324a", "#006b6b")
PATTERNS = ("solid", "diagonal", "dots", "horizontal", "cross", "vertical", "diagonal-back", "grid")

WIDTH = 400  # with jx.css max-width 28em: about body-text size on a desktop, ≥ 11px on a 360px phone
FONT = 14
PAD = 8
NOT_REPORTED = "未填报"


# --- measuring and colour ---------------------------------------------------------------------


def text_width(text: str, size: float = FONT) -> float:
    """A safe estimate of a label's width: CJK and full-width characters are one em, others about 0.6 em."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text)


def fit(text: str, width: float, size: float = FONT) -> str:
    """Cut a label to the width available; the full label stays in the chart's text alternative."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours (GB/T 37668 asks ≥ 4.5 for text)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def value_text(value: Decimal | int | None, unit: str) -> str:
    """A value as the chart prints it: the number as the data states it (money keeps two places)."""
    if value is None:
        return BLANK
    number = format(value, "f")
    return number + "%" if unit == "%" else number


def _n(x: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros: deterministic, compact output."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _chart_id(kind: str, *parts: object) -> str:
    """Ids for title/desc/patterns, from the content, so the same chart always gets the same ids."""
    digest = hashlib.sha1(repr((kind, *parts)).encode("utf-8")).hexdigest()[:10]
    return f"jxc-{digest}"


def _figure(cid: str, caption: str, height: float, alt_title: str, desc: str, body: list[Markup]) -> Markup:
    svg_open = Markup(
        '<svg viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="{id}-t {id}-d" '
        'font-family="{font}" font-size="{size}" fill="{text}">'
    ).format(w=WIDTH, h=_n(height), id=cid, font=FONT_STACK, size=FONT, text=TEXT)
    lines = [
        Markup('<figure class="jx-chart" id="{}">').format(cid),
        Markup('<figcaption>{}</figcaption>').format(caption),
        svg_open,
        Markup('<title id="{}-t">{}</title>').format(cid, alt_title),
        Markup('<desc id="{}-d">{}</desc>').format(cid, desc),
        Markup('<rect width="{}" height="{}" fill="{}"/>').format(WIDTH, _n(height), BACKGROUND),
        *body,
        Markup("</svg>"),
        Markup("</figure>"),
    ]
    return Markup("\n").join(lines)


def _caption(title: str, unit: str) -> str:
    return f"{title}（单位：{unit}）" if unit else title


# --- bar chart --------------------------------------------------------------------------------


def bar_chart(title: str, labels: Sequence[str], values: Sequence[Decimal | int | None], unit: str, *,
              max_value: Decimal | int | None = None) -> Markup:
    """Horizontal bars, one per label, with the value printed after each bar.

    ``unit`` is shown in the caption (and after each value when it is "%"). ``max_value`` fixes the scale
    (100 for rates); by default the largest value fills the width. A blank value (None) draws no bar and reads
    "未填报"; 0 draws no bar and reads 0. Negative values are refused: nothing the site charts can be negative.
    """
    if len(labels) != len(values):
        raise ValueError("条形图的标签与数值个数不一致")
    if any(v is not None and v < 0 for v in values):
        raise ValueError("条形图只能显示非负数值")
    present = [Decimal(v) for v in values if v is not None]
    scale = Decimal(max_value) if max_value is not None else max(present, default=Decimal(0))
    if scale <= 0:
        scale = Decimal(1)  # every value is 0 or blank: no bar has length, and nothing divides by zero
    cid = _chart_id("bar", title, tuple(labels), tuple(str(v) for v in values), unit, str(max_value))
    texts = [value_text(v, unit) for v in values]
    value_w = max((text_width(t) for t in texts), default=0) + PAD
    track_w = WIDTH - 2 * PAD - value_w
    row_h, bar_h = FONT + 6 + 16 + 12, 16
    body: list[Markup] = []
    for i, (label, value, text) in enumerate(zip(labels, values, texts, strict=True)):
        top = PAD + i * row_h
        bar_y = top + FONT + 6
        body.append(Markup('<text x="{}" y="{}">{}</text>').format(PAD, _n(top + FONT), fit(label, WIDTH - 2 * PAD)))
        body.append(Markup('<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>').format(
            PAD, _n(bar_y), _n(track_w), bar_h, TRACK))
        length = 0.0
        if value is not None and value > 0:
            length = float(min(Decimal(value), scale) / scale) * track_w
            body.append(Markup('<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>').format(
                PAD, _n(bar_y), _n(length), bar_h, BAR))
        shown = NOT_REPORTED if value is None else text
        body.append(Markup('<text x="{}" y="{}"{}>{}</text>').format(
            _n(PAD + track_w + PAD / 2), _n(bar_y + bar_h - 3),
            Markup(' fill="{}"').format(MUTED_TEXT) if value is None else "", shown))
    height = 2 * PAD + len(labels) * row_h - 12
    if not labels:
        body.append(Markup('<text x="{}" y="{}">暂无数据</text>').format(PAD, PAD + FONT))
        height = 2 * PAD + FONT + 6
    items = "；".join(f"{label}：{NOT_REPORTED if v is None else t}" for label, v, t in zip(labels, values, texts,
                                                                                          strict=True))
    desc = f"条形图，单位：{unit}。" + (items + "。" if items else "暂无数据。")
    return _figure(cid, _caption(title, unit), height, title, desc, body)


# --- share chart ------------------------------------------------------------------------------


def _pattern(pid: str, kind: str) -> Markup:
    """A white overlay pattern; drawn over a part's fill, it tells parts apart without colour."""
    stroke = 'stroke="#ffffff" stroke-width="2" stroke-opacity="0.75"'
    shapes = {
        "diagonal": f'<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" {stroke}/>',
        "diagonal-back": f'<path d="M-2,6 l4,4 M0,0 l8,8 M6,-2 l4,4" {stroke}/>',
        "dots": '<circle cx="4" cy="4" r="1.6" fill="#ffffff" fill-opacity="0.8"/>',
        "horizontal": f'<path d="M0,4 h8" {stroke}/>',
        "vertical": f'<path d="M4,0 v8" {stroke}/>',
        "cross": f'<path d="M0,0 l8,8 M8,0 l-8,8" {stroke}/>',
        "grid": f'<path d="M0,4 h8 M4,0 v8" {stroke}/>',
    }
    return Markup('<pattern id="{}" width="8" height="8" patternUnits="userSpaceOnUse">{}</pattern>').format(
        pid, Markup(shapes[kind]))


def _swatch(cid: str, index: int, x: float, y: float, w: float, h: float) -> list[Markup]:
    fill = PALETTE[index % len(PALETTE)]
    kind = PATTERNS[index % len(PATTERNS)]
    out = [Markup('<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>').format(_n(x), _n(y), _n(w), _n(h), fill)]
    if kind != "solid":
        out.append(Markup('<rect x="{}" y="{}" width="{}" height="{}" fill="url(#{}-p{})"/>').format(
            _n(x), _n(y), _n(w), _n(h), cid, index))
    return out


def share_chart(title: str, shares: Sequence[Share], *, unit: str = "项") -> Markup:
    """A 100% stacked bar of the parts of a whole, with direct percentage labels and a legend.

    The percentages are the model's largest-remainder shares, so the parts add up to exactly 100.00%.
    A part of 0 is listed in the legend and the text alternative but draws nothing. ``unit`` names what is
    counted (项, 个, 条 …).
    """
    cid = _chart_id("share", title, tuple((s.label, s.count, str(s.percent)) for s in shares), unit)
    total = sum(s.count for s in shares)
    bar_x, bar_y, bar_w, bar_h = PAD, PAD, WIDTH - 2 * PAD, 36
    body: list[Markup] = []
    kinds = {i: PATTERNS[i % len(PATTERNS)] for i in range(len(shares))}
    patterns = [_pattern(f"{cid}-p{i}", k) for i, k in kinds.items() if k != "solid"]
    if patterns:
        body.append(Markup("<defs>") + Markup("").join(patterns) + Markup("</defs>"))
    body.append(Markup('<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>').format(
        bar_x, bar_y, bar_w, bar_h, TRACK))
    if total == 0:
        body.append(Markup('<text x="{}" y="{}" text-anchor="middle">暂无数据</text>').format(
            _n(WIDTH / 2), _n(bar_y + bar_h / 2 + FONT / 2 - 2)))
    x = float(bar_x)
    for i, share in enumerate(shares):
        if share.count == 0:
            continue
        w = float(share.percent) / 100 * bar_w
        body.extend(_swatch(cid, i, x, bar_y, w, bar_h))
        label = f"{share.percent:.2f}%"
        box_w = text_width(label, FONT - 2) + 6
        if w >= box_w + 4:
            # A white box behind the direct label keeps its contrast whatever the fill and pattern.
            body.append(Markup('<rect x="{}" y="{}" width="{}" height="{}" rx="2" fill="{}"/>').format(
                _n(x + (w - box_w) / 2), _n(bar_y + (bar_h - FONT - 4) / 2), _n(box_w), FONT + 4, BACKGROUND))
            body.append(Markup('<text x="{}" y="{}" font-size="{}" text-anchor="middle">{}</text>').format(
                _n(x + w / 2), _n(bar_y + bar_h / 2 + (FONT - 2) / 2 - 1), FONT - 2, label))
        x += w
    # Legend: swatch + "label count unit（percent）", flowing into rows.
    lx, ly, line_h = float(PAD), bar_y + bar_h + 12, FONT + 12
    for i, share in enumerate(shares):
        text = fit(f"{share.label} {share.count}{unit}（{share.percent:.2f}%）", WIDTH - 2 * PAD - 22)
        item_w = 16 + 6 + text_width(text) + 16
        if lx > PAD and lx + item_w > WIDTH - PAD:
            lx, ly = float(PAD), ly + line_h
        body.extend(_swatch(cid, i, lx, ly, 16, 16))
        body.append(Markup('<rect x="{}" y="{}" width="16" height="16" fill="none" stroke="{}"/>').format(
            _n(lx), _n(ly), TEXT))
        body.append(Markup('<text x="{}" y="{}">{}</text>').format(_n(lx + 22), _n(ly + 13), text))
        lx += item_w
    height = ly + (line_h if shares else 0) + PAD - 8
    items = "；".join(f"{s.label}：{s.count}{unit}，占{s.percent:.2f}%" for s in shares)
    desc = f"百分比堆积条形图，共{total}{unit}。" + (items + "。" if items else "暂无数据。")
    return _figure(cid, title, max(height, bar_y + bar_h + PAD), title, desc, body)
