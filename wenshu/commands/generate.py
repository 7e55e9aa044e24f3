"""wenshu templates / template show / new / batch / layout-check: documents from templates (DESIGN §1, §5)."""

from __future__ import annotations

from pathlib import Path

import click

from archive.errors import WenshuError
from wenshu.commands.common import archive_option, echo_json, json_option, open_archive, print_table
from wenshu.indexing import index_filed


def _archive_or_none(archive_dir):
    try:
        return open_archive(archive_dir)
    except (WenshuError, OSError):  # OSError: the current directory no longer exists
        return None  # listing built-in templates needs no archive


@click.command("templates")
@archive_option
@json_option
def templates(archive_dir, as_json):
    """列出可用的模板及其用途。"""
    from generator.template import list_templates

    broken: list = []
    items = list_templates(_archive_or_none(archive_dir), broken)
    if as_json:
        echo_json([{"name": t.name, "label": t.label, "purpose": t.manifest.purpose, "builtin": t.builtin}
                   for t in items] + [{"name": n, "error": msg} for n, msg in broken])
        return
    print_table(["模板", "名称", "用途", "来源"],
                [[t.name, t.label, t.manifest.purpose, "内置" if t.builtin else "档案库"] for t in items]
                + [[n, "（无法使用）", msg, "档案库"] for n, msg in broken])


@click.group("template")
def template():
    """查看模板。"""


@template.command("show")
@click.argument("name")
@archive_option
@json_option
def show(name, archive_dir, as_json):
    """列出模板的字段：名称、类型、是否必填、默认值、说明。"""
    from generator.form_fields import TYPES
    from generator.service import resolve_template

    t = resolve_template(name, _archive_or_none(archive_dir))
    if as_json:
        echo_json({"name": t.name, "label": t.label, "purpose": t.manifest.purpose, "kind": t.manifest.kind,
                   "fields": [f.__dict__ for f in t.manifest.fields]})
        return
    click.echo(f"{t.name}　{t.label}\n{t.manifest.purpose}\n")
    print_table(["字段", "中文名", "类型", "必填", "默认", "说明"],
                [[f.name, f.label, TYPES[f.type] + (f"（{'/'.join(f.choices)}）" if f.choices else ""),
                  "是" if f.required else "", "" if f.default is None else f.default, f.help]
                 for f in t.manifest.fields])


def _data(data_file, sets) -> dict:
    from generator.form_fields import parse_sets, read_data_file

    data = read_data_file(Path(data_file)) if data_file else {}
    data.update(parse_sets(sets))
    return data


@click.command("new")
@click.argument("template_name", metavar="TEMPLATE")
@click.option("--data", "data_file", type=click.Path(dir_okay=False), help="字段值：YAML 或 JSON 文件。")
@click.option("--set", "sets", multiple=True, metavar="字段=值", help="单个字段的值（可多次）；字段可写中文名。")
@click.option("--prefix", help="机关代字（默认按模板选择 wenshu.toml 中的代字）。")
@click.option("--date", "when", help="成文日期，如 2022-03-25；文号年份取自它。")
@click.option("--number", "reserved", help="使用一个已预留的文号（wenshu number reserve），如 高教字〔2022〕5号。")
@click.option("--attach", "attach", multiple=True, type=click.Path(dir_okay=False),
              help="附件：已有的 .docx/.xlsx/.pdf 文件（可多次），列入附件说明并随文件归档。")
@click.option("--pdf", is_flag=True, help="同时生成 PDF（需要 LibreOffice）。")
@click.option("--dry-run", is_flag=True, help="只预览：用下一个文号生成到 --out 目录，不占用编号、不归档。")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="另存一份到此目录（预览时为输出目录）。")
@click.option("--retention", help="保管期限：Y / D30 / D10（默认取 wenshu.toml）。")
@click.option("--org", default="", help="机构（问题）代码，如 BGS。")
@archive_option
@json_option
def new(template_name, data_file, sets, prefix, when, reserved, attach, pdf, dry_run, out_dir, retention, org, archive_dir, as_json):
    """按模板生成一份文件：校验字段、编发文字号、生成 .docx（和 PDF）并归档。"""
    from generator.service import new_document

    a = open_archive(archive_dir)
    p = new_document(a, template_name, _data(data_file, sets), prefix=prefix, when=when, pdf=pdf,
                     dry_run=dry_run, out_dir=Path(out_dir) if out_dir else None, retention=retention, org=org,
                     on_filed=index_filed, number=reserved, attach=[Path(f).absolute() for f in attach],
                     data_dir=Path(data_file).absolute().parent if data_file else None)
    if as_json:
        echo_json({"number": p.number, "title": p.title, "files": [str(f) for f in p.files],
                   "archival_code": p.archival_code, "pages": p.pages, "dry_run": p.dry_run})
        return
    if p.pdf_note:
        click.echo(p.pdf_note, err=True)
    head = "预览（未占用编号、未归档）" if p.dry_run else "已生成"
    click.echo(f"{head}：{p.number or '（无编号）'}　{p.title}" + (f"　档号 {p.archival_code}" if p.archival_code else "")
               + (f"　{p.pages} 页" if p.pages else ""))
    for f in p.files:
        click.echo(f"  {f}")
    if p.index_note:
        click.echo(p.index_note)


