"""Benchmark: build a synthetic county archive and compare it with the floor, MkDocs alone on as many pages.

``python -m generator bench S|M|L [--keep DIR] [--runs N]``; ``bench S M L`` runs each size, then shows how each
figure grows with the number of records (issue 6: nothing may grow faster). The first build and the floor run
``FIRST_BUILD_RUNS`` times (``--runs``), and their medians are shown. Builds run in child processes
(``python -m generator.bench --child …``) so that each one's peak memory is its own. The floor is the same
Material theme building the same number of plain pages kept out of the navigation (``not_in_nav``), with its own
search, the pages as large as those issue 6 measured its floor on (see ``FLOOR_CHARS``): what any MkDocs site of that
size costs. Floor A0 (a sentence a page, no search) and floor B (this site's Markdown, no plugins) are printed
beside it. Figures follow issue 6 (generator ≤ 10% of the total, total
≤ 1.2 × floor, pages ≤ 40 KB on average and ≤ 300 KB each, first search ≤ 300 KB, one changed record rewrites
only its pages in ≤ 2 s).
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from itertools import pairwise
from pathlib import Path

from . import render, schema, search, synth

KB = 1024
MB = 1024 * 1024

# Words of project names (synth_catalog); the benchmark searches the first one the data contains.
PROJECT_WORDS = ("蔬菜", "危房", "水库", "养老", "消防", "道路")


@dataclass
class SiteFigures:
    seconds: float
    pages: int
    site_bytes: int
    largest_page: int
    largest_page_path: str
    average_page: int
    peak_memory: int  # bytes: of the processes that run at once, added up (see ``_child_build``)
    cpu_seconds: float | None = None
    generator_seconds: float | None = None
    generator_cpu: float | None = None
    mkdocs_cpu: float | None = None
    search_index_cpu: float | None = None
    mkdocs_seconds: float | None = None
    search_index_seconds: float | None = None
    first_search_bytes: int | None = None
    first_search_files: int | None = None
    search_index_bytes: int | None = None  # (the floor: Material's search_index.json, uncompressed)
    project_found: bool | None = None
    query: str = ""
    # each process's own peak: main (while generating), worker (open data), main_site (while MkDocs builds and
    # Pagefind indexes), search (Pagefind)
    peak_parts: dict | None = None
    # while it was measured, the machine's CPU time that went to other work, and that the host took (``Load``)
    load: dict | None = None
    # the timings of each of the builds (``FIRST_BUILD_RUNS``) whose medians the figures above are
    runs: list | None = None


def measure_site(site: Path) -> dict:
    pages = [p for p in site.rglob("*.html") if p.parent != site / search.BUNDLE_DIR]
    sizes = {p: p.stat().st_size for p in pages}
    largest = max(sizes, key=sizes.get) if sizes else None
    return {
        "pages": len(pages),
        "site_bytes": sum(p.stat().st_size for p in site.rglob("*") if p.is_file()),
        "largest_page": sizes[largest] if largest else 0,
        "largest_page_path": largest.relative_to(site).as_posix() if largest else "",
        "average_page": sum(sizes.values()) // len(sizes) if sizes else 0,
    }


def peak_of(pid: int | str = "self") -> int | None:
    """Peak resident memory of one process alone (Linux: VmHWM), in bytes; None where that cannot be read (not
    Linux, or the process has ended). getrusage's ru_maxrss is not used: Linux keeps it across exec, so a child
    starts with its parent's peak (run after S and M in one benchmark, the floor's MkDocs showed the benchmark
    process's 208 MB as its own)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def _own_peak() -> int:
    peak = peak_of()
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _reset_peak() -> bool:
    """Start this process's peak (VmHWM) again from what it holds now (Linux: clear_refs); False if it cannot."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False


# --- children ------------------------------------------------------------------------------


def _cpu() -> float:
    """CPU seconds of this process and its finished children (Pagefind). Unlike wall time, it does not count time
    spent waiting for a busy machine, so ratios stay comparable when other work shares the CPUs."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


# --- how busy the machine was ---------------------------------------------------------------


def cpu_times(text: str | None = None) -> tuple[int, int, int] | None:
    """The machine's CPU time so far, in clock ticks, from the ``cpu`` line of /proc/stat (Linux; ``text``: that
    file's content): (all, busy, stolen). Busy is time any process ran (user, nice, system, interrupts); stolen is
    time a virtual machine's host ran something else while this machine wanted to run. None elsewhere."""
    if text is None:
        try:
            text = Path("/proc/stat").read_text(encoding="ascii")
        except OSError:
            return None
    for line in text.splitlines():
        fields = line.split()
        if fields[:1] == ["cpu"] and len(fields) >= 9:
            ticks = [int(v) for v in fields[1:9]]
            user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
            return sum(ticks), user + nice + system + irq + softirq, steal
    return None


def load_between(before: tuple[int, int, int] | None, after: tuple[int, int, int] | None, own_cpu: float,
                 ticks_per_second: float | None = None) -> dict | None:
    """How much of the machine's CPU, between two ``cpu_times``, went to work other than the benchmark's own
    (``own_cpu`` seconds: this process and its children), and how much the host stole: each a share of all the
    machine's CPU time in that span. Timings taken while either is large are slower than the code."""
    if before is None or after is None or after[0] <= before[0]:
        return None
    hz = ticks_per_second or os.sysconf("SC_CLK_TCK")
    span = (after[0] - before[0]) / hz
    others = max((after[1] - before[1]) / hz - own_cpu, 0.0)
    return {"others": others / span, "stolen": (after[2] - before[2]) / hz / span}


