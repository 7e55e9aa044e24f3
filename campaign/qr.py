"""Reading a campaign pledge's code back from a scanned page.

A page comes back from a school's scanner rotated, blurred, JPEG-compressed or upside down; the
code is what ties that paper to its record. It holds ``CODE`` — the pledge template declares the
same pattern (templates/pledge.yaml ``qr:``, printed by generator.qrslot; the end-to-end test reads
printed pages back through ``parse``). The campaign's name rather than a row id, because a page
brought to the wrong campaign or archive must be refused *naming* the campaign it belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CODE = "WSP|{campaign}|{serial}"


def payload(campaign: str, serial: str) -> str:
    return CODE.format(campaign=campaign, serial=serial)


@dataclass(frozen=True)
class Code:
    campaign: str
    serial: str


def parse(text: str) -> Code | None:
    """A wenshu pledge code, or None for any other code (a school's own sticker, a URL…)."""
    head = CODE.split("|")[0]
    parts = (text or "").split("|")
    if len(parts) != 3 or parts[0] != head or not parts[1] or not re.fullmatch(r"\d{4}-\d+", parts[2]):
        return None
    return Code(parts[1], parts[2])


def read_codes(image) -> list[str]:
    """Texts of the QR codes found on a page image (PIL); harder looks only when the first finds none.

    The first look is at half size: the printed code's modules are large enough there, the
    modules look sharper, and zxing-cpp spends a quarter of the time on it (most pages end here).
    zxing-cpp already tries rotations and inverted images; a page the half-size look misses is
    tried at full resolution, then after a plain threshold (a blurred or light scan)."""
    import zxingcpp
    from PIL import ImageOps

    gray = ImageOps.grayscale(image)
    tries = (lambda g: g.reduce(2) if min(g.size) >= 1200 else g,
             lambda g: g,
             lambda g: g.point(lambda v: 255 if v > 150 else 0),
             lambda g: ImageOps.autocontrast(g).point(lambda v: 255 if v > 110 else 0))
    for t in tries:
        found = [r.text for r in zxingcpp.read_barcodes(t(gray), formats=zxingcpp.BarcodeFormat.QRCode) if r.text]
        if found:
            return found
    return []
