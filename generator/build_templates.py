"""Builds the four built-in templates (内置模板) under ``templates/`` with python-docx.

Run ``python -m generator.build_templates`` after changing this file; a test checks that the
committed .docx files equal a fresh build. Building by script instead of editing in Word keeps
every ``{{ placeholder }}`` in one run and the GB/T 9704 geometry reviewable in one place.

Variables the renderer supplies besides the manifest fields: ``org_name``, ``org_mark``,
``mark_size`` (1–4, picks a size that fits 156 mm), ``doc_no``, ``date_cn``, ``print_date_cn``,
``serial``, ``body``/``attachments`` as parsed blocks, ``attach_lines``, ``pad_lines``/``pad_mm``
(padding that puts the 版记 on the bottom edge of the 版心, measured from a first PDF pass).
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import docx
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.shared import Mm, Twips

from generator.ooxml import (CHAR, CHAR4, FANGSONG, HEITI, KAITI, LATIN, LINE, MARGIN_BOTTOM, MARGIN_LEFT,
                             MARGIN_RIGHT, MARGIN_TOP, NSDECL, PAGE_H, PAGE_W, RED, SZ2, SZ3, SZ4, TEXT_W, XBS,
                             bottom_border, double_rule, empty_lines, page_number_para, para, ppr, rpr,
                             run, tag_para)

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
FIXED_TIME = datetime(2022, 1, 1)

# 发文机关标志 sizes: (points, horizontal scale %) chosen by the renderer from the mark's length.
MARK_SIZES = {1: (42, 100), 2: (36, 100), 3: (36, 80), 4: (36, 62)}
FOOTER_GAP = 227  # 4 mm under the page number, so the 信函 bottom double line can sit 20 mm from the edge
JOINT_LIFT = 108  # 1.9 mm, measured: the stacked names' glyph top sits lower in their table cell
MARK_LINE = 900  # exact line height of the mark paragraph (45 pt)
MARK_TOP = 1984 + 110  # mark line top below the 版心 top; calibrated so the glyph top lands at 35 mm (72 mm from the paper top)
LETTER_HEADER_DISTANCE = 1701 + 118  # 30 mm from the paper top to the mark, calibrated the same way


def _block_chain(keep_next: bool) -> list[str]:
    p = ppr(first=2 * CHAR, keep_next=keep_next)
    return [
        tag_para("{%p if b.level == 1 %}"),
        para(p, run("{{ b.head }}", rpr(HEITI), raw=True), run("{{ b.rest }}", rpr(), raw=True)),
        tag_para("{%p elif b.level == 2 %}"),
        para(p, run("{{ b.head }}", rpr(KAITI), raw=True), run("{{ b.rest }}", rpr(), raw=True)),
        tag_para("{%p else %}"),
        para(p, run("{{ b.head }}{{ b.rest }}", rpr(), raw=True)),
        tag_para("{%p endif %}"),
    ]


def body_paras(var: str, keep_last: bool = False) -> list[str]:
    """正文 blocks: four heading levels (黑体 / 楷体 / 仿宋 / 仿宋) and ordinary paragraphs, indented two characters.

    ``keep_last``: the body is followed by the 署名 and 成文日期, so a block may be kept with them
    (``b.keep``) or be the two parts of a paragraph split at a page end (``b.spread`` / ``b.cont``,
    set by generator.fill after measuring the first PDF): only the last lines of the 正文 go to the
    署名's page, never the whole text (GB/T 9704 §7.3.5.5)."""
    if not keep_last:
        return [tag_para(f"{{%p for b in {var} %}}"), *_block_chain(False), tag_para("{%p endfor %}")]
    return [tag_para(f"{{%p for b in {var} %}}"),
            tag_para("{%p if b.cont %}"),
            para(ppr(first=0, keep_next=True), run("{{ b.head }}{{ b.rest }}", rpr(), raw=True)),
            tag_para("{%p elif b.spread %}"),
            para(ppr(first=2 * CHAR, jc="distribute"), run("{{ b.head }}{{ b.rest }}", rpr(), raw=True)),
            tag_para("{%p elif b.keep %}"), *_block_chain(True),
            tag_para("{%p else %}"), *_block_chain(False), tag_para("{%p endif %}"), tag_para("{%p endfor %}")]


