"""The pipeline end to end: validate everything, build aside, and swap into place only when all succeeded."""

from __future__ import annotations

import functools
import gc
import hashlib
import logging
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from . import cache, checks, dataset, dependencies, freeze, model, render, search
from .cache import FileCache, ObjectCache
from .exports import Exports
from .problems import DataError, Report


@dataclass(frozen=True)
class Paths:
    """Where things are. ``data`` and ``site`` can point elsewhere (the synthetic example, tests)."""

    root: Path
    data_dir: Path | None = None
    site_dir: Path | None = None
    cache_dir: Path | None = None

    @property
    def data(self) -> Path:
        return self.data_dir or self.root / "data"

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def generated(self) -> Path:
        return self.content / render.GENERATED

    @property
    def keeps_generated(self) -> bool:
        """Pages go into content/generated only for a default build; other builds (tests, examples) stay aside."""
        return self.data_dir is None and self.site_dir is None

    @property
    def unregistered(self) -> freeze.Unregistered:
        """Only the plain local build registers published years in data/frozen.yaml (which staff commit); a build
        elsewhere (CI, --site, --data) leaves the register, so a year it does not hold yet stops that build."""
        return freeze.Unregistered.REGISTER if self.keeps_generated else freeze.Unregistered.REFUSE

    @property
    def site(self) -> Path:
        return self.site_dir or self.root / "site"

    @property
    def work(self) -> Path:
        return self.site.parent / f".{self.site.name}.build"

    @property
    def cache(self) -> Path:
        """Work reused across builds (see generator/cache.py); safe to delete at any time."""
        return self.cache_dir or self.root / ".cache"

    @property
    def config(self) -> Path:
        return self.root / "mkdocs.yml"


def validate(data_dir: Path, progress=None, cache_dir: Path | None = None, *, first=(), then=None, last=(),
             unregistered: freeze.Unregistered = freeze.Unregistered.TELL) -> tuple[dataset.Dataset | None, Report]:
    """Read and check all data; the report lists every problem found. ``progress`` counts rows read. With
    ``cache_dir``, years whose files did not change since an earlier run are not parsed again. ``first``,
    ``then`` and ``last``: see dataset.read_dataset. ``unregistered``: how a published year not registered as it is now is
    reported (the default suits preview and import, which go on)."""
    report = Report()
    years = ObjectCache(cache_dir / "years" if cache_dir else None)
    ds = dataset.read_dataset(data_dir, report, progress=progress, cache=years, first=first, then=then, last=last)
    if ds is not None:
        # Cross-record rules run on whatever could be read, so one run shows as much as possible.
        checks.check(ds, report, ObjectCache(cache_dir / "checks" if cache_dir else None))
        freeze.check(ds, report, unregistered)
    return ds, report


def generate(data_dir: Path, out: Path, cache_dir: Path | None = None,
             unregistered: freeze.Unregistered = freeze.Unregistered.TELL) -> tuple[list[Path], Report]:
    """Validate, then render every page into ``out``; only files whose bytes change are rewritten.
    Raises DataError on bad data, before anything is written.

    ``cache_dir`` holds work reused across runs: parsed years, open-data bundles, and the record of which pages
    the last run into ``out`` wrote from which inputs (so unchanged pages are not rendered again)."""
    written, report, _ = _generate(data_dir, out, cache_dir, unregistered)
    return written, report


def _generate(data_dir: Path, out: Path, cache_dir: Path | None = None,
              unregistered: freeze.Unregistered = freeze.Unregistered.TELL):
    # The cyclic garbage collector would walk the whole archive (millions of objects, nearly all alive until the
    # end) again and again; generation makes few cycles, so it is paused. What is alive at the end is then frozen:
    # left out of the collector's walks, the first of which would otherwise go through all of it at once (0.2 s
    # after an edit on L, more after a first build), and later ones again while MkDocs runs. Reference counting
    # still frees it when it is dropped (the archive holds no cycles; tests/test_incremental.py checks that frozen
    # objects do not pile up). What is never collected: the few dozen objects in cycles a generation leaves.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _generate_unpaused(data_dir, out, cache_dir, unregistered)
    finally:
        if paused:
            gc.freeze()
            gc.enable()


