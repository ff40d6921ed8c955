"""Search as people use it: Chinese typed into the header box, or pasted with the mouse, finds the right page."""

from __future__ import annotations

import time
from urllib.parse import unquote

import pytest

from tests.browser.conftest import PHONE, open_browsing
from tests.browser.ui import WAIT_S, open_search_box, result_paths, type_query, wait_for_results

pytestmark = pytest.mark.browser

NONSENSE = "量子纠缠火锅"


def expected_pages(site, query: str, entity: str | None = None, titled: str | None = None) -> set[str]:
    """The page a reader looks for: the entity's own page, or the page titled with the word, once the site has
    one; the year reports before that."""
    own = (site.index.linked_page(entity) if entity else None) or (site.index.page_titled(titled) if titled else None)
    return {own} if own else {f"/{year}/" for year in site.data.years}


YUECHI_QUERIES = [
    # (typed query, entity whose own page should come up, word in the title of the page that should come up)
    ("消防", "县消防救援大队", None),
    ("环城西路", "岳池县环城西路（大西街至北外街）道路及管网改造工程项目", None),
    ("第三方", None, None),
    ("整改", None, "整改"),  # the rectification tracker
    ("县民政局", "县民政局", None),
    ("县住房和城乡建设局", "县住房和城乡建设局", None),
    # A 文号 typed with the brackets a keyboard gives finds the page citing it in 六角括号 (川财绩〔2018〕14号).
    ("川财绩[2018]14号", None, None),
    ("川财绩（2018）14号", None, None),
    # … and a half-right pair, or full-width digits (as validation corrects them)
    ("川财绩〔2018]14号", None, None),
    ("川财绩〔２０１８〕１４号", None, None),
]


@pytest.mark.parametrize(("query", "entity", "titled"), YUECHI_QUERIES, ids=[q for q, *_ in YUECHI_QUERIES])
def test_typed_chinese_finds_the_page(browsing, yuechi, query, entity, titled):
    page = browsing.page
    browsing.goto(yuechi.url("/"))
    type_query(page, query)
    wait_for_results(page, query, expected_pages(yuechi, query, entity, titled))