def mark_paras(jc: str = "center", in_body: bool = True) -> list[str]:
    # In the body the joint-issuing table sits JOINT_LIFT higher than a single mark (its glyphs start lower).
    out = [para(ppr(line=JOINT_LIFT))] if in_body else []
    out.append(tag_para("{%p if mark_size == 1 %}"))
    for i, (pt, scale) in MARK_SIZES.items():
        if i > 1:
            out.append(tag_para(f"{{%p elif mark_size == {i} %}}"))
        pp = ppr(jc=jc, line=MARK_LINE)
        out.append(para(pp, run("{{ org_mark }}", rpr(XBS, pt * 2, color=RED, scale=scale, spacing=0), raw=True)))
    out.append(tag_para("{%p endif %}"))
    return out


def joint_mark() -> list[str]:
    """联合行文: the organ names stacked, "文件" beside them, vertically centred (GB/T 9704 §7.2.4)."""
    name_rpr = rpr(XBS, 60, color=RED, spacing=0)
    cell_p = ppr(jc="distribute", line=240, rule="auto")
    left = (f'<w:tc><w:tcPr><w:tcW w:w="6400" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'
            f'{tag_para("{%p for o in joint_orgs %}")}'
            f'{para(cell_p, run("{{ o }}", name_rpr, raw=True))}{tag_para("{%p endfor %}")}</w:tc>')
    right = (f'<w:tc><w:tcPr><w:tcW w:w="2444" w:type="dxa"/><w:vAlign w:val="center"/></w:tcPr>'
             f'{para(ppr(jc="distribute", line=240, rule="auto", left=200), run("文件", rpr(XBS, 84, color=RED, spacing=0)))}</w:tc>')
    tbl = (f'<w:tbl {NSDECL}><w:tblPr><w:tblW w:w="{TEXT_W}" w:type="dxa"/><w:jc w:val="center"/>'
           '<w:tblBorders><w:top w:val="nil"/><w:left w:val="nil"/><w:bottom w:val="nil"/><w:right w:val="nil"/>'
           '<w:insideH w:val="nil"/><w:insideV w:val="nil"/></w:tblBorders>'
           '<w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="0" w:type="dxa"/><w:right w:w="0" w:type="dxa"/>'
           '</w:tblCellMar></w:tblPr><w:tblGrid><w:gridCol w:w="6400"/><w:gridCol w:w="2444"/></w:tblGrid>'
           f'<w:tr>{left}{right}</w:tr></w:tbl>')
    return [tbl]


def head_paras() -> list[str]:
    """份号 / 密级和保密期限 / 紧急程度 top-left, one per line, then spacing so the mark's top edge is
    35 mm below the 版心 top whichever of them are present (``head_lines`` of them, 0–3)."""
    out = []
    for var, font in (("copy_no", FANGSONG), ("secrecy", HEITI), ("urgency", HEITI)):
        out += [tag_para(f"{{%p if {var} %}}"), para(ppr(jc="left"), run(f"{{{{ {var} }}}}", rpr(font), raw=True)),
                tag_para("{%p endif %}")]
    return [*out, tag_para("{%p for _ in range(3 - head_lines) %}"), *empty_lines(1), tag_para("{%p endfor %}"),
            para(ppr(line=MARK_TOP - 3 * LINE - JOINT_LIFT))]


def doc_no_paras() -> list[str]:
    """发文字号 with the red separator 4 mm below it; 上行文 puts 签发人 on the same line at the right."""
    sep = bottom_border()
    tabs = f'<w:tabs><w:tab w:val="right" w:pos="{TEXT_W - CHAR}"/></w:tabs>'
    return [
        tag_para("{%p if signer %}"),
        para(ppr(jc="left", border=sep, tabs=tabs), run("\u3000{{ doc_no }}", rpr(), raw=True),
             "<w:r><w:tab/></w:r>", run("签发人：", rpr()), run("{{ signer }}", rpr(KAITI), raw=True)),
        tag_para("{%p else %}"),
        para(ppr(jc="center", border=sep), run("{{ doc_no }}", rpr(), raw=True)),
        tag_para("{%p endif %}"),
    ]


