"""Local preview: generate, then let MkDocs serve and rebuild whenever data or pages change."""

from __future__ import annotations

import errno
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from . import pipeline
from .problems import DataError

REGENERATE_ENV = "JX_REGENERATE_FROM"
CACHE_ENV = "JX_CACHE_DIR"  # where the regeneration keeps parsed years and the pages' inputs (pipeline.generate)


def serve(paths: pipeline.Paths, addr: str) -> int:
    from mkdocs.commands.serve import serve as mkdocs_serve

    try:
        pipeline.generate(paths.data, paths.generated, paths.cache)
    except DataError as exc:
        print(exc.report.as_text(), file=sys.stderr)
        return 1
    # Tells the plugin to regenerate from data/ before each rebuild that a change in data/ triggers.
    os.environ[REGENERATE_ENV] = str(paths.data)
    os.environ[CACHE_ENV] = str(paths.cache)
    pipeline.show_mkdocs_log(quiet=False)  # so a data mistake made while previewing is shown, in Chinese
    print("预览：修改数据或页面后只重建受影响的页面；导航、站点设置或主题改变时重建全部页面。", file=sys.stderr)
    try:
        with dirty_builds():
            mkdocs_serve(str(paths.config), dev_addr=addr, livereload=True, build_type="dirty",
                         watch=[str(paths.data)])
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL):
            raise
        host, _, port = addr.rpartition(":")
        taken = "已被占用（可能已有一个预览在运行，请先关闭它）" if exc.errno == errno.EADDRINUSE else "在本机不可用"
        print(f"无法启动预览：地址 {addr} {taken}；也可以换一个端口，例如 python -m generator serve --addr "
              f"{host or '127.0.0.1'}:{int(port) + 1 if port.isdigit() else 8001}", file=sys.stderr)
        return 1
    return 0


@contextmanager
def dirty_builds() -> Iterator[None]:
    """The preview's builds after its first are dirty: MkDocs builds again only the pages whose file is newer than
    their output, and the generator leaves unchanged files as they were (on a ten-year archive an edit shows in
    about 4 s instead of 14 to 26); the plugin builds every page again when what all pages share changed
    (mkdocs_plugin.DisclosurePlugin). MkDocs' English warning about dirty builds is dropped meanwhile: with
    ``strict: true`` it would count as an error and stop every preview build."""
    build_log = logging.getLogger("mkdocs.commands.build")
    build_log.addFilter(_no_dirty_warning)
    try:
        yield
    finally:
        build_log.removeFilter(_no_dirty_warning)


def _no_dirty_warning(record: logging.LogRecord) -> bool:
    return "'dirty' build" not in record.getMessage()


PREVIEW_URL = "http://127.0.0.1:8000/"


class PreviewBuilds:
    """The builds ``serve`` runs into its folder, without its web server (for the benchmark and the tests): the
    first one whole, each later one dirty, as MkDocs' serve runs them (the site's URL set to the server's). The
    plugin regenerates the pages before each build when ``REGENERATE_ENV`` names the data."""

    def __init__(self, config_file: Path, site_dir: Path, url: str = PREVIEW_URL):
        self.config_file, self.site_dir, self.url = config_file, site_dir, url

    def load(self):
        from mkdocs.config import load_config

        config = load_config(str(self.config_file), site_dir=str(self.site_dir))
        config.site_url = self.url
        return config

    def build(self) -> None:
        from mkdocs.commands.build import build

        build(self.load(), serve_url=self.url, dirty=True)

    def __enter__(self) -> PreviewBuilds:
        with ExitStack() as stack:
            stack.enter_context(dirty_builds())
            self.config = self.load()
            self.config.plugins.on_startup(command="serve", dirty=True)
            stack.callback(self.config.plugins.on_shutdown)
            self.build()
            self._stack = stack.pop_all()
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()
