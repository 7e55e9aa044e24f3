"""wenshu file / show / list / edit / case / check: the records archive (DESIGN §3, §6)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from archive.errors import WenshuError
from wenshu.commands.common import archive_option, echo_json, json_option, open_archive, parse_date, print_table

_set = click.option("--set", "assignments", multiple=True, metavar="字段=值",
                    help="指定或更正著录项，可多次使用：题名、文号、责任者、日期、文种、密级、主送、抄送、案件、关键词、时限、关联、保管期限、机构。")


@click.command("file")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=Path))
@click.option("--retention", help="保管期限：Y（永久）、D30、D10（默认取 wenshu.toml）。")
@click.option("--org", default="", help="机构（问题）代码，如 BGS。")
@click.option("--case", "case_id", default="", help="归入的案件编号。")
@click.option("--one", is_flag=True, help="所有文件作为一件归档（第一个为原件，其余为附件）。")
@click.option("--move", is_flag=True, help="归档成功后删除原文件（默认复制）。")
@_set
@json_option
@archive_option
def file_(paths, retention, org, case_id, one, move, assignments, as_json, archive_dir):
    """归档收到的或以前的文件（著录项从文件中自动读取）。"""
    from archive.fields import parse_assignments
    from archive.receive import receive

    a = open_archive(archive_dir)
    sets = parse_assignments(assignments)
    groups = [list(paths)] if one else [[p] for p in paths]
    if len(groups) > 1 and any(k in sets for k in ("文号", "题名")):
        raise WenshuError("一次归档多份文件时不能用 --set 指定文号或题名（它们每份不同）；请逐个归档，或加 --one 作为一件归档。")
    filed, failed = [], 0
    for group in groups:
        try:
            r = receive(a, group, sets, retention=retention, org=org, case=case_id, move=move)
        except WenshuError as e:
            failed += 1
            click.echo(f"错误：{e}", err=True)
            continue
        filed.append(r)
        if not as_json:
            click.echo(f"已归档：{r.archival_code}　{r.title}" + (f"　{r.doc_number}" if r.doc_number else "")
                       + (f"（{'，'.join(x for x in (r.author, r.date.isoformat() if r.date else '') if x)}）"
                          if r.author or r.date else ""))
            from archive.ocr import pending_message

            if waiting := pending_message(a, r):
                click.echo(f"　　{waiting}")
            missing = [label for label, v in (("文号", r.doc_number), ("责任者", r.author), ("日期", r.date)) if not v]
            if missing:
                click.echo(f"　　未能从文件中读出{'、'.join(missing)}；如需补充：wenshu edit {r.archival_code} "
                           f"--set {missing[0]}=…")
    if filed:
        from wenshu.indexing import index_filed

        note = index_filed(a, [a.root / r.relative_folder() / f.name for r in filed for f in r.files])
        if not as_json:
            click.echo(note)
    if as_json:
        echo_json([r.to_json() for r in filed])
    if failed:
        click.echo(f"{failed} 份文件未归档（见上面的原因），已归档 {len(filed)} 份。", err=True)
        sys.exit(1)


@click.command()
@click.argument("key")
@json_option
@archive_option
def show(key, as_json, archive_dir):
    """查看一件档案（按档号或文号，文号写法不限）。"""
    a = open_archive(archive_dir)
    folder, r = _lookup(a, key)
    if as_json:
        data = r.to_json()
        data["路径"] = str(folder)
        echo_json(data)
        return
    click.echo(summary(r, folder))


def _lookup(archive, key):
    """The record with this 档号 or 文号, the 文号 in any spelling the search takes (one parser:
    DocNumber.parse_any) — also a 令号 (国务院令第195号) or a 文号 without its year (高教字8号)."""
    from archive.docnumber import matches
    from archive.filing import find_record, iter_records

    try:
        return find_record(archive, key)
    except WenshuError as missing:
        found = [(f, r) for f, r in iter_records(archive) if matches(key, r.doc_number)]
        if len(found) == 1:
            return found[0]
        if not found:
            raise missing from None
        codes = "、".join(f"{r.archival_code}（{r.doc_number}）" for _, r in found)
        raise WenshuError(f"“{key}”对应多份文件：{codes}，请改用档号或带年份的文号指定。") from None


def summary(r, folder: Path) -> str:
    def j(v):
        return "、".join(v) if v else ""

    rows = [("档号", str(r.archival_code)), ("文号", str(r.doc_number or "")), ("题名", r.title),
            ("责任者", r.author), ("日期", r.date.isoformat() if r.date else ""), ("文种", r.doc_type),
            ("密级", r.classification or "（无）"), ("保管期限", r.retention.label), ("页数", str(r.pages or "")),
            ("主送", j(r.recipients)), ("抄送", j(r.cc)), ("关键词", j(r.keywords)), ("案件", r.case),
            ("时限", r.deadline.isoformat() if r.deadline else ""), ("来源", r.origin),
            ("原档号", r.original_code),
            ("关联", "；".join(" ".join(f"{k}:{v}" for k, v in rel.items()) for rel in r.relations)),
            ("状态", (f"已撤销（{r.withdrawal.get('原因', '')}，{r.withdrawal.get('时间', '')}）" if r.withdrawn else "")
             + ("印发定稿" if r.final else "")),
            ("位置", str(folder))]
    lines = [f"{k}：{v}" for k, v in rows if v]
    lines.append("文件：")
    lines += [f"  {f.name}（{f.role or '—'}，{f.size:,} 字节，sha256 {f.sha256[:12]}…"
              + (f"，第 {f.versions[-1]['版本']} 版" if len(f.versions) > 1 else "") + "）" for f in r.files]
    lines.append("历史：")
    lines += [f"  {h.at} {h.action}{'（' + h.actor + '）' if h.actor else ''}：{h.detail}" for h in r.history]
    return "\n".join(lines)


@click.command("list")
@click.argument("query", nargs=-1)
@click.option("--year", type=int, help="年度（同 年度:2022）。")
@click.option("--type", "doc_type", help="文种，如 通知、函、报告。")
@click.option("--retention", help="保管期限：Y、D30、D10。")
@click.option("--case", "case_id", help="案件编号。")
@click.option("--origin", type=click.Choice(["发文", "收文", "移交接收"]), help="来源。")
@json_option
@archive_option
def list_(query, year, doc_type, retention, case_id, origin, as_json, archive_dir):
    """列出档案（按档号排序）。QUERY 是与 wenshu search 相同的检索式，如 年度:2022 文种:通知 案件:督2022-003。"""
    from archive.archival_code import Retention
    from archive.filing import iter_records

    a = open_archive(archive_dir)
    ret = Retention.parse(retention) if retention else None
    codes = None
    if query:  # the search language, answered by the index (the same engine as wenshu search)
        from wenshu.indexing import query_codes

        codes = query_codes(a, " ".join(query))
    rows = sorted((r for _, r in iter_records(a)
                   if (codes is None or str(r.archival_code) in codes)
                   and (not year or r.year == year) and (not doc_type or r.doc_type == doc_type)
                   and (not ret or r.retention == ret) and (not case_id or r.case == case_id)
                   and (not origin or r.origin == origin)), key=lambda r: str(r.archival_code))
    if as_json:
        echo_json([r.to_json() for r in rows])
        return
    if not rows:
        click.echo("没有符合条件的档案。")
        return
    received = any(r.original_code for r in rows)  # the 原档号 column only where some record has one
    print_table(["档号", "文号", "题名", "责任者", "日期", "文种", "案件", *(["原档号"] if received else [])],
                [[str(r.archival_code), str(r.doc_number or ""), r.title + ("（已撤销）" if r.withdrawn else ""), r.author,
                  r.date.strftime("%Y%m%d") if r.date else "", r.doc_type, r.case,
                  *([r.original_code] if received else [])] for r in rows],
                title=f"共 {len(rows)} 件")


@click.command()
@click.argument("key")
@_set
@click.option("--confirm", "confirm", multiple=True, metavar="字段",
              help="确认待核对的著录项无误（如 --confirm 文号），wenshu check 不再列出；可重复。")
@click.option("--by", "actor", default="", help="修改人（记入历史）。")
@archive_option
def edit(key, assignments, confirm, actor, archive_dir):
    """更正一件档案的著录项（修改记入历史，文号、档号的变更同步到编号登记簿）。"""
    from archive.editing import edit_record
    from archive.fields import parse_assignments

    a = open_archive(archive_dir)
    r = edit_record(a, key, parse_assignments(assignments), actor=actor, confirm=tuple(confirm))
    click.echo(f"已修改：{r.archival_code}　{r.history[-1].detail}")


@click.group()
def case():
    """案件：同一事项（如对某校、某培训机构的督办）的全部文件。"""


_as_of = click.option("--as-of", "as_of", help="按这一天判断是否逾期（默认今天），如 2022-06-30。")


@case.command("list")
@_as_of
@json_option
@archive_option
def case_list(as_of, as_json, archive_dir):
    """列出所有案件。"""
    from archive.cases import cases

    a = open_archive(archive_dir)
    today = parse_date(as_of, "--as-of")
    items = cases(a)
    if as_json:
        echo_json([c.as_dict(today) for c in items])
        return
    if not items:
        click.echo("还没有案件（归档时用 --case 编号 或 --set 案件=编号 归入案件）。")
        return
    print_table(["案件", "件数", "起始", "最近", "逾期"],
                [[c.id, len(c.records), c.first or "", c.last or "", "是" if c.overdue(today) else ""] for c in items])


@case.command("show")
@click.argument("case_id")
@_as_of
@json_option
@archive_option
def case_show(case_id, as_of, as_json, archive_dir):
    """按日期顺序列出一个案件的文件：谁向谁发了什么。"""
    from archive.cases import get_case

    a = open_archive(archive_dir)
    c = get_case(a, case_id)
    today = parse_date(as_of, "--as-of")
    if as_json:
        echo_json(c.as_dict(today))
        return
    print_table(["日期", "文种", "文号", "题名", "发文", "主送", "时限", "档号"],
                [[r.date or "", r.doc_type, str(r.doc_number or ""), r.title, r.author, "、".join(r.recipients),
                  r.deadline or "", str(r.archival_code)] for r in c.records], title=f"案件 {c.id}")
    for o in c.overdue(today):
        click.echo(f"逾期：{o.record.title}（{o.record.doc_number or o.record.archival_code}）时限 {o.deadline}，"
                   f"已超过 {o.days} 天，尚未收到报告。")


@case.command("overdue")
@_as_of
@json_option
@archive_option
def case_overdue(as_of, as_json, archive_dir):
    """列出整改时限已过、其后没有收到报告的案件。"""
    from archive.cases import overdue_cases

    a = open_archive(archive_dir)
    today = parse_date(as_of, "--as-of")
    late = overdue_cases(a, today)
    if as_json:
        echo_json([c.as_dict(today) for c, _ in late])
        return
    if not late:
        click.echo("没有逾期的案件。")
        return
    print_table(["案件", "文件", "文号", "时限", "逾期天数", "主送"],
                [[c.id, o.record.title, str(o.record.doc_number or ""), o.deadline, o.days,
                  "、".join(o.record.recipients)] for c, items in late for o in items],
                title=f"逾期案件 {len(late)} 个")


@click.command()
@click.option("--quick", is_flag=True, help="不逐个读取文件内容（只核对 sha256 和登记簿）。")
@click.option("--fix", is_flag=True, help="先修复中断的归档：删除其临时文件夹，作废其件号并注明原因。")
@json_option
@archive_option
def check(quick, fix, as_json, archive_dir):
    """核对编号登记簿、档案和文件：缺失、改动、重复、空号、无法读取。有问题时退出码非零。"""
    from archive.checking import check as run_check
    from archive.checking import repair

    from indexer.checking import check_index

    a = open_archive(archive_dir)
    if fix:
        for line in repair(a) or ["没有需要修复的中断归档。"]:
            click.echo(line, err=as_json)
    from archive.ocr import check_pending, check_review
    from archive.versions import check_versions

    report = run_check(a, read_documents=not quick, extra_checks=[check_index, check_versions, check_pending, check_review])
    if as_json:
        echo_json(report.as_dict())
    else:
        click.echo(report.text())
    if not report.ok:
        sys.exit(1)
