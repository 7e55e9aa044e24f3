"""wenshu ocr: the text of scans filed before the OCR tools were installed (文字识别, archive.ocr)."""

from __future__ import annotations

import sys

import click

from archive.errors import WenshuError
from wenshu.commands.common import archive_option, open_archive


@click.command()
@click.argument("keys", nargs=-1, metavar="[档号…]")
@archive_option
def ocr(keys, archive_dir):
    """识别扫描件中的文字（OCR）：为尚无文字版的扫描件生成文字版 PDF，补充著录项，并更新全文索引。

    不给档号时，处理所有待识别的扫描件（wenshu check 中列出的）。"""
    from archive.ocr import complete, pending_records, tools_missing
    from wenshu.indexing import index_filed

    a = open_archive(archive_dir)
    missing = tools_missing()
    if missing:
        raise WenshuError(missing)
    keys = list(keys) or [str(r.archival_code) for _, r, _ in pending_records(a)]
    if not keys:
        click.echo("没有待识别文字的扫描件。")
        return
    done, failed, paths = 0, 0, []
    for key in keys:
        click.echo(f"正在识别 {key} …（每页可能需要一两分钟）")
        try:
            r, files = complete(a, key)
        except WenshuError as e:
            failed += 1
            click.echo(f"错误：{e}", err=True)
            continue
        done += 1
        paths += files
        click.echo(f"已识别：{r.archival_code}　{r.title}" + (f"　{r.doc_number}" if r.doc_number else ""))
    if paths:
        click.echo(index_filed(a, paths))
    if failed:
        click.echo(f"{failed} 件未能识别（见上面的原因），已识别 {done} 件。", err=True)
        sys.exit(1)
