"""Tables: CSV downloads that hold exactly what the table shows, anchors, sort hints, and the vendored sorter."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import markdown
import pytest
import yaml
from bs4 import BeautifulSoup
from markupsafe import Markup

from generator.tables import BLANK, Cell, Column, Table, link_cell

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "content" / "assets" / "vendor" / "tablesort"
INIT = ROOT / "content" / "assets" / "jx-tables.js"


def sample_table(**kw) -> Table:
    return Table(
        "2023年事前绩效评估项目",
        [Column("项目名称"), Column("主管部门"), Column("申请金额（万元）", "money"), Column("执行率", "percent"),
         Column("评价年度", "number"), Column("说明", "long")],
        [
            [link_cell("环城西路<改造>", "../p/1/"), "县住房和城乡建设局", Decimal("1200.50"), Decimal("85.5"), 2022,
             "第一行\n  第二行"],
            ["社区服务", None, None, None, None, ""],
            ["消防营房", "县消防救援大队", Decimal("30"), Decimal("100"), 2022, "a,b \"c\""],
        ],
        {1},
        footer=["合计", "", Decimal("1230.50"), None, None, None],
        **kw,
    )


def parse_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_is_the_table_as_shown():
    table = sample_table()
    rows = parse_csv(table.csv_text())
    assert rows[0] == ["项目名称", "主管部门", "申请金额（万元）", "执行率", "评价年度", "说明", "示例"]
    assert rows[1] == ["环城西路<改造>", "县住房和城乡建设局", "1200.50", "85.50%", "2022", "第一行\n第二行", "否"]
    assert rows[2] == ["社区服务", BLANK, BLANK, BLANK, BLANK, BLANK, "是"]
    assert rows[3][5] == 'a,b "c"'  # quoting survives the round trip
    assert rows[4] == ["合计", BLANK, "1230.50", BLANK, BLANK, BLANK, ""]
    assert len(rows) == 5
    soup = BeautifulSoup(table.html(), "html.parser")
    shown = [[td.get_text(" ", strip=True) for td in tr.find_all("td")] for tr in soup.tbody.find_all("tr")]
    # The page's cells and the CSV agree, apart from the 示例 badge (a column in the CSV) and line breaks.
    for page_row, csv_row in zip(shown, rows[1:4], strict=True):
        assert page_row[0].removesuffix(" 示例") == csv_row[0]
        assert page_row[1:5] == csv_row[1:5]
    assert "<a" not in table.csv_text() and "jx-sample" not in table.csv_text()


def test_csv_has_no_sample_column_without_samples():
    table = Table("表", [Column("名称"), Column("金额", "money")], [["甲", Decimal("1")]])
    assert parse_csv(table.csv_text()) == [["名称", "金额"], ["甲", "1.00"]]
    assert table.csv_bytes().startswith(b"\xef\xbb\xbf") and table.csv_bytes()[3:].decode() == table.csv_text()


def test_markup_cells_download_as_text():
    from markupsafe import Markup

    table = Table("表", [Column("名称")], [[Markup("<b>甲</b> &amp; 乙")], [Markup("<i></i>")]])
    assert parse_csv(table.csv_text())[1:] == [["甲 & 乙"], [BLANK]]


def test_csv_after_html_is_the_csv_worked_out_alone():
    """``html`` notes each cell's text for the download on its way; the CSV is the same as when every text is worked
    out again from the values, for every kind of column and value."""
    from datetime import date
    from enum import Enum

    class Grade(Enum):
        GOOD = "良  好"

    kinds = ["text", "long", "money", "percent", "number", "date"]
    values = {
        "text": [None, "", "  两个  空格 ", "<b>&</b>", 7, Grade.GOOD, True, date(2024, 5, 1), Decimal("1.50"),
                 link_cell("项目 甲", "../p/"), Cell(Markup("—"), BLANK), Markup("<i>斜体</i>")],
        "long": [None, "第一行\n\n  第二行  ", "一行", 3, Markup("<br>")],
        "money": [None, Decimal("12.345"), Decimal("0"), 5, Cell(Markup("<a>1.00</a>"), "1.00")],
        "percent": [None, Decimal("85.5"), Decimal("100.00"), 90],
        "number": [None, Decimal("3.10"), 12, "  4 ", "—", Decimal("1E+2")],
        "date": [None, date(2023, 12, 31), "2023-01-02"],
    }
    width = max(len(v) for v in values.values())
    columns = [Column(f"列{k}", k) for k in kinds]
    rows = [[values[k][i % len(values[k])] for k in kinds] for i in range(width)]
    alone = Table("各种单元格", columns, rows, download="t.csv", sample_rows={1})
    expected = alone.csv_rows()
    alone.html()
    assert alone._texts is not None and alone.csv_rows() == expected
    # A row added after the HTML was made is not taken from the notes.
    alone.rows.append(rows[0])
    assert alone.csv_rows() == expected + [expected[1][:-1] + ["否"]]


def test_download_link_only_when_named():
    assert "jx-table-download" not in sample_table().html()
    html = sample_table(download="exante.csv").html()
    assert '<p class="jx-table-download"><a href="exante.csv" download>下载本表（CSV）</a></p>' in html
    assert html.index("</table>") < html.index("jx-table-download")  # under the table
    empty = Table("空表", [Column("名称")], [], download="empty.csv")
    assert "jx-table-download" not in empty.html()  # nothing to download
    hostile = Table("表", [Column("名称")], [["甲"]], download='x.csv" onclick="alert(1)').html()
    assert 'onclick="' not in hostile and "&#34;" in hostile


def test_anchors_are_stable_and_safe():
    assert 'id="tbl-exante"' in sample_table(download="exante.csv").html()
    assert 'id="my-id"' in sample_table(id="my-id", download="exante.csv").html()
    by_caption = Table('2023年 "整改" <情况>', [Column("名称")], [["甲"]]).html()
    ident = re.search(r'<table id="([^"]+)"', by_caption).group(1)
    assert ident == "tbl-2023年-整改-情况"
    assert Table("空", [Column("名称")], [], id="x-empty").html().startswith('<p class="jx-empty" id="x-empty">')


def test_sort_hints():
    soup = BeautifulSoup(sample_table().html(), "html.parser")
    table = soup.table
    assert table.has_attr("data-jx-sort")
    # Number columns are named once on the table, for jx-tables.js to sort as numbers and give the others Chinese
    # collation (test_sorting_in_a_browser); no header carries a method of its own.
    assert table["data-jx-num"] == "3 4 5"
    assert [th.get("data-sort-method") for th in table.thead.find_all("th")] == [None] * 6
    first, blank, _ = table.tbody.find_all("tr")
    # tablesort sorts these cells by their text ("85.50%" as 85.5), so they carry no data-sort of their own.
    assert [td.get("data-sort") for td in first.find_all("td")] == [None] * 6
    # Blanks show "—", which jx-tables.js keeps last; the badge's text is kept out of the first cell's key.
    assert [td.get("data-sort") for td in blank.find_all("td")] == ["社区服务", None, None, None, None, None]
    assert [td.get_text() for td in blank.find_all("td")][1:] == [BLANK] * 5
    assert not table.tfoot.find_all(attrs={"data-sort": True})  # totals never move
    one_row = BeautifulSoup(Table("表", [Column("名称")], [["甲"]]).html(), "html.parser").table
    assert not one_row.has_attr("data-jx-sort") and not one_row.find(attrs={"data-sort-method": True})
    fixed = BeautifulSoup(sample_table(sortable=False).html(), "html.parser").table
    assert not fixed.has_attr("data-jx-sort") and not fixed.find(attrs={"data-sort": True})


def test_cells_carry_a_key_only_where_their_text_sorts_differently():
    table = Table("表", [Column("数值", "number"), Column("链接", "money"), Column("比例", "percent")],
                  [["1,234.5", Cell("<b>9</b>", "9.00"), Decimal("85.5")],
                   ["17395.88", link_cell("—", "#"), Decimal("12.345")],
                   ["约100", Decimal("752.035"), None],
                   [Decimal("2.50"), Cell(Markup('<a href="#">另见</a>'), BLANK), 7]])
    keys = [[td.get("data-sort") for td in tr.find_all("td")]
            for tr in BeautifulSoup(table.html(), "html.parser").tbody.find_all("tr")]
    assert keys == [[None, None, None],  # "1,234.5" and "85.50%" sort as written
                    [None, None, "12.345"],  # the blank link shows "—"; 12.35% was rounded for display
                    [None, "752.035", None],  # "约100" is no number: sorted by its text, as before
                    [None, "", None]]  # a blank that does not show "—" says so
    assert Column("金额", "money").sort_key(Decimal("752.035")) == "752.035"


def test_numeric_columns_are_named_once_per_table():
    html = str(sample_table().html())
    assert '<table id="tbl-2023年事前绩效评估项目" data-jx-sort data-jx-num="3 4 5">' in html
    assert "jx-num" not in html.replace('data-jx-num="3 4 5"', "")  # no per-cell class
    wide = Table("宽表", [Column(f"列{j}", "number" if j in (2, 21, 22) else "text") for j in range(1, 23)],
                 [[str(j) for j in range(1, 23)]])
    soup = BeautifulSoup(wide.html(), "html.parser")
    assert soup.table["data-jx-num"] == "2"  # jx.css styles the first 20 columns by position
    assert [i for i, td in enumerate(soup.find_all("td"), start=1) if td.get("class") == ["jx-num"]] == [21, 22]
    css = (ROOT / "content" / "assets" / "jx.css").read_text(encoding="utf-8")
    from generator.tables import NUM_STYLED_COLUMNS
    for j in range(1, NUM_STYLED_COLUMNS + 1):
        assert f'.md-typeset .jx-table [data-jx-num~="{j}"] td:nth-child({j})' in css


def test_cells_are_escaped():
    from markupsafe import Markup as M

    table = Table('<表 "x">', [Column("名称"), Column("说明", "long"), Column("数", "number")],
                  [['<b>甲</b> & "乙" \'丙\'', "一<br>\n二 & 三", "<1>"], [M("<i>乙</i>"), None, "2"]],
                  row_ids=['a"b', "c"], row_attrs=[{"dept": '<x y="1">'}, {"dept": "z"}], download='d"e.csv')
    html = str(table.html())
    assert "<b>" not in html and "<i>乙" not in html and 'y="1"' not in html and '"x"' not in html
    assert "&lt;b&gt;甲&lt;/b&gt; &amp; &#34;乙&#34; &#39;丙&#39;" in html
    assert "一&lt;br&gt;<br>二 &amp; 三" in html and 'id="a&#34;b"' in html and 'data-dept="&lt;x y=&#34;1&#34;&gt;"' in html


def test_html_is_one_markdown_block():
    html = str(sample_table(download="exante.csv").html())
    assert "\n\n" not in html
    page = markdown.markdown("# 标题\n\n" + html + "\n\n正文", extensions=["tables", "attr_list", "admonition", "toc"])
    soup = BeautifulSoup(page, "html.parser")
    assert soup.find("table", id="tbl-exante") is not None
    assert soup.select_one(".jx-table-download a")["href"] == "exante.csv"
    assert not soup.find("p").find("table")  # not wrapped in a paragraph


def test_vendored_tablesort_is_unmodified_and_licensed():
    source = (VENDOR / "SOURCE.txt").read_text(encoding="utf-8")
    listed = dict(reversed(line.split("  ")) for line in source.splitlines() if re.match(r"^[0-9a-f]{64}  ", line))
    assert set(listed) == {"tablesort.min.js", "tablesort.number.min.js"}
    for name, digest in listed.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    assert "MIT" in source and "Permission is hereby granted" in (VENDOR / "LICENCE").read_text(encoding="utf-8")


def test_mkdocs_loads_sorter_in_order():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8").replace("!!python", "#"))
    scripts = [s if isinstance(s, str) else s.get("path") for s in config.get("extra_javascript", [])]
    wanted = ["assets/vendor/tablesort/tablesort.min.js", "assets/vendor/tablesort/tablesort.number.min.js",
              "assets/jx-tables.js"]
    assert [s for s in scripts if s in wanted] == wanted
    assert all((ROOT / "content" / s).is_file() for s in wanted)


def test_init_script_is_local_and_handles_instant_navigation():
    text = INIT.read_text(encoding="utf-8")
    assert not re.search(r"https?:|//[a-z0-9.-]+\.[a-z]{2,}|import\s*\(|fetch\(|XMLHttpRequest", text)
    assert "document$" in text and "DOMContentLoaded" in text
    assert 'Tablesort.extend("jx-text"' in text


@pytest.mark.skipif(shutil.which("chromium") is None and not os.environ.get("CI"), reason="未安装 chromium（CI 中不跳过）")
def run_in_chromium(page: Path, body: str):
    """Load ``body`` in headless Chromium, let its scripts run, and return the <pre id="out"> they filled."""
    page.write_text(f'<!doctype html><meta charset="utf-8">{body}', encoding="utf-8")
    done = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
         "--virtual-time-budget=3000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120)
    out = BeautifulSoup(done.stdout, "html.parser").find("pre", id="out")
    assert out is not None, done.stderr[-2000:]
    return out


def test_sorting_in_a_browser(tmp_path):
    """Click the money header in headless Chromium: numbers sort as numbers and blanks stay last."""
    table = Table("表", [Column("名称"), Column("金额（万元）", "money")],
                  [["甲", Decimal("9.00")], ["乙", None], ["丙", Decimal("100.00")], ["丁", Decimal("25.50")]])
    scripts = "".join(f'<script src="{p.as_uri()}"></script>' for p in (
        VENDOR / "tablesort.min.js", VENDOR / "tablesort.number.min.js", INIT))
    probe = """<script>
