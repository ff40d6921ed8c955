"""MkDocs plugin: publishes generated pages at stable addresses and takes the navigation the generator wrote.

Generated pages live in ``content/generated/`` so a reader of the repository sees which files a person edits;
on the site they appear at the root (``generated/2023/index.md`` is served at ``/2023/``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
from pathlib import Path

from mkdocs.config.base import Config
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure.files import File, InclusionLevel
from pymdownx.slugs import slugify

from . import search
from .escape import safe_title
from .render import GENERATED

# Generated tables, charts and project lifecycles are finished HTML (escaped when built). Python-Markdown would only
# pass them through, but parsing thousands of rows costs more than the rest of the page; they are set aside before
# Markdown runs and put back after, unchanged (the built pages are byte-identical either way).
_RAW_BLOCK = re.compile(
    r'<div class="jx-table">.*?</table>(?:\n<p class="jx-table-download">.*?</p>)?</div>'
    r'|<figure class="jx-chart".*?</figure>'
    r'|<ol class="jx-lifecycle">.*?</ol>',
    re.DOTALL,
)


# Page weight (issue 6): Material's templates indent every line of the page chrome (header, navigation, footer),
# about a third of its bytes. Outside <article> (the page's own content, left byte-identical) runs of line breaks
# and indentation become one line break, which a browser renders exactly as before; <pre>, <textarea> and
# <script> keep their text. Only ASCII blanks are touched, never a full-width space in a title.
_CHROME_INDENT = re.compile(r"\n[ \t\r\n]+")
_KEEP_AS_IS = re.compile(r"(<(?:pre|textarea|script)\b.*?</(?:pre|textarea|script)>)", re.DOTALL)


def squeeze_chrome(html: str) -> str:
    """The page with the theme's indentation removed before ``<article`` and after ``</article>``."""
    start = html.find("<article")
    end = html.rfind("</article>")
    if start < 0 or end < start:
        return html
    return _squeeze(html[:start]) + html[start:end] + _squeeze(html[end:])


def _squeeze(chrome: str) -> str:
    parts = _KEEP_AS_IS.split(chrome)
    parts[::2] = [_CHROME_INDENT.sub("\n", part) for part in parts[::2]]
    return "".join(parts)


class DisclosureConfig(Config):
    """No options: the generated pages' folder is fixed (render.GENERATED), the pipeline writes it too."""


log = logging.getLogger("mkdocs.plugins.disclosure")
# Outside MkDocs' loggers: what it logs there counts as an error under strict: true and stops the build, and then
# MkDocs' preview server holds every request until the data are fixed. Bad data found while previewing is told here
# and the last good pages stay in place and keep being served (content/guide/preview.md).
PREVIEW_LOGGER = "jxgk.preview"  # (pipeline.show_mkdocs_log prints it too)
preview_log = logging.getLogger(PREVIEW_LOGGER)


def _data_stamp(data_dir: Path) -> tuple:
    return tuple(sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in data_dir.rglob("*") if p.is_file()))


# Build time (issue 6): Material renders the whole navigation into every page, about a quarter of MkDocs' time on a
# ten-year archive. Project and department pages are not in the navigation, so nothing in it is marked active on
# them, and its HTML then depends only on where each of its links points from the page. Pages outside the navigation
# whose links all resolve alike (and the same base URL) get the same HTML: it is rendered for the first of them and
# reused for the others, byte for byte (tests/test_page_weight.py builds a site both ways and compares every page).
NAV_TEMPLATE = "partials/nav.html"


def cache_nav_outside_it(env) -> None:
    """Make ``partials/nav.html`` render once per set of resolved links for pages that are not in the navigation."""
    template = env.get_template(NAV_TEMPLATE)
    render = template.root_render_func
    if getattr(render, "jx_cached", False):
        return
    rendered: dict[tuple, str] = {}

    def root_render_func(context):
        key = _nav_key(context)
        if key is None:
            yield from render(context)
            return
        html = rendered.get(key)
        if html is None:
            html = rendered[key] = "".join(render(context))
        yield html

    root_render_func.jx_cached = True
    template.root_render_func = root_render_func


_NAV_URLS: dict[int, tuple] = {}  # id(nav) -> (ids of its pages, every URL it links to, the nav)


def _nav_key(context) -> tuple | None:
    from mkdocs.utils import normalize_url

    page, nav, config = context.get("page"), context.get("nav"), context.get("config")
    if page is None or nav is None or config is None or getattr(page, "url", None) is None:
        return None
    known = _NAV_URLS.get(id(nav))
    if known is None or known[2] is not nav:
        urls: list[str] = []

        def walk(items):
            for item in items:
                if getattr(item, "url", None) is not None:
                    urls.append(item.url)
                walk(getattr(item, "children", None) or [])

        walk(nav.items)
        if nav.homepage is not None:
            urls.append(nav.homepage.url)
        _NAV_URLS.clear()  # one build's navigation at a time (serve builds again and again)
        known = _NAV_URLS[id(nav)] = ({id(p) for p in nav.pages}, urls, nav)
    if id(page) in known[0] or getattr(page, "parent", None) is not None:
        return None  # in the navigation: its item and sections are marked active
    extra = [config.extra.get("homepage") or "", config.theme.get("logo") or ""]
    base = context.get("base_url", "")
    return (base, *(normalize_url(str(u), page=page, base=base) for u in (*known[1], *extra) if u))


