"""The GB/T 9704 layout checker (版式检查): reads any .docx and lists each deviation from DESIGN §5.

It reads the settings a renderer obeys (page, margins, grid, fonts and sizes resolved through
styles, borders, footers), not pixels; ``generator.pdfcheck`` measures the rendered PDF. Each
deviation is a Chinese sentence with where it is, so a clerk can fix a document made elsewhere.
Placeholders (``{{ … }}``) and docxtpl tags are tolerated, so templates can be checked too.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from archive.docnumber import DocNumber
from archive.errors import WenshuError
from archive.ooxml import Package
from generator.body import level_of
from generator.ooxml import W_NS, font_kind

W = f"{{{W_NS}}}"
NUMBER_LIKE = re.compile(r"[^\s　]{1,12}[〔\[【（(［]\s*\d{2,4}\s*[〕\]】）)］]\s*第?\s*\d+\s*号?")
DATE_RE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")
KIND_LABEL = {"fangsong": "仿宋", "kaiti": "楷体", "heiti": "黑体", "xbs": "小标宋", "songti": "宋体"}
MM = 56.6929


@dataclass(frozen=True)
class Deviation:
    rule: str  # page / grid / font / size / mark / number / separator / indent / date / pagenum / banji / colour
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}：{self.message}"


def _w(el, name):
    return el.find(f"{W}{name}") if el is not None else None


def _val(el, attr="val"):
    return el.get(f"{W}{attr}") if el is not None else None


class _Doc:
    def __init__(self, path: Path):
        try:
            with Package(path) as pkg:
                if pkg.is_word_template():
                    raise WenshuError(f"{path.name} 是 Word 模板（.dotx），请另存为 .docx 后再检查。")
                self.doc = pkg.xml("word/document.xml")
                self.styles = pkg.xml("word/styles.xml", None)
                self.settings = pkg.xml("word/settings.xml", None)
                self.parts = {rid: pkg.xml(name) for rid, name in pkg.related("word/document.xml").items()
                              if ("header" in name or "footer" in name) and name in pkg}
        except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, FileNotFoundError) as e:
            raise WenshuError(f"{path.name} 不是可读的 Word 文档（.docx）：{e}") from None
        self.body = self.doc.find(f"{W}body")
        self.sect = self.body.find(f"{W}sectPr")
        self._style_cache: dict = {}

    # -- effective properties: run → paragraph style chain → Normal → docDefaults --------------

    def _style(self, sid):
        if self.styles is None or not sid:
            return None
        for s in self.styles.findall(f"{W}style"):
            if s.get(f"{W}styleId") == sid:
                return s
        return None

    def _style_chain(self, sid):
        chain, seen = [], set()
        while sid and sid not in seen:
            seen.add(sid)
            s = self._style(sid)
            if s is None:
                break
            chain.append(s)
            sid = _val(_w(s, "basedOn"))
        return chain

    def _defaults(self):
        dd = _w(self.styles, "docDefaults") if self.styles is not None else None
        return _w(_w(dd, "rPrDefault"), "rPr"), _w(_w(dd, "pPrDefault"), "pPr")

    def run_prop(self, p, r, getter):
        sources = [_w(r, "rPr")]
        rstyle = _val(_w(_w(r, "rPr"), "rStyle"))
        sources += [_w(s, "rPr") for s in self._style_chain(rstyle)]
        pstyle = _val(_w(_w(p, "pPr"), "pStyle"))
        if not pstyle and self.styles is not None:
            pstyle = next((s.get(f"{W}styleId") for s in self.styles.findall(f"{W}style")
                           if s.get(f"{W}type") == "paragraph" and s.get(f"{W}default") == "1"), None)
        sources += [_w(s, "rPr") for s in self._style_chain(pstyle)]
        sources.append(self._defaults()[0])
        for rpr in sources:
            v = getter(rpr) if rpr is not None else None
            if v is not None:
                return v
        return None

    def east_font(self, p, r):
        def get(rpr):
            rf = _w(rpr, "rFonts")
            if rf is None:
                return None
            if rf.get(f"{W}eastAsiaTheme"):
                return "(主题字体)"
            return rf.get(f"{W}eastAsia")
        return self.run_prop(p, r, get)

    def size(self, p, r) -> float | None:
        v = self.run_prop(p, r, lambda rpr: _val(_w(rpr, "sz")))
        return int(v) / 2 if v else None

    def colour(self, p, r) -> str:
        return (self.run_prop(p, r, lambda rpr: _val(_w(rpr, "color"))) or "000000").upper()

    def para_prop(self, p, name):
        el = _w(_w(p, "pPr"), name)
        if el is not None:
            return el
        for s in self._style_chain(_val(_w(_w(p, "pPr"), "pStyle")) or "Normal"):
            el = _w(_w(s, "pPr"), name)
            if el is not None:
                return el
        return _w(self._defaults()[1], name)


def _text(p) -> str:
    return "".join(t.text or "" for t in p.iter(f"{W}t"))


def _is_red(hexcolor: str) -> bool:
    try:
        r, g, b = (int(hexcolor[i:i + 2], 16) for i in (0, 2, 4))
    except (ValueError, TypeError):
        return False
    return r >= 0xC0 and g <= 0x40 and b <= 0x40


def _canonical_number(text: str) -> bool:
    """The 文号 as GB/T 9704 prints it: exactly what ``DocNumber`` writes for it (〔〕, four-digit
    year, no 虚位, no 第) — the rule lives in archive/docnumber.py, not in a second regex here."""
    try:
        return str(DocNumber.parse(text)) == text
    except WenshuError:
        return False


def _templated(text: str) -> bool:
    return "{{" in text or "{%" in text


def _short(text: str) -> str:
    text = text.strip()
    return text[:14] + ("…" if len(text) > 14 else "")


def guess_kind(path: Path) -> str:
    """notice (文件格式), letter (信函格式) or plain, as ``check`` would guess it."""
    return check(path, kind=None, _guess_only=True)


def check(path: Path, kind: str | None = None, _guess_only: bool = False):
    """Every deviation from DESIGN §5 in ``path``; ``kind`` notice|letter|plain (guessed when None)."""
    d = _Doc(Path(path))
    out: list[Deviation] = []
    add = lambda rule, where, msg: out.append(Deviation(rule, where, msg))
    paras = [p for p in d.body.iter(f"{W}p")]
    top_paras = [el for el in d.body if el.tag == f"{W}p"]
    sect = d.sect
    refs = {(_val(ref, "type") or "default", ref.tag.split("}")[1]): d.parts.get(ref.get(
        "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"))
        for ref in (sect if sect is not None else [])
        if ref.tag in (f"{W}headerReference", f"{W}footerReference")}
    title_pg = _w(sect, "titlePg") is not None and _val(_w(sect, "titlePg")) not in ("0", "false")
    first_header = refs.get(("first", "headerReference"))
    red_in_header = first_header is not None and any(
        _is_red(_val(_w(_w(r, "rPr"), "color")) or "") for r in first_header.iter(f"{W}r"))
    red_in_body = any(_is_red(d.colour(p, r)) for p in paras[:80] for r in p.iter(f"{W}r") if _text(r).strip())
    has_number = any(len(_text(p)) < 40 and NUMBER_LIKE.search(_text(p)) for p in top_paras[:60])
    if kind is None:
        kind = "letter" if (title_pg and red_in_header) else "notice" if (red_in_body or has_number) else "plain"
    if _guess_only:
        return kind

    # 1. page and margins (§5.2.1)
    pg, mar = _w(sect, "pgSz"), _w(sect, "pgMar")
    tw = lambda el, a: int(float(_val(el, a) or 0))
    if pg is None or mar is None:
        add("page", "页面设置", "缺少纸张和页边距设置（应为 A4，天头 37 mm，订口 28 mm）。")
    else:
        w, h = tw(pg, "w"), tw(pg, "h")
        if abs(w - 11906) > 30 or abs(h - 16838) > 30:
            add("page", "页面设置", f"纸张应为 A4（210×297 mm），现在是 {w / MM:.0f}×{h / MM:.0f} mm。")
        for attr, want, label in (("top", 37, "天头（上边距）"), ("left", 28, "订口（左边距）"),
                                  ("bottom", 35, "下边距"), ("right", 26, "右边距")):
            got = tw(mar, attr) / MM
            if abs(got - want) > 1:
                add("page", "页面设置", f"{label}应为 {want} mm ±1，现在是 {got:.1f} mm。")
    # 2. grid / line pitch (§5.2.3)
    grid = _w(sect, "docGrid")
    pitch = int(_val(grid, "linePitch") or 0)
    texts = [p for p in top_paras if len(_text(p).strip()) > 20]
    exact = sum(1 for p in texts if _val(sp := d.para_prop(p, "spacing"), "lineRule") == "exact"
                and 560 <= int(_val(sp, "line") or 0) <= 590)
    if not (560 <= pitch <= 590 or (texts and exact * 2 >= len(texts))):
        add("grid", "页面设置", f"正文行距应使版心排 22 行（行距约 28.95 磅），现在的文档网格行距为 {pitch / 20:g} 磅。")

    # 3. the 版头: mark, 文号, separator (§7.2)
    sep_index = None
    number_para = None
    if kind == "notice":
        if not red_in_body:
            add("mark", "版头", "缺少红色发文机关标志（应为红色小标宋体，居中）。")
        for i, p in enumerate(top_paras[:60]):
            t = _text(p).strip()
            if t and (NUMBER_LIKE.search(t) or "doc_no" in t):
                number_para = i
                break
        if number_para is None:
            add("number", "版头", "没有找到发文字号（如 高教字〔2022〕8号）。")
        for i in range(number_para or 0, min(len(top_paras), (number_para or 0) + 3)):
            bottom = _w(_w(_w(top_paras[i], "pPr"), "pBdr"), "bottom")
            if bottom is not None and _is_red(_val(bottom, "color") or ""):
                sep_index = i
                ind = _w(_w(top_paras[i], "pPr"), "ind")
                if ind is not None and (int(_val(ind, "left") or 0) or int(_val(ind, "right") or 0)):
                    add("separator", "版头分隔线", "分隔线所在段落有左右缩进，线长将短于版心宽度 156 mm。")
                break
        if number_para is not None and sep_index is None:
            add("separator", "版头", "缺少红色版头分隔线（发文字号下 4 mm，与版心等宽）。")
        for p in top_paras[:60]:
            for r in p.iter(f"{W}r"):
                if _is_red(d.colour(p, r)) and _text(r).strip() and font_kind(d.east_font(p, r)) != "xbs":
                    add("font", "发文机关标志", f"应为小标宋体，现在是“{d.east_font(p, r)}”。")
                    break
    elif kind == "letter":
        if not red_in_header:
            add("mark", "首页页眉", "信函格式的发文机关标志应在首页，红色小标宋体。")
        footer1 = refs.get(("first", "footerReference"))
        for part, label in ((first_header, "首页页眉"), (footer1, "首页页脚")):
            borders = [b for b in (part.iter(f"{W}pBdr") if part is not None else [])]
            red = [b for b in borders for side in b if _is_red(_val(side, "color") or "")]
            if not red:
                add("separator", label, "缺少红色双线（信函格式：标志下 4 mm 与距下页边 20 mm 处各一条）。")
        for i, p in enumerate(top_paras[:8]):
            if NUMBER_LIKE.search(_text(p)) or "doc_no" in _text(p):
                number_para = i
                break
    if number_para is not None:
        t = _text(top_paras[number_para]).replace("签发人：", "\t").split("\t")[0].strip().replace("\u3000", "")
        m = NUMBER_LIKE.search(t)
        if m and not _templated(t) and not _canonical_number(m.group().strip()):
            add("number", f"发文字号“{m.group()}”",
                "格式应为 机关代字〔年份〕顺序号号：六角括号〔〕、四位年份、顺序号不编虚位、不加“第”。")

    # 4. paragraphs: title, body fonts, sizes, indents, dates, colours
    start = (sep_index + 1) if sep_index is not None else (number_para + 1 if number_para is not None else 0)
    title_seen = False
    recipients_seen = False
    prev_jc = None
    for i, p in enumerate(top_paras):
        jc_before, prev_jc = prev_jc, _val(d.para_prop(p, "jc")) if _text(p).strip() else prev_jc
        text = _text(p).strip()
        if not text or text.startswith("{%"):
            continue
        where = f"第 {i + 1} 段「{_short(text)}」"
        runs = [r for r in p.iter(f"{W}r") if _text(r).strip() and not _text(r).strip().startswith("{%")]
        jc = _val(d.para_prop(p, "jc"))
        if i < start or NUMBER_LIKE.search(text) or "doc_no" in text:
            continue
        for r in runs:
            if _is_red(d.colour(p, r)):
                add("colour", where, "正文文字应为黑色（红色只用于发文机关标志和分隔线）。")
                break
        if not title_seen and jc == "center" and runs:
            title_seen = True
            f, s = d.east_font(p, runs[0]), d.size(p, runs[0])
            if kind != "plain" and font_kind(f) != "xbs":
                add("font", f"标题{where}", f"标题应为小标宋体，现在是“{f}”。")
            if s != 22 and kind != "plain":
                add("size", f"标题{where}", f"标题应为 2号（22 磅），现在是 {s} 磅。")
            continue
        if not runs:
            continue
        if title_seen and jc == "center" and font_kind(d.east_font(p, runs[0])) == "xbs" and d.size(p, runs[0]) == 22:
            continue  # an attachment's title (附件标题), set like the document title
        level = 0 if _templated(text) else level_of(text)
        want = {1: "heiti", 2: "kaiti"}.get(level, "fangsong")
        f, s = d.east_font(p, runs[0]), d.size(p, runs[0])
        label_font = bool(re.fullmatch(r"附件\d*", text))
        if label_font:
            want = "heiti"
        if font_kind(f) != want and not (_templated(text) and font_kind(f)):
            add("font", where, f"应为{KIND_LABEL[want]}，现在是“{f or '未指定'}”。")
        if s is not None and s != 16 and not text.startswith("抄送") and not _in_table(p):
            add("size", where, f"应为 3号（16 磅），现在是 {s:g} 磅。")
        if DATE_RE.match(text):
            if re.search(r"[年月]0\d", text):
                add("date", where, "成文日期的月、日不编虚位（如 2022年3月5日）。")
            continue
        ind = d.para_prop(p, "ind")
        first = int(_val(ind, "firstLine") or 0) - int(_val(ind, "hanging") or 0)
        chars = int(_val(ind, "firstLineChars") or 0)
        if title_seen and not recipients_seen and text.endswith(("：", ":")) and level == 0 and first <= 0:
            recipients_seen = True  # 主送机关 (§7.3.2): 居左顶格, 回行仍顶格 — not an unindented 正文 paragraph
            continue
        recipients_seen = recipients_seen or title_seen
        if jc_before == "distribute":
            continue  # the rest of a paragraph split at a page end (续行) starts flush left
        if level in (0, 1, 2, 3, 4) and jc in (None, "both", "left") and len(text) > 30 and not _templated(text):
            if not (600 <= first <= 680 or chars == 200):
                add("indent", where, "正文段落应首行缩进两字。")

    # 5. CJK punctuation in the Latin font slot (DESIGN §5): “ ” — … would show in Times New Roman
    punct = re.compile("[“”‘’—…·]")
    flagged = 0
    for i, p in enumerate(top_paras):
        for r in p.iter(f"{W}r"):
            t = _text(r)
            if not punct.search(t) or flagged >= 3:
                continue
            hint = d.run_prop(p, r, lambda rpr: _val(_w(rpr, "rFonts"), "hint"))
            latin = d.run_prop(p, r, lambda rpr: _val(_w(rpr, "rFonts"), "ascii"))
            if hint != "eastAsia" and not font_kind(latin):
                flagged += 1
                add("font", f"第 {i + 1} 段「{_short(_text(p))}」",
                    f"中文标点“{punct.search(t).group()}”会落入西文字体（{latin or '默认'}），应设 w:hint=\"eastAsia\" 或使用中文字体。")

    # 6. 版记 (§7.4)
    if kind in ("notice", "letter"):
        out += _check_banji(d, kind)
    # 7. page numbers (§7.5)
    out += _check_page_numbers(d, refs, kind, title_pg)
    return out


def _in_table(p) -> bool:
    return any(a.tag == f"{W}tc" for a in p.iterancestors())


def _check_banji(d: _Doc, kind: str) -> list[Deviation]:
    out = []
    tables = [t for t in d.body if t.tag == f"{W}tbl"]
    banji = next((t for t in reversed(tables) if "抄送" in _text(t) or "印发" in _text(t)), None)
    if banji is None:
        if kind == "notice":
            out.append(Deviation("banji", "版记", "没有找到版记（抄送机关、印发机关和印发日期）。"))
        return out
    texts = [_text(p).strip() for p in banji.iter(f"{W}p") if _text(p).strip() and not _text(p).startswith("{%")]
    for t in texts:
        if t.startswith("抄送") and not _templated(t) and not t.endswith("。"):
            out.append(Deviation("banji", "版记「抄送」", "抄送机关最后一个名称后应加句号“。”。"))
    if kind == "notice":
        if not texts or not texts[-1].endswith("印发"):
            out.append(Deviation("banji", "版记", "最后一行应为印发机关和印发日期（以“印发”结尾）。"))
        borders = _w(_w(banji, "tblPr"), "tblBorders")
        want = {"top": (8, "首条", "0.35 mm"), "bottom": (8, "末条", "0.35 mm"), "insideH": (6, "中间", "0.25 mm")}
        for side, (sz, label, mm) in want.items():
            b = _w(borders, side)
            val, size, color = _val(b), int(_val(b, "sz") or 0), (_val(b, "color") or "000000").upper()
            if b is None or val in (None, "nil", "none"):
                out.append(Deviation("banji", "版记分隔线", f"缺少{label}分隔线（{mm}）。"))
            elif abs(size - sz) > 2:
                out.append(Deviation("banji", "版记分隔线", f"{label}分隔线应约 {mm}（w:sz {sz}），现在是 w:sz {size}。"))
            elif color not in ("000000", "AUTO"):
                out.append(Deviation("banji", "版记分隔线", f"{label}分隔线应为黑色，现在是 #{color}。"))
    for p in banji.iter(f"{W}p"):
        for r in p.iter(f"{W}r"):
            s = d.size(p, r)
            if _text(r).strip() and not _text(r).startswith("{%") and s not in (14, None):
                out.append(Deviation("size", "版记", f"抄送、印发应为 4号（14 磅），现在是 {s:g} 磅。"))
                return out
    return out


def _check_page_numbers(d: _Doc, refs: dict, kind: str, title_pg: bool) -> list[Deviation]:
    out = []
    even_odd = d.settings is not None and _w(d.settings, "evenAndOddHeaders") is not None
    if not even_odd:
        out.append(Deviation("pagenum", "页码", "未设置奇偶页不同（settings.xml 的 evenAndOddHeaders），单页码居右、双页码居左无法实现。"))
    for typ, side, label in (("default", "right", "奇数页页脚"), ("even", "left", "偶数页页脚")):
        part = refs.get((typ, "footerReference"))
        xml = etree.tostring(part, encoding="unicode") if part is not None else ""
        if "PAGE" not in xml:
            out.append(Deviation("pagenum", label, "缺少页码（PAGE 域）。"))
            continue
        if xml.count("—") < 2:
            out.append(Deviation("pagenum", label, "页码两侧应各有一条一字线“—”（U+2014），如“— 1 —”。"))
        jcs = {_val(j) for j in part.iter(f"{W}jc")}
        if side not in jcs:
            out.append(Deviation("pagenum", label, f"页码应{'居右空一字（单页码）' if side == 'right' else '居左空一字（双页码）'}。"))
        sizes = {int(_val(s)) for s in part.iter(f"{W}sz") if _val(s)}
        if sizes and sizes != {28}:
            out.append(Deviation("pagenum", label, f"页码应为 4号（14 磅）半角宋体，现在是 {sorted(s / 2 for s in sizes)} 磅。"))
    if kind == "letter":
        first = refs.get(("first", "footerReference"))
        if not title_pg or (first is not None and "PAGE" in etree.tostring(first, encoding="unicode")):
            out.append(Deviation("pagenum", "首页页脚", "信函格式首页不显示页码。"))
    elif title_pg and kind == "notice":  # a form (plain) may leave its single page unnumbered
        first = refs.get(("first", "footerReference"))
        if first is None or "PAGE" not in etree.tostring(first, encoding="unicode"):
            out.append(Deviation("pagenum", "首页页脚", "文件格式首页也应显示页码（只有信函格式首页不编页码）。"))
    return out
