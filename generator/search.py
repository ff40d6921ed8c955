"""Site search index: Pagefind run over the built HTML, after MkDocs.

Pagefind splits its index into chunks that the browser fetches per query, so the first search stays small however
many years the archive holds; its extended build segments Chinese words (消防, 环城西路). It indexes only the
element marked ``data-pagefind-body`` (overrides/partials/content.html): the page's own content, not the
navigation repeated on every page. The binary ships in the ``pagefind[extended]`` wheel, so builds need no network.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

BUNDLE_DIR = "pagefind"
# Pagefind's ready-made interfaces; the site shows results in Material's own box (assets/jx-search.js) instead.
UNUSED_UI = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
             "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")


class SearchIndexError(RuntimeError):
    pass


def executable() -> Path:
    """The extended Pagefind binary (the standard one cannot segment Chinese)."""
    try:
        import pagefind_bin_extended
    except ImportError as exc:
        raise SearchIndexError(
            "未安装 Pagefind 扩展版，无法生成中文搜索索引；请运行 .venv/bin/pip install -e '.[test]' 或 "
            "pip install 'pagefind[extended]==1.5.2'") from exc
    return pagefind_bin_extended.get_executable()


def build_index(site_dir: Path) -> Path:
    """Write the search bundle into ``site_dir/pagefind``; returns its path."""
    cmd = [str(executable()), "--site", str(site_dir), "--output-subdir", BUNDLE_DIR, "--silent"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SearchIndexError(f"生成搜索索引失败（Pagefind 退出码 {done.returncode}）：{done.stderr.strip()[:500]}")
    bundle = site_dir / BUNDLE_DIR
    if not (bundle / "pagefind.js").is_file():
        raise SearchIndexError(f"Pagefind 没有生成 {bundle}/pagefind.js；请检查页面是否带有 data-pagefind-body")
    for name in UNUSED_UI:
        (bundle / name).unlink(missing_ok=True)
    return bundle


# --- querying the built index (tests and the benchmark) -------------------------------------------

# Runs Pagefind's own search code (pagefind.js and its wasm) in Node against the files on disk, recording every
# file it fetches, so tests check real search results and the benchmark counts real downloads.
_PROBE = r"""
import { readFile } from "node:fs/promises";
import { pathToFileURL, fileURLToPath } from "node:url";
const [site, ...queries] = JSON.parse(process.argv[2]);
const fetched = [];
globalThis.fetch = async (input) => {
  const url = new URL(String(input));
  url.search = "";
  const path = fileURLToPath(url);
  fetched.push(path);
  return new Response(await readFile(path), { status: 200 });
};
const pagefind = await import(pathToFileURL(site + "/pagefind/pagefind.js").href);
await pagefind.options({ baseUrl: "/" });
await pagefind.init();
// The same literal filter as content/assets/jx-search.js: a result must contain every part of the query.
const normalise = (text) => String(text || "").replace(/\u200b/g, "").replace(/\s+/g, " ").toLocaleLowerCase();
const out = [];
let seen = 0;
// Also the same candidates: the query's results, then those of its first Chinese character (a word prefix).
const candidates = async (query) => {
  const found = (await pagefind.search(query)).results;
  const first = query.match(/[\u3400-\u9fff]/);
  if (!first) return found;
  const ids = new Set(found.map((r) => r.id));
  return found.concat((await pagefind.search(first[0])).results.filter((r) => !ids.has(r.id)));
};
for (const query of queries) {
  const found = { results: await candidates(query) };
  const parts = normalise(query).split(" ").filter(Boolean);
  const kept = [];
  for (let next = 0; kept.length < 10 && next < found.results.length && next < 50; next += 10) {
    const batch = await Promise.all(found.results.slice(next, next + 10).map((r) => r.data()));
    for (const d of batch) {
      const text = normalise((d.meta.title || "") + " " + d.content);
      if (kept.length < 10 && parts.every((p) => text.includes(p))) kept.push(d);
    }
  }
  out.push({ query, total: kept.length, candidates: found.results.length, fetched: fetched.slice(seen),
             results: kept.map((d) => ({ url: d.url, title: d.meta.title || "" })) });
  seen = fetched.length;
}
console.log(JSON.stringify(out));
"""


def node() -> str | None:
    import shutil

    return shutil.which("node")


def probe(site_dir: Path, queries: list[str]) -> list[dict]:
    """Search the built site with Pagefind's JS in Node, as the search box does: per query, the results shown
    (at most 10, each containing the query literally), Pagefind's candidate count and the files fetched.

    The first query's ``fetched`` includes what initialising Pagefind loads (entry, metadata, wasm)."""
    import json
    import tempfile

    exe = node()
    if exe is None:
        raise SearchIndexError("未找到 Node.js，无法在本机运行 Pagefind 的检索代码")
    with tempfile.TemporaryDirectory(prefix="jx-probe-") as tmp:
        script = Path(tmp) / "probe.mjs"
        script.write_text(_PROBE, encoding="utf-8")
        done = subprocess.run([exe, str(script), json.dumps([str(site_dir.resolve()), *queries])],
                              capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SearchIndexError(f"检索失败：{done.stderr.strip()[-1000:]}")
    return json.loads(done.stdout)