class Load:
    """``with Load() as load:`` … then ``load.figures``: ``load_between`` over the block (None off Linux)."""

    figures: dict | None = None

    def __enter__(self) -> Load:
        self._times, self._cpu = cpu_times(), _cpu()
        return self

    def __exit__(self, *exc) -> None:
        self.figures = load_between(self._times, cpu_times(), _cpu() - self._cpu)


def _load_text(load: dict | None) -> str:
    if load is None:
        return "—"
    return f"其他进程 {load['others']:.0%}，宿主占用 {load['stolen']:.0%}"


def _child_build(root: Path, data: Path, site: Path, cache_dir: Path) -> dict:
    """The real build (pipeline.build), with MkDocs and the search index timed inside it. ``cache_dir`` is empty:
    the figures are those of a first build (a fresh clone in CI), not of a rebuild."""
    from . import opendata, pipeline

    spent = {"mkdocs": [0.0, 0.0], "search": [0.0, 0.0]}  # wall, CPU
    # The peaks of the build's other processes, each read while it still runs: Pagefind's once the index is made
    # (just before it is ended), the open-data worker's after each bundle it makes (written to a file: it leaves
    # with os._exit, and only the parent outlives it).
    peaks: dict[str, int] = {}
    main_pid = os.getpid()
    worker_peaks = Path(tempfile.mkdtemp(prefix="jx-bench-peaks-"))
    close, export_year = search.Indexer.close, opendata.export_year

    def closing(indexer):
        if indexer._proc.poll() is None and (peak := peak_of(indexer._proc.pid)) is not None:
            peaks["search"] = max(peaks.get("search", 0), peak)
        close(indexer)

    def exporting(*args, **kwargs):
        try:
            return export_year(*args, **kwargs)
        finally:
            if os.getpid() != main_pid and (peak := peak_of()) is not None:
                (worker_peaks / str(os.getpid())).write_text(str(peak), encoding="ascii")

    # This process's peak in each of the two parts: while generating (beside the worker), then while MkDocs builds
    # and Pagefind indexes (beside Pagefind).
    generating: dict[str, int | bool] = {}
    run_mkdocs = pipeline.run_mkdocs

    def site_part(*args, **kwargs):
        generating["peak"], generating["reset"] = _own_peak(), _reset_peak()
        return run_mkdocs(*args, **kwargs)

    search.Indexer.close = closing
    opendata.export_year = exporting  # (the worker calls it through the module, as exports.py does)
    pipeline.run_mkdocs = site_part

    def timed(name, func):
        def wrapper(*args, **kwargs):
            wall, cpu = time.perf_counter(), _cpu()
            try:
                return func(*args, **kwargs)
            finally:
                spent[name][0] += time.perf_counter() - wall
                spent[name][1] += _cpu() - cpu
        return wrapper

    pipeline.run_mkdocs = timed("mkdocs", pipeline.run_mkdocs)
    search.Indexer.finish = timed("search", search.Indexer.finish)
    wall, cpu = time.perf_counter(), _cpu()
    pipeline.build(pipeline.Paths(root, data, site, cache_dir), strict=True, quiet=True)
    total, total_cpu = time.perf_counter() - wall, _cpu() - cpu
    worker = [int(p.read_text(encoding="ascii")) for p in worker_peaks.iterdir()]
    shutil.rmtree(worker_peaks, ignore_errors=True)
    last = _own_peak()
    parts = {"main": generating.get("peak", last), "worker": max(worker) if worker else None,
             "main_site": last if generating.get("reset") else max(last, generating.get("peak", 0)),
             "search": peaks.get("search")}
    # The worker has ended before MkDocs starts (pipeline._build_aside: the bundles are collected, and the worker
    # joined, inside the generation; the index is made after it), so this process runs beside one of them at a
    # time. In each part their peaks are added: an upper bound (they need not peak together, and the worker shares
    # pages with this process).
    together = max(parts["main"] + (parts["worker"] or 0), parts["main_site"] + (parts["search"] or 0))
    return {"seconds": total, "mkdocs_seconds": spent["mkdocs"][0], "search_index_seconds": spent["search"][0],
            "generator_seconds": total - spent["mkdocs"][0] - spent["search"][0],
            "cpu_seconds": total_cpu, "mkdocs_cpu": spent["mkdocs"][1], "search_index_cpu": spent["search"][1],
            "generator_cpu": total_cpu - spent["mkdocs"][1] - spent["search"][1],
            "peak_memory": together, "peak_parts": parts}


def _child_floor(config: Path, site: Path | None = None) -> dict:
    from . import pipeline

    wall, cpu = time.perf_counter(), _cpu()
    pipeline.run_mkdocs(config, config.parent / "docs", site or config.parent / "site", strict=False, quiet=True)
    return {"seconds": time.perf_counter() - wall, "cpu_seconds": _cpu() - cpu, "peak_memory": _own_peak()}


def _run_child(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "generator.bench", "--child", *args],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"性能测试子进程失败：{done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the floor -----------------------------------------------------------------------------


FLOOR_CONFIG = """site_name: 下限（纯 MkDocs）
use_directory_urls: true
theme:
  name: material
  language: zh
  font: false
plugins: []
nav:
  - index.md
not_in_nav: |
  /p/
"""

