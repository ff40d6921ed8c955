"""Browser fixtures: Debian's chromium driven by Playwright, the built example sites served on localhost.

Chromium is found at /usr/bin/chromium (``JX_CHROMIUM`` overrides it). On a developer machine without it the
browser tests are skipped with the reason; in CI (``CI=true``) a missing browser fails them, so a broken
install can never pass as green.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tests.browser.siteindex import ExampleData, SiteIndex
from tests.conftest import ROOT, build_site

CHROMIUM = Path(os.environ.get("JX_CHROMIUM", "/usr/bin/chromium"))
IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")
# Headless, no sandbox (CI runs as root), and nothing that phones home: updates, sync, QUIC probes.
LAUNCH_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHIXIAN_DATA = ROOT / "examples" / "shixian" / "data"
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
VENDOR = Path(__file__).resolve().parent / "vendor"
LOCAL_HOSTS = ("127.0.0.1", "localhost")
OUTSIDE = re.compile(r"^(?!https?://(?:127\.0\.0\.1|localhost)(?::\d+)?/)[a-z][a-z0-9+.-]*://", re.IGNORECASE)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"CI 中必须运行浏览器测试，但{reason}", pytrace=False)
    pytest.skip(f"浏览器测试跳过：{reason}")


@pytest.fixture(scope="session")
def browser():
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"未找到 Chromium（{CHROMIUM}）；安装：apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("未安装 playwright；安装：.venv/bin/pip install -e '.[test]'")
    with sync_playwright() as playwright:
        # launch() gives every run a fresh temporary profile: no cache or cookies carried between runs.
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature fixed by http.server
        pass


@dataclass
class Served:
    """A built site answering on localhost, with what its pages and data contain."""

    name: str
    root: Path
    data: ExampleData
    base: str = ""
    index: SiteIndex = field(init=False)
    _key_pages: dict[str, str | None] | None = field(default=None, init=False, repr=False)

    def __post_init__(self):
        self.index = SiteIndex(self.root)

    def url(self, path: str) -> str:
        return urljoin(self.base, path.lstrip("/"))

    @property
    def latest_year(self) -> str:
        return self.data.years[-1]

    def key_pages(self) -> dict[str, str | None]:
        """The pages a reader visits most, by kind; None for a kind the site does not have (yet)."""
        if self._key_pages is None:
            self._key_pages = self._find_key_pages()
        return self._key_pages

    def _find_key_pages(self) -> dict[str, str | None]:
        index = self.index
        return {
            "home": "/",
            "year": f"/{self.latest_year}/",
            "archive": index.page_titled("历年公开"),
            "department": next(filter(None, map(index.linked_page, self.data.departments)), None),
            "project": next(filter(None, map(index.linked_page, self.data.projects)), None),
            "tracker": index.page_titled("整改"),
        }


def _serve(name: str, root: Path, data_dir: Path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    served = Served(name, root, ExampleData(data_dir), f"http://127.0.0.1:{server.server_address[1]}/")
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def yuechi(example_site):
    """The bundled 岳池县 2023 example (one year, real data)."""
    yield from _serve("yuechi", example_site, ROOT / "data")


@pytest.fixture(scope="session")
def shixian(tmp_path_factory):
    """The synthetic multi-year 示例县 example (examples/shixian/data/): every kind of page and record."""
    site = build_site(SHIXIAN_DATA, tmp_path_factory.mktemp("shixian") / "site")
    yield from _serve("shixian", site, SHIXIAN_DATA)


@pytest.fixture(params=["yuechi", "shixian"])
def any_site(request) -> Served:
    return request.getfixturevalue(request.param)


def lacks(site: Served, what: str) -> None:
    """The site has no ``what``. The one-year 岳池县 example lacks some kinds (its report publishes no project
    records), so the check is left to the multi-year example there; that example lacking one is a failure."""
    if site.name == "yuechi":
        pytest.skip(f"岳池县示例没有{what}（由多年度示例检查）")
    pytest.fail(f"{site.name} 示例网站应有{what}")


def is_local(url: str) -> bool:
    if url.startswith(("data:", "blob:", "about:")):
        return True
    return urlsplit(url).hostname in LOCAL_HOSTS


@dataclass
class Browsing:
    """One fresh browser context and page, with every request it made and every error it met."""

    page: object
    requests: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    in_flight: int = 0

    def goto(self, url: str):
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.ok, f"打开 {url} 失败：{response and response.status}"
        return response

    def settle(self, quiet_ms: int = 150, limit_ms: int = 5000):
        """Wait until no request has been open for ``quiet_ms``; networkidle always waits a full 500 ms."""
        quiet = waited = 0
        while quiet < quiet_ms and waited < limit_ms:
            self.page.wait_for_timeout(50)
            waited += 50
            quiet = quiet + 50 if self.in_flight == 0 else 0


def open_browsing(browser, viewport=DESKTOP) -> tuple[object, Browsing]:
    context = browser.new_context(viewport=viewport, locale="zh-CN", service_workers="block")
    # A static page on localhost answers in milliseconds; a long wait would only hide a hang.
    context.set_default_timeout(10_000)
    page = context.new_page()
    seen = Browsing(page)

    def on_request(request):
        seen.requests.append(request.url)
        seen.in_flight += 1
        if not is_local(request.url):
            seen.outside.append(f"{request.resource_type} {request.url}（来自 {request.frame.url if request.frame else '?'}）")

    def on_response(response):
        if response.status >= 400:
            seen.failed.append(f"{response.status} {response.url}")

    def on_finished(request):
        seen.in_flight -= 1

    def on_failed(request):
        seen.in_flight -= 1
        # ERR_ABORTED: the page was left before a late request (the favicon) finished; nothing is broken.
        if request.failure != "net::ERR_ABORTED":
            seen.failed.append(f"{request.failure} {request.url}")

    # Requests are seen at the context level, so those of web workers (the search index) are recorded too.
    context.on("request", on_request)
    context.on("response", on_response)
    context.on("requestfinished", on_finished)
    context.on("requestfailed", on_failed)
    page.on("pageerror", lambda exc: seen.errors.append(str(exc)))
    # Abort anything bound elsewhere so a violation fails fast instead of waiting for a network timeout. A regular
    # expression (not a Python predicate) lets the browser intercept only those requests, not every one.
    context.route(OUTSIDE, lambda route: route.abort())
    return context, seen


@pytest.fixture
def browsing(browser):
    """A desktop-sized page; after the test, any request to another host fails it."""
    context, seen = open_browsing(browser)
    yield seen
    context.close()
    assert not seen.outside, "页面请求了其他主机：\n" + "\n".join(seen.outside)


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Emptied first: a screenshot left from an older run would mislead a reviewer."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS
