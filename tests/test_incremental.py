"""Incremental generation: after any edit, pages rendered from the cache are byte-identical to a full build.

The generator keeps, between runs, parsed tables, per-year check results and which pages were rendered from which
inputs (generator/dependencies.py). These tests make edits of every kind to a copy of the 示例县 data, generate
incrementally after each, and compare the whole output with a build from scratch without any cache.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from generator import cache, load, pipeline, render_entities, render_year, schema
from generator.problems import DataError
from tests.conftest import unfreeze

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "shixian" / "data"


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def mtimes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def edit_cell(path: Path, row: int, column: str, change) -> None:
    rows = read_rows(path)
    i = rows[0].index(column)
    rows[row][i] = change(rows[row][i])
    write_rows(path, rows)


@pytest.fixture()
def work(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(EXAMPLE, data)
    # Edits below touch published years too; without the record of published checksums no erratum is needed.
    unfreeze(data)
    cache._MEMORY.clear()  # each test starts as a new process would: only what is on disk
    yield data, tmp_path / "out", tmp_path / "cache"
    cache._MEMORY.clear()


def assert_same_as_full_build(data: Path, out: Path, tmp: Path, name: str) -> None:
    fresh = tmp / f"fresh-{name}"
    pipeline.generate(data, fresh)  # no cache at all
    got, want = tree(out), tree(fresh)
    assert sorted(got) == sorted(want), f"{name}: files differ: {sorted(set(got) ^ set(want))[:10]}"
    differ = [k for k in want if got[k] != want[k]]
    assert not differ, f"{name}: incremental output differs from a full build in {differ[:10]}"


def test_every_kind_of_edit_matches_a_full_build(work, monkeypatch):
    data, out, cache_dir = work
    # Ten rows a list page, so records cross page boundaries when one is added or removed: project pages link to
    # the list page holding each record, and must follow.
    monkeypatch.setattr(render_year, "PAGE_ROWS", 10)
    monkeypatch.setattr(render_entities, "PAGE_ROWS", 10)
    tmp = out.parent
    pipeline.generate(data, out, cache_dir)

    written, _ = pipeline.generate(data, out, cache_dir)
    assert written == [], "nothing changed, yet files were rewritten"

    edits = {
        # text of one open rectification in the draft year (on its department's page as well)
        "rectification-text": lambda: edit_cell(data / "2024" / schema.Rectification.FILE, 2, "问题",
                                                lambda v: v + "（已修改）"),
        # a row under a goal, shown on the project page, the year's goal list and its open data
        "indicator-value": lambda: edit_cell(data / "2022" / schema.Indicator.FILE, 3, "指标值", lambda v: "99"),
        # an evaluation score in an older year: project, department, year pages and trackers
        "evaluation-score": lambda: edit_cell(data / "2023" / schema.EvaluationScore.FILE, 1, "完成值",
                                              lambda v: v + "（复核）"),
        "added-record": lambda: _add_rectification(data / "2024" / schema.Rectification.FILE),
        # a project renamed in one year: tables of that year and its department's pages name it (by its code)
        "project-renamed": lambda: edit_cell(data / "2023" / schema.Project.FILE, 2, "项目名称",
                                             lambda v: v + "（更名）"),
        "removed-goal": lambda: _remove_goal(data / "2021"),
        "settings": lambda: (data / "settings.yaml").write_text(
            (data / "settings.yaml").read_text(encoding="utf-8").replace("站点名称: ", "站点名称: 新", 1),
            encoding="utf-8"),
        "report-text": lambda: (data / "2022" / "report.yaml").write_text(
            (data / "2022" / "report.yaml").read_text(encoding="utf-8") + "\n", encoding="utf-8"),
        # A 2024 rectification of a 2022 evaluation: the project (not in 2024's lists) now shows a 2024 record;
        # once it is removed the project page shows 2024 no more, and must still be rendered again
        # (render.Writer.keep_untouched looks at the years a page showed at the last build too).
        "cross-year-reference-added": lambda: _add_rectification(
            data / "2024" / schema.Rectification.FILE, "整改2024-9998",
            {"来源类型": "绩效评价", "来源编号": "评价2022-0028", "单位名称": "示例县教育局",
             "项目编码": "51999921R0000043"}),
        # That project, named in 2024's list by the name the nearest earlier published year gives it (2024 has no row for
        # it), renamed there: 2024's pages, whose own files did not change, must show the new name.
        "cross-year-project-renamed": lambda: _rename_project(data / "2023", "51999921R0000043", "（更名）"),
        "cross-year-reference-removed": lambda: write_rows(
            data / "2024" / schema.Rectification.FILE,
            [r for r in read_rows(data / "2024" / schema.Rectification.FILE) if r[0] != "整改2024-9998"]),
        # A table left with its header only shows 0 where a table not published shows "—" (department pages).
        # (The report then cannot cite a figure counted from that table, empty or gone: its sentence changes too.)
        "table-emptied": lambda: (write_rows(data / "2022" / schema.Rectification.FILE,
                                             read_rows(data / "2022" / schema.Rectification.FILE)[:1]),
                                  (data / "2022" / "report.yaml").write_text(
                                      (data / "2022" / "report.yaml").read_text(encoding="utf-8")
                                      .replace("{{未完成整改数}}", "若干"), encoding="utf-8")),
        "table-removed": lambda: (data / "2022" / schema.Rectification.FILE).unlink(),
    }
    for name, edit in edits.items():
        edit()
        pipeline.generate(data, out, cache_dir)
        assert_same_as_full_build(data, out, tmp, name)


def _add_rectification(path: Path, rid: str = "整改2024-9999", values: dict[str, str] | None = None) -> None:
    rows = read_rows(path)
    new = list(rows[1])
    for column, value in {"整改编号": rid, **(values or {})}.items():
        new[rows[0].index(column)] = value
    rows.insert(1, new)  # first in the list: every later row moves down one place
    write_rows(path, rows)


def _rename_project(year_dir: Path, code: str, suffix: str) -> None:
    rows = read_rows(year_dir / schema.Project.FILE)
    write_rows(year_dir / schema.Project.FILE, [r[:1] + [r[1] + suffix] + r[2:] if r[0] == code else r for r in rows])


def test_a_list_names_a_project_its_year_has_no_row_for_by_the_nearest_earlier_published_years_name(work):
    """A 2024 rectification of a project funded until 2023: 2024's tables name it as 2023 did, not by bare code."""
    data, out, cache_dir = work
    _add_rectification(data / "2024" / schema.Rectification.FILE, "整改2024-9998",
                       {"来源类型": "绩效评价", "来源编号": "评价2022-0028", "单位名称": "示例县教育局",
                        "项目编码": "51999921R0000043"})
    _rename_project(data / "2023", "51999921R0000043", "（2023年名称）")
    # Never a later year's name: a published year's pages stay as they were when a later year is published.
    _add_rectification(data / "2022" / schema.Rectification.FILE, "整改2022-9997", {"项目编码": "51999923R0000086"})
    pipeline.generate(data, out, cache_dir)
    row = next(line for line in (out / "2024" / "rectifications" / "index.md").read_text(encoding="utf-8").splitlines()
               if "整改2024-9998" in line)
    assert "城东街道学校食堂设施设备购置（2023年名称）</a>" in row, row
    unit = (out / "departments" / "999001" / "2024.md")
    assert "城东街道学校食堂设施设备购置（2023年名称）" in unit.read_text(encoding="utf-8")
    row = next(line for line in (out / "2022" / "rectifications" / "index.md").read_text(encoding="utf-8").splitlines()
               if "整改2022-9997" in line)
    assert ">51999923R0000086</a>" in row and "双河镇全民健身设施建设" not in row, row