# Issue 6 measured its floor on "plain pages" whose Material search index "grows about 6 KB per page": pages of
# some 1,000 characters of text, indexed by Material's own search (a plain MkDocs site's default). Floor A is
# those pages; floor A0 (the stricter one these figures first used) is a title and one sentence, without search.
FLOOR_CHARS = 1000
_FLOOR_CHARACTERS = ("示例县农业农村局实施高标准农田建设项目，完成年度绩效目标，群众满意度较高。"
                     "项目资金按进度拨付，预算执行率达到序时进度要求，资金使用规范，未发现挤占挪用。"
                     "绩效监控发现部分子项目开工较晚，主管部门已督促加快实施，并调整了年内支付计划。"
                     "评价结论为良，下一年度将完善绩效指标，细化可衡量的数量和质量目标，加强结果应用。")


def write_floor(work: Path, pages: int, *, chars: int = FLOOR_CHARS, search: bool = True) -> Path:
    """MkDocs alone: ``pages`` plain pages (a title and about ``chars`` characters of text) kept out of the
    navigation, with Material's own search when ``search``."""
    docs = work / "docs"
    (docs / "p").mkdir(parents=True, exist_ok=True)
    (docs / "index.md").write_text("# 下限\n\n只有这一页在导航中。\n", encoding="utf-8")
    for i in range(1, pages - 1):  # with index.html and 404.html, as many HTML files as the site
        # These characters shuffled anew for each paragraph: text that repeats would gzip to almost
        # nothing and make Material's whole index look as light as a chunked one.
        rng, text, n = random.Random(i), [f"示例县项目第 {i} 号的说明文字，用于衡量 MkDocs 本身的构建开销。"], 0
        while sum(map(len, text)) < chars:
            text.append(f"第 {n + 1} 段：" + "".join(rng.sample(_FLOOR_CHARACTERS, len(_FLOOR_CHARACTERS))))
            n += 1
        (docs / "p" / f"{i:05d}.md").write_text(f"# 第 {i} 页\n\n" + "\n\n".join(text) + "\n", encoding="utf-8")
    config = work / "mkdocs.yml"
    config.write_text(FLOOR_CONFIG.replace("plugins: []\n", "plugins:\n  - search\n") if search else FLOOR_CONFIG,
                      encoding="utf-8")
    return config


def write_floor_same_content(work: Path, generated: Path, project_config: Path) -> Path:
    """Floor B: the site's own generated Markdown, built by MkDocs with the same theme and Markdown extensions but
    no navigation, plugins or search index. The gap between it and floor A is the cost of the content itself."""
    import yaml

    docs = work / "docs"
    shutil.copytree(generated, docs / "generated")
    (docs / "index.md").write_text("# 下限\n", encoding="utf-8")
    extensions = yaml.safe_load(project_config.read_text(encoding="utf-8")).get("markdown_extensions", [])
    config = work / "mkdocs.yml"
    text = FLOOR_CONFIG.replace("not_in_nav: |\n  /p/\n", "not_in_nav: |\n  /generated/\n")
    config.write_text(text + yaml.safe_dump({"markdown_extensions": extensions}, allow_unicode=True),
                      encoding="utf-8")
    return config


# --- search --------------------------------------------------------------------------------


def transfer_size(path: Path) -> int:
    """Bytes on the wire with gzip: Pagefind's index files are already gzip; other files are compressed here."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        return len(data)
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def project_word(data: Path) -> str:
    names = "\n".join(p.read_text(encoding="utf-8") for p in data.glob("*/" + schema.Project.FILE))
    return next((w for w in PROJECT_WORDS if w in names), PROJECT_WORDS[0])


def first_search(site: Path, root: Path, query: str) -> tuple[int, int, bool]:
    """What a browser downloads from page load to the first results of ``query``: our script, Pagefind's script and
    worker, then every file Pagefind fetched (entry, metadata, wasm, index chunks, fragments of the shown results).
    Returns (bytes, files, whether a project page was among the results)."""
    found = search.probe(site, [query])[0]
    files = [root / "content" / "assets" / "jx-search.js", site / search.BUNDLE_DIR / "pagefind.js",
             site / search.BUNDLE_DIR / "pagefind-worker.js", *(Path(p) for p in found["fetched"])]
    unique = list(dict.fromkeys(files))
    project = any("/projects/" in r["url"] and query in (r["title"] or "") for r in found["results"])
    return sum(transfer_size(p) for p in unique), len(unique), project


def material_first_search(site: Path, language: str = "zh") -> tuple[int, int] | None:
    """What a browser downloads before Material's own search shows a result: its search worker, the worker's
    language scripts (lunr.stemmer.support and lunr.<language>) and the whole index, gzip. Returns (bytes, files),
    or None for a site without Material's search."""
    index = site / "search" / "search_index.json"
    workers = sorted((site / "assets" / "javascripts" / "workers").glob("search.*.min.js"))
    if not index.is_file() or not workers:
        return None
    lunr = site / "assets" / "javascripts" / "lunr" / "min"
    files = [workers[0], index, *(p for p in (lunr / "lunr.stemmer.support.min.js", lunr / f"lunr.{language}.min.js")
                                  if language != "en" and p.is_file())]
    return sum(transfer_size(p) for p in files), len(files)


# --- incremental ---------------------------------------------------------------------------


