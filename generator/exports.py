"""Each year's open-data bundle, made in a worker process while the pages render.

Writing a year's XLSX and JSON is the slowest single piece of the generator (about a second for 1,000 projects)
and shares nothing with page rendering, so on a machine with more than one CPU a forked worker makes the bundles
while this process renders pages. Bundles come from the cache (generator/cache.py) when the year's data, the
settings and the code are as before. The worker is only forked from a process with no other threads (a fork copies
locks another thread may hold); otherwise, and where fork does not exist, bundles are made here, one after another.
The bytes are the same either way.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from concurrent.futures import Future, ProcessPoolExecutor

from . import opendata
from .cache import FileCache, run_into_tempdir
from .model import YearModel

# Set just before the worker is forked: the child reads the years from here instead of receiving them pickled.
_YEARS: dict[int, YearModel] = {}


def _export(year: int) -> dict[str, bytes]:
    y = _YEARS[year]
    return run_into_tempdir(lambda tmp: opendata.export_year(y, tmp))


def _can_fork() -> bool:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return (cpus > 1 and sys.platform.startswith("linux") and threading.active_count() == 1
            and "fork" in multiprocessing.get_all_start_methods())


class Exports:
    """``start`` the bundles of some years, then ``get`` each: cached, from the worker, or made here."""

    def __init__(self, cache: FileCache, keys: dict[int, str]):
        self.cache = cache
        self.keys = keys
        self._pool: ProcessPoolExecutor | None = None
        self._pending: dict[int, Future] = {}
        self._years: dict[int, YearModel] = {}

    def start(self, years: list[YearModel]) -> None:
        self._years = {y.year: y for y in years}
        todo = [y for y in years if self.cache.lookup(self.keys.get(y.year)) is None]
        if not todo or not _can_fork():
            return
        _YEARS.clear()
        _YEARS.update(self._years)
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
        self._pending = {y.year: self._pool.submit(_export, y.year) for y in todo}

    def collect(self) -> dict[int, dict[str, bytes]]:
        """Every started year's bundle. Bundles the worker has not begun are made here, newest queued first, while
        it goes on with the others: this process is free by now, and the two meet in the middle."""
        made: dict[int, dict[str, bytes]] = {}
        for year in reversed(list(self._years)):
            future = self._pending.get(year)
            if future is not None and future.cancel():
                del self._pending[year]
            if year not in self._pending:
                made[year] = self.get(year)
        for year in list(self._pending):
            made[year] = self.get(year)
        return {year: made[year] for year in self._years}

    def get(self, year: int) -> dict[str, bytes]:
        found = self.cache.lookup(self.keys.get(year))
        if found is not None:
            return found
        future = self._pending.pop(year, None)
        if future is not None:
            files = future.result()  # an error in the worker is raised here, as if made in this process
        else:
            y = self._years[year]
            files = run_into_tempdir(lambda tmp: opendata.export_year(y, tmp))
        self.cache.store(self.keys.get(year), files)
        return files

    def close(self) -> None:
        for future in self._pending.values():
            future.cancel()
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        _YEARS.clear()

    def __enter__(self) -> Exports:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