window.addEventListener("load", function () {
  var th = document.querySelectorAll("th")[1], out = [];
  function names() { return [].map.call(document.querySelectorAll("tbody tr td:first-child"),
                                        function (td) { return td.textContent; }).join(""); }
  th.click(); out.push(names());
  th.click(); out.push(names());
  document.querySelectorAll("th")[0].click(); out.push(names());
  document.getElementById("out").textContent = out.join("|") + "|" + th.hasAttribute("aria-sort") + "|" +
    document.querySelectorAll("th")[0].getAttribute("aria-sort");
});
</script>"""
    out = run_in_chromium(tmp_path / "t.html", f"{table.html()}<pre id=\"out\"></pre>{scripts}{probe}")
    ascending, descending, by_name, money_marked, name_state = out.get_text().split("|")
    assert ascending == "甲丁丙乙"  # 9 < 25.5 < 100 (as numbers, not text), blank last
    assert descending == "丙丁甲乙"  # blank still last
    assert by_name == "丙丁甲乙"  # pinyin order (bing, ding, jia, yi), not code points (丁丙乙甲)
    assert money_marked == "false" and name_state == "ascending"  # screen readers hear the current order


def cell_text(cell) -> str:
    """A built page's cell as its CSV holds it: the 示例 badge removed, line breaks kept."""
    for badge in cell.select(".jx-sample"):
        badge.decompose()
    for br in cell.find_all("br"):
        br.replace_with("\n")
    return "\n".join(line.strip() for line in cell.get_text().split("\n") if line.strip())


