"""What a built site contains, read straight from its HTML files: pages, ids, links, headings.

The browser tests find a department, a project or a tracker by what a reader sees (a link whose text is a
department's name, leading to a page whose title is that name), so they keep working whatever addresses the
generator chooses. One pass with the standard library's parser keeps this fast on sites of a thousand pages.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cached_property
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

# Where links may point without being part of the site: other schemes never reach the server.
FOREIGN_SCHEMES = ("mailto:", "tel:", "javascript:", "data:", "blob:")
# The attributes that make the browser fetch or navigate; srcset is split separately.
URL_ATTRIBUTES = {"a": "href", "link": "href", "script": "src", "img": "src", "source": "src", "iframe": "src",
                  "audio": "src", "video": "src", "object": "data", "form": "action", "area": "href"}
DOWNLOAD_SUFFIXES = (".csv", ".xlsx", ".json", ".zip", ".txt", ".sha256")
BASE = "http://site.invalid"


@dataclass
class Link:
    tag: str
    url: str  # as written in the HTML
    text: str  # visible text of an <a>, whitespace squeezed


@dataclass
class Page:
    path: str  # site path as a reader's address bar shows it: "/", "/2023/", "/404.html"
    ids: set[str] = field(default_factory=set)
    links: list[Link] = field(default_factory=list)
    h1: str = ""


class _PageParser(HTMLParser):
    def __init__(self, page: Page):
        super().__init__(convert_charrefs=True)
        self.page = page
        self._anchor: tuple[str, list[str]] | None = None
        self._h1: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in ("id", "name") if tag == "a" else ("id",):
            if attributes.get(name):
                self.page.ids.add(attributes[name])
        attribute = URL_ATTRIBUTES.get(tag)
        if attribute and attributes.get(attribute) is not None:
            if tag == "a":
                self._anchor = (attributes[attribute], [])
            else:
                self.page.links.append(Link(tag, attributes[attribute], ""))
        for candidate in (attributes.get("srcset") or "").split(","):
            if candidate.strip():
                self.page.links.append(Link(tag, candidate.split()[0], ""))
        if tag == "h1":
            self._h1 = []

    def handle_endtag(self, tag):
        if tag == "a" and self._anchor is not None:
            url, parts = self._anchor
            self.page.links.append(Link("a", url, " ".join("".join(parts).split())))
            self._anchor = None
        if tag == "h1" and self._h1 is not None:
            if not self.page.h1:
                self.page.h1 = " ".join("".join(self._h1).split())
            self._h1 = None

    def handle_data(self, data):
        if self._anchor is not None:
            self._anchor[1].append(data)
        if self._h1 is not None:
            self._h1.append(data)


def page_path(root: Path, file: Path) -> str:
    rel = file.relative_to(root).as_posix()
    if rel == "index.html":
        return "/"
    if rel.endswith("/index.html"):
        return "/" + rel[: -len("index.html")]
    return "/" + rel


def is_internal(url: str) -> bool:
    """A relative or root-relative address: one the site itself must be able to answer."""
    if url.startswith(FOREIGN_SCHEMES) or url.startswith("//"):
        return False
    return not urlsplit(url).scheme


class SiteIndex:
    """Every HTML page of a built site, parsed once."""

    def __init__(self, root: Path):
        self.root = root
        self.pages: dict[str, Page] = {}
        for file in sorted(root.rglob("*.html")):
            page = Page(page_path(root, file))
            _PageParser(page).feed(file.read_text(encoding="utf-8"))
            self.pages[page.path] = page

    def resolve(self, source: str, url: str) -> tuple[str, str]:
        """The site path and fragment a link on page ``source`` leads to."""
        absolute, fragment = urldefrag(urljoin(BASE + source, url))
        return unquote(urlsplit(absolute).path), unquote(fragment)

    def file_for(self, path: str) -> Path | None:
        """The file the web server answers ``path`` with, as a static host does (directory -> index.html)."""
        target = self.root / PurePosixPath(path.lstrip("/"))
        if path.endswith("/") or target.is_dir():
            target = target / "index.html"
        return target if target.is_file() else None

    def page_for(self, path: str) -> Page | None:
        file = self.file_for(path)
        return self.pages.get(page_path(self.root, file)) if file and file.suffix == ".html" else None

    def broken_links(self) -> list[str]:
        """Every internal link whose file, or whose #fragment within the file, does not exist."""
        broken = []
        for page in self.pages.values():
            for link in page.links:
                if not is_internal(link.url) or link.url.strip() in ("", "#"):
                    continue
                path, fragment = self.resolve(page.path, link.url)
                file = self.file_for(path)
                if file is None:
                    broken.append(f"{page.path}: <{link.tag}> {link.url} -> 文件不存在 {path}")
                    continue
                if fragment and file.suffix == ".html":
                    target = self.page_for(path)
                    if target is None or fragment not in target.ids:
                        broken.append(f"{page.path}: <{link.tag}> {link.url} -> {path} 中没有锚点 #{fragment}")
        return broken

    def linked_page(self, text: str) -> str | None:
        """The page a link reading exactly ``text`` leads to, when that page is titled with ``text``."""
        for page in self.pages.values():
            for link in page.links:
                if link.tag != "a" or link.text != text or not is_internal(link.url):
                    continue
                path, _ = self.resolve(page.path, link.url)
                target = self.page_for(path)
                if target is not None and target.path != page.path and text in target.h1:
                    return target.path
        return None

    def page_titled(self, *words: str) -> str | None:
        """The page nearest the root (then first in address order) whose <h1> contains all ``words``."""
        found = [page.path for page in self.pages.values() if page.h1 and all(word in page.h1 for word in words)]
        return min(found, key=lambda path: (path.rstrip("/").count("/"), path), default=None)

    def downloads(self) -> list[str]:
        """Site paths of data files offered by a link on some page."""
        found = set()
        for page in self.pages.values():
            for link in page.links:
                if link.tag == "a" and is_internal(link.url):
                    path, _ = self.resolve(page.path, link.url)
                    if path.lower().endswith(DOWNLOAD_SUFFIXES) and self.file_for(path):
                        found.add(path)
        return sorted(found)


@dataclass
class ExampleData:
    """Names a reader would search for, read from an example's data files (the CSV headers are the contract)."""

    data_dir: Path

    @cached_property
    def years(self) -> list[str]:
        return sorted(p.name for p in self.data_dir.iterdir() if p.is_dir() and p.name.isdigit())

    def column(self, file_name: str, column: str) -> list[str]:
        """Distinct public values of ``column`` over all years, in file order."""
        values: dict[str, None] = {}
        for year in self.years:
            path = self.data_dir / year / file_name
            if not path.exists():
                continue
            with path.open(encoding="utf-8-sig", newline="") as handle:
                for row in csv.DictReader(handle):
                    value = (row.get(column) or "").strip()
                    if value and (row.get("公开") or "是").strip() != "否":
                        values[value] = None
        return list(values)

    @cached_property
    def departments(self) -> list[str]:
        return self.column("departments.csv", "单位名称")

    @cached_property
    def projects(self) -> list[str]:
        return self.column("projects.csv", "项目名称") or self.column("exante.csv", "项目名称")
