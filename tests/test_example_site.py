"""End to end: the bundled 岳池县 2023 example builds, and every fact of the published report is on the site."""

from __future__ import annotations

import re
import shutil

import pytest
from bs4 import BeautifulSoup

from tests.conftest import FIXTURES, ROOT, add_erratum, build_site, register

pytestmark = pytest.mark.slow

REFERENCE = (FIXTURES / "reference_2023_yuechi.txt").read_text(encoding="utf-8")

EXANTE_PROJECTS = [
    "岳池酉溪镇政府专职消防队营房建设项目",
    "岳池县2023年市政基础设施维修工程",
    "岳池县城市社区综合服务提升项目",
    "岳池县环城西路（大西街至北外街）道路及管网改造工程项目",
    "岳池蔬菜科技服务体系建设项目",
]
EXANTE_DEPARTMENTS = ["县消防救援大队", "县住房和城乡建设局", "县民政局", "县现代农业园区服务中心"]
PROBLEMS = ["部门绩效管理意识不强", "专业人才匮乏", "绩效评价结果质量不高", "绩效评价结果应用机制尚未健全"]
PLANS = [
    "加强培训宣传，强化预算绩效管理队伍建设",
    "加强部门联动，强化绩效管理监督问责",
    "加强工作考核，强化绩效管理激励约束",
    "注重结果导向，强化绩效评价结果应用",
]
DOCUMENTS = [
    ("四川省财政厅关于进一步加强预算绩效目标和绩效运行监控管理的通知", "川财绩〔2018〕14号"),
    ("岳池县财政局关于印发〈县级部门绩效自行评估机制〉的通知", None),
    ("岳池县财政局关于开展2023年事前绩效评估工作的通知", None),
    ("岳池县财政局关于开展2021年度绩效运行监控工作的通知", None),
]


def soup_of(site, rel) -> BeautifulSoup:
    return BeautifulSoup((site / rel).read_text(encoding="utf-8"), "html.parser")


def article_text(site, rel) -> str:
    return soup_of(site, rel).find("article").get_text("", strip=False)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def section(site, rel, heading_prefix: str) -> BeautifulSoup:
    """The elements between a heading starting with ``heading_prefix`` and the next heading of its level."""
    soup = soup_of(site, rel)
    for h in soup.find_all(["h2", "h3"]):
        if h.get_text(strip=True).startswith(heading_prefix):
            parts = []
            for sib in h.find_next_siblings():
                if sib.name in ("h1", "h2") or (sib.name == h.name):
                    break
                parts.append(str(sib))
            return BeautifulSoup("".join(parts), "html.parser")
    raise AssertionError(f"no heading starting with {heading_prefix!r} in {rel}")


def test_every_line_of_the_reference_is_on_the_year_page(example_site):
    page = squeeze(article_text(example_site, "2023/index.html"))
    missing = [line for line in REFERENCE.splitlines() if line.strip() and squeeze(line) not in page]
    assert missing == []


def test_every_number_and_document_number_of_the_reference_is_on_the_year_page(example_site):
    page = article_text(example_site, "2023/index.html")
    numbers = set(re.findall(r"\d+(?:\.\d+)?", REFERENCE))
    assert {"17395.88", "85", "16", "5", "4"} <= numbers
    assert sorted(n for n in numbers if n not in page) == []
    for number in re.findall(r"[\u4e00-\u9fff]+〔\d{4}〕\d+号", REFERENCE):
        assert number in page


def test_goal_management_amount_is_declared_in_its_section(example_site):
    part = section(example_site, "2023/index.html", "1. 绩效目标管理")
    text = part.get_text()
    assert "17395.88" in text
    table = part.find("table")
    assert table is not None and "17395.88" in table.get_text() and "万元" in table.get_text()


