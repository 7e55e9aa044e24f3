"""Document properties (文档属性) of a generated .docx: what Explorer, WPS and a receiving archive
show before anyone opens the file — 标题, 发文机关, 成文日期, 文号, 文种 — instead of the template's.

LibreOffice carries title, author and subject into the PDF's Title/Author/Subject, so the PDF
follows without a step of its own. Times are the 成文日期 (midnight, no clock time): a document's
date is the day it was signed, and the same values give the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

from generator.fields import parse_date

CORE = "docProps/core.xml"


def core_xml(*, title: str, author: str, subject: str, category: str, when) -> bytes:
    stamp = f"{when.isoformat()}T00:00:00Z" if when else "2022-01-01T00:00:00Z"
    e = lambda s: escape(str(s or ""))
    return ("<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{e(title)}</dc:title><dc:subject>{e(subject)}</dc:subject><dc:creator>{e(author)}</dc:creator>"
            f"<cp:keywords/><dc:description/><cp:lastModifiedBy>{e(author)}</cp:lastModifiedBy><cp:revision>1</cp:revision>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            f"<cp:category>{e(category)}</cp:category></cp:coreProperties>").encode("utf-8")


def properties(template, ctx: dict) -> dict:
    """标题, 作者 (发文机关 / 署名; a form's 承诺人), 主题 (文号 or 编号), 类别 (文种), 日期 (成文日期)."""
    m = template.manifest
    title = str(ctx.get("title") or m.label or template.name)
    author = (ctx.get("name") if m.numbering == "编号" and ctx.get("name") else None) or ctx.get("signature") \
        or ctx.get("org_name") or ""
    try:
        when = parse_date(ctx.get("date") or ctx.get("date_cn") or "")
    except Exception:  # a template without a 成文日期
        when = None
    return {"title": title, "author": str(author), "subject": ctx.get("doc_no") or ctx.get("serial") or "",
            "category": m.doc_type or m.label, "when": when}


def with_properties(data: bytes, template, ctx: dict) -> bytes:
    """The .docx bytes with docProps/core.xml replaced (the other parts copied as they are)."""
    core = core_xml(**properties(template, ctx))
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for info in src.infolist():
            z.writestr(info, core if info.filename == CORE else src.read(info.filename))
    return out.getvalue()
