"""Render the model into Markdown pages under ``generated/``: one typed context per page, Jinja templates.

Every value a template prints goes through ``finalize``: data text is escaped for Markdown and HTML unless a
helper already built it as ``Markup``. Files are written only when their bytes change, so an edit to one record
rewrites only the pages that show it.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from . import checks, dependencies, links, opendata, schema
from .cache import FileCache, ObjectCache
from .escape import html_text, md_text, safe_title
from .exports import Exports
from .lifecycle import DepartmentHistory, ProjectHistory, department_histories, project_histories
from .model import Archive
from .render_entities import (
    department_page,
    departments_index,
    project_page,
    projects_index,
    record_positions,
    trackers_page,
)
from .render_year import list_pages, year_page
from .tables import BLANK, Column, Table, fmt_money, link_cell, plain

GENERATED = "generated"
CN_NUMERALS = "一二三四五六七八九十"


def finalize(value: object) -> object:
    if isinstance(value, Markup):
        return value
    if value is None or value == "":
        return BLANK
    if isinstance(value, bool | int):
        return plain(value)
    if isinstance(value, Decimal | date | Enum):
        return md_text(plain(value))
    return md_text(value)


def cn_ordinal(n: int) -> str:
    return CN_NUMERALS[n - 1] if 1 <= n <= 10 else str(n)


def front_matter(title: str, **extra: object) -> Markup:
    meta = {"title": safe_title(title), **extra}
    lines = ["---", *(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in meta.items()), "---", ""]
    return Markup("\n".join(lines))


@functools.cache
def make_env() -> Environment:
    """One environment per process: templates are compiled once, not on every build (``serve`` rebuilds often)."""
    env = Environment(
        loader=PackageLoader("generator", "templates"),
        autoescape=False,
        finalize=finalize,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cn"] = cn_ordinal
    env.filters["block"] = lambda b: b.html() if isinstance(b, Table) else b
    env.filters["cellfmt"] = lambda v: Markup(BLANK) if v is None or v == "" else html_text(plain(v))
    env.globals["front_matter"] = front_matter
    return env


# --- small page contexts --------------------------------------------------------------------


@dataclass
class YearLink:
    year: int
    title: str
    href: str
    published_on: date | None
    status: str
    errata: int


@dataclass
class HomePage:
    site_name: str
    region: str
    latest: YearLink | None
    years: list[YearLink]
    figures: list[tuple[str, str]]
    entry_points: list[tuple[str, str, str]]


@dataclass
class ArchivePage:
    table: Table
    figures: Table  # the reports' declared figures side by side, year by year
    changes: Table | None  # the newest published year's figures against the year before

    def tables(self) -> list[Table]:
        return [t for t in (self.table, self.figures, self.changes) if t is not None]


@dataclass
class DictionaryFile:
    file: str
    title: str
    table: Table


@dataclass
class DictionaryPage:
    files: list[DictionaryFile]
    rules: Table


@dataclass
class OpenDataPage:
    years: list[tuple[int, bool, list[tuple[str, str, str]]]]  # year, draft, (what the file holds, name, link)


def archive_table(archive: Archive) -> Table:
    """Every year with its status, publication date and corrections: a table like the others (caption, headers)."""
    rows = [[str(y.year), link_cell(y.report.title, links.href(links.ARCHIVE, links.year_page(y.year))),
             str(y.report.status), y.report.published_on,
             link_cell(f"{len(y.report.errata)} 次", links.href(links.ARCHIVE, links.year_page(y.year), "errata"))
             if y.report.errata else "无"]
            for y in archive.years]
    return Table("历年公开的年度报告", [Column("年度"), Column("标题"), Column("状态"), Column("发布日期", "date"),
                                          Column("更正")], rows, download="reports.csv")


def archive_figures(archive: Archive) -> Table:
    """The figures each year's report declares, one row a year: comparing years without opening each report."""
    labels: dict[str, str] = {}
    for y in sorted(archive.years, key=lambda y: y.year):
        for f in y.figures:
            labels.setdefault(f.label, f.unit)
    rows = []
    for y in archive.years:
        values = {f.label: f.value for f in y.figures}
        rows.append([link_cell(archive.year_label(y.year), links.href(links.ARCHIVE, links.year_page(y.year))),
                     *(values.get(label) for label in labels)])
    return Table("历年报告汇总数", [Column("年度"), *(Column(f"{label}（{unit}）", "money" if unit == "万元" else "number")
                                                  for label, unit in labels.items())],
                 rows if labels else [], empty="各年度报告均未申报汇总数。", download="figures-by-year.csv",
                 sticky_first=True)


