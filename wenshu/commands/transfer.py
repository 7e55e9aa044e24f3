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
@click.argument("query_words", nargs=-1)
@click.option("--year", type=int, help="年度，如 2022。")
@click.option("--retention", help="保管期限：Y / D30 / D10（或 永久 / 定期30年 / 定期10年）。")
@click.option("--org", help="机构（问题）代码，如 BGS。")
@click.option("--case", "case", help="案件编号：只导出该案件的文件。")
@click.option("--query", help="检索式（同 QUERY 参数，与 wenshu search 相同）。")
@click.option("--include-classified", is_flag=True, help="包括有密级的文件（默认不导出）。")
@click.option("--include-withdrawn", is_flag=True, help="包括已撤销的文件（默认不导出）。")
@click.option("--digest", type=click.Choice(["sha256", "sm3"]), default="sha256", show_default=True,
              help="摘要算法：sha256，或 sm3（另加 SM3 清单）。")
@click.option("--encoding", type=click.Choice(["utf-8", "gb18030"]), default="utf-8", show_default=True,
              help="文件目录.XML（及说明文件.TXT）的编码，写在 XML 声明中。")
@click.option("--zip", "as_zip", is_flag=True, help="输出一个 zip 文件（在线移交）；-o 以 .zip 结尾时默认如此。")
@click.option("--bagit", is_flag=True, help="把载体包在 BagIt 数据包的 data/ 内（机器间传输）。")
@click.option("--volume-size", help="分载体：每个载体不超过此大小，如 4.7G（DVD）、700M（CD）；只用于文件夹输出。")
@click.option("-o", "--output", required=True, type=click.Path(), help="输出的文件夹，或 .zip 文件。")
@json_option
def export(archive_dir, query_words, year, retention, org, case, query, include_classified, include_withdrawn, digest, encoding, as_zip, bagit,
           volume_size, output, as_json):
    """导出移交载体（档发〔2012〕7号）：说明文件.TXT、文件目录.XML、电子档案/、其他/（含登记表与四性检测报告）。
    QUERY：与 wenshu search 相同的检索式，如 年度:2022 案件:督2022-003。"""
    from archive.transfer.export import Selection, export_package
    from archive.transfer.names import LAYOUT_LABELS

    archive = open_archive(archive_dir)
    query = " ".join(filter(None, [query, *query_words])) or None
    sel = Selection(year=year, retention=retention, org=org, case=case, query=query,
                    include_classified=include_classified, include_withdrawn=include_withdrawn)
    result = export_package(archive, Path(output), sel, digest=digest, progress=None if as_json else _progress,
                            query_codes=query_codes, bagit=bagit, zip_output=True if as_zip else None,
                            volume_size=volume_size, encoding=encoding)
    if as_json:
        echo_json(result.as_dict())
        return
    d = result.as_dict()
    click.echo(f"已导出 {result.records} 件（{result.files} 个电子文件，{result.payload_bytes} 字节）到 {result.path}")
    click.echo(f"结构：{LAYOUT_LABELS[result.layout]}；{'zip 文件' if result.path.suffix.lower() == '.zip' and result.path.is_file() else '文件夹'}"
               f"，{len(result.volumes)} 个载体")
    if len(result.volumes) > 1:
        for v in result.volumes:
            click.echo(f"  {v}")
    click.echo(f"选择条件：{sel.describe()}；摘要算法：{'、'.join(d['摘要算法'])}")
    reg = d["登记表"]
    click.echo(f"登记表：{reg['件数']} 件，{reg['卷数']} 卷，{reg['数据量GB']} GB；"
               + "；".join(f"载体 {x['载体']} 数字摘要 SHA-256 {x['SHA-256']}" for x in reg["数字摘要"][:3]))
    click.echo("自检（四性检测）：" + ("通过" if not result.check_failed else
                                      "不通过：" + "；".join(result.check_failed)) + "（报告在 其他/交接信息/四性检测报告.txt）")
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
    """对移交数据包做四性检测（DA/T 70）：载体结构、BagIt 或旧版数据包，zip 或文件夹，分载体的按载体并合并检测。"""
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
    click.echo(f"数据包 {Path(package).name}（来源全宗 {result.sender_fonds}；{result.layout}）通过四性检测。")
    click.echo(f"已导入 {len(result.imported)} 件，已存在而跳过 {len(result.skipped)} 件"
               + (f"，本库已有而关联 {len(result.linked)} 件" if result.linked else "") + "。")
    for old, new in result.imported[:20]:
        click.echo(f"  {old} → {new}")
    if len(result.imported) > 20:
        click.echo(f"  … 另有 {len(result.imported) - 20} 件")
    if result.linked:
        click.echo("本库已有的同一文件（未重复导入，已在本库记录上登记关联）：")
        for old, here, why in result.linked[:20]:
            click.echo(f"  {old} ＝ {here}（{why}）")
        if len(result.linked) > 20:
            click.echo(f"  … 另有 {len(result.linked) - 20} 件")
    click.echo(f"索引：{result.index_note}")