class LinkedFile(File):
    """A generated download (a table's CSV, a year's open data) put into the site as a second name of the generated
    file, not a copy: a ten-year archive has about 20,000 of them, 150 MB. Nothing writes into these files: the
    generator replaces a file it changes by a new one (render.Writer), so the site keeps what it was built from.
    Where a link cannot be made (another file system), the file is copied as MkDocs does."""

    def copy_file(self, dirty: bool = False) -> None:
        if dirty and not self.is_modified():
            return
        dest = self.abs_dest_path
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        try:
            os.unlink(dest)  # (a preview builds into the same folder again; a link is never written through)
        except FileNotFoundError:
            pass
        try:
            os.link(self.abs_src_path, dest)
        except OSError:
            super().copy_file(dirty=False)


def _nav_files(items) -> list[str]:
    """The page files a ``nav`` setting names (its entries are paths, or titles mapped to a path or a list)."""
    out: list[str] = []
    for item in items if isinstance(items, list) else [items]:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            for value in item.values():
                out.extend(_nav_files(value))
    return out


def _preview_fingerprint(config) -> str:
    """What every page of a preview is built from besides its own file: the configuration (with the navigation
    and the site settings read from nav.json and site.json) and the theme's overrides."""
    parts: list[str | bytes] = [
        json.dumps(config.nav, ensure_ascii=False, sort_keys=True, default=str),
        json.dumps(dict(config.extra), ensure_ascii=False, sort_keys=True, default=str),
        str(config.site_name), str(config.site_url),
    ]
    if config.config_file_path:
        try:
            parts.append(Path(config.config_file_path).read_bytes())
        except OSError:
            parts.append("")
    custom = config.theme.custom_dir
    if custom and os.path.isdir(custom):
        for path in sorted(Path(custom).rglob("*")):
            if path.is_file():
                st = path.stat()
                parts.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
    digest = hashlib.sha256()
    for part in parts:
        digest.update((part.encode("utf-8") if isinstance(part, str) else part) + b"\0")
    return digest.hexdigest()


def _empty_folder(folder: str) -> None:
    """Remove what a folder holds, not the folder (the preview's server serves from it)."""
    if not os.path.isdir(folder):
        return
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            try:
                os.unlink(entry.path)
            except OSError:
                pass


