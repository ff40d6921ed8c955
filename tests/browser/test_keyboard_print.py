"""Keyboard, large text and print, as an accessibility review tried them: each test is a defect it found.

Printing in large-text mode cut tables; large-text mode left the menu, notices, footer and buttons small; the
search panel stayed open after focus left it; the closed phone menu sat in the Tab order; sortable headers
ignored Space; a focused search result could hardly be seen.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, PHONE, lacks, open_browsing
from tests.browser.test_accessibility import LARGE_TEXT_PX, MAX_TABS
from tests.browser.ui import open_search_box, type_query, wait_for_results

pytestmark = pytest.mark.browser

# A4 paper (210 mm = 794 CSS px) less Chromium's default print margins (about 1 cm a side): the width a page
# is laid out in when printed.
PRINT_VIEWPORT = {"width": 718, "height": 1000}
PRINT_KINDS = ["year", "department", "project", "tracker"]


def set_large_text(page, on: bool):
    """As the reader's choice is kept: in localStorage, applied before first paint on the next page."""
    page.evaluate("on => localStorage.setItem('jx-large-text', on ? '1' : '0')", on)
    page.reload(wait_until="load")
    assert page.evaluate("document.documentElement.classList.contains('jx-large')") == on


@pytest.fixture
def phone(browser):
    """A phone-sized page; after the test, any request to another host fails it."""
    context, seen = open_browsing(browser, PHONE)
    yield seen
    context.close()
    assert not seen.outside, "页面请求了其他主机：\n" + "\n".join(seen.outside)


# 1. Print --------------------------------------------------------------------------------------------------

PRINT_MEASURE = """() => ({
    body: parseFloat(getComputedStyle(document.querySelector('article p')).fontSize),
    cell: parseFloat(getComputedStyle(document.querySelector('article td') || document.body).fontSize),
    cut: [...document.querySelectorAll('article table')].map(table => {
        const box = table.closest('.jx-table') || table.parentElement;
        const name = (table.caption ? table.caption.textContent.trim() : '') || table.id || '（无标题表格）';
        return {name, width: table.scrollWidth, room: box.clientWidth};
    }).filter(t => t.width > t.room + 1),
})"""


@pytest.mark.parametrize("kind", PRINT_KINDS)
def test_print_keeps_every_table_within_the_paper(browsing, any_site, kind):
    """A printed table is not scrollable: whatever is wider than the paper is lost, e.g. a 说明 column. The
    reader who uses large-text mode prints the same complete report, in print sizes."""
    path = any_site.key_pages()[kind]
    if path is None:
        lacks(any_site, f"此类页面：{kind}")
    page = browsing.page
    browsing.goto(any_site.url(path))
    page.set_viewport_size(PRINT_VIEWPORT)
    page.emulate_media(media="print")
    measured = {}
    for large, mode in ((False, "标准字号"), (True, "大字模式")):
        set_large_text(page, large)
        measured[mode] = page.evaluate(PRINT_MEASURE)
        cut = [f"「{t['name']}」宽 {t['width']}px，纸面只有 {t['room']}px" for t in measured[mode]["cut"]]
        assert not cut, f"{path} 在{mode}下打印时表格被截断：\n" + "\n".join(cut)
    normal, large = measured["标准字号"], measured["大字模式"]
    assert (large["body"], large["cell"]) == (normal["body"], normal["cell"]), (
        f"{path} 打印时应使用打印字号，不受大字模式影响：正文 {normal['body']}/{large['body']}px，"
        f"表格 {normal['cell']}/{large['cell']}px（标准/大字）")


# 2. Large text everywhere ----------------------------------------------------------------------------------

MENU = ".md-nav--primary :is(.md-nav__link, .md-nav__title)"
LARGE_PARTS = {
    MENU: "导航菜单",
    "article .admonition": "提示框（如“示例”说明）",
    "article td": "表格",
    ".md-copyright": "页脚",
    "#jx-large-text": "“大字模式”按钮",
    "#jx-print": "“打印本页”按钮",
    ".md-skip": "“跳转至”链接",
    ".md-top": "“回到页面顶部”按钮",
    "input.md-search__input": "搜索框",
}
REQUIRED_PARTS = {MENU, "article td", ".md-copyright", "#jx-large-text", "#jx-print", ".md-skip", ".md-top",
                  "input.md-search__input"}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_large_text_mode_enlarges_menu_notices_footer_and_controls(browser, any_site, viewport):
    """Large text helps only if it reaches all a reader reads and uses: measured where the theme sets its own
    smaller sizes (the menu even shrank from 14 to 12.5px), on a desktop and in the phone's menu drawer."""
    context, seen = open_browsing(browser, viewport)
    page = seen.page
    try:
        seen.goto(any_site.url(any_site.key_pages()["year"]))
        set_large_text(page, True)
        sizes = page.evaluate("""selectors => Object.fromEntries(selectors.map(selector => [selector,
            [...document.querySelectorAll(selector)].map(el => parseFloat(getComputedStyle(el).fontSize))]))""",
                              list(LARGE_PARTS))
    finally:
        context.close()
    missing = [LARGE_PARTS[s] for s in REQUIRED_PARTS if not sizes[s]]
    assert not missing, f"页面上找不到：{missing}"
    small = [f"{LARGE_PARTS[s]}：{min(px)}px" for s, px in sizes.items() if px and min(px) < LARGE_TEXT_PX]
    assert not small, f"大字模式下这些部分的字号仍小于 {LARGE_TEXT_PX}px（18 磅）：\n" + "\n".join(small)


