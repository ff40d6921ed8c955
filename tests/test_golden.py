"""Generated Markdown of the bundled example equals the reviewed golden copy.

Regenerate after an intended change:  .venv/bin/python -m pytest tests/test_golden.py --update-golden
then review the diff of tests/golden/ like any other change.
"""

from __future__ import annotations

import shutil

from generator import pipeline
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden" / "yuechi"


def _files(base):
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


def test_generated_markdown_matches_golden(tmp_path, update_golden):
    out = tmp_path / "generated"
    pipeline.generate(ROOT / "data", out)
    if update_golden:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(out, GOLDEN)
    produced, expected = _files(out), _files(GOLDEN)
    assert sorted(produced) == sorted(expected)
    for name in produced:
        assert produced[name] == expected[name], f"{name} differs from tests/golden/yuechi/{name}"


def test_generation_is_deterministic(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    pipeline.generate(ROOT / "data", first)
    pipeline.generate(ROOT / "data", second)
    assert _files(first) == _files(second)
