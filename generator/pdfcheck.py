"""Measurements on the rendered PDF (版面实测) — what GB/T 9704 fixes in millimetres.

The .docx checker (layout.py) reads the settings; this module measures where LibreOffice
actually put things: the red mark's top edge, the red separator, text lines per page, the
page-number footers and the 版记's last rule. Tests and ``wenshu layout-check --pdf`` use it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from generator.pdf import MM, _black_rules

TEXT_TOP, TEXT_BOTTOM, TEXT_LEFT, TEXT_RIGHT = 37.0, 262.0, 28.0, 184.0


def _is_red(color) -> bool:
    if not color:
        return False
    c = list(color) if isinstance(color, (list, tuple)) else [color]
    if len(c) == 3:
        return c[0] > 0.75 and c[1] < 0.3 and c[2] < 0.3
    if len(c) == 4:  # CMYK
        return c[1] > 0.6 and c[2] > 0.6 and c[3] < 0.3
    return False


@dataclass
class PageFacts:
    number: int
    red_char_top: float | None = None  # mm from the paper top
    red_rules: list[tuple[float, float, float]] = field(default_factory=list)  # (y, x0, length) mm
    body_lines: int = 0  # lines of body-size text inside the 版心
    footer_text: str = ""
    footer_x0: float | None = None
    footer_x1: float | None = None
    footer_top: float | None = None
    black_rules: list[tuple[float, float]] = field(default_factory=list)  # (y, length) mm


def measure(pdf: Path) -> list[PageFacts]:
    import pdfplumber

    pages = []
    with pdfplumber.open(str(pdf)) as doc:
        for i, page in enumerate(doc.pages, 1):
            facts = PageFacts(i)
            red = [c for c in page.chars if _is_red(c.get("non_stroking_color")) and c["text"].strip()]
            if red:
                facts.red_char_top = min(c["top"] for c in red) / MM
            for obj in list(page.lines) + list(page.rects):
                color = obj.get("stroking_color") if obj["object_type"] == "line" else obj.get("non_stroking_color")
                if obj["object_type"] == "rect" and obj["height"] > 3:
                    continue
                if _is_red(color) or (obj["object_type"] == "rect" and _is_red(obj.get("stroking_color"))):
                    facts.red_rules.append(((obj["top"] + obj["bottom"]) / 2 / MM, obj["x0"] / MM,
                                            (obj["x1"] - obj["x0"]) / MM))
            # a stroke can come as both a line and a thin rect: keep one of each position
            facts.red_rules = sorted({tuple(round(v, 1) for v in r) for r in facts.red_rules})
            facts.black_rules = sorted({tuple(round(v, 1) for v in r) for r in _black_rules(page)})
            rows = defaultdict(list)
            for c in page.chars:
                if c["text"].strip():
                    rows[round(c["bottom"] / MM)].append(c)
            for y, chars in rows.items():
                if TEXT_TOP <= y <= TEXT_BOTTOM + 1 and any(14 <= c["size"] <= 17 for c in chars):
                    facts.body_lines += 1
                if y > TEXT_BOTTOM + 1:
                    chars.sort(key=lambda c: c["x0"])
                    text = "".join(c["text"] for c in chars)
                    if "—" in text:
                        facts.footer_text = text
                        facts.footer_x0 = chars[0]["x0"] / MM
                        facts.footer_x1 = chars[-1]["x1"] / MM
                        facts.footer_top = min(c["top"] for c in chars) / MM
            pages.append(facts)
    return pages


def separator(facts: PageFacts) -> tuple[float, float, float] | None:
    """The longest red rule on the page (y, x0, length)."""
    return max(facts.red_rules, key=lambda r: r[2]) if facts.red_rules else None


def docx_text(docx: Path) -> str:
    """The body's characters in reading order (paragraphs and table cells), without whitespace.

    Red runs are left out: the 发文机关标志 of a 联合行文 stands beside the stacked names, so its
    reading order on the page is not the order in the file (the mark rules check it instead)."""
    import zipfile

    from lxml import etree

    from generator.layout_check import W

    with zipfile.ZipFile(docx) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    out = []
    for r in root.iter(f"{W}r"):
        color = r.find(f"{W}rPr/{W}color")
        if color is not None and _is_red_hex(color.get(f"{W}val", "")):
            continue
        out.extend(t.text or "" for t in r.iter(f"{W}t"))
    return _squeeze("".join(out))


def pdf_text(pdf: Path) -> str:
    import pdfplumber

    with pdfplumber.open(str(pdf)) as doc:
        return _squeeze("".join(page.extract_text() or "" for page in doc.pages))


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _is_red_hex(value: str) -> bool:
    try:
        r, g, b = (int(value[i:i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return False
    return r >= 0xC0 and g <= 0x40 and b <= 0x40


@dataclass(frozen=True)
class Lost:
    """Characters of the .docx that the PDF does not have, with the text just before them."""

    before: str
    missing: str

    def __str__(self) -> str:
        return f"“{self.before}”之后的“{self.missing}”"


def lost_characters(docx: Path, pdf: Path) -> list[Lost]:
    """Every run of .docx characters missing from the PDF text, in order (漏字检查).

    The PDF may hold more (page numbers, a 信函 mark in the header); what a clerk wrote must all
    be there, in the same order."""
    import difflib

    a, b = docx_text(docx), pdf_text(pdf)
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return [Lost(a[max(0, i1 - 12):i1], a[i1:i2]) for op, i1, i2, _, _ in sm.get_opcodes() if op in ("delete", "replace")]


def check_pdf(pdf: Path, kind: str = "notice", docx: Path | None = None):
    """The measurable rules as deviations (same type as the .docx checker), for ``layout-check --pdf``;
    with ``docx`` (the file the PDF was made from) also every character it lost."""
    from generator.layout_check import Deviation

    pages = measure(pdf)
    out = []
    add = lambda where, msg: out.append(Deviation("pdf", where, msg))
    if docx is not None:
        lost = lost_characters(docx, pdf)
        if lost:
            total = sum(len(x.missing) for x in lost)
            add("全文", f"PDF 比 .docx 少了 {total} 个字符：" + "；".join(map(str, lost[:5]))
                + ("……" if len(lost) > 5 else "。"))
    char4 = 14 * 25.4 / 72
    if kind in ("notice", "letter") and pages:
        first, want = pages[0], 72.0 if kind == "notice" else 30.0
        if first.red_char_top is None:
            add("第 1 页", "没有红色的发文机关标志。")
        elif abs(first.red_char_top - want) > 1:
            add("第 1 页", f"发文机关标志上边缘应距纸张上边缘 {want:g} mm（±1），实测 {first.red_char_top:.1f} mm。")
        sep = separator(first)
        if kind == "notice" and (sep is None or abs(sep[2] - 156) > 1):
            add("第 1 页", "红色版头分隔线应与版心等宽（156 mm ±1）" + (f"，实测 {sep[2]:.1f} mm。" if sep else "，未找到。"))
        if kind == "letter":
            long_rules = [r for r in first.red_rules if abs(r[2] - 170) <= 1]
            if len([r for r in long_rules if r[0] < 150]) < 2 or len([r for r in long_rules if r[0] > 150]) < 2:
                add("第 1 页", "信函格式应有上下两组 170 mm 的红色双线。")
            elif abs(max(r[0] for r in long_rules) - 277) > 1:
                add("第 1 页", f"下方红色双线应距下页边 20 mm，实测 {297 - max(r[0] for r in long_rules):.1f} mm。")
    for p in pages:
        where = f"第 {p.number} 页"
        if p.body_lines > 22:
            add(where, f"每页应排 22 行，实测 {p.body_lines} 行。")
        if kind == "letter" and p.number == 1:
            if p.footer_text:
                add(where, "信函格式首页不显示页码。")
            continue
        if kind == "plain" and p.number == 1 and not p.footer_text:
            continue  # a form (承诺书) leaves its first page unnumbered: a one-page form carries no "— 1 —"
        if p.footer_text.replace(" ", "") != f"—{p.number}—":
            add(where, f"页码应为“— {p.number} —”，实测“{p.footer_text or '无'}”。")
            continue
        if p.number % 2 and abs(p.footer_x1 - (TEXT_RIGHT - char4)) > 1.5:
            add(where, "单页码应居右空一字。")
        if not p.number % 2 and abs(p.footer_x0 - (TEXT_LEFT + char4)) > 1.5:
            add(where, "双页码应居左空一字。")
        if abs(p.footer_top + char4 / 2 - (TEXT_BOTTOM + 7)) > 1.5:
            add(where, f"页码一字线应在版心下边缘之下 7 mm，实测 {p.footer_top + char4 / 2 - TEXT_BOTTOM:.1f} mm。")
    if kind in ("notice", "letter"):
        lone = _signature_alone(pdf)
        if lone:
            add(f"第 {lone} 页", "此页只有署名和成文日期，没有正文（GB/T 9704 §7.3.5.5），应调整使正文至少一行与署名同页。")
    if kind == "notice" and pages:
        rules = [y for y, length in pages[-1].black_rules if abs(length - 156) <= 1]
        if not rules:
            add(f"第 {pages[-1].number} 页", "最后一页没有找到版记分隔线。")
        elif abs(max(rules) - TEXT_BOTTOM) > 2:
            add(f"第 {pages[-1].number} 页", f"版记末条分隔线应与版心下边缘重合（±2 mm），实测相差 {TEXT_BOTTOM - max(rules):.1f} mm。")
    return out


def _signature_alone(pdf: Path) -> int | None:
    """The page number where the 成文日期 stands with nothing above it but the 署名, or None."""
    import re

    import pdfplumber

    date = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$")
    with pdfplumber.open(str(pdf)) as doc:
        for number, page in enumerate(doc.pages, 1):
            lines = [ln.strip() for ln in (page.extract_text() or "").splitlines() if ln.strip()]
            for i, line in enumerate(lines):
                if date.match(line):
                    return number if i <= 1 else None
    return None


def check_files(files: list[Path], kind: str | None = None) -> dict[Path, list]:
    """``layout-check --pdf``: each .docx checked, converted and measured against its own PDF.

    Files with the same name (two folders' 高教字〔2022〕8号.docx) go to different LibreOffice runs,
    so no PDF overwrites another's."""
    import tempfile

    from generator import pdf as pdfmod
    from generator.layout_check import check, guess_kind

    files = [Path(f) for f in files]
    results = {f: check(f, kind) for f in files}
    rounds: list[list[Path]] = []
    for f in files:
        target = next((r for r in rounds if all(g.stem != f.stem for g in r)), None)
        if target is None:
            rounds.append(target := [])
        target.append(f)
    with tempfile.TemporaryDirectory(prefix="wenshu-check-") as tmp:
        for n, group in enumerate(rounds):
            for f, pdf in zip(group, pdfmod.convert(group, Path(tmp) / str(n))):
                results[f] += check_pdf(pdf, kind or guess_kind(f), docx=f)
    return results
