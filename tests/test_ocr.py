"""Scans filed by OCR (issue 17), with the real OCRmyPDF + Tesseract chi_sim.

The scans are made from a real corpus document (gaoping-shuangjian-2022, 高教字〔2022〕8号):
set as a PDF, its pages rendered with pdftoppm and degraded with PIL (tests/ocr_helpers.py).
Each test asserts what a clerk relies on: 文号, 题名 and 成文日期 read from the scan, the original
kept beside a PDF/A 文字版, a phrase of the body found by `wenshu search`; a blank page refused
with the reason; a scan without the OCR tools still filed, listed by `wenshu check` and
completed by `wenshu ocr`. OCR takes minutes a page on two shared cores: pages are few.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.errors import WenshuError
from archive.ocr import ROLE_ORIGINAL, ROLE_TEXT, clean_ocr_text, scanned_pages, tools_missing
from archive.record import Record
from archive.store import Archive
from tests.conftest import corpus_path, make_config
from tests.ocr_helpers import render_pages, scanned, scanned_jpeg, text_pdf
from wenshu.cli import main

pytestmark = pytest.mark.skipif(bool(tools_missing()) or not shutil.which("pdftoppm") or not shutil.which("soffice"),
                                reason=f"OCR 工具或 LibreOffice/poppler 未安装：{tools_missing()}")

DOC_NUMBER = "高教字〔2022〕8号"
TITLE = "高平市教育局关于印发《“双减”政策落实督查专项行动方案》的通知"  # 机关 + 关于…的通知, as read from the text
DATE = "2022-03-25"
PAGE1_PHRASE = "确保工作实效"  # 请结合实际认真贯彻执行，确保工作实效
PAGE2_PHRASE = "防止侵害群众利益"  # 方案 一、指导思想, on the second printed page


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The printed document (text PDF) and its first two pages as clean page images."""
    src = corpus_path("gaoping-shuangjian-2022", "高教字〔2022〕8号.txt")
    lines = [line.strip() for line in src.read_text(encoding="utf-8").splitlines() if line.strip()]
    lines = [line.replace("的 通知", "的通知") for line in lines]
    tmp = tmp_path_factory.mktemp("pages")
    pdf = text_pdf(lines, tmp / "印刷件.pdf")
    pngs = render_pages(pdf, tmp / "png", first=1, last=2)
    assert len(pngs) == 2
    return pdf, pngs


def _file(root: Path, *paths: Path) -> dict:
    r = CliRunner().invoke(main, ["file", *map(str, paths), "--json", "--archive", str(root)])
    assert r.exit_code == 0, r.output
    return json.loads(r.output[r.output.index("["):])[0]


def _found(root: Path, phrase: str) -> list[str]:
    r = CliRunner().invoke(main, ["search", phrase, "--json", "--archive", str(root)])
    assert r.exit_code == 0, r.output
    return [h["code"] if "code" in h else h.get("档号") for h in json.loads(r.output)["hits"]]


def _archive(tmp_path) -> Archive:
    return Archive.init(tmp_path / "档案库", make_config())


def _folder(a: Archive, code: str) -> Path:
    from archive.filing import find_record

    return find_record(a, code)[0]


def test_photo_of_a_page_filed_with_metadata_and_searchable(tmp_path, pages):
    _, pngs = pages
    a = _archive(tmp_path)
    jpg = scanned_jpeg(pngs[0], tmp_path / "收文扫描.jpg", seed=1)
    rec = _file(a.root, jpg)
    assert (rec["文号"], rec["题名"], rec["日期"]) == (DOC_NUMBER, TITLE, DATE)
    roles = {f["角色"]: f for f in rec["文件"]}
    assert roles[ROLE_ORIGINAL]["名称"] == "收文扫描.jpg"
    assert roles[ROLE_TEXT]["名称"] == "收文扫描（文字版）.pdf"
    text_pdf_path = _folder(a, rec["档号"]) / roles[ROLE_TEXT]["名称"]
    assert b"pdfaid:part" in text_pdf_path.read_bytes()  # PDF/A, as archives keep it
    assert rec["档号"] in _found(a.root, PAGE1_PHRASE)
    # the 文字版 is already text: filed again elsewhere it is left as it is (--skip-text, no new 文字版)
    b = Archive.init(tmp_path / "另一档案库", make_config())
    copy = tmp_path / "已识别.pdf"
    shutil.copy(text_pdf_path, copy)
    assert scanned_pages(copy) == []
    again = _file(b.root, copy)
    assert [f["角色"] for f in again["文件"]] == ["原件"]
    assert (again["文号"], again["日期"]) == (DOC_NUMBER, DATE)


