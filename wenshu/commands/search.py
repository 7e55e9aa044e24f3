"""``wenshu search`` and ``wenshu index rebuild|status|optimize`` — thin shells over ``indexer``.

Imports of whoosh and rjieba happen inside the commands, so ``wenshu --help`` stays instant
and ``wenshu search`` pays only for what a search needs.
"""

from __future__ import annotations

import re
import sys

import click

from wenshu.commands.common import archive_option, echo_json, json_option, open_archive, parse_date


def _index(archive):
    from indexer.index import ArchiveIndex

    return ArchiveIndex(archive, notify=lambda m: click.echo(f"提示：{m}", err=True))


@click.command("search", context_settings={"ignore_unknown_options": True})  # 课后服务 -幼儿园
@click.argument("query", nargs=-1, required=True)
@click.option("--type", "doctype", help="文种，如 通知、函、意见。")
@click.option("--year", type=int, help="年度，如 2022。")
@click.option("--from", "date_from", help="成文日期不早于，如 2022-03-01。")
@click.option("--to", "date_to", help="成文日期不晚于，如 2022-06-30。")
@click.option("--org", "author", help="发文机关（责任者），须完全一致。")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True,
              help="按相关度或日期（新的在前）排序。")
@click.option("--limit", type=click.IntRange(1, 500), default=10, show_default=True, help="每页条数。")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True, help="页码。")
@click.option("--facets/--no-facets", default=None,
              help="统计（或不统计）年度/文种/机关分布；默认在结果不太多时统计。")
@archive_option
@json_option
def search(query, doctype, year, date_from, date_to, author, sort, limit, page, facets, archive_dir, as_json):
    """全文检索：词、"短语"、AND/OR/NOT，以及 文号: 题名: 机关: 类型: 年度: 日期:起..止 保管期限: 密级: 案件: 等条件。

    例：wenshu search 课后服务 年度:2022 NOT 幼儿园
    """
    from indexer.search import search as run

    text = " ".join(query)
    res = run(_index(open_archive(archive_dir)), text, doctype=doctype, year=year,
              date_from=parse_date(date_from, "--from"), date_to=parse_date(date_to, "--to"),
              author=author, sort=sort, page=page, limit=limit,
              facets="auto" if facets is None else facets)
    if as_json:
        echo_json(res.to_json())
        return
    _print(res)


def _print(res) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(file=sys.stdout, highlight=False, width=None if sys.stdout.isatty() else 160)
    if not res.total:
        console.print(f"没有找到与“{escape(res.query)}”匹配的文件。")
        return
    about = "" if res.total_exact else "约 "
    console.print(f"找到 {about}{res.total} 件（第 {res.page}/{res.pages} 页）：")
    for h in res.hits:
        head = " ".join(x for x in (h.docnum, escape(h.title), h.date, h.code) if x)
        console.print(f"\n[bold]{h.rank}. {head}[/bold]")
        if h.snippet:
            console.print("   " + _marked(h.snippet, console.is_terminal))
        console.print(f"   [dim]{escape(h.path)}[/dim]")
    if res.facets:
        line = "；".join(f"{label}：" + "、".join(f"{escape(k)} {v}" for k, v in list(counts.items())[:8])
                        for label, counts in res.facets.items() if counts and label in LINE_FACETS)
        console.print(f"\n[dim]{line}[/dim]")


LINE_FACETS = ("年度", "文种", "机关")  # the one-line summary (README tour); --json and the web show every facet


def _marked(snippet: str, terminal: bool) -> str:
    """Matches in bold red on a terminal; in a pipe or a log, between 「 」 so they still show."""
    from rich.markup import escape

    parts = re.split(r"(<b>.*?</b>)", snippet)
    mark = "[bold red]{}[/bold red]" if terminal else "「{}」"
    return "".join(mark.format(escape(p[3:-4])) if p.startswith("<b>") else escape(p) for p in parts)


@click.group("index")
def index():
    """全文索引的维护：重建、状态、优化、迁入数据库服务器。"""


@index.command("rebuild")
@archive_option
@json_option
def rebuild(archive_dir, as_json):
    """从档案记录重建全文索引（显示进度）。"""
    ai = _index(open_archive(archive_dir))

    def progress(done, total):
        if not as_json:
            click.echo(f"\r已索引 {done}/{total} 个文件", nl=done == total, err=True)

    summary = ai.rebuild(progress)
    if as_json:
        echo_json(summary)
        return
    click.echo(f"索引重建完成：{summary['files']} 个文件。")
    for path, reason in summary["failed"]:
        click.echo(f"  无法读取正文：{path}：{reason}")
    for folder, reason in summary["broken_records"]:
        click.echo(f"  record.json 有误：{folder}：{reason}")


@index.command("migrate")
@archive_option
@json_option
def migrate(archive_dir, as_json):
    """把全文索引从本机（whoosh）迁入数据库服务器（[server] database），核对后改用它。"""
    from indexer.pg_engine.index import migrate as run

    def progress(done, total):
        if not as_json:
            click.echo(f"\r已索引 {done}/{total} 个文件", nl=done == total, err=True)

    res = run(open_archive(archive_dir), progress)
    if as_json:
        echo_json(res)
        return
    click.echo(f"索引已迁入 {res['database']}（表 {res['table']}）：{res['files']} 个文件"
               f"（原 whoosh 索引 {res['whoosh_files']} 个，均已核对）。wenshu.toml 已改为 [search] engine = \"postgres\"。")
    for path, reason in res["failed"]:
        click.echo(f"  无法读取正文：{path}：{reason}")


@index.command("status")
@archive_option
@json_option
def status(archive_dir, as_json):
    """索引中的文件数、大小、结构版本与最后更新时间。"""
    st = _index(open_archive(archive_dir)).status()
    if as_json:
        echo_json(st)
        return
    click.echo(f"文件数：{st['documents']}\n索引大小：{st['size_bytes'] / 1048576:.1f} MB（{st['segments']} 个段）\n"
               f"结构版本：{st['schema_version']}\n建立时间：{st['built']}\n最后更新：{st['updated']}\n"
               f"位置：{st['path']}")


@index.command("optimize")
@archive_option
def optimize(archive_dir):
    """把索引的各个段合并为一个，索引变小（10 万件约需 5 分钟；检索不依赖它）。"""
    st = _index(open_archive(archive_dir)).optimize()
    click.echo(f"索引已优化：{st['documents']} 个文件，{st['size_bytes'] / 1048576:.1f} MB，{st['segments']} 个段。")
