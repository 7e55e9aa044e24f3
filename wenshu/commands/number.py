"""wenshu number …: the 发文字号 ledger (DESIGN §4)."""

from __future__ import annotations

import click

from archive.docnumber import DocNumber
from archive.registry import STATUS_LABELS
from wenshu.commands.common import archive_option, echo_json, json_option, open_archive, print_table, year_of

_year = click.option("--year", type=int, help="年度（默认：--date 的年份，或今年）。")
_date = click.option("--date", "when", help="成文日期，如 2022-03-25；文号的年份取自它。")


@click.group()
def number():
    """发文字号：预览、发号、预留、作废、线下占用、台账和空号。"""


@number.command("next")
@click.argument("prefix")
@_year
@_date
@archive_option
def next_(prefix, year, when, archive_dir):
    """预览下一个文号（不占用）。"""
    a = open_archive(archive_dir)
    click.echo(str(a.registry.peek(a.prefix(prefix), year_of(year, when))))


@number.command()
@click.argument("prefix")
@click.option("--title", required=True, help="文件题名（这个号用于什么）。")
@click.option("--reserved", "reserved", help="使用一个已预留的文号，如 高教字〔2022〕9号。")
@_year
@_date
@archive_option
def issue(prefix, title, reserved, year, when, archive_dir):
    """为系统外制作的文件发一个文号。"""
    a = open_archive(archive_dir)
    p = a.prefix(prefix)
    if reserved:
        n = a.registry.issue_reserved(DocNumber.parse(reserved), title)
    else:
        n = a.registry.issue(p, year_of(year, when), title)
    click.echo(f"已发号：{n}　{title}")


@number.command()
@click.argument("prefix")
@click.option("--count", type=int, default=1, show_default=True, help="预留几个号。")
@click.option("--reason", required=True, help="预留原因。")
@click.option("--holder", default="", help="为谁预留。")
@_year
@_date
@archive_option
def reserve(prefix, count, reason, holder, year, when, archive_dir):
    """预留文号（之后可用 number issue --reserved 使用）。"""
    a = open_archive(archive_dir)
    nums = a.registry.reserve(a.prefix(prefix), year_of(year, when), count, reason, holder)
    click.echo("已预留：" + "、".join(map(str, nums)))


@number.command()
@click.argument("docnumber")
@click.option("--reason", required=True, help="作废原因。")
@archive_option
def void(docnumber, reason, archive_dir):
    """作废一个文号（作废的号永不再用）。"""
    a = open_archive(archive_dir)
    n = DocNumber.parse(docnumber)
    from archive.lifecycle import void_number

    void_number(a, n, reason)  # a number a record holds: withdraw the record instead
    click.echo(f"已作废：{n}（{reason}）")


@number.command()
@click.argument("docnumber")
@click.option("--reason", required=True, help="说明，如“纸质发文，未经系统”。")
@click.option("--title", default="", help="线下文件的题名。")
@archive_option
def offline(docnumber, reason, title, archive_dir):
    """登记一个在系统外（纸质）已使用的文号。"""
    a = open_archive(archive_dir)
    n = DocNumber.parse(docnumber)
    a.registry.offline(a.prefix(n.prefix), n, reason, title)
    click.echo(f"已登记线下占用：{n}")


@number.command("list")
@click.option("--prefix", help="只看这个机关代字。")
@click.option("--year", type=int, help="只看这一年。")
@json_option
@archive_option
def list_(prefix, year, as_json, archive_dir):
    """文号台账。"""
    a = open_archive(archive_dir)
    entries = a.registry.entries(prefix=prefix, year=year)
    if as_json:
        echo_json([e.as_dict() for e in entries])
        return
    if not entries:
        click.echo("台账中没有文号。")
        return
    print_table(["文号", "状态", "题名", "原因", "预留给", "档号", "登记时间"],
                [[e.label, STATUS_LABELS[e.status], e.title, e.reason, e.holder, e.record, e.created]
                 for e in entries])


@number.command()
@click.option("--year", type=int, help="只看这一年。")
@json_option
@archive_option
def gaps(year, as_json, archive_dir):
    """列出每个空号及其说明（未说明的空号需要查明）。"""
    a = open_archive(archive_dir)
    holes = a.registry.gaps(year=year)
    if as_json:
        echo_json([g.__dict__ for g in holes])
        return
    if not holes:
        click.echo("没有空号：每个流水号都已用于发文。")
        return
    print_table(["文号", "说明"], [[g.label, g.explanation] for g in holes])