def archive_changes(archive: Archive) -> Table | None:
    compared = archive.figure_changes()
    if compared is None:
        return None
    current, previous, changes = compared
    return Table(f"{current.year}年与{previous.year}年汇总数对比", [
        Column("项目"), Column("单位"), Column(f"{previous.year}年", "number"), Column(f"{current.year}年", "number"),
        Column("增减", "number"), Column("增减率", "percent")],
        [[c.label, c.unit, c.previous, c.current, c.change, c.rate] for c in changes],
        empty="两个年度的报告没有共同申报的汇总数。", download="figures-change.csv")


def year_links(archive: Archive, from_src: str) -> list[YearLink]:
    return [
        YearLink(y.year, y.report.title, links.md_link(from_src, links.year_page(y.year)), y.report.published_on,
                 str(y.report.status), len(y.report.errata))
        for y in archive.years
    ]


def home_page(archive: Archive) -> HomePage:
    year_list = year_links(archive, links.HOME)
    latest = archive.latest
    latest_link = next((link for link in year_list if latest and link.year == latest.year), None)
    figures = []
    if latest:
        figures = [(f.label, fmt_money(f.value) + f.unit if isinstance(f.value, Decimal) else f"{f.value}{f.unit}")
                   for f in latest.figures]
    entry_points = [
        ("历年公开", links.md_link(links.HOME, links.ARCHIVE), "每年的报告保存在固定地址，附更正说明"),
        ("预算单位", links.md_link(links.HOME, links.DEPARTMENTS), "按单位查看历年目标、监控、评价与整改"),
        ("项目", links.md_link(links.HOME, links.PROJECTS), "一个项目从绩效目标到结果应用的全过程"),
        ("整改与结果应用", links.md_link(links.HOME, links.TRACKERS), "整改进度、逾期情况和对预算的影响"),
        ("开放数据", links.md_link(links.HOME, links.OPEN_DATA), "下载各年度全部数据（CSV、XLSX、JSON）"),
    ]
    return HomePage(archive.settings.site_name, archive.settings.region, latest_link, year_list, figures, entry_points)


def dictionary_page() -> DictionaryPage:
    columns = [Column("字段"), Column("必填"), Column("类型与格式"), Column("说明", "long"), Column("公开")]

    def table_for(model: type[schema.Record], caption: str) -> Table:
        rows = [[r["name"], r["required"], r["type"], r["description"], r["public"]]
                for r in schema.field_rows(model)]
        return Table(caption, columns, rows, download=f"fields-{model.__name__.lower()}.csv")

    files = [
        DictionaryFile("data/settings.yaml", schema.SiteSettings.TITLE, table_for(schema.SiteSettings, "站点设置字段")),
        DictionaryFile("data/<年度>/report.yaml", schema.YearReport.TITLE, table_for(schema.YearReport, "年度报告字段")),
    ]
    for sub, caption in ((schema.DeclaredFigures, "汇总数"), (schema.Document, "引用文件"),
                         (schema.Item, "存在的问题 / 下一步工作打算"), (schema.Erratum, "更正说明"),
                         (schema.GradeBand, "等级划分"), (schema.QualitativeBand, "定性评分"),
                         (schema.YearRules, "年度口径")):
        files.append(DictionaryFile(f"（{caption}的每一项）", caption, table_for(sub, f"{caption}字段")))
    for model in schema.TABLES:
        files.append(DictionaryFile(f"data/<年度>/{model.FILE}", model.TITLE, table_for(model, f"{model.TITLE}字段")))
    rules = Table("校验规则", [Column("错误代码"), Column("规则", "long"), Column("依据", "long")],
                  [[r.code, r.description, r.source] for r in checks.RULES], download="rules.csv")
    return DictionaryPage(files, rules)


