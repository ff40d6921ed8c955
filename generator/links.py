"""Where each generated page lives and how pages link to each other.

Links inside raw HTML (tables, charts) are not rewritten by MkDocs, so they are computed here as final
relative URLs, mirroring MkDocs' ``use_directory_urls`` layout (``a/b.md`` is served at ``a/b/``).
"""

from __future__ import annotations

import posixpath


def url_of(src: str) -> str:
    """Site-relative directory URL of a generated Markdown source path ('2023/index.md' -> '2023/')."""
    stem = src[:-3] if src.endswith(".md") else src
    if stem == "index":
        return ""
    if stem.endswith("/index"):
        return stem[: -len("index")]
    return stem + "/"


def href(from_src: str, to_src: str, anchor: str | None = None) -> str:
    """Relative URL from one generated page to another (or to a file such as a download)."""
    base = url_of(from_src) or "."
    target = url_of(to_src) if to_src.endswith(".md") else to_src
    rel = _relative(target.rstrip("/"), base.rstrip("/"))
    if to_src.endswith(".md"):
        rel = "./" if rel == "." else rel + "/"
    return rel + (f"#{anchor}" if anchor else "")


def md_link(from_src: str, to_src: str) -> str:
    """Relative Markdown link target (MkDocs validates and rewrites these)."""
    return _relative(to_src, posixpath.dirname(from_src))


def _relative(target: str, base: str) -> str:
    """``posixpath.relpath`` for the clean relative paths used here (no "." or ".." parts), without its
    normalising: thousands of links a build made it a noticeable cost."""
    t = target.split("/") if target not in ("", ".") else []
    b = base.split("/") if base not in ("", ".") else []
    common = 0
    while common < len(t) and common < len(b) and t[common] == b[common]:
        common += 1
    return "/".join([".."] * (len(b) - common) + t[common:]) or "."


# Page source paths (relative to the generated/ folder).
HOME = "index.md"
ARCHIVE = "archive.md"
DICTIONARY = "data-dictionary.md"
DEPARTMENTS = "departments/index.md"
PROJECTS = "projects/index.md"
TRACKERS = "trackers/index.md"
OPEN_DATA = "open-data.md"


def year_page(year: int) -> str:
    return f"{year}/index.md"


def year_section(year: int, section: str, page: int = 1) -> str:
    return f"{year}/{section}/index.md" if page == 1 else f"{year}/{section}/{page}.md"


def department_page(slug: str) -> str:
    return f"departments/{slug}.md"


def project_page(slug: str) -> str:
    return f"projects/{slug}.md"


def year_data_dir(year: int) -> str:
    return f"{year}/data"
