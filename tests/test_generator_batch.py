"""Batches: one document per roster row; bad rows reported with their row number while the
others go on; numbers only for documents that were produced; --strict changes nothing."""

from __future__ import annotations

import csv
import json

import openpyxl
import pytest
from click.testing import CliRunner

from archive.errors import WenshuError
from generator.batch import read_rows, run_batch
from wenshu.cli import main

COMMON = {"承诺条款": ["不组织、不参与有偿补课", "不向学生推荐校外培训机构"], "日期": "2022-09-01"}


def write_csv(path, rows, header=("姓名", "学校", "学科")):
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_bad_and_empty_rows_are_reported_and_the_rest_produced(archive, tmp_path):
    roster = write_csv(tmp_path / "名册.csv", [
        ["王芳", "一中", "数学"],
        ["", "二中", "语文"],            # row 3: no name
        ["", "", ""],                    # row 4: empty
        ["李强", "三中", "英语\x01"],     # row 5: control character
        ["赵敏", "四中", "物理"],
    ])
    report = run_batch(archive, "pledge", roster, COMMON, workers=1)
    assert [p.number for p in report.produced] == ["2022-0001", "2022-0002"]
    rows = {e.row: e.message for e in report.errors}
    assert set(rows) == {3, 4, 5}
    assert "缺少必填字段“姓名”" in rows[3] and "空行" in rows[4] and "“学科”" in rows[5] and "控制字符" in rows[5]
    names = sorted(f.name for p in report.produced for f in p.files)
    assert names == ["承诺书-2022-0001-王芳.docx", "承诺书-2022-0002-赵敏.docx"]
    # the serial series has no gap: numbers were taken only for the rows that were produced
    items = [e for e in archive.registry.entries(kind="item") if e.series == "承诺书编号"]
    assert [(e.seq, e.status) for e in items] == [(1, "issued"), (2, "issued")]


def test_strict_stops_before_anything_happens(archive, tmp_path):
    roster = write_csv(tmp_path / "r.csv", [["王芳", "一中", "数学"], ["", "二中", "语文"]])
    with pytest.raises(WenshuError, match="第 3 行.*姓名.*未占用编号"):
        run_batch(archive, "pledge", roster, COMMON, strict=True)
    assert archive.registry.entries(kind="all") == []
    assert not (archive.root / "2022").exists()


def test_missing_required_column_is_named_before_anything_happens(archive, tmp_path):
    roster = write_csv(tmp_path / "r.csv", [["一中", "数学"]], header=("学校", "学科"))
    with pytest.raises(WenshuError, match="缺少必填列：姓名（name）"):
        run_batch(archive, "pledge", roster, COMMON)
    assert archive.registry.entries(kind="all") == []


def test_xlsx_roster_with_labels_or_names_and_parallel_workers(archive, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["序号", "name", "学校", "学科"])
    for i in range(24):
        ws.append([i + 1, f"教师{i:02d}", "高平市第一中学", "语文"])
    ws.append([None, None, None, None])  # trailing blank rows of a sheet are not rows
    wb.save(tmp_path / "名册.xlsx")
    assert len(read_rows(tmp_path / "名册.xlsx")) == 24
    report = run_batch(archive, "pledge", tmp_path / "名册.xlsx", COMMON, workers=2)
    assert report.errors == [] and len(report.produced) == 24
    assert [p.number for p in report.produced] == [f"2022-{i:04d}" for i in range(1, 25)]
    assert len(list((archive.root / "2022").iterdir())) == 24
    record = json.loads(next((archive.root / "2022").glob("*/record.json")).read_text(encoding="utf-8"))
    assert record["其他"]["姓名"].startswith("教师") and record["其他"]["编号"].startswith("2022-")


def test_batch_of_notices_numbers_only_produced_rows(archive, tmp_path):
    roster = write_csv(tmp_path / "r2.csv", [["关于甲校的通知", "甲校", "2022-03-01"], ["关于乙校的通知", "乙校", "2022-02-30"],
                                             ["关于丙校的通知", "丙校", "2022-03-02"]], header=("标题", "主送机关", "成文日期"))
    report = run_batch(archive, "notice", roster, {"正文": "请认真落实。"}, workers=1)
    assert [p.number for p in report.produced] == ["高教字〔2022〕1号", "高教字〔2022〕2号"]
    assert [e.row for e in report.errors] == [3]
    assert [e.seq for e in archive.registry.entries()] == [1, 2]


def test_cli_batch_reports_rows_and_summary(archive, tmp_path):
    roster = write_csv(tmp_path / "r.csv", [["王芳", "一中", "数学"], ["", "二中", "语文"]])
    common = tmp_path / "common.yaml"
    common.write_text("承诺条款:\n  - 不有偿补课\n日期: 2022-09-01\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["batch", "pledge", "--rows", str(roster), "--data", str(common),
                                  "--archive", str(archive.root)])
    assert r.exit_code == 0, r.output
    assert "第 3 行：缺少必填字段“姓名”" in r.output and "完成：生成 1 份，出错 1 行" in r.output
    r = CliRunner().invoke(main, ["batch", "pledge", "--rows", str(tmp_path / "none.csv"), "--archive", str(archive.root)])
    assert r.exit_code == 1 and "找不到名册文件" in r.output


