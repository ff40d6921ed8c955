"""Safe by construction: markup typed into any text field of the data never becomes markup on the site.

Injection payloads go into every kind of text field of the rich fixture (report narrative, problem and plan
titles, cited documents, department and project names, table cells, links, site settings); the site is built,
and every page is compared with a clean build of the same fixture: no new <script>, no on* attribute, no
javascript:/data: link, no element kind the clean site does not have, and each payload still readable as text.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.conftest import FIXTURES, build_site
from tests.test_nonpublic import edit_rows, site_blobs, where

pytestmark = pytest.mark.slow

PAYLOADS = [
    "<script>alert('XSS01')</script>",
    "[点我](javascript:alert('XSS02'))",
    "<img src=x onerror=alert('XSS03')>",
    "甲 | 乙 | XSS04 |",
    "第一行XSS05\n# 第二行\n\n- 第三行\n<div>",
    "文字XSS06 {: onclick=\"alert(6)\" }",
    "&lt;script&gt;alert('XSS07')&lt;/script&gt; &amp; &#60;b&#62;",
    "标题<b>XSS08</b>>",
    "<a href=\"javascript:alert('XSS09')\">链接</a>",
    "![图](data:text/html;base64,PHNjcmlwdD4=) XSS10",
    "<svg onload=alert('XSS11')>",
    "<iframe src=\"javascript:alert('XSS12')\"></iframe>",
    "!!! danger \"XSS13\"",
    "javascript:alert('XSS14')",
    "<style>body{display:none}</style>XSS15",
    "\" onmouseover=\"alert('XSS16')\" x=\"",
    "<!-- XSS17 --><base href=\"//evil.example/\">",
    "`XSS18` **粗** _斜_ <https://evil.example/XSS18>",
    "=HYPERLINK(\"https://evil.example/\",\"XSS20\")",  # a formula when a download is opened in Excel
]
# Links must pass validation (http(s) only); what is left to try is breaking out of the attribute.
PAYLOAD_URL = "https://www.example.gov.cn/javascript:alert(1)/r.pdf?a=1&b=%22%3E%3Cscript%3EXSS19"

DANGEROUS_URL = re.compile(r"^\s*(javascript|data|vbscript):", re.I)
TEXT_ATTRS = ("title", "alt", "aria-label", "content", "value", "placeholder")
URL_ATTRS = ("href", "src", "action", "formaction", "srcset", "xlink:href", "poster", "data", "background")


def _cycle():
    i = 0
    while True:
        yield PAYLOADS[i % len(PAYLOADS)]
        i += 1


def plant(data: Path) -> dict[str, list[str]]:
    """Put payloads into every kind of text field; returns field -> payloads placed there."""
    nxt = _cycle()
    placed: dict[str, list[str]] = {}

    def take(where_: str) -> str:
        p = next(nxt)
        placed.setdefault(where_, []).append(p)
        return p

    evil_dept = "示例县" + take("departments.单位名称").replace(",", "，")[:60]

    def departments(rows):
        rows.append({"单位编码": "901077", "单位名称": evil_dept, "级次": "一级", "示例": "是", "公开": "是"})

    def projects(rows):
        r = where(rows, "项目编码", "P2024-004")
        r.update(项目名称=take("projects.项目名称"), 主管部门=evil_dept, 实施单位=take("projects.实施单位"))

    def goals(rows):
        rows[0].update(年度目标=take("goals.年度目标"), 长期目标=take("goals.长期目标"))

    def indicators(rows):
        rows[3].update(三级指标=take("indicators.三级指标"), 指标值=take("indicators.指标值（定性）"))
        rows[0]["度量单位"] = take("indicators.度量单位")

    def exante(rows):
        rows[0].update(项目名称=take("exante.项目名称"), 评估机构=take("exante.评估机构"))

    def monitoring(rows):
        rows[1].update(偏差原因=take("monitoring.偏差原因"), 纠偏措施=take("monitoring.纠偏措施"))

    def monitoring_indicators(rows):
        rows[2].update(三级指标=take("monitoring_indicators.三级指标"), 偏差原因=take("monitoring_indicators.偏差原因"))

    def evaluations(rows):
        r = where(rows, "评价编号", "评价2024-3")
        r.update(评价机构=take("evaluations.评价机构"), 发现问题=take("evaluations.发现问题"), 建议=take("evaluations.建议"),
                 报告链接=PAYLOAD_URL)
        where(rows, "评价编号", "评价2024-4")["评价对象"] = take("evaluations.评价对象")

    def evaluation_scores(rows):
        rows[3].update(三级指标=take("evaluation_scores.三级指标"), 偏差原因=take("evaluation_scores.偏差原因"))

    def rectifications(rows):
        rows[1].update(问题=take("rectifications.问题"), 整改要求=take("rectifications.整改要求"))

    def applications(rows):
        rows[0]["说明"] = take("applications.说明")

    for name, change in [("departments", departments), ("projects", projects), ("goals", goals),
                         ("indicators", indicators), ("exante", exante), ("monitoring", monitoring),
                         ("monitoring_indicators", monitoring_indicators), ("evaluations", evaluations),
                         ("evaluation_scores", evaluation_scores), ("rectifications", rectifications),
                         ("applications", applications)]:
        edit_rows(data, name, change)

    # YAML: JSON strings are valid YAML double-quoted scalars, so every payload is written exactly.
    report = data / "2024" / "report.yaml"
    text = report.read_text(encoding="utf-8")
    for start, label in [("标题: ", "report.标题"), ("导语: ", "report.导语"), ("发布机构: ", "report.发布机构"),
                         ("  - 2024年，示例县依据", "report.总体情况"), ("  - 对重点项目", "report.事中绩效监控"),
                         ("  - 标题: 示例问题", "report.存在的问题.标题"), ("    内容: 部分示例单位", "report.存在的问题.内容"),
                         ("  - 标题: 示例打算", "report.下一步工作打算.标题"),
                         ("    标题: 示例县财政局关于", "report.引用文件.标题"), ("    发文机关: ", "report.引用文件.发文机关"),
                         ("  - 本数据集为测试用示例", "report.数据说明")]:
        text = _append_yaml(text, start, take(label))
    report.write_text(text, encoding="utf-8")

    settings = data / "settings.yaml"
    s = settings.read_text(encoding="utf-8")
    s = s.replace("主办单位: 示例县财政局", "主办单位: " + json.dumps("示例县财政局" + take("settings.主办单位"),
                                                                  ensure_ascii=False))
    s = s.replace("联系方式: 示例县财政局绩效股", "联系方式: " + json.dumps(take("settings.联系方式"), ensure_ascii=False))
    # The site name goes into every page's <title>, header and aria-label (the theme prints it unescaped).
    name_payload = "<img src=x onerror=alert('XSS21')>\" x=\""
    s = s.replace("站点名称: 示例县预算绩效管理信息公开",
                  "站点名称: " + json.dumps("示例县预算绩效管理信息公开" + name_payload, ensure_ascii=False))
    settings.write_text(s, encoding="utf-8")
    return placed


def _append_yaml(text: str, start: str, payload: str) -> str:
    """Append ``payload`` to the scalar on the first line starting with ``start`` ("key: value" or "- value")."""
    line = next(ln for ln in text.splitlines() if ln.startswith(start))
    if ": " in line:
        head, sep, value = line.partition(": ")
    else:
        head, sep, value = line[:3], " ", line[4:]
    return text.replace(line, head + sep + json.dumps(value + " " + payload, ensure_ascii=False), 1)


def pages(site: Path) -> dict[str, BeautifulSoup]:
    return {p.relative_to(site).as_posix(): BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser")
            for p in sorted(site.rglob("*.html"))}


def script_signatures(soup: BeautifulSoup) -> set[tuple[str, str]]:
    out = set()
    for s in soup.find_all("script"):
        if s.get("src"):
            out.add(("src", re.sub(r"^(\.\./)+|^\./", "", s["src"])))
        else:
            text = re.sub(r"\s+", " ", s.get_text()).strip()
            # Material's inline config carries the page's relative base ("..", "../.."); the rest must match.
            text = re.sub(r'"base":\s*"[./]*"', '"base":""', text)
            out.add(("inline", hashlib.sha256(text.encode()).hexdigest()))
    return out


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("injection")
    clean = build_site(FIXTURES / "rich_data", tmp / "clean")
    data = tmp / "data"
    shutil.copytree(FIXTURES / "rich_data", data)
    placed = plant(data)
    evil = build_site(data, tmp / "evil")
    return pages(clean), pages(evil), placed, evil


def test_every_payload_is_placed_and_every_field_kind_covered(sites):
    _, _, placed, _ = sites
    used = {p for ps in placed.values() for p in ps}
    assert used == set(PAYLOADS)
    assert len(placed) >= 30


def test_no_script_other_than_the_themes_own(sites):
    clean, evil, _, _ = sites
    allowed = set().union(*(script_signatures(s) for s in clean.values()))
    for name, soup in evil.items():
        assert script_signatures(soup) <= allowed, name


def test_no_event_handler_attributes(sites):
    _, evil, _, _ = sites
    for name, soup in evil.items():
        bad = [(el.name, a) for el in soup.find_all(True) for a in el.attrs if a.lower().startswith("on")]
        assert bad == [], name


def _script_urls(soup: BeautifulSoup) -> set[tuple[str, str, str]]:
    return {(el.name, attr, el[attr]) for el in soup.find_all(True) for attr in URL_ATTRS
            if isinstance(el.get(attr), str) and DANGEROUS_URL.match(el[attr])}


def test_no_script_urls(sites):
    """No javascript:/data: URL from data; the theme's own (Material's search form has action="javascript:void(0)")
    is in the clean build too."""
    clean, evil, _, _ = sites
    allowed = set().union(*(_script_urls(s) for s in clean.values()))
    assert all(value == "javascript:void(0)" for _, _, value in allowed)
    for name, soup in evil.items():
        assert _script_urls(soup) <= allowed, name


def test_no_element_kinds_the_clean_site_does_not_have(sites):
    clean, evil, _, _ = sites
    clean_tags = {el.name for s in clean.values() for el in s.find_all(True)}
    evil_tags = {el.name for s in evil.values() for el in s.find_all(True)}
    # Line breaks typed in long cells (发现问题, 偏差原因 …) are kept as <br>; the clean fixture has none.
    assert evil_tags - clean_tags <= {"br"}


def test_no_element_built_from_a_payload(sites):
    """Payload markers may only be text: never inside a markup attribute (only in text attributes such as title and
    data-sort, or the checked https report link), and never
    the text of an element a payload would create (<b>, <script>, <style>, <code> from backticks …)."""
    _, evil, _, _ = sites
    for name, soup in evil.items():
        for el in soup.find_all(True):
            for attr, value in el.attrs.items():
                value = " ".join(value) if isinstance(value, list) else str(value)
                if "XSS" in value and attr not in TEXT_ATTRS and not attr.startswith("data-"):
                    # data-sort (table sorting), title, alt and aria-label carry text, which is fine as text.
                    assert el.name == "a" and attr == "href" and value.startswith("https://www.example.gov.cn/"), (
                        name, el.name, attr, value)
        made = [str(el)[:120] for el in soup.find_all(True) if _made_by_payload(el)]
        assert made == [], name


def _made_by_payload(el) -> bool:
    """Would this element exist only because a payload was parsed as Markdown or HTML?"""
    text = el.get_text().strip()
    if el.name in ("script", "style", "iframe", "base", "svg", "img", "object", "embed"):
        return "XSS" in str(el)
    if el.name in ("h1", "h2", "h3", "h4", "h5", "h6", "li"):
        return text.startswith(("第二行", "第三行"))  # from "\n# 第二行\n\n- 第三行"
    return (el.name, text) in {("b", "XSS08"), ("code", "XSS18"), ("strong", "粗"), ("em", "斜")} \
        and "XSS" in str(el.parent)


@pytest.mark.parametrize("payload", PAYLOADS, ids=[f"P{i + 1:02d}" for i in range(len(PAYLOADS))])
def test_payload_text_is_shown_as_text(sites, payload):
    _, evil, _, _ = sites
    texts = [squeeze(s.get_text()) for s in evil.values()]
    assert any(squeeze(payload) in t for t in texts), payload


def test_report_link_stays_one_https_link(sites):
    _, evil, _, site = sites
    hrefs = [a["href"] for s in evil.values() for a in s.find_all("a", href=True) if "XSS19" in a["href"]]
    assert all(h.startswith("https://www.example.gov.cn/") and '"' not in h and "<" not in h for h in hrefs)
    # Wherever the link is published (pages, or only the downloads for now), it is published intact.
    assert any(b"XSS19" in data for _, data in site_blobs(site))


def test_no_formula_in_xlsx_downloads(sites):
    _, _, _, site = sites
    sheets = [(name, data) for name, data in site_blobs(site) if ".xlsx!xl/worksheets/" in name]
    assert sheets, "no XLSX download to check"
    assert any(b"XSS20" in data for name, data in site_blobs(site) if ".xlsx!" in name)
    for name, data in sheets:
        assert b"<f>" not in data and b"<f " not in data, name


def test_no_formula_in_csv_downloads(sites):
    """Excel and WPS run a CSV cell starting with = + - @ as a formula: such text is published with a leading '."""
    import csv
    import io

    _, _, _, site = sites
    files = [(name, data) for name, data in site_blobs(site) if name.endswith(".csv")]
    assert any(b"XSS20" in data for _, data in files), "the formula payload should be in some CSV download"
    number = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)%?$")
    for name, data in files:
        for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
            risky = [c for c in row if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not number.match(c)]
            assert risky == [], name


