"""What a reader does in the page: follow a visible link, use the header search box. Shared by the tests."""

from __future__ import annotations

import time
from urllib.parse import unquote, urljoin, urlsplit

# The theme's selectors; a replacement search engine keeps them so the header looks and works the same.
SEARCH_BOX = "input[data-md-component=search-query], input.md-search__input"
SEARCH_BUTTON = "label.md-header__button[for=__search]"
RESULT_LINKS = ".md-search-result__item a"
FIRST = 10  # "among the first results": what fits on a phone screen and a glance on a desktop
WAIT_S = 10.0


def open_search_box(page):
    """Focus the search box the way a reader does: click it, or on a phone the magnifier button first."""
    button = page.locator(SEARCH_BUTTON).first
    if button.is_visible():  # the box sits behind this button on narrow screens
        button.click()
    box = page.locator(SEARCH_BOX).first
    box.click()
    return box


def result_paths(page) -> list[str]:
    hrefs = page.locator(RESULT_LINKS).evaluate_all("links => links.map(a => a.getAttribute('href'))")
    paths = []
    for href in hrefs:
        path = unquote(urlsplit(urljoin(page.url, href)).path)
        if path not in paths:
            paths.append(path)
    return paths


def wait_for_results(page, query: str, expected: set[str]) -> list[str]:
    """Results shown for ``query`` once one of ``expected`` is among the first; fails with what was shown."""
    deadline = time.monotonic() + WAIT_S
    while True:
        paths = result_paths(page)[:FIRST]
        if expected & set(paths) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(150)
    assert expected & set(paths), (
        f"输入「{query}」后，前 {FIRST} 个搜索结果中没有应有的页面 {sorted(expected)}；实际结果：{paths or '无'}")
    return paths


def type_query(page, query: str):
    box = open_search_box(page)
    box.press_sequentially(query, delay=40)
    return box


def current_path(page) -> str:
    return unquote(urlsplit(page.url).path)


def link_to(page, path: str, *, text: str | None = None, within: str = "body"):
    """The first visible link inside ``within`` that leads to ``path`` (and reads ``text``), as a locator."""
    found = page.evaluate("""([path, text, within]) => {
        document.querySelectorAll('[data-jx-target]').forEach(a => a.removeAttribute('data-jx-target'));
        for (const a of document.querySelectorAll(within + ' a[href]')) {
            const url = new URL(a.href, location.href);
            // Folded navigation hides links with visibility and opacity, not display: check all three.
            const box = a.getBoundingClientRect();
            const visible = a.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})
                && box.width > 0 && box.height > 0;
            if (visible && decodeURIComponent(url.pathname) === path
                    && (text === null || a.textContent.replace(/\\s+/g, ' ').trim() === text)) {
                a.setAttribute('data-jx-target', '');
                return true;
            }
        }
        return false;
    }""", [path, text, within])
    return page.locator("[data-jx-target]").first if found else None


def follow(page, path: str, *, text: str | None = None, within: str = "body", why: str):
    deadline = time.monotonic() + 3  # a menu that was just unfolded fades in
    while (link := link_to(page, path, text=text, within=within)) is None and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert link is not None, f"{current_path(page)} 上找不到可点击的链接通往 {path}（{why}）"
    link.click()
    page.wait_for_url(lambda url: unquote(urlsplit(url).path) == path)
    page.wait_for_load_state("load")


def heading(page) -> str:
    return " ".join(page.locator("article h1").first.inner_text().split())


def unfold_navigation(page, section: str):
    """Open a folded section of the site menu, as a reader clicks its title."""
    label = page.locator(".md-nav--primary label.md-nav__link", has_text=section).filter(visible=True)
    if label.count():
        label.first.click()
        page.wait_for_timeout(500)  # the section slides open