# The records an edit changes: a rectification's 问题 (a small table, the edit the figures have always shown) and an
# indicator's name (the largest table, some ten rows a project: parsing it again and the project's page, which
# spans its years, make this the slowest common edit).
EDITS = {"rectification": (schema.Rectification, "problem"), "indicator": (schema.Indicator, "name")}


def change_one_record(data: Path, mark: str = "（已修改）", edit: str = "rectification") -> str:
    """Edit one record of the newest year (a draft, so no erratum is needed): the first row of ``EDITS[edit]``."""
    table, attr = EDITS[edit]
    year = max(int(p.name) for p in data.iterdir() if p.is_dir() and p.name.isdigit())
    path = data / str(year) / table.FILE
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    column = rows[0].index(table.alias_of(attr))
    rows[1][column] += mark
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return f"{path.relative_to(data).as_posix()} 第 2 行"


def _files(out: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}


def _generate_timed(data: Path, out: Path, cache_dir: Path) -> dict:
    """pipeline.generate, timed: wall, CPU of this process, and CPU of the worker that makes open-data bundles."""
    from . import pipeline

    start, cpu = time.perf_counter(), _cpu()
    pipeline.generate(data, out, cache_dir)
    return {"seconds": time.perf_counter() - start, "cpu": _cpu() - cpu}


# Each way; the median is reported, with every run. Runs vary by 10–30% on a shared machine (three new-process
# runs of one benchmark took 1.75, 2.07 and 2.14 s): five give a steadier median.
INCREMENTAL_RUNS = 5


