"""Metadata read from real documents nobody on the project wrote (收文著录 measured on the corpus)."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from archive.docnumber import DocNumber
from archive.extract import extract_text
from archive.filing import find_record, iter_records
from archive.metadata import read_metadata
from archive.receive import read_document, receive
from tests.conftest import corpus_path


def _policy_docs():
    path = corpus_path("govcn-policy-2019", "ge_policy_raw20190217.jsonl")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _cn_date(text: str) -> date:
    y, m, d = map(int, re.findall(r"\d+", text))
    return date(y, m, d)


def _para(doc, text, size=16, align=None, bold=False, red=False, indent=False):
    p = doc.add_paragraph()
    run = p.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold
    run.font.name = "仿宋_GB2312"
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋_GB2312")
    if red:
        run.font.color.rgb = RGBColor(0xFF, 0, 0)
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(32)
    return p


def office_docx(row: dict, path) -> None:
    """The document as an office prints it (GB/T 9704): red mark, 文号, title in 2号, 主送, body,
    signature and date on the right. Nothing but the corpus text goes in, rearranged; the mark is
    the issuing organ's name as printed on the 红头 (信函 format for 函: the name alone)."""
    lines = [l.strip() for l in row["text"].split("\n") if l.strip()]
    doc = Document()
    number_at = next((i for i, l in enumerate(lines[:6]) if row["doc_number"] in l.replace(" ", "")), None)
    if number_at is None:  # 国务院令: printed as is
        head, title, rest = [], [], lines
    else:
        title, head, rest = lines[:number_at], [lines[number_at]], lines[number_at + 1:]
        mark = row["issuing_body"].replace("、", "") + ("" if "函" in row["doc_number"] else "文件")
        _para(doc, mark, size=36, align=WD_ALIGN_PARAGRAPH.CENTER, red=True)
        _para(doc, "")
    for l in head:
        _para(doc, l, align=WD_ALIGN_PARAGRAPH.CENTER)
    if head:
        _para(doc, "")
    for l in title:
        _para(doc, l, size=22, align=WD_ALIGN_PARAGRAPH.CENTER)
    if title:
        _para(doc, "")
    for i, l in enumerate(rest):
        date_line = bool(re.fullmatch(r"[\d〇○一二三四五六七八九十年月日\s]+日", l))
        signature = i + 1 < len(rest) and bool(re.fullmatch(r"[\d〇○一二三四五六七八九十年月日\s]+日", rest[i + 1]))
        if date_line or (signature and len(l) < 30):
            _para(doc, l, align=WD_ALIGN_PARAGRAPH.RIGHT)
        else:
            _para(doc, l, indent=not l.endswith("："))
    doc.save(path)


def _score(meta, row) -> tuple[bool, bool, bool]:
    return (DocNumber.normalize(row["doc_number"]) == DocNumber.normalize(str(meta.doc_number or "")),
            meta.title == row["title"],
            meta.date == _cn_date(row["written_date_page"]))


def test_sixty_policy_documents_filed_as_an_office_lays_them_out(archive, tmp_path):
    rows = _policy_docs()
    assert len(rows) == 60
    right, wrong = 0, []
    for row in rows:
        path = tmp_path / f"{row['id']:02d}.docx"
        office_docx(row, path)
        record = receive(archive, [path])
        checks = _score(record, row)
        if all(checks):
            right += 1
        else:
            wrong.append((row["id"], checks, str(record.doc_number), record.title, record.date))
    print(f"\n文号、题名、成文日期全部正确：{right}/60；不符：{wrong}")
    assert right >= 57, wrong
    # what was read is what the archive holds and finds
    assert len(list(iter_records(archive))) == 60
    folder, r = find_record(archive, "国办发[2019]6号")
    assert r.title == "国务院办公厅关于有效发挥政府性融资担保基金作用切实支持小微企业和“三农”发展的指导意见"
    assert r.author == "国务院办公厅" and r.doc_type == "意见" and r.origin == "收文"
    assert r.recipients == ["各省、自治区、直辖市人民政府", "国务院各部委、各直属机构"]
    assert r.archival_code.year == 2019
    assert find_record(archive, "国令第707号")[1].title == "中华人民共和国个人所得税法实施条例"
    joint = find_record(archive, "国办发〔1996〕25号")[1]
    assert joint.author == "国务院办公厅、中央军委办公厅" and joint.date == date(1996, 6, 29)