def test_site_name_is_text_in_every_page(sites):
    _, evil, _, _ = sites
    assert len(evil) > 10
    for name, soup in evil.items():
        title = soup.find("title").get_text()
        assert "XSS21" in title and soup.find("img", onerror=True) is None, name


@pytest.fixture(scope="module")
def search_text(sites) -> str:
    _, _, _, site = sites
    fragments = [json.loads(data.split(b"pagefind_dcd", 1)[1]) for name, data in site_blobs(site)
                 if name.startswith("pagefind/fragment/") and name.endswith("!gunzip")]
    assert fragments
    return squeeze(" ".join(f.get("content", "") + f.get("meta", {}).get("title", "") for f in fragments)
                   .replace("\u200b", ""))


def body_texts(evil: dict[str, BeautifulSoup]) -> list[str]:
    return [squeeze(b.get_text()) for s in evil.values() for b in s.select("[data-pagefind-body]")]


def test_search_index_holds_payloads_as_text(sites, search_text):
    """Pagefind indexes the text of each page body: a payload whose tags were shown as text is indexed with its
    tags; had a tag become an element, only its inner text would be indexed. (The search box then builds results
    from text nodes only: content/assets/jx-search.js.)"""
    _, evil, _, _ = sites
    bodies = body_texts(evil)
    indexed = [p for p in PAYLOADS if any(squeeze(p) in b for b in bodies)]
    assert len(indexed) >= len(PAYLOADS) - 3, "most payloads should be in page bodies"
    assert [p for p in indexed if squeeze(p) not in search_text] == []