def _median(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def incremental(data: Path, out: Path, edit: str = "rectification") -> dict:
    """Generate, then change one record (``EDITS[edit]``) and generate again, five times each way: in this process,
    as ``serve`` does after an edit (parsed tables still in memory), and in a new process, as the ``build`` command
    does (what .cache/ holds on disk). The first edit's rewritten files are counted. ``out`` and its cache are
    absent at the first call (``run`` puts earlier ones aside); a later call starts from what the last one left."""
    cache_dir = out.parent / f"{out.name}.cache"
    _generate_timed(data, out, cache_dir)  # (at a later call: loads this process's cache of parsed tables)
    same_runs, fresh_runs, where, rewritten, after = [], [], "", [], {}
    with Load() as same_load:  # (the files listed before and after the first run are counted as its own)
        for n in range(INCREMENTAL_RUNS):
            before = _files(out) if n == 0 else None
            where = change_one_record(data, f"（修改{n + 1}）", edit)
            same_runs.append(_generate_timed(data, out, cache_dir))
            if before is not None:
                after = _files(out)
                rewritten = sorted(p.relative_to(out).as_posix() for p, m in after.items() if before.get(p) != m)
    with Load() as fresh_load:
        for n in range(INCREMENTAL_RUNS):
            change_one_record(data, f"（新进程修改{n + 1}）", edit)
            start = time.perf_counter()
            fresh = _run_child("generate", str(data), str(out), str(cache_dir))
            fresh["process_seconds"] = time.perf_counter() - start  # with starting Python and importing the generator
            fresh_runs.append(fresh)
    same = _median(same_runs)
    return {"changed": where, "seconds": same["seconds"], "cpu": same["cpu"], "rewritten": len(rewritten),
            "files": len(after), "examples": rewritten[:8], "runs": [r["seconds"] for r in same_runs],
            "new_process": _median(fresh_runs), "new_process_runs": [r["seconds"] for r in fresh_runs],
            "load": same_load.figures, "new_process_load": fresh_load.figures}


def _child_preview(root: Path, data: Path, work: Path) -> dict:
    """``serve`` on a copy of the project, without its web server: generate, the first build, then one record
    changed and built again (regenerating, and MkDocs building again only the pages whose files changed), three
    times. Each edit is looked for in the preview's page of its list."""
    from . import pipeline, serve

    project = work / "preview-project"
    project.mkdir(parents=True)  # (``run`` has put an earlier one aside)
    shutil.copy(root / "mkdocs.yml", project)
    shutil.copytree(root / "overrides", project / "overrides")
    shutil.copytree(root / "content", project / "content", ignore=shutil.ignore_patterns(render.GENERATED, ".*"))
    paths = pipeline.Paths(project, data_dir=data, cache_dir=project / ".cache")
    start = time.perf_counter()
    pipeline.generate(paths.data, paths.generated, paths.cache)
    os.environ[serve.REGENERATE_ENV], os.environ[serve.CACHE_ENV] = str(paths.data), str(paths.cache)
    pipeline.show_mkdocs_log(quiet=True)
    os.chdir(project)
    runs, shown = [], True
    with serve.PreviewBuilds(paths.config, work / "preview-site") as preview:
        first = time.perf_counter() - start
        for n in range(INCREMENTAL_RUNS):
            mark = f"（预览修改{n + 1}）"
            where = change_one_record(data, mark)
            start = time.perf_counter()
            preview.build()
            runs.append(time.perf_counter() - start)
            page = preview.site_dir / where.split("/", 1)[0] / "rectifications" / "index.html"
            shown = shown and page.exists() and mark in page.read_text(encoding="utf-8")
    return {"first_seconds": first, "seconds": sorted(runs)[len(runs) // 2], "runs": runs, "shown": shown}


# --- report --------------------------------------------------------------------------------


def _mb(n: int | None) -> str:
    return "—" if n is None else f"{n / MB:.1f} MB"


def _kb(n: int | None) -> str:
    return "—" if n is None else f"{n / KB:.1f} KB"


def _s(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f} s"


def _each(runs: list[float]) -> str:
    return "、".join(f"{x:.2f}" for x in runs) + " s"


def _ratio(a: float | None, b: float | None) -> str:
    return "—" if not a or not b else f"{a / b:.2f}"


def report(size: str, synth_seconds: float, ours: SiteFigures, floor: SiteFigures, same: SiteFigures,
           inc: dict, records: int | None = None, strict: SiteFigures | None = None) -> list[str]:
    def both(wall, cpu):
        return f"{_s(wall)}（CPU {_s(cpu)}）"

    rows = [
        ("生成器用时（校验+模型+渲染）", both(ours.generator_seconds, ours.generator_cpu), "—", ""),
        ("MkDocs 用时（含把每页交给 Pagefind）", both(ours.mkdocs_seconds, ours.mkdocs_cpu),
         both(floor.seconds, floor.cpu_seconds), _ratio(ours.mkdocs_cpu, floor.cpu_seconds)),
        # Pagefind reads the pages while MkDocs writes them: its wall time here is what is left after MkDocs
        # (building and writing the index), its CPU time all of its work.
        ("搜索索引用时（Pagefind，与 MkDocs 同时进行；墙钟为 MkDocs 之后的部分）",
         both(ours.search_index_seconds, ours.search_index_cpu), "—", ""),
        ("总用时", both(ours.seconds, ours.cpu_seconds), both(floor.seconds, floor.cpu_seconds),
         _ratio(ours.cpu_seconds, floor.cpu_seconds)),
        ("页面数", str(ours.pages), str(floor.pages), _ratio(ours.pages, floor.pages)),
        ("网站大小", _mb(ours.site_bytes), _mb(floor.site_bytes), _ratio(ours.site_bytes, floor.site_bytes)),
        ("最大页面", _kb(ours.largest_page), _kb(floor.largest_page), _ratio(ours.largest_page, floor.largest_page)),
        ("平均页面", _kb(ours.average_page), _kb(floor.average_page), _ratio(ours.average_page, floor.average_page)),
        ("峰值内存（本站为同时运行的进程之和）", _mb(ours.peak_memory), _mb(floor.peak_memory),
         _ratio(ours.peak_memory, floor.peak_memory)),
        ("首次搜索下载（gzip）", _kb(ours.first_search_bytes),
         _kb(floor.first_search_bytes) if floor.first_search_bytes else "—（下限无搜索）",
         _ratio(ours.first_search_bytes, floor.first_search_bytes)),
    ]
    gen_share = ours.generator_cpu / ours.cpu_seconds if ours.cpu_seconds else 0
    counted = f"{records} 条记录，" if records is not None else ""
    lines = [f"性能测试 {size}：{counted}合成数据 {synth_seconds:.2f} s（不计入构建）", "",
             "| 指标 | 本站 | 下限（纯 MkDocs，页面不在导航中，见表下说明） | 比值（本站/下限，用时按 CPU） |",
             "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    lines += [
        "",
        f"生成器占总用时（CPU）：{gen_share:.1%}（目标 ≤ 10%）；总用时/下限（CPU）：{_ratio(ours.cpu_seconds, floor.cpu_seconds)}"
        "（目标 ≤ 1.2）",
        *_runs_lines(ours, floor),
        *_memory_lines(ours),
        *_floor_lines(floor, strict, ours),
        f"下限 B（本站同样的 Markdown，页面不在导航中，无插件、无搜索）：MkDocs {both(same.seconds, same.cpu_seconds)}，"
        f"峰值内存 {_mb(same.peak_memory)}；本站 MkDocs/下限 B：{_ratio(ours.mkdocs_cpu, same.cpu_seconds)}，"
        f"本站总用时/下限 B：{_ratio(ours.cpu_seconds, same.cpu_seconds)}（CPU）",
        f"最大页面：{ours.largest_page_path}",
        f"首次搜索：查询“{ours.query}”，下载 {ours.first_search_files} 个文件；"
        f"结果中{'有' if ours.project_found else '没有'}名称含该词的项目页",
    ]
    lines += _edit_lines("增量生成", inc)
    preview = inc.get("preview")
    if preview:
        lines.append(
            f"  预览（serve，不含网页服务器）：改一条记录后重新生成并由 MkDocs 只重建改动的页面，{preview['seconds']:.2f} s"
            f"（各次 {_each(preview['runs'])}；改动{'已' if preview['shown'] else '未'}出现在页面上）；"
            f"启动时生成并完整构建一次 {preview['first_seconds']:.2f} s")
    if inc.get("largest"):
        lines += _edit_lines("增量生成，改最大的表（绩效指标；其项目页跨多个年度，须重新渲染）", inc["largest"])
    lines.append(f"测量期间本机 CPU 的去向（占全部 CPU 时间）：本站首次构建 {_load_text(ours.load)}；"
                 f"下限 {_load_text(floor.load)}")
    lines.append("用时为墙钟时间，括号内为 CPU 时间；机器同时运行其他任务时墙钟时间偏大，比值按 CPU 时间计算；"
                 "其他进程或宿主占用较多时，墙钟时间不代表代码本身；宿主上的其他工作使本机每个 CPU 变慢时，"
                 "这两项看不出，只见下限（每次做同样的工作）的 CPU 时间比平常大。")
    return lines


def _floor_lines(floor: SiteFigures, strict: SiteFigures | None, ours: SiteFigures) -> list[str]:
    """What the floor is (issue 6's plain pages, with Material's search), and the stricter floor A0 beside it."""
    per_page = f"{floor.search_index_bytes / floor.pages / KB:.1f} KB" if floor.search_index_bytes else "—"
    lines = [f"下限：Material 主题与其自带搜索，每页一个标题和约 {FLOOR_CHARS} 字正文（议题 6 测量下限时的纯页面："
             f"搜索索引每页约 6 KB；此处每页 {per_page}），首次搜索下载整个索引"
             f"（{floor.first_search_files or 0} 个文件）"]
    if strict is not None:
        lines.append(f"下限 A0（更严：每页一个标题和一句话，无搜索）：MkDocs {_s(strict.seconds)}"
                     f"（CPU {_s(strict.cpu_seconds)}），峰值内存 {_mb(strict.peak_memory)}；"
                     f"本站总用时/下限 A0：{_ratio(ours.cpu_seconds, strict.cpu_seconds)}（CPU）")
    return lines


def _runs_lines(ours: SiteFigures, floor: SiteFigures) -> list[str]:
    """Each run of the first build and of the floor, when there were several (see ``FIRST_BUILD_RUNS``)."""
    if not ours.runs or len(ours.runs) < 2:
        return []

    def each(runs: list | None, key: str) -> str:
        values = [r[key] for r in runs or [] if r.get(key) is not None]
        return _each(values) if values else "—"

    return [f"首次构建与下限各运行 {len(ours.runs)} 次，表中用时取中位数、峰值内存取最大：本站总 CPU 各次 "
            f"{each(ours.runs, 'cpu_seconds')}，其中生成器 {each(ours.runs, 'generator_cpu')}、MkDocs "
            f"{each(ours.runs, 'mkdocs_cpu')}、搜索索引 {each(ours.runs, 'search_index_cpu')}；"
            f"下限 CPU 各次 {each(floor.runs, 'cpu_seconds')}"]


def _memory_lines(ours: SiteFigures) -> list[str]:
    parts = ours.peak_parts or {}
    if not parts:
        return []

    def mb(key: str) -> str:
        return _mb(parts.get(key)) if parts.get(key) else "—"

    return [f"峰值内存分项：生成时，主进程 {mb('main')} + 开放数据子进程 {mb('worker')}；"
            f"MkDocs 与搜索索引时，主进程 {mb('main_site')} + Pagefind {mb('search')}（子进程在 MkDocs 开始前已结束）。"
            "合计取两段中较大的和，是上限：各进程不一定同时达到峰值，子进程与主进程共用部分内存"]


def _edit_lines(label: str, inc: dict) -> list[str]:
    """One edit's figures: in the same process (the target), in a new process, the files rewritten."""
    lines = [
        f"{label}：修改 {inc['changed']} 后重新生成（{INCREMENTAL_RUNS} 次取中位数），用时 {inc['seconds']:.2f} s"
        f"（各次 {_each(inc['runs'])}；CPU {inc['cpu']:.2f} s，目标 ≤ 2 s；同一进程，如预览 serve），"
        f"改写 {inc['rewritten']} / {inc['files']} 个文件（未变的文件保留修改时间）",
        f"  新进程（如 build 命令，读磁盘缓存 .cache/）：生成 {inc['new_process']['seconds']:.2f} s"
        f"（各次 {_each(inc['new_process_runs'])}；CPU {inc['new_process']['cpu']:.2f} s），"
        f"连同启动 Python 与导入共 {inc['new_process']['process_seconds']:.2f} s",
        f"  测量期间本机 CPU 的去向（占全部 CPU 时间）：同一进程各次 {_load_text(inc.get('load'))}；"
        f"新进程各次 {_load_text(inc.get('new_process_load'))}",
    ]
    if inc["examples"]:
        lines.append("  改写的文件（前几个）：" + "、".join(inc["examples"]))
    return lines


def run(size: str, root: Path, work: Path, seed: int = 1, runs: int | None = None) -> tuple[list[str], dict]:
    """One size: synthetic data, ``runs`` first builds and as many of the floor (``FIRST_BUILD_RUNS`` by default;
    the figures are the medians), the stricter floors once each, then the edits."""
    runs = runs or FIRST_BUILD_RUNS
    data, site, trash = work / "data", work / "site", work / TRASH
    # What an earlier benchmark left in this folder is put aside, not deleted (see ``_discard``).
    for d in (data, site, work / "build-cache", work / "runs", work / "generated", work / "generated.cache",
              work / "preview-project", work / "preview-site", work / "floor-same-content"):
        _discard(d, trash)
    start = time.perf_counter()
    synth.generate(size, data, seed=seed)
    synth_seconds = time.perf_counter() - start

    builds = []
    with Load() as build_load:
        for n in range(runs):
            # Each a first build, into folders of its own: no cache, no site to replace, nothing deleted before it.
            into = work if n == 0 else work / "runs" / str(n + 1)
            builds.append(_run_child("build", str(root), str(data), str(into / "site"), str(into / "build-cache")))
    _discard(work / "runs", trash)  # (the first run's site is the one measured and kept)
    ours = SiteFigures(**medians(builds), **measure_site(site), load=build_load.figures)
    if search.node() is not None:
        ours.query = project_word(data)
        ours.first_search_bytes, ours.first_search_files, ours.project_found = first_search(site, root, ours.query)

    with Load() as floor_load:
        floor = _floor(work / "floor", ours.pages, trash, runs=runs)
    floor.load = floor_load.figures
    strict = _floor(work / "floor-a0", ours.pages, trash, chars=0, search=False)

    inc = incremental(data, work / "generated")
    inc["largest"] = incremental(data, work / "generated", "indicator")
    inc["preview"] = _run_child("preview", str(root), str(data), str(work))
    same_dir = work / "floor-same-content"
    same_config = write_floor_same_content(same_dir, work / "generated", root / "mkdocs.yml")
    same = SiteFigures(**_run_child("floor", str(same_config)), **measure_site(same_dir / "site"))
    records = count_records(data)
    figures = {"size": size, "records": records, "synth_seconds": synth_seconds, "ours": asdict(ours),
               "floor": asdict(floor), "floor_a0": asdict(strict),
               "floor_same_content": asdict(same), "incremental": inc}
    return report(size, synth_seconds, ours, floor, same, inc, records, strict), figures


# The first build and the floor are timed this many times and their medians shown. One run's CPU time strays by up
# to a quarter on a shared machine: once, S's generator took 0.50 s and M's 4.80 s (×9.50, more than the records'
# ×8.88) where the next runs of the same builds took 0.64–0.74 and 3.79–4.38 s; a single run can make a figure
# seem to grow faster than the records, or hide one that does.
FIRST_BUILD_RUNS = 3


# Folders the benchmark no longer needs are moved here (one in each size's folder) and deleted only when every size
# has been measured. A file system that will not reuse an inode freed in the last minutes (ext4 without a journal,
# as on the machine these figures were first measured on: up to five minutes) makes each file created soon after
# many were deleted cost more, in the kernel: four first builds of M in a row, each after deleting the last one's
# site and cache, took 3.2, 4.4, 4.8 and 6.5 s of generator CPU (its system time 1.1, 2.3, 3.2 and 4.6 s; perf:
# ext4_create → recently_deleted), where three into new folders, nothing deleted, took 3.7–3.9 s.
TRASH = ".bench-trash"


def _discard(path: Path, trash: Path) -> None:
    """Put ``path`` (if there) into ``trash``, to be deleted after the measurements (``main``): a rename, which
    frees no inode."""
    if not path.exists() and not path.is_symlink():
        return
    trash.mkdir(parents=True, exist_ok=True)
    path.rename(Path(tempfile.mkdtemp(dir=trash)) / path.name)


def medians(runs: list[dict]) -> dict:
    """The figures of several runs of one build: each timing the median of its runs (so the parts need not add up
    to the total exactly), the peak memory that of the run that used the most (with its parts), and each run's
    timings under ``runs``."""
    timings = [k for k, v in runs[0].items() if isinstance(v, float)]
    worst = max(runs, key=lambda r: r["peak_memory"])
    figures = {**worst, **{k: statistics.median(r[k] for r in runs) for k in timings}}
    figures["runs"] = [{k: r[k] for k in timings} for r in runs]
    return figures


def _floor(work: Path, pages: int, trash: Path, runs: int = 1, **kinds) -> SiteFigures:
    _discard(work, trash)
    config = write_floor(work, pages, **kinds)
    # Each run into a site folder of its own: MkDocs would first empty the last one's (see ``_discard``).
    sites = [work / ("site" if n == 0 else f"site-{n + 1}") for n in range(runs)]
    figures = SiteFigures(**medians([_run_child("floor", str(config), str(site)) for site in sites]),
                          **measure_site(work / "site"))
    for site in sites[1:]:
        _discard(site, trash)
    found = material_first_search(work / "site")
    if found is not None:
        figures.first_search_bytes, figures.first_search_files = found
        figures.search_index_bytes = (work / "site" / "search" / "search_index.json").stat().st_size
    return figures


def count_records(data: Path) -> int:
    """The records of a data folder: the rows of every year's tables (header lines not counted)."""
    total = 0
    for path in sorted(data.glob("*/*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as f:
            total += max(sum(1 for _ in csv.reader(f)) - 1, 0)
    return total


# --- growth (issue 6: run S, M and L; nothing may grow faster than the number of records) -------


def _edit(key: str, process: str):
    def figure(f: dict) -> float | None:
        inc = f["incremental"] if key == "rectification" else f["incremental"].get("largest")
        if not inc:
            return None
        return inc["seconds"] if process == "same" else inc["new_process"]["seconds"]
    return figure


def _build_runs(key: str):
    """A first-build timing's value in each run (none when the figures are of one run)."""
    return lambda f: [r[key] for r in f["ours"].get("runs") or [] if r.get(key) is not None]


def _first_build(key: str):
    return lambda f: f["ours"][key]


# (label, the figure of one size, how it is shown[, its value in each run of the first build])
GROWTH = [
    ("页面数", lambda f: f["ours"]["pages"], str),
    ("生成器 CPU", _first_build("generator_cpu"), _s, _build_runs("generator_cpu")),
    ("MkDocs CPU", _first_build("mkdocs_cpu"), _s, _build_runs("mkdocs_cpu")),
    ("搜索索引 CPU", _first_build("search_index_cpu"), _s, _build_runs("search_index_cpu")),
    ("总用时 CPU", _first_build("cpu_seconds"), _s, _build_runs("cpu_seconds")),
    ("网站大小", lambda f: f["ours"]["site_bytes"], _mb),
    ("最大页面", lambda f: f["ours"]["largest_page"], _kb),
    ("平均页面", lambda f: f["ours"]["average_page"], _kb),
    ("峰值内存", lambda f: f["ours"]["peak_memory"], _mb),
    ("首次搜索下载", lambda f: f["ours"]["first_search_bytes"], _kb),
    ("改一条整改记录（同一进程）", _edit("rectification", "same"), _s),
    ("改一条整改记录（新进程）", _edit("rectification", "new"), _s),
    ("改一条绩效指标（同一进程）", _edit("indicator", "same"), _s),
    ("改一条绩效指标（新进程）", _edit("indicator", "new"), _s),
]


def growth(runs: list[dict]) -> list[str]:
    """How each figure grows from one size to the next (``runs``: the figures of ``run``, smallest first), beside
    how the records grow; the figures whose medians grow faster than the records are named. For a timing measured
    several times, the span its growth could have from those runs follows (the lowest of the larger size over the
    highest of the smaller, the highest over the lowest): a figure named whose span reaches below the records'
    growth is within the runs' scatter."""
    steps = list(pairwise(runs))
    head = [r["size"] for r in runs] + [f"{a['size']}→{b['size']}" for a, b in steps]
    lines = ["| 指标 | " + " | ".join(head) + " |", "|" + " --- |" * (len(head) + 1),
             "| 记录数 | " + " | ".join(str(r["records"]) for r in runs)
             + "".join(f" | ×{b['records'] / a['records']:.2f}" for a, b in steps) + " |"]
    faster, within, spans = [], [], False
    for label, figure, shown, *each in GROWTH:
        cells = [shown(v) if (v := figure(r)) is not None else "—" for r in runs]
        for a, b in steps:
            before, after, records = figure(a), figure(b), b["records"] / a["records"]
            if not before or after is None:
                cells.append("—")
                continue
            lowest, span = _span(each[0](a), each[0](b)) if each else (None, "")
            spans = spans or bool(span)
            cells.append(f"×{after / before:.2f}{span}")
            if after / before > records:
                named = f"{label}（{a['size']}→{b['size']} ×{after / before:.2f}{span}，记录 ×{records:.2f}）"
                (within if lowest is not None and lowest <= records else faster).append(named)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    if spans:
        lines.append("首次构建的各项 CPU 为几次运行的中位数，其倍数后括号内是各次运行可能给出的范围（大规模最低的一次比"
                     "小规模最高的一次，到最高比最低）；被列出而范围低端不超过记录数倍数的，在各次测量的波动之内。")
    if within:
        lines.append("中位数增长快于记录数、但在各次运行的波动之内的指标：" + "；".join(within))
    lines.append("增长快于记录数的指标：" + "；".join(faster) if faster
                 else "没有一项指标的增长确定快于记录数：上列各项在各次运行的波动之内。" if within
                 else "没有一项指标增长快于记录数。")
    return lines


def _span(before: list[float], after: list[float]) -> tuple[float | None, str]:
    """The lowest growth from ``before`` to ``after`` their runs allow, and the span shown (none without runs)."""
    if len(before) < 2 or len(after) < 2 or min(before) <= 0:
        return None, ""
    lowest = min(after) / max(before)
    return lowest, f"（各次 ×{lowest:.2f}–{max(after) / min(before):.2f}）"


def main(sizes: str | list[str], paths, keep: Path | None = None, seed: int = 1, runs: int | None = None) -> int:
    """Benchmark each of ``sizes`` in turn (with ``keep``: each in its own folder, ``keep/<size>`` when there are
    several); with more than one, then how each figure grows from one size to the next."""
    sizes = [sizes] if isinstance(sizes, str) else list(sizes)
    sizes = sorted(dict.fromkeys(sizes), key=lambda s: list(synth.PRESETS).index(s))  # smallest first
    results = []
    # Nothing is deleted until every size has been measured (see ``TRASH``): not the temporary folder of one size
    # before the next, nor what a kept folder held from an earlier benchmark.
    with tempfile.TemporaryDirectory(prefix="jx-bench-") as tmp:
        folders = []
        for size in sizes:
            folder = Path(tmp) / size if keep is None else keep if len(sizes) == 1 else keep / size
            folder.mkdir(parents=True, exist_ok=True)
            folders.append(folder)
            lines, figures = run(size, paths.root, folder.resolve(), seed, runs)
            if keep is not None:
                (folder / "bench.json").write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
            print("\n".join(lines) + ("\n" if len(sizes) > 1 else ""), flush=True)
            results.append(figures)
        if len(results) > 1:
            print("\n".join([f"规模增长（{'、'.join(sizes)}）：各项指标的值，以及相邻规模之间的倍数", "", *growth(results)]))
        for folder in folders:
            shutil.rmtree(folder / TRASH, ignore_errors=True)
    return 0


if __name__ == "__main__":
    # Child mode: python -m generator.bench --child build ROOT DATA SITE CACHE | generate DATA OUT CACHE
    # | preview ROOT DATA WORK | floor CONFIG [SITE]
    if sys.argv[1:2] != ["--child"]:
        sys.exit("用法：python -m generator bench S|M|L（可给出几个，例如 S M L）")
    kind, *rest = sys.argv[2:]
    if kind == "build":
        result = _child_build(*map(Path, rest))
    elif kind == "generate":
        result = _generate_timed(*map(Path, rest))
    elif kind == "preview":
        result = _child_preview(*map(Path, rest))
    else:
        result = _child_floor(*map(Path, rest))
    print(json.dumps(result), flush=True)
    from .cache import release_memory
    release_memory()  # as ``python -m generator`` does before it ends
