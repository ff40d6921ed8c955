"""Escaping for each place data text lands: Markdown prose and headings, HTML cells and attributes, links.

Templates never see raw data strings: the Jinja environment's ``finalize`` passes every value through
``md_text`` unless it is already ``Markup`` built by one of the helpers here.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from markupsafe import Markup, escape

# Characters Python-Markdown (and our extensions: tables, attr_list, admonition, toc) give meaning to.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>])")
_SPACES = re.compile(r"\s+")


def md_text(value: object) -> Markup:
    """Text for Markdown prose or a heading: one line, no markup, no raw HTML."""
    text = _SPACES.sub(" ", str(value)).strip()
    html_safe = str(escape(text))  # & < > " ' become entities, so no tag or entity can be formed
    return Markup(_MD_SPECIAL.sub(r"\\\1", html_safe))


def html_text(value: object) -> Markup:
    """Text inside raw HTML (table cells, attributes): entities only, Markdown does not run there."""
    return escape(_SPACES.sub(" ", str(value)).strip())


def html_multiline(value: object) -> Markup:
    """Text with line breaks kept, for long cells such as findings."""
    lines = [escape(line.strip()) for line in str(value).splitlines() if line.strip()]
    return Markup("<br>").join(lines)


_ALLOWED_SCHEMES = {"http", "https", ""}


def safe_url(url: str) -> str | None:
    """A URL fit for href: http(s) or site-relative; anything else (javascript:, data:) is refused."""
    url = url.strip()
    if any(ch in url for ch in "\x00\r\n\t<>\"'` "):
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in _ALLOWED_SCHEMES:
        return None
    if not parts.scheme and (url.startswith("//") or ":" in url.split("/", 1)[0]):
        return None
    return quote(url, safe="/:?#[]@!$&'()*+,;=%-._~")


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)%?$")


def spreadsheet_text(text: str) -> str:
    """A CSV cell that Excel or WPS will not run as a formula: text starting with = + - @ gets a leading '
    (OWASP's advice for CSV injection); numbers such as -5 or +3.5% stay as they are."""
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


_TITLE_UNSAFE = str.maketrans({"<": "＜", ">": "＞", "&": "＆", '"': "＂", "'": "＇", "`": "｀"})


def safe_title(value: object) -> str:
    """A page title: MkDocs puts titles into <title> and the nav without escaping, so no HTML characters."""
    return _SPACES.sub(" ", str(value)).strip().translate(_TITLE_UNSAFE)