# --- writing --------------------------------------------------------------------------------


class Writer:
    """Writes pages and files as they are produced, only those whose bytes change (others keep their mtime), and at
    ``commit`` removes what is no longer produced. Pages are rendered only after all data passed validation; when
    building, ``out`` is a staging folder swapped in at the end (pipeline.build).

    Files are produced in groups (a year, a project page with its downloads …). With a ``manifest`` (see
    generator/dependencies.py), a group whose key is the one recorded by the last build, and whose files are still
    as that build left them, is kept as it is without being rendered again."""

    def __init__(self, out: Path, manifest: Path | None = None):
        self.out = out
        self.files: set[str] = set()
        self.written: list[Path] = []
        self._dirs: set[Path] = set()
        self.manifest = manifest
        self._previous = _read_manifest(manifest)
        self._groups: dict[str, dict] = {}  # group → {"key": …, "files": {rel: [size, mtime_ns]}}
        self._group: str | None = None
        self.kept: set[str] = set()

    def text(self, rel: str, text: str) -> None:
        self.raw(rel, _tidy(text).encode("utf-8"))

    def raw(self, rel: str, data: bytes) -> None:
        self._write(rel, data)
        if self._group is not None:
            self._groups[self._group]["files"][rel] = None

    def _write(self, rel: str, data: bytes) -> None:
        self.files.add(rel)
        path = self.out / rel
        try:
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                return
            exists = True
        except OSError:
            exists = False  # not there yet
        if path.parent not in self._dirs:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(path.parent)
        if exists:
            # A new file takes the old one's name: the site that MkDocs built from these files links to them
            # (DisclosurePlugin), and must keep its bytes until it is built again.
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        else:
            path.write_bytes(data)
        self.written.append(path)

    def reuse(self, group: str, key: str | None, years: set[int] | None = None) -> list[str] | None:
        """Keep the files of ``group`` when its key is unchanged and they are intact; returns them, or None when the
        group must be rendered (then its files are produced after this call, until the next ``reuse``). ``years``:
        the years whose data the group shows, noted for ``keep_untouched``."""
        self._group = None
        if self.manifest is None or key is None:
            return None
        if self.unchanged(group, key):
            entry = self._previous[group]
            self._groups[group] = entry if years is None else {**entry, "years": sorted(years)}
            self.kept.update(entry["files"])
            return list(entry["files"])
        self._groups[group] = {"key": key, "files": {}} | ({"years": sorted(years)} if years is not None else {})
        self._group = group
        return None

    def keep_untouched(self, group: str, years: set[int], fresh: set[int]) -> bool:
        """Keep ``group`` as the last build left it, without working out its key, when none of the years its pages
        show now, nor those they showed then, is among the ``fresh`` ones (years whose data files or the site key
        changed): all its inputs are as they were. False when that is not known (then ``reuse``)."""
        self._group = None
        entry = self._previous.get(group) if self.manifest is not None else None
        if not years or entry is None or "years" not in entry or (years | set(entry["years"])) & fresh:
            return False
        if not self._intact(entry["files"]):
            return False
        self._groups[group] = entry
        self.kept.update(entry["files"])
        return True

    def unchanged(self, group: str, key: str | None) -> bool:
        """Whether ``group`` was built from the same inputs by the last build and its files are as it left them."""
        if self.manifest is None or key is None:
            return False
        entry = self._previous.get(group)
        return entry is not None and entry["key"] == key and self._intact(entry["files"])

    def raw_in(self, group: str, rel: str, data: bytes) -> None:
        """A file of ``group`` produced after other groups were (the open-data bundles come last)."""
        self._write(rel, data)
        if group in self._groups:
            self._groups[group]["files"][rel] = None

    def ungrouped(self) -> None:
        """Files produced from here on belong to no group (always rendered)."""
        self._group = None

    def _intact(self, files: dict[str, list[int]]) -> bool:
        out = str(self.out)  # (plain strings: this runs for some 20,000 files on a ten-year archive)
        for rel, (size, mtime) in files.items():
            try:
                st = os.stat(os.path.join(out, rel))
            except OSError:
                return False
            if st.st_size != size or st.st_mtime_ns != mtime:
                return False
        return True

    def commit(self) -> list[Path]:
        self.out.mkdir(parents=True, exist_ok=True)
        keep = self.files | self.kept
        for folder, _dirs, names in os.walk(self.out, topdown=False):
            rel_dir = os.path.relpath(folder, self.out)
            prefix = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
            kept_here = False
            for name in names:
                if prefix + name not in keep:
                    os.unlink(os.path.join(folder, name))
                else:
                    kept_here = True
            if folder != str(self.out) and not kept_here and not os.listdir(folder):
                os.rmdir(folder)
        self._write_manifest()
        return sorted(set(self.written))

    def _write_manifest(self) -> None:
        if self.manifest is None:
            return
        for entry in self._groups.values():
            for rel, seen in entry["files"].items():
                if seen is None:
                    st = (self.out / rel).stat()
                    entry["files"][rel] = [st.st_size, st.st_mtime_ns]
        try:
            self.manifest.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.manifest.with_name(self.manifest.name + ".tmp")
            tmp.write_text(json.dumps(self._groups, ensure_ascii=False, sort_keys=True), encoding="utf-8")
            tmp.replace(self.manifest)
        except OSError:
            pass  # without a record the next build renders every page, as a first build does


