"""Accessibility: axe-core finds no serious or critical problem, the keyboard reaches everything, text can be large.

axe-core is vendored (tests/browser/vendor/axe.min.js, MPL-2.0, from the npm registry) and injected from disk:
the tests never load anything from a CDN.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import VENDOR, lacks

pytestmark = pytest.mark.browser

AXE = VENDOR / "axe.min.js"
KINDS = ["home", "year", "archive", "department", "project", "tracker"]
BLOCKING = {"serious", "critical"}
LARGE_TEXT_PX = 24  # 18 pt: WCAG's "large text"
MAX_TABS = 400

RUN_AXE = """async () => {
    // Every rule of the WCAG 2.x A/AA sets and best practice; color-contrast (4.5:1) switched on explicitly.
    const result = await axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
        rules: {'color-contrast': {enabled: true}},
    });
    const brief = items => items.map(rule => ({
        id: rule.id, impact: rule.impact, help: rule.help,
        nodes: rule.nodes.map(node => ({target: node.target.join(' '), html: node.html.slice(0, 160),
                                        summary: (node.failureSummary || '').replace(/\\s+/g, ' ')})),
    }));
    return {violations: brief(result.violations), incomplete: brief(result.incomplete),
            passed: result.passes.map(rule => rule.id)};
}"""


def run_axe(page) -> dict:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


def describe(rules: list[dict]) -> str:
    lines = []
    for rule in rules:
        lines.append(f"[{rule['impact']}] {rule['id']}：{rule['help']}（{len(rule['nodes'])} 处）")
        lines += [f"    {node['target']}  {node['html']}\n      {node['summary']}" for node in rule["nodes"][:15]]
    return "\n".join(lines)


@pytest.mark.parametrize("kind", KINDS)
def test_axe_finds_no_serious_violation(browsing, any_site, kind):
    path = any_site.key_pages()[kind]
    if path is None:
        lacks(any_site, f"此类页面：{kind}")
    browsing.goto(any_site.url(path))
    result = run_axe(browsing.page)
    contrast_ran = "color-contrast" in result["passed"] or any(
        rule["id"] == "color-contrast" for rule in result["violations"])
    assert contrast_ran, "axe 的对比度规则（color-contrast）没有运行"
    blocking = [rule for rule in result["violations"] if rule["impact"] in BLOCKING]
    others = [rule for rule in result["violations"] if rule["impact"] not in BLOCKING]
    if others or result["incomplete"]:
        print(f"{path} 的次要问题与待人工核对项：\n{describe(others + result['incomplete'])}")
    assert not blocking, f"{path}（{kind}）有严重无障碍问题：\n{describe(result['violations'])}"


FOCUS_INFO = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const r = el.getBoundingClientRect();
    return {tag: el.tagName.toLowerCase(), text: (el.textContent || el.value || '').trim().slice(0, 30),
            href: el.getAttribute('href'),
            search: el.matches('[data-md-component=search-query], input.md-search__input'),
            nav: !!el.closest('.md-nav--primary, .md-tabs') && el.tagName === 'A',
            article: !!el.closest('article') && el.tagName === 'A',
            skip: el.classList.contains('md-skip'),
            box: {x: r.x, y: r.y, width: r.width, height: r.height}};
}"""


def focus_is_visible(page, box: dict) -> bool:
    """The focused element looks different from the same place with nothing focused, pixel for pixel.

    Focus is then put back, so the next Tab continues from the same element.
    """
    margin = 6
    viewport = page.viewport_size
    clip = {"x": max(box["x"] - margin, 0), "y": max(box["y"] - margin, 0)}
    clip["width"] = min(box["width"] + 2 * margin, viewport["width"] - clip["x"])
    clip["height"] = min(box["height"] + 2 * margin, viewport["height"] - clip["y"])
    if clip["width"] <= 0 or clip["height"] <= 0:
        return False
    page.wait_for_timeout(300)  # let a focus transition finish
    focused = page.screenshot(clip=clip, animations="disabled", caret="initial")
    # Unfocused, and with the search panel closed: an open panel is how the search box shows its focus.
    page.evaluate("""() => {
        window.__jxFocused = document.activeElement;
        document.activeElement.blur();
        const search = document.getElementById('__search');
        if (search && search.checked) { search.checked = false; search.dispatchEvent(new Event('change')); }
    }""")
    page.wait_for_timeout(300)
    unfocused = page.screenshot(clip=clip, animations="disabled", caret="initial")
    page.evaluate("() => window.__jxFocused.focus()")
    return focused != unfocused


