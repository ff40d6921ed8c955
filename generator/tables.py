"""HTML tables for generated pages: escaped cells, blanks as "—", accessible headers, one format for all.

Every table is complete HTML (readable without JavaScript and in print). Tables with more than one row carry
``data-jx-sort`` so the vendored tablesort (content/assets/jx-tables.js) can sort them on a header click, and
any table can name a CSV download holding exactly what it shows (``Table.download``, ``Table.csv_text``).

The markup is lean because a ten-year archive has hundreds of thousands of cells: a cell is ``<td>text</td>``.
Numeric columns are named once on the table (``data-jx-num="2 5"``, 1-based) and right-aligned by jx.css;
a cell carries ``data-sort`` only where sorting by its text would give a different order (a rounded amount, a
badge, a blank that is not shown as "—"): tablesort reads the text of every other cell.
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

from .escape import html_multiline, html_text, spreadsheet_text
from .types import cents

BLANK = "—"
NUMERIC_KINDS = frozenset({"money", "percent", "number"})
DOWNLOAD_LABEL = "下载本表（CSV）"
# jx.css right-aligns numeric columns 1..NUM_STYLED_COLUMNS from the table's data-jx-num; a numeric column
# further right (no table has one yet) keeps a class on each cell instead.
NUM_STYLED_COLUMNS = 20


def fmt_money(value: Decimal | None) -> str:
    return BLANK if value is None else f"{cents(value):.2f}"


def fmt_percent(value: Decimal | None) -> str:
    return BLANK if value is None else f"{cents(value):.2f}%"


def fmt_number(value: object) -> str:
    if value is None:
        return BLANK
    if isinstance(value, Decimal):
        # As written, like the downloads: a score of 87.30 stays 87.30 (not 87.3), an average kept to the cent 88.00.
        return format(value, "f")
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


    def cell(self, value: object) -> tuple[str, str | None, str | None]:
        """The cell's HTML, the ``data-sort`` it needs (None where tablesort may sort by the cell's text) and its
        ``text`` where that comes for free (else None: ask ``text``).

        Same result as ``render``, ``sort_key`` and ``text``, taking shortcuts for the common values (a table's cost
        is mostly here: a ten-year archive has hundreds of thousands of cells)."""
        if value is None or value == "":
            return BLANK, None, BLANK  # jx-tables.js keeps cells showing "—" last
        kind = self.kind
        t = type(value)
        if t is str:
            if kind == "long":
                return str(html_multiline(value)), None, None
            text = _SPACES.sub(" ", value).strip()
            if kind in NUMERIC_KINDS and text != BLANK:
                # (``text`` formats money and percentages itself)
                return _esc(text), self._explicit_key(value, text), text if kind == "number" else None
            return _esc(text), None, text if kind not in NUMERIC_KINDS else None
        if t is Decimal and kind in NUMERIC_KINDS:
            text = fmt_money(value) if kind == "money" else fmt_percent(value) if kind == "percent" else fmt_number(value)
            key = format(value, "f")
            # The shown text sorts alike unless rounding changed it (tablesort ignores the "%").
            return text, None if key == text or Decimal(text.rstrip("%")) == value else key, text
        if t is int and kind not in ("money", "percent"):
            return str(value), None, str(value)
        if t is Cell:
            html = str(escape(value.html))
            if value.text == BLANK or kind in NUMERIC_KINDS:
                return html, self._explicit_key(value, Markup(html).striptags()), value.text
            return html, None, value.text
        if isinstance(value, Enum) and kind == "text":
            text = _SPACES.sub(" ", str(value.value)).strip()
            return _esc(text), None, text
        html = str(self.render(value))
        shown = self.text(value) if kind != "long" else html
        return html, self._explicit_key(value, shown), None

    def _explicit_key(self, value: object, shown: str) -> str | None:
        """``sort_key`` unless the cell's shown text sorts the same way (``shown``: the text a reader sees)."""
        key = self.sort_key(value)
        if key is None or key == shown:
            return None
        if key == "":
            return None if shown == BLANK else ""
        # tablesort's number sort keeps only "-?0-9." of a cell's text: "1,234.50" and "85.50%" sort as written.
        cleaned = _NOT_NUMBER.sub("", shown)
        if _NUMBER.match(cleaned) and Decimal(cleaned) == Decimal(key):
            return None
        return key


@dataclass
class Cell:
    """A cell whose HTML is already built (a link to another page, a 示例 badge)."""

    html: Markup
    text: str


def link_cell(text: str, href: str) -> Cell:
    # escape() leaves Markup as it is and escapes anything else, as Markup.format would, at a fraction of its cost.
    return Cell(Markup(f'<a href="{escape(href)}">{escape(text)}</a>'), text)


_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_NOT_NUMBER = re.compile(r"[^-?0-9.]")


