"""A progress bar on stderr for work long enough to wait for; silent in CI, pipes, tests and with --quiet."""

from __future__ import annotations

import sys

from mkdocs.plugins import BasePlugin

THRESHOLD = 2000  # rows; below this the work finishes before a bar would be worth reading


class Bar:
    """Counts rows as they are processed; the bar appears only once the count passes ``THRESHOLD``."""

    def __init__(self, desc: str, *, quiet: bool = False, total: int | None = None, threshold: int = THRESHOLD,
                 unit: str = "行", stream=None):
        self.desc = desc
        self.total = total
        self.threshold = threshold
        self.unit = unit
        self.stream = stream or sys.stderr
        self.enabled = not quiet and _is_tty(self.stream)
        self.count = 0
        self._bar = None

    def update(self, n: int = 1) -> None:
        self.count += n
        if not self.enabled:
            return
        if self._bar is None and self.count >= self.threshold:
            from tqdm import tqdm

            # No monitor thread: it would outlive the bar, and a process with another thread does not fork the
            # worker that makes open-data bundles (exports.py).
            tqdm.monitor_interval = 0
            self._bar = tqdm(desc=self.desc, total=self.total, initial=self.count - n, unit=self.unit,
                             file=self.stream, leave=False, dynamic_ncols=True)
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _is_tty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# --- MkDocs plugin (mkdocs.yml: build-progress): a bar over the pages of a long build ---------------------

PAGE_THRESHOLD = 200  # pages; a small site renders in a few seconds


def _build_is_verbose() -> bool:
    """``build --quiet`` (and the test suite) raise the mkdocs logger to WARNING: no bar then."""
    import logging

    return logging.getLogger("mkdocs").getEffectiveLevel() <= logging.INFO


class ProgressPlugin(BasePlugin):
    _pages: Bar | None = None

    def on_files(self, files, *, config):
        total = sum(1 for f in files if f.is_documentation_page())
        self._pages = None
        if total >= PAGE_THRESHOLD and _build_is_verbose():
            self._pages = Bar("生成网页", total=total, threshold=1, unit="页")  # few but slow: show from the first
        return files

    def on_post_page(self, output, *, page, config):
        if self._pages is not None:
            self._pages.update()
        return output

    def on_post_build(self, *, config):
        if self._pages is not None:
            self._pages.close()
            self._pages = None
