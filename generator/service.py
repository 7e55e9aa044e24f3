"""Making one document end to end (拟制一份文件): validate → number → render → file.

Numbers are taken only after every field is valid, through ``registry.issuing`` (文号) or an
item series (承诺书编号), so a failure in rendering or filing leaves a void ledger entry with
the reason instead of a silent gap. Rendering happens in a temp folder outside the archive;
the files are then handed to ``archive.filing.file_record``.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Iterator

from archive.config import Prefix
from archive.docnumber import DocNumber
from archive.errors import WenshuError
from archive.filing import OnFiled, check_source
from archive.registry import RESERVED, STATUS_LABELS
from generator import pdf as pdfmod
from archive.elements import split_names
from generator import numbering
from generator.form_fields import parse_date
from generator.numbering import format_serial, serial_series  # noqa: F401  (re-exported)
from generator.lines import fitted_items
from generator.official import check_dates, official_values
from generator.render import RenderedDocument, render_document
from generator.template import Template, list_templates, load_template


@dataclass
class Produced:
    number: str  # 文号 or 编号
    title: str
    files: list[Path] = field(default_factory=list)  # where the files are now
    archival_code: str = ""  # 档号 once filed
    pages: int | None = None
    dry_run: bool = False
    pdf_note: str = ""  # why there is no PDF, when one was asked for
    index_note: str = ""  # what happened to the full-text index (全文索引)


def resolve_template(name: str, archive=None) -> Template:
    """A template by its name (notice) or its Chinese label (通知, 通知（红头文件）, 督办函)."""
    try:
        return load_template(name, archive)
    except WenshuError as missing:
        key = "".join(str(name).split())
        short = lambda label: re.sub(r"[（(].*?[）)]", "", label)
        found = [t for t in list_templates(archive) if key in (t.label, short(t.label))]
        if len(found) == 1:
            return found[0]
        if found:
            raise WenshuError(f"“{name}”对应多个模板：{'、'.join(f'{t.name}（{t.label}）' for t in found)}，"
                              "请写模板名。") from None
        raise missing


def choose_prefix(archive, template: Template, code: str | None) -> Prefix:
    """--prefix wins; else the first 机关代字 whose code contains a hint of the template (督, 函 …)."""
    config = archive.config
    if code:
        return config.prefix(code)
    if not config.prefixes:
        raise WenshuError("wenshu.toml 中还没有配置机关代字（[[prefixes]]），无法编发文字号。")
    for hint in template.manifest.prefix_hint:
        for p in config.prefixes:
            if hint in p.code:
                return p
    return config.prefixes[0]


def prepare(template: Template, data: dict, when: str | None = None, where: str = "") -> dict:
    """Validated values; ``when`` (--date) sets the 成文日期 and so the year of the number."""
    m = template.manifest
    raw = m.normalise_keys(data, where)
    if when and m.field("date"):
        given = raw.get("date")
        if given not in (None, "") and parse_date(given, m.field("date").label, where) != parse_date(when, "--date"):
            raise WenshuError(f"{where}--date（{when}）与数据中的“{m.field('date').label}”（{given}）不一致："
                              "请只写一处，或改成同一天。")
        raw["date"] = when
    values = m.validate(raw, where)
    if m.field("date") and values.get("date") is None:
        values["date"] = date.today()
    check_dates(m, values, where)
    values = official_values(values)
    if values.get("clauses"):  # the pledge's numbered clauses: no character alone on a last line
        values["clauses"] = fitted_items(values["clauses"])
    return values


def reserved_number(archive, template: Template, values: dict, text: str, prefix: str | None) -> DocNumber:
    """``--number``: a 预留 文号 for this document, checked before anything is rendered or written.
    Refused (nothing changes) when the template has no 文号, when the number is not reserved, or
    when it belongs to another 机关代字 or year than this document."""
    m = template.manifest
    if m.numbering != "文号":
        raise WenshuError(f"--number：模板 {m.name}（{m.label}）不编发文字号，不能指定文号。")
    number = DocNumber.parse(text)
    if prefix and archive.config.prefix(prefix).code != number.prefix:
        raise WenshuError(f"--number：{number} 的机关代字是“{number.prefix}”，与 --prefix {prefix} 不一致，未做任何更改。")
    archive.config.prefix(number.prefix)  # a 代字 wenshu.toml does not know is refused here
    year = (values.get("date") or date.today()).year
    if number.year != year:
        raise WenshuError(f"--number：{number} 是 {number.year} 年的文号，而成文日期是 {year} 年，未做任何更改。"
                          "请用 --date 写明成文日期，或改用该年预留的文号。")
    entry = archive.registry.find(number)
    if entry is None or entry.status != RESERVED:
        state = STATUS_LABELS[entry.status] if entry else "未登记"
        raise WenshuError(f"--number：{number} 不是预留文号（当前状态：{state}），未做任何更改。"
                          "可用 wenshu number list 查看预留的文号，或用 wenshu number reserve 预留。")
    return number


@contextmanager
def numbered(archive, template: Template, values: dict, prefix: str | None, dry_run: bool,
             reserved: str | None = None) -> Iterator[tuple[str, str]]:
    """Yields (文号, 编号) for the document; on failure the number is voided with the reason.
    A preview (``dry_run``) shows the number it would get and takes nothing from the registry."""
    m = template.manifest
    title = values.get("title") or m.label
    reg = archive.registry
    if reserved:
        number = reserved_number(archive, template, values, reserved, prefix)
        if dry_run:
            yield str(number), ""
            return
        reg.issue_reserved(number, title)
        try:
            yield str(number), ""
        except BaseException as e:
            reg.void(number, f"生成或归档失败，自动作废：{e}" if str(e) else
                     f"生成或归档中断（{type(e).__name__}），自动作废")
            raise
    elif m.numbering in ("文号", "编号"):
        if dry_run:
            yield numbering.preview(archive, template, [dict(values, date=values.get("date") or date.today())],
                                    prefix)[0]
            return
        taken = numbering.take(archive, template, values, prefix)
        try:
            yield taken
        except BaseException as e:
            numbering.give_up(archive, template, taken, numbering.failure(e))
            raise
    else:
        yield "", ""


def record_fields(template: Template, values: dict, doc: RenderedDocument, config) -> dict:
    """The record's metadata (著录项, Record attribute names) from the template's fields."""
    m = template.manifest
    known = {"title", "date", "recipients", "cc", "case", "deadline", "follows", "body", "attachments",
             "requirements", "problems", "clauses"}
    extra = {}
    for f in m.fields:
        v = values.get(f.name)
        if f.name in known or v in (None, "", []):
            continue
        extra[f.label] = v.isoformat() if isinstance(v, date) else v
    if doc.number and m.numbering == "编号":
        extra["编号"] = doc.number
    title = str(values.get("title") or m.label)
    if m.numbering == "编号" and values.get("name"):  # one form per person: the name tells them apart
        title = f"{title}（{values['name']}）"
    fields = {
        "title": title,
        # a 承诺书 is the 承诺人's own undertaking: the teacher is its 责任者, not the office that printed it
        "author": str(values["name"]) if m.doc_type == "承诺书" and values.get("name") else config.organ_name,
        "date": values.get("date"),
        "doc_type": m.doc_type,
        "template": m.name,
        "extra": extra,
    }
    if m.numbering == "文号" and doc.number:
        fields["doc_number"] = doc.number
    if doc.pages:
        fields["pages"] = doc.pages
    if values.get("recipients"):
        fields["recipients"] = split_names(values["recipients"])
    if values.get("cc"):
        fields["cc"] = list(values["cc"])
    if values.get("case"):
        fields["case"] = values["case"]
    if values.get("deadline"):
        fields["deadline"] = values["deadline"]
    if values.get("follows"):
        fields["relations"] = [{"文号": values["follows"], "关系": "依据"}]
    return fields


def attachment_files(archive, template: Template, values: dict, extra: list[Path] = (),
                     base: Path | None = None) -> dict:
    """The 附件 that are existing files (``附件: [督查方案.docx]`` or ``--attach``), checked before a
    number is taken: each must exist and be a .docx/.xlsx/.pdf. A relative path is read from
    ``base`` (the data file's folder), else the current folder. Values gain the --attach files."""
    from generator.form_fields import ATTACH_SUFFIXES

    m = template.manifest
    att = next((f for f in m.fields if f.type == "attachments"), None)
    if extra and att is None:
        raise WenshuError(f"--attach：模板 {m.name}（{m.label}）没有附件，不能附加文件。未做任何更改。")
    if extra:
        values = dict(values, **{att.name: [*values.get(att.name, []),
                                            *({"title": Path(p).stem, "blocks": [], "file": str(p)} for p in extra)]})
    if att is None:
        return values
    items = []
    for i, item in enumerate(values.get(att.name) or [], 1):
        if item.get("file"):
            path = Path(item["file"]).expanduser()
            if not path.is_absolute():
                path = (base / path) if base and (base / path).exists() else Path.cwd() / path
            if path.suffix.lower() not in ATTACH_SUFFIXES:
                raise WenshuError(f"附件 {item['file']}：只能附 {'/'.join(ATTACH_SUFFIXES)} 文件。未做任何更改。")
            if not path.exists():
                raise WenshuError(f"找不到“{att.label}”第 {i} 项的文件 {item['file']}（{path}）。未做任何更改。")
            check_source(archive, path)  # a plain file, not a link, not empty, not already in the archive
            item = dict(item, file=str(path))
        items.append(item)
    return dict(values, **{att.name: items})


def _attached(values: dict) -> list[dict]:
    return [a for a in values.get("attachments") or [] if a.get("file")]


def file_rendered(archive, template: Template, values: dict, doc: RenderedDocument, *,
                  retention=None, org: str = "", attachments: list[Path] = ()) -> tuple[str, list[Path]]:
    """``attachments`` are copies (in the temp folder) of the 附件 files, filed as role 附件."""
    from archive.filing import file_record

    files = ([(doc.docx, "正本")] + ([(doc.pdf, "版式文件")] if doc.pdf else [])
             + [(p, "附件") for p in attachments])
    note = f"由模板 {template.name} 生成" + (f"；附件：{'、'.join(p.name for p in attachments)}" if attachments else "")
    record = file_record(archive, files, record_fields(template, values, doc, archive.config),
                         retention=retention, org=org, move=True, action="生成并归档", note=note)
    folder = archive.root / str(record.archival_code.year) / record.folder_name
    return str(record.archival_code), [folder / f.name for f in record.files]


def new_document(archive, template_name: str, data: dict, *, prefix: str | None = None, when: str | None = None,
                 pdf: bool = False, dry_run: bool = False, out_dir: Path | None = None,
                 retention=None, org: str = "", on_filed: OnFiled | None = None,
                 number: str | None = None, attach: list[Path] = (), data_dir: Path | None = None) -> Produced:
    """``wenshu new``: one document, numbered and filed (or, with ``dry_run``, only previewed).

    ``on_filed(archive, paths)`` runs once the files are filed (the CLI indexes them) and its
    message is kept in ``index_note``. ``number`` (--number) is a reserved 文号 to use; ``attach``
    (--attach) are files to carry as 附件, like file items of 附件 in the data (read from ``data_dir``)."""
    template = resolve_template(template_name, archive)
    values = attachment_files(archive, template, prepare(template, data, when), list(attach), data_dir)
    pdf_note = ""
    if pdf and not pdfmod.available():
        pdf, pdf_note = False, pdfmod.INSTALL_HINT
    with tempfile.TemporaryDirectory(prefix="wenshu-new-") as tmp:
        with numbered(archive, template, values, prefix, dry_run, number) as (number, serial):
            doc = render_document(template, values, number, Path(tmp), config=archive.config,
                                  serial=serial, pdf=pdf)
            produced = Produced(number or serial, doc.title, pages=doc.pages, dry_run=dry_run, pdf_note=pdf_note)
            rendered = [p for p in (doc.docx, doc.pdf) if p]
            if dry_run:
                target = Path(out_dir or ".")
                target.mkdir(parents=True, exist_ok=True)
                produced.files = [Path(shutil.copy2(p, target / p.name)) for p in rendered]
                return produced
            copies = []
            for i, a in enumerate(_attached(values), 1):  # filing moves what it files: never the clerk's own
                folder = Path(tmp) / "附件" / str(i)
                folder.mkdir(parents=True)
                copies.append(Path(shutil.copy2(a["file"], folder / Path(a["file"]).name)))
            produced.archival_code, produced.files = file_rendered(archive, template, values, doc,
                                                                   retention=retention, org=org, attachments=copies)
    if on_filed:
        produced.index_note = on_filed(archive, produced.files)
    if out_dir:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        produced.files += [Path(shutil.copy2(p, Path(out_dir) / p.name)) for p in list(produced.files)]
    return produced
