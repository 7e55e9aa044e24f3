"""wenshu revise / restore / final / versions / withdraw / attach: a record's life after filing
(DESIGN §12). Each is a few lines over archive.versions or archive.lifecycle."""

from __future__ import annotations

from pathlib import Path

import click

from wenshu.commands.common import archive_option, echo_json, json_option, open_archive

_by = click.option("--by", "actor", default="", help="操作人（记入历史）。")


def _echo(lines) -> None:
    for line in lines:
        if line:
            click.echo(line)


@click.command()
@click.argument("key")
@click.argument("names", nargs=-1, required=True)
@_by
@archive_option
def revise(key, names, actor, archive_dir):
    """把档案中被改动的文件记为新版本（上一版保留在档案库中）。"""
    from archive.versions import revise as run

    msgs, notes = run(open_archive(archive_dir), key, list(names), actor=actor)
    _echo(msgs + notes)


@click.command()
@click.argument("key")
@click.argument("name")
@click.option("--version", "version", type=int, help="恢复到第几版（默认：登记的当前版本）。")
@_by
@archive_option
def restore(key, name, version, actor, archive_dir):
    """把档案中的文件恢复为登记的版本（或 --version 指定的旧版本）。"""
    from archive.versions import restore as run

    msg, notes = run(open_archive(archive_dir), key, name, version, actor=actor)
    _echo([msg, *notes])


@click.command()
@click.argument("key")
@_by
@archive_option
def final(key, actor, archive_dir):
    """标记正本已印发定稿：此后文件的改动不再记为新版本，而是恢复定稿版本。"""
    from archive.versions import mark_final

    r = mark_final(open_archive(archive_dir), key, actor=actor)
    click.echo(f"已定稿：{r.archival_code}　{r.title}（此后对其文件的改动会被拒绝并恢复，改动另存于档案库）")


@click.command()
@click.argument("key")
@json_option
@archive_option
def versions(key, as_json, archive_dir):
    """列出一件档案每个文件的各个版本。"""
    from archive.filing import find_record
    from archive.versions import versions_of

    _, r = find_record(open_archive(archive_dir), key)
    if as_json:
        echo_json({f.name: versions_of(f) for f in r.files})
        return
    click.echo(f"{r.archival_code}　{r.title}" + ("（印发定稿）" if r.final else ""))
    for f in r.files:
        click.echo(f"{f.name}：")
        for v in versions_of(f):
            click.echo(f"  第 {v['版本']} 版　{v['时间'] or '—'}　{v['大小']:,} 字节　sha256 {v['sha256'][:12]}…"
                       f"　{v['来源']}{'（' + v['操作人'] + '）' if v.get('操作人') else ''}")


@click.command()
@click.argument("key")
@click.option("--reason", required=True, help="撤销原因（同时作为文号作废的原因），如“重复生成”。")
@_by
@archive_option
def withdraw(key, reason, actor, archive_dir):
    """撤销一件档案（按档号或文号）：档案保留并注明原因，文号随之作废，默认不再被检索和导出。"""
    from archive.lifecycle import withdraw as run

    r, ledger, notes = run(open_archive(archive_dir), key, reason, actor=actor)
    click.echo(f"已撤销：{r.archival_code}　{r.title}（{reason}）")
    _echo([ledger, *notes])


@click.command()
@click.argument("key")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--role", default="附件", show_default=True,
              help="文件的角色：附件、签字扫描件、定稿、正本、原件、文字版、其他。")
@_by
@archive_option
def attach(key, paths, role, actor, archive_dir):
    """把文件附加到一件已归档的档案（计算 sha256，记入历史，编入全文索引）。"""
    from archive.lifecycle import attach as run

    r, added, notes = run(open_archive(archive_dir), key, list(paths), role=role, actor=actor)
    for f in added:
        click.echo(f"已附加：{r.archival_code}　{f.name}（{role}，{f.size:,} 字节，sha256 {f.sha256[:12]}…）")
    _echo(notes)