def title_paras(var: str = "title") -> list[str]:
    """The 2号 title, one centred paragraph per line as generator.title broke it (梯形/菱形, at words)."""
    return [tag_para(f"{{%p for line in {var}.lines %}}"),
            para(ppr(jc="center", line=LINE), run("{{ line }}", rpr(XBS, SZ2), raw=True)),
            tag_para("{%p endfor %}")]


def recipients_para() -> list[str]:
    return [tag_para("{%p if recipients %}"), para(ppr(), run("{{ recipients }}", rpr(), raw=True)),
            tag_para("{%p endif %}")]


def attach_note() -> list[str]:
    return [tag_para("{%p if attach_lines %}"), para(ppr(keep_next=True)),
            tag_para("{%p for line in attach_lines %}"),
            para(ppr(first=2 * CHAR, keep_next=True), run("{{ line }}", rpr(), raw=True)),
            tag_para("{%p endfor %}"), tag_para("{%p endif %}")]


def signature_paras(with_note: bool = True) -> list[str]:
    """不加盖印章 (§7.3.5.2): 署名 and 成文日期 right-aligned, the date two characters further right."""
    out = [para(ppr(keep_next=True)),
           para(ppr(jc="right", right=4 * CHAR, keep_next=True), run("{{ signature }}", rpr(), raw=True)),
           para(ppr(jc="right", right=2 * CHAR), run("{{ date_cn }}", rpr(), raw=True))]
    if with_note:
        out += [tag_para("{%p if note %}"), para(ppr(first=2 * CHAR), run("{{ note }}", rpr(), raw=True)),
                tag_para("{%p endif %}")]
    return out


def attachment_pages() -> list[str]:
    """附件: each on a new page, "附件N" in 黑体 top left, its title centred on the third line."""
    return [tag_para("{%p for a in attachments %}"),
            para(ppr(page_break=True), run("{{ a.label }}", rpr(HEITI), raw=True)),
            *empty_lines(1),
            *title_paras("a.title"),
            *empty_lines(1),
            *body_paras("a.blocks"),
            tag_para("{%p endfor %}")]


def padding() -> list[str]:
    return [tag_para("{%p for _ in range(pad_lines) %}"), *empty_lines(1), tag_para("{%p endfor %}"),
            tag_para("{%p for _ in range(pad_mm) %}"), *empty_lines(1, line=28), tag_para("{%p endfor %}")]


def banji_table(with_print_line: bool = True) -> list[str]:
    """版记: 抄送 and 印发 rows in 4号仿宋 between black rules, first and last 0.35 mm, middle 0.25 mm."""
    cell_w = TEXT_W
    p4 = ppr(left=CHAR4, right=CHAR4, line=LINE, first=0)
    r4 = rpr(FANGSONG, SZ4)

    def row(*paragraphs: str) -> str:
        return (f'<w:tr><w:trPr><w:cantSplit/></w:trPr><w:tc><w:tcPr><w:tcW w:w="{cell_w}" w:type="dxa"/></w:tcPr>'
                + "".join(paragraphs) + "</w:tc></w:tr>")

    tabs = f'<w:tabs><w:tab w:val="right" w:pos="{cell_w - CHAR4}"/></w:tabs>'
    rows = [row(tag_para("{%tr if cc %}")),
            row(para(p4, run("抄送：{{ cc }}", r4, raw=True))),
            row(tag_para("{%tr endif %}"))]
    if with_print_line:
        rows.append(row(para(ppr(left=CHAR4, right=CHAR4, first=0, tabs=tabs), run("{{ printer }}", r4, raw=True),
                             f"<w:r>{r4}<w:tab/></w:r>", run("{{ print_date_cn }}印发", r4, raw=True))))
        borders = ('<w:top w:val="single" w:sz="8" w:space="0" w:color="000000"/><w:left w:val="nil"/>'
                   '<w:bottom w:val="single" w:sz="8" w:space="0" w:color="000000"/><w:right w:val="nil"/>'
                   '<w:insideH w:val="single" w:sz="6" w:space="0" w:color="000000"/><w:insideV w:val="nil"/>')
    else:
        borders = ('<w:top w:val="nil"/><w:left w:val="nil"/><w:bottom w:val="nil"/><w:right w:val="nil"/>'
                   '<w:insideH w:val="nil"/><w:insideV w:val="nil"/>')
    tbl = (f'<w:tbl {NSDECL}><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="{cell_w}" w:type="dxa"/>'
           f'<w:jc w:val="center"/><w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/>'
           '<w:tblCellMar><w:left w:w="0" w:type="dxa"/><w:right w:w="0" w:type="dxa"/></w:tblCellMar>'
           '<w:tblLook w:val="0000"/></w:tblPr>'
           f'<w:tblGrid><w:gridCol w:w="{cell_w}"/></w:tblGrid>{"".join(rows)}</w:tbl>')
    # A body must end with a paragraph (LibreOffice drops a final table); keep it tiny so it never spills.
    return [*padding(), tbl, para(ppr(line=20), f'<w:r>{rpr(sz=2)}</w:r>')]