def _remove_goal(year_dir: Path) -> None:
    goals = read_rows(year_dir / schema.Goal.FILE)
    gid = goals[5][0]
    write_rows(year_dir / schema.Goal.FILE, [r for r in goals if r[0] != gid])
    indicators = read_rows(year_dir / schema.Indicator.FILE)
    write_rows(year_dir / schema.Indicator.FILE, [r for r in indicators if r[0] != gid])


def test_one_record_rewrites_only_its_pages(work):
    data, out, cache_dir = work
    pipeline.generate(data, out, cache_dir)
    before = mtimes(out)
    edit_cell(data / "2024" / schema.Rectification.FILE, 1, "问题", lambda v: v + "（已修改）")
    written, _ = pipeline.generate(data, out, cache_dir)
    after = mtimes(out)
    rewritten = {k for k in after if after[k] != before.get(k)}
    assert {p.relative_to(out).as_posix() for p in written} == rewritten
    assert 0 < len(rewritten) <= 15, sorted(rewritten)
    assert any(k.startswith("2024/rectifications") for k in rewritten)
    assert not any(k.startswith(("2021/", "2022/", "2023/")) for k in rewritten)


def test_after_an_edit_only_projects_showing_that_year_have_their_key_worked_out(work, monkeypatch):
    from generator import dependencies

    data, out, cache_dir = work
    pipeline.generate(data, out, cache_dir)
    edit_cell(data / "2022" / schema.Rectification.FILE, 1, "问题", lambda v: v + "（已修改）")
    keyed, years = [], {}
    real_key, real_years = dependencies.project_key, dependencies.project_years
    monkeypatch.setattr(dependencies, "project_key", lambda site, h, pos: keyed.append(h.code) or real_key(site, h, pos))
    monkeypatch.setattr(dependencies, "project_years", lambda h: years.setdefault(h.code, real_years(h)))
    pipeline.generate(data, out, cache_dir)
    showing_2022 = {code for code, ys in years.items() if 2022 in ys}
    assert set(keyed) == showing_2022 and 0 < len(keyed) < len(years)
    assert_same_as_full_build(data, out, out.parent, "keys")


