"""Site search index: Pagefind run over the built HTML, after MkDocs.

Pagefind splits its index into chunks that the browser fetches per query, so the first search stays small however
many years the archive holds; its extended build segments Chinese words (消防, 环城西路). It indexes only the
element marked ``data-pagefind-body`` (overrides/partials/content.html): the page's own content, not the
navigation repeated on every page. The binary ships in the ``pagefind[extended]`` wheel, so builds need no network.

Pagefind is given only what it would index. Every page repeats the header, navigation and footer, and the long
record lists are marked ``data-pagefind-ignore``; Pagefind would still parse all of that (about half of each
page's bytes) to throw it away. So each page is cut down first, with plain string work on the ``data-pagefind-*``
markers: its ``<html>`` tag (language) and ``<title>``, the ``data-pagefind-body`` element, and inside it each
ignored element emptied. The cut copies go into a scratch directory at the same paths, so Pagefind gives them
the same URLs, and Pagefind indexes them as it would the pages. A page is passed whole when cutting it could
change what Pagefind records (meta, filters or sort keys anywhere, a heading or image outside the body or inside
an ignored element, markup the cutter does not follow).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
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
    site_dir = Path(site_dir)
    bundle = site_dir / BUNDLE_DIR
    with tempfile.TemporaryDirectory(prefix="jx-pagefind-") as tmp:
        source = Path(tmp) / "site"
        write_index_input(site_dir, source)
        cmd = [str(executable()), "--site", str(source), "--output-path", str(bundle.resolve()), "--silent"]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SearchIndexError(f"生成搜索索引失败（Pagefind 退出码 {done.returncode}）：{done.stderr.strip()[:500]}")
    if not (bundle / "pagefind.js").is_file():
        raise SearchIndexError(f"Pagefind 没有生成 {bundle}/pagefind.js；请检查页面是否带有 data-pagefind-body")
    for name in UNUSED_UI:
        (bundle / name).unlink(missing_ok=True)
    return bundle


# --- what Pagefind is given -----------------------------------------------------------------

# Pages are handled as bytes (UTF-8 as MkDocs writes them): nothing is decoded, and what is kept is copied as is.
# The markers are found as the templates write them, in lower case.
_MARKER = b"data-pagefind-"
_BODY = b"data-pagefind-body"
_IGNORE = b"data-pagefind-ignore"
_ANY_BODY = re.compile(rb"(?i)data-pagefind-body")
_HTML_TAG = re.compile(rb"<html(?=[\s>])[^>]*>", re.I)
_HEAD_END = re.compile(rb"</head\s*>", re.I)
_TITLE = re.compile(rb"<title(?=[\s>])[^>]*>.*?</title\s*>", re.I | re.S)
_TAG_NAME = re.compile(rb"<([A-Za-z][A-Za-z0-9-]*)\s")
_START_TAG = re.compile(rb"""<[^\s>]+(?:[^>"']|"[^"]*"|'[^']*')*>""")
# What Pagefind records outside the indexed content: the first <h1> names the page (<title> if none), the first
# image after it becomes the result's image, meta, filters and sort keys count wherever they are (also inside
# ignored elements). Where one of these lies in a part that would be cut, nothing is cut.
_RECORDED = (b"<h1", b"<H1", b"<img", b"<IMG", b"<title", b"<TITLE", _MARKER)
_VOID = {b"area", b"base", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link", b"meta", b"source", b"track",
         b"wbr"}
# Comments and raw text (scripts, styles) may hold what looks like tags; the scan for an end tag steps over them.
_RAW_TEXT = b"script|style|textarea|xmp|iframe|noembed|noframes|title"
_TAG_SCANNERS: dict[bytes, re.Pattern] = {}


def write_index_input(site_dir: Path, dest: Path) -> int:
    """Write what Pagefind should read for ``site_dir`` into ``dest`` (same relative paths); returns the page count.

    Pages without ``data-pagefind-body`` are left out when any page has it, as Pagefind leaves them out."""
    pages = [p for p in sorted(site_dir.rglob("*.html")) if p.relative_to(site_dir).parts[0] != BUNDLE_DIR]
    made: set[Path] = set()

    def write(page: Path, data: bytes) -> None:
        out = dest / page.relative_to(site_dir)
        if out.parent not in made:
            out.parent.mkdir(parents=True, exist_ok=True)
            made.add(out.parent)
        out.write_bytes(data)

    count = 0
    for page in pages:
        cut = cut_page(page.read_bytes())
        if cut is not None:
            write(page, cut)
            count += 1
    if count == 0:  # no page marks its content: Pagefind indexes every page whole
        for page in pages:
            write(page, page.read_bytes())
            count += 1
    return count


def cut_page(html: bytes) -> bytes | None:
    """The part of a page Pagefind indexes, as a small page of its own; the page itself when cutting it could change
    what Pagefind records; None when Pagefind would skip it (no ``data-pagefind-body``)."""
    bodies = []
    pos = 0
    while (found := _find_marked(html, _BODY, pos)) is not None:
        start, name = found
        end = _element_end(html, start, name)
        if end is None:
            return html
        bodies.append((start, end))
        pos = end
    if not bodies:
        return html if _ANY_BODY.search(html) else None
    head_end = _HEAD_END.search(html, 0, bodies[0][0])
    html_tag = _HTML_TAG.search(html, 0, bodies[0][0])
    if head_end is None or html_tag is None or _MARKER in html[:head_end.start()]:
        return html
    # What lies between the head and the bodies, and after them, is cut: it must hold nothing Pagefind records.
    edges = [head_end.start()] + [i for body in bodies for i in body] + [len(html)]
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if any(html.find(mark, a, b) >= 0 for mark in _RECORDED):
            return html
    title = _TITLE.search(html, 0, head_end.start())
    parts = [b'<!doctype html>', html_tag.group(0), b'<head><meta charset="utf-8">',
             title.group(0) if title else b"", b"</head><body>"]
    for start, end in bodies:
        body = _empty_ignored(html[start:end])
        if body is None:
            return html
        parts.append(body)
    parts.append(b"</body></html>")
    return b"".join(parts)


def _empty_ignored(body: bytes) -> bytes | None:
    """The body with each ``data-pagefind-ignore`` element emptied, its tags kept (they may carry an anchor id);
    None if the markup is not followed."""
    if _IGNORE not in body:
        return body
    out = []
    pos = 0  # copied up to here
    scan = 0
    while (found := _find_marked(body, _IGNORE, scan)) is not None:
        start, name = found
        start_tag = _START_TAG.match(body, start)
        end = _element_end(body, start, name)
        if start_tag is None or end is None:
            return None
        scan = end
        inner_end = body.rfind(b"</", start_tag.end(), end)
        if any(body.find(mark, start_tag.end(), inner_end) >= 0 for mark in _RECORDED):
            continue  # kept whole: Pagefind reads something in it
        out += (body[pos:start_tag.end()], body[inner_end:end])
        pos = end
    out.append(body[pos:])
    return b"".join(out)


def _find_marked(html: bytes, attribute: bytes, pos: int) -> tuple[int, bytes] | None:
    """Start and lower-case tag name of the next element from ``pos`` with ``attribute`` in its start tag."""
    while (at := html.find(attribute, pos)) >= 0:
        pos = at + len(attribute)
        if html[pos:pos + 1] not in b" =>/\t\n\r\f":
            continue  # a longer attribute name
        start = html.rfind(b"<", 0, at)
        if start < 0 or html.find(b">", start, at) >= 0:
            continue  # in text, not in a tag (an attribute value holding '>' is missed: the page goes whole)
        name = _TAG_NAME.match(html, start)
        if name is not None:
            return start, name.group(1).lower()
    return None


def _element_end(html: bytes, start: int, name: bytes) -> int | None:
    """Index just past the end tag closing the ``name`` element that starts at ``start``; None if there is none."""
    if name in _VOID:
        return None
    scanner = _TAG_SCANNERS.get(name)
    if scanner is None:
        scanner = _TAG_SCANNERS[name] = re.compile(
            rb"<(?:!--.*?-->|(" + _RAW_TEXT + rb")(?=[\s/>]).*?</\1\s*>|(/?)" + re.escape(name) + rb"(?=[\s/>]))",
            re.I | re.S)
    depth = 0
    for match in scanner.finditer(html, start):
        if match.group(2) is None:
            continue  # a comment or raw text
        if match.group(2):
            depth -= 1
            if depth == 0:
                close = html.find(b">", match.end())
                return None if close < 0 else close + 1
        else:
            depth += 1
    return None


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