def _esc(text: str) -> str:
    """markupsafe.escape for a str, without building a Markup per cell (same entities)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if '"' in text:
        text = text.replace('"', "&#34;")
    if "'" in text:
        text = text.replace("'", "&#39;")
    return text
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
    # False keeps the rows out of the search index (Pagefind): long lists whose every record is also shown, and
    # found, on its own project or department page; tables of figures only; repeated tables.
    searchable: bool = True
    # The first column (the year of a 历年对比) stays in view while a wide table scrolls sideways on a phone.
    sticky_first: bool = False
    # Each row's cell texts, noted by ``html`` for ``csv_rows`` (the download) so they are not worked out twice.
    _texts: list[list[str]] | None = field(default=None, init=False, repr=False, compare=False)

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
        # ``html`` keeps the texts it met on its way when the table has a download (the same values as below).
        texts = self._texts if self._texts is not None and len(self._texts) == len(self.rows) else None
        for i, row in enumerate(self.rows):
            cells = texts[i] if texts is not None else [c.text(v) for c, v in zip(self.columns, row, strict=True)]
            out.append(cells + (["是" if i in self.sample_rows else "否"] if samples else []))
        if self.footer is not None:
            cells = [c.text(v) for c, v in zip(self.columns, self.footer, strict=True)]
            out.append(cells + ([""] if samples else []))
        return out

    def csv_text(self) -> str:
        """The table as CSV text (RFC 4180, CRLF): header labels, cell texts with "—" for blanks, no HTML."""
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerows([spreadsheet_text(c) for c in row] for row in self.csv_rows())
        return buf.getvalue()

    def csv_bytes(self) -> bytes:
        """``csv_text`` as UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly."""
        return self.csv_text().encode("utf-8-sig")

    def _row_open(self, i: int) -> str:
        attrs = ""
        if self.row_ids is not None:
            attrs = f' id="{_esc(str(self.row_ids[i]))}"'
        if self.row_attrs is not None:
            for key, value in sorted(self.row_attrs[i].items()):
                attrs += f' data-{_esc(str(key))}="{_esc(str(value))}"'
        return f"<tr{attrs}>"

    def html(self) -> Markup:
        """The table as one raw-HTML block (no blank lines), safe to place in a Markdown page."""
        if not self.rows:
            ignore = "" if self.searchable else " data-pagefind-ignore"
            return Markup(f'<p class="jx-empty" id="{escape(self.anchor)}"{ignore}>{escape(self.empty)}</p>')
        sortable = self.sortable and len(self.rows) > 1
        columns = self.columns
        numeric = [j for j, c in enumerate(columns, start=1) if c.numeric]
        # Beyond the columns jx.css styles, a numeric cell says so itself.
        td = ["<td class=\"jx-num\">" if c.numeric and j > NUM_STYLED_COLUMNS else "<td>"
              for j, c in enumerate(columns, start=1)]
        head = "".join(
            '<th scope="col"{}{}>{}</th>'.format(
                ' class="jx-num"' if c.numeric and j > NUM_STYLED_COLUMNS else "",
                # Numbers sort as numbers, other columns in Chinese collation order: jx-tables.js reads the number
                # columns from the table's data-jx-num (27 bytes a header saved, some 20 a project page); one beyond
                # those says so itself.
                ' data-sort-method="number"' if sortable and c.numeric and j > NUM_STYLED_COLUMNS else "",
                _esc(c.label))
            for j, c in enumerate(columns, start=1)
        )
        body = []
        width = len(columns)
        texts: list[list[str]] | None = [] if self.download else None
        for i, row in enumerate(self.rows):
            if len(row) != width:
                raise ValueError(f"{self.caption}: row {i + 1} has {len(row)} cells for {width} columns")
            parts = [self._row_open(i)]
            row_texts: list[str] = []
            for j, value in enumerate(row):
                col = columns[j]
                content, key, text = col.cell(value)
                if texts is not None:
                    row_texts.append(col.text(value) if text is None else text)
                if j == 0 and i in self.sample_rows:
                    content += " " + str(sample_badge())
                    key = col.sort_key(value)
                    if key is None:
                        key = col.text(value)  # so the badge's text does not take part in sorting
                if key is None or not sortable:
                    parts.append(td[j])
                else:
                    parts.append(f'{td[j][:-1]} data-sort="{_esc(key)}">')
                parts.append(content)
                parts.append("</td>")
            parts.append("</tr>")
            body.append("".join(parts))
            if texts is not None:
                texts.append(row_texts)
        self._texts = texts
        foot = ""
        if self.footer is not None:
            if len(self.footer) != width:
                raise ValueError(f"{self.caption}: the footer has {len(self.footer)} cells for {width} columns")
            foot = "<tfoot><tr>{}</tr></tfoot>".format(
                "".join(f"{td[j]}{str(c.render(v))}</td>" for j, (c, v) in enumerate(zip(columns, self.footer, strict=True))))
        # f-strings with explicit escape(): Markup.format costs about 40 µs a table (18,000 tables on L).
        download = ""
        if self.download:
            # (the link is found as .jx-table-download a: a class of its own would be 19 bytes on every table)
            download = (f'\n<p class="jx-table-download"><a href="{escape(self.download)}" '
                        f'download>{escape(DOWNLOAD_LABEL)}</a></p>')
        num = " ".join(str(j) for j in numeric if j <= NUM_STYLED_COLUMNS)
        attrs = ((" data-jx-sort" if sortable else "") + (f' data-jx-num="{escape(num)}"' if num else "")
                 + ("" if self.searchable else " data-pagefind-ignore")
                 + (" data-jx-sticky" if self.sticky_first else ""))  # (a class would lose the theme's table style)
        rows = "\n".join(body)
        return Markup(f'<div class="jx-table"><table id="{escape(self.anchor)}"{attrs}>\n'
                      f"<caption>{escape(self.caption)}</caption>\n<thead><tr>{head}</tr></thead>\n"
                      f"<tbody>\n{rows}\n</tbody>{foot}\n</table>{download}</div>")
