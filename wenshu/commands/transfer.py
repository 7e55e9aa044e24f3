"""``wenshu export`` / ``wenshu verify`` / ``wenshu import``: the transfer package (移交数据包)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from archive.errors import WenshuError
from wenshu.commands.common import archive_option, echo_json, json_option, open_archive
from wenshu.indexing import index_filed, query_codes


def _progress(stage: str, done: int, total: int) -> None:
    click.echo(f"{stage}：{done}/{total}" if total > 1 else f"{stage}…", err=True)


@click.command("export")
@archive_option
@click.option("--year", type=int, help="年度，如 2022。")
@click.option("--retention", help="保管期限：Y / D30 / D10（或 永久 / 定期30年 / 定期10年）。")
@click.option("--org", help="机构（问题）代码，如 BGS。")
@click.option("--case", "case", help="案件编号：只导出该案件的文件。")
@click.option("--query", help="全文检索条件（需要检索模块）。")
@click.option("--include-classified", is_flag=True, help="包括有密级的文件（默认不导出）。")
@click.option("--digest", type=click.Choice(["sha256", "sm3"]), default="sha256", show_default=True,
              help="摘要算法：sha256，或 sm3（另加 SM3 清单）。")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="数据包文件名（.zip）。")
@json_option
def export(archive_dir, year, retention, org, case, query, include_classified, digest, output, as_json):
    """导出移交数据包（BagIt，zip）：文件目录、归档文件目录、电子文件及元数据。"""
    from archive.transfer.export import Selection, export_package

    archive = open_archive(archive_dir)
    sel = Selection(year=year, retention=retention, org=org, case=case, query=query,
                    include_classified=include_classified)
    result = export_package(archive, Path(output), sel, digest=digest, progress=None if as_json else _progress,
                            query_codes=query_codes)
    if as_json:
        echo_json(result.as_dict())
        return
    click.echo(f"已导出 {result.records} 件（{result.files} 个电子文件，{result.payload_bytes} 字节）到 {result.path}")
    click.echo(f"选择条件：{sel.describe()}；摘要算法：{'、'.join(result.as_dict()['摘要算法'])}")
    if result.skipped_classified:
        click.echo(f"有 {result.skipped_classified} 件密级文件未导出（如需导出，加 --include-classified）。")
    if result.other_formats:
        click.echo(f"注意：{len(result.other_formats)} 个文件不是 docx、pdf、ofd、txt 格式（如 "
                   f"{result.other_formats[0]}），接收方的格式检测将不通过；请先转换为 PDF 或 OFD。")
    if result.incomplete:
        click.echo(f"注意：{len(result.incomplete)} 件缺少必填著录项目（如 {result.incomplete[0]}），"
                   "接收方的必填项检测将不通过；请先用 wenshu edit 补全。")
    if result.unexplained_gaps:
        click.echo(f"注意：{len(result.unexplained_gaps)} 个件号在档案库中既无记录也未登记作废："
                   f"{'、'.join(result.unexplained_gaps[:5])}；接收方的件号连续性检测将不通过。")


@click.command("verify")
@click.argument("package", type=click.Path())
@click.option("--report", "report_file", type=click.Path(dir_okay=False), help="把检测报告另存为文件。")
@json_option
def verify(package, report_file, as_json):
    """对移交数据包做四性检测（DA/T 70）：真实性、完整性、可用性、安全性。"""
    from archive.transfer.verify import verify_package

    report = verify_package(Path(package))
    text = json.dumps(report.as_dict(), ensure_ascii=False, indent=2) + "\n" if as_json else report.text()
    click.echo(text, nl=False)
    if report_file:
        try:
            Path(report_file).write_text(text, encoding="utf-8")
        except OSError as e:
            raise WenshuError(f"无法写入检测报告 {report_file}：{e}") from None
    if not report.ok:
        raise SystemExit(1)


@click.command("import")
@archive_option
@click.argument("package", type=click.Path())
@json_option
def import_(archive_dir, package, as_json):
    """接收移交数据包：先做四性检测，再把每件归入本档案库（保留原全宗号、原档号，不覆盖）。"""
    from archive.transfer.importer import import_package

    archive = open_archive(archive_dir)
    result = import_package(archive, Path(package), progress=None if as_json else _progress, on_filed=index_filed)
    if as_json:
        echo_json(result.as_dict())
        return
    click.echo(f"数据包 {Path(package).name}（来源全宗 {result.sender_fonds}）通过四性检测。")
    click.echo(f"已导入 {len(result.imported)} 件，已存在而跳过 {len(result.skipped)} 件。")
    for old, new in result.imported[:20]:
        click.echo(f"  {old} → {new}")
    if len(result.imported) > 20:
        click.echo(f"  … 另有 {len(result.imported) - 20} 件")
    click.echo(f"索引：{result.index_note}")
