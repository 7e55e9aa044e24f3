"""wenshu pledge: 承诺书全覆盖 — the teacher roster, a pledge with a code per teacher, the signed
scans matched back, coverage per school. Each command is a few lines over ``campaign.pledges``,
``campaign.scan`` and ``wenshu.pledging`` (which joins them to the generator); the library refuses bad input with the message and changes nothing."""

from __future__ import annotations

from pathlib import Path

import click

from wenshu.commands.campaign import _campaign, _open
from wenshu.commands.common import archive_option, echo_json, json_option, print_table

_file = click.Path(exists=True, path_type=Path)


@click.group()
def pledge():
    """承诺书全覆盖：教师名册、生成（带二维码）、扫描回收、覆盖率。"""


@pledge.command("roster")
@_campaign
@click.option("--import", "source", type=_file, help="从 .xlsx 或 .csv 导入教师名册（姓名、学校、学科、工号）。")
@json_option
@archive_option
def pledge_roster(campaign_name, source, as_json, archive_dir):
    """导入或列出专项行动的教师名册。"""
    from campaign.pledges import teachers
    from wenshu.pledging import import_roster_file

    store, c = _open(archive_dir, campaign_name)
    if source:
        r = import_roster_file(store, c, source)
        click.echo(f"已从 {source.name} 导入教师 {r['导入人数']} 人：" + "，".join(f"{s} {n} 人" for s, n in r["按学校"].items()) + "。")
        return
    rows = teachers(store, c)
    if as_json:
        echo_json(rows)
    else:
        print_table(["学校", "姓名", "学科", "工号"], [list(t.values()) for t in rows], title=f"{c.name} 教师名册")


@pledge.command("issue")
@_campaign
@click.option("--date", "when", help="承诺书落款日期（默认今天）。")
@click.option("--school", help="只生成这一所学校的。")
@click.option("--clause", "clauses", multiple=True, help="承诺条款，可多次使用（默认“双减”五条）。")
@click.option("--no-pdf", is_flag=True, help="不生成 PDF（默认生成，并按学校合并供打印）。")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              help="按学校合并的打印 PDF 放在这里（默认当前目录）。")
@click.option("--workers", type=int, help="并行进程数（默认 2）。")
@archive_option
def pledge_issue(campaign_name, when, school, clauses, no_pdf, out_dir, workers, archive_dir):
    """为名册中尚无承诺书的每位教师生成一份（印二维码和编号）并归档。"""
    from wenshu.indexing import index_filed
    from wenshu.pledging import issue_pledges

    store, c = _open(archive_dir, campaign_name)
    r = issue_pledges(store, c, when=when, pdf=not no_pdf, clauses=list(clauses) or None, school=school, workers=workers,
              combine_dir=out_dir, on_filed=index_filed)
    click.echo(f"已生成承诺书 {len(r.produced)} 份（{r.seconds:.1f} 秒）。")
    for p in r.combined:
        click.echo(f"打印：{p}")
    for note in filter(None, (r.pdf_note, r.index_note)):
        click.echo(note)


@pledge.command("scan")
@_campaign
@click.argument("source", type=_file)
@click.option("--school", default="", help="这批扫描件来自哪所学校（无法识别的页记在它名下）。")
@click.option("--by", "actor", default="", help="操作人。")
@json_option
@archive_option
def pledge_scan(campaign_name, source, school, actor, as_json, archive_dir):
    """回收签字扫描件：多页 PDF、多页 TIFF 或一个图像文件夹，逐页识别二维码并附到承诺书。"""
    from campaign.scan import scan

    store, c = _open(archive_dir, campaign_name)
    r = scan(store, c, source, school=school, actor=actor)
    if as_json:
        echo_json(r.as_dict())
        return
    click.echo(f"共 {r.pages} 页：已匹配 {len(r.matched)}，重复 {len(r.duplicates)}（不重复计数），无法识别 {len(r.unmatched)}。")
    for d in r.duplicates:
        click.echo(f"重复：{d['来源']} 第 {d['页']} 页 = {d['编号']} {d['学校']} {d['姓名']}（已有签字扫描件）")
    for u in r.unmatched:
        click.echo(f"无法识别：{u['来源']} 第 {u['页']} 页，{u['原因']}；缩略图 {u['缩略图']}")
    if r.index_note:
        click.echo(r.index_note)


@pledge.command("coverage")
@_campaign
@json_option
@archive_option
def pledge_coverage(campaign_name, as_json, archive_dir):
    """承诺书签订情况：每校已签、未签、无法识别的页，全覆盖率，未签教师名单。"""
    from campaign.pledges import coverage

    store, c = _open(archive_dir, campaign_name)
    cov = coverage(store, c)
    if as_json:
        echo_json(cov)
        return
    print_table(["学校", "教师", "已签", "未签", "无法识别页", "覆盖率"],
                [[s["学校"], s["教师"], s["已签"], s["未签"], s["无法识别页"], f"{s['覆盖率']}%"] for s in cov["学校"]],
                title=f"{c.name} 承诺书签订情况")
    click.echo(f"合计：教师 {cov['教师']} 人，已签 {cov['已签']}，未签 {cov['未签']}，覆盖率 {cov['覆盖率']}%"
               + ("，已全覆盖。" if cov["全覆盖"] else "。"))
    for s in cov["学校"]:
        if s["未签名单"]:
            click.echo(f"{s['学校']} 未签：{'、'.join(s['未签名单'])}")
