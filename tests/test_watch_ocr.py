"""Scans dropped into the inbox of a live watcher (issue 17): OCR runs off the event loop.

A real watchdog observer, the real OCRmyPDF + Tesseract chi_sim. A three-page scan takes tens of
seconds to OCR on two shared cores; a .docx dropped after it must not wait for that — the clerk
who saves a notice finds it at once. The scan is then filed with its metadata; its 文号, printed
with the brackets and the zero a scanner mangles, is mended and marked 待核对 for the clerk, and
``wenshu check`` lists it. A blank page is set aside in 收件箱/未能归档/ with the reason.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.ocr import REVIEW, mend_ocr_text, review_marks, tools_missing
from archive.record import RECORD_JSON, Record
from tests.watch_helpers import NOTICE, indexed, wait_indexed, wait_until
from wenshu.cli import main

pytestmark = pytest.mark.skipif(bool(tools_missing()) or not shutil.which("pdftoppm") or not shutil.which("soffice"),
                                reason=f"OCR 工具或 LibreOffice/poppler 未安装：{tools_missing()}")

# printed as a scanner's OCR reads them: the 文号's brackets as Latin letters, the 〇 of the date as 0
MANGLED = "高教字L2022J8号"
MANGLED_DATE = "二0二二年六月三十日"
BODY = [f"{'一二三四五六七八九十'[i % 10]}、各校要按照要求做好第{i + 1}项工作，认真落实责任，按时报送进展情况。"
        for i in range(16)]


def three_page_scan(tmp: Path) -> Path:
    """A printed notice (16 pt, three pages), each page made to look scanned, as one PDF of images."""
    from tests.ocr_helpers import scanned_pdf

    lines = [NOTICE[0], MANGLED, *NOTICE[2:-2], *BODY, "本通知自印发之日起施行。", NOTICE[-2], MANGLED_DATE]
    return scanned_pdf(lines, tmp, pages=3)


def _docx(path: Path, lines: list[str]) -> Path:
    import docx

    d = docx.Document()
    for line in lines:
        d.add_paragraph(line)
    d.save(path)
    return path


def _records(archive) -> dict[str, tuple[Path, Record]]:
    out = {}
    for rj in Path(archive.root).rglob(RECORD_JSON):
        if ".wenshu" in rj.parts or "收件箱" in rj.parts:
            continue
        r = Record.load(rj.parent)
        out[r.doc_number and str(r.doc_number) or r.title] = (rj.parent, r)
    return out


def test_docx_searchable_while_a_scan_is_ocrd_then_the_scan_filed_for_review(tmp_path, archive, watcher):
    scan = three_page_scan(tmp_path)
    notice = _docx(tmp_path / "另一份通知.docx",
                   ["高平市教育局文件", "高教字〔2022〕9号", "关于开展校园安全检查的通知", "各中小学：",
                    "请于本月底前完成校园安全隐患排查。", "高平市教育局", "2022年7月1日"])
    inbox = archive.inbox
    os.replace(shutil.copy(scan, tmp_path / "staged.pdf"), inbox / "扫描件.pdf")
    # the scan is being OCR'd (it stays in the inbox until filed) …
    wait_until(lambda: str(inbox / "扫描件.pdf") in watcher._ocr or None, what="the scan handed to the OCR worker")
    os.replace(shutil.copy(notice, tmp_path / "staged.docx"), inbox / "另一份通知.docx")
    # … and the .docx dropped after it is filed and searchable before the scan is done
    wait_until(lambda: any("安全隐患排查" in f.get("body", "") for f in indexed(archive).values()) or None,
               what="the .docx indexed")
    assert (inbox / "扫描件.pdf").exists(), "the .docx should not have waited for the scan's OCR"
    assert len(watcher._ocr) == 1

    # the scan is filed with its metadata, its 文字版 searchable, its mended 文号 marked 待核对
    wait_until(lambda: not (inbox / "扫描件.pdf").exists() or None, timeout=900, what="the scan filed")
    records = _records(archive)
    assert "高教字〔2022〕8号" in records, sorted(records)
    folder, r = records["高教字〔2022〕8号"]
    assert r.title == "关于做好2022年暑期校外培训治理工作的通知"
    assert str(r.date) == "2022-06-30"
    assert sorted(f.role for f in r.files) == ["原件", "文字版"]
    assert r.extra[REVIEW]["文号"]["值"] == "高教字〔2022〕8号"
    assert r.extra[REVIEW]["成文日期"]["值"] == "2022-06-30"
    text_pdf_rel = str((folder / next(f.name for f in r.files if f.role == "文字版")).relative_to(archive.root))
    wait_indexed(archive, [text_pdf_rel], body="本通知自印发之日起施行")
    out = CliRunner().invoke(main, ["check", "--quick", "--archive", str(archive.root)])
    assert "高教字〔2022〕8号" in out.output and "待核对" in out.output, out.output


def test_blank_scan_set_aside_with_reason(tmp_path, archive, watcher):
    from PIL import Image

    blank = tmp_path / "空白.png"
    Image.new("L", (900, 1270), 235).save(blank, dpi=(110, 110))
    os.replace(blank, archive.inbox / "空白.png")
    aside = archive.inbox / "未能归档" / "空白.png"
    wait_until(lambda: aside.exists() or None, timeout=300, what="the blank scan set aside")
    note = Path(str(aside) + ".未能归档原因.txt").read_text(encoding="utf-8")
    assert "未能从 空白.png 中识别出文字" in note
    assert not _records(archive)


def test_mend_look_alike_characters_where_the_structure_tells():
    text = "高教字(2O22]8号\n关于做好暑期工作的通知\n各中小学：\n编号No2022 OFD 10个\n二0二二年六月三十日"
    mended, changes = mend_ocr_text(text)
    lines = mended.split("\n")
    assert lines[0] == "高教字〔2022〕8号"
    assert lines[3] == "编号No2022 OFD 10个"  # Latin letters beside digits are not zeros
    assert lines[4] == "二〇二二年六月三十日"
    assert mend_ocr_text("国发C2019J 12号")[0] == "国发〔2019〕12号"
    assert mend_ocr_text("二〇二二年六月")[1] == []  # already right: nothing to check
    assert mend_ocr_text("一0二二年六月三十日")[0] == "二〇二二年六月三十日"  # 二 read as 一: no 公文 is dated 一〇二二
    assert mend_ocr_text("一九九八年")[1] == []
    marks = review_marks(text, mended, changes)
    assert marks["文号"]["值"] == "高教字〔2022〕8号" and "2O22" in marks["文号"]["说明"]
    assert marks["成文日期"]["值"] == "2022-06-30"
    clean = "高教字〔2022〕8号\n关于做好暑期工作的通知\n2022年6月30日"
    assert review_marks(clean, *mend_ocr_text(clean)) == {}