def test_after_an_edit_only_that_years_department_parts_are_worked_out(work, monkeypatch):
    from generator import dependencies

    data, out, cache_dir = work
    pipeline.generate(data, out, cache_dir)
    edit_cell(data / "2022" / schema.Rectification.FILE, 1, "问题", lambda v: v + "（已修改）")
    cache._MEMORY.clear()  # as a new process: the parts of the other years come from the disk
    worked = []
    real = dependencies._department_year_part
    monkeypatch.setattr(dependencies, "_department_year_part", lambda dy: worked.append(dy.year) or real(dy))
    pipeline.generate(data, out, cache_dir)
    assert worked and set(worked) == {2022}
    assert_same_as_full_build(data, out, out.parent, "department-keys")


def test_department_keys_are_the_same_with_stored_parts_and_fresh_for_a_record_without_digest(work):
    from generator import dependencies, model
    from generator.cache import ObjectCache
    from generator.lifecycle import department_histories

    data, _, cache_dir = work
    ds, report = pipeline.validate(data)
    assert report.ok
    departments = department_histories(model.build_archive(ds))
    year_keys = pipeline.year_keys(ds)
    store = ObjectCache(cache_dir / "keys")
    plain = dependencies.department_keys("site", departments, year_keys)
    assert dependencies.department_keys("site", departments, year_keys, store) == plain
    cache._MEMORY.clear()
    assert dependencies.department_keys("site", departments, year_keys, store) == plain  # from the disk
    assert dependencies.department_keys("other", departments, year_keys, store) != plain

    # A record built in code has no digest: its department's key is new every time (its part is never stored),
    # and the others' are as before.
    name, history = next((n, d) for n, d in departments.items() if any(dy.rectifications for dy in d.years))
    record = next(r for dy in history.years for r in dy.rectifications)
    record.__pydantic_private__["_digest"] = None
    cache._MEMORY.clear()
    store = ObjectCache(cache_dir / "other-keys")
    once = dependencies.department_keys("site", departments, year_keys, store)
    cache._MEMORY.clear()
    again = dependencies.department_keys("site", departments, year_keys, store)
    assert once[name] != plain[name] and once[name] != again[name]
    assert {n: k for n, k in once.items() if n != name} == {n: k for n, k in plain.items() if n != name}