def test_exante_projects_are_a_table_without_invented_detail(example_site):
    part = section(example_site, "2023/index.html", "2. 事前绩效评估")
    rows = [[td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in part.find_all("table")[-1].find("tbody").find_all("tr")]
    assert [r[0] for r in rows] == EXANTE_PROJECTS
    # 原文分列项目与部门，未写明项目所属部门、评估机构、结论与金额：显示为“—”，不推定、不显示为 0
    assert {r[1] for r in rows} == {"—"} and {r[2] for r in rows} == {"—"}
    assert {r[3] for r in rows} == {"—"} and {r[4] for r in rows} == {"—"}
    # The four departments stay in the report's words and the count of them is the report's own, not checked.
    figures = {tr.find_all("td")[0].get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")]
               for tr in part.find_all("table")[0].find("tbody").find_all("tr")}
    assert figures["事前评估涉及部门数"][1] == "4" and "核对" not in figures["事前评估涉及部门数"][-1]
    assert "、".join(EXANTE_DEPARTMENTS[1:]) in squeeze(part.get_text())


def test_evaluation_counts_and_fund_types(example_site):
    part = section(example_site, "2023/index.html", "4. 事后绩效评价")
    cells = {tr.find_all("td")[0].get_text(strip=True): tr.find_all("td")[1].get_text(strip=True)
             for tr in part.find_all("table")[0].find("tbody").find_all("tr")}
    assert cells == {"整体支出自评一级预算单位数": "85", "财政重点评价项目数": "16", "财政重点评价部门数": "5"}
    text = part.get_text()
    assert "85个一级预算单位均开展了2022年部门整体支出绩效自评工作" in squeeze(text)
    for fund in ["一般公共预算", "政府性基金预算", "国有资本经营预算", "地方债券资金", "政府购买服务"]:
        assert fund in part.find_all("table")[-1].get_text()


def test_four_kinds_of_results_application(example_site):
    part = section(example_site, "2023/index.html", "5. 绩效结果应用")
    table = part.find("table")
    rows = [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")]
    # (columns: 应用编号, 来源, 措施 …)
    assert [(r[1], r[2]) for r in rows] == [("事前评估", "追减"), ("目标审核", "削减"), ("绩效监控", "调整"),
                                            ("绩效评价", "督促整改")]


def test_problems_plans_and_documents(example_site):
    problems = section(example_site, "2023/index.html", "三、存在的问题").get_text()
    for i, p in zip("一二三四", PROBLEMS, strict=True):
        assert f"{i}是{p}。" in squeeze(problems)
    headings = [h.get_text(strip=True) for h in
                section(example_site, "2023/index.html", "四、下一步工作打算").find_all("h3")]
    assert headings == [f"（{i}）{p}" for i, p in zip("一二三四", PLANS, strict=True)]
    docs = section(example_site, "2023/index.html", "附：引用文件").find("tbody").find_all("tr")
    found = [(tr.find_all("td")[0].get_text(strip=True), tr.find_all("td")[1].get_text(strip=True)) for tr in docs]
    assert found == [(f"《{t}》", n or "—") for t, n in DOCUMENTS]


def test_year_page_follows_the_report_skeleton(example_site):
    soup = soup_of(example_site, "2023/index.html")
    h2 = [h.get_text(strip=True) for h in soup.find("article").find_all("h2")]
    assert h2[:4] == ["一、总体情况", "二、绩效管理工作开展情况", "三、存在的问题", "四、下一步工作打算"]
    h3 = [h.get_text(strip=True) for h in soup.find("article").find_all("h3")][:5]
    assert h3 == ["1. 绩效目标管理", "2. 事前绩效评估", "3. 事中绩效监控", "4. 事后绩效评价", "5. 绩效结果应用"]


def test_home_leads_to_latest_year_and_archive(example_site):
    soup = soup_of(example_site, "index.html")
    hrefs = [a["href"] for a in soup.find("article").find_all("a")]
    assert "2023/" in hrefs
    archive = soup_of(example_site, "archive/index.html")
    assert "2023/" in " ".join(a["href"] for a in archive.find("article").find_all("a"))


def test_chinese_ui_and_no_request_to_other_hosts(example_site):
    for page in example_site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        soup = BeautifulSoup(html, "html.parser")
        assert soup.html.get("lang") == "zh"
        for tag, attr in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")):
            for el in soup.find_all(tag):
                url = el.get(attr) or ""
                assert not re.match(r"^(https?:)?//", url), f"{page}: {tag} loads {url}"
    for css in example_site.rglob("*.css"):
        assert not re.search(r"@import\s+url\((['\"])?https?:|fonts\.googleapis", css.read_text(encoding="utf-8"))


def test_figures_come_from_data(data_copy, tmp_path):
    report = data_copy / "2023" / "report.yaml"
    text = report.read_text(encoding="utf-8").replace("17395.88", "17395.89")
    # 2023 is published and frozen: a changed figure is accepted only with an erratum.
    report.write_text(text, encoding="utf-8")
    add_erratum(report, "2026-12-01", "测试更正")
    register(data_copy, 2023)
    site = build_site(data_copy, tmp_path / "site")
    text = article_text(site, "2023/index.html")
    assert "17395.89" in text and "17395.88" not in text


def test_nav_stays_small_and_generated_pages_are_marked(example_site):
    nav_links = soup_of(example_site, "2023/index.html").select("nav.md-nav--primary a.md-nav__link")
    assert 0 < len(nav_links) < 50  # years, index pages and the guide; never one link per record


def test_department_page_shows_blank_not_zero_for_what_the_report_does_not_say(example_site):
    index = soup_of(example_site, "departments/index.html").find("article")
    link = next(a for a in index.find_all("a") if a.get_text(strip=True) == "县消防救援大队")
    page = (example_site / "departments" / link["href"]).resolve() / "index.html"
    article = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").find("article")
    years = article.find("caption", string="历年对比").find_parent("table").find("tbody").find("tr")
    cells = [td.get_text(strip=True) for td in years.find_all("td")]
    assert cells[0] == "2023年" and cells[2] == "—"  # no project detail published: blank, never 0.00
    # 2023 published ex-ante records only: every other kind has no count ("—"), not 0 (DOMAIN §3).
    # The report does not say which ex-ante project is whose: the department's count is unknown, not 0 or 1.
    assert [cells[i] for i in (1, 3, 4, 5, 6, 8, 9)] == ["—"] * 7  # 项目数 目标 事前 监控 评价 整改 未完成整改
    assert article.find(id=re.compile(r"-open$")).get_text(strip=True) == "尚未公开整改明细。"
    rows = index.find("caption", string="预算单位一览").find_parent("table").find("tbody").find_all("tr")
    for row in rows:
        assert [td.get_text(strip=True) for td in row.find_all("td")][3:] == ["—"] * 4
    assert years.find("a")["href"] == "2023/"  # the department's 2023 records
    year_page = (page.parent / "2023" / "index.html").read_text(encoding="utf-8")
    year_article = BeautifulSoup(year_page, "html.parser").find("article")
    exante = year_article.find("h2", string="事前绩效评估").find_next_sibling().get_text()
    assert exante == "本年度的事前绩效评估记录未逐项写明主管部门，见年度报告。"
    assert "未公开逐项整改明细" in year_article.get_text() and "无整改记录" not in year_article.get_text()
    back = {a.get_text(strip=True): a["href"] for a in year_article.find_all("a")}
    assert back["县消防救援大队（历年）"] == "../" and back["2023年度报告"] == "../../../2023/"


def test_unpublished_tables_are_not_counted_as_none(example_site):
    """The example publishes no project, rectification or amount: the site never says "0 projects", "no overdue
    rectification" or "0.00 cut"; it says they were not published."""
    projects = article_text(example_site, "projects/index.html")
    assert "共 0 个项目" not in projects and "尚未公开项目明细" in projects
    trackers = soup_of(example_site, "trackers/index.html").find("article")
    assert "没有逾期未完成的整改" not in trackers.get_text() and "尚未公开逐项整改明细" in trackers.get_text()
    row = trackers.find("caption", string="结果应用（历年）").find_parent("table").find("tbody").find("tr")
    assert [td.get_text(strip=True) for td in row.find_all("td")] == ["2023年", "4", "—"]


def test_a_table_published_empty_counts_zero(data_copy, tmp_path):
    """A table with its header only was published and holds nothing: its count is 0, not "—"."""
    (data_copy / "2023" / "rectifications.csv").write_text(
        "整改编号,来源类型,来源编号,单位名称,项目编码,问题,整改要求,发现日期,整改期限,状态,完成日期\n", encoding="utf-8")
    report = data_copy / "2023" / "report.yaml"  # 2023 is published: a change needs an erratum
    add_erratum(report, "2026-12-01", "测试：公开空的整改台账")
    register(data_copy, 2023)
    site = build_site(data_copy, tmp_path / "site")
    trackers = article_text(site, "trackers/index.html")
    assert "没有逾期未完成的整改" in trackers and "尚未公开逐项整改明细" not in trackers
    index = soup_of(site, "departments/index.html").find("article")
    row = index.find("caption", string="预算单位一览").find_parent("table").find("tbody").find("tr")
    assert [td.get_text(strip=True) for td in row.find_all("td")][3:] == ["—", "—", "—", "0"]


def test_guide_code_blocks_are_blocks(example_site):
    """The staff guide's fenced examples (commands, YAML to copy) are code blocks with their line breaks, also
    inside numbered steps; never inline code with the fence's language shown as a word."""
    guide = ROOT / "content" / "guide"
    for source in sorted(guide.glob("*.md")):
        fences = source.read_text(encoding="utf-8").count("```") // 2
        built = "guide/index.html" if source.stem == "index" else f"guide/{source.stem}/index.html"
        page = soup_of(example_site, built).find("article")
        assert "```" not in page.get_text()
        assert len(page.find_all("pre")) == fences, source.name
    errata = soup_of(example_site, "guide/errata/index.html").find("article")
    yaml = next(pre.get_text() for pre in errata.find_all("pre") if "更正说明:" in pre.get_text())
    assert "\n  - 日期:" in yaml  # indentation kept: a clerk can copy it as it is


def test_data_dictionary_cites_only_what_a_reader_can_look_up(example_site):
    """The public 校验规则 table names its basis in Chinese: no internal file (DOMAIN.md), issue number or English."""
    article = soup_of(example_site, "data-dictionary/index.html").find("article")
    rules = article.find("caption", string="校验规则").find_parent("table")
    for row in rules.find("tbody").find_all("tr"):
        basis = row.find_all("td")[2].get_text(strip=True)
        assert basis and not re.search(r"DOMAIN|议题|configurable", basis), basis
        # Latin letters only in names a reader meets in the data (settings.yaml, CSV …), never English prose.
        assert not re.search(r"[A-Za-z]{3,}\s+[A-Za-z]{3,}", basis), basis


def test_guide_shows_what_validate_really_prints(data_copy, capsys, monkeypatch):
    """The guide's example of reading an error is the real output for the edit it describes (run, as staff do,
    from the folder holding data/)."""
    from generator import cli

    monkeypatch.chdir(data_copy.parent)

    path = data_copy / "2023" / "exante.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    cells = lines[2].split(",")
    cells[5], cells[6] = "部分同意", "12万"  # 评估结论, 申请金额 of row 3
    lines[2] = ",".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8")
    assert cli.main(["--root", str(ROOT), "--data", str(data_copy), "validate"]) != 0
    out, err = capsys.readouterr()
    printed = [line for line in (out + err).splitlines() if line.strip()]
    guide = (ROOT / "content" / "guide" / "validate.md").read_text(encoding="utf-8")
    example = guide.split("## 一条错误怎么读", 1)[1].split("```console\n", 1)[1].split("```", 1)[0]
    assert printed == example.splitlines()[1:]  # (after the command line)


def test_report_sections_have_anchors_made_of_their_words(example_site):
    """A link to a section of a report names it (/2023/#三存在的问题) instead of its place (#_3)."""
    page = soup_of(example_site, "2023/index.html")
    heading = next(h for h in page.find("article").find_all("h2") if h.get_text(strip=True) == "三、存在的问题")
    assert heading["id"] == "三存在的问题"
    assert page.find("nav", class_="md-nav--secondary").find("a", href="#三存在的问题") is not None
    ids = [h.get("id", "") for h in page.find("article").find_all(["h1", "h2", "h3"])]
    assert ids and not any(re.fullmatch(r"_?\d+", i) for i in ids)


def test_a_published_year_cannot_go_back_to_draft_or_disappear(data_copy, tmp_path):
    """Back to 草稿, a published year would take changes without an erratum and publish them as a draft; removed,
    it would vanish from the record. Both are refused before anything is built."""
    from generator import pipeline
    from generator.problems import DataError

    report = data_copy / "2023" / "report.yaml"
    text = report.read_text(encoding="utf-8")
    report.write_text(text.replace("状态: 已发布", "状态: 草稿"), encoding="utf-8")
    exante = data_copy / "2023" / "exante.csv"
    exante.write_text(exante.read_text(encoding="utf-8").replace("建设项目,,,,,,,", "建设项目,,,,,120.00,,"),
                      encoding="utf-8")
    _, found = pipeline.validate(data_copy)
    errors = [(p.code, p.file, p.row) for p in found.errors]
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if t.startswith("状态:"))
    assert errors == [("frozen-year-withdrawn", "data/2023/report.yaml", line)]
    with pytest.raises(DataError):
        build_site(data_copy, tmp_path / "site")
    assert not (tmp_path / "site").exists()

    shutil.rmtree(data_copy / "2023")
    _, found = pipeline.validate(data_copy)
    assert ("frozen-year-withdrawn", "data/frozen.yaml") in {(p.code, p.file) for p in found.errors}


def test_no_hidden_control_takes_keyboard_focus_for_the_colour_scheme(example_site):
    """The site has one colour scheme: no colour-scheme radio button (hidden, doing nothing) sits in the Tab order,
    and the scheme's colours still apply."""
    page = soup_of(example_site, "2023/index.html")
    assert page.find("input", attrs={"name": "__palette"}) is None
    assert page.body.get("data-md-color-primary") == "custom"