def test_sixty_policy_documents_in_web_page_order(tmp_path):
    """The same texts as gov.cn prints them (title above the 文号, no red mark), read from .docx."""
    right = 0
    for row in _policy_docs():
        doc = Document()
        for line in row["text"].split("\n"):
            doc.add_paragraph(line)
        path = tmp_path / "p.docx"
        doc.save(path)
        right += all(_score(read_metadata(extract_text(path)), row))
    assert right >= 57


def test_govdoc_sample_397():
    meta = read_document(corpus_path("govdoc-cn-sample", "397.txt"))[1]
    assert meta.doc_number == "发改办财金规〔2019〕860号"
    assert meta.title == "关于加强个人所得税纳税信用建设的通知"
    assert meta.author == "国家发展改革委办公厅、税务总局办公厅"
    assert meta.date == date(2019, 8, 20)
    assert meta.doc_type == "通知"
    assert meta.recipients[0] == "各省、自治区、直辖市、新疆生产建设兵团社会信用体系建设牵头部门"
    assert len(meta.recipients) == 3


def test_file_govdoc_sample_397_text(archive, tmp_path):
    src = corpus_path("govdoc-cn-sample", "397.txt")
    copy = tmp_path / "397.txt"
    copy.write_bytes(src.read_bytes())
    r = receive(archive, [copy])
    assert str(r.doc_number) == "发改办财金规〔2019〕860号"
    assert str(r.archival_code) == "A001-WS·2019-D30-0001"
    assert find_record(archive, "发改办财金规（2019）860号")[1].title == "关于加强个人所得税纳税信用建设的通知"


def test_file_drafting_demo_documents(archive):
    folder = corpus_path("official-doc-drafting-demo")
    notice, minutes = sorted(folder.glob("*.docx"), key=lambda p: "纪要" in p.name)
    r1 = receive(archive, [notice])
    assert r1.title == "关于开展“我的刀盾”传播素材整理工作的通知"
    assert r1.doc_type == "通知"
    assert r1.doc_number is None and r1.date is None  # none printed: left blank, not guessed
    assert r1.recipients == [] and r1.author == ""  # "[主送单位]" / "[发文单位]" are placeholders
    r2 = receive(archive, [minutes])
    assert r2.title == "关于研究“我的刀盾”网络传播情况的专题会议纪要"
    assert r2.doc_type == "纪要"
    assert [f.name for f in r2.files] == [minutes.name]
    assert minutes.exists()  # read-only corpus file copied, never moved
    text = extract_text(notice)
    assert "特此通知。" in text and "— 1 —" not in text


def test_policy_documents_as_pdf(archive, tmp_path):
    """The first 15 office-layout documents printed to PDF by LibreOffice, then filed from the PDF:
    lines are visual lines there (a long 主送 wraps), and CJK quotes sit in a Latin font."""
    import shutil
    import subprocess

    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        pytest.skip("LibreOffice 未安装，无法生成 PDF")
    rows = _policy_docs()[:15]
    docs = []
    for row in rows:
        office_docx(row, tmp_path / f"{row['id']:02d}.docx")
        docs.append(str(tmp_path / f"{row['id']:02d}.docx"))
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), *docs],
                   check=True, capture_output=True, timeout=300)
    right = []
    for row in rows:
        r = receive(archive, [tmp_path / "pdf" / f"{row['id']:02d}.pdf"])
        right.append(all(_score(r, row)))
        assert r.pages >= 1 and r.files[0].format == "pdf"
    assert sum(right) >= 14, right