def _generate_unpaused(data_dir: Path, out: Path, cache_dir: Path | None, unregistered: freeze.Unregistered):
    with Exports(FileCache(cache_dir / "opendata" if cache_dir else None)) as bundles:
        # The years whose open-data bundle is not in the cache are read first (after an edit to one year: last,
        # see below), and a worker process makes their bundles while the other years are read and checked and the
        # pages render: on a first build it starts once the first year is read; after an edit to one year, that
        # year's XLSX no longer holds the build up. It loads each year from the tables this process has just put
        # in the cache. If the data turn out to be wrong, the worker is stopped and nothing it made is kept.
        settings = _settings_bytes(data_dir)
        first = bundles.missing(_year_keys_on_disk(data_dir, settings))
        if cache_dir is not None:
            bundles.begin(first, functools.partial(_load_year, data_dir, cache_dir, settings))
        # A single year (after an edit) the worker reads itself, parsing its changed table and putting it in the
        # cache: this process reads that year last, after the others, and finds the table parsed (in a new process
        # on L the nine other years take about 0.6 s to load, the worker's parse of the largest table about 0.3 s).
        alone = bundles.reads_alone()
        ds, report = validate(data_dir, cache_dir=cache_dir, first=() if alone else first, then=bundles.ready,
                              last=alone, unregistered=unregistered)
        if ds is None or not report.ok:
            raise DataError(report)
        archive = model.build_archive(ds)
        manifest = None
        if cache_dir is not None:
            where = hashlib.sha256(str(out.resolve()).encode("utf-8")).hexdigest()[:16]
            manifest = cache_dir / "pages" / f"{where}.json"
        written = render.render_site(archive, out, bundles=bundles, year_keys=year_keys(ds),
                                     site_key=dependencies.site_key(ds), manifest=manifest,
                                     key_cache=ObjectCache(cache_dir / "keys") if cache_dir is not None else None)
    if cache_dir is not None:
        cache.prune(cache_dir)
    return written, report, ds


def _load_year(data_dir: Path, cache_dir: Path, settings: bytes, year: int) -> tuple[model.YearModel, str | None]:
    """In the open-data worker: a year's model and key, from the tables the main process put in the cache."""
    report = Report()
    data = dataset.cached_year(data_dir, data_dir / str(year), year, report, None,
                               ObjectCache(cache_dir / "years"))
    if not report.ok:
        raise DataError(report)  # (changed since the main process read it: it makes this bundle itself)
    cache.release_memory()  # the worker holds one year at a time
    return model.build_year(data), _year_key(year, data, settings)


def _settings_bytes(data_dir: Path) -> bytes:
    settings = data_dir / dataset.SETTINGS_FILE
    try:
        return settings.read_bytes()
    except OSError:
        return b""


def _year_key(year: int, data: dataset.YearData, settings: bytes) -> str | None:
    """What a year's derived files (its open-data bundle) depend on: its own data files, the settings, the code."""
    # data.key already identifies the year's files (read once while loading); hash them again only without it.
    files = data.key or freeze.year_checksum(data.path)
    return _bundle_key(year, files, settings) if files is not None else None


def _bundle_key(year: int, files: str, settings: bytes) -> str:
    return cache.key(str(year), files, settings)


def year_keys(ds: dataset.Dataset) -> dict[int, str]:
    settings = ds.settings_bytes
    keys = {year: _year_key(year, data, settings) for year, data in ds.years.items()}
    return {year: key for year, key in keys.items() if key is not None}


def _year_keys_on_disk(data_dir: Path, settings: bytes) -> dict[int, str]:
    """The same keys from the files alone, before anything is read (the years whose bundle will be made)."""
    keys = {}
    try:
        for entry in sorted(data_dir.iterdir()):
            if entry.is_dir() and dataset.YEAR_DIR.match(entry.name):
                year = int(entry.name)
                keys[year] = _bundle_key(year, dataset.year_files_key(data_dir, entry), settings)
    except OSError:
        pass  # reading the data reports it
    return keys


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:  # (a file system without hard links)
        shutil.copy2(src, dst)


def _copy_hand_written(content: Path, dest: Path) -> None:
    shutil.copytree(content, dest, ignore=shutil.ignore_patterns(render.GENERATED, ".*"))