def _read_manifest(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_table_downloads(w: Writer, src: str, tables: list[Table]) -> None:
    """Every table that offers a download gets its CSV written next to its page."""
    base = links.url_of(src)
    for t in tables:
        if getattr(t, "download", None) and t.rows:
            w.raw(base + t.download, ("\ufeff" + t.csv_text()).encode("utf-8"))


def render_site(archive: Archive, out: Path, *, bundles: Exports | None = None,
                year_keys: dict[int, str] | None = None, site_key: str | None = None,
                manifest: Path | None = None, key_cache: ObjectCache | None = None) -> list[Path]:
    """Write every generated page under ``out`` (the ``generated`` folder); returns the files (re)written.

    ``year_keys`` identify each year's inputs; ``bundles`` makes the open-data bundles (reused from its cache when
    their key was seen before; some perhaps begun already, see pipeline). With ``site_key`` and a ``manifest``, pages
    whose inputs did not change since the last build into ``out`` are kept without being rendered
    (generator/dependencies.py); ``key_cache`` keeps parts of their keys that depend on one year's data alone."""
    if bundles is None:
        with Exports(FileCache(None)) as own:
            return render_site(archive, out, bundles=own, year_keys=year_keys, site_key=site_key, manifest=manifest,
                               key_cache=key_cache)
    year_keys = year_keys or {}
    if site_key is None:
        manifest = None
    env = make_env()
    w = Writer(out, manifest)
    w.text(links.HOME, env.get_template("home.md.j2").render(page=home_page(archive)))
    archive_page = ArchivePage(archive_table(archive), archive_figures(archive), archive_changes(archive))
    w.text(links.ARCHIVE, env.get_template("archive.md.j2").render(page=archive_page))
    _write_table_downloads(w, links.ARCHIVE, archive_page.tables())
    dictionary = dictionary_page()
    w.text(links.DICTIONARY, env.get_template("dictionary.md.j2").render(page=dictionary))
    _write_table_downloads(w, links.DICTIONARY, [f.table for f in dictionary.files] + [dictionary.rules])

    # Years whose inputs are as at the last build keep their files; the others are rendered, their open-data
    # bundles made meanwhile in a worker process (generator/exports.py) and added at the end.
    page_keys = {y.year: key for y in archive.years
                 if (key := dependencies.year_pages_key(year_keys.get(y.year), y.other_names)) is not None}
    groups = {y.year: (f"year/{y.year}", dependencies.combine("year", site_key, page_keys.get(y.year)))
              for y in archive.years}
    departments = department_histories(archive)
    fresh = [y for y in archive.years if not w.unchanged(*groups[y.year])]
    fresh_years = {y.year for y in fresh}
    bundles.start(fresh, year_keys)
    for y in fresh:
        w.reuse(*groups[y.year])  # not reused: opens the group for the files below
        # Every bundle has at least datapackage.json and SHA256SUMS, so the year page always links to it.
        page = year_page(archive, y)
        w.text(page.src, env.get_template("year.md.j2").render(page=page))
        _write_table_downloads(w, page.src, page.tables())
        for lp in list_pages(archive, y, departments):
            w.text(lp.src, env.get_template("list.md.j2").render(page=lp))
            _write_table_downloads(w, lp.src, lp.tables())
    w.ungrouped()
    projects = _render_entities(archive, env, w, site_key, departments, fresh_years, page_keys, key_cache)
    made = bundles.collect()
    open_data = []
    for y in archive.years:
        data_dir = links.year_data_dir(y.year)
        kept = w.reuse(*groups[y.year]) if y.year not in fresh_years else None
        if kept is not None:
            names = sorted(rel[len(data_dir) + 1:] for rel in kept if rel.startswith(data_dir + "/"))
        else:
            exported = made[y.year]
            for name, data in exported.items():
                w.raw_in(groups[y.year][0], f"{data_dir}/{name}", data)
            names = list(exported)
        open_data.append((y.year, not y.published,
                          [(text, name, links.md_link(links.OPEN_DATA, f"{data_dir}/{name}"))
                           for text, name in opendata.describe_files(y.year, names)]))
    w.ungrouped()
    w.text(links.OPEN_DATA, env.get_template("open_data.md.j2").render(page=OpenDataPage(open_data)))
    w.text("nav.json", json.dumps(navigation(archive), ensure_ascii=False, indent=1))
    w.text("site.json", json.dumps(site_info(archive, unlisted_pages(archive, departments, projects)),
                                   ensure_ascii=False, indent=1, sort_keys=True))
    return w.commit()


def _render_entities(archive: Archive, env: Environment, w: Writer, site_key: str | None,
                     departments: dict[str, DepartmentHistory], fresh_years: set[int], page_keys: dict[int, str],
                     key_cache: ObjectCache | None) -> dict[str, ProjectHistory]:
    """Department and project pages, with their indexes and the trackers. ``fresh_years``: the years whose data
    files or the site key changed since the last build (all of them on a first build)."""
    by_year = {y.year: y for y in archive.years}
    # Each unit's address by any name it had (departments are keyed by address: a renamed unit is one page).
    dept_slugs = {name: slug for y in sorted(archive.years, key=lambda y: y.year) for name, slug in y.dept_slugs.items()}
    keys = dependencies.department_keys(site_key, departments, page_keys, key_cache) if site_key else {}
    for key, d in departments.items():
        if w.reuse(f"department/{key}", keys.get(key)) is not None:
            continue
        page = department_page(archive, d, by_year)
        w.text(page.src, env.get_template("department.md.j2").render(page=page))
        _write_table_downloads(w, page.src, page.tables())
    w.ungrouped()
    index = departments_index(archive, departments)
    w.text(index.src, env.get_template("index_page.md.j2").render(page=index))
    _write_table_downloads(w, index.src, index.tables())

    projects = project_histories(archive)
    positions = record_positions(archive)
    for h in projects.values():
        group, years = f"project/{h.code}", dependencies.project_years(h)
        if site_key and w.keep_untouched(group, years, fresh_years):
            continue
        if w.reuse(group, site_key and dependencies.project_key(site_key, h, positions), years) is not None:
            continue
        page = project_page(archive, h, positions, dept_slugs)
        w.text(page.src, env.get_template("project.md.j2").render(page=page))
        _write_table_downloads(w, page.src, page.tables())
    w.ungrouped()
    for index in (projects_index(archive, projects), trackers_page(archive)):
        w.text(index.src, env.get_template("index_page.md.j2").render(page=index))
        _write_table_downloads(w, index.src, index.tables())
    return projects


def navigation(archive: Archive) -> list:
    """A constant-size navigation: years and index pages only; record pages are reached through them."""
    g = GENERATED
    return [
        {"首页": f"{g}/{links.HOME}"},
        {"历年公开": [{"历年公开一览": f"{g}/{links.ARCHIVE}"},
                      *({f"{y.year}年度" + ("（草稿）" if not y.published else ""): f"{g}/{links.year_page(y.year)}"}
                        for y in archive.years)]},
        {"预算单位": f"{g}/{links.DEPARTMENTS}"},
        {"项目": f"{g}/{links.PROJECTS}"},
        {"整改与结果应用": f"{g}/{links.TRACKERS}"},
        {"开放数据": f"{g}/{links.OPEN_DATA}"},
        {"数据说明": f"{g}/{links.DICTIONARY}"},
        {"工作指南": [{"工作指南": "guide/index.md"}, {"填写模板": "guide/templates.md"},
                      {"校验与读懂错误": "guide/validate.md"}, {"预览": "guide/preview.md"},
                      {"发布年度": "guide/publish.md"}, {"更正已发布数据": "guide/errata.md"},
                      {"部署与发布": "guide/deploy.md"}]},
        {"关于本站": "about.md"},
    ]


def unlisted_pages(archive: Archive, departments: dict[str, DepartmentHistory],
                   projects: dict[str, ProjectHistory]) -> dict[str, list[str]]:
    """Addresses kept out of the sitemap: what only draft years (草稿) show. A draft is on the site for review, not
    offered to search engines as published. (Given as a list, not as marks on pages: the preview rebuilds only
    some pages, and the sitemap must come out as in a full build.)"""
    drafts = {y.year for y in archive.years if not y.published}
    if not drafts:
        return {}
    # A draft year's pages are "<year>/…" and "departments/<unit>/<year>/"; units and projects only drafts show
    # are listed by address.
    urls = [links.department_page(d.slug)[:-3] + "/" for d in departments.values()
            if d.slug and all(dy.year in drafts for dy in d.years)]
    published = {p.code for y in archive.years if y.published for p in y.projects}
    urls += [links.project_page(h.slug)[:-3] + "/" for h in projects.values() if h.code not in published]
    return {"years": [str(y) for y in sorted(drafts)], "pages": sorted(urls)}


def site_info(archive: Archive, unlisted: dict[str, list[str]] | None = None) -> dict:
    """Site-wide facts the theme shows on every page (footer); read by the MkDocs plugin into config.extra."""
    s = archive.settings
    # The footer required of government sites (政府网站发展指引): label, text, and for the 党政机关网站标识 the
    # address it links to and the image it shows (overrides/partials/copyright.html).
    mark = ["党政机关网站标识", "认证信息" if s.gov_mark_url else BLANK, s.gov_mark_url, s.gov_mark_image]
    url = s.site_url and (s.site_url if s.site_url.endswith("/") else s.site_url + "/")
    return {
        "site_name": s.site_name,
        "site_url": url,
        "unlisted": unlisted or {},  # overrides/sitemap.xml
        "gov_mark_image": s.gov_mark_image,  # checked by the plugin: a file of the site
        "footer": [*([label, value or BLANK, None, None] for label, value in (
                       ("主办单位", s.host_org), ("联系方式", s.contact), ("网站标识码", s.site_code),
                       ("ICP备案号", s.icp), ("公安机关备案号", s.police_record))), mark],
    }


_BLANK_RUNS = re.compile(r"\n{3,}")


def _tidy(text: str) -> str:
    return _BLANK_RUNS.sub("\n\n", text).rstrip("\n") + "\n"

