"""A content-addressed cache of derived files, so work whose inputs did not change is not redone.

Used for each year's open-data bundle: writing the XLSX is the slowest step of the generator, and a published
year's data never changes, so in a ten-year archive nine bundles out of ten come from here.
"""

from __future__ import annotations

import hashlib
import os
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


class FileCache:
    """Directories of files under ``root/<key>``; filled atomically, so concurrent builds can share it."""

    def __init__(self, root: Path | None):
        self.root = root

    def files(self, cache_key: str | None, produce: Callable[[Path], list[Path]]) -> dict[str, bytes]:
        """The files ``produce(dir)`` writes, by name; from the cache when ``cache_key`` was produced before."""
        if self.root is not None and cache_key is not None:
            entry = self.root / cache_key
            if entry.is_dir():
                return {p.name: p.read_bytes() for p in sorted(entry.iterdir()) if p.is_file()}
        with tempfile.TemporaryDirectory() as tmp:
            produced = {p.name: p.read_bytes() for p in sorted(produce(Path(tmp)))}
        if self.root is not None and cache_key is not None:
            self._store(cache_key, produced)
        return produced

    def _store(self, cache_key: str, files: dict[str, bytes]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=self.root, prefix=".tmp-"))
        for name, data in files.items():
            (staging / name).write_bytes(data)
        try:
            os.rename(staging, self.root / cache_key)
        except OSError:  # another build stored the same key first: identical content by construction
            shutil.rmtree(staging, ignore_errors=True)