def test_a_page_changed_by_hand_is_rendered_again(work):
    data, out, cache_dir = work
    pipeline.generate(data, out, cache_dir)
    page = next((out / "projects").glob("*.md"))
    original = page.read_bytes()
    page.write_bytes(original + b"\nedited by hand\n")
    pipeline.generate(data, out, cache_dir)
    assert page.read_bytes() == original
    page.unlink()
    pipeline.generate(data, out, cache_dir)
    assert page.read_bytes() == original


def test_cached_validation_reports_the_same_problems(work):
    data, out, cache_dir = work
    edit_cell(data / "2023" / schema.Project.FILE, 2, "金额", lambda v: "12万元")
    edit_cell(data / "2024" / schema.Goal.FILE, 3, "年度资金总额", lambda v: "0.00")
    report_file = data / "2022" / "report.yaml"  # parsed report.yaml files are cached as well
    report_file.write_text(report_file.read_text(encoding="utf-8").replace("成文日期: ", "成文日期: 去年", 1),
                           encoding="utf-8")
    reports = []
    for _ in range(3):  # parsed, then from memory, then from disk as in a new process
        with pytest.raises(DataError) as caught:
            pipeline.generate(data, out, cache_dir)
        reports.append(caught.value.report.as_text())
        if len(reports) == 2:
            cache._MEMORY.clear()
    uncached = pipeline.validate(data)[1].as_text()
    assert reports[0] == reports[1] == reports[2] == uncached
    assert "bad-money" in uncached and "total-mismatch" in uncached
    assert "2022/report.yaml" in uncached and "成文日期" in uncached


def test_bundles_made_in_a_worker_or_here_are_the_same(work, monkeypatch):
    from generator import exports

    data, out, _ = work
    pipeline.generate(data, out)  # forks a worker where it can (Linux, several CPUs, no other thread)
    monkeypatch.setattr(exports, "_can_fork", lambda: False)
    here = out.parent / "here"
    pipeline.generate(data, here)
    assert tree(out) == tree(here)


def test_a_bundle_that_fails_stops_the_build_and_leaves_no_worker(work, monkeypatch):
    """An error making a bundle, in the worker or here, fails the generation (it does not hang or skip the year)."""
    import multiprocessing

    from generator import exports, opendata

    data, out, _ = work

    def broken(year, dest, **kw):
        raise OSError("磁盘已满（模拟）")

    monkeypatch.setattr(opendata, "export_year", broken)
    with pytest.raises((OSError, exports.WorkerError), match="磁盘已满"):
        pipeline.generate(data, out.parent / "broken")
    assert multiprocessing.active_children() == []


def test_the_year_whose_bundle_must_be_made_is_read_first_and_its_bundle_begun_before_the_rest(work, monkeypatch):
    """After an edit to 2024 the worker is forked before anything is read and starts on 2024's open data as soon as
    2024 is read, not after all four years are read and checked; the output is still that of a full build."""
    from generator import dataset, exports

    data, out, cache_dir = work
    pipeline.generate(data, out, cache_dir)
    edit_cell(data / "2024" / schema.Rectification.FILE, 1, "问题", lambda v: v + "（已修改）")
    events = []
    real_read, real_begin, real_ready = dataset.cached_year, exports.Exports.begin, exports.Exports.ready
    real_here = exports.Exports._here
    monkeypatch.setattr(dataset, "cached_year", lambda root, d, year, *a: events.append(year) or real_read(root, d, year, *a))

    def begin(self, years, load):
        real_begin(self, years, load)
        events.append(("begin", years, self._worker is not None))

    monkeypatch.setattr(exports.Exports, "begin", begin)
    monkeypatch.setattr(exports.Exports, "ready", lambda self, y: events.append(("ready", y)) or real_ready(self, y))
    monkeypatch.setattr(exports.Exports, "_here", lambda self, y: events.append(("here", y)) or real_here(self, y))
    pipeline.generate(data, out, cache_dir)
    forked = events[0][2]
    if forked:  # the worker reads 2024 on its own; this process reads it last (see the next test)
        assert events[:5] == [("begin", [2024], True), 2021, 2022, 2023, 2024], events
    else:
        assert events[:6] == [("begin", [2024], False), 2024, ("ready", 2024), 2021, 2022, 2023], events
    assert (("here", 2024) in events) is not forked  # made by the worker where there is one
    assert_same_as_full_build(data, out, out.parent, "early-bundle")