@pytest.mark.parametrize("kind", ["home", "year"])
def test_keyboard_reaches_search_navigation_and_article_links(browsing, any_site, kind):
    page = browsing.page
    browsing.goto(any_site.url(any_site.key_pages()[kind]))
    wanted = {"search": "搜索框", "nav": "主导航链接", "article": "正文中的链接"}
    reached: dict[str, dict] = {}
    invisible: list[str] = []
    first = None
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        info = page.evaluate(FOCUS_INFO)
        if info is None:
            continue
        first = first or info
        for key in wanted:
            if info[key] and key not in reached:
                page.locator(":focus").scroll_into_view_if_needed()
                info = page.evaluate(FOCUS_INFO)
                reached[key] = info
                if not focus_is_visible(page, info["box"]):
                    invisible.append(f"{wanted[key]}「{info['text']}」")
        if len(reached) == len(wanted):
            break
    assert first and first["skip"], f"第一次按 Tab 应聚焦“跳转至正文”链接，实际：{first}"
    missing = [wanted[key] for key in wanted if key not in reached]
    assert not missing, f"{kind} 页面按 Tab 键 {MAX_TABS} 次也到不了：{missing}"
    assert not invisible, f"键盘聚焦时看不出焦点位置：{invisible}"


def test_large_text_mode(browsing, any_site):
    page = browsing.page
    browsing.goto(any_site.url(any_site.key_pages()["year"]))
    toggle = page.locator("#jx-large-text")
    assert toggle.count() == 1, "每页都应有大字模式开关（#jx-large-text）"

    def font_px() -> float:
        """The size of the article's longest paragraph: body text, not a note or a caption."""
        return float(page.evaluate("""() => {
            const paragraphs = [...document.querySelectorAll('article p:not(.admonition-title)')];
            paragraphs.sort((a, b) => b.textContent.length - a.textContent.length);
            return parseFloat(getComputedStyle(paragraphs[0]).fontSize);
        }"""))

    before_px, before_class = font_px(), page.evaluate("document.documentElement.className")
    toggle.focus()
    page.keyboard.press("Enter")  # a keyboard user can switch it, not only a mouse
    page.wait_for_timeout(300)
    after_class = page.evaluate("document.documentElement.className")
    assert after_class != before_class, "大字模式开关没有改变 <html> 的样式类"
    assert font_px() >= LARGE_TEXT_PX, f"大字模式下正文字号 {font_px()}px，应不小于 {LARGE_TEXT_PX}px（18 磅）"
    assert font_px() > before_px
    cells = page.evaluate("""() => [...document.querySelectorAll('article td')].slice(0, 50)
        .map(td => parseFloat(getComputedStyle(td).fontSize))""")
    small = [px for px in cells if px < LARGE_TEXT_PX]
    assert not small, f"大字模式下表格文字仍只有 {min(small, default=0)}px，应不小于 {LARGE_TEXT_PX}px"
    assert toggle.get_attribute("aria-pressed") == "true", "开关应以 aria-pressed 告知读屏软件当前状态"
    page.reload()
    assert font_px() >= LARGE_TEXT_PX, "刷新或换页后大字模式应保持"
    page.locator("#jx-large-text").click()
    page.wait_for_timeout(300)
    assert font_px() == before_px, "再次点击应恢复正常字号"


