"""WordprocessingML snippets for GB/T 9704 layout (版式), shared by the template builder and the checker.

The numbers come from DESIGN §5 and reference/gbt9704-layout.md §2; they live here once so the
builder writes what the checker expects. Snippets are XML strings: they are easier to review
against the standard than chains of python-docx calls, and python-docx has no API for frames,
paragraph borders or field runs anyway.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NSDECL = f'xmlns:w="{W_NS}"'

# Geometry in twips (1 mm = 56.69 twips).
PAGE_W, PAGE_H = 11906, 16838
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 2098, 1984, 1587, 1474
TEXT_W = PAGE_W - MARGIN_LEFT - MARGIN_RIGHT  # 8845 ≈ 156 mm 版心宽
LINE = 579  # 22 lines in the 225 mm 版心
CHAR = 320  # 一字 in 3号 text
CHAR4 = 280  # 一字 in 4号 text (版记, 页码)
RED = "FF0000"

# Official font names (kept in the .docx; substituted only when rendering a PDF).
FANGSONG, KAITI, HEITI, SONGTI, XBS = "仿宋_GB2312", "楷体_GB2312", "黑体", "宋体", "方正小标宋简体"
LATIN = "Times New Roman"
SZ3, SZ4, SZ2 = 32, 28, 44  # 3号, 4号, 2号 in half-points

FONT_ALIASES = {
    "fangsong": {FANGSONG, "仿宋", "FangSong", "FangSong_GB2312", "STFangsong", "华文仿宋", "FandolFang"},
    "kaiti": {KAITI, "楷体", "KaiTi", "KaiTi_GB2312", "STKaiti", "华文楷体", "FandolKai"},
    "heiti": {HEITI, "SimHei", "STHeiti", "FandolHei", "方正黑体简体", "方正黑体_GBK"},
    "xbs": {XBS, "方正小标宋_GBK", "方正小标宋", "FZXiaoBiaoSong-B05S", "小标宋"},
    "songti": {SONGTI, "SimSun", "FandolSong"},
}


def font_kind(name: str | None) -> str | None:
    for kind, names in FONT_ALIASES.items():
        if name in names:
            return kind
    return None


def rpr(east: str = FANGSONG, sz: int = SZ3, *, color: str | None = None, latin: str = LATIN,
        scale: int | None = None, spacing: int | None = None) -> str:
    """Run properties with every font slot set explicitly (theme fonts would win otherwise)."""
    parts = [f'<w:rFonts w:ascii="{latin}" w:hAnsi="{latin}" w:eastAsia="{east}" w:cs="{latin}" w:hint="eastAsia"/>']
    if color:
        parts.append(f'<w:color w:val="{color}"/>')
    if spacing is not None:
        parts.append(f'<w:spacing w:val="{spacing}"/>')
    if scale:
        parts.append(f'<w:w w:val="{scale}"/>')
    parts.append(f'<w:sz w:val="{sz}"/><w:szCs w:val="{sz}"/>')
    return "<w:rPr>" + "".join(parts) + "</w:rPr>"


def run(text: str, props: str = "", *, raw: bool = False) -> str:
    """One run; ``raw`` keeps Jinja tags like ``{{ x }}`` verbatim (they are escaped at render time)."""
    body = text if raw else escape(text)
    return f'<w:r>{props}<w:t xml:space="preserve">{body}</w:t></w:r>'


def ppr(*, jc: str | None = None, first: int | None = None, left: int | None = None,
        right: int | None = None, line: int | None = LINE, rule: str = "exact", before: int = 0,
        after: int = 0, frame: str = "", border: str = "", page_break: bool = False,
        keep_next: bool = False, tabs: str = "", style: str = "") -> str:
    """Paragraph properties in schema order (pStyle, keepNext, pageBreakBefore, framePr, pBdr, tabs, spacing, ind, jc)."""
    out = []
    if style:
        out.append(f'<w:pStyle w:val="{style}"/>')
    if keep_next:
        out.append("<w:keepNext/>")
    if page_break:
        out.append("<w:pageBreakBefore/>")
    out.append(frame)
    out.append(border)
    out.append(tabs)
    if line is not None:
        out.append(f'<w:spacing w:before="{before}" w:after="{after}" w:line="{line}" w:lineRule="{rule}"/>')
    ind = []
    if left is not None:
        ind.append(f'w:left="{left}"')
    if right is not None:
        ind.append(f'w:right="{right}"')
    if first is not None:
        ind.append(f'w:firstLine="{first}"' if first >= 0 else f'w:hanging="{-first}"')
        if first > 0 and first % CHAR == 0:
            ind.append(f'w:firstLineChars="{first // CHAR * 100}"')
    if ind:
        out.append("<w:ind " + " ".join(ind) + "/>")
    if jc:
        out.append(f'<w:jc w:val="{jc}"/>')
    return "<w:pPr>" + "".join(out) + "</w:pPr>"


def para(pprops: str, *runs: str) -> str:
    return f"<w:p {NSDECL}>{pprops}{''.join(runs)}</w:p>"


def tag_para(tag: str) -> str:
    """A paragraph holding only a docxtpl ``{%p … %}`` tag; docxtpl removes the whole paragraph."""
    return para(ppr(), run(tag, raw=True))


def empty_lines(n: int, line: int = LINE) -> list[str]:
    return [para(ppr(line=line)) for _ in range(n)]


def frame_pr(y: int, w: int = TEXT_W, anchor: str = "margin") -> str:
    return (f'<w:framePr w:w="{w}" w:hSpace="0" w:wrap="notBeside" w:vAnchor="{anchor}" '
            f'w:hAnchor="margin" w:xAlign="center" w:y="{y}"/>')


def bottom_border(color: str = RED, sz: int = 12, space: int = 4) -> str:
    return f'<w:pBdr><w:bottom w:val="single" w:sz="{sz}" w:space="{space}" w:color="{color}"/></w:pBdr>'


def double_rule(top_sz: int, bottom_sz: int, color: str = RED) -> str:
    """A red double line (信函格式) as top+bottom borders of one thin empty paragraph, 170 mm wide."""
    return para(
        ppr(line=40, left=-397, right=-397,
            border=(f'<w:pBdr><w:top w:val="single" w:sz="{top_sz}" w:space="0" w:color="{color}"/>'
                    f'<w:bottom w:val="single" w:sz="{bottom_sz}" w:space="0" w:color="{color}"/></w:pBdr>')),
        f'<w:r>{rpr(sz=2)}</w:r>')


def page_number_para(side: str) -> str:
    """"— N —" in 4号宋体, odd pages right / even pages left, one character in (GB/T 9704 §7.5)."""
    props = rpr(SONGTI, SZ4, latin=SONGTI)
    ind = f'w:right="{CHAR4}"' if side == "right" else f'w:left="{CHAR4}"'
    fld = "".join(f"<w:r>{props}{x}</w:r>" for x in (
        '<w:fldChar w:fldCharType="begin"/>', '<w:instrText xml:space="preserve"> PAGE </w:instrText>',
        '<w:fldChar w:fldCharType="separate"/>', "<w:t>1</w:t>", '<w:fldChar w:fldCharType="end"/>'))
    return (f'<w:p {NSDECL}><w:pPr><w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>'
            f'<w:ind {ind} w:firstLine="0"/><w:jc w:val="{side}"/></w:pPr>'
            f'{run("— ", props)}{fld}{run(" —", props)}</w:p>')


def cn_date(d) -> str:
    """成文日期 in Arabic numerals without padding: 2022年3月25日 (GB/T 9704 §7.3.5.4)."""
    return f"{d.year}年{d.month}月{d.day}日"
