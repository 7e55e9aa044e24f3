"""The package's catalogues: 文件目录.xml (档发〔2012〕7号), 归档文件目录.xlsx (DA/T 22) and 缺号说明.xml.

文件目录.xml is what a receiving system reads; 归档文件目录.xlsx is what the clerk prints and
binds (A4 landscape, header repeated on every page, one sheet per 年度—保管期限—机构 because
DA/T 22 numbers 件号 within that class). 缺号说明.xml says why a 件号 of a series is not in
the package, so a verifier can tell an explained gap from a lost record.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from archive.errors import WenshuError
from archive.transfer.xmlsafe import parse_xml, xml_text

COLUMNS = ("序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注")


@dataclass
class CatalogRow:
    seq: int  # 顺序号
    code: str  # 档号
    doc_number: str  # 文号
    author: str  # 责任者
    title: str  # 题名
    ymd: str  # 日期 YYYYMMDD
    classification: str  # 密级
    pages: int  # 页数
    location: str  # 电子档案名称: the record's folder, relative to data/
    note: str = ""  # 备注


_XML_FIELDS = (("顺序号", "seq"), ("档号", "code"), ("文号", "doc_number"), ("责任者", "author"),
               ("题名", "title"), ("日期", "ymd"), ("密级", "classification"), ("页数", "pages"),
               ("电子档案名称", "location"), ("备注", "note"))


ENCODINGS = {"utf-8": "UTF-8", "gb18030": "GB18030"}  # 档发〔2012〕7号 allows these (and GB2312)


def catalog_xml(rows: list[CatalogRow], fonds: str, fonds_name: str, encoding: str = "utf-8",
                volume: tuple[int, int, str] | None = None) -> bytes:
    """``encoding``: utf-8 or gb18030, declared in the XML header; ``volume``: (载体序号, 载体总数,
    移交批次) when the export is split over several carriers."""
    if encoding not in ENCODINGS:
        raise WenshuError(f"--encoding “{encoding}”不支持：可选 utf-8 或 gb18030。")
    attrs = {"全宗号": xml_text(fonds), "全宗名称": xml_text(fonds_name), "件数": str(len(rows))}
    if volume:
        attrs.update({"载体序号": str(volume[0]), "载体总数": str(volume[1]), "移交批次": xml_text(volume[2])})
    root = etree.Element("文件目录", **attrs)
    for row in rows:
        el = etree.SubElement(root, "文件")
        for tag, attr in _XML_FIELDS:
            etree.SubElement(el, tag).text = xml_text(getattr(row, attr))
    return etree.tostring(root, xml_declaration=True, encoding=ENCODINGS[encoding], pretty_print=True)


def schema(name: str):
    """The shipped XSD ``catalog`` (文件目录.XML) or ``metadata`` (元数据.xml) as an lxml XMLSchema."""
    return etree.XMLSchema(etree.parse(str(schema_path(name))))


def schema_path(name: str) -> Path:
    return Path(__file__).with_name("schemas") / f"{name}.xsd"


def parse_catalog_xml(data: bytes, source: str) -> tuple[dict, list[CatalogRow]]:
    """→ (root attributes, rows). Raises WenshuError naming the row and element that is wrong."""
    root = parse_xml(data, source, "文件目录")
    rows = []
    for i, el in enumerate(root.findall("文件"), 1):
        values = {}
        for tag, attr in _XML_FIELDS:
            child = el.find(tag)
            if child is None:
                raise WenshuError(f"{source} 第 {i} 个 <文件> 缺少 <{tag}>。")
            values[attr] = (child.text or "").strip()
        for attr, tag in (("seq", "顺序号"), ("pages", "页数")):
            if not values[attr].isdigit():
                raise WenshuError(f"{source} 第 {i} 个 <文件> 的 <{tag}>“{values[attr]}”应为整数。")
            values[attr] = int(values[attr])
        rows.append(CatalogRow(**values))
    return dict(root.attrib), rows


def gaps_xml(gaps: list[tuple[str, str]]) -> bytes:
    """``gaps``: (档号 that is not in the package, why)."""
    root = etree.Element("缺号说明")
    for code, reason in gaps:
        el = etree.SubElement(root, "缺号")
        etree.SubElement(el, "档号").text = xml_text(code)
        etree.SubElement(el, "原因").text = xml_text(reason)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def parse_gaps_xml(data: bytes, source: str) -> dict[str, str]:
    root = parse_xml(data, source)
    return {(el.findtext("档号") or "").strip(): (el.findtext("原因") or "").strip() for el in root.findall("缺号")}


# -- 归档文件目录.xlsx ----------------------------------------------------------------------

_WIDTHS = {"序号": 6, "档号": 26, "文号": 18, "责任者": 16, "题名": 48, "日期": 10, "密级": 6, "页数": 6, "备注": 14}


def _display_width(text: str) -> int:
    """Columns a string needs in a spreadsheet: a CJK character takes two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(cell, value: str) -> None:
    """Put ``value`` into a spreadsheet cell as text, whatever it looks like (公式注入).

    A received document may be titled ``=HYPERLINK("http://…","点击查看")`` or ``=cmd|' /C calc'!A0``;
    openpyxl would store that as a formula, which the higher authority's Excel then runs. The cell is
    a string cell (data type ``s``), so it is shown, never evaluated, and the value stays exactly the
    title; for a value that starts like a formula, the cell also carries Excel's quote prefix (what
    Excel itself sets when a user types ``'=…``), so editing the cell in Excel keeps it text.
    (OWASP's CSV-injection advice prefixes a ``'`` to the value itself; in xlsx the typed cell
    does that job without changing the text.) Characters XML 1.0 cannot hold are dropped."""
    text = xml_text(value)
    cell.value = text
    cell.data_type = "s"
    if text.startswith(_FORMULA_START):
        cell.quotePrefix = True


