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
