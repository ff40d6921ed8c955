"""No request to any other host from any page, and a build that needs no network at all.

Readers in a county office may sit behind a firewall that drops foreign hosts: one font or script from a CDN
stalls every page. The build runs on machines without internet, too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.browser.conftest import open_browsing
from tests.browser.siteindex import ExampleData
from tests.browser.ui import type_query
from tests.conftest import ROOT

SAMPLE = 24  # pages of the large example visited in the browser; the link checker covers all of them

# Loaded before anything else in the build's Python: any socket to a non-loopback address raises and is
# reported on stderr, so a hidden download attempt fails the build loudly instead of waiting for a timeout.
NETWORK_GUARD = textwrap.dedent('''
    import socket, sys

    _LOCAL = {"127.0.0.1", "::1", "localhost"}
    _connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def _check(address):
        if isinstance(address, tuple) and address and str(address[0]) not in _LOCAL:
            sys.stderr.write(f"JX-NETWORK-BLOCKED {address!r}\\n")
            raise OSError(101, f"测试中已断网：{address!r}")

    def connect(self, address):
        _check(address)
        return _connect(self, address)

    def connect_ex(self, address):
        _check(address)
        return _connect_ex(self, address)

    def getaddrinfo(host, *args, **kwargs):
        _check((host,))
        return _getaddrinfo(host, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
''')


def crawl(browser, site, paths: list[str]) -> tuple[list[str], list[str], list[str], int]:
    """Visit ``paths`` and search once; returns (outside requests, failed requests, script errors, requests)."""
    context, seen = open_browsing(browser)
    try:
        for path in paths:
            seen.goto(site.url(path))
            seen.settle()
        # Searching loads the index and its worker: their requests count too.
        type_query(seen.page, "绩效")
        seen.page.keyboard.press("End")
        seen.page.locator(".md-search-result__item a").first.wait_for()
        seen.settle()
    finally:
        context.close()
    return seen.outside, seen.failed, seen.errors, len(seen.requests)


@pytest.mark.browser
def test_recorder_catches_requests_to_other_hosts(browser, yuechi):
    """The check below can fail: a page asking a CDN for a font and a script is caught and cut off."""
    context, seen = open_browsing(browser)
    try:
        seen.goto(yuechi.url("/"))
        seen.page.evaluate("""() => {
            const css = document.createElement('link');
            css.rel = 'stylesheet'; css.href = 'https://fonts.googleapis.com/css2?family=Noto+Sans+SC';
            const script = document.createElement('script');
            script.src = 'https://cdn.jsdelivr.net/npm/lunr/lunr.min.js';
            document.head.append(css, script);
        }""")
        seen.settle()
    finally:
        context.close()
    recorded = "\n".join(seen.outside)
    assert len(seen.outside) == 2, recorded
    assert "https://fonts.googleapis.com/css2?family=Noto+Sans+SC" in recorded
    assert "https://cdn.jsdelivr.net/npm/lunr/lunr.min.js" in recorded


@pytest.mark.browser
def test_no_request_leaves_localhost_on_any_page_of_the_bundled_example(browser, yuechi):
    paths = list(yuechi.index.pages)
    outside, failed, errors, count = crawl(browser, yuechi, paths)
    assert count > len(paths), "没有记录到页面资源请求，记录方式失效"
    assert not outside, "页面请求了其他主机：\n" + "\n".join(outside)
    assert not failed, "页面加载的资源失败：\n" + "\n".join(failed)
    assert not errors, "页面脚本出错：\n" + "\n".join(errors)


@pytest.mark.browser
def test_no_request_leaves_localhost_on_the_multi_year_example(browser, shixian):
    pages = list(shixian.index.pages)
    # Every kind of key page plus an even spread over the rest: same templates, different data.
    key = [p for p in shixian.key_pages().values() if p]
    step = max(1, len(pages) // SAMPLE)
    paths = list(dict.fromkeys(key + pages[::step]))
    outside, failed, errors, _ = crawl(browser, shixian, paths)
    assert not outside, "页面请求了其他主机：\n" + "\n".join(outside)
    assert not failed, "页面加载的资源失败：\n" + "\n".join(failed)
    assert not errors, "页面脚本出错：\n" + "\n".join(errors)


@pytest.mark.browser
def test_a_browser_without_resize_observer_asks_no_other_host(browser, shixian):
    """Without ResizeObserver (older domestic browsers) the theme would load a polyfill from unpkg.com; the site's
    stand-in (assets/jx-compat.js, loaded before the theme by overrides/main.html) keeps the page on this host
    and working."""
    context, seen = open_browsing(browser)
    try:
        seen.page.context.add_init_script(
            "Object.defineProperty(window, 'ResizeObserver', {value: undefined, writable: true, configurable: true})")
        for path in ["/", shixian.key_pages().get("year") or "/"]:
            seen.goto(shixian.url(path))
            seen.settle()
        native = seen.page.evaluate("() => String(window.ResizeObserver).includes('[native code]')")
        type_query(seen.page, "绩效")
        seen.page.locator(".md-search-result__item a").first.wait_for()
        seen.settle()
    finally:
        context.close()
    assert native is False, "the test browser still had its own ResizeObserver"
    assert not seen.outside, "页面请求了其他主机：\n" + "\n".join(seen.outside)
    assert not seen.errors, "页面脚本出错：\n" + "\n".join(seen.errors)


def offline_command(guard_dir: Path) -> tuple[list[str], dict[str, str]]:
    """Run a command with the network guard, inside an empty network namespace when the system allows it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(guard_dir), env.get("PYTHONPATH")]))
    prefix: list[str] = []
    unshare = shutil.which("unshare")
    if unshare:
        for candidate in ([unshare, "-n"], [unshare, "-rn"]):
            if subprocess.run([*candidate, "true"], capture_output=True).returncode == 0:
                prefix = candidate
                break
    return prefix, env


@pytest.mark.slow
def test_build_works_with_the_network_off(tmp_path):
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(NETWORK_GUARD, encoding="utf-8")
    prefix, env = offline_command(guard)
    # First prove the guard is on: a download attempt from the same interpreter must fail.
    probe = subprocess.run([*prefix, sys.executable, "-c",
                            "import urllib.request; urllib.request.urlopen('http://pypi.org/', timeout=5)"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert probe.returncode != 0, "断网措施未生效：测试进程仍能联网"
    site = tmp_path / "site"
    build = subprocess.run([*prefix, sys.executable, "-m", "generator", "--data", str(ROOT / "data"),
                            "--site", str(site), "build"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, f"断网后构建失败（{' '.join(prefix) or '仅套接字拦截'}）：\n{build.stdout}\n{build.stderr}"
    assert "JX-NETWORK-BLOCKED" not in build.stderr, f"构建试图联网：\n{build.stderr}"
    missing = [year for year in ExampleData(ROOT / "data").years if not (site / year / "index.html").is_file()]
    assert (site / "index.html").is_file() and not missing, f"断网构建的网站缺少页面：{missing}"