# -- the four templates --------------------------------------------------------------------------------


def notice() -> list[str]:
    return [*head_paras(),
            tag_para("{%p if joint_orgs %}"), *joint_mark(), tag_para("{%p else %}"), *mark_paras(),
            tag_para("{%p endif %}"), *empty_lines(2), *doc_no_paras(), *empty_lines(2), *title_paras(), *empty_lines(1), *recipients_para(),
            *body_paras("body", keep_last=True), *attach_note(), *signature_paras(), *attachment_pages(),
            *banji_table()]


def rectification_notice() -> list[str]:
    heading = lambda text: para(ppr(first=2 * CHAR), run(text, rpr(HEITI)))
    body = lambda text: para(ppr(first=2 * CHAR), run(text, rpr(), raw=True))
    closing = lambda text: para(ppr(first=2 * CHAR, keep_next=True), run(text, rpr(), raw=True))
    return [*head_paras(), *mark_paras(), *empty_lines(2), *doc_no_paras(), *empty_lines(2), *title_paras(), *empty_lines(1), *recipients_para(),
            *body_paras("body"),
            heading("一、存在的问题"),
            tag_para("{%p for p in problems %}"), body("{{ loop.index }}．{{ p }}"), tag_para("{%p endfor %}"),
            heading("二、整改要求"), *body_paras("requirements"),
            heading("三、整改时限和报送方式"),
            closing("请于{{ deadline_cn }}前完成整改，并将整改情况书面报告{{ report_to }}。"),
            tag_para("{%p if follows %}"), closing("本通知依据{{ follows }}作出。"), tag_para("{%p endif %}"),
            *signature_paras(), *banji_table()]


def supervision_letter() -> list[str]:
    heading = lambda text: para(ppr(first=2 * CHAR), run(text, rpr(HEITI)))
    body = lambda text: para(ppr(first=2 * CHAR), run(text, rpr(), raw=True))
    closing = lambda text: para(ppr(first=2 * CHAR, keep_next=True), run(text, rpr(), raw=True))
    return [para(ppr(jc="right", before=280), run("{{ doc_no }}", rpr(), raw=True)),
            *empty_lines(2), *title_paras(), *empty_lines(1), *recipients_para(), *body_paras("body"),
            heading("一、发现的问题"),
            tag_para("{%p for p in problems %}"), body("{{ loop.index }}．{{ p }}"), tag_para("{%p endfor %}"),
            heading("二、督办事项"), *body_paras("requirements"),
            heading("三、办理时限"),
            closing("请于{{ deadline_cn }}前将办理情况书面报送{{ report_to }}。"),
            tag_para("{%p if contact %}"), closing("联系人：{{ contact }}"), tag_para("{%p endif %}"),
            *signature_paras(with_note=False), *banji_table(with_print_line=False)]


