"""Document properties (文档属性) of a generated .docx: what Explorer, WPS and a receiving archive
show before anyone opens the file — 标题, 发文机关, 成文日期, 文号, 文种 — instead of the template's.

LibreOffice carries title, author and subject into the PDF's Title/Author/Subject, so the PDF
follows without a step of its own. Times are the 成文日期 (midnight, no clock time): a document's
date is the day it was signed, and the same values give the same bytes.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from xml.sax.saxutils import escape

from generator.form_fields import parse_date

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
    """The .docx bytes with docProps/core.xml replaced.

    The other entries are copied compressed, byte for byte: recompressing the template's 350 KB
    styles.xml would cost ~30 ms a document, as much as rendering it."""
    return replace_entry(data, CORE, core_xml(**properties(template, ctx)))


_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")


def replace_entry(data: bytes, name: str, content: bytes) -> bytes:
    """A zip with one entry's content replaced (stored uncompressed), every other entry copied raw."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out, central = io.BytesIO(), []
    for info in src.infolist():
        offset = out.tell()
        sig, ver, flag, method, mtime, mdate, crc, csize, usize, nlen, xlen = _LOCAL.unpack_from(data, info.header_offset)
        fname = info.filename.encode("utf-8") if flag & 0x800 else info.filename.encode("cp437")
        if info.filename == name:
            crc, csize, usize, method, flag, xlen = zlib.crc32(content), len(content), len(content), 0, flag & 0x800, 0
            out.write(_LOCAL.pack(sig, ver, flag, method, mtime, mdate, crc, csize, usize, len(fname), 0) + fname + content)
        else:
            if flag & 0x08:  # sizes in a data descriptor: not what python-docx or zipfile write here
                return _rewrite(src, name, content)
            start = info.header_offset
            out.write(data[start:start + _LOCAL.size + nlen + xlen + csize])
        central.append(_CENTRAL.pack(b"PK\x01\x02", 20, ver, flag, method, mtime, mdate, crc, csize, usize,
                                     len(fname), 0, 0, 0, 0, info.external_attr, offset) + fname)
    start = out.tell()
    out.write(b"".join(central))
    out.write(_END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def _rewrite(src: zipfile.ZipFile, name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for info in src.infolist():
            z.writestr(info, content if info.filename == name else src.read(info.filename))
    return out.getvalue()