@click.command("batch")
@click.argument("template_name", metavar="TEMPLATE")
@click.option("--rows", "rows_path", required=True, type=click.Path(dir_okay=False), help="名册：.xlsx 或 .csv，第一行为列名。")
@click.option("--data", "data_file", type=click.Path(dir_okay=False), help="各行共用的字段值（YAML/JSON）。")
@click.option("--set", "sets", multiple=True, metavar="字段=值", help="各行共用的单个字段值。")
@click.option("--prefix", help="机关代字。")
@click.option("--date", "when", help="成文日期（各行相同）。")
@click.option("--pdf", is_flag=True, help="同时生成 PDF。")
@click.option("--strict", is_flag=True, help="有任何一行出错就不生成任何文件。")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="写到此目录而不归档（预览：不占用编号）。")
@click.option("--workers", type=int, default=None, help="并行进程数（默认 2）。")
@click.option("--allow-duplicates", is_flag=True, help="名册中同一人（姓名+学校）出现多次时仍各发一份。")
@click.option("--combine-by", help="与 --pdf 同用：按此列合并为一个 PDF 便于打印（默认按学校）。")
@click.option("--combine-dir", type=click.Path(file_okay=False), help="合并 PDF 的存放目录（默认 --out 或当前目录下的“模板名合并打印”）。")
@archive_option
@json_option
def batch(template_name, rows_path, data_file, sets, prefix, when, pdf, strict, out_dir, workers, allow_duplicates,
          combine_by, combine_dir, archive_dir, as_json):
    """按名册批量生成：每行一份，坏行报告行号和原因，其余照常生成。"""
    from generator.batch import BatchInterrupted, run_batch

    a = open_archive(archive_dir)
    try:
        report = _run_batch(a, run_batch, template_name, rows_path, data_file, sets, prefix, when, pdf, strict,
                            out_dir, workers, allow_duplicates, combine_by, combine_dir, as_json)
    except BatchInterrupted as stop:  # Ctrl-C / SIGTERM: said plainly, not as an error of the batch
        if stop.report.index_note:
            click.echo(stop.report.index_note)
        click.echo(str(stop), err=True)
        raise SystemExit(stop.exit_code) from None
    _report_batch(report, as_json)


def _run_batch(a, run_batch, template_name, rows_path, data_file, sets, prefix, when, pdf, strict, out_dir, workers,
               allow_duplicates, combine_by, combine_dir, as_json):
    from rich.progress import Progress

    with Progress(transient=True, disable=as_json) as bar:
        tasks: dict = {}

        def progress(stage, done, total):
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        report = run_batch(a, template_name, Path(rows_path), _data(data_file, sets), pdf=pdf, strict=strict,
                           prefix=prefix, when=when, file=out_dir is None, out_dir=Path(out_dir) if out_dir else None,
                           workers=workers, progress=progress, on_filed=index_filed,
                           allow_duplicates=allow_duplicates, combine_by=combine_by,
                           combine_dir=Path(combine_dir or out_dir or "."),
                           warn=lambda message: click.echo(f"注意：{message}", err=True))
    return report


def _report_batch(report, as_json):
    if as_json:
        echo_json({"produced": [{"number": p.number, "title": p.title, "archival_code": p.archival_code,
                                 "files": [str(f) for f in p.files], "pages": p.pages} for p in report.produced],
                   "errors": [{"row": e.row, "message": e.message} for e in report.errors],
                   "warnings": report.warnings, "combined": [str(p) for p in report.combined],
                   "seconds": round(report.seconds, 2)})
    else:
        if report.pdf_note:
            click.echo(report.pdf_note, err=True)
        for e in report.errors:
            click.echo(f"第 {e.row} 行：{e.message.removeprefix(f'第 {e.row} 行：')}", err=True)
        first = report.produced[0].files[0] if report.produced and report.produced[0].files else None
        where = (first.parent if report.preview else first.parent.parent) if first else ""  # --out, or the year
        click.echo(("预览（未占用编号、未归档）" if report.preview else "")
                   + f"完成：生成 {len(report.produced)} 份，出错 {len(report.errors)} 行，用时 {report.seconds:.1f} 秒。"
                   + (f"文件在 {where}" if where else "") + (f"\n{report.index_note}" if report.index_note else ""))
        for p in report.combined:
            click.echo(f"合并打印：{p}")
    if report.errors and not report.produced:
        raise SystemExit(1)


@click.command("layout-check")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--kind", type=click.Choice(["notice", "letter", "plain"]), help="版式：notice 文件格式 / letter 信函格式 / plain。默认自动判断。")
@click.option("--pdf", "measure_pdf", is_flag=True, help="另用 LibreOffice 排出 PDF，实测标志位置、分隔线、行数、页码和版记（较慢）。")
@json_option
def layout_check(files, kind, measure_pdf, as_json):
    """按 GB/T 9704 检查 .docx 的版式，逐条列出不符合之处。"""
    from generator.layout_check import check

    if measure_pdf:
        from generator.pdfcheck import check_files

        results = dict(zip(files, check_files([Path(f) for f in files], kind).values()))
    else:
        results = {f: check(Path(f), kind) for f in files}
    if as_json:
        echo_json({f: [{"rule": d.rule, "where": d.where, "message": d.message} for d in devs]
                   for f, devs in results.items()})
    else:
        for f, devs in results.items():
            click.echo(f"{f}：" + ("符合 GB/T 9704 版式要求。" if not devs else f"{len(devs)} 处不符合："))
            for d in devs:
                click.echo(f"  · {d}")
    if any(results.values()):
        raise SystemExit(1)
