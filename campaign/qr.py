"""The code printed on every campaign pledge, and reading it back from a scanned page.

A page comes back from a school's scanner rotated, blurred, JPEG-compressed or upside down; the
code (QR, error correction level M) is what ties that paper to its record, so its content is
short and self-describing: ``WSP|<专项行动名称>|<承诺书编号>``. The name rather than a row id
because a page brought to the wrong archive or campaign must be refused *naming* the campaign it
belongs to. The template keeps a placeholder picture named ``SLOT_NAME`` (generator/build_templates);
``fill_slot`` swaps in the real code after rendering, so the .docx filed is the one printed.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

PREFIX = "WSP"
SLOT_NAME = "wenshu-qr"  # wp:docPr name of the pledge template's code picture
SIZE_MM = 22


def payload(campaign: str, serial: str) -> str:
    return f"{PREFIX}|{campaign}|{serial}"


@dataclass(frozen=True)
class Code:
    campaign: str
    serial: str


def parse(text: str) -> Code | None:
    """A wenshu pledge code, or None for any other code (a school's own sticker, a URL…)."""
    parts = (text or "").split("|")
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not re.fullmatch(r"\d{4}-\d+", parts[2]):
        return None
    return Code(parts[1], parts[2])


def png(text: str) -> bytes:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    q = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=2)
    q.add_data(text.encode("utf-8"))
    q.make(fit=True)
    buf = io.BytesIO()
    q.make_image(fill_color="black", back_color="white").save(buf, format="PNG")
    return buf.getvalue()


def placeholder_png() -> bytes:
    """What the template itself shows: a white square (deterministic bytes, so the build is stable)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("1", (64, 64), 1).save(buf, format="PNG", optimize=False)
    return buf.getvalue()


def slot_media(document_xml: str, rels_xml: str) -> str | None:
    """The zip name of the slot's picture in a rendered .docx, or None when it has no slot."""
    m = re.search(rf'<wp:docPr [^>]*name="{SLOT_NAME}"[^>]*/>.*?r:embed="(rId\d+)"', document_xml, re.S)
    if not m:
        return None
    rel = re.search(rf'<Relationship [^>]*Id="{m.group(1)}"[^>]*/>', rels_xml)
    target = rel and re.search(r'Target="([^"]+)"', rel.group(0))
    return "word/" + target.group(1).lstrip("/").removeprefix("word/") if target else None


def fill_slot(docx: bytes, campaign: str, serial: str) -> bytes:
    """The rendered .docx with the code of (campaign, serial) in its slot; unchanged without a slot."""
    src = zipfile.ZipFile(io.BytesIO(docx))
    name = slot_media(src.read("word/document.xml").decode("utf-8"),
                      src.read("word/_rels/document.xml.rels").decode("utf-8"))
    if not name:
        return docx
    image = png(payload(campaign, serial))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in src.infolist():
            dst.writestr(info, image if info.filename == name else src.read(info.filename))
    return out.getvalue()


def read_codes(image) -> list[str]:
    """Texts of the QR codes found on a page image (PIL); a harder second look when the first finds none.

    zxing-cpp already tries rotations and inverted images; a blurred or light scan is often read
    after a plain threshold, and a large page after halving (the modules then look sharper)."""
    import zxingcpp
    from PIL import ImageOps

    gray = ImageOps.grayscale(image)
    tries = (lambda g: g,
             lambda g: g.point(lambda v: 255 if v > 150 else 0),
             lambda g: g.resize((g.width // 2, g.height // 2)),
             lambda g: ImageOps.autocontrast(g).point(lambda v: 255 if v > 110 else 0))
    for t in tries:
        found = [r.text for r in zxingcpp.read_barcodes(t(gray), formats=zxingcpp.BarcodeFormat.QRCode) if r.text]
        if found:
            return found
    return []