class OutputError(Exception):
    """The output folder cannot be replaced safely; nothing was changed. The message is for staff, in Chinese."""


# A file every site this tool builds has (content/assets): a folder holding it is a site we may replace.
SITE_SIGNATURE = Path("assets") / "jx-search.js"


def check_output(paths: Paths) -> None:
    """Refuse, before any work, an output that replacing would destroy something else: the project or data
    folder, a file, or a folder that is not a site this tool built (``build`` swaps the whole folder)."""
    site = paths.site.resolve()
    for name, guarded, inside_too in (("项目目录", paths.root, False), ("数据目录", paths.data, True),
                                      ("页面目录", paths.content, True)):
        guarded = guarded.resolve()
        if site == guarded or site in guarded.parents or (inside_too and guarded in site.parents):
            raise OutputError(f"网站输出目录 {paths.site} 与{name} {guarded} 重叠；构建会整体替换输出目录，"
                              "请用 --site 指定一个单独的文件夹（默认为 site/）")
    for path in (paths.site, paths.site.with_name(paths.site.name + ".old"), paths.work):
        if path.is_symlink() or (path.exists() and not path.is_dir()):
            raise OutputError(f"{path} 是一个文件（或链接），不是文件夹；请删除或改名后重新构建")
    if paths.site.is_dir() and any(paths.site.iterdir()) and not (paths.site / SITE_SIGNATURE).exists():
        raise OutputError(f"网站输出目录 {paths.site} 已有其他文件，且不是本工具生成的网站；为免误删，不会覆盖它。"
                          "请换一个空文件夹，或确认无用后手动清空")


def build(paths: Paths, *, strict: bool = True, quiet: bool = False,
          unregistered: freeze.Unregistered | None = None) -> Report:
    """Generate pages and build the site aside, then swap both into place; on any failure nothing changes.
    ``unregistered`` defaults to what the paths allow (``Paths.unregistered``)."""
    check_output(paths)
    work = paths.work
    if work.exists():
        shutil.rmtree(work)
    try:
        report = _build_aside(paths, work, strict=strict, quiet=quiet, unregistered=unregistered or paths.unregistered)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # (after a failure too: nothing half-made is left beside the site)
    return report


def _build_aside(paths: Paths, work: Path, *, strict: bool, quiet: bool, unregistered: freeze.Unregistered) -> Report:
    stage_docs = work / "docs"
    stage_site = work / "site"
    _copy_hand_written(paths.content, stage_docs)
    if paths.keeps_generated and paths.generated.exists():
        # Start from the previous pages so unchanged files keep their bytes and mtime: as second names of them, not
        # copies (a ten-year archive's 23,000 files link in 0.5 s, and took 3.2 s to copy). Nothing writes into a
        # staged file: the generator replaces each file it changes by a new one (render.Writer), so content/generated
        # keeps its bytes when this build fails.
        shutil.copytree(paths.generated, stage_docs / render.GENERATED, copy_function=_link_or_copy)
    _, report, ds = _generate(paths.data, stage_docs / render.GENERATED, paths.cache, unregistered)
    # The records are not needed again (the next build finds them in .cache/): let them go before MkDocs runs
    # beside Pagefind. On L this process then peaks at about 300 MB while they run, not 520.
    ds = ds.without_records()
    cache.release_memory()
    # Pagefind indexes each page as MkDocs writes it, on another CPU; after MkDocs only the index is built and
    # written, part of the site swapped in below.
    with search.Indexer() as indexer, search.feeding(indexer):
        run_mkdocs(paths.config, stage_docs, stage_site, strict=strict, quiet=quiet)
        indexer.finish(stage_site)
    # The site first: should that swap fail, the pages and the register of published years stay as they were.
    _swap(stage_site, paths.site)
    if paths.keeps_generated:
        _swap(stage_docs / render.GENERATED, paths.generated)
    if unregistered is freeze.Unregistered.REGISTER:
        freeze.record_all(ds, report)
    return report