@pytest.mark.slow
@pytest.mark.parametrize("site_fixture", ["example_site", "shixian_site"])
def test_built_downloads_match_their_tables(site_fixture, request):
    """Every table on a built page that offers a CSV: the file exists next to the page and holds its cells."""
    site: Path = request.getfixturevalue(site_fixture)
    checked = 0
    for page in sorted(site.rglob("*.html")):
        # Parse only the table blocks (they hold no nested div): parsing whole pages would take most of the time.
        blocks = re.findall(r'<div class="jx-table">.*?</div>', page.read_text(encoding="utf-8"), re.S)
        for box in (BeautifulSoup(b, "html.parser").div for b in blocks):
            link = box.select_one(".jx-table-download a")
            if link is None:
                continue
            table = box.table
            path = (page.parent / link["href"]).resolve()
            assert path.is_file(), f"{page.relative_to(site)}: {link['href']} 不存在"
            raw = path.read_bytes()
            assert raw.startswith(b"\xef\xbb\xbf")
            rows = parse_csv(raw.decode("utf-8-sig"))
            header = [th.get_text(strip=True) for th in table.thead.find_all("th")]
            samples = bool(table.select("tbody .jx-sample"))
            assert rows[0] == header + (["示例"] if samples else []), path.name
            body = table.tbody.find_all("tr")
            foot = table.tfoot.find_all("tr") if table.tfoot else []
            assert len(rows) == 1 + len(body) + len(foot), path.name
            for tr, row in zip(body, rows[1:], strict=False):
                flag = ["是" if tr.select(".jx-sample") else "否"] if samples else []
                assert [cell_text(td) for td in tr.find_all("td")] + flag == row, path.name
            checked += 1
    assert checked >= 5


