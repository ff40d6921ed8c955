"""HTML tables for generated pages: escaped cells, blanks as "—", accessible headers, one format for all.

Every table is complete HTML (readable without JavaScript and in print). Tables with more than one row carry
``data-jx-sort`` so the vendored tablesort (content/assets/jx-tables.js) can sort them on a header click, and
any table can name a CSV download holding exactly what it shows (``Table.download``, ``Table.csv_text``).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum

from markupsafe import Markup, escape

from .escape import html_multiline, html_text

BLANK = "—"
NUMERIC_KINDS = frozenset({"money", "percent", "number"})
DOWNLOAD_LABEL = "下载本表（CSV）"


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

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC_KINDS

    def text(self, value: object) -> str:
        """The cell as plain text, as a reader sees it: what the CSV download holds."""
        if isinstance(value, Cell):
            return value.text
        if value is None or value == "":
            return BLANK
        if isinstance(value, Markup):
            return value.striptags() or BLANK  # HTML a page shows as-is; its download holds only the text
        if self.kind == "money":
            return fmt_money(value)
        if self.kind == "percent":
            return fmt_percent(value)
        if self.kind == "long":
            return "\n".join(line.strip() for line in str(value).splitlines() if line.strip())
        return _SPACES.sub(" ", plain(value)).strip()

    def sort_key(self, value: object) -> str | None:
        """The ``data-sort`` value: a bare number in numeric columns, "" for a blank; None where the text sorts."""
        text = self.text(value)
        if text == BLANK:
            return ""  # jx-tables.js moves rows with an empty key to the end, whichever the direction
        if not self.numeric:
            return None
        if isinstance(value, Decimal):
            return format(value, "f")
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        bare = text.rstrip("%").replace(",", "").strip()
        return bare if _NUMBER.match(bare) else None


@dataclass
class Cell:
    """A cell whose HTML is already built (a link to another page, a 示例 badge)."""

    html: Markup
    text: str


def link_cell(text: str, href: str) -> Cell:
    return Cell(Markup('<a href="{}">{}</a>').format(href, text), text)


_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_ANCHOR_UNSAFE = re.compile(r"[^\w-]+")


def anchor_slug(text: str) -> str:
    """An HTML id from a caption or file name: letters (Chinese included), digits, '-' and '_' only."""
    return "tbl-" + (_ANCHOR_UNSAFE.sub("-", text).strip("-") or "table")


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
    # Per-row anchor ids (so other pages can link to one record) and data-* attributes (for filters).
    row_ids: list[str] | None = None
    row_attrs: list[dict[str, str]] | None = None
    # File name of this table's CSV, written next to the page by render (e.g. "exante.csv"); the link's href
    # is this name verbatim, so it resolves against the page's URL.
    download: str | None = None
    # The table's id; default: from the download's file name, else from the caption (see ``anchor``).
    id: str | None = None
    sortable: bool = True
    # False keeps the rows out of the search index (Pagefind), for long lists whose every record is also
    # shown, and found, on its own project or department page.
    searchable: bool = True

    @property
    def anchor(self) -> str:
        """The table's HTML id: stable across builds so other pages and readers can link to it."""
        if self.id:
            return self.id
        if self.download:
            return anchor_slug(self.download.rsplit("/", 1)[-1].rsplit(".", 1)[0])
        return anchor_slug(self.caption)

    @property
    def has_samples(self) -> bool:
        return bool(self.sample_rows & set(range(len(self.rows))))

    def csv_rows(self) -> list[list[str]]:
        """Header and rows as a reader sees them; a 示例 column (是/否) only when some row is a sample."""
        samples = self.has_samples
        header = [c.label for c in self.columns] + (["示例"] if samples else [])
        out = [header]
        for i, row in enumerate(self.rows):
            cells = [c.text(v) for c, v in zip(self.columns, row, strict=True)]
            out.append(cells + (["是" if i in self.sample_rows else "否"] if samples else []))
        if self.footer is not None:
            cells = [c.text(v) for c, v in zip(self.columns, self.footer, strict=True)]
            out.append(cells + ([""] if samples else []))
        return out

    def csv_text(self) -> str:
        """The table as CSV text (RFC 4180, CRLF): header labels, cell texts with "—" for blanks, no HTML."""
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerows(self.csv_rows())
        return buf.getvalue()

    def csv_bytes(self) -> bytes:
        """``csv_text`` as UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly."""
        return self.csv_text().encode("utf-8-sig")

    def _row_open(self, i: int) -> Markup:
        attrs = Markup("")
        if self.row_ids is not None:
            attrs += Markup(' id="{}"').format(self.row_ids[i])
        if self.row_attrs is not None:
            for key, value in sorted(self.row_attrs[i].items()):
                attrs += Markup(' data-{}="{}"').format(key, value)
        return Markup("<tr{}>").format(attrs)

    def html(self) -> Markup:
        """The table as one raw-HTML block (no blank lines), safe to place in a Markdown page."""
        if not self.rows:
            return Markup('<p class="jx-empty" id="{}">{}</p>').format(self.anchor, self.empty)
        sortable = self.sortable and len(self.rows) > 1
        head = Markup("").join(
            Markup('<th scope="col"{}{}>{}</th>').format(
                Markup(' class="jx-num"') if c.numeric else "",
                # Numbers sort as numbers; text sorts in Chinese collation order (registered by jx-tables.js).
                Markup(' data-sort-method="{}"').format("number" if c.numeric else "jx-text") if sortable else "",
                c.label)
            for c in self.columns
        )
        body = []
        for i, row in enumerate(self.rows):
            cells = []
            for j, (col, value) in enumerate(zip(self.columns, row, strict=True)):
                content = col.render(value)
                key = col.sort_key(value) if sortable else None
                if j == 0 and i in self.sample_rows:
                    content = content + Markup(" ") + sample_badge()
                    if key is None:
                        key = col.text(value)  # so the badge's text does not take part in sorting
                # Plain strings with explicit escape(): Markup.format per cell cost ~17 times more and was most
                # of the generator's time on a ten-year archive (generator/bench.py).
                attrs = ' class="jx-num"' if col.numeric else ""
                if key is not None:
                    attrs += f' data-sort="{escape(key)}"'
                cells.append(f"<td{attrs}>{escape(content)}</td>")
            body.append(Markup("".join((self._row_open(i), *cells, "</tr>"))))
        foot = ""
        if self.footer is not None:
            foot = Markup("<tfoot><tr>{}</tr></tfoot>").format(Markup("").join(
                Markup("<td{}>{}</td>").format(Markup(' class="jx-num"') if c.numeric else "", c.render(v))
                for c, v in zip(self.columns, self.footer, strict=True)))
        download = ""
        if self.download:
            download = Markup('\n<p class="jx-table-download"><a class="jx-download" href="{}" download>{}</a></p>'
                              ).format(self.download, DOWNLOAD_LABEL)
        return Markup(
            '<div class="jx-table"><table id="{}"{}{}>\n<caption>{}</caption>\n<thead><tr>{}</tr></thead>\n'
            "<tbody>\n{}\n</tbody>{}\n</table>{}</div>"
        ).format(self.anchor, Markup(" data-jx-sort") if sortable else "",
                 "" if self.searchable else Markup(" data-pagefind-ignore"), self.caption, head,
                 Markup("\n").join(body), foot, download)