def run_mkdocs(config_file: Path, docs_dir: Path, site_dir: Path, *, strict: bool, quiet: bool) -> None:
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    show_mkdocs_log(quiet=quiet, mkdocs_info=False)
    cwd = os.getcwd()
    try:
        os.chdir(config_file.parent)
        config = load_config(str(config_file), docs_dir=str(docs_dir), site_dir=str(site_dir), strict=strict)
        mkdocs_build(config)
    finally:
        os.chdir(cwd)


def show_mkdocs_log(*, quiet: bool, mkdocs_info: bool = True) -> None:
    """Print MkDocs' messages (and the plugin's, such as bad data found while previewing) on stderr. MkDocs' own
    command line sets this up; called from Python, MkDocs counts its errors but would print none of them. Without
    ``mkdocs_info`` MkDocs' own progress lines (English: "Cleaning site directory" …) are left out; warnings and
    errors always show, marked in Chinese."""
    for name in ("mkdocs", PREVIEW_LOGGER):
        logger = logging.getLogger(name)
        logger.setLevel(logging.WARNING if quiet else logging.INFO)
        handler = next((h for h in logger.handlers if isinstance(h, _Stderr)), None)
        if handler is None:
            handler = _Stderr()
            handler.setFormatter(_ChineseLevels())
            logger.addHandler(handler)
        handler.mkdocs_info = mkdocs_info


class _ChineseLevels(logging.Formatter):
    _NAMES = {"WARNING": "[警告]", "ERROR": "[错误]", "CRITICAL": "[错误]", "INFO": "[信息]", "DEBUG": "[调试]"}

    def format(self, record: logging.LogRecord) -> str:
        return f"{self._NAMES.get(record.levelname, record.levelname)} {record.getMessage()}"


class _Stderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each message, not the one there when it was made."""

    mkdocs_info = True

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith(_NOT_IN_NAV):
            # A hand-written page left out of the menu: worth saying, in Chinese (generated pages are marked as
            # meant to be outside the navigation, so they are not listed).
            pages = "、".join(line.strip(" -\t") for line in message.splitlines()[1:] if line.strip(" -\t"))
            record.msg, record.args = (f"以下手写页面不在导航菜单中：{pages}；"
                                       "如需出现在菜单里，请加入 mkdocs.yml 的 nav"), None
        elif record.levelno <= logging.INFO and not self.mkdocs_info and not record.name.startswith(_OURS):
            return False
        else:
            for english, chinese in _MKDOCS_MESSAGES:
                found = english.match(message)
                if found:
                    record.msg, record.args = chinese.format(*found.groups()), None
                    break
        return super().filter(record)


# MkDocs' own progress lines, as staff read them (the preview prints them as it rebuilds).
_MKDOCS_MESSAGES = [(re.compile(english, re.S), chinese) for english, chinese in (
    (r"Building documentation\.\.\.$", "正在构建网站……"),
    (r"Cleaning site directory$", "正在清理输出目录"),
    (r"Documentation built in ([\d.]+) seconds$", "网站构建完成，用时 {} 秒"),
    (r"Serving on (\S+)", "预览地址：{}"),
    (r"Watching paths for changes: (.*)$", "正在监视这些位置的改动：{}"),
    (r"Detected file changes$", "发现文件改动"),
    (r"Reloading browsers$", "刷新浏览器"),
    (r"Browser connected: (\S+)$", "浏览器已连接：{}"),
    (r"Shutting down\.\.\.$", "正在关闭预览……"),
    (r"An error happened during the rebuild\..*$", "重新构建时出错；改正之前，预览中的页面不会更新"),
)]


_OURS = "mkdocs.plugins.disclosure"  # the plugin's logger (mkdocs_plugin.log)
PREVIEW_LOGGER = "jxgk.preview"  # bad data found while previewing (mkdocs_plugin.preview_log; not imported:
# the plugin is loaded by every MkDocs run, this module only when pages are generated)
_NOT_IN_NAV = "The following pages exist in the docs directory, but are not included in the"


def _swap(new: Path, target: Path) -> None:
    """Replace ``target`` by ``new`` with renames, so readers see either the old tree or the new one."""
    old = target.with_name(target.name + ".old")
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old)  # left by a build that was stopped between the renames
    if target.exists():
        target.rename(old)
    new.rename(target)
    if old.exists():
        shutil.rmtree(old)
