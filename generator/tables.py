"""HTML tables for generated pages: escaped cells, blanks as "—", accessible headers, one format for all."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum

from markupsafe import Markup

from .escape import html_multiline, html_text

BLANK = "—"


def fmt_money(value: Decimal | None) -> str:
    return BLANK if value is None else f"{value:.2f}"


def fmt_percent(value: Decimal | None) -> str:
    return BLANK if value is None else f"{value:.2f}%"


def fmt_number(value: object) -> str:
    if value is None:
        return BLANK
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value)


def fmt_date(value: date | None) -> str:
    return BLANK if value is None else value.isoformat()


def plain(value: object) -> str:
    """The text of a value as a cell shows it (also used for downloads and sorting)."""
    if value is None or value == "":
        return BLANK
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return fmt_number(value)
    if isinstance(value, date):
        return fmt_date(value)
    return str(value)


@dataclass
class Column:
    label: str
    kind: str = "text"  # text | long | money | percent | number | date

    def render(self, value: object) -> Markup:
        if isinstance(value, Cell):
            return value.html
        if value is None or value == "":
            return Markup(BLANK)
        if self.kind == "money":
            return html_text(fmt_money(value))
        if self.kind == "percent":
            return html_text(fmt_percent(value))
        if self.kind == "long":
            return html_multiline(value)
        return html_text(plain(value))


@dataclass
class Cell:
    """A cell whose HTML is already built (a link to another page, a 示例 badge)."""

    html: Markup
    text: str


def link_cell(text: str, href: str) -> Cell:
    return Cell(Markup('<a href="{}">{}</a>').format(href, text), text)


def sample_badge() -> Markup:
    return Markup('<span class="jx-sample" title="示例数据，非真实记录">示例</span>')


@dataclass
class Table:
    caption: str
    columns: list[Column]
    rows: list[list[object]] = field(default_factory=list)
    sample_rows: set[int] = field(default_factory=set)
    empty: str = "本年度无此类明细记录。"
    footer: list[object] | None = None

    def html(self) -> Markup:
        if not self.rows:
            return Markup('<p class="jx-empty">{}</p>').format(self.empty)
        numeric = {"money", "percent", "number"}
        head = Markup("").join(
            Markup('<th scope="col"{}>{}</th>').format(
                Markup(' class="jx-num"') if c.kind in numeric else "", c.label)
            for c in self.columns
        )
        body = []
        for i, row in enumerate(self.rows):
            cells = []
            for j, (col, value) in enumerate(zip(self.columns, row, strict=True)):
                content = col.render(value)
                if j == 0 and i in self.sample_rows:
                    content = content + Markup(" ") + sample_badge()
                cls = Markup(' class="jx-num"') if col.kind in numeric else ""
                cells.append(Markup("<td{}>{}</td>").format(cls, content))
            body.append(Markup("<tr>{}</tr>").format(Markup("").join(cells)))
        foot = ""
        if self.footer is not None:
            foot = Markup("<tfoot><tr>{}</tr></tfoot>").format(Markup("").join(
                Markup("<td{}>{}</td>").format(Markup(' class="jx-num"') if c.kind in numeric else "", c.render(v))
                for c, v in zip(self.columns, self.footer, strict=True)))
        return Markup(
            '<div class="jx-table"><table>\n<caption>{}</caption>\n<thead><tr>{}</tr></thead>\n'
            "<tbody>\n{}\n</tbody>{}\n</table></div>"
        ).format(self.caption, head, Markup("\n").join(body), foot)
