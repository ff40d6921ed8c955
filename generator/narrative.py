"""The report's prose: paragraphs whose {{…}} name a declared figure or a cited document (DOMAIN.md §1)."""

from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup

from . import checks, schema
from .escape import md_text
from .tables import fmt_money


def narrative(text: str, rep: schema.YearReport, counted: dict[str, int] | None = None) -> Markup:
    """A paragraph with every {{…}} replaced by the figure or document it names; the rest escaped as text."""
    values = checks.placeholder_values(rep, counted)
    out = []
    pos = 0
    for m in checks.PLACEHOLDER.finditer(text):
        if m.start() > pos:
            out.append(md_text(text[pos:m.start()]))
        out.append(_placeholder(values[m.group(1)]))
        pos = m.end()
    out.append(md_text(text[pos:]))
    return Markup("").join(out)


def _placeholder(value: object) -> Markup:
    if isinstance(value, schema.Document):
        cited = f"《{value.title}》" + (f"（{value.number}）" if value.number else "")
        return Markup('<span class="jx-doc">{}</span>').format(md_text(cited))
    if isinstance(value, Decimal):
        return Markup('<span class="jx-fig">{}</span>').format(fmt_money(value))
    return Markup('<span class="jx-fig">{}</span>').format(str(value))
