"""Page fill (版面调整) between the first PDF pass and the final one.

The 正文 must start on page 1 whenever there is room, and the 署名 and 成文日期 must not stand on a
page without 正文 (GB/T 9704 §7.3.5.5). Keeping the whole last paragraph with the 署名 does the
second but breaks the first: LibreOffice moves a "keep with next" paragraph whole, so a short
notice's 正文 left page 1 half empty. So the first pass keeps only a one- or two-line last
paragraph with the 署名; when the PDF shows the 署名 alone on its page, the last paragraph is split
where the page ended, two lines before its end, and only those lines go to the 署名's page.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from generator.body import Block

MOVE_LINES = 2  # lines of the 正文 that go with the 署名 when it would stand alone
_DATE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$")
_FOOTER = re.compile(r"^—\s*\d+\s*—$")


@lru_cache(maxsize=32)
def _splits_body(docx: str) -> bool:
    """Whether the template can split its 正文's last paragraph (build_templates.body_paras keep_last)."""
    with zipfile.ZipFile(docx) as z:
        return "b.cont" in z.read("word/document.xml").decode("utf-8")


def page_lines(pdf: Path) -> list[list[str]]:
    """Each page's text lines, without the page number."""
    import pdfplumber

    with pdfplumber.open(str(pdf)) as doc:
        return [[ln.strip() for ln in (page.extract_text() or "").splitlines()
                 if ln.strip() and not _FOOTER.match(ln.strip())] for page in doc.pages]


def signature_alone(pages: list[list[str]]) -> int | None:
    """Index of the page where the 成文日期 stands with nothing above it but the 署名 and the 附件说明."""
    for n, lines in enumerate(pages):
        for i, line in enumerate(lines):
            if _DATE.match(line):
                above = [x for x in lines[:max(0, i - 1)] if not re.match(r"^(附件|\d+[．.])", x)]
                return n if not above else None
    return None


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _cut(text: str, tail: int) -> int:
    """Index in ``text`` before its last ``tail`` non-space characters."""
    count = 0
    for i in range(len(text) - 1, -1, -1):
        if not text[i].isspace():
            count += 1
            if count == tail:
                return i
    return 0


def tail_blocks(blocks: list[Block], before_page: list[str]) -> list[Block]:
    """The 正文 blocks with the last paragraph's last lines moved to the 署名's page.

    ``before_page`` is the text of the page the last paragraph ended on in the first pass. Two
    lines move when the paragraph has four or more there, else one, so neither page is left with
    a single line of it where it could have two."""
    last = blocks[-1]
    text = _squeeze(last.text)
    lines = 0
    while lines < len(before_page) and text.endswith(_squeeze("".join(before_page[-lines - 1:]))):
        lines += 1
    move = MOVE_LINES if lines >= 4 else 1
    if last.level in (0, 3, 4) and lines >= 2:
        cut = _cut(last.text, len(_squeeze("".join(before_page[-move:]))))
        return [*blocks[:-1], Block(last.level, "", last.text[:cut], spread=True),
                Block(last.level, "", last.text[cut:], cont=True)]
    return [*blocks[:-1], replace(last, keep=True)]


def keep_tail(template, ctx: dict, docx: Path, pdf: Path, render, convert) -> tuple[dict, Path]:
    """After the first pass: if the 署名 stands alone, move the last lines of the 正文 to it and render
    again. ``render(ctx)`` writes ``docx``; ``convert()`` returns the new PDF."""
    blocks = ctx.get("body")
    if not blocks or not isinstance(blocks[-1], Block) or not _splits_body(str(template.docx)):
        return ctx, pdf
    pages = page_lines(pdf)
    alone = signature_alone(pages)
    if not alone:  # None, or page 1 (nothing before it to move)
        return ctx, pdf
    ctx = dict(ctx, body=tail_blocks(list(blocks), pages[alone - 1]))
    render(ctx)
    return ctx, convert()