def pledge() -> list[str]:
    body = lambda text: para(ppr(first=2 * CHAR), run(text, rpr(), raw=True))
    # c.spacing: a clause whose last line would hold one character is set a little tighter (generator.lines)
    clause = lambda text: para(ppr(first=2 * CHAR), run(text, rpr(spacing="{{ c.spacing or -5 }}"), raw=True))
    line = lambda label, var: para(ppr(left=12 * CHAR), run(label, rpr()), run(var, rpr(), raw=True))
    # A campaign's pledge carries its code (generator.qrslot) in the top margin, right above the 编号 line.
    return [para(ppr(jc="right"), run("{%r if campaign %}", raw=True), qr_anchor(), run("{%r endif %}", raw=True),
                 run("编号：", rpr()), run("{{ serial }}", rpr(), raw=True)),
            *empty_lines(1), *title_paras(), *empty_lines(1),
            *body_paras("body"),
            tag_para("{%p for c in clauses %}"), clause("{{ loop.index }}．{{ c }}"), tag_para("{%p endfor %}"),
            *empty_lines(2),
            line("承诺人：", "{{ name }}"), line("学　校：", "{{ school }}"), line("任教学科：", "{{ subject }}"),
            line("签　字：", "______________"), line("日　期：", "{{ date_cn }}")]


def qr_anchor() -> str:
    """The pledge's code picture: floating in the top margin (so the text does not move), right-aligned
    to the 版心, its bottom 3 mm above the 编号 line; the image is a placeholder until rendered."""
    from generator.qrslot import SIZE_MM, SLOT_NAME

    emu = SIZE_MM * 36000
    ns = ('xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
          'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
          'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture" '
          'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
    return (f'<w:r><w:drawing {ns}><wp:anchor distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="1" '
            'behindDoc="0" locked="1" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
            '<wp:positionH relativeFrom="margin"><wp:align>right</wp:align></wp:positionH>'
            f'<wp:positionV relativeFrom="page"><wp:posOffset>{(37 - 3 - SIZE_MM) * 36000}</wp:posOffset></wp:positionV>'
            f'<wp:extent cx="{emu}" cy="{emu}"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>'
            f'<wp:docPr id="900" name="{SLOT_NAME}" descr="承诺书二维码"/><wp:cNvGraphicFramePr/>'
            '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic>'
            f'<pic:nvPicPr><pic:cNvPr id="900" name="{SLOT_NAME}.png"/><pic:cNvPicPr/></pic:nvPicPr>'
            '<pic:blipFill><a:blip r:embed="__QR_RID__"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
            f'<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{emu}" cy="{emu}"/></a:xfrm>'
            '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic>'
            '</wp:anchor></w:drawing></w:r>')


# -- document scaffolding ----------------------------------------------------------------------------------


# 标点不悬挂. LibreOffice hangs a full line's 29th mark (，、。) past the right edge of the 版心, and in a
# justified line (jc=both, every 正文 paragraph) it then does not paint it at all: the PDF loses it.
# Its DOCX import reads w:overflowPunct inverted (DomainMapper: IS_HANGING_PUNCTUATION = value == 0, and
# hanging is its default when the element is absent), so "1" is what switches hanging off there: the
# mark's preceding character moves down with it (避头) and the line is justified without it. Word and
# WPS read "1" as their own default (allow overflow), so the .docx looks as before in them.
NO_HANGING = '<w:overflowPunct w:val="1"/>'


def _set_defaults(d: docx.document.Document) -> None:
    """docDefaults and Normal: 3号仿宋, exact 579 lines, no theme fonts, zh-CN, no space after."""
    styles = d.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    defaults.getparent().replace(defaults, parse_xml(
        f'<w:docDefaults {NSDECL}><w:rPrDefault><w:rPr>'
        f'<w:rFonts w:ascii="{LATIN}" w:hAnsi="{LATIN}" w:eastAsia="{FANGSONG}" w:cs="{LATIN}"/>'
        f'<w:sz w:val="{SZ3}"/><w:szCs w:val="{SZ3}"/><w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/>'
        f'</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr>{NO_HANGING}'
        f'<w:spacing w:after="0" w:line="{LINE}" w:lineRule="exact"/></w:pPr></w:pPrDefault></w:docDefaults>'))
    normal = d.styles["Normal"].element
    for child in list(normal):
        if child.tag in (qn("w:pPr"), qn("w:rPr")):
            normal.remove(child)
    normal.append(parse_xml(f'<w:pPr {NSDECL}><w:widowControl w:val="0"/>{NO_HANGING}<w:adjustRightInd w:val="0"/>'
                            f'<w:snapToGrid w:val="0"/><w:spacing w:after="0" w:line="{LINE}" w:lineRule="exact"/>'
                            f'<w:jc w:val="both"/></w:pPr>'))
    normal.append(parse_xml(
        f'<w:rPr {NSDECL}><w:rFonts w:ascii="{LATIN}" w:hAnsi="{LATIN}" w:eastAsia="{FANGSONG}" w:cs="{LATIN}"/>'
        f'<w:spacing w:val="-5"/><w:kern w:val="0"/><w:sz w:val="{SZ3}"/><w:szCs w:val="{SZ3}"/></w:rPr>'))


def _page(section, *, letter: bool) -> None:
    section.page_width, section.page_height = Twips(PAGE_W), Twips(PAGE_H)
    section.top_margin, section.bottom_margin = Twips(MARGIN_TOP), Twips(MARGIN_BOTTOM)
    section.left_margin, section.right_margin = Twips(MARGIN_LEFT), Twips(MARGIN_RIGHT)
    section.header_distance = Twips(LETTER_HEADER_DISTANCE) if letter else Mm(15)
    section.footer_distance = Mm(20)  # the page number sits 4 mm above the footer bottom: dash 7 mm below the 版心
    grid = section._sectPr.find(qn("w:docGrid"))
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE))


