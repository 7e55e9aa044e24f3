"""Filing documents that come from outside (收文) or from before wenshu: ``wenshu file PATH…``.

The metadata is read from the document itself (``archive.metadata``) and every value can be
overridden by the clerk (``--set 题名=…``). A document that cannot be read is refused with the
reason, before any 件号 is taken, so nothing is filed half-described.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

from archive import ocr
from archive.errors import WenshuError
from archive.extract import extract_text
from archive.fields import to_attributes
from archive.filing import check_source, file_record
from archive.metadata import _TITLE_HINT, DocMeta, doc_type_of, read_metadata
from archive.ofd import is_ofd, with_doc_info
from archive.ooxml import W_NS, Package, paragraph_text
from archive.record import RECEIVED, Record
from archive.store import Archive

ROLE_MAIN, ROLE_OTHER = "原件", "附件"


def read_document(path: Path) -> tuple[str, DocMeta]:
    """Text and metadata of one document; a .docx without a recognisable title line falls back
    to its largest-type line (the 标题 is set in 2号, larger than anything else on the page)."""
    text = extract_text(path)
    meta = read_metadata(text)
    if is_ofd(path):  # 题名/责任者 the producer stored in DocInfo, where the body gave none
        meta = with_doc_info(path, meta)
    if Path(path).suffix.lower() == ".docx" and not looks_like_title(meta.title):
        title = largest_type_line(path)
        if title and title != meta.title:
            meta.title, meta.doc_type = title, doc_type_of(title) or meta.doc_type
    return text, meta


def looks_like_title(title: str) -> bool:
    """关于…的通知, or at least ending in a 文种: what a 公文 title looks like."""
    return bool(title) and bool(_TITLE_HINT.search(title) or doc_type_of(title))


def largest_type_line(path: Path, scan: int = 15) -> str:
    """The text of the paragraph(s) set in the largest font among the first ``scan`` paragraphs."""
    w = f"{{{W_NS}}}"
    paras = []
    try:
        with Package(path) as pkg:
            # streamed block by block and stopped after ``scan`` paragraphs (limits.max_part_mb)
            for p in pkg.paragraphs("word/document.xml"):
                text = paragraph_text(p).strip()
                if not text:
                    continue
                sizes = [int(s.get(f"{w}val")) for s in p.iter(f"{w}sz") if (s.get(f"{w}val") or "").isdigit()]
                paras.append((max(sizes) if sizes else 0, text))
                if len(paras) >= scan:
                    break
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, WenshuError, OSError, EOFError):
        return ""
    if not paras or not max(s for s, _ in paras):
        return ""
    top = max(s for s, _ in paras)
    first = next(i for i, (s, _) in enumerate(paras) if s == top)
    out = []
    for s, t in paras[first:]:
        if s != top:
            break
        out.append(t)
    return "".join(out)[:500]


def receive(archive: Archive, paths: list[Path], assignments: dict[str, str] | None = None, **options) -> Record:
    """File ``paths`` as one record (the first is the document whose metadata is read). A scan
    (image, or PDF with pages that are only images) is OCR'd first (archive.ocr): the record then
    holds the original (原件) and its 文字版, and the metadata is read from the OCR text."""
    if not paths:
        raise WenshuError("没有要归档的文件。")
    for p in paths:
        check_source(archive, p)
    with ocr.prepared(Path(paths[0])) as scan:
        return _receive(archive, paths, assignments, scan, **options)


def _receive(archive: Archive, paths: list[Path], assignments: dict[str, str] | None, scan: ocr.Scan | None, *,
             retention=None, org: str = "", case: str = "", move: bool = False, actor: str = "") -> Record:
    assignments = dict(assignments or {})
    text, meta = (scan.text, ocr.read_scan_metadata(scan.text)) if scan else read_document(Path(paths[0]))
    # every file of the record must be readable, not just the first; text cut at
    # limits.max_text_chars is said so in the record's history
    cut = [getattr(t, "note", "") for t in (text, *(extract_text(Path(p)) for p in paths[1:]))]
    fields = meta.to_fields()
    if fields.get("date"):
        fields["date"] = fields["date"].isoformat()
    overrides = to_attributes(assignments)
    fields.update(overrides)
    fields.setdefault("origin", RECEIVED)
    if scan and scan.extra(overrides):  # OCR fields to check against the original (archive.ocr REVIEW)
        fields["extra"] = {**dict(fields.get("extra") or {}), **scan.extra(overrides)}
    if case:
        fields["case"] = case
    if not str(fields.get("title") or "").strip():
        fields["title"] = Path(paths[0]).stem
    retention = assignments.get("保管期限") or retention
    org = assignments.get("机构") or org
    read = [f"{k}" for k in ("doc_number", "title", "author", "date", "deadline") if k in meta.to_fields() and k not in overrides]
    note = "自动识别：" + "、".join(_LABEL[k] for k in read) if read else "未能自动识别著录项"
    if overrides:
        note += "；人工指定：" + "、".join(assignments)
    note += "".join(f"；{c}" for c in cut if c) + (f"；{scan.note}" if scan else "")
    if not fields.get("date"):
        note += "；成文日期未能识别（日期待核），年度暂按归档年度"
    first = scan.files if scan else [(Path(paths[0]), ROLE_MAIN)]
    files = first + [(Path(p), ROLE_OTHER) for p in paths[1:]]
    return file_record(archive, files, fields, retention=retention, org=org, move=move,
                       action="收文归档", actor=actor or "", note=note)


_LABEL = {"doc_number": "文号", "title": "题名", "author": "责任者", "date": "日期", "deadline": "时限"}