def test_typed_project_and_department_names_on_multi_year_site(browsing, shixian):
    page = browsing.page
    projects = shixian.data.projects
    departments = shixian.data.departments
    assert projects and departments, "多年度示例中没有项目或部门名称"
    queries = [projects[0], projects[len(projects) // 2], departments[0], departments[-1]]
    for name in queries:
        browsing.goto(shixian.url("/"))
        type_query(page, name)
        wait_for_results(page, name, expected_pages(shixian, name, name))


def test_typed_word_inside_project_names_on_multi_year_site(browsing, shixian):
    vegetable = [name for name in shixian.data.projects if "蔬菜" in name]
    assert vegetable, "多年度示例中应有名称含“蔬菜”的项目"
    expected = {shixian.index.linked_page(name) for name in vegetable} - {None}
    browsing.goto(shixian.url("/"))
    type_query(browsing.page, "蔬菜")
    wait_for_results(browsing.page, "蔬菜", expected or {f"/{y}/" for y in shixian.data.years})


@pytest.mark.parametrize("title", ["2023年整改台账", "2022年绩效评价", "数据说明"])
def test_a_page_s_title_typed_finds_that_page_first(browsing, shixian, title):
    """Chromium segments the query its own way: 2023年整改台账, the title of a page, found nothing at all."""
    page = browsing.page
    browsing.goto(shixian.url("/"))
    type_query(page, title)
    own = shixian.index.page_titled(title)
    assert own, title
    shown = wait_for_results(page, title, {own})
    assert shown[0] == own, shown


def test_a_result_excerpt_does_not_start_inside_a_name(browsing, shixian):
    """Pagefind starts an excerpt a few words before the hit: 镇蔬菜产业基地建设 for 太平镇蔬菜产业基地建设. The box
    completes a short cut phrase from the page's text, and marks a longer cut with "…"."""
    page = browsing.page
    browsing.goto(shixian.url("/"))
    type_query(page, "蔬菜")
    wait_for_results(page, "蔬菜", {shixian.index.linked_page(n) for n in shixian.data.projects if "蔬菜" in n} - {None})
    shown = page.locator(".md-search-result__article").evaluate_all(
        "articles => articles.map(a => [a.querySelector('h1').textContent, a.querySelector('p').textContent])")
    projects = [(title, text) for title, text in shown if "蔬菜" in title and title.endswith(("建设", "）"))]
    assert projects, shown
    assert all(text.startswith(title) for title, text in projects), projects
    # Each hit is still marked, and the page's text is not turned into markup.
    assert page.locator(".md-search-result__article p mark").count() >= len(projects)


def test_an_excerpt_with_escaped_characters_is_still_placed_in_the_page_text(browsing, yuechi):
    """Pagefind escapes < > & in excerpts, not in the page text it gives: an excerpt holding a command
    (import <工作簿.xlsx> --year <年度>) was not found in the text, so its cut start (-m generator import …) was shown
    without completion or "…"."""
    page = browsing.page
    browsing.goto(yuechi.url("/"))
    type_query(page, "工作簿")
    wait_for_results(page, "工作簿", {"/guide/templates/"})
    shown = page.locator(".md-search-result__link").evaluate_all(
        "links => links.map(a => [a.getAttribute('href'), a.querySelector('p').textContent])")
    text = next(t for href, t in shown if "guide/templates" in href)
    assert "<工作簿.xlsx>" in text and not text.startswith(("-", "/", ">", "<")), text


@pytest.mark.parametrize("query", ["整改中", "未整改"])
def test_the_staff_guide_comes_after_the_records_on_the_first_results(browsing, shixian, query):
    """整改中 put 数据说明 (a staff page explaining the field) first, above the ledgers that hold such records."""
    page = browsing.page
    browsing.goto(shixian.url("/"))
    type_query(page, query)
    ledgers = {f"/{year}/rectifications/" for year in shixian.data.years}
    shown = wait_for_results(page, query, ledgers)
    staff = [i for i, p in enumerate(shown) if p.startswith(("/guide/", "/data-dictionary/"))]
    public = [i for i, p in enumerate(shown) if i not in staff]
    assert not staff or not public or max(public) < min(staff), shown


def test_enter_in_the_box_opens_the_first_result(browsing, shixian):
    """As in Material's own search, and the phone keyboard's 搜索 key: it did nothing."""
    page = browsing.page
    browsing.goto(shixian.url("/"))
    box = type_query(page, "2023年整改台账")
    wait_for_results(page, "2023年整改台账", {"/2023/rectifications/"})
    first = result_paths(page)[0]
    box.press("Enter")
    page.wait_for_url(lambda url: unquote(url).endswith(first), timeout=WAIT_S * 1000)
    assert unquote(page.url).endswith(first)


def test_word_found_nowhere_shows_no_result(browsing, yuechi):
    page = browsing.page
    browsing.goto(yuechi.url("/"))
    box = type_query(page, "消防")
    # A live search first, so "no result" below cannot come from a search that never ran.
    wait_for_results(page, "消防", expected_pages(yuechi, "消防"))
    box.fill("")
    box.press_sequentially(NONSENSE, delay=40)
    deadline = time.monotonic() + WAIT_S
    while result_paths(page) and time.monotonic() < deadline:
        page.wait_for_timeout(150)
    page.wait_for_timeout(800)  # and it stays empty: no late batch of results
    assert result_paths(page) == [], f"「{NONSENSE}」不在任何页面上，却显示了结果：{result_paths(page)}"


def test_query_pasted_without_key_press_searches(browsing, yuechi):
    """Text pasted with the mouse arrives with an input event only: no keydown, no keyup."""
    page = browsing.page
    browsing.goto(yuechi.url("/"))
    box = open_search_box(page)
    page.wait_for_timeout(300)  # the box is focused and settled before the paste, as with a real mouse paste
    box.evaluate("""(input, text) => {
        input.value = text;
        input.dispatchEvent(new InputEvent('input', {bubbles: true, inputType: 'insertFromPaste', data: text}));
    }""", "环城西路")
    wait_for_results(page, "环城西路（粘贴）", expected_pages(yuechi, "环城西路"))


def test_search_on_a_phone(browser, yuechi):
    context, seen = open_browsing(browser, PHONE)
    try:
        seen.goto(yuechi.url("/"))
        type_query(seen.page, "消防")
        wait_for_results(seen.page, "消防（手机）", expected_pages(yuechi, "消防"))
    finally:
        context.close()
    assert not seen.outside, "页面请求了其他主机：\n" + "\n".join(seen.outside)


def test_more_results_are_shown_on_request(browsing, shixian):
    """A word on many pages shows ten results and a “显示更多结果” button that adds the next ones, none twice."""
    page = browsing.page
    browsing.goto(shixian.url("/"))
    type_query(page, "整改")
    deadline = time.monotonic() + WAIT_S
    while len(result_paths(page)) < 10 and time.monotonic() < deadline:
        page.wait_for_timeout(150)
    first = result_paths(page)
    assert len(first) == 10, first  # (title matches included)
    more = page.locator(".jx-search-more__link")
    assert more.is_visible() and more.inner_text() == "显示更多结果"
    more.click()
    deadline = time.monotonic() + WAIT_S
    while len(result_paths(page)) <= 10 and time.monotonic() < deadline:
        page.wait_for_timeout(150)
    after = result_paths(page)
    assert len(after) > 10 and after[:10] == first, after
    assert len(set(after)) == len(after)
    # None skipped: the list is the first pages, in Pagefind's order, that contain the word, worked out here from
    # the same Pagefind module the search box loaded (query, then its first character as a word prefix).
    expected = page.evaluate("""async (query) => {
        const pf = await import(new URL('pagefind/pagefind.js', document.baseURI.replace(/[^/]*$/, '')).href);
        const found = (await pf.search(query)).results;
        const ids = new Set(found.map(r => r.id));
        const all = found.concat((await pf.search(query[0])).results.filter(r => !ids.has(r.id))).slice(0, 100);
        const data = await Promise.all(all.map(r => r.data()));
        return data.filter(d => ((d.meta.title || '') + ' ' + d.content).includes(query))
                   .map(d => new URL(d.url, location.href).pathname);
    }""", "整改")
    expected = [unquote(p) for p in expected]
    # First the pages whose title holds the word (at most 5, the shortest title first), then Pagefind's order.
    titles = page.locator(".md-search-result__article h1").all_text_contents()
    front = [path for path, title in zip(after, titles[:5], strict=False) if "整改" in title]
    assert front and [len(t) for t in titles[:len(front)]] == sorted(len(t) for t in titles[:len(front)])
    rest = [p for p in expected if p not in front]
    # (on the first page, the staff's pages after the others; later pages in Pagefind's order)
    first_batch = rest[:10 - len(front)]
    staff = [p for p in first_batch if p.startswith(("/guide/", "/data-dictionary/"))]
    assert after[:10] == front + [p for p in first_batch if p not in staff] + staff, (after[:10], front, first_batch)
    assert after[10:] == rest[10 - len(front):len(after) - len(front)], (after, front + rest)
    # Focus is on the first new result, so a keyboard reader carries on where the list grew.
    assert page.evaluate("() => document.activeElement.getAttribute('href')") is not None