def test_rows_with_the_same_title_do_not_overwrite_each_other(archive, tmp_path):
    import shutil

    from tests.conftest import corpus_path

    folder = archive.root / "templates"
    folder.mkdir()
    shutil.copy(corpus_path("docgen-templates", "notice.docx"), folder / "plain.docx")
    (folder / "plain.yaml").write_text("name: plain\nfields:\n  - {name: title, label: 标题, type: text, required: true}\n"
                                       "  - {name: author, label: 发文单位, type: text}\n  - {name: date, label: 日期, type: date}\n",
                                       encoding="utf-8")
    roster = write_csv(tmp_path / "r.csv", [["同一个标题", "甲"], ["同一个标题", "乙"]], header=("标题", "发文单位"))
    report = run_batch(archive, "plain", roster, {}, file=False, out_dir=tmp_path / "out", workers=1)
    names = sorted(f.name for p in report.produced for f in p.files)
    assert report.errors == [] and names == ["同一个标题-第3行.docx", "同一个标题.docx"]


# -- rosters as offices keep them (issue 13) ---------------------------------------------------------


def _doc_text(path) -> str:
    import docx

    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def test_roster_with_title_rows_spaced_headers_synonyms_on_the_second_sheet(archive, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "填表说明"
    wb.active.append(["请在第二张表中填写"])
    ws = wb.create_sheet("名单")
    ws.append(["高平市2022年教师“双减”承诺名单"])
    ws.append([])
    ws.append(["序号", "姓 名", "学校", "任教学科", "联系电话"])
    ws.append([1, "王芳", "高平市第一中学", "数学", "13800000000"])
    ws.append([2, "李强", "高平市第二中学", "语文", "13900000000"])
    wb.save(tmp_path / "名册.xlsx")
    seen = []
    report = run_batch(archive, "pledge", tmp_path / "名册.xlsx", COMMON, workers=1,
                       warn=lambda m: seen.append((m, archive.registry.entries(kind="all"))))
    assert report.errors == [] and len(report.produced) == 2
    # the unmatched columns were named before any number was taken
    assert len(seen) == 1 and "序号、联系电话" in seen[0][0] and seen[0][1] == []
    texts = [_doc_text(p.files[0]) for p in report.produced]
    assert "任教学科：数学" in texts[0] and "任教学科：语文" in texts[1]
    assert [e.row for e in report.errors] == []


def test_roster_without_a_header_row_lists_what_it_found(archive, tmp_path):
    roster = write_csv(tmp_path / "r.csv", [["王芳", "一中", "数学"]], header=("教师", "单位名", "课"))
    with pytest.raises(WenshuError, match="没有找到表头行.*找到的第一行是：教师、单位名、课.*表头应包含：.*姓名"):
        run_batch(archive, "pledge", roster, COMMON)
    assert archive.registry.entries(kind="all") == []


def test_duplicate_teachers_are_reported_and_issued_only_when_allowed(archive, tmp_path):
    roster = write_csv(tmp_path / "r.csv", [["王芳", "一中", "数学"], ["李强", "二中", "语文"], ["王 芳", "一中", "数学"]])
    with pytest.raises(WenshuError, match=r"王芳（一中）在第 2、4 行.*--allow-duplicates.*未占用编号"):
        run_batch(archive, "pledge", roster, COMMON)
    assert archive.registry.entries(kind="all") == []
    report = run_batch(archive, "pledge", roster, COMMON, workers=1, allow_duplicates=True)
    assert len(report.produced) == 3 and any("第 2、4 行" in w for w in report.warnings)
    r = CliRunner().invoke(main, ["batch", "pledge", "--rows", str(roster), "--set", "承诺条款=不有偿补课",
                                  "--set", "日期=2022-09-01", "--archive", str(archive.root)])
    assert r.exit_code == 1 and "--allow-duplicates" in r.output


@pytest.mark.skipif(not __import__("generator.pdf", fromlist=["available"]).available(), reason="LibreOffice（soffice）未安装")
def test_pdf_batch_writes_one_combined_pdf_per_school_and_one_page_forms_are_unnumbered(archive, tmp_path):
    import pdfplumber
    from pypdf import PdfReader

    long_clause = ("不组织不参与有偿补课不向学生推荐校外培训机构严格控制作业总量和时长认真落实课后服务要求关心爱护"
                   "每一名学生不")  # "2．" + 53 characters: 26 + 28 + one alone at the grid's spacing
    roster = write_csv(tmp_path / "r.csv", [["王芳", "一中", "数学"], ["李强", "二中", "语文"], ["赵敏", "一中", "物理"]])
    common = {"承诺条款": ["不组织、不参与有偿补课", long_clause], "日期": "2022-09-01"}
    report = run_batch(archive, "pledge", roster, common, pdf=True, workers=1, combine_dir=tmp_path / "print")
    assert sorted(p.name for p in report.combined) == ["一中.pdf", "二中.pdf"]
    pages = {p.name: len(PdfReader(str(p)).pages) for p in report.combined}
    assert pages == {"一中.pdf": 2, "二中.pdf": 1}
    one = next(f for p in report.produced for f in p.files if f.suffix == ".pdf")
    with pdfplumber.open(str(one)) as pdf:
        assert len(pdf.pages) == 1
        lines = [ln for ln in (pdf.pages[0].extract_text() or "").splitlines() if ln.strip()]
    assert not any("—" in ln for ln in lines), "单页的承诺书不应有页码"
    assert not [ln for ln in lines if len("".join(ln.split())) == 1], f"单字成行：{lines}"
