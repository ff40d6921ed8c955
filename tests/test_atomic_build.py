"""Nothing half-published: a build that fails leaves content/generated and site/ exactly as they were.

Each test works on a private project root (mkdocs.yml, overrides/, content/ and data/ copied into tmp_path) and
builds with the default paths, so the real swap into content/generated and site/ is exercised.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from mkdocs.exceptions import Abort

from generator import cli, pipeline, search
from generator.problems import DataError
from tests.conftest import FIXTURES, ROOT, add_erratum

pytestmark = pytest.mark.slow


def snapshot(*dirs: Path) -> dict[str, bytes]:
    """Every file under the given directories, by path, with its bytes."""
    out = {}
    for d in dirs:
        for path in sorted(d.rglob("*")):
            if path.is_file():
                out[path.relative_to(d.parent).as_posix()] = path.read_bytes()
    return out


@pytest.fixture
def project(tmp_path) -> pipeline.Paths:
    """A private copy of the project, built once successfully so there is something to protect."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy2(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    for name in ("content", "data"):  # what a build reads and writes: private copies
        shutil.copytree(ROOT / name, root / name)
    for entry in ROOT.iterdir():  # what mkdocs.yml may refer to (overrides/, hooks in generator/): read only
        if entry.is_dir() and not entry.name.startswith(".") and entry.name not in ("content", "data", "site", "tests"):
            (root / entry.name).symlink_to(entry)
    paths = pipeline.Paths(root)
    pipeline.build(paths, strict=True, quiet=True)
    assert (paths.site / "index.html").is_file() and (paths.generated / "index.md").is_file()
    return paths


def protected(paths: pipeline.Paths) -> dict[str, bytes]:
    return snapshot(paths.generated, paths.site)


def break_data(paths: pipeline.Paths) -> None:
    path = paths.data / "2023" / "applications.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(",追减,,2023,", ",追减,85%,2023,", 1), encoding="utf-8")
    assert "85%" in path.read_text(encoding="utf-8")


def valid_change(paths: pipeline.Paths) -> None:
    """A correction as a clerk makes it to a published year: a changed title and a new 更正说明 entry."""
    path = paths.data / "2023" / "report.yaml"
    text = path.read_text(encoding="utf-8").replace("标题: 岳池县2023年度", "标题: 岳池县2023年度（更正）", 1)
    path.write_text(text, encoding="utf-8")
    add_erratum(path, "2030-01-01", "测试用更正")


def test_bad_data_changes_nothing(project):
    before = protected(project)
    break_data(project)
    with pytest.raises(DataError) as exc:
        pipeline.build(project, strict=True, quiet=True)
    assert {(p.code, p.file, p.row) for p in exc.value.report.errors} == {
        ("bad-money", "data/2023/applications.csv", 2),
        # the first build registered the published year; changing it without an erratum is refused too
        ("frozen-year-changed", "data/2023/report.yaml", None)}
    assert protected(project) == before


def test_mkdocs_strict_failure_changes_nothing(project):
    before = protected(project)
    # A valid data change (so the new pages differ) plus a hand-written page with a broken link: MkDocs in strict
    # mode aborts after the new pages were generated aside.
    valid_change(project)
    about = project.content / "about.md"
    about.write_text(about.read_text(encoding="utf-8") + "\n[不存在的页面](no-such-page.md)\n", encoding="utf-8")
    with pytest.raises(Abort, match="warnings"):
        pipeline.build(project, strict=True, quiet=True)
    assert protected(project) == before


def test_failure_after_mkdocs_changes_nothing(project, monkeypatch):
    """Even when MkDocs succeeded, a later step failing (the search index) must not publish anything."""
    before = protected(project)
    valid_change(project)

    def fail(indexer, site_dir):
        raise search.SearchIndexError("模拟失败")

    monkeypatch.setattr(search.Indexer, "finish", fail)
    with pytest.raises(search.SearchIndexError):
        pipeline.build(project, strict=True, quiet=True)
    assert protected(project) == before