def test_mixed_pdf_only_the_scanned_page_is_read(tmp_path, pages):
    """Page 1 born digital (its text is kept as it is), page 2 a scan (OCR'd)."""
    from pypdf import PdfReader, PdfWriter

    pdf, pngs = pages
    scan_pdf = tmp_path / "p2.pdf"
    scanned(pngs[1], seed=2).convert("RGB").save(scan_pdf, "PDF", resolution=110)
    w = PdfWriter()
    w.add_page(PdfReader(str(pdf)).pages[0])
    w.add_page(PdfReader(str(scan_pdf)).pages[0])
    mixed = tmp_path / "部分扫描.pdf"
    with open(mixed, "wb") as f:
        w.write(f)
    assert scanned_pages(mixed) == [1]
    a = _archive(tmp_path)
    rec = _file(a.root, mixed)
    assert (rec["文号"], rec["题名"], rec["日期"]) == (DOC_NUMBER, TITLE, DATE)
    out = PdfReader(str(_folder(a, rec["档号"]) / "部分扫描（文字版）.pdf"))
    assert out.pages[0].extract_text().replace(" ", "").startswith("高平市教育局文件")  # untouched text page
    assert rec["档号"] in _found(a.root, PAGE2_PHRASE)


def test_blank_page_refused_with_reason(tmp_path):
    from PIL import Image

    a = _archive(tmp_path)
    blank = tmp_path / "空白.png"
    Image.new("L", (900, 1270), 235).save(blank, dpi=(110, 110))
    r = CliRunner().invoke(main, ["file", str(blank), "--archive", str(a.root)])
    assert r.exit_code == 1
    assert "未能从 空白.png 中识别出文字" in r.output
    assert not [p for p in a.root.glob("20*/*")]  # nothing filed


def test_without_ocr_tools_filed_listed_and_completed_later(tmp_path, pages):
    """A two-page TIFF filed where OCRmyPDF is not on PATH (a real absence, in a subprocess):
    filed under its name with the install command; `check` lists it; `wenshu ocr` completes it."""
    _, pngs = pages
    a = _archive(tmp_path)
    tif = tmp_path / "来文.tif"
    first, second = (scanned(p, seed=i) for i, p in enumerate(pngs))
    first.save(tif, save_all=True, append_images=[second], compression="tiff_lzw", dpi=(110, 110))
    env = {**os.environ, "PATH": str(tmp_path / "no-tools"), "PYTHONPATH": str(Path(__file__).parents[1])}
    run = subprocess.run([sys.executable, "-m", "wenshu", "file", str(tif), "--archive", str(a.root)],
                         capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "本机未安装 OCRmyPDF" in run.stdout and "apt-get install ocrmypdf tesseract-ocr-chi-sim" in run.stdout
    folder = next(a.root.glob("20*/*"))
    record = Record.load(folder)
    assert record.title == "来文" and not record.doc_number
    assert [f.role for f in record.files] == [ROLE_ORIGINAL]
    code = str(record.archival_code)

    check = CliRunner().invoke(main, ["check", "--archive", str(a.root)])
    assert check.exit_code == 1
    assert f"{code}（来文）的 来文.tif 尚未进行文字识别" in check.output

    done = CliRunner().invoke(main, ["ocr", "--archive", str(a.root)])
    assert done.exit_code == 0, done.output
    folder = _folder(a, code)
    record = Record.load(folder)
    assert (str(record.doc_number), record.title, record.date.isoformat()) == (DOC_NUMBER, TITLE, DATE)
    assert [f.role for f in record.files] == [ROLE_ORIGINAL, ROLE_TEXT]
    assert [h.action for h in record.history][-2:] == ["文字识别", "修改"]
    assert code in _found(a.root, PAGE2_PHRASE)  # page 2 of the TIFF
    assert "尚未进行文字识别" not in CliRunner().invoke(main, ["check", "--archive", str(a.root)]).output
    again = CliRunner().invoke(main, ["ocr", code, "--archive", str(a.root)])
    assert again.exit_code == 1 and "不需要文字识别" in again.output


def test_ocr_text_cleaned_where_structure_tells():
    assert clean_ocr_text("高 平 市 教育 局\n关于印发《“双减“政策》的 通知") == "高平市教育局\n关于印发《“双减”政策》的通知"
    assert clean_ocr_text('Page 2 of "a" b') == 'Page 2 of "a" b'


def test_not_an_image_refused(tmp_path):
    from archive.receive import receive

    a = _archive(tmp_path)
    bad = tmp_path / "照片.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg" * 10)
    with pytest.raises(WenshuError, match="照片.jpg 不是有效的图像文件"):
        receive(a, [bad])
