"""Site search index: Pagefind, fed each page as MkDocs writes it.

Pagefind splits its index into chunks that the browser fetches per query, so the first search stays small however
many years the archive holds; its extended build segments Chinese words (消防, 环城西路). It indexes only the
element marked ``data-pagefind-body`` (overrides/partials/content.html): the page's own content, not the
navigation repeated on every page. The binary ships in the ``pagefind[extended]`` wheel, so builds need no network.

Pagefind runs as a service (``pagefind --service``: base64 JSON messages separated by commas on its stdin and
stdout) while MkDocs builds: the plugin hands it every page as it is written (``feed``), so Pagefind reads and
segments pages on the second CPU while MkDocs renders the next ones, and after MkDocs only building the index is
left (``Indexer.finish``); Pagefind returns its files and they are written here. Pages MkDocs writes outside its page loop (404.html) and HTML copied as it is are read
from the site at the end. Pages are given in MkDocs' order, so the same site gives the same index bytes.

Pagefind is given only what it would index. Every page repeats the header, navigation and footer, and the long
record lists are marked ``data-pagefind-ignore``; Pagefind would still parse all of that (about half of each
page's bytes) to throw it away. So each page is cut down first, with plain string work on the ``data-pagefind-*``
markers: its ``<html>`` tag (language) and ``<title>``, the ``data-pagefind-body`` element, and inside it each
ignored element emptied. Pagefind gets the cut page under the page's own path, so it gives it the same URL, and
indexes it as it would the page. A page is passed whole when cutting it could change what Pagefind records
(meta, filters or sort keys anywhere, a heading or image outside the body or inside an ignored element, markup the
cutter does not follow).
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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


# Left out of the index wherever they are: the "下载本表（CSV）" under every table (a selector costs no bytes in the
# pages, an attribute would on each of 18,000 tables of a ten-year archive).
EXCLUDED = (".jx-table-download",)


# The indexed pages' titles, for the search box to put a page whose title holds what was typed first: Pagefind ranks
# by words its segmenter made at build time, while the browser segments the query its own way (Chromium found
# nothing for 2023年整改台账, the title of a page).
TITLES = "titles.json"
_H1 = re.compile(rb"<h1(?=[\s>])[^>]*>(.*?)</h1\s*>", re.I | re.S)
_TAGS = re.compile(r"<[^>]*>")


def page_title(html: bytes) -> str:
    """The page's first <h1> as text, as Pagefind takes its title."""
    import html as html_lib

    found = _H1.search(html)
    return " ".join(html_lib.unescape(_TAGS.sub("", found.group(1).decode("utf-8", "replace"))).split()) if found else ""


def page_url(rel: str) -> str:
    """2023/rectifications/index.html -> 2023/rectifications/ (relative to the site, as the box resolves it)."""
    return rel[: -len("index.html")] if rel == "index.html" or rel.endswith("/index.html") else rel