def test_after_an_edit_the_changed_table_is_parsed_once_by_the_worker_and_taken_from_the_cache(work, monkeypatch):
    """The worker reads the edited year itself; this process reads that year after the others and, once the
    worker has put the changed table in the cache, takes it from there instead of parsing it a second time."""
    import os
    import time

    from generator import dataset, exports

    data, out, cache_dir = work
    if not exports._can_fork():
        pytest.skip("这台机器或此进程不另起子进程（单 CPU，或已有其他线程）")
    pipeline.generate(data, out, cache_dir)
    edit_cell(data / "2024" / schema.Rectification.FILE, 1, "问题", lambda v: v + "（再次修改）")
    tables = cache_dir / "years"
    before = set(tables.glob("*.pickle"))
    main = os.getpid()
    parsed = []
    real_parse, real_read = dataset.parse_table, dataset.cached_year

    def parse(raw, model, *a, **k):
        if os.getpid() == main:
            parsed.append(model.__name__)
        return real_parse(raw, model, *a, **k)

    def read(root, d, year, *a):
        if year == 2024 and os.getpid() == main:
            deadline = time.monotonic() + 60  # (this test waits for the worker; the build never does)
            while not set(tables.glob("*.pickle")) - before and time.monotonic() < deadline:
                time.sleep(0.01)  # until the worker has put its parse of the changed table in the cache
            assert set(tables.glob("*.pickle")) - before, "the worker did not put the changed table in the cache"
        return real_read(root, d, year, *a)

    monkeypatch.setattr(dataset, "parse_table", parse)
    monkeypatch.setattr(dataset, "cached_year", read)
    pipeline.generate(data, out, cache_dir)
    assert parsed == [], parsed
    assert_same_as_full_build(data, out, out.parent, "worker-parsed")


def test_wrong_data_found_after_a_bundle_was_begun_stops_its_worker(work, monkeypatch):
    import multiprocessing

    from generator import exports

    data, out, cache_dir = work
    if not exports._can_fork():
        pytest.skip("这台机器或此进程不另起子进程（单 CPU，或已有其他线程）")
    pipeline.generate(data, out, cache_dir)
    before = tree(out)
    # Each row is valid, so 2024 is read without error and its bundle begun; the goal's project does not exist,
    # which the checks across tables find after every year is read.
    edit_cell(data / "2024" / schema.Goal.FILE, 1, "项目编码", lambda v: "51999999R9999999")
    forked = []
    real_begin = exports.Exports.begin

    def begin(self, years, load):
        real_begin(self, years, load)
        forked.append(self._worker is not None)

    monkeypatch.setattr(exports.Exports, "begin", begin)
    with pytest.raises(DataError) as raised:
        pipeline.generate(data, out, cache_dir)
    assert forked == [True]
    assert "unknown-reference" in {p.code for p in raised.value.report.errors}
    assert multiprocessing.active_children() == []
    assert tree(out) == before


