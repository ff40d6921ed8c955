"""Look at it: screenshots of the key pages on a phone and a desktop, and nothing wider than a phone's screen.

The PNG files land in tests/artifacts/screenshots/ (git-ignored) for a reviewer to open; CI can keep them as
build artifacts. Tables may be wider than the phone: they scroll inside their own box (.jx-table).
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, PHONE, lacks, open_browsing
from tests.browser.ui import type_query

pytestmark = pytest.mark.browser

KINDS = ["home", "year", "archive", "department", "project", "tracker"]

OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    // Elements reaching past the right edge that no scrolling or clipping box contains: what makes a phone
    // page slide sideways. Reported by their selector so the failure says what to fix.
    const contained = el => {
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
            const style = getComputedStyle(p);
            if (style.position === 'fixed' || ['auto', 'scroll', 'hidden', 'clip'].includes(style.overflowX)) return true;
        }
        return false;
    };
    const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        [...el.classList].map(c => '.' + c).join('');
    const wide = [];
    for (const el of document.querySelectorAll('body *')) {
        const box = el.getBoundingClientRect();
        if (box.width && box.right > width + 1 && el.checkVisibility({checkVisibilityCSS: true}) && !contained(el)) {
            wide.push(`${name(el.parentElement)} > ${name(el)}（右缘 ${Math.round(box.right)}px）`);
        }
    }
    const tables = [...document.querySelectorAll('.jx-table')].filter(t => t.scrollWidth > t.clientWidth + 1);
    return {scrollWidth: document.scrollingElement.scrollWidth, width, wide: wide.slice(0, 15),
            tablesNotScrolling: tables.filter(t => !['auto', 'scroll'].includes(getComputedStyle(t).overflowX)).length,
            wideTables: tables.length};
}"""


def shoot(seen, folder, name: str):
    seen.settle()
    page = seen.page
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True, animations="disabled")


def assert_fits_phone(page, where: str):
    measured = page.evaluate(OVERFLOW)
    assert measured["scrollWidth"] <= PHONE["width"], (
        f"{where} 在 {PHONE['width']}px 宽的手机上可横向滚动（页面宽 {measured['scrollWidth']}px）。超出的元素：\n"
        + "\n".join(measured["wide"]))
    assert measured["tablesNotScrolling"] == 0, f"{where} 有超宽表格没有放在可横向滚动的框中"


@pytest.mark.parametrize("kind", KINDS)
def test_key_page_screenshots_and_phone_width(browser, any_site, screenshot_dir, kind):
    path = any_site.key_pages()[kind]
    if path is None:
        lacks(any_site, f"此类页面：{kind}")
    outside = []
    for viewport in (PHONE, DESKTOP):
        context, seen = open_browsing(browser, viewport)
        try:
            seen.goto(any_site.url(path))
            shoot(seen, screenshot_dir, f"{any_site.name}-{kind}-{viewport['width']}")
            if viewport is PHONE:
                assert_fits_phone(seen.page, path)
        finally:
            context.close()
        outside += seen.outside
    assert not outside, "页面请求了其他主机：\n" + "\n".join(outside)


def test_large_text_fits_the_phone(browser, any_site, screenshot_dir):
    path = any_site.key_pages()["year"]
    context, seen = open_browsing(browser, PHONE)
    try:
        seen.goto(any_site.url(path))
        toggle = seen.page.locator("#jx-large-text")
        assert toggle.count() == 1, "每页都应有大字模式开关（#jx-large-text）"
        toggle.click()
        seen.page.wait_for_timeout(300)
        shoot(seen, screenshot_dir, f"{any_site.name}-year-large-text-{PHONE['width']}")
        assert_fits_phone(seen.page, f"{path}（大字模式）")
    finally:
        context.close()


def test_search_results_on_a_phone_screenshot(browser, yuechi, screenshot_dir):
    context, seen = open_browsing(browser, PHONE)
    try:
        seen.goto(yuechi.url("/"))
        type_query(seen.page, "整改")
        seen.page.locator(".md-search-result__item a").first.wait_for()
        seen.page.screenshot(path=str(screenshot_dir / f"yuechi-search-{PHONE['width']}.png"))
        assert_fits_phone(seen.page, "搜索结果")
    finally:
        context.close()


def test_a_wide_comparison_keeps_its_year_column_in_view_on_a_phone(browser, shixian):
    """A unit's 历年对比 is wider than a phone: scrolled sideways to its last columns, the year stays at the left."""
    path = shixian.key_pages()["department"]
    context, seen = open_browsing(browser, PHONE)
    try:
        seen.goto(shixian.url(path))
        page = seen.page
        box = page.locator("div.jx-table:has(table[data-jx-sticky])").first
        box.scroll_into_view_if_needed()
        widths = box.evaluate("b => [b.scrollWidth, b.clientWidth]")
        assert widths[0] > widths[1], "历年对比在手机上本应比屏幕宽（否则此项检查无意义）"
        box.evaluate("b => { b.scrollLeft = b.scrollWidth; }")
        page.wait_for_timeout(100)
        first = page.locator("table[data-jx-sticky] tbody tr td").first
        left = first.evaluate("td => td.getBoundingClientRect().left - td.closest('.jx-table').getBoundingClientRect().left")
        assert abs(left) < 2, f"横向滚动后年度列离开了表格左缘 {left}px"
        assert first.is_visible() and "年" in first.inner_text()
    finally:
        context.close()
