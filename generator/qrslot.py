"""A QR code on a rendered document: the template keeps a placeholder picture named ``SLOT_NAME``
(generator/build_templates) and declares what the code holds in its manifest (``qr:``, a pattern
over the context such as ``WSP|{campaign}|{serial}``); after rendering, the placeholder's bytes are
swapped for the code, so the .docx filed is the one printed. A pattern whose values are not all
given (a pledge outside any campaign) leaves the document as it was: the slot sits inside a
``{%r if %}`` and is not rendered then.
"""

from __future__ import annotations

import io
import string
import zipfile

SLOT_NAME = "wenshu-qr"  # wp:docPr name of the code picture
SIZE_MM = 22


def text_for(pattern: str, ctx: dict) -> str | None:
    names = [n for _, n, _, _ in string.Formatter().parse(pattern) if n]
    if not names or not all(n.isidentifier() and str(ctx.get(n) or "").strip() for n in names):
        return None
    return pattern.format(**{n: str(ctx[n]).strip() for n in names})


def png(text: str) -> bytes:
    """Error correction M: a page may come back blurred, askew or with a pen stroke across it."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    q = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=2)
    q.add_data(text.encode("utf-8"))
    q.make(fit=True)
    buf = io.BytesIO()
    q.make_image(fill_color="black", back_color="white").save(buf, format="PNG")
    return buf.getvalue()


def placeholder_png() -> bytes:
    """What the template itself holds: a white square (deterministic bytes, so the build is stable)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (64, 64), 1).save(buf, format="PNG", optimize=False)
    return buf.getvalue()


_WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def slot_media(document_xml: bytes, rels_xml: bytes) -> str | None:
    """The zip name of the slot's picture in a rendered .docx, or None when it has no slot."""
    from lxml import etree

    from archive.ooxml import XML_OPTIONS

    parser = etree.XMLParser(**XML_OPTIONS)
    doc = etree.fromstring(document_xml, parser)
    for pr in doc.iter(f"{_WP}docPr"):
        if pr.get("name") == SLOT_NAME:
            blip = next(pr.getparent().iter(f"{_A}blip"), None)  # the inline/anchor holding the docPr
            rid = blip is not None and blip.get(f"{_R}embed")
            rels = etree.fromstring(rels_xml, parser)
            target = next((r.get("Target") for r in rels.iter(f"{_REL}Relationship") if r.get("Id") == rid), None)
            return "word/" + target.lstrip("/").removeprefix("word/") if target else None
    return None


def fill(docx: bytes, pattern: str, ctx: dict) -> bytes:
    text = text_for(pattern, ctx)
    if not text:
        return docx
    src = zipfile.ZipFile(io.BytesIO(docx))
    name = slot_media(src.read("word/document.xml"), src.read("word/_rels/document.xml.rels"))
    if not name:
        return docx
    image = png(text)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in src.infolist():
            dst.writestr(info, image if info.filename == name else src.read(info.filename))
    return out.getvalue()