def catalog_xlsx(path: Path, groups: list[tuple[str, str, list[CatalogRow]]], fonds_name: str) -> None:
    """``groups``: (年度, 保管期限 label, rows) per sheet — one 归档文件目录 per class."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, NamedStyle, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    body_font, head_font = Font(name="宋体", size=10.5), Font(name="黑体", size=11)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    # Named styles: one style lookup per cell instead of three (10,000 rows save seconds).
    wb.add_named_style(NamedStyle("目录文字", font=body_font, border=border,
                                  alignment=Alignment(wrap_text=True, vertical="center")))
    wb.add_named_style(NamedStyle("目录居中", font=body_font, border=border, alignment=center))
    used = set()
    for year, retention, rows in groups:
        name = f"{year}-{retention}"[:28]
        while name in used:
            name += "+"
        used.add(name)
        ws = wb.create_sheet(name)
        ncol = len(COLUMNS)
        last = get_column_letter(ncol)
        ws.merge_cells(f"A1:{last}1")
        ws["A1"] = "归档文件目录"
        ws["A1"].font = Font(name="黑体", size=16)
        ws["A1"].alignment = center
        ws.merge_cells(f"A2:{last}2")
        text_cell(ws["A2"], f"全宗名称：{fonds_name}　　年度：{year}　　保管期限：{retention}")
        ws["A2"].font = body_font
        ws.row_dimensions[1].height = 30
        for c, title in enumerate(COLUMNS, 1):
            cell = ws.cell(row=3, column=c, value=title)
            cell.font, cell.alignment, cell.border = head_font, center, border
        widths = dict(_WIDTHS)
        for r, row in enumerate(rows, 4):
            values = (row.seq, row.code, row.doc_number, row.author, row.title, row.ymd,
                      row.classification, row.pages, row.note)
            for c, v in enumerate(values, 1):
                cell = ws.cell(row=r, column=c)
                cell.style = "目录文字" if COLUMNS[c - 1] in ("题名", "责任者", "备注", "文号") else "目录居中"
                if isinstance(v, str):
                    text_cell(cell, v)
                else:
                    cell.value = v
            for col in ("档号", "文号", "责任者"):
                v = values[COLUMNS.index(col)]
                widths[col] = min(max(widths[col], _display_width(str(v)) + 2), 40)
        for c, title in enumerate(COLUMNS, 1):
            ws.column_dimensions[get_column_letter(c)].width = widths[title]
        ws.print_title_rows = "3:3"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        ws.oddFooter.center.text = "第 &P 页 共 &N 页"
        ws.freeze_panes = "A4"
    if not groups:
        ws = wb.create_sheet("归档文件目录")
        ws.append(list(COLUMNS))
    wb.save(path)
