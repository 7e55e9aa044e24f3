"""Numbers in ``wenshu new`` and ``batch`` (issue 14): a reserved 文号 used by ``new --number``,
previews that take no number or serial, and a batch stopped by Ctrl-C whose unused numbers are
voided with the reason 用户中断."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.record import Record
from archive.store import Archive
from tests.generator_helpers import NOTICE
from tests.test_generator_batch import COMMON, write_csv
from wenshu.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(archive, *args):
    return CliRunner().invoke(main, [*args, "--archive", str(archive.root)])


def files_of(archive) -> list[Path]:
    return sorted(p for p in archive.root.rglob("*") if p.is_file() and ".wenshu" not in p.parts)


def ledger(archive) -> list[tuple]:
    return [(e.label, e.status, e.reason, e.record) for e in archive.registry.entries(kind="all")]


def notice_data(tmp_path) -> Path:
    import yaml

    path = tmp_path / "notice.yaml"
    path.write_text(yaml.safe_dump(NOTICE, allow_unicode=True), encoding="utf-8")
    return path


def test_new_issues_a_reserved_number_in_any_spelling(archive, tmp_path):
    r = run(archive, "number", "reserve", "高教字", "--count", "2", "--reason", "留给局长签发", "--year", "2022")
    assert r.exit_code == 0 and "高教字〔2022〕1号、高教字〔2022〕2号" in r.output
    r = run(archive, "new", "notice", "--data", str(notice_data(tmp_path)), "--number", "高教字[2022]第2号")
    assert r.exit_code == 0, r.output
    assert "已生成：高教字〔2022〕2号" in r.output
    entry = archive.registry.find(__import__("archive.docnumber", fromlist=["DocNumber"]).DocNumber("高教字", 2022, 2))
    assert entry.status == "issued" and entry.record.startswith("A001-WS·2022-D30-")
    assert any(p.name == "高教字〔2022〕2号.docx" for p in files_of(archive))
    # number 1 is still reserved, and the next ordinary document gets 3
    r = run(archive, "new", "notice", "--data", str(notice_data(tmp_path)), "--set", "标题=关于另一件事的通知")
    assert r.exit_code == 0 and "高教字〔2022〕3号" in r.output
    assert [(label, status) for label, status, *_ in ledger(archive) if label.startswith("高教字")] == [
        ("高教字〔2022〕1号", "reserved"), ("高教字〔2022〕2号", "issued"), ("高教字〔2022〕3号", "issued")]


def test_a_number_not_reserved_for_this_document_is_refused_and_nothing_changes(archive, tmp_path):
    run(archive, "number", "reserve", "高教字", "--count", "1", "--reason", "预留", "--year", "2022")
    data = str(notice_data(tmp_path))
    run(archive, "new", "notice", "--data", data)  # 高教字〔2022〕2号, issued
    before, files = ledger(archive), files_of(archive)
    cases = [
        (["--number", "高教字〔2022〕9号"], "不是预留文号（当前状态：未登记）"),
        (["--number", "高教字〔2022〕2号"], "不是预留文号（当前状态：已发文）"),
        (["--number", "高教字〔2022〕1号", "--date", "2023-03-01", "--set", "成文日期="], "是 2022 年的文号，而成文日期是 2023 年"),
        (["--number", "高教字〔2022〕1号", "--prefix", "高教督函"], "与 --prefix 高教督函 不一致"),
        (["--number", "高教函〔2022〕1号"], "未知的机关代字“高教函”"),
        (["--number", "第一号"], "无法识别发文字号"),
    ]
    for extra, message in cases:
        r = run(archive, "new", "notice", "--data", data, *extra)
        assert r.exit_code != 0 and message in r.output, (extra, r.output)
    r = run(archive, "new", "pledge", "--set", "姓名=王芳", "--set", "学校=一中", "--set", "承诺条款=不有偿补课",
            "--set", "日期=2022-09-01", "--number", "高教字〔2022〕1号")
    assert r.exit_code != 0 and "不编发文字号，不能指定文号" in r.output
    assert ledger(archive) == before and files_of(archive) == files


def test_previews_take_no_number_and_no_serial(archive, tmp_path):
    run(archive, "number", "reserve", "高教字", "--count", "1", "--reason", "预留", "--year", "2022")
    before = ledger(archive)
    r = run(archive, "new", "notice", "--data", str(notice_data(tmp_path)), "--dry-run", "--out", str(tmp_path / "p1"))
    assert r.exit_code == 0 and "预览（未占用编号、未归档）：高教字〔2022〕2号" in r.output
    r = run(archive, "new", "notice", "--data", str(notice_data(tmp_path)), "--dry-run", "--number", "高教字〔2022〕1号",
            "--out", str(tmp_path / "p2"))
    assert r.exit_code == 0 and "预览（未占用编号、未归档）：高教字〔2022〕1号" in r.output
    args = ["--set", "姓名=王芳", "--set", "学校=一中", "--set", "承诺条款=不有偿补课", "--set", "日期=2022-09-01"]
    r = run(archive, "new", "pledge", *args, "--dry-run", "--out", str(tmp_path / "p3"))
    assert r.exit_code == 0 and "预览（未占用编号、未归档）：2022-0001" in r.output
    roster = write_csv(tmp_path / "r.csv", [["王芳", "一中", "数学"], ["李强", "二中", "语文"], ["赵敏", "三中", "物理"]])
    r = run(archive, "batch", "pledge", "--rows", str(roster), "--set", "承诺条款=不有偿补课", "--set", "日期=2022-09-01",
            "--out", str(tmp_path / "out"))
    assert r.exit_code == 0 and "预览（未占用编号、未归档）完成：生成 3 份" in r.output, r.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["承诺书-2022-0001-王芳.docx", "承诺书-2022-0002-李强.docx", "承诺书-2022-0003-赵敏.docx"]
    assert ledger(archive) == before and not list(archive.root.rglob("record.json"))
    r = run(archive, "check")
    assert r.exit_code == 0, r.output
    # the real batch then gets the serials the preview showed
    r = run(archive, "batch", "pledge", "--rows", str(roster), "--set", "承诺条款=不有偿补课", "--set", "日期=2022-09-01")
    assert r.exit_code == 0
    serials = sorted(e.seq for e in archive.registry.entries(kind="all") if e.series == "承诺书编号" or "编号" in e.series)
    assert serials == [1, 2, 3]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_a_real_batch_and_voids_the_rest_as_user_interrupt(archive, tmp_path, sig):
    rows = [[f"教师{i:04d}", f"第{i % 7}中学", "数学"] for i in range(600)]
    roster = write_csv(tmp_path / "名册.csv", rows)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "wenshu", "batch", "pledge", "--rows", str(roster),
                             "--set", "承诺条款=不有偿补课", "--set", "日期=2022-09-01", "--workers", "2",
                             "--archive", str(archive.root)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    year = archive.root / "2022"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if year.is_dir() and any(year.glob("*/record.json")):
            break
        time.sleep(0.05)
    assert proc.poll() is None, "名册太小：批量生成在发送中断前已经结束"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err and "LibreOffice" not in err
    line = next(ln for ln in err.splitlines() if ln.startswith("已中断："))
    filed = sorted(year.glob("*/record.json"))
    produced, voided = _counts(line)
    assert produced == len(filed) and 0 < produced < 600 and produced + voided == 600
    a = Archive.find(archive.root)
    try:
        serials = [e for e in a.registry.entries(kind="all") if not e.series.startswith("件号/")]
        assert len(serials) == 600
        assert {e.reason for e in serials if e.status == "void"} == {"用户中断"}
        assert sum(e.status == "void" for e in serials) == voided
        assert all(e.status == "issued" for e in serials if e.status != "void")
    finally:
        a.close()
    r = CliRunner().invoke(main, ["check", "--archive", str(archive.root)])
    assert r.exit_code == 0, r.output


def _counts(line: str) -> tuple[int, int]:
    import re

    produced, voided = re.fullmatch(r"已中断：已生成 (\d+) 份，未生成的 (\d+) 个编号已作废（用户中断）", line).groups()
    return int(produced), int(voided)


# -- existing files as 附件 of a new document ------------------------------------------------------------


def _attachment_files(tmp_path):
    import openpyxl

    from tests.conftest import write_docx

    folder = tmp_path / "材料"
    plan = write_docx(folder / "督查方案.docx", ["督查方案", "一、督查范围：全市各类校外培训机构。"])
    wb = openpyxl.Workbook()
    wb.active.append(["学校", "问题数"])
    wb.active.append(["一中", 3])
    wb.save(folder / "问题清单.xlsx")
    return folder, plan, folder / "问题清单.xlsx"


def test_new_takes_existing_files_as_attachments(archive, tmp_path):
    import json

    import yaml
    from docx import Document

    folder, plan, sheet = _attachment_files(tmp_path)
    data = {k: v for k, v in NOTICE.items() if k != "附件"}
    data["附件"] = ["督查方案.docx", {"标题": "整改要求", "正文": "各校立即整改。"}]
    yaml_path = folder / "通知.yaml"
    yaml_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = CliRunner().invoke(main, ["new", "notice", "--data", str(yaml_path), "--attach", str(sheet),
                                  "--archive", str(archive.root)])
    assert r.exit_code == 0, r.output
    docx = next(p for p in archive.root.glob("2022/*/高教字〔2022〕1号.docx"))
    text = "\n".join(p.text for p in Document(str(docx)).paragraphs)
    assert "附件：1．督查方案" in text and "2．整改要求" in text and "3．问题清单" in text
    assert "各校立即整改。" in text  # the written 附件 is printed; the files are filed beside it
    record = Record.from_json(json.loads((docx.parent / "record.json").read_text(encoding="utf-8")))
    roles = {f.name: f.role for f in record.files}
    names = sorted(p.name for p in docx.parent.iterdir())
    assert "督查方案.docx" in names and "问题清单.xlsx" in names
    assert plan.exists() and sheet.exists()  # the clerk's own files are copied, never moved
    assert (docx.parent / "督查方案.docx").read_bytes() == plan.read_bytes()
    assert roles.get("督查方案.docx") == "附件" and roles.get("问题清单.xlsx") == "附件", record
    r = CliRunner().invoke(main, ["search", "督查范围", "--archive", str(archive.root)])
    assert r.exit_code == 0 and "高教字〔2022〕1号" in r.output  # the 附件's text is found with the record


def test_attachment_files_that_cannot_be_used_are_refused_before_a_number(archive, tmp_path):
    folder, plan, _ = _attachment_files(tmp_path)
    (folder / "说明.txt").write_text("x", encoding="utf-8")
    data = {k: v for k, v in NOTICE.items() if k != "附件"}
    cases = [(["--attach", str(folder / "没有.docx")], "找不到“附件”第 1 项的文件"),
             (["--attach", str(folder / "说明.txt")], "只能附 .docx/.xlsx/.pdf 文件"),
             (["--set", "附件=说明.txt"], "第 1 项应包含 标题（title）和 正文（body），或是一个 .docx/.xlsx/.pdf 文件")]
    for extra, message in cases:
        sets = [x for k, v in data.items() if isinstance(v, str) for x in ("--set", f"{k}={v}")]
        r = CliRunner().invoke(main, ["new", "notice", *sets, *extra, "--archive", str(archive.root)])
        assert r.exit_code != 0 and message in r.output, (extra, r.output)
    r = CliRunner().invoke(main, ["new", "pledge", "--set", "姓名=王芳", "--set", "学校=一中", "--set", "承诺条款=不有偿补课",
                                  "--attach", str(plan), "--archive", str(archive.root)])
    assert r.exit_code != 0 and "没有附件，不能附加文件" in r.output
    assert archive.registry.entries(kind="all") == [] and not list(archive.root.rglob("record.json"))