@pytest.mark.skipif(shutil.which("chromium") is None and not os.environ.get("CI"), reason="未安装 chromium（CI 中不跳过）")
def test_sorting_after_instant_navigation(tmp_path):
    """With Material's document$ (instant navigation), each new page's tables are set up once, and only once."""
    import json

    first = Table("表一", [Column("名称"), Column("金额", "money")], [["甲", Decimal("2")], ["乙", Decimal("1")]])
    second = Table("表二", [Column("名称"), Column("金额", "money")],
                   [["丙", Decimal("30")], ["丁", None], ["戊", Decimal("4")]])
    fake = """<script>
var subscribers = [];
window.document$ = { subscribe: function (fn) { subscribers.push(fn); fn(); } };
</script>"""
    scripts = "".join(f'<script src="{p.as_uri()}"></script>' for p in (
        VENDOR / "tablesort.min.js", VENDOR / "tablesort.number.min.js", INIT))
    probe = """<script>
window.addEventListener("load", function () {
  function names(t) { return [].map.call(t.querySelectorAll("tbody td:first-child"),
                                         function (td) { return td.textContent; }).join(""); }
  var holder = document.getElementById("holder");
  var before = holder.querySelector("table").getAttribute("data-jx-sort");
  holder.innerHTML = NEXT_PAGE;  // the next page's content arrives
  subscribers.forEach(function (fn) { fn(); });
  subscribers.forEach(function (fn) { fn(); });  // a repeated emission must not bind twice
  var t = holder.querySelector("table");
  t.querySelectorAll("th")[1].click();
  document.getElementById("out").textContent = [before, t.getAttribute("data-jx-sort"), names(t),
                                                subscribers.length].join("|");
});
</script>""".replace("NEXT_PAGE", json.dumps(str(second.html())))
    out = run_in_chromium(tmp_path / "n.html",
                          f'{fake}<div id="holder">{first.html()}</div><pre id="out"></pre>{scripts}{probe}')
    assert out.get_text().split("|") == ["on", "on", "戊丙丁", "1"]  # one click: ascending, blank last