class DisclosurePlugin(BasePlugin[DisclosureConfig]):
    _stamp: tuple | None = None

    def __init__(self):
        super().__init__()
        self._raw: dict[str, list[str]] = {}
        # Preview (``serve``, whose builds after the first are dirty: MkDocs builds again only the pages whose file
        # is newer than its output, and the generator leaves unchanged files as they were). The preview's folder,
        # what its last build was made from (``_preview_fingerprint``) and where each file went; None until the
        # first build. Builds into any other folder meanwhile are not the preview's and are left alone.
        self._serving = False  # MkDocs' serve: its server's address stands, not the published one
        self._preview = False
        self._previewed: tuple[str, str, dict[str, str]] | None = None

    def on_startup(self, *, command, dirty):
        self._serving = command == "serve"
        self._preview = command == "serve" and dirty
        self._previewed = None

    def on_shutdown(self):
        # MkDocs keeps one instance of a plugin for the life of the process: a later build must not act as a preview.
        self._serving = self._preview = False
        self._previewed = None

    def _keep_preview_whole(self, files, config) -> None:
        """A dirty build leaves every other page as it was: right when only pages changed, not when what all pages
        share did (navigation, site settings, configuration, theme): then the preview is emptied, and this build
        makes every page again. Pages whose file is gone lose their output, so a preview never shows them."""
        site_dir = os.path.abspath(config.site_dir)
        if self._previewed is not None and self._previewed[0] != site_dir:
            return
        fingerprint = _preview_fingerprint(config)
        outputs = {f.src_uri: f.abs_dest_path for f in files}
        if self._previewed is None or self._previewed[1] != fingerprint:
            _empty_folder(site_dir)
        else:
            for src, dest in self._previewed[2].items():
                if src not in outputs:
                    try:
                        os.unlink(dest)
                    except OSError:
                        pass
        self._previewed = (site_dir, fingerprint, outputs)

    def on_pre_build(self, *, config):
        """While serving, regenerate pages from data/ so an edited CSV shows on the next reload."""
        from .serve import CACHE_ENV, REGENERATE_ENV

        data_dir = os.environ.get(REGENERATE_ENV)
        if not data_dir:
            return
        # Regenerating writes into docs_dir, which MkDocs watches: only do it when data/ really changed.
        stamp = _data_stamp(Path(data_dir))
        if stamp == self._stamp:
            return
        self._stamp = stamp
        from .pipeline import generate
        from .problems import DataError

        try:
            cache_dir = os.environ.get(CACHE_ENV)
            generate(Path(data_dir), Path(config.docs_dir) / GENERATED,
                     Path(cache_dir) if cache_dir else None)
        except DataError as exc:
            preview_log.error("数据有误，预览保留上一次的页面；改正后自动更新：\n%s", exc.report.as_text())

    def on_page_markdown(self, markdown, *, page, config, files):
        blocks: list[str] = []

        def set_aside(match: re.Match) -> str:
            blocks.append(match.group(0))
            return f"<!--jx-raw-{len(blocks) - 1}-->"

        markdown = _RAW_BLOCK.sub(set_aside, markdown)
        self._raw[page.file.src_uri] = blocks
        return markdown

    def on_page_content(self, html, *, page, config, files):
        blocks = self._raw.pop(page.file.src_uri, [])
        if blocks:
            html = re.sub(r"<!--jx-raw-(\d+)-->", lambda m: blocks[int(m.group(1))], html)
        return html

    def on_config(self, config):
        # Headings get their own words as anchors (/2023/#三存在的问题), so a link to a section of a report says
        # which section it is and stays right when other sections are added; Python-Markdown's default keeps only
        # ASCII letters, which turns Chinese headings into _1, _2 … by position.
        toc = config.mdx_configs.setdefault("toc", {})
        toc.setdefault("slugify", slugify(case="lower"))
        generated = Path(config.docs_dir) / GENERATED
        nav_file = generated / "nav.json"
        if nav_file.exists():
            config.nav = json.loads(nav_file.read_text(encoding="utf-8"))
        site_file = generated / "site.json"
        if site_file.exists():
            info = json.loads(site_file.read_text(encoding="utf-8"))
            config.extra["jx"] = info
            # The theme prints the site name into <title>, the header and aria-labels without escaping it: like page
            # titles, it carries no HTML characters (full-width look-alikes instead).
            config.site_name = safe_title(info.get("site_name") or config.site_name)
            # The published address (settings 网站地址): sitemap entries, canonical links, and the 404 page's paths
            # when the site lives in a folder. A preview keeps the address of its own server.
            if info.get("site_url") and not self._serving:
                config.site_url = info["site_url"]
        return config

    def on_post_build(self, *, config):
        """Without an address MkDocs writes a sitemap that lists nothing: it is left out rather than published empty."""
        if not config.site_url:
            for name in ("sitemap.xml", "sitemap.xml.gz"):
                try:
                    os.unlink(os.path.join(config.site_dir, name))
                except FileNotFoundError:
                    pass

    def on_env(self, env, *, config, files):
        cache_nav_outside_it(env)
        # The theme's settings (<script id="__config">, in every page) as UTF-8 rather than \uXXXX escapes: its
        # Chinese messages then take half the bytes. Jinja still escapes < > & ' in it, so it stays safe in HTML.
        env.policies["json.dumps_kwargs"] = {**env.policies.get("json.dumps_kwargs", {}), "ensure_ascii": False}
        return env

    def on_files(self, files, *, config):
        prefix = GENERATED + "/"
        for name in ("nav.json", "site.json"):
            found = files.get_file_from_path(prefix + name)
            if found is not None:
                files.remove(found)
        # Project and department pages are reached from the index pages, not the navigation; said so, MkDocs does
        # not list each of them (thousands of lines on a ten-year archive) on every build and preview.
        in_nav = set(_nav_files(config.nav or []))
        for file in files:
            if file.src_uri.startswith(prefix):
                file.dest_uri = file.dest_uri[len(prefix):]
                for cached in ("url", "abs_dest_path"):
                    file.__dict__.pop(cached, None)
                if file.is_documentation_page():
                    if file.src_uri not in in_nav:
                        file.inclusion = InclusionLevel.NOT_IN_NAV
                elif type(file) is File:
                    file.__class__ = LinkedFile
        mark = (config.extra.get("jx") or {}).get("gov_mark_image")
        if mark and files.get_file_from_path(mark) is None:
            log.error("站点设置「党政机关网站标识图片」：content/%s 不存在；请把标识图片放在 content/ 下，并填写它在 content/ 下的路径"
                      "（如 assets/dzjg.png）", mark)
        if self._preview:
            self._keep_preview_whole(files, config)
        return files

    def _squeeze_page(self, output, *, page, config):
        """Page weight: the theme's chrome without its indentation (see ``squeeze_chrome``)."""
        return squeeze_chrome(output)

    @event_priority(-100)
    def _index_page(self, output, *, page, config):
        """The page as it will be written (after every other plugin) goes to the search index being built."""
        search.feed(page.file.dest_uri, output)
        return output

    on_post_page = CombinedEvent(_squeeze_page, _index_page)

    def on_post_template(self, output_content, *, template_name, config):
        """The same for the theme's own pages (404.html); other static files (sitemap.xml) are left alone."""
        return squeeze_chrome(output_content) if template_name.endswith(".html") else output_content
