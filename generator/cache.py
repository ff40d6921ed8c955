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

    def lookup(self, cache_key: str | None) -> dict[str, bytes] | None:
        if self.root is not None and cache_key is not None:
            entry = self.root / cache_key
            if entry.is_dir():
                return {p.name: p.read_bytes() for p in sorted(entry.iterdir()) if p.is_file()}
        return None

    def store(self, cache_key: str | None, files: dict[str, bytes]) -> None:
        if self.root is not None and cache_key is not None:
            self._store(cache_key, files)

    def _store(self, cache_key: str, files: dict[str, bytes]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=self.root, prefix=".tmp-"))
        for name, data in files.items():
            (staging / name).write_bytes(data)
        try:
            os.rename(staging, self.root / cache_key)
        except OSError:  # another build stored the same key first: identical content by construction
            shutil.rmtree(staging, ignore_errors=True)


class ObjectCache:
    """Python objects by key: kept in memory for the life of the process (``serve`` rebuilds after every edit) and
    pickled under ``root`` for the next process. Holds only what the generator itself produced from inputs named
    by the key, so loading a pickle never runs anything but our own classes."""

    def __init__(self, root: Path | None, keep: int = 1024):
        self.root = root
        self.keep = keep

    def get(self, cache_key: str):
        if cache_key in _MEMORY:
            return _MEMORY[cache_key]
        if self.root is None:
            return None
        path = self.root / f"{cache_key}.pickle"
        try:
            value = pickle.loads(path.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return None  # absent, or written by other code: produce it again
        self._remember(cache_key, value)
        return value

    def put(self, cache_key: str, value) -> None:
        self._remember(cache_key, value)
        if self.root is None:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, self.root / f"{cache_key}.pickle")

    def _remember(self, cache_key: str, value) -> None:
        _MEMORY[cache_key] = value
        while len(_MEMORY) > self.keep:
            del _MEMORY[next(iter(_MEMORY))]


_MEMORY: dict[str, object] = {}  # shared by every ObjectCache of the process; keys are content hashes