@pytest.mark.skipif(shutil.which("chromium") is None and not os.environ.get("CI"), reason="未安装 chromium（CI 中不跳过）")
def test_numeric_columns_are_right_aligned_in_a_browser(tmp_path):
    """With the theme's stylesheet loaded first (its table cells are text-align: left), numeric columns still align
    right, named once on the table; the first 20 columns by position, further ones by their cells' class."""
    import material

    theme = next((Path(material.__file__).parent / "templates" / "assets" / "stylesheets").glob("main.*.min.css"))
    css = ROOT / "content" / "assets" / "jx.css"
    table = Table("表", [Column("名称"), Column("金额", "money"), *(Column(f"列{j}") for j in range(3, 21)),
                        Column("第21列", "number")], [["甲", Decimal("1"), *("x" * 18), 3], ["乙", None, *("y" * 18), 4]],
                  footer=["合计", Decimal("1"), *([""] * 18), 7])
    probe = """<script>
window.addEventListener("load", function () {
  function align(sel) { return getComputedStyle(document.querySelector(sel)).textAlign; }
  document.getElementById("out").textContent = [align("th:nth-child(1)"), align("th:nth-child(2)"),
    align("tbody td:nth-child(1)"), align("tbody td:nth-child(2)"), align("tfoot td:nth-child(2)"),
    align("tbody td:nth-child(3)"), align("tbody td:nth-child(21)"), align("th:nth-child(21)")].join("|");
});
</script>"""
    out = run_in_chromium(tmp_path / "a.html", f'<link rel="stylesheet" href="{theme.as_uri()}">'
                          f'<link rel="stylesheet" href="{css.as_uri()}"><div class="md-typeset">{table.html()}</div>'
                          f'<pre id="out"></pre>{probe}')
    assert out.get_text().split("|") == ["left", "right", "left", "right", "right", "left", "right", "right"]


def test_cell_shortcuts_agree_with_render_text_and_sort_key():
    """``Column.cell`` takes shortcuts for speed; for every kind of column and value it must give what ``render``,
    ``text`` and ``sort_key`` give."""
    from datetime import date

    from generator.schema import Measure

    numbers = [None, "", Decimal("85.125"), Decimal("12"), Decimal("0.50"), Decimal("-3.10"), 7, 0,
               link_cell("项目<甲>", "../p/?a=1&b=2"), Cell(Markup("—"), "—")]
    texts = [*numbers, Markup("<i>斜</i>"), "  两个  空格 ", "<b>&'\"", "85.5", "1,234.50", "85.50%", "—", "第一行\n第二行",
             date(2024, 7, 31), Measure.CUT]
    # (money and percent columns hold numbers: the model's amounts and rates are Decimal or blank)
    for kind, values in (("text", texts), ("long", texts), ("number", texts), ("date", texts),
                         ("money", numbers), ("percent", numbers)):
        col = Column("列", kind)
        for value in values:
            html, key, text = col.cell(value)
            where = f"{kind} {value!r}"
            assert html == str(col.render(value)), where
            shown = col.text(value)
            if text is not None:
                assert text == shown, where
            assert key == col._explicit_key(value, shown if kind != "long" else html), where