def test_cli_reports_build_failure_and_keeps_the_site(project, capsys):
    before = protected(project)
    break_data(project)
    assert cli.main(["--root", str(project.root), "build", "--quiet"]) == cli.EXIT_DATA
    err = capsys.readouterr().err
    assert "bad-money" in err and "网站未更新" in err and "Traceback" not in err
    assert protected(project) == before
    about = project.content / "about.md"
    shutil.copy2(ROOT / "data" / "2023" / "applications.csv", project.data / "2023" / "applications.csv")
    valid_change(project)
    about.write_text(about.read_text(encoding="utf-8") + "\n[不存在的页面](no-such-page.md)\n", encoding="utf-8")
    assert cli.main(["--root", str(project.root), "build", "--quiet"]) == cli.EXIT_BUILD
    assert "Traceback" not in capsys.readouterr().err
    assert protected(project) == before


def test_a_successful_build_does_replace_the_site(project):
    """The comparisons above can fail: a good change does reach both trees."""
    before = protected(project)
    valid_change(project)
    pipeline.build(project, strict=True, quiet=True)
    after = protected(project)
    assert after != before
    changed = {k for k in after if before.get(k) != after[k]}
    assert any(k.startswith("generated/") for k in changed) and any(k.startswith("site/") for k in changed)
    assert not project.work.exists()


def test_a_rebuild_starts_from_the_previous_pages_as_links_and_replaces_only_what_changed(project):
    """The staged pages are second names of content/generated's (not copies); a page that changes is a new file, so
    the previous one keeps its bytes (the failure tests above check that through a failed build)."""
    files = [p for p in project.generated.rglob("*") if p.is_file()]
    before = {p.relative_to(project.generated): (p.stat().st_ino, p.read_bytes()) for p in files}
    valid_change(project)
    pipeline.build(project, strict=True, quiet=True)
    after = {p.relative_to(project.generated): (p.stat().st_ino, p.read_bytes())
             for p in project.generated.rglob("*") if p.is_file()}
    kept = [rel for rel in before if rel in after and after[rel][1] == before[rel][1]]
    changed = [rel for rel in before if rel in after and after[rel][1] != before[rel][1]]
    assert len(kept) > 20 and changed
    assert all(after[rel][0] == before[rel][0] for rel in kept)  # the same files, not copies
    assert all(after[rel][0] != before[rel][0] for rel in changed)  # new files; the old ones were not written into


def test_downloads_enter_the_site_as_links_that_regenerating_never_writes_through(project):
    """Generated downloads (tables' CSV, open data) are put into the site as second names of the generated files,
    not copies; a later ``generate`` (or a preview) replaces the generated files it changes, so the built site
    keeps its bytes until it is built again."""
    downloads = [p for p in project.generated.rglob("*") if p.is_file() and p.suffix in (".csv", ".xlsx", ".json")
                 and p.name not in ("nav.json", "site.json")]
    assert len(downloads) > 20
    for path in downloads:
        assert (project.site / path.relative_to(project.generated)).stat().st_ino == path.stat().st_ino, path
    site_before = snapshot(project.site)
    valid_change(project)
    written, _ = pipeline.generate(project.data, project.generated, project.cache)
    rewritten = [p for p in written if p.suffix in (".xlsx", ".json", ".csv")]
    assert rewritten  # the change reached downloads that the site links to
    assert snapshot(project.site) == site_before


