"""Each year's open-data bundle, made in a worker process while the rest of the data is read and the pages render.

Writing a year's XLSX and JSON is the slowest single piece of the generator (about a second for 1,000 projects)
and shares nothing with page rendering, so on a machine with more than one CPU a forked worker makes the bundles
while this process goes on. With a cache, the pipeline forks the worker before reading anything (``begin``),
reads first the years whose bundles are not cached, and names each to the worker once it is read (``ready``); the
worker loads the year from the tables just cached, so it is at work while the other years are read and checked and
the pages render. When only one year's bundle is to be made (after an edit), the worker reads that year itself at
once instead of waiting for this process to read it, and puts its changed tables in the cache; this process reads
that year last (``reads_alone``) and so finds them parsed. Without a cache it is forked when the pages start (``start``),
with the years in its memory. If the data turn out to be wrong, the worker is stopped and its bundles are thrown
away.

Bundles come from the cache (generator/cache.py) when the year's data, the settings and the code are as before. The
worker is only forked from a process with no other threads (a fork copies locks another thread may hold); otherwise,
and where fork does not exist, bundles are made here, one after another. The bytes are the same either way.

The worker takes the years in reading order, one at a time, from a shared pair of bounds; once its pages are done
this process takes the last ones the worker has not begun, and the two meet in the middle. The worker writes each
bundle into a scratch folder and only names it on the pipe, so it never waits for this process to read.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

from . import opendata
from .cache import FileCache, hold_inherited, run_into_tempdir
from .model import YearModel

# Set just before the worker is forked: the child reads the years from here instead of receiving them pickled.
_YEARS: dict[int, YearModel] = {}


def _can_fork() -> bool:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return (cpus > 1 and sys.platform.startswith("linux") and threading.active_count() == 1
            and "fork" in multiprocessing.get_all_start_methods())


def _take(bounds, *, newest: bool) -> int | None:
    """The index of the next year to make, from the front (worker) or the back (this process); None when done."""
    with bounds.get_lock():
        if bounds[0] >= bounds[1]:
            return None
        if newest:
            bounds[1] -= 1
            return bounds[1]
        bounds[0] += 1
        return bounds[0] - 1


def _work(order: list[int], bounds, scratch: str, results, ready=None, load=None) -> None:
    """The worker: make bundles until the bounds meet; report each as (year, [names], None, key) or (year, None,
    error text, None). Without ``load`` the years' models are in ``_YEARS``; with it, the worker waits until this
    process names the year on ``ready`` (read without error, its tables in the cache) and gets the model and its key
    from ``load(year)``."""
    try:
        hold_inherited()
        seen: set[int] = set()
        while (i := _take(bounds, newest=False)) is not None:
            year = order[i]
            dest = Path(scratch) / str(year)
            try:
                key = None
                if load is None:
                    model = _YEARS[year]
                else:
                    # A single year (after an edit) is not waited for: until this process had read it the worker
                    # would sit idle, so it reads the year itself meanwhile, on the other CPU, while this process
                    # loads the other years and reads this one last, taking the changed table from the cache if the
                    # worker has parsed it by then (the key shows whether both read the same files). With more
                    # years (a first build) it waits, so as not to parse every table twice.
                    while len(order) > 1 and year not in seen:
                        seen.add(ready.recv())  # EOFError: this process stopped (wrong data) or is done
                    model, key = load(year)
                names = [p.name for p in opendata.export_year(model, dest)]
            except EOFError:
                return
            except BaseException:  # reported to the parent
                results.send((year, None, traceback.format_exc(), None))
                return
            results.send((year, names, None, key))
    finally:
        results.close()
        os._exit(0)  # leave without running the parent's exit handlers or flushing its buffers twice


class WorkerError(RuntimeError):
    pass


class Exports:
    """``start`` the bundles of some years, then ``collect`` them: cached, from the worker, or made here."""

    def __init__(self, cache: FileCache, keys: dict[int, str] | None = None):
        self.cache = cache
        self.keys = dict(keys or {})
        self._years: dict[int, YearModel] = {}
        self._cached: dict[int, dict[str, bytes]] = {}  # bundles found in the cache by ``start``
        self._order: list[int] = []
        self._bounds = None
        self._worker: multiprocessing.Process | None = None
        self._results = None
        self._ready = None
        self._scratch: tempfile.TemporaryDirectory | None = None

    def missing(self, keys: dict[int, str]) -> list[int]:
        """The years among ``keys`` whose bundle is not in the cache (without reading the cached ones)."""
        return [year for year, key in keys.items() if not self.cache.has(key)]

    def begin(self, years: list[int], load: Callable[[int], tuple[YearModel, str | None]]) -> None:
        """Fork the worker before anything is read, for the bundles of ``years`` (in the order they will be read).
        It starts on each once ``ready`` names it, with the model and key ``load`` makes from the cached tables;
        a bundle whose key differs from the one this process gives ``start`` (a file changed meanwhile) is made
        again here."""
        if years and self._worker is None and _can_fork():
            self._fork(list(years), load)

    def reads_alone(self) -> list[int]:
        """The year the worker reads on its own (``begin`` with a single year, see ``_work``), or none."""
        return list(self._order) if self._worker is not None and self._ready is not None and len(self._order) == 1 \
            else []

    def ready(self, year: int) -> None:
        """``year`` has been read without error and its tables are in the cache: the worker may load it."""
        if self._ready is not None and year in self._order:
            try:
                self._ready.send(year)
            except OSError:
                pass  # the worker has left (an error it reports itself)

    def start(self, years: list[YearModel], keys: dict[int, str] | None = None) -> None:
        """Begin the bundles of ``years`` (``keys``: their cache keys, if not given to the constructor). May be
        called again with more years: those already begun are left as they are; the worker is forked once, and the
        bundles of years it was not given are made here by ``collect``."""
        self.keys.update(keys or {})
        years = [y for y in years if y.year not in self._years]
        self._years.update({y.year: y for y in years})
        for y in years:
            if y.year in self._order:
                continue  # the worker's
            found = self.cache.lookup(self.keys.get(y.year))
            if found is not None:
                self._cached[y.year] = found
        todo = [y.year for y in years if y.year not in self._cached]
        if len(todo) == 0 or self._worker is not None or not _can_fork():
            return
        _YEARS.clear()
        _YEARS.update(self._years)
        self._fork(todo, None)

    def _fork(self, order: list[int], load) -> None:
        context = multiprocessing.get_context("fork")
        self._order = order
        self._bounds = context.Array("i", [0, len(order)])
        self._scratch = tempfile.TemporaryDirectory(prefix="jx-opendata-")
        receive, send = context.Pipe(duplex=False)
        ready_receive = ready_send = None
        if load is not None:
            ready_receive, ready_send = context.Pipe(duplex=False)
        self._worker = context.Process(target=_work, daemon=True,
                                       args=(order, self._bounds, self._scratch.name, send, ready_receive, load))
        self._worker.start()
        send.close()
        if ready_receive is not None:
            ready_receive.close()
        self._results, self._ready = receive, ready_send

    def collect(self) -> dict[int, dict[str, bytes]]:
        """Every started year's bundle. The years the worker has not begun are made here, last first, while it goes
        on with the others; then the worker's are read."""
        made = dict(self._cached)
        if self._worker is None:
            for year in reversed(list(self._years)):
                if year not in made:
                    made[year] = self._here(year)
        else:
            for year in reversed(list(self._years)):  # not given to the worker
                if year not in made and year not in self._order:
                    made[year] = self._here(year)
            while (i := _take(self._bounds, newest=True)) is not None:
                if self._order[i] in self._years:
                    made[self._order[i]] = self._here(self._order[i])
            made.update(self._from_worker({y for y in self._order if y not in made and y in self._years}))
        return {year: made[year] for year in self._years}

    def _here(self, year: int) -> dict[str, bytes]:
        y = self._years[year]
        files = run_into_tempdir(lambda tmp: opendata.export_year(y, tmp))
        self.cache.store(self.keys.get(year), files)
        return files

    def _from_worker(self, waiting: set[int]) -> dict[int, dict[str, bytes]]:
        got: dict[int, dict[str, bytes]] = {}
        while waiting:
            try:
                year, names, error, key = self._results.recv()
            except EOFError:
                self._worker.join()
                if self._ready is not None:  # (it loads years itself: make the rest here)
                    got.update({year: self._here(year) for year in sorted(waiting)})
                    return got
                raise WorkerError(f"生成开放数据的子进程意外退出（退出码 {self._worker.exitcode}）") from None
            if year not in waiting:
                continue  # a year it made that no page needs now
            if error is not None or (key is not None and key != self.keys.get(year)):
                if self._ready is None:
                    raise WorkerError(f"生成 {year} 年度开放数据失败：\n{error}")
                got[year] = self._here(year)  # it read the year on its own: an error, or a file changed meanwhile
            else:
                folder = Path(self._scratch.name) / str(year)
                got[year] = {name: (folder / name).read_bytes() for name in sorted(names)}
                self.cache.store(self.keys.get(year), got[year])
            waiting.discard(year)
        return got

    def close(self) -> None:
        if self._ready is not None:
            self._ready.close()  # a worker waiting for a year leaves
            self._ready = None
        if self._worker is not None:
            if self._bounds is not None:
                with self._bounds.get_lock():
                    self._bounds[1] = self._bounds[0]  # no further years for the worker
            self._worker.join(timeout=5)  # after ``collect`` it has already left; after an error, no need to wait
            if self._worker.is_alive():
                self._worker.kill()
                self._worker.join()
            self._worker = None
        if self._results is not None:
            self._results.close()
            self._results = None
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None
        self._cached.clear()
        _YEARS.clear()

    def __enter__(self) -> Exports:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
