"""A content-addressed cache of derived files, so work whose inputs did not change is not redone.

Used for each year's open-data bundle: writing the XLSX is the slowest step of the generator, and a published
year's data never changes, so in a ten-year archive nine bundles out of ten come from here.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path


@cache
def code_version() -> str:
    """Hash of the generator's own source and templates: new code never reuses an old result."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted([*package.glob("*.py"), *package.glob("templates/*")]):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes())
    return digest.hexdigest()


def key(*parts: str | bytes) -> str:
    digest = hashlib.sha256(code_version().encode("ascii"))
    for part in parts:
        digest.update(b"\0" + (part.encode("utf-8") if isinstance(part, str) else part))
    return digest.hexdigest()[:32]


def run_into_tempdir(produce: Callable[[Path], list[Path]]) -> dict[str, bytes]:
    """Call ``produce(dir)`` on a fresh temporary directory; the files it returns, by name."""
    with tempfile.TemporaryDirectory() as tmp:
        return {p.name: p.read_bytes() for p in sorted(produce(Path(tmp)))}


class FileCache:
    """Directories of files under ``root/<key>``; filled atomically, so concurrent builds can share it."""

    def __init__(self, root: Path | None):
        self.root = root

    def files(self, cache_key: str | None, produce: Callable[[Path], list[Path]]) -> dict[str, bytes]:
        """The files ``produce(dir)`` writes, by name; from the cache when ``cache_key`` was produced before."""
        found = self.lookup(cache_key)
        if found is not None:
            return found
        produced = run_into_tempdir(produce)
        self.store(cache_key, produced)
        return produced

    def has(self, cache_key: str | None) -> bool:
        return self.root is not None and cache_key is not None and (self.root / cache_key).is_dir()

    def lookup(self, cache_key: str | None) -> dict[str, bytes] | None:
        if self.root is not None and cache_key is not None:
            entry = self.root / cache_key
            if entry.is_dir():
                _touch(entry)
                return {p.name: p.read_bytes() for p in sorted(entry.iterdir()) if p.is_file()}
        return None

    def store(self, cache_key: str | None, files: dict[str, bytes]) -> None:
        if self.root is not None and cache_key is not None:
            self._store(cache_key, files)

    def _store(self, cache_key: str, files: dict[str, bytes]) -> None:
        staging = None
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=self.root, prefix=".tmp-"))
            for name, data in files.items():
                (staging / name).write_bytes(data)
            os.rename(staging, self.root / cache_key)
        except OSError:
            # Another build stored the same key first (identical content by construction), or the cache cannot be
            # written (read-only checkout, full disk): the build goes on without it.
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)


class ObjectCache:
    """Python objects by key: kept in memory for the life of the process (``serve`` rebuilds after every edit) and
    pickled under ``root`` for the next process. Holds only what the generator itself produced from inputs named
    by the key, so loading a pickle never runs anything but our own classes. With no ``root`` nothing is cached,
    not even in memory: a build without a cache is made from the files alone."""

    def __init__(self, root: Path | None, keep: int = 1024):
        self.root = root
        self.keep = keep

    def get(self, cache_key: str):
        if self.root is None:
            return None
        if cache_key in _MEMORY:
            return _MEMORY[cache_key]
        path = self.root / f"{cache_key}.pickle"
        try:
            value = pickle.loads(path.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return None  # absent, or written by other code: produce it again
        _touch(path)
        self._remember(cache_key, value)
        return value

    def put(self, cache_key: str, value) -> None:
        if self.root is None:
            return
        self._remember(cache_key, value)
        tmp = None
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.root / f"{cache_key}.pickle")
        except OSError:  # the cache cannot be written: the build goes on without it
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)

    def _remember(self, cache_key: str, value) -> None:
        _MEMORY[cache_key] = value
        while len(_MEMORY) > self.keep:
            del _MEMORY[next(iter(_MEMORY))]


_MEMORY: dict[str, object] = {}  # shared by every ObjectCache of the process; keys are content hashes
_HELD: dict[str, object] = {}  # (see hold_inherited)


def release_memory() -> None:
    """Let go of what is kept in memory. When a process is about to end: left alive, a ten-year archive's parsed
    tables (about 700,000 objects) are swept by the garbage collector while Python shuts down, a second or so after a
    command has finished, against a tenth of a second to free them here. The open-data worker, which needs each year
    once, calls it after every year it loads."""
    _MEMORY.clear()


def hold_inherited() -> None:
    """In a forked worker, before anything is released: keep what the parent had in memory alive until the worker
    leaves (it leaves with ``os._exit``, freeing nothing). Freeing those objects in the child would write to every
    page they sit on, so the kernel would copy each page just for it to be given back: 0.4 s for a ten-year archive.
    ``release_memory`` then frees only what the worker loaded itself."""
    _HELD.update(_MEMORY)


def _touch(path: Path) -> None:
    """Mark an entry as used, so ``prune`` keeps it."""
    try:
        os.utime(path)
    except OSError:
        pass


MAX_AGE_DAYS = 14


def prune(root: Path, max_age_days: float = MAX_AGE_DAYS) -> int:
    """Remove entries under ``root`` (one level of folders: years/, checks/, opendata/, pages/) not used for
    ``max_age_days``: every edit adds an entry for the new version of a file, and old ones would pile up.
    Returns how many were removed; never fails a build."""
    cutoff = time.time() - max_age_days * 86400
    removed = 0
    try:
        kinds = [d for d in root.iterdir() if d.is_dir()]
    except OSError:
        return 0
    for kind in kinds:
        try:
            entries = list(kind.iterdir())
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat().st_mtime >= cutoff:
                    continue
                if entry.is_dir():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
                removed += 1
            except OSError:
                continue
    return removed
