"""Scans made from real text (issue 17): a corpus document set as a PDF the way a 公文 is printed
(仿宋-like CJK font, 三号 16 pt), its pages rendered with pdftoppm and made to look scanned with
PIL — a few degrees of rotation, blur, noise, a grey paper background, JPEG compression, and on
request an upside-down page or a phone photo's perspective. Used by tests/test_ocr.py and bench/ocr.py."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

SOFFICE_TIMEOUT = 300


def text_pdf(lines: list[str], out: Path, size_pt: int = 16) -> Path:
    """A PDF of these paragraphs, through python-docx and LibreOffice (as a clerk prints a .docx)."""
    import docx
    from docx.oxml.ns import qn
    from docx.shared import Pt

    out = Path(out)
    d = docx.Document()
    style = d.styles["Normal"]
    style.font.size = Pt(size_pt)
    style.font.name = "Noto Serif CJK SC"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Serif CJK SC")
    for line in lines:
        d.add_paragraph(line)
    src = out.with_suffix(".docx")
    d.save(src)
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    profile = (out.parent / ".lo-profile").resolve().as_uri()
    subprocess.run([exe, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to", "pdf",
                    "--outdir", str(out.parent), str(src)], check=True, capture_output=True, timeout=SOFFICE_TIMEOUT,
                   env={**os.environ, "HOME": str(out.parent)})
    produced = src.with_suffix(".pdf")
    if produced != out:
        produced.replace(out)
    src.unlink()
    return out


def render_pages(pdf: Path, out_dir: Path, dpi: int = 110, first: int = 1, last: int | None = None) -> list[Path]:
    """Grey page images of the PDF, one PNG a page (pdftoppm, poppler-utils)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    args = ["pdftoppm", "-r", str(dpi), "-gray", "-png", "-f", str(first)]
    if last:
        args += ["-l", str(last)]
    subprocess.run([*args, str(pdf), str(out_dir / "page")], check=True, capture_output=True, timeout=300)
    return sorted(out_dir.glob("page-*.png"))


def scanned(png: Path, seed: int = 0, *, angle: float | None = None, upside_down: bool = False,
            perspective: bool = False):
    """A PIL image of the page as a scanner or a phone would give it."""
    from PIL import Image, ImageFilter

    rnd = random.Random(seed)
    im = Image.open(png).convert("L")
    w, h = im.size
    if perspective:  # a phone held slightly off-square: the top edge narrower than the bottom
        d = w * 0.04
        coeffs = _perspective_coeffs([(d, 0), (w - d, 0), (w, h), (0, h)], [(0, 0), (w, 0), (w, h), (0, h)])
        im = im.transform((w, h), Image.PERSPECTIVE, coeffs, Image.BICUBIC, fillcolor=255)
    if angle is None:
        angle = rnd.uniform(2.0, 3.0) * rnd.choice((-1, 1))
    im = im.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
    if upside_down:
        im = im.rotate(180)
    im = im.filter(ImageFilter.GaussianBlur(0.6))
    paper = rnd.randint(215, 235)  # grey paper: white becomes this, ink stays dark
    im = im.point(lambda v: int(v * paper / 255))
    noise = Image.effect_noise(im.size, 40)
    im = Image.blend(im, noise, 0.07)
    return im


def scanned_pdf(lines: list[str], tmp: Path, name: str = "扫描件.pdf", pages: int | None = None) -> Path:
    """These paragraphs printed (text_pdf), every page made to look scanned, as one PDF of page
    images — what a scanner's "scan to PDF" gives. ``pages``: assert the print ran to that many."""
    tmp = Path(tmp)
    pdf = text_pdf(lines, tmp / f"印刷件-{Path(name).stem}.pdf")
    pngs = render_pages(pdf, tmp / f"png-{Path(name).stem}")
    assert pages is None or len(pngs) == pages, f"the print should run to {pages} pages, not {len(pngs)}"
    images = [scanned(p, seed=i).convert("RGB") for i, p in enumerate(pngs)]
    out = tmp / name
    images[0].save(out, "PDF", resolution=110, save_all=True, append_images=images[1:])
    return out


def scanned_jpeg(png: Path, out: Path, seed: int = 0, quality: int = 70, **kw) -> Path:
    scanned(png, seed, **kw).save(out, "JPEG", quality=quality)
    return Path(out)


def _perspective_coeffs(src, dst):
    """PIL's 8 PERSPECTIVE coefficients mapping output points ``dst`` to input points ``src``."""
    import numpy as np

    rows = []
    for (x, y), (u, v) in zip(dst, src):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(rows, dtype=float)
    b = np.array([c for p in src for c in p], dtype=float)
    return np.linalg.solve(a, b).tolist()