def test_same_data_gives_byte_identical_pages(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    pipeline.generate(FIXTURES / "rich_data", first)
    pipeline.generate(FIXTURES / "rich_data", second)
    a, b = snapshot(first), snapshot(second)
    assert a and {k.split("/", 1)[1]: v for k, v in a.items()} == {k.split("/", 1)[1]: v for k, v in b.items()}


def test_pages_do_not_depend_on_hash_order(tmp_path):
    """Two processes with different hash seeds (set and dict order of strings) write the same bytes."""
    import os
    import subprocess
    import sys

    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"seed{seed}"
        code = ("import sys; from pathlib import Path; from generator import pipeline; "
                "pipeline.generate(Path(sys.argv[1]), Path(sys.argv[2]))")
        subprocess.run([sys.executable, "-c", code, str(FIXTURES / "rich_data"), str(out)], check=True, cwd=ROOT,
                       env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True)
        outs.append({k.split("/", 1)[1]: v for k, v in snapshot(out).items()})
    assert outs[0] and outs[0] == outs[1]


def test_a_build_lists_only_hand_written_pages_left_out_of_the_navigation(project, capsys):
    """Project and department pages are meant to be outside the navigation: MkDocs does not list them (thousands of
    lines on a ten-year archive) but still names a hand-written page someone forgot to add."""
    (project.content / "extra.md").write_text("# 附页\n\n正文。\n", encoding="utf-8")
    pipeline.build(project, strict=True, quiet=False)
    err = capsys.readouterr().err
    assert "extra.md" in err
    assert "generated/departments/" not in err and "generated/2023/exante" not in err
    assert (project.site / "departments").is_dir()  # the pages are still built


def test_messages_of_the_plugin_reach_the_terminal(capsys):
    """While previewing, bad data is reported through MkDocs' log; called from Python, MkDocs alone prints nothing."""
    import logging

    pipeline.show_mkdocs_log(quiet=True)
    logging.getLogger("mkdocs.plugins.disclosure").error("数据有误，预览保留上一次的页面：测试")
    assert "数据有误，预览保留上一次的页面：测试" in capsys.readouterr().err


def test_build_says_nothing_in_english(project, capsys):
    """MkDocs' own progress lines ("Cleaning site directory", "Documentation built in …") are English and tell a
    clerk nothing: build leaves them out; its messages are Chinese."""
    from generator import cli

    assert cli.main(["--root", str(project.root), "build"]) == 0
    out, err = capsys.readouterr()
    assert "网站已生成" in out + err
    assert not re.search(r"INFO|Cleaning|Building|Documentation built", out + err), err


@pytest.mark.parametrize("where", [".", "data", "content", "..", "a-file", "a-folder-of-other-things"])
def test_an_output_folder_that_is_not_a_site_is_never_replaced(project, capsys, where):
    """``build`` swaps the whole output folder: pointed at the project, its data, or any folder that is not a site
    this tool built, it refuses before doing anything, and leaves no work folder behind."""
    root = project.root
    target = (root / where).resolve() if where in (".", "..", "data", "content") else root / where
    if where == "a-file":
        target.write_text("x", encoding="utf-8")
    elif where == "a-folder-of-other-things":
        target.mkdir()
        (target / "notes.txt").write_text("keep", encoding="utf-8")
    watched = [root / "data", root / "content", root / "mkdocs.yml", project.site]
    before = snapshot(*(p for p in watched if p.is_dir())) | {p.name: p.read_bytes() for p in watched if p.is_file()}
    code = cli.main(["--root", str(root), "--site", str(target), "build", "--quiet"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_BUILD and "网站未构建" in err and "Traceback" not in err
    after = snapshot(*(p for p in watched if p.is_dir())) | {p.name: p.read_bytes() for p in watched if p.is_file()}
    assert after == before
    assert not list(target.parent.glob(f".{target.name}.build"))
    if where == "a-folder-of-other-things":
        assert (target / "notes.txt").read_text(encoding="utf-8") == "keep"


def test_a_failed_build_leaves_no_work_folder(project):
    break_data(project)
    with pytest.raises(DataError):
        pipeline.build(project, strict=True, quiet=True)
    assert not project.work.exists()


def test_mkdocs_runs_without_the_records_in_memory_and_the_corrected_year_is_still_registered(project, monkeypatch):
    """The records are let go once the pages are made (MkDocs and Pagefind then need the memory); registering a
    corrected published year afterwards needs only the years' reports and folders."""
    from generator import cache

    held = []
    run_mkdocs = pipeline.run_mkdocs

    def watched(*args, **kwargs):
        held.append(len(cache._MEMORY))
        return run_mkdocs(*args, **kwargs)

    monkeypatch.setattr(pipeline, "run_mkdocs", watched)
    frozen = project.data / "frozen.yaml"
    before = frozen.read_text(encoding="utf-8")
    assert "更正条数: 1" in before
    valid_change(project)  # a second 更正说明 for 2023
    pipeline.build(project, strict=True, quiet=True)
    assert held == [0]
    after = frozen.read_text(encoding="utf-8")
    assert "更正条数: 2" in after and after != before
