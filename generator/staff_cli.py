"""Commands for finance staff: Excel templates out, a filled workbook in, a year back to Excel, a new year.

Registered into the main parser by ``cli.build_parser``; each returns an exit code like the other commands.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

EXIT_DATA = 1


def cmd_templates(args) -> int:
    from . import excel

    try:
        written, kept = excel.write_templates(args.dir)
    except OSError:
        print(f"[错误] 无法把模板写入“{args.dir}”：该位置已有同名文件、上级文件夹不存在或没有写入权限；"
              "请换一个文件夹，例如 python -m generator templates 模板", file=sys.stderr)
        return EXIT_DATA
    if written:
        print(f"已生成 {len(written)} 个空白模板：")
        for path in written:
            print(f"  {path}")
    if kept:
        print(f"以下 {len(kept)} 个工作簿已存在，未覆盖（可能已有人填写）；需要新的空白模板请换一个文件夹，或先删去它们：")
        for path in kept:
            print(f"  {path}")
    print("填写后导入：python -m generator import <工作簿.xlsx> --year <年度>")
    return 0


def cmd_import(args) -> int:
    from . import excel_import, progress
    from .cli import COMMAND, data_from_here

    data = args.paths.data
    shown = data_from_here(data)  # (the folder the clerk named, not always "data")
    run = COMMAND if args.paths.data_dir is None else f"{COMMAND} --data {shlex.quote(shown)}"
    with progress.Bar("导入", quiet=args.quiet) as bar:
        result = excel_import.import_workbook(args.file, data, args.year, progress=bar.update)
    if result.problems or not result.ok:
        print(result.as_text(), file=sys.stderr if not result.ok else sys.stdout)
    if not result.ok:
        return EXIT_DATA
    if not result.written:
        print(f"工作簿与 {shown}/{result.year}/ 中的数据一致，没有文件需要修改。")
        return 0
    print(f"已导入到 {shown}/{result.year}/：")
    for path in result.written:
        counts = "，".join(f"{k} {v} 条" for k, v in result.stats.get(path.name, {}).items() if v)
        print(f"  {path.name}（{counts or '更新'}）")
    # A correction to a published year is published only once the register holds it (generator/freeze.py).
    if any(p.code == "frozen-year-recorded" and getattr(p, "problem", p).field == str(result.year)
           for p in result.problems):
        print(f"下一步：{run} serve 预览；核对无误后运行 {run} freeze {result.year} "
              f"重新登记校验值，再把 {shown}/{result.year}/ 与 {shown}/frozen.yaml 一起提交。")
    else:
        print(f"下一步：{run} serve 预览，确认无误后提交。")
    return 0


def cmd_export(args) -> int:
    from . import excel

    report = excel.export_year(args.paths.data, args.year, args.file)
    if not report.ok:
        print(report.as_text(), file=sys.stderr)
        return EXIT_DATA
    print(f"{args.year} 年度数据已导出到 {args.file}")
    return 0


def cmd_new_year(args) -> int:
    from . import newyear

    report, created = newyear.new_year(args.paths.data, args.year)
    if not report.ok:
        print(report.as_text(), file=sys.stderr)
        return EXIT_DATA
    from .cli import COMMAND, data_from_here

    shown = data_from_here(args.paths.data)
    run = COMMAND if args.paths.data_dir is None else f"{COMMAND} --data {shlex.quote(shown)}"
    print(f"已新建 {args.year} 年度（状态：草稿）：")
    for path in created:
        print(f"  {shown}/{path.relative_to(args.paths.data).as_posix()}")
    print(f"下一步：填写 {shown}/{args.year}/report.yaml 的正文；表格可用 {COMMAND} templates 模板 取得空白模板，"
          f"填好后运行 {run} import <工作簿.xlsx> --year {args.year}。")
    return 0


def add_commands(sub) -> None:
    from .cli import command

    p = command(sub, "templates", "生成空白 Excel 模板（绩效目标表、自评表、监控表、整改台账等）")
    p.add_argument("dir", type=Path, metavar="目录", help="模板输出目录")
    p.set_defaults(func=cmd_templates)

    p = command(sub, "import", "导入填好的 Excel 工作簿到 data/<年度>/，先校验，有错误时不改动任何文件")
    p.add_argument("file", type=Path, metavar="工作簿", help="工作簿（.xlsx）")
    p.add_argument("--year", type=int, default=None, help="年度；不写时取工作簿“填写说明”中的年度")
    p.add_argument("--quiet", action="store_true", help="不显示进度条")
    p.set_defaults(func=cmd_import)

    p = command(sub, "export", "把某一年度的数据导出为 Excel 工作簿（与模板同一格式）")
    p.add_argument("year", type=int, metavar="年度", help="年度，例如 2023")
    p.add_argument("file", type=Path, metavar="工作簿", help="输出的工作簿（.xlsx）")
    p.set_defaults(func=cmd_export)

    p = command(sub, "new-year", "新建一个年度（草稿）：报告骨架、沿用的预算单位、空白表格")
    p.add_argument("year", type=int, metavar="年度", help="年度，例如 2024")
    p.set_defaults(func=cmd_new_year)