def test_a_bundle_the_worker_made_from_files_changed_meanwhile_is_made_again_here(work, monkeypatch):
    """The worker reads the edited year on its own, at once; if the clerk saves the file again before this process
    reads it, the worker's key is not the one the pages were made from, and its bundle is not used."""
    import time

    from generator import exports

    data, out, cache_dir = work
    if not exports._can_fork():
        pytest.skip("这台机器或此进程不另起子进程（单 CPU，或已有其他线程）")
    pipeline.generate(data, out, cache_dir)
    edit_cell(data / "2024" / schema.Rectification.FILE, 1, "问题", lambda v: v + "（已修改）")
    real_load, real_validate, real_here, made_here = pipeline._load_year, pipeline.validate, exports.Exports._here, []
    saved_again = out.parent / "saved-again"

    def load(*args):  # in the worker, once it has read 2024: the clerk saves the file again
        loaded = real_load(*args)
        edit_cell(data / "2024" / schema.Rectification.FILE, 1, "问题", lambda v: v + "（再改）")
        saved_again.touch()
        return loaded

    def validate(*args, **kwargs):  # in this process: it reads the data only after that second save
        deadline = time.monotonic() + 60
        while not saved_again.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert saved_again.exists(), "子进程未读取 2024 年度"
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_load_year", load)
    monkeypatch.setattr(pipeline, "validate", validate)
    monkeypatch.setattr(exports.Exports, "_here", lambda self, y: made_here.append(y) or real_here(self, y))
    pipeline.generate(data, out, cache_dir)
    assert made_here == [2024]
    generated = (out / "2024" / "data" / "2024-全部数据.json").read_text(encoding="utf-8")
    assert "（已修改）（再改）" in generated  # as the pages show it, not as the worker read it
    page = (out / "2024" / "rectifications" / "index.md").read_text(encoding="utf-8")
    assert "（已修改）（再改）" in page


def test_a_cache_that_cannot_be_written_does_not_stop_the_build(work):
    data, out, _ = work
    blocked = out.parent / "cache-is-a-file"
    blocked.write_text("not a folder", encoding="utf-8")  # every write under it fails, even for root
    pipeline.generate(data, out, blocked)
    reference = out.parent / "reference"
    pipeline.generate(data, reference)
    assert tree(out) == tree(reference)


def test_parsed_tables_come_back_from_a_pickle_as_they_were_parsed():
    """The cache pickles a table's records compactly (dataset.TableRecords); loaded again, each record equals the
    parsed one: same class, fields, fields set, source row and digest, and can be changed on its own."""
    import pickle

    from generator import dataset
    from generator.problems import Report

    for name, model in (("goals.csv", schema.Goal), ("indicators.csv", schema.Indicator),
                        ("rectifications.csv", schema.Rectification)):
        path = ROOT / "examples" / "shixian" / "data" / "2024" / name
        raw = load.read_csv(path, name, Report())
        records = dataset.parse_table(raw, model, Report())
        assert records
        back = pickle.loads(pickle.dumps(dataset.TableRecords(records), protocol=pickle.HIGHEST_PROTOCOL))
        assert type(back) is dataset.TableRecords and len(back) == len(records)
        for a, b in zip(records, back, strict=True):
            assert type(b) is type(a) and b == a and b.model_dump() == a.model_dump()
            assert b.source == a.source and b.__pydantic_private__ == a.__pydantic_private__
            assert b.model_fields_set == a.model_fields_set
        back[0].__pydantic_private__["_digest"] = "changed"
        assert records[0].__pydantic_private__["_digest"] != "changed"
    assert pickle.loads(pickle.dumps(dataset.TableRecords([]))) == []