def _fill(part_el, paragraphs: list[str]) -> None:
    for child in list(part_el):
        part_el.remove(child)
    for p in paragraphs:
        part_el.append(parse_xml(p))


def build(name: str) -> bytes:
    """The template's .docx bytes; deterministic (fixed timestamps) so the committed file can be compared."""
    d = docx.Document()
    _set_defaults(d)
    letter = name == "supervision_letter"
    section = d.sections[0]
    _page(section, letter=letter)
    body = d.element.body
    sect = body.find(qn("w:sectPr"))
    for child in list(body):
        if child is not sect:
            body.remove(child)
    rid = ""
    if name == "pledge":  # the code picture's part (generator.qrslot fills it when a pledge is rendered)
        from generator.qrslot import placeholder_png

        rid = d.part.get_or_add_image(io.BytesIO(placeholder_png()))[0]
    for xml in BUILDERS[name]():
        sect.addprevious(parse_xml(xml.replace("__QR_RID__", rid)))
    d.settings.odd_and_even_pages_header_footer = True
    _fill(section.footer._element, [page_number_para("right"), para(ppr(line=FOOTER_GAP))])
    _fill(section.even_page_footer._element, [page_number_para("left"), para(ppr(line=FOOTER_GAP))])
    _fill(section.header._element, [para(ppr(line=None))])
    _fill(section.even_page_header._element, [para(ppr(line=None))])
    if name == "pledge":
        # A one-page form carries no "— 1 —"; a longer one is numbered from page 2 on.
        section.different_first_page_header_footer = True
        _fill(section.first_page_header._element, [para(ppr(line=None))])
        _fill(section.first_page_footer._element, [para(ppr(line=None))])
    if letter:
        # 信函格式 §10.1: the mark and both red double lines live on page 1 only; page 1 has no number.
        section.different_first_page_header_footer = True
        _fill(section.first_page_header._element,
              [*mark_paras(in_body=False), para(ppr(line=34)), double_rule(12, 6)])
        _fill(section.first_page_footer._element, [double_rule(6, 12)])
    cp = d.core_properties
    cp.created = cp.modified = FIXED_TIME
    cp.last_printed = FIXED_TIME
    cp.author = cp.last_modified_by = "wenshu"
    cp.revision = 1
    cp.title = name
    buf = io.BytesIO()
    d.save(buf)
    return _normalise_zip(buf.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Same entries in the same order with a fixed timestamp, so two builds are byte-identical."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=(2022, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, src.read(info.filename))
    return out.getvalue()


BUILDERS = {
    "notice": notice,
    "supervision_letter": supervision_letter,
    "rectification_notice": rectification_notice,
    "pledge": pledge,
}


def main() -> None:
    for name in BUILDERS:
        path = TEMPLATES_DIR / f"{name}.docx"
        path.write_bytes(build(name))
        print(f"已生成 {path}")


if __name__ == "__main__":
    main()