def titles_json(titles: dict[str, str]) -> bytes:
    """[[title, url], …] in URL order (the same bytes whatever order the pages came in)."""
    return json.dumps([[titles[url], url] for url in sorted(titles)], ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


class Indexer:
    """One search index built by a Pagefind service process: ``add`` pages (in any number, as they come), then
    ``finish`` writes the bundle. Used as a context manager, so a failed build never leaves Pagefind running.

    ``cut=False`` gives Pagefind the pages whole (the tests compare both)."""

    def __init__(self, *, cut: bool = True):
        self.cut = cut
        self.seen: set[str] = set()  # site-relative paths of the pages handled, given to Pagefind or not
        self.titles: dict[str, str] = {}  # page URL (relative to the site) -> its title, of the pages indexed
        self.marked = 0  # pages given with a data-pagefind-body
        self._answers = 0
        self._errors: list[str] = []
        self._sent = 0
        self._last: dict = {}
        self._done = threading.Condition()
        self._stderr = tempfile.TemporaryFile()
        try:
            self._proc = subprocess.Popen([str(executable()), "--service"], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, stderr=self._stderr)
        except OSError as exc:
            self._stderr.close()
            raise SearchIndexError(f"无法启动 Pagefind：{exc}") from exc
        self._reader = threading.Thread(target=self._read, name="pagefind-answers", daemon=True)
        self._reader.start()
        self._index = self._request({"type": "NewIndex", "config": {"exclude_selectors": list(EXCLUDED)}},
                                    wait=True).get("index_id", 0)

    # -- feeding

    def add(self, rel: str, html: bytes) -> None:
        """Page ``rel`` (its path in the site, e.g. ``2023/index.html``) as written to disk."""
        self.seen.add(rel)
        page = cut_page(html) if self.cut else html
        if page is None:
            return  # no data-pagefind-body: Pagefind would leave it out (see ``finish``)
        if self.cut or _ANY_BODY.search(html):
            self.marked += 1
            title = page_title(page)
            if title:
                self.titles[page_url(rel)] = title
        self._add(rel, page)

    def _add(self, rel: str, page: bytes) -> None:
        self._request({"type": "AddFile", "index_id": self._index, "file_path": rel, "url": None,
                       "file_contents": page.decode("utf-8", errors="replace")})

    def finish(self, site_dir: Path) -> Path:
        """Add the pages of ``site_dir`` not added yet, write the bundle into ``site_dir/pagefind``; returns it.

        As Pagefind does itself: pages without ``data-pagefind-body`` are left out when any page has it, and when
        none has, every page is indexed whole."""
        site_dir = Path(site_dir)
        bundle = site_dir / BUNDLE_DIR
        pages = sorted(p for p in site_dir.rglob("*.html") if p.relative_to(site_dir).parts[0] != BUNDLE_DIR)
        for page in pages:
            rel = page.relative_to(site_dir).as_posix()
            if rel not in self.seen:
                self.add(rel, page.read_bytes())
        if self.marked == 0 and self.cut:  # (uncut, every page was given whole already)
            for page in pages:
                self._add(page.relative_to(site_dir).as_posix(), page.read_bytes())
        # The bundle comes back in the answer and is written here. (Asked to write it itself, the service answers
        # before its last files are on disk, and it stops mid-write when its input ends: pagefind-entry.json was
        # found empty.)
        answer = self._request({"type": "GetFiles", "index_id": self._index}, wait=True)
        self.close()
        if self._errors:
            raise SearchIndexError("生成搜索索引失败（Pagefind）：" + "；".join(self._errors[:3]))
        files = answer.get("files") if answer.get("type") == "GetFiles" else None
        if not files or not any(f.get("path") == "pagefind.js" for f in files):
            raise SearchIndexError(f"Pagefind 没有生成 {bundle}/pagefind.js；请检查页面是否带有 data-pagefind-body")
        if bundle.exists():
            shutil.rmtree(bundle)
        files = [*files, {"path": TITLES, "content": base64.b64encode(titles_json(self.titles)).decode()}]
        made: set[Path] = set()
        for f in files:
            rel = Path(f["path"])
            if rel.is_absolute() or ".." in rel.parts:
                raise SearchIndexError(f"Pagefind 给出了索引目录以外的文件：{f['path']}")
            if rel.as_posix() in UNUSED_UI:
                continue
            out = bundle / rel
            if out.parent not in made:
                out.parent.mkdir(parents=True, exist_ok=True)
                made.add(out.parent)
            out.write_bytes(base64.b64decode(f["content"]))
        return bundle

    def close(self) -> None:
        """End the service (``finish`` does when the bundle is written; a failed build, on leaving the ``with``)."""
        if self._stderr.closed:
            return
        if self._proc.poll() is None:
            try:
                self._proc.stdin.close()  # Pagefind's service exits at the end of its input
            except OSError:
                pass
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._reader.join(timeout=10)
        self._stderr.close()

    def __enter__(self) -> Indexer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the service's protocol

    def _request(self, payload: dict, *, wait: bool = False) -> dict:
        self._sent += 1
        number = self._sent
        message = json.dumps({"message_id": number, "payload": payload}, ensure_ascii=False).encode("utf-8")
        try:
            self._proc.stdin.write(base64.b64encode(message) + b",")
            if wait:
                self._proc.stdin.flush()
        except OSError as exc:
            raise SearchIndexError(f"Pagefind 意外退出：{self._stderr_text() or exc}") from exc
        if not wait:
            return {}
        with self._done:
            # Answers come in order: when this one is in, every earlier message has been handled.
            self._done.wait_for(lambda: self._answers >= number or self._proc.poll() is not None)
            if self._answers < number:
                raise SearchIndexError(f"Pagefind 意外退出（退出码 {self._proc.returncode}）：{self._stderr_text()}")
            return self._last

    def _read(self) -> None:
        """Collect the service's answers (on a thread: Pagefind answers while this process goes on writing)."""
        pending: list[bytes] = []  # the start of a message not ended yet (the bundle is one message of megabytes)
        stream = self._proc.stdout
        while chunk := stream.read1(1 << 20):
            *ended, rest = chunk.split(b",")
            messages = []
            for part in ended:
                pending.append(part)
                messages.append(b"".join(pending))
                pending = []
            if rest:
                pending.append(rest)
            for raw in messages:
                try:
                    answer = json.loads(base64.b64decode(raw))
                except ValueError:
                    answer = {"payload": {"type": "Error", "message": "无法解析 Pagefind 的回答"}}
                payload = answer.get("payload") or {}
                with self._done:
                    if payload.get("type") == "Error":
                        self._errors.append(str(payload.get("message", ""))[:300])
                    if answer.get("message_id") is not None:
                        self._answers = max(self._answers, answer["message_id"])
                    self._last = payload
                    self._done.notify_all()
        with self._done:
            self._done.notify_all()

    def _stderr_text(self) -> str:
        try:
            self._stderr.seek(0)
            return self._stderr.read().decode("utf-8", errors="replace").strip()[-500:]
        except (OSError, ValueError):
            return ""


# The index MkDocs' plugin feeds while a build runs (``feeding``); None otherwise (serve, other builds).
_FEEDING: Indexer | None = None


@contextmanager
def feeding(indexer: Indexer) -> Iterator[Indexer]:
    """While this lasts, every page the MkDocs plugin writes goes to ``indexer`` (``feed``)."""
    global _FEEDING
    _FEEDING = indexer
    try:
        yield indexer
    finally:
        _FEEDING = None


def feed(rel: str, html: str) -> None:
    """Called by the MkDocs plugin with each page's final HTML and its path in the site."""
    if _FEEDING is not None:
        _FEEDING.add(rel, html.encode("utf-8"))


def build_index(site_dir: Path) -> Path:
    """Write the search bundle for the pages already in ``site_dir`` into ``site_dir/pagefind``; returns its path."""
    with Indexer() as indexer:
        return indexer.finish(site_dir)


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
// The search box's own rules, from the site's copy of its script (run without a page, it only hands them out).
new Function(await readFile(site + "/assets/jx-search.js", "utf-8"))();
const core = globalThis.JXSearchCore;
const titlesFile = site + "/pagefind/titles.json";
const titles = JSON.parse(await readFile(titlesFile, "utf-8"));
fetched.push(titlesFile);
const out = [];
let seen = 0;
for (const query of queries) {
  const searched = core.docNumber(query);
  const found = { results: await core.candidates(pagefind, searched) };
  const parts = core.normalise(searched).split(" ").filter(Boolean);
  const titled = core.titleMatches(titles, parts, searched).map((t) => ({ url: "/" + t.url, meta: { title: t.title } }));
  // As the box looks for its first page: Pagefind's candidates in batches of 10, at most 50, until the page is full.
  const wanted = 10 - titled.length;
  const kept = [];
  for (let next = 0; kept.length < wanted && next < found.results.length && next < 50; next += 10) {
    const batch = await Promise.all(found.results.slice(next, next + 10).map((r) => r.data()));
    for (const d of batch) {
      if (kept.length < wanted && core.containsAll(d, parts)) kept.push(d);
    }
  }
  const page = core.firstPage(kept, titled, (d) => d.url, (d) => core.forStaff(d.url.slice(1)));
  out.push({ query, total: page.kept.length, candidates: found.results.length, fetched: fetched.slice(seen),
             results: page.kept.map((d) => ({ url: d.url, title: d.meta.title || "" })) });
  seen = fetched.length;
}
console.log(JSON.stringify(out));
"""


def node() -> str | None:
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
