"""《电子档案移交与接收登记表》 pre-filled from the package (档发〔2012〕7号 附件).

Every figure — 件 and 卷 counts, 数据量 in GB to three decimals, the 数字摘要 with its algorithm
named, the 检验 results — comes from the export itself and its own 四性检测, never from a person;
the signature, seal and date fields and the receiver's column are left blank for people. The same
data is written as XML, which ``wenshu verify`` compares with the package it travels in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from archive.errors import WenshuError
from archive.transfer.digest import DIGEST_LABELS
from archive.transfer.xmlsafe import parse_xml, xml_text

TITLE = "电子档案移交与接收登记表"
CHECKS = (("准确性检验", "真实性"), ("完整性检验", "完整性"), ("可用性检验", "可用性"), ("安全性检验", "安全性"))
CARRIER_LOOK = "载体外观检验"  # a disc's surface and label: only a person can check it
_LABEL_TO_ALG = {v: k for k, v in DIGEST_LABELS.items()}


def gb(n_bytes: int) -> str:
    """移交数据量 in GB to three decimals (1 GB = 10⁹ 字节, as disc and disk sizes are counted)."""
    return f"{n_bytes / 1e9:.3f}"


@dataclass
class Volume:
    seq: int  # 载体顺序号
    records: int
    files: int
    size: int  # bytes of the sealed files (see fixity.sealed)
    digests: dict[str, str]  # alg → 电子档案数字摘要


@dataclass
class Register:
    title: str  # 交接工作名称
    description: str  # 内容描述
    sender: str  # 移交单位
    fonds: str
    batch: str  # 移交批次: the same on every carrier of one export
    carrier_kind: str  # 移交载体类型、规格
    online: bool
    volumes: list[Volume]
    results: dict[str, str] = field(default_factory=dict)  # 准确性检验 … → 通过 / 不通过 / 未检测
    made_by: str = ""  # software and time, not a person's signature

    @property
    def records(self) -> int:
        return sum(v.records for v in self.volumes)

    @property
    def size(self) -> int:
        return sum(v.size for v in self.volumes)

    @property
    def span(self) -> str:
        """载体起止顺序号, or 在线 for a transfer over the network."""
        return "在线" if self.online else f"{self.volumes[0].seq}–{self.volumes[-1].seq}"


def to_xml(reg: Register) -> bytes:
    root = etree.Element(TITLE, 移交批次=xml_text(reg.batch))
    for tag, value in (("交接工作名称", reg.title), ("内容描述", reg.description), ("移交单位", reg.sender),
                       ("全宗号", reg.fonds)):
        etree.SubElement(root, tag).text = xml_text(value)
    n = etree.SubElement(root, "移交电子档案数量")
    etree.SubElement(n, "件数").text = str(reg.records)
    etree.SubElement(n, "卷数").text = "0"
    d = etree.SubElement(root, "移交数据量", 单位="GB", 字节=str(reg.size))
    d.text = gb(reg.size)
    etree.SubElement(root, "载体起止顺序号").text = reg.span
    etree.SubElement(root, "移交载体类型规格").text = xml_text(reg.carrier_kind)
    vols = etree.SubElement(root, "载体", 总数=str(len(reg.volumes)))
    for v in reg.volumes:
        el = etree.SubElement(vols, "载体信息", 顺序号=str(v.seq), 件数=str(v.records), 文件数=str(v.files),
                              字节=str(v.size))
        for alg, hexd in sorted(v.digests.items()):
            etree.SubElement(el, "电子档案数字摘要", 算法=DIGEST_LABELS[alg]).text = hexd
    checks = etree.SubElement(root, "检验内容")
    for label, _ in CHECKS:
        etree.SubElement(checks, "检验项目", 名称=label, 移交单位=reg.results.get(label, ""), 接收单位="")
    etree.SubElement(checks, "检验项目", 名称=CARRIER_LOOK, 移交单位="", 接收单位="")
    for side in ("移交单位", "接收单位"):
        s = etree.SubElement(root, "签章", 单位=side)
        for tag in ("填表人", "审核人", "单位印章", "日期"):
            etree.SubElement(s, tag)
    etree.SubElement(root, "生成").text = xml_text(reg.made_by)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def parse(data: bytes, source: str) -> dict:
    """→ the figures a verifier compares: 件数, 卷数, 字节, GB, and per 载体 its 件数/文件数/字节/摘要."""
    root = parse_xml(data, source, TITLE)

    def num(el, attr=None, what=""):
        text = (el.get(attr) if attr else el.text) if el is not None else None
        if text is None or not text.strip().isdigit():
            raise WenshuError(f"{source} 的{what}“{text or ''}”应为整数。")
        return int(text)

    vols = []
    for el in root.findall("载体/载体信息"):
        digests = {}
        for d in el.findall("电子档案数字摘要"):
            alg = _LABEL_TO_ALG.get(d.get("算法", ""))
            if not alg:
                raise WenshuError(f"{source} 的 <电子档案数字摘要> 算法“{d.get('算法', '')}”不认识（应为 SHA-256 或 SM3）。")
            digests[alg] = (d.text or "").strip().lower()
        vols.append(Volume(num(el, "顺序号", "载体顺序号"), num(el, "件数", "载体件数"), num(el, "文件数", "载体文件数"),
                           num(el, "字节", "载体字节数"), digests))
    size_el = root.find("移交数据量")
    return {"批次": root.get("移交批次", ""), "件数": num(root.find("移交电子档案数量/件数"), what="件数"),
            "卷数": num(root.find("移交电子档案数量/卷数"), what="卷数"),
            "字节": num(size_el, "字节", "移交数据量字节"), "GB": (size_el.text or "").strip() if size_el is not None else "",
            "载体总数": num(root.find("载体"), "总数", "载体总数"), "载体": vols,
            "检验": {el.get("名称", ""): el.get("移交单位", "") for el in root.findall("检验内容/检验项目")}}


def to_docx(reg: Register, path: Path) -> None:
    """The 登记表 as the form is printed: one table, label | 移交单位 | 接收单位, blank where people sign."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    d = docx.Document()
    style = d.styles["Normal"]
    style.font.name, style.font.size = "宋体", Pt(10.5)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    head = d.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = head.add_run(TITLE)
    run.bold, run.font.size = True, Pt(16)
    run.font.name = "黑体"
    run._element.rPr.rFonts.set(qn("w:eastAsia"), "黑体")
    t = d.add_table(rows=0, cols=3)
    t.style = "Table Grid"

    def row(label: str, value: str = "", receiver: str | None = None):
        cells = t.add_row().cells
        cells[0].text = label
        if receiver is None:
            merged = cells[1].merge(cells[2])
            merged.text = value
        else:
            cells[1].text, cells[2].text = value, receiver
        return cells

    row("交接工作名称", reg.title)
    row("内容描述", reg.description)
    row("移交电子档案数量", f"{reg.records} 件，0 卷")
    row("移交数据量", f"{gb(reg.size)} GB（{reg.size} 字节）")
    row("载体起止顺序号", reg.span)
    row("移交载体类型、规格", reg.carrier_kind)
    for v in reg.volumes:
        digest = "；".join(f"{DIGEST_LABELS[a]}：{h}" for a, h in sorted(v.digests.items()))
        label = "电子档案数字摘要" if len(reg.volumes) == 1 else f"电子档案数字摘要（载体 {v.seq}）"
        row(label, f"{digest}（{v.records} 件，{v.files} 个文件，{v.size} 字节）")
    row("检验项目", "移交单位", "接收单位")
    for label, _ in CHECKS:
        row(label, reg.results.get(label, ""), "")
    row(CARRIER_LOOK, "", "")
    row("填表人（签名）", "", "")
    row("审核人（签名）", "", "")
    row("单位（印章）", "", "")
    row("日期", "", "")
    for r in t.rows:
        r.cells[0].paragraphs[0].runs[0].bold = True if r.cells[0].paragraphs[0].runs else None
    note = d.add_paragraph(f"注：本表数字由 {reg.made_by} 根据数据包计算填写；数据量与数字摘要按载体上除 "
                           "其他/交接信息/ 与清单文件以外的全部文件计算，"
                           "可用 grep -v '  其他/交接信息/' 其他/manifest-sha256.txt | sha256sum 复核。"
                           "签名、印章、日期及接收单位一栏由交接双方填写。")
    note.runs[0].font.size = Pt(9)
    d.save(path)
