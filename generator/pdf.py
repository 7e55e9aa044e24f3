"""PDF output through LibreOffice headless (版式文件), and the measurements taken from it.

One LibreOffice start converts a whole list of files (start-up is most of the cost); every
converting process gets its own user profile so parallel conversions never collide; a
project-owned fontconfig file maps the official font names to free substitutes. The page
count (页数) that the archive records is read from the PDF, not guessed from the .docx.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from archive.errors import WenshuError

FONTS_CONF = Path(__file__).with_name("fonts.conf")
INSTALL_HINT = ("未找到 LibreOffice（soffice），只生成了 .docx。需要 PDF 时请安装："
                "sudo apt-get install libreoffice-writer-nogui fonts-noto-cjk texlive-lang-chinese fonts-liberation2")
MM = 72 / 25.4  # PDF points per millimetre


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def available() -> bool:
    return soffice() is not None


FILES_PER_START = 200  # LibreOffice reads at most 253 command-line arguments: the rest are silently dropped


def convert(docx_files: list[Path], out_dir: Path, timeout: float = 600) -> list[Path]:
    """Convert many .docx files with as few LibreOffice starts as it takes (one per ``FILES_PER_START``
    files, one profile); returns the PDF paths in the same order. ``timeout`` is per start."""
    exe = soffice()
    if exe is None:
        raise WenshuError(INSTALL_HINT)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not docx_files:
        return []
    env = dict(os.environ, FONTCONFIG_FILE=str(FONTS_CONF), SAL_USE_VCLPLUGIN="svp")
    detail = ""
    with tempfile.TemporaryDirectory(prefix="wenshu-lo-") as profile:
        for at in range(0, len(docx_files), FILES_PER_START):
            cmd = [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", "--nolockcheck",
                   "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(out_dir),
                   *map(str, docx_files[at:at + FILES_PER_START])]
            try:
                proc = subprocess.run(cmd, env=env, capture_output=True, timeout=timeout, text=True)
            except subprocess.TimeoutExpired:
                raise WenshuError(f"LibreOffice 转换 PDF 超时（{timeout:g} 秒），未生成 PDF。") from None
            detail = detail or (proc.stderr or proc.stdout).strip()[-300:]
    pdfs = [out_dir / (Path(f).stem + ".pdf") for f in docx_files]
    missing = [p.name for p in pdfs if not p.exists()]
    if missing:
        raise WenshuError(f"LibreOffice 未能转换 {len(missing)} 个文件：{'、'.join(missing[:5])}。{detail}")
    return pdfs


def page_count(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(pdf)).pages)


def banji_gap_mm(pdf: Path) -> float | None:
    """Distance from the 版记's last rule to the bottom edge of the 版心 on the last page (mm), or None.

    The last rule is the lowest black horizontal line at least 150 mm long; the 版心 bottom is
    35 mm above the paper edge (GB/T 9704 §5.2.1).
    """
    import pdfplumber

    with pdfplumber.open(str(pdf)) as doc:
        page = doc.pages[-1]
        rules = [y for y, w in _black_rules(page) if w >= 150]
        if rules:
            return (297 - 35) - max(rules)
        # 信函格式: a 版记 without rules — its 抄送 line goes to the bottom of the 版心 instead.
        text = page.extract_words()
        cc = [w for w in text if w["text"].startswith("抄送")]
        if not cc:
            return None
        line_bottom = cc[-1]["bottom"] / MM + 6.2  # glyph bottom → where LibreOffice ends the 4号 table row (measured)
        return (297 - 35) - line_bottom


def _black_rules(page) -> list[tuple[float, float]]:
    """(y in mm from the top, length in mm) of dark horizontal strokes: lines and thin filled rects."""
    out = []
    for obj in list(page.lines) + list(page.rects):
        color = obj.get("stroking_color") if obj["object_type"] == "line" else obj.get("non_stroking_color")
        if obj["object_type"] == "rect" and obj["height"] > 1.5:
            continue
        if not _is_dark(color):
            continue
        y = (obj["top"] + obj["bottom"]) / 2 / MM
        out.append((y, (obj["x1"] - obj["x0"]) / MM))
    return out


def _is_dark(color) -> bool:
    if color is None:
        return True
    vals = list(color) if isinstance(color, (list, tuple)) else [color]
    if len(vals) == 1:
        return vals[0] < 0.3
    if len(vals) == 3:
        return max(vals) < 0.3
    if len(vals) == 4:
        return vals[3] > 0.7
    return False
