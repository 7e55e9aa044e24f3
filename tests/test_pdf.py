"""The rendered PDF (LibreOffice + the project fontconfig) measured with pdfplumber against the
millimetres GB/T 9704 fixes. Few documents, converted once per module: LibreOffice is slow."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner

from generator import pdf as pdfmod
from generator.pdfcheck import TEXT_BOTTOM, measure, separator
from generator.service import new_document
from tests.conftest import make_config
from tests.generator_helpers import LETTER, PLEDGE, long_body, render
from wenshu.cli import main

pytestmark = pytest.mark.skipif(not pdfmod.available(), reason="LibreOffice（soffice）未安装")

CHAR4_MM = 14 * 25.4 / 72  # one 4号 character


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf")
    cfg = make_config()
    notice = render("notice", out / "n", cfg, pdf=True, **{"正文": long_body(22)})
    letter = render("supervision_letter", out / "l", cfg, pdf=True, number="高教督函〔2022〕3号",
                    **{"正文": long_body(12), **{k: v for k, v in LETTER.items() if k != "正文"}})
    short = render("rectification_notice", out / "r", cfg, pdf=True)  # 版记 far up the last page before padding
    joint = render("notice", out / "j", cfg, pdf=True, **{"联合发文机关": "高平市市场监督管理局，高平市公安局",
                                                           "签发人": "张伟", "份号": 3, "密级和保密期限": "机密★1年"})
    return {"notice": (notice, measure(notice.pdf)), "letter": (letter, measure(letter.pdf)),
            "rect": (short, measure(short.pdf)), "joint": (joint, measure(joint.pdf))}


@pytest.mark.parametrize("name", ["notice", "joint"])
def test_notice_red_mark_and_separator(rendered, name):
    _, pages = rendered[name]
    first = pages[0]
    assert first.red_char_top == pytest.approx(72, abs=1)
    y, x0, length = separator(first)
    assert length == pytest.approx(156, abs=1) and x0 == pytest.approx(28, abs=1)
    assert all(p.red_char_top is None and not p.red_rules for p in pages[1:])


def test_a_full_body_page_has_22_lines(rendered):
    _, pages = rendered["notice"]
    assert len(pages) >= 4
    assert pages[1].body_lines == 22  # page 2 is all 正文


def test_page_numbers_odd_right_even_left_seven_mm_below(rendered):
    doc, pages = rendered["notice"]
    assert doc.pages == len(pages) == pdfmod.page_count(doc.pdf)
    for p in pages:
        assert p.footer_text.replace(" ", "") == f"—{p.number}—"
        if p.number % 2:
            assert p.footer_x1 == pytest.approx(184 - CHAR4_MM, abs=1.5)
        else:
            assert p.footer_x0 == pytest.approx(28 + CHAR4_MM, abs=1.5)
        assert p.footer_top + CHAR4_MM / 2 == pytest.approx(TEXT_BOTTOM + 7, abs=1.5)


@pytest.mark.parametrize("name", ["notice", "rect"])
def test_banji_last_rule_on_the_bottom_edge_of_the_last_page(rendered, name):
    _, pages = rendered[name]
    rules = [y for y, length in pages[-1].black_rules if length == pytest.approx(156, abs=1)]
    assert len(rules) == 3  # first, middle (between 抄送 and 印发), last
    assert max(rules) == pytest.approx(262, abs=2)
    assert not any(length > 150 for p in pages[:-1] for _, length in p.black_rules)


def test_attachment_starts_a_new_page_headed_fujian(rendered):
    import pdfplumber

    doc, _ = rendered["notice"]
    with pdfplumber.open(doc.pdf) as pdf:
        heads = [i for i, page in enumerate(pdf.pages) if (page.extract_text() or "").startswith("附件\n")]
    assert len(heads) == 1 and heads[0] >= 2


def test_letter_mark_double_lines_and_no_number_on_page_one(rendered):
    doc, pages = rendered["letter"]
    first = pages[0]
    assert first.red_char_top == pytest.approx(30, abs=1)
    long_rules = sorted(r for r in first.red_rules if r[2] == pytest.approx(170, abs=1))
    top_pair = [r for r in long_rules if r[0] < 100]
    bottom_pair = [r for r in long_rules if r[0] > 200]
    assert len(top_pair) == 2 and len(bottom_pair) == 2
    assert top_pair[0][1] == pytest.approx(20, abs=1)  # 7 mm outside the 版心 on each side
    assert max(r[0] for r in bottom_pair) == pytest.approx(297 - 20, abs=1)
    assert first.footer_text == ""
    assert len(pages) >= 2 and pages[1].footer_text.replace(" ", "") == "—2—"
    assert all(not p.red_rules for p in pages[1:])
    assert doc.pages == len(pages)


def test_batch_pdf_pages_and_missing_libreoffice_is_told_once(archive, tmp_path, monkeypatch):
    import csv

    roster = tmp_path / "r.csv"
    with roster.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["姓名", "学校"], ["甲", "一中"], ["乙", "二中"], ["丙", "三中"]])
    common = {"承诺条款": PLEDGE["承诺条款"], "日期": "2022-09-01"}
    from generator.batch import run_batch

    report = run_batch(archive, "pledge", roster, common, pdf=True, workers=2)
    assert report.errors == [] and [p.pages for p in report.produced] == [1, 1, 1]
    assert all(sorted(f.suffix for f in p.files) == [".docx", ".pdf"] for p in report.produced)

    # Without LibreOffice on PATH: the .docx files are still produced and the user is told once.
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert not pdfmod.available()
    p = new_document(archive, "pledge", PLEDGE, pdf=True)
    assert [f.suffix for f in p.files] == [".docx"] and "未找到 LibreOffice" in p.pdf_note
    r = CliRunner().invoke(main, ["batch", "pledge", "--rows", str(roster), "--pdf", "--set", "承诺条款=不有偿补课",
                                  "--archive", str(archive.root)])
    assert r.exit_code == 0, r.output
    assert r.output.count("未找到 LibreOffice") == 1 and "完成：生成 3 份" in r.output
    assert shutil.which("soffice") is None


def test_batch_of_notices_puts_each_banji_on_the_bottom_edge(archive, tmp_path):
    import csv

    from generator.batch import run_batch
    from tests.generator_helpers import RECTIFICATION

    roster = tmp_path / "r.csv"
    with roster.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["整改单位", "标题"], ["甲培训学校", "关于甲培训学校限期整改的通知"],
                                 ["乙培训学校", "关于乙培训学校限期整改的通知"]])
    common = {k: v for k, v in RECTIFICATION.items() if k not in ("整改单位", "标题")}
    report = run_batch(archive, "rectification_notice", roster, common, pdf=True, workers=2)
    assert report.errors == [] and len(report.produced) == 2
    for p in report.produced:
        pdf = next(f for f in p.files if f.suffix == ".pdf")
        last = measure(pdf)[-1]
        assert max(y for y, length in last.black_rules if length > 150) == pytest.approx(262, abs=2)


def test_pdf_checker_passes_generated_documents_and_catches_an_unpadded_banji(rendered, tmp_path):
    from generator.pdfcheck import check_pdf

    for name, kind in (("notice", "notice"), ("letter", "letter"), ("rect", "notice"), ("joint", "notice")):
        doc, _ = rendered[name]
        assert check_pdf(doc.pdf, kind) == [], name
    unpadded = render("rectification_notice", tmp_path, make_config())  # .docx only: no second pass
    (pdf,) = pdfmod.convert([unpadded.docx], tmp_path / "pdf")
    found = [str(d) for d in check_pdf(pdf, "notice")]
    assert len(found) == 1 and "版记末条分隔线应与版心下边缘重合" in found[0]


def test_the_signature_never_stands_alone_on_a_page(tmp_path):
    """A short notice whose 署名 and 成文日期 would just spill over: the last 正文 paragraph goes with them."""
    import pdfplumber

    from generator.pdfcheck import check_pdf
    from tests.generator_helpers import NOTICE, PARA

    data = {**NOTICE, "正文": "现将《高平市校外培训机构专项治理方案》印发给你们，请认真贯彻执行。\n一、提高认识。" + PARA}
    doc = render("notice", tmp_path, make_config(), data=data, pdf=True)
    with pdfplumber.open(doc.pdf) as pdf:
        page = next(p for p in pdf.pages if "2022 年 3 月 25 日\n" in (p.extract_text() or "") + "\n")
        assert "确保取得实效" in page.extract_text()  # the last body line moved with the signature
    assert check_pdf(doc.pdf, "notice") == []
    # without keep-with-next the signature would stand alone, and the PDF check says so
    import zipfile

    src = zipfile.ZipFile(doc.docx)
    loose = tmp_path / "loose" / "loose.docx"
    loose.parent.mkdir()
    with zipfile.ZipFile(loose, "w") as z:
        for info in src.infolist():
            data = src.read(info.filename)
            z.writestr(info, data.replace(b"<w:keepNext/>", b"") if info.filename == "word/document.xml" else data)
    (pdf,) = pdfmod.convert([loose], tmp_path / "loose")
    assert any("此页只有署名和成文日期" in str(d) for d in check_pdf(pdf, "notice"))


def test_more_files_than_one_libreoffice_start_takes_are_all_converted(tmp_path):
    """LibreOffice reads at most 253 command-line arguments and silently drops the rest (a 1,000-row
    batch lost its PDFs after the 245th): convert starts it once per FILES_PER_START files, in order."""
    from tests.conftest import write_docx

    files = [write_docx(tmp_path / f"第{i}份.docx", [f"第{i}份承诺书"]) for i in range(260)]
    pdfs = pdfmod.convert(files, tmp_path / "pdf")
    assert [p.name for p in pdfs] == [f"第{i}份.pdf" for i in range(260)]
    assert all(p.is_file() for p in pdfs) and pdfmod.page_count(pdfs[-1]) == 1
