"""A progress bar on stderr for work long enough to wait for; silent in CI, pipes, tests and with --quiet."""

from __future__ import annotations

import sys

THRESHOLD = 2000  # rows; below this the work finishes before a bar would be worth reading


class Bar:
    """Counts rows as they are processed; the bar appears only once the count passes ``THRESHOLD``."""

    def __init__(self, desc: str, *, quiet: bool = False, total: int | None = None, stream=None):
        self.desc = desc
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = not quiet and _is_tty(self.stream)
        self.count = 0
        self._bar = None

    def update(self, n: int = 1) -> None:
        self.count += n
        if not self.enabled:
            return
        if self._bar is None and self.count >= THRESHOLD:
            from tqdm import tqdm

            self._bar = tqdm(desc=self.desc, total=self.total, initial=self.count - n, unit="行",
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