def test_tracker_filter_works_by_keyboard(browsing, any_site):
    """A reader without a mouse narrows the rectification ledger to one status with Tab and the arrow keys."""
    with_filter = [path for path in any_site.index.pages
                   if 'data-filter="status"' in any_site.index.file_for(path).read_text(encoding="utf-8")]
    if not with_filter:
        lacks(any_site, "可筛选的表格")
    page = browsing.page
    browsing.goto(any_site.url(with_filter[0]))
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('form.jx-filter select[data-filter=status]')"):
            break
    else:
        pytest.fail(f"{with_filter[0]} 上按 Tab 键到不了“状态”筛选框")
    read_state = """() => {
        const select = document.activeElement;
        const table = document.getElementById(select.form.dataset.target);
        const rows = [...table.querySelectorAll('tbody tr')];
        return {value: select.value, total: rows.length,
                shown: rows.filter(r => !r.hidden && r.getClientRects().length).map(r => r.dataset.status),
                matching: rows.filter(r => r.dataset.status === select.value).length,
                count: select.form.querySelector('.jx-filter-count')?.textContent || ''};
    }"""
    for _ in range(5):  # down the options (after 全部) to the first status that has rows
        page.keyboard.press("ArrowDown")
        state = page.evaluate(read_state)
        if state["matching"]:
            break
    assert state["value"], "方向键没有改变筛选框的选项"
    assert set(state["shown"]) <= {state["value"]}, f"筛选“{state['value']}”后仍显示其他状态：{set(state['shown'])}"
    assert len(state["shown"]) == state["matching"], "筛选后显示的行数与该状态的行数不符"
    assert f"{len(state['shown'])} / {state['total']}" in state["count"], f"筛选结果计数未更新：{state['count']}"


def test_a_tracker_count_opens_the_ledger_filtered_and_the_address_keeps_the_filter(browsing, shixian):
    """整改中 on the trackers page is a link: the ledger opens showing only those; a filter chosen on the ledger is
    kept in the address, so the filtered list can be bookmarked or sent on."""
    page = browsing.page
    browsing.goto(shixian.url("trackers/"))
    link = page.locator("a[href*='rectifications/?status=']").first
    wanted = int(link.inner_text())
    link.click()
    page.wait_for_load_state()
    state = page.evaluate("""() => {
        const select = document.querySelector('form.jx-filter select[data-filter=status]');
        const rows = [...document.querySelectorAll('#jx-list tbody tr')];
        return {value: select.value, shown: rows.filter(r => !r.hidden).map(r => r.dataset.status)};
    }""")
    assert state["value"] == "整改中", state
    assert state["shown"] and set(state["shown"]) == {"整改中"}, state
    assert len(state["shown"]) == wanted, f"台账显示 {len(state['shown'])} 条，整改情况表为 {wanted}"
    page.select_option("form.jx-filter select[data-filter=status]", "已整改")
    assert "status=%E5%B7%B2%E6%95%B4%E6%94%B9" in page.url, page.url


def test_an_evaluation_list_narrows_to_one_unit_and_one_grade(browsing, shixian):
    """A reviewer reads one unit's evaluations of a year, or its 差 ones: the list's filters show just those rows."""
    page = browsing.page
    browsing.goto(shixian.url("2023/evaluations/"))
    rows = """() => [...document.querySelectorAll('#jx-list tbody tr')].filter(r => !r.hidden).map(r =>
        [r.cells[3].textContent.trim(), r.cells[7].textContent.trim()])"""
    everything = page.evaluate(rows)
    unit = everything[0][0]
    page.select_option("form.jx-filter select[data-filter=dept]", unit)
    shown = page.evaluate(rows)
    assert shown and {u for u, _ in shown} == {unit}, shown
    assert len(shown) == sum(1 for u, _ in everything if u == unit)
    page.select_option("form.jx-filter select[data-filter=dept]", "")
    grade = everything[0][1]
    page.select_option("form.jx-filter select[data-filter=grade]", grade)
    shown = page.evaluate(rows)
    assert shown and {g for _, g in shown} == {grade}, shown
    assert len(shown) == sum(1 for _, g in everything if g == grade)