def test_a_changed_table_reuses_the_records_of_its_unchanged_rows_as_a_parse_from_scratch_makes_them(tmp_path):
    """After an edit, the rows of a table whose values are those of the last parse are not validated again
    (dataset.parse_table's ``previous``). Rows moved, inserted, changed, made bad, and one with a full-width number
    (a notice): the records, their source rows and digests, and the problems are those of a parse from scratch."""
    from unittest import mock

    from generator import dataset
    from generator.cache import ObjectCache
    from generator.problems import Report

    source = ROOT / "examples" / "shixian" / "data" / "2024" / "indicators.csv"
    header, *rows = source.read_text(encoding="utf-8").splitlines()
    assert len(rows) > 6
    rows[3] = rows[3].replace(",12,", ",１２,")  # weight 12 in full-width digits: read as 12, with a notice
    assert "１２" in rows[3]
    path = tmp_path / "indicators.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    cache = ObjectCache(tmp_path / "cache")

    def parse() -> tuple[list, list]:
        report = Report()
        records = dataset._cached_table(tmp_path, path, schema.Indicator, report, None, cache)
        return records, report.problems

    first, first_problems = parse()
    assert any(p.code == "normalised-number" for p in first_problems)
    edited = list(rows)
    edited.insert(1, rows[0].replace(",是,是,", ",否,是,"))  # a new row, like the first but for 示例
    edited[5] = edited[5].replace(",≥,", ",≤,")  # one changed
    edited[6] = edited[6].replace(",是,是,", ",也许,是,")  # one made bad
    edited.append(edited.pop(2))  # one moved to the end
    path.write_text("\n".join([header, *edited]) + "\n", encoding="utf-8")
    seen = []
    real_again = dataset._again
    with mock.patch.object(dataset, "_again", lambda *a: seen.append(a[3]) or real_again(*a)):
        again, again_problems = parse()
    fresh_report = Report()
    name = dataset._name(tmp_path, path)
    fresh = dataset.parse_table(load.read_csv(path, name, fresh_report), schema.Indicator, fresh_report)
    assert len(seen) >= len(rows) - 3  # most rows were taken from the first parse
    assert len(again) == len(fresh) and len(again) == len(edited) - 1
    for a, b in zip(again, fresh, strict=True):
        assert type(a) is type(b) and a.model_dump() == b.model_dump()
        assert a.__pydantic_private__ == b.__pydantic_private__ and a.model_fields_set == b.model_fields_set
    assert [p.__dict__ for p in again_problems] == [p.__dict__ for p in fresh_report.problems]
    assert any(p.code == "normalised-number" for p in again_problems)
    assert again.unread == fresh.unread and again.failed == fresh.failed == 1
    # The reused records are objects of their own: the first parse's are not changed with them.
    again[0].__pydantic_private__["_digest"] = "changed"
    assert "changed" not in {r.__pydantic_private__["_digest"] for r in first}


def test_prune_removes_only_entries_unused_for_long(tmp_path):
    import os
    import time

    old, recent = tmp_path / "years" / "old.pickle", tmp_path / "years" / "recent.pickle"
    bundle = tmp_path / "opendata" / "oldkey"
    bundle.mkdir(parents=True)
    old.parent.mkdir()
    (bundle / "a.csv").write_text("x", encoding="utf-8")
    old.write_bytes(b"x")
    recent.write_bytes(b"y")
    month_ago = time.time() - 30 * 86400
    os.utime(old, (month_ago, month_ago))
    os.utime(bundle, (month_ago, month_ago))
    assert cache.prune(tmp_path) == 2
    assert not old.exists() and not bundle.exists() and recent.exists()


def test_generation_leaves_the_collector_on_and_does_not_pile_up_frozen_objects(work):
    """Generation pauses the cyclic garbage collector and freezes what is alive at its end (pipeline._generate).
    A preview regenerates after every edit: each archive must still be freed when the next replaces it."""
    import gc

    data, out, cache_dir = work
    counts = []
    for _ in range(3):
        pipeline.generate(data, out, cache_dir)
        assert gc.isenabled()
        counts.append(gc.get_freeze_count())
    assert counts[0] > 10_000  # the archive just generated is among the frozen objects
    assert counts[2] <= counts[1] * 1.05, counts
    with pytest.raises(DataError):
        edit_cell(data / "2024" / schema.Project.FILE, 1, "金额", lambda v: "12%")
        pipeline.generate(data, out, cache_dir)
    assert gc.isenabled()
    gc.unfreeze()
