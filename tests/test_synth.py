"""Synthetic data (generator/synth.py): valid, deterministic, realistic enough to exercise every rule; the bench."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from generator import pipeline, schema, synth
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "shixian" / "data"


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "S"
    synth.generate("S", out, seed=7)
    return out


def test_bundled_example_is_exactly_what_the_command_writes(tmp_path):
    fresh = tmp_path / "data"
    synth.generate("example", fresh)
    committed = sorted(p.relative_to(EXAMPLE).as_posix() for p in EXAMPLE.rglob("*") if p.is_file())
    regenerated = sorted(p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file())
    assert regenerated == committed
    for rel in committed:
        assert (fresh / rel).read_bytes() == (EXAMPLE / rel).read_bytes(), f"{rel} 与重新生成的不一致"


@pytest.mark.parametrize("data", ["S", "example"])
def test_synthetic_data_passes_validation_without_any_problem(data, small):
    _, report = pipeline.validate(small if data == "S" else EXAMPLE)
    assert report.errors == [] and report.notices == [], report.as_text()


def test_same_seed_same_bytes_other_seed_other_data(tmp_path, small):
    again = tmp_path / "again"
    synth.generate("S", again, seed=7)
    other = tmp_path / "other"
    synth.generate("S", other, seed=8)
    for path in small.rglob("*.csv"):
        rel = path.relative_to(small)
        assert (again / rel).read_bytes() == path.read_bytes()
    assert (other / "2025" / "projects.csv").read_bytes() != (small / "2025" / "projects.csv").read_bytes()


def test_every_table_has_the_schema_columns(small):
    for model in schema.TABLES:
        with (small / "2025" / model.FILE).open(encoding="utf-8") as f:
            header = next(csv.reader(f))
        assert sorted(header) == sorted(model.alias_of(n) for n in model.model_fields), model.FILE


def test_every_record_is_marked_sample_and_some_are_withheld():
    withheld = Counter()
    for model in schema.TABLES:
        for path in EXAMPLE.glob(f"*/{model.FILE}"):
            for row in read_rows(path):
                assert row["示例"] == "是", f"{path} 有未标示例的记录"
                withheld[model.FILE] += row["公开"] == "否"
    assert withheld["projects.csv"] > 0 and withheld["rectifications.csv"] > 0
    contacts = [r["内部联系人"] for p in EXAMPLE.glob("*/rectifications.csv") for r in read_rows(p)]
    assert contacts and all(contacts)
    for year in ("2021", "2022", "2023", "2024"):
        assert "示例数据" in (EXAMPLE / year / "report.yaml").read_text(encoding="utf-8")


def test_example_spans_four_years_with_recurring_projects_and_a_draft():
    codes = Counter()
    total = 0
    for path in sorted(EXAMPLE.glob("*/projects.csv")):
        rows = read_rows(path)
        total += len(rows)
        codes.update({r["项目编码"] for r in rows})
    assert 250 <= total <= 350
    assert sum(1 for n in codes.values() if n == 4) >= 30  # projects with a lifecycle across all four years
    assert "状态: 草稿" in (EXAMPLE / "2024" / "report.yaml").read_text(encoding="utf-8")
    assert "状态: 已发布" in (EXAMPLE / "2023" / "report.yaml").read_text(encoding="utf-8")


def test_years_are_offset_like_real_reports():
    for year in (2021, 2022, 2023, 2024):
        evaluations = read_rows(EXAMPLE / str(year) / "evaluations.csv")
        assert {r["评价年度"] for r in evaluations} == {str(year - 1)}
        from_evaluations = [r for r in read_rows(EXAMPLE / str(year) / "applications.csv") if r["来源类型"] == "绩效评价"]
        assert from_evaluations and {r["影响预算年度"] for r in from_evaluations} == {str(year + 1)}
        ids = {r["评价编号"] for r in evaluations}
        assert all(r["来源编号"] in ids for r in from_evaluations)


def test_scores_follow_the_scoring_rule_and_grades_the_default_bands():
    """Independent of checks.py: recompute 正向/反向 scores and grades from the written values."""
    from decimal import Decimal

    bands = [(Decimal(90), "优"), (Decimal(80), "良"), (Decimal(60), "中"), (Decimal(0), "差")]
    for year in ("2022", "2024"):
        scores = read_rows(EXAMPLE / year / "evaluation_scores.csv")
        assert len({r["指标性质"] for r in scores}) == 3  # ≥, ≤ and 定性 all occur
        for r in scores:
            if r["指标性质"] == "定性":
                continue
            target, actual, weight = Decimal(r["指标值"]), Decimal(r["完成值"]), Decimal(r["分值"])
            ratio = actual / target if r["指标性质"] == "≥" else target / actual
            assert Decimal(r["得分"]) == (weight * min(Decimal(1), ratio)).quantize(Decimal("0.01"))
        by_eval = Counter()
        for r in scores:
            by_eval[r["评价编号"]] += Decimal(r["分值"])
        assert set(by_eval.values()) == {Decimal(100)}
        for e in read_rows(EXAMPLE / year / "evaluations.csv"):
            score = Decimal(e["得分"])
            assert e["等级"] == next(g for low, g in bands if score >= low)


def test_rectification_dates_and_status_agree():
    statuses = Counter()
    for path in EXAMPLE.glob("*/rectifications.csv"):
        for r in read_rows(path):
            statuses[r["状态"]] += 1
            assert r["发现日期"] <= r["整改期限"]
            assert bool(r["完成日期"]) == (r["状态"] == "已整改")
            if r["完成日期"]:
                assert r["发现日期"] <= r["完成日期"]
    assert set(statuses) == {"已整改", "整改中", "未整改"}


def test_monitoring_rate_is_executed_over_budget():
    from decimal import Decimal

    for r in read_rows(EXAMPLE / "2023" / "monitoring.csv"):
        expected = (Decimal(r["执行数"]) / Decimal(r["全年预算数"]) * 100).quantize(Decimal("0.01"))
        assert Decimal(r["执行率"]) == expected


@pytest.mark.slow
def test_bench_prints_every_figure(tmp_path):
    done = subprocess.run([sys.executable, "-m", "generator", "--root", str(ROOT), "bench", "XS", "--runs", "2",
                           "--keep", str(tmp_path / "bench")], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for label in ("生成器用时", "MkDocs 用时", "搜索索引用时", "总用时", "页面数", "网站大小", "最大页面", "平均页面",
                  "峰值内存", "首次搜索下载", "比值", "生成器占总用时", "增量生成"):
        assert label in out, f"缺少“{label}”：\n{out}"
    assert (tmp_path / "bench" / "bench.json").exists()
    # Only the pages that show the changed rectification are rewritten, not the whole site.
    figures = json.loads((tmp_path / "bench" / "bench.json").read_text(encoding="utf-8"))
    inc = figures["incremental"]
    assert 0 < inc["rewritten"] < inc["files"] / 2
    # Five runs each way, the median reported (a shared machine varies by 10–30%).
    assert len(inc["runs"]) == len(inc["new_process_runs"]) == 5
    assert inc["seconds"] == sorted(inc["runs"])[2]
    assert inc["new_process"]["seconds"] == sorted(inc["new_process_runs"])[2]
    # The same for an edit to the largest table: the edited indicator's project page is among the files rewritten.
    largest = inc["largest"]
    assert largest["changed"].endswith("indicators.csv 第 2 行")
    assert 0 < largest["rewritten"] < largest["files"] / 2
    assert any(name.startswith("projects/") and name.endswith(".md") for name in largest["examples"])
    assert len(largest["runs"]) == len(largest["new_process_runs"]) == 5
    assert "改最大的表" in out
    # The preview (serve's builds without its server): each edit shows on its list page.
    preview = inc["preview"]
    assert preview["shown"] is True and len(preview["runs"]) == 5 and preview["seconds"] == sorted(preview["runs"])[2]
    assert "预览（serve" in out
    # How busy the machine was while each edit was timed, and during the first build and the floor.
    for way in ("load", "new_process_load"):
        assert set(inc[way]) == {"others", "stolen"} and all(0 <= v <= 1 for v in inc[way].values())
    assert set(figures["ours"]["load"]) == set(figures["floor"]["load"]) == {"others", "stolen"}
    assert out.count("测量期间本机 CPU 的去向") == 3
    assert figures["ours"]["pages"] == figures["floor"]["pages"] == figures["floor_a0"]["pages"]
    # The floor is issue 6's: plain pages whose Material search index grows about 6 KB a page, all of it downloaded
    # before a first result; floor A0 has no search.
    floor = figures["floor"]
    assert 5 * 1024 < floor["search_index_bytes"] / floor["pages"] < 7 * 1024
    assert floor["first_search_bytes"] > 0 and floor["first_search_files"] == 4
    assert figures["floor_a0"]["first_search_bytes"] is None
    assert "下限 A0（更严" in out
    # Peak memory: each process's own, in the two parts of a build: generating (beside the open-data worker), then
    # MkDocs and the search index (beside Pagefind); the larger sum.
    parts = figures["ours"]["peak_parts"]
    assert set(parts) == {"main", "worker", "main_site", "search"} and all(v > 20 * 2**20 for v in parts.values())
    assert figures["ours"]["peak_memory"] == max(parts["main"] + parts["worker"], parts["main_site"] + parts["search"])
    assert "峰值内存分项：生成时，主进程" in out
    # The records counted, as the growth table (bench S M L) compares each figure with them.
    from generator import bench

    assert figures["records"] == bench.count_records(tmp_path / "bench" / "data") > 0
    assert f"性能测试 XS：{figures['records']} 条记录" in out
    # The first build and the floor ran twice each (--runs 2); the timings shown are their medians.
    ours_runs, floor_runs = figures["ours"]["runs"], figures["floor"]["runs"]
    assert len(ours_runs) == len(floor_runs) == 2
    for key in ("cpu_seconds", "generator_cpu", "mkdocs_cpu", "search_index_cpu", "seconds"):
        assert figures["ours"][key] == pytest.approx(sum(r[key] for r in ours_runs) / 2)
    assert figures["floor"]["cpu_seconds"] == pytest.approx(sum(r["cpu_seconds"] for r in floor_runs) / 2)
    assert "首次构建与下限各运行 2 次" in out
    assert figures["floor_a0"]["runs"] == [{"seconds": figures["floor_a0"]["seconds"],
                                             "cpu_seconds": figures["floor_a0"]["cpu_seconds"]}]  # (once)
    # The second run's folders, set aside while measuring, are gone once the benchmark has ended.
    kept = tmp_path / "bench"
    assert not (kept / bench.TRASH).exists() and not (kept / "runs").exists()
    assert not (kept / "floor" / "site-2").exists() and (kept / "floor" / "site" / "index.html").exists()


def test_folders_the_benchmark_is_done_with_are_set_aside_not_deleted(tmp_path):
    """Deleting thousands of files just before a timed build slows it in the kernel on some file systems (ext4
    without a journal keeps freed inodes from reuse for minutes): the benchmark renames them into its trash, and
    deletes that only when every size has been measured."""
    from generator import bench

    trash = tmp_path / bench.TRASH
    for n in (1, 2):
        site = tmp_path / "site"
        (site / "p").mkdir(parents=True)
        (site / "p" / "index.html").write_text(str(n), encoding="utf-8")
        inode = (site / "p" / "index.html").stat().st_ino
        bench._discard(site, trash)
        assert not site.exists()
        moved = [p for p in trash.rglob("index.html") if p.read_text(encoding="utf-8") == str(n)]
        assert len(moved) == 1 and moved[0].stat().st_ino == inode  # (the same file: renamed, not copied)
    bench._discard(tmp_path / "absent", trash)  # (nothing there: nothing to do)
    assert len(list(trash.iterdir())) == 2


def test_first_build_figures_are_the_medians_of_its_runs_and_the_largest_peak():
    from generator import bench, cli

    runs = [{"seconds": 3.0, "cpu_seconds": 4.0, "generator_cpu": 1.0, "peak_memory": 100, "peak_parts": {"main": 60}},
            {"seconds": 2.0, "cpu_seconds": 6.0, "generator_cpu": 1.6, "peak_memory": 300, "peak_parts": {"main": 200}},
            {"seconds": 9.0, "cpu_seconds": 5.0, "generator_cpu": 1.2, "peak_memory": 200, "peak_parts": {"main": 90}}]
    figures = bench.medians(runs)
    assert (figures["seconds"], figures["cpu_seconds"], figures["generator_cpu"]) == (3.0, 5.0, 1.2)
    assert figures["peak_memory"] == 300 and figures["peak_parts"] == {"main": 200}  # (its parts, not medians)
    assert figures["runs"] == [{k: r[k] for k in ("seconds", "cpu_seconds", "generator_cpu")} for r in runs]
    # Three runs unless told otherwise; a count that is not a positive whole number is refused, in Chinese.
    assert cli.build_parser().parse_args(["bench", "S"]).runs is None and bench.FIRST_BUILD_RUNS == 3
    assert cli.build_parser().parse_args(["bench", "S", "--runs", "1"]).runs == 1
    done = subprocess.run([sys.executable, "-m", "generator", "bench", "S", "--runs", "0"], capture_output=True,
                          text=True, cwd=ROOT, check=False)
    assert done.returncode == 2 and "参数 --runs：“0”不是正整数" in done.stderr


def test_floor_pages_carry_the_text_issue_6_measured_its_floor_on(tmp_path):
    from generator import bench

    config = bench.write_floor(tmp_path / "a", 5)
    pages = sorted((tmp_path / "a" / "docs" / "p").glob("*.md"))
    assert len(pages) == 3  # with index.html and 404.html, five HTML files
    assert all(bench.FLOOR_CHARS <= len(p.read_text(encoding="utf-8")) < bench.FLOOR_CHARS + 200 for p in pages)
    assert "plugins:\n  - search\n" in config.read_text(encoding="utf-8")
    # Text that does not repeat: repeated sentences would gzip to almost nothing (Material's index, downloaded
    # whole, would look as light as Pagefind's chunks).
    raw = "".join(p.read_text(encoding="utf-8") for p in pages).encode("utf-8")
    assert len(gzip.compress(raw)) > 0.3 * len(raw)
    strict = bench.write_floor(tmp_path / "a0", 5, chars=0, search=False)
    assert "plugins: []" in strict.read_text(encoding="utf-8")
    assert len((tmp_path / "a0" / "docs" / "p" / "00001.md").read_text(encoding="utf-8")) < 60


def test_material_first_search_counts_its_worker_language_scripts_and_whole_index(tmp_path):
    from generator import bench

    site = tmp_path / "site"
    assert bench.material_first_search(site) is None  # no Material search
    files = {"search/search_index.json": b'{"docs": []}' * 500,
             "assets/javascripts/workers/search.abc.min.js": b"worker" * 300,
             "assets/javascripts/lunr/min/lunr.stemmer.support.min.js": b"stem" * 200,
             "assets/javascripts/lunr/min/lunr.zh.min.js": b"zh" * 100,
             "assets/javascripts/lunr/min/lunr.ja.min.js": b"ja" * 100}  # another language's: not fetched
    for name, data in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(data)
    fetched = [n for n in files if "lunr.ja" not in n]
    assert bench.material_first_search(site) == (sum(bench.transfer_size(site / n) for n in fetched), 4)


def _figures(size: str, records: int, scale: float, *, memory: float | None = None,
             generator_runs: tuple[float, ...] = ()) -> dict:
    """Bench figures of one size as ``bench.run`` records them, every figure ``scale`` times those of a base size;
    with ``generator_runs``, the generator's CPU in each run of the first build (the median the figure)."""
    inc = {"seconds": 0.2 * scale, "new_process": {"seconds": 0.3 * scale}}
    ours = {"pages": int(100 * scale), "generator_cpu": 1.0 * scale, "mkdocs_cpu": 2.0 * scale,
            "search_index_cpu": 1.5 * scale, "cpu_seconds": 4.5 * scale, "site_bytes": int(5e6 * scale),
            "largest_page": int(5e4 * scale), "average_page": int(2e4 * scale),
            "peak_memory": int(9e7 * (memory if memory is not None else scale)),
            "first_search_bytes": int(1.2e5 * scale)}
    if generator_runs:
        ours["generator_cpu"] = sorted(generator_runs)[len(generator_runs) // 2]
        ours["runs"] = [{"generator_cpu": g} for g in generator_runs]
    return {"size": size, "records": records, "ours": ours, "incremental": {**inc, "largest": dict(inc)}}


def test_growth_names_each_figure_that_grows_faster_than_the_records():
    from generator import bench

    # Records ×10 then ×10; every figure ×5 then ×8: nothing grows faster.
    runs = [_figures("S", 1000, 1), _figures("M", 10000, 5), _figures("L", 100000, 40)]
    lines = bench.growth(runs)
    table = "\n".join(lines)
    assert "| 记录数 | 1000 | 10000 | 100000 | ×10.00 | ×10.00 |" in lines
    assert "| 页面数 | 100 | 500 | 4000 | ×5.00 | ×8.00 |" in lines
    assert lines[-1] == "没有一项指标增长快于记录数。"
    for label, *_ in bench.GROWTH:
        assert f"| {label} |" in table
    # Peak memory ×12 from M to L while the records grow ×10: named, with both factors.
    runs[2] = _figures("L", 100000, 40, memory=60)
    last = bench.growth(runs)[-1]
    assert last == "增长快于记录数的指标：峰值内存（M→L ×12.00，记录 ×10.00）"
    # Timed several times: the growth of the medians, and the span the runs allow. Here S's generator took 0.8–1.2 s
    # and M's 10.5–12 s: the medians grow ×11 against records ×10 (named), but the runs allow ×8.75–15.00.
    runs = [_figures("S", 1000, 1, generator_runs=(1.2, 0.8, 1.0)),
            _figures("M", 10000, 5, generator_runs=(11.0, 12.0, 10.5)), _figures("L", 100000, 40)]
    lines = bench.growth(runs)
    assert "| 生成器 CPU | 1.00 s | 11.00 s | 40.00 s | ×11.00（各次 ×8.75–15.00） | ×3.64 |" in lines
    assert lines[-2:] == ["中位数增长快于记录数、但在各次运行的波动之内的指标：生成器 CPU（S→M ×11.00（各次 ×8.75–15.00），"
                          "记录 ×10.00）", "没有一项指标的增长确定快于记录数：上列各项在各次运行的波动之内。"]
    # Even the lowest run of M over the highest of S grows faster than the records: named as faster.
    runs[1] = _figures("M", 10000, 5, generator_runs=(13.0, 14.0, 12.5))
    assert bench.growth(runs)[-1] == "增长快于记录数的指标：生成器 CPU（S→M ×13.00（各次 ×10.42–17.50），记录 ×10.00）"
    assert any(line.startswith("首次构建的各项 CPU 为几次运行的中位数") for line in lines)


def test_machine_load_is_the_cpu_time_of_other_work_and_of_the_host_as_a_share_of_all():
    from generator import bench

    # /proc/stat's first line: user nice system idle iowait irq softirq steal (guest time is within user).
    before = bench.cpu_times("cpu  1000 0 200 5000 100 0 0 50 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n")
    after = bench.cpu_times("cpu  1600 0 300 5150 100 0 100 150 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n")
    assert before == (6350, 1200, 50) and after == (7400, 2000, 150)
    # 1,050 ticks pass (10.5 s at 100 a second): 800 busy (8 s), of which the benchmark's own 6 s; 100 stolen.
    load = bench.load_between(before, after, own_cpu=6.0, ticks_per_second=100)
    assert load == {"others": 2.0 / 10.5, "stolen": 1.0 / 10.5}
    assert bench._load_text(load) == "其他进程 19%，宿主占用 10%"
    # Own CPU counted beyond what the machine shows (rounding of ticks) is not negative work by others.
    assert bench.load_between(before, after, own_cpu=12.0, ticks_per_second=100)["others"] == 0.0
    # Off Linux, or a file without a cpu line: nothing is claimed.
    assert bench.cpu_times("intr 1 2 3\n") is None
    assert bench.load_between(None, after, 1.0) is None and bench._load_text(None) == "—"


def test_count_records_counts_the_rows_of_every_years_tables(small):
    from generator import bench

    expected = 0
    for path in small.glob("*/*.csv"):
        expected += len(read_rows(path))
    assert expected > 1000
    assert bench.count_records(small) == expected


def test_bench_takes_several_sizes_and_runs_them_smallest_first(monkeypatch, capsys, tmp_path):
    from generator import bench, cli

    args = cli.build_parser().parse_args(["bench", "L", "S", "M", "--runs", "2"])
    assert args.size == ["L", "S", "M"]
    ran = []

    def fake_run(size, root, work, seed, runs):  # (the real run takes minutes; here only the order and the table)
        assert runs == 2  # (--runs reaches each size)
        ran.append((size, work))
        n = {"S": 1, "M": 5, "L": 40}[size]
        return [f"性能测试 {size}"], _figures(size, {"S": 1000, "M": 10000, "L": 100000}[size], n)

    monkeypatch.setattr(bench, "run", fake_run)
    paths = pipeline.Paths(ROOT)
    assert bench.main(args.size, paths, keep=tmp_path, runs=args.runs) == 0
    assert [s for s, _ in ran] == ["S", "M", "L"]
    assert [w for _, w in ran] == [(tmp_path / s).resolve() for s in ("S", "M", "L")]
    assert all((tmp_path / s / "bench.json").exists() for s in ("S", "M", "L"))
    out = capsys.readouterr().out
    assert "规模增长（S、M、L）" in out and "| 记录数 | 1000 | 10000 | 100000 |" in out


def test_a_childs_peak_memory_is_its_own_not_its_parents(tmp_path):
    """Linux keeps getrusage's ru_maxrss across exec: a child started by a big process reports that process's peak.
    The benchmark's children read their own (VmHWM) instead."""
    from generator import bench

    if bench.peak_of() is None:
        pytest.skip("/proc/self/status 不可读（非 Linux）")
    ballast = bytearray(300 * 2**20)
    ballast[::4096] = b"\x01" * len(ballast[::4096])  # touched, so resident
    code = ("import json, resource; from generator import bench; "
            "print(json.dumps([bench.peak_of(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    own, inherited = json.loads(done.stdout)
    assert inherited > 300 * 2**20  # what ru_maxrss says: this process's peak
    assert own < 150 * 2**20  # what the child used: Python and the generator's imports
    assert bench.peak_of() > 300 * 2**20  # this process's own: the ballast is resident
    assert bench.peak_of(2**22 + 12345) is None  # (no such process)
    del ballast
