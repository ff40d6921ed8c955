"""Shared fixtures: the project root, built example sites (built once per session), golden-file switch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator import pipeline

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/ from the current generator output instead of comparing")


def pytest_collection_modifyitems(config, items):
    """Browser tests run last. Their session fixtures serve the built sites from a thread that lives until the end
    of the session, and a process with another thread does not fork the open-data worker (generator/exports.py),
    which the other tests exercise (some would be skipped, all would take the path without the worker)."""
    items.sort(key=lambda item: item.path.parent.name == "browser")


@pytest.fixture(scope="session")
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


def unfreeze(data: Path) -> None:
    """For tests that edit published years freely: no register of published years (data/frozen.yaml), and no errata,
    which would say a year was published and registered before (generator/freeze.py)."""
    import re

    (data / "frozen.yaml").unlink(missing_ok=True)
    for report in data.glob("*/report.yaml"):
        text = report.read_text(encoding="utf-8")
        report.write_text(re.sub(r"(?m)^更正说明:\n(?:[- ] .*\n)*", "更正说明: []\n", text), encoding="utf-8")


def add_erratum(report: Path, on: str, description: str, changes: str = "测试用的变更内容") -> None:
    """Append an entry to a report's 更正说明 (the list made if there is none), as staff correct a published year.
    A build other than the plain local one accepts the correction once it is registered (``register``)."""
    import re

    text = report.read_text(encoding="utf-8")
    item = f"  - 日期: {on}\n    说明: {description}\n    变更内容: {changes}\n"
    block = re.search(r"(?m)^更正说明:\n(?:[- ] .*\n)*", text)
    if block is None:
        text = text.rstrip("\n") + "\n更正说明:\n" + item
    else:
        text = text[:block.end()] + item + text[block.end():]
    report.write_text(text, encoding="utf-8")


def register(data: Path, year: int) -> None:
    """Register a corrected published year in data/frozen.yaml, as staff do before committing (generator/freeze.py)."""
    from generator import cli

    assert cli.main(["--root", str(ROOT), "--data", str(data), "freeze", str(year)]) == 0


def build_site(data_dir: Path, site_dir: Path) -> Path:
    """Build a site from ``data_dir`` into ``site_dir`` with the project's mkdocs.yml and content/, as CI does: a
    published year must be registered as it is. Fixtures without a register (tests/fixtures/rich_data, which tests
    change freely) are built as the preview builds them: their published year was never registered."""
    from generator import freeze

    unregistered = None if (data_dir / "frozen.yaml").exists() else freeze.Unregistered.TELL
    pipeline.build(pipeline.Paths(ROOT, data_dir, site_dir), strict=True, quiet=True, unregistered=unregistered)
    return site_dir


@pytest.fixture(scope="session")
def example_site(tmp_path_factory) -> Path:
    """The bundled 岳池县 example, built once for the whole session."""
    return build_site(ROOT / "data", tmp_path_factory.mktemp("yuechi") / "site")


@pytest.fixture(scope="session")
def shixian_site(tmp_path_factory) -> Path:
    """The bundled synthetic four-year 示例县 example (examples/shixian), built once for the whole session."""
    return build_site(ROOT / "examples" / "shixian" / "data", tmp_path_factory.mktemp("shixian") / "site")


@pytest.fixture
def rich(tmp_path) -> Path:
    """A private copy of tests/fixtures/rich_data (a fictional 示例县 with every kind of record) to break on purpose."""
    dest = tmp_path / "data"
    shutil.copytree(FIXTURES / "rich_data", dest)
    return dest


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A private copy of the bundled data to break on purpose."""
    dest = tmp_path / "data"
    shutil.copytree(ROOT / "data", dest)
    return dest