# 3. Search panel and focus ---------------------------------------------------------------------------------

SEARCH_STATE = """() => ({
    open: document.getElementById('__search').checked,
    focus: document.activeElement === document.body ? 'body' : document.activeElement.tagName.toLowerCase()
        + (document.activeElement.className ? '.' + [...document.activeElement.classList].join('.') : ''),
    inSearch: !!document.activeElement.closest('.jx-search'),
    onBox: document.activeElement.matches('input.md-search__input'),
})"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_search_panel_closes_when_focus_leaves_it(browser, yuechi, viewport):
    """The open panel covers the page (grey at desktop width, all the screen on a phone): once Tab has moved
    past the search box and its results, the reader is on the page again and must see it."""
    context, seen = open_browsing(browser, viewport)
    try:
        page = seen.page
        seen.goto(yuechi.url("/"))
        type_query(page, "消防")
        wait_for_results(page, "消防", {yuechi.index.linked_page("县消防救援大队")} - {None} or {"/2023/"})
        for _ in range(40):
            page.keyboard.press("Tab")
            state = page.evaluate(SEARCH_STATE)
            if not state["inSearch"]:
                break
        assert not state["inSearch"], "按 Tab 键 40 次，焦点仍在搜索区内"
        assert not state["open"], f"焦点已离开搜索区（到了 {state['focus']}），搜索面板仍遮住页面"
        assert not page.locator(".md-search__output").is_visible(), "焦点离开后搜索结果区仍可见"
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_escape_closes_search_from_anywhere_and_keeps_focus(browser, yuechi, viewport):
    """A click on the panel's blank part leaves focus on <body>, outside the search box: Escape must still
    close the panel. Focus then goes back to the search (the box, or on a phone its button), not to <body>,
    from where a keyboard reader would have to start over at the top of the page."""
    context, seen = open_browsing(browser, viewport)
    try:
        page = seen.page
        seen.goto(yuechi.url("/"))
        open_search_box(page)
        page.locator(".md-search-result__meta").click()  # text, not a control: focus leaves the box
        state = page.evaluate(SEARCH_STATE)
        assert state["open"] and not state["inSearch"], f"点击搜索面板空白处后的状态不符合预期：{state}"
        page.keyboard.press("Escape")
        state = page.evaluate(SEARCH_STATE)
        assert not state["open"], "焦点不在搜索框中时，按 Esc 键没有关闭搜索面板"
        assert state["focus"] != "body", "按 Esc 键关闭搜索后，焦点落到了 <body>"
        if viewport is DESKTOP:
            assert state["onBox"], f"按 Esc 键关闭搜索后，焦点应回到搜索框，实际在 {state['focus']}"
            page.keyboard.type("消")
            assert page.evaluate(SEARCH_STATE)["open"], "关闭后在搜索框中输入，应重新打开搜索面板"
    finally:
        context.close()


# 4. The closed phone menu ----------------------------------------------------------------------------------

def focus_path(page) -> dict:
    return page.evaluate("""() => {
        const el = document.activeElement;
        return {inDrawer: !!el.closest('.md-sidebar--primary'),
                article: !!el.closest('article') && el.tagName === 'A',
                text: (el.textContent || '').trim().slice(0, 20)};
    }""")


def test_closed_phone_menu_is_not_in_the_tab_order(phone, any_site):
    """On a phone the menu is a drawer off the left edge: its links cannot be seen, so Tab must not walk
    through them (36 on the 岳池 site, 37 on 示例县) before reaching the content. Opened with the menu button,
    by keyboard, they are reached."""
    page = phone.page
    phone.goto(any_site.url(any_site.key_pages()["year"]))
    hidden = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        info = focus_path(page)
        if info["inDrawer"]:
            hidden.append(info["text"])
        if info["article"]:
            break
    else:
        pytest.fail(f"按 Tab 键 {MAX_TABS} 次也到不了正文中的链接")
    assert not hidden, f"手机上菜单关闭时，Tab 键仍经过其中 {len(hidden)} 个看不见的链接：{hidden[:5]}…"

    button = page.locator(".md-header__button[for=__drawer]")
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)  # the drawer slides in
    assert page.evaluate("document.getElementById('__drawer').checked"), "在菜单按钮上按回车键没有打开菜单"
    assert button.get_attribute("aria-expanded") == "true", "菜单按钮应以 aria-expanded 告知菜单已打开"
    reached = focus_path(page)["inDrawer"]
    for _ in range(5):
        if reached:
            break
        page.keyboard.press("Tab")
        reached = focus_path(page)["inDrawer"]
    assert reached, "菜单打开后，键盘到不了其中的链接"
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    assert not page.evaluate("document.getElementById('__drawer').checked"), "按 Esc 键应关闭菜单"
    assert page.evaluate("document.activeElement.matches('.md-header__button[for=__drawer]')"), (
        "关闭菜单后焦点应回到菜单按钮")


# 5. Sorting by keyboard ------------------------------------------------------------------------------------

SORT_STATE = """() => {
    const heads = [...document.querySelectorAll('table[data-jx-sort] thead th[tabindex="0"]')];
    return {sorted: heads.filter(th => th.getAttribute('aria-sort'))
                         .map(th => [heads.indexOf(th), th.getAttribute('aria-sort')]),
            focus: heads.indexOf(document.activeElement), y: window.scrollY,
            described: heads.every(th => (th.title || '').includes('排序'))};
}"""


def test_sortable_headers_work_with_space_and_tell_sort_order(browsing, any_site):
    """A header that can be focused is a control: Space operates it as Enter does (instead of scrolling the page)
    and screen readers hear that it sorts and in which order."""
    page = browsing.page
    browsing.goto(any_site.url(any_site.key_pages()["year"]))
    heads = page.locator('table[data-jx-sort] thead th[tabindex="0"]')
    if heads.count() < 2:
        lacks(any_site, "可排序的表格")
    first_table = page.locator("table[data-jx-sort]").first
    first_table.scroll_into_view_if_needed()
    first = first_table.locator('thead th[tabindex="0"]').first
    first.focus()
    before = page.evaluate(SORT_STATE)
    assert before["described"], "可排序的表头应说明可以排序（title）"
    page.keyboard.press(" ")
    after = page.evaluate(SORT_STATE)
    assert after["y"] == before["y"], "在表头上按空格键滚动了页面，而没有排序"
    assert after["sorted"] and after["sorted"][0][0] == before["focus"], (
        f"在表头上按空格键没有排序，或没有以 aria-sort 标明排序状态：{after['sorted']}")
    order = after["sorted"][0][1]
    assert order in ("ascending", "descending")
    page.keyboard.press(" ")
    again = page.evaluate(SORT_STATE)["sorted"]
    assert again and again[0][1] != order, f"再按一次空格键应反向排序：{order} → {again}"
    page.keyboard.press("Enter")
    assert page.evaluate(SORT_STATE)["sorted"][0][1] == order, "回车键同样应可排序"
    second = first_table.locator('thead th[tabindex="0"]').nth(1)
    second.focus()
    page.keyboard.press(" ")
    now = [index for index, _ in page.evaluate(SORT_STATE)["sorted"]]
    assert before["focus"] not in now and len(now) == len(before["sorted"]) + 1, (
        f"换一列排序后，aria-sort 应只在新的排序列上：{now}")


# 6. A focused search result --------------------------------------------------------------------------------

FOCUS_RING = r"""() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    // The colour the ring is seen against: each translucent background (the theme's focus tint, which fades in)
    // laid over the ones below it, down to an opaque one or the white page.
    const layers = [];
    for (let p = el; p; p = p.parentElement) {
        const m = getComputedStyle(p).backgroundColor.match(/[\d.]+/g).map(Number);
        const alpha = m.length > 3 ? m[3] : 1;
        if (alpha > 0) layers.push([m[0], m[1], m[2], alpha]);
        if (alpha >= 1) break;
    }
    let rgb = [255, 255, 255];
    for (const [r, g, b, a] of layers.reverse()) rgb = [r * a + rgb[0] * (1 - a), g * a + rgb[1] * (1 - a), b * a + rgb[2] * (1 - a)];
    const back = `rgb(${rgb.map(Math.round).join(', ')})`;
    return {link: el.matches('.md-search-result__link'), style: style.outlineStyle,
            width: parseFloat(style.outlineWidth), color: style.outlineColor, back};
}"""


def contrast(a: str, b: str) -> float:
    def luminance(css: str) -> float:
        r, g, bl = (int(float(v)) for v in css[css.index("(") + 1:css.index(")")].split(",")[:3])
        linear = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in (r, g, bl)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_focused_search_result_has_a_visible_focus_ring(browsing, yuechi):
    """The theme marks a focused result with a faint tint only; a keyboard reader moving through the results
    with the arrow keys must see which one Enter will open."""
    page = browsing.page
    browsing.goto(yuechi.url("/"))
    type_query(page, "消防")
    wait_for_results(page, "消防", {yuechi.index.linked_page("县消防救援大队")} - {None} or {"/2023/"})
    page.keyboard.press("ArrowDown")
    ring = page.evaluate(FOCUS_RING)
    assert ring["link"], "按下方向键后焦点应在第一个搜索结果上"
    assert ring["style"] not in ("none", "hidden") and ring["width"] >= 3, (
        f"搜索结果获得焦点时应有至少 3px 的焦点框，实际：{ring['style']} {ring['width']}px")
    ratio = contrast(ring["color"], ring["back"])
    assert ratio >= 3, f"焦点框颜色 {ring['color']} 与背景 {ring['back']} 的对比度只有 {ratio:.2f}:1，应不小于 3:1"
