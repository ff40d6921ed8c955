"""The preview (``serve``): after its first build, MkDocs builds again only the pages whose files changed, and the
result is still the site a full build makes from the same files.

These tests drive the builds ``serve`` runs (the plugin regenerating from data/ before each, MkDocs' dirty builds)
without the web server, on a copy of the 示例县 project, and compare the preview's folder after each edit with a
clean build of the same sources, file by file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from mkdocs.commands.build import build

from generator import cache, pipeline, schema, serve
from tests.conftest import unfreeze

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "shixian" / "data"


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def mtimes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*.html")}


@pytest.fixture()
def project(tmp_path, monkeypatch):
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", root)
    shutil.copytree(ROOT / "overrides", root / "overrides")
    shutil.copytree(ROOT / "content", root / "content", ignore=shutil.ignore_patterns("generated"))
    shutil.copytree(EXAMPLE, root / "data")
    unfreeze(root / "data")  # edits below touch a published year; no erratum needed without the register
    paths = pipeline.Paths(root)
    cache._MEMORY.clear()
    pipeline.generate(paths.data, paths.generated, paths.cache)  # as serve does before its first build
    monkeypatch.setenv(serve.REGENERATE_ENV, str(paths.data))
    monkeypatch.setenv(serve.CACHE_ENV, str(paths.cache))
    monkeypatch.chdir(root)
    yield paths
    cache._MEMORY.clear()


def assert_same_as_a_clean_build(preview: serve.PreviewBuilds, reference: Path) -> None:
    shutil.rmtree(reference, ignore_errors=True)
    build(serve.PreviewBuilds(preview.config_file, reference).load(), serve_url=serve.PREVIEW_URL)  # clean
    got, want = tree(preview.site_dir), tree(reference)
    assert sorted(got) == sorted(want), sorted(set(got) ^ set(want))[:10]
    differ = [name for name in want if got[name] != want[name]]
    assert not differ, f"the preview differs from a clean build in {differ[:10]}"


def _edit_first_row(path: Path, column: str, mark: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    cells = lines[1].rstrip("\n").split(",")
    cells[header.index(column)] += mark
    lines[1] = ",".join(cells) + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def test_an_edit_rebuilds_only_its_pages_and_the_preview_is_the_full_site(project, tmp_path):
    with serve.PreviewBuilds(project.config, tmp_path / "preview") as preview:
        before = mtimes(preview.site_dir)
        assert len(before) > 100

        _edit_first_row(project.data / "2024" / schema.Rectification.FILE, "问题", "（预览中修改）")
        preview.build()
        after = mtimes(preview.site_dir)
        rebuilt = {name for name in after if after[name] != before.get(name)}
        assert "2024/rectifications/index.html" in rebuilt
        assert "（预览中修改）" in (preview.site_dir / "2024/rectifications/index.html").read_text(encoding="utf-8")
        assert 0 < len(rebuilt) < len(after) // 10, sorted(rebuilt)
        assert "2021/index.html" not in rebuilt and "guide/index.html" not in rebuilt
        assert_same_as_a_clean_build(preview, tmp_path / "reference")


def test_a_change_every_page_shows_rebuilds_them_all(project, tmp_path):
    with serve.PreviewBuilds(project.config, tmp_path / "preview") as preview:
        settings = project.data / "settings.yaml"
        settings.write_text(settings.read_text(encoding="utf-8").replace("站点名称: ", "站点名称: 预览", 1),
                            encoding="utf-8")
        preview.build()  # the pages are regenerated: the navigation and site settings are read as they were
        preview.build()  # as serve does next, the regenerated files having changed under it
        guide = (preview.site_dir / "guide/index.html").read_text(encoding="utf-8")
        assert "预览" in guide.split("<title>", 1)[1].split("</title>", 1)[0]  # a hand-written page, unchanged
        assert_same_as_a_clean_build(preview, tmp_path / "reference")


def test_a_page_whose_file_is_gone_leaves_the_preview(project, tmp_path):
    with serve.PreviewBuilds(project.config, tmp_path / "preview") as preview:
        note = project.content / "note.md"
        note.write_text("# 临时说明\n\n预览中新增的页面。\n", encoding="utf-8")
        preview.build()
        assert (preview.site_dir / "note/index.html").exists()
        note.unlink()
        preview.build()
        assert not (preview.site_dir / "note/index.html").exists()
        assert_same_as_a_clean_build(preview, tmp_path / "reference")


def test_builds_elsewhere_while_previewing_leave_the_preview_alone(project, tmp_path):
    with serve.PreviewBuilds(project.config, tmp_path / "preview") as preview:
        kept = tree(preview.site_dir)
        build(serve.PreviewBuilds(project.config, tmp_path / "other").load(), serve_url=serve.PREVIEW_URL, dirty=True)
        assert tree(preview.site_dir) == kept
        assert (tmp_path / "other" / "index.html").exists()
    # After the preview ends, a build is a build again (MkDocs keeps the plugin for the life of the process).
    plugin = preview.config.plugins["disclosure"]
    assert plugin._preview is False and plugin._previewed is None


def test_bad_data_while_previewing_keeps_the_last_good_pages_served(project, tmp_path, caplog):
    """A data mistake made while previewing is told (in Chinese) and the build goes on with the last good pages:
    counted as a MkDocs error under strict: true it stopped the build, and MkDocs' server then held every request
    until the data were fixed (the browser waited instead of showing the page, contrary to the guide)."""
    projects = project.data / "2024" / "projects.csv"
    with serve.PreviewBuilds(project.config, tmp_path / "preview") as preview:
        page = preview.site_dir / "2024/projects/index.html"
        good = page.read_bytes()
        text = projects.read_text(encoding="utf-8")
        amount = text.splitlines()[1].split(",")[6]
        projects.write_text(text.replace(f",{amount},", f",{amount}万,", 1), encoding="utf-8")
        with caplog.at_level("ERROR", logger=pipeline.PREVIEW_LOGGER):
            preview.build()  # (raised mkdocs' Abort before)
        told = [r.getMessage() for r in caplog.records if r.name == pipeline.PREVIEW_LOGGER]
        assert told and "预览保留上一次的页面" in told[0] and "bad-money" in told[0]
        assert page.read_bytes() == good
        name = text.splitlines()[1].split(",")[1]
        projects.write_text(text.replace(f",{name},", f",{name}（改正后）,", 1), encoding="utf-8")
        preview.build()  # fixed (and one more change): the preview follows again
        assert "（改正后）" in page.read_text(encoding="utf-8")


def test_a_preview_address_already_taken_is_said_in_chinese_with_another_to_use(project, capsys):
    """The port in use was "无法完成：Address already in use。没有写入任何数据文件" — English, no port, no --addr."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert serve.serve(project, f"127.0.0.1:{port}") == 1
    err = capsys.readouterr().err
    assert f"地址 127.0.0.1:{port} 已被占用" in err and f"--addr 127.0.0.1:{port + 1}" in err
    assert "Address already in use" not in err
