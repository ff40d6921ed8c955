"""Command line: the one boundary where data problems become Chinese messages and exit codes."""

from __future__ import annotations

import argparse
import errno
import re
import shlex
import sys
from pathlib import Path

from . import freeze, pipeline
from .problems import DataError, Report

EXIT_DATA = 1
EXIT_BUILD = 2
EXIT_USAGE = 2  # argparse's own code for a command line it cannot read


class _ChineseHelp(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


# argparse's messages (Python 3.11), as a clerk should read them.
_ERRORS = [
    (re.compile(r"^argument (?P<arg>\S+): invalid (?P<type>\w+) value: '(?P<value>.*)'$"),
     "参数 {arg}：“{value}”不是有效的{kind}"),
    (re.compile(r"^argument (?P<arg>\S+): invalid choice: '(?P<value>.*)' \(choose from (?P<choices>.*)\)$"),
     "参数 {arg}：“{value}”不在可选值之内；可选：{choices}"),
    (re.compile(r"^argument (?P<arg>\S+): expected one argument$"), "参数 {arg} 后面需要写一个值"),
    (re.compile(r"^the following arguments are required: (?P<args>.*)$"), "缺少参数：{args}"),
    (re.compile(r"^unrecognized arguments: (?P<args>.*)$"), "不认识的参数：{args}"),
    (re.compile(r"^argument (?P<arg>\S+): (?P<message>.*)$"), "参数 {arg}：{message}"),  # (ours, in Chinese already)
]
_KINDS = {"int": "整数（例如年度 2024）", "Path": "路径"}


class ChineseParser(argparse.ArgumentParser):
    """argparse with its headings, help and errors in Chinese."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _ChineseHelp)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示本帮助并退出")

    def error(self, message: str):
        for pattern, text in _ERRORS:
            found = pattern.match(message)
            if found:
                parts = found.groupdict()
                message = text.format(**parts, kind=_KINDS.get(parts.get("type", ""), parts.get("type", "")))
                break
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}：错误：{message}\n（运行 {self.prog} -h 查看用法）\n")


def command(sub, name: str, summary: str) -> argparse.ArgumentParser:
    """A sub-command whose one-line summary in the list of commands is also its own help page's description."""
    return sub.add_parser(name, help=summary, description=summary)


COMMAND = "python -m generator"


def data_from_here(data_dir: Path) -> str:
    """The data folder as staff type it from the current folder: data, examples/shixian/data, or its full path when
    it lies outside the current folder."""
    import os

    try:
        shown = Path(os.path.relpath(data_dir.resolve(), Path.cwd().resolve())).as_posix()
    except ValueError:  # (another drive on Windows)
        return data_dir.as_posix()
    return data_dir.resolve().as_posix() if shown.startswith("..") else shown


def seen_from_here(report: Report, data_dir: Path) -> Report:
    """Problems name files from the data folder's name (data/2023/x.csv); with --data pointing elsewhere that names
    another file, so the command line shows the path from the current folder (examples/shixian/data/2023/x.csv),
    also where a message names a file to open (git diff -- data/2023/x.csv)."""
    import dataclasses

    shown, prefix = data_from_here(data_dir), data_dir.name + "/"
    if shown == data_dir.name:
        return report
    # A path in a message starts a word and goes into a year folder or to a file of the data folder (frozen.yaml):
    # "data/" in other words is left alone. A command a message asks to run works on this data folder too.
    in_message = re.compile(rf"(?<![\w./-]){re.escape(prefix)}(?=\d{{4}}/|[\w.-]+\.(?:yaml|csv)\b)")
    command = f"{COMMAND} --data {shlex.quote(shown)} "

    def here(message: str) -> str:
        return in_message.sub(lambda _: shown + "/", message).replace(COMMAND + " ", command)

    out = Report()
    out.problems = [dataclasses.replace(p, file=shown + "/" + p.file[len(prefix):] if p.file.startswith(prefix)
                                        else p.file, message=here(p.message)) for p in report.problems]
    return out


def _print_report(report: Report, fmt: str, data_dir: Path | None = None) -> None:
    if fmt == "json":
        # "file" keeps the name from the data folder's name (data/2023/x.csv: stable, as CI annotations and tools
        # expect); "path" is where to open it from the current folder, also with --data pointing elsewhere.
        prefix = data_dir.name + "/" if data_dir is not None else None
        shown = data_from_here(data_dir) if data_dir is not None else ""
        print(report.as_json(lambda f: shown + "/" + f[len(prefix):] if prefix and f.startswith(prefix) else f))
        return
    if data_dir is not None:
        report = seen_from_here(report, data_dir)
    print(report.as_text(), file=sys.stderr if report.errors else sys.stdout)


def cmd_validate(args) -> int:
    from .progress import Bar

    paths = args.paths
    with Bar("校验", quiet=args.format == "json") as bar:
        # The cache (.cache/) spares re-reading tables that did not change since the last run; their problems are
        # kept with them, so the report is the same.
        # Validation answers for what CI will do: a published year not registered as it is now is refused.
        _, report = pipeline.validate(paths.data, progress=bar.update, cache_dir=paths.cache,
                                      unregistered=freeze.Unregistered.REFUSE)
    _print_report(report, args.format, paths.data)
    return 0 if report.ok else EXIT_DATA


def cmd_build(args) -> int:
    paths = args.paths
    try:
        report = pipeline.build(paths, strict=True, quiet=args.quiet)
    except pipeline.OutputError as exc:
        print(f"网站未构建：{exc}", file=sys.stderr)
        return EXIT_BUILD
    except DataError as exc:
        _print_report(exc.report, args.format, args.paths.data)
        print("数据有误，网站未更新：content/generated 与 site/ 保持上一次成功构建的内容。", file=sys.stderr)
        return EXIT_DATA
    except Exception as exc:  # MkDocs aborts (strict warnings) and I/O errors: not data mistakes
        reason = os_error_text(exc) if isinstance(exc, OSError) else exc
        print(f"网站构建失败，已保留上一次的成果：{reason}", file=sys.stderr)
        return EXIT_BUILD
    if args.format == "json":
        print(report.as_json())
    elif report.notices:
        print(seen_from_here(report, paths.data).as_text())
    if not args.quiet:
        # serve previews data/ into content/; a site built elsewhere is looked at as it is.
        how = (f"python -m http.server -d {shlex.quote(str(paths.site))} 8000" if paths.site_dir is not None
               else "python -m generator serve")
        print(f"网站已生成：{paths.site}/ 。预览：{how}，然后打开 http://127.0.0.1:8000/")
    return 0


def cmd_generate(args) -> int:
    paths = args.paths
    try:
        # (Pages generated here may be published with MkDocs alone: nothing registers the years on the way.)
        pipeline.generate(paths.data, paths.generated, paths.cache, freeze.Unregistered.REFUSE)
    except DataError as exc:
        _print_report(exc.report, args.format, args.paths.data)
        return EXIT_DATA
    print(f"页面已生成：{paths.generated}/")
    return 0


def cmd_freeze(args) -> int:
    from . import dataset

    paths = args.paths
    # Only data that would be published are registered: registered with a mistake in it, a year could be put
    # right only under another erratum. The register's own findings are freeze.freeze's to judge.
    ds, report = pipeline.validate(paths.data, cache_dir=paths.cache)
    if ds is None or any(not p.code.startswith("frozen-year") for p in report.errors):
        _print_report(report, "text", paths.data)
        print(f"数据有误，{args.year} 年度的校验值未登记：请先改正以上错误，再运行 python -m generator freeze {args.year}。",
              file=sys.stderr)
        return EXIT_DATA
    report = Report()
    if not freeze.freeze(ds, args.year, report):
        _print_report(report, "text", paths.data)
        return EXIT_DATA
    print(f"{args.year} 年度已冻结：校验值已写入 {paths.data / dataset.FROZEN_FILE}。请把它与数据一起提交。")
    return 0


def cmd_serve(args) -> int:
    from . import serve

    return serve.serve(args.paths, args.addr)


def cmd_synth(args) -> int:
    from . import synth

    files = synth.generate(args.size, args.out, seed=args.seed)
    print(f"示例数据已写入 {args.out}/（{len(files)} 个文件）。构建：python -m generator --data {args.out} --site <输出目录> build")
    return 0


def cmd_bench(args) -> int:
    from . import bench

    return bench.main(args.size, args.paths, keep=args.keep, seed=args.seed, runs=args.runs)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"“{text}”不是正整数，请写 1、2、3 这样的次数")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseParser(prog="python -m generator", description="预算绩效管理信息公开网站生成器")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="项目根目录（含 data/、content/、mkdocs.yml）")
    parser.add_argument("--data", type=Path, default=None, help="数据目录，默认为 <根目录>/data")
    parser.add_argument("--site", type=Path, default=None, help="网站输出目录，默认为 <根目录>/site")
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")

    p = command(sub, "validate", "只检查数据，列出全部问题")
    p.add_argument("--format", choices=["text", "json"], default="text", help="报告格式（json 供 CI 使用）")
    p.set_defaults(func=cmd_validate)

    p = command(sub, "build", "检查数据、生成页面并构建网站到 site/")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--quiet", action="store_true", help="只显示警告和错误")
    p.set_defaults(func=cmd_build)

    p = command(sub, "generate", "检查数据并只生成 Markdown 页面（content/generated/）")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=cmd_generate)

    p = command(sub, "freeze", "登记已发布年度的数据校验值；修改已发布年度须先新增更正说明")
    p.add_argument("year", type=int, metavar="年度", help="年度，例如 2023")
    p.set_defaults(func=cmd_freeze)

    p = command(sub, "serve", "本地预览，数据或页面修改后自动重建")
    p.add_argument("--addr", default="127.0.0.1:8000", help="监听地址，默认 127.0.0.1:8000")
    p.set_defaults(func=cmd_serve)

    p = command(sub, "synth", "生成示例县的合成数据（S/M/L 用于性能测试，example 为随附的多年度示例）")
    p.add_argument("size", choices=["S", "M", "L", "example"], metavar="规模", help="规模：S 1年100个项目，M 1年1000个，L 10年每年1000个；example 为随附的多年度示例")
    p.add_argument("out", type=Path, metavar="目录", help="输出的数据目录")
    p.add_argument("--seed", type=int, default=1, help="随机种子；相同种子生成完全相同的文件")
    p.set_defaults(func=cmd_synth)

    p = command(sub, "bench", "性能测试：生成合成数据、构建网站，并与 MkDocs 本身的下限比较")
    p.add_argument("size", nargs="+", choices=["XS", "S", "M", "L"], metavar="规模",
                   help="规模：S、M、L（XS 仅供测试）；给出几个（S M L）则逐个运行，再列出各项指标随规模的增长")
    p.add_argument("--keep", type=Path, default=None, help="保留数据与网站到此目录（默认用临时目录并删除）")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--runs", type=_positive, default=None, metavar="次数",
                   help="首次构建与下限各运行几次，取中位数（默认 3；1 最快，但单次用时可偏差四分之一）")
    p.set_defaults(func=cmd_bench)

    from .staff_cli import add_commands  # templates, import, export, new-year

    add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.root = args.root.resolve()
    args.paths = pipeline.Paths(args.root, args.data.resolve() if args.data else None,
                                args.site.resolve() if args.site else None)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # a folder without permission, a full disk …: said in Chinese, never a traceback
        print(f"无法完成：{os_error_text(exc)}。没有写入任何数据文件；请处理后重试。", file=sys.stderr)
        return EXIT_BUILD


_ERRNO_TEXT = {
    errno.EACCES: "没有读写权限", errno.EPERM: "没有操作权限", errno.EROFS: "所在磁盘只读", errno.ENOSPC: "磁盘空间已满",
    errno.ENOENT: "不存在", errno.EISDIR: "是一个文件夹，不是文件", errno.ENOTDIR: "不是文件夹",
    errno.EEXIST: "已经存在", errno.ENAMETOOLONG: "路径过长", errno.ELOOP: "链接指向自身（循环链接）",
    errno.EBUSY: "正被其他程序使用", errno.ENOTEMPTY: "文件夹不是空的",
}


def os_error_text(exc: OSError) -> str:
    """An operating-system error as staff can act on it: the path and the reason, in Chinese."""
    import shutil

    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list):
        first = exc.args[0][0] if exc.args[0] else None  # copytree: [(source, destination, reason), …]
        if first:
            return f"复制 {first[0]} 失败（{first[2]}；常见原因：失效的快捷方式/链接）"
    reason = _ERRNO_TEXT.get(exc.errno, exc.strerror or type(exc).__name__)
    where = exc.filename if exc.filename is not None else ""
    return f"{where} {reason}".strip()
