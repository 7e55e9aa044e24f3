"""wenshu check: each kind of damage is found, named in Chinese, and makes the exit code non-zero."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from archive.checking import Problem, check
from archive.filing import file_record, find_record
from tests.conftest import write_docx
from wenshu.cli import main


def _docx(path, *lines):
    return write_docx(path, lines)


@pytest.fixture
def filled(archive, tmp_path):
    """Three issued documents, each filed with its 文号, and one received notice."""
    for i, title in enumerate(["关于寒假安全的通知", "关于开学工作的通知", "关于校舍安全检查的通知"], 1):
        n = archive.registry.issue(archive.prefix("高教字"), 2022, title)
        p = _docx(tmp_path / f"{i}.docx", "高平市教育局文件", str(n), title, "各校：", "正文。", "高平市教育局", f"2022年3月{i}日")
        file_record(archive, [(p, "正本")], {"title": title, "doc_number": str(n), "date": f"2022-03-0{i}"})
    p = _docx(tmp_path / "recv.docx", "晋城市教育局文件", "晋市教字〔2022〕15号", "关于规范管理的通知", "各县教育局：")
    file_record(archive, [(p, "原件")], {"title": "关于规范管理的通知", "doc_number": "晋市教字〔2022〕15号",
                                        "date": "2022-03-10", "origin": "收文"})
    return archive


def _folder(archive, key):
    return find_record(archive, key)[0]


def _kinds(archive):
    return sorted(p.kind for p in check(archive).problems)


def test_clean_archive_passes(filled):
    report = check(filled)
    assert report.ok and report.records == 4 and report.files == 4
    res = CliRunner().invoke(main, ["check", "--archive", str(filled.root)])
    assert res.exit_code == 0 and "未发现问题" in res.output and "检查了 4 件档案、4 个文件" in res.output


def test_deleted_file(filled):
    (_folder(filled, "高教字〔2022〕1号") / "1.docx").unlink()
    assert _kinds(filled) == ["missing_file"]
    res = CliRunner().invoke(main, ["check", "--archive", str(filled.root)])
    assert res.exit_code == 1 and "【文件缺失】" in res.output and "缺少文件 1.docx" in res.output


def test_flipped_byte(filled):
    path = _folder(filled, "高教字〔2022〕2号") / "2.docx"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    (p,) = check(filled).problems
    assert p.kind == "changed_file" and "2.docx" in p.message and "sha256 不符" in p.message


def test_removed_record_json(filled):
    (_folder(filled, "高教字〔2022〕3号") / "record.json").unlink()
    kinds = _kinds(filled)
    # the folder without its record.json, and the registry's view: a 文号 and a 件号 with no record
    assert kinds == ["broken_record", "item_without_record", "number_without_record"]
    res = CliRunner().invoke(main, ["check", "--json", "--archive", str(filled.root)])
    data = json.loads(res.output)
    assert res.exit_code == 1 and not data["正常"]
    assert any("高教字〔2022〕3号" in p["说明"] for p in data["问题"])


def test_corrupted_record_json(filled):
    (_folder(filled, "高教字〔2022〕3号") / "record.json").write_text('{"档号": ', encoding="utf-8")
    assert "broken_record" in _kinds(filled)


def test_duplicate_number_by_hand(filled):
    folder = _folder(filled, "高教字〔2022〕2号")
    data = json.loads((folder / "record.json").read_text(encoding="utf-8"))
    data["文号"] = "高教字〔2022〕1号"
    (folder / "record.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    kinds = _kinds(filled)
    assert "duplicate_number" in kinds and "number_without_record" in kinds  # 2号 now has no record
    dup = next(p for p in check(filled).problems if p.kind == "duplicate_number")
    assert "高教字〔2022〕1号" in dup.message and "A001-WS·2022-D30-0001" in dup.message


def test_duplicate_code_by_copying_a_folder(filled):
    folder = _folder(filled, "高教字〔2022〕1号")
    shutil.copytree(folder, folder.parent / (folder.name + " 副本"))
    kinds = _kinds(filled)
    assert kinds == ["duplicate_code", "duplicate_number"]


def test_folder_renamed_by_hand(filled):
    folder = _folder(filled, "高教字〔2022〕1号")
    folder.rename(folder.parent / "A001-WS·2022-D30-0009 改过名")
    (p,) = check(filled).problems
    assert p.kind == "misplaced_record" and "A001-WS·2022-D30-0001" in p.message


def test_number_issued_without_record_and_record_with_unknown_number(filled, tmp_path):
    filled.registry.issue(filled.prefix("高教字"), 2022, "关于线下制作的通知")
    p = _docx(tmp_path / "x.docx", "正文")
    file_record(filled, [(p, "正本")], {"title": "自制文件", "doc_number": "高教字〔2022〕99号", "date": "2022-04-01"})
    problems = check(filled).problems
    assert sorted(p.kind for p in problems) == ["number_unknown", "number_without_record"]
    assert any("高教字〔2022〕4号（关于线下制作的通知）已发文" in p.message for p in problems)
    assert any("高教字〔2022〕99号 未在编号登记簿中登记" in p.message for p in problems)


def test_item_gaps_explained_and_unexplained(filled, tmp_path, monkeypatch):
    import archive.filing as filing

    real_read = filing.read_verified

    def fail(src, expect=None, copy_to=None):  # the copy into the staging folder fails
        if copy_to is not None:
            raise OSError("磁盘已满")
        return real_read(src, expect=expect, copy_to=copy_to)

    monkeypatch.setattr(filing, "read_verified", fail)
    with pytest.raises(OSError):
        file_record(filled, [(_docx(tmp_path / "f.docx", "x"), "正本")], {"title": "失败", "date": "2022-05-01"})
    monkeypatch.undo()
    report = check(filled)
    assert report.ok and any("归档失败" in n and "磁盘已满" in n for n in report.notes)  # explained: fine
    # a 件号 counter advanced with no ledger row at all (e.g. a row deleted by hand)
    filled.registry._conn.execute("DELETE FROM ledger WHERE series = '件号/D30' AND seq = 5")
    kinds = _kinds(filled)
    assert kinds == ["item_gap"]


def test_unreadable_document_and_unlisted_file_and_staging_leftover(filled):
    folder = _folder(filled, "晋市教字〔2022〕15号")
    (folder / "说明.txt").write_text("手工放进来的", encoding="utf-8")
    (filled.state_dir / "staging" / "abc").mkdir(parents=True)
    assert _kinds(filled) == ["staging_leftover", "unlisted_file"]
    # a file that was filed but can no longer be read, with its record.json updated to match
    from archive.record import Record, RecordFile
    bad = folder / "recv.docx"
    bad.write_bytes(b"PK\x03\x04 broken")
    r = Record.load(folder)
    r.files = [RecordFile.of(bad, "原件")]
    r.save(folder)
    assert "unreadable" in _kinds(filled)
    assert "unreadable" not in [p.kind for p in check(filled, read_documents=False).problems]


def test_extra_checks_hook(filled):
    def index_check(archive):
        return [Problem("index_stale", "检索索引缺少 1 件档案", "索引")]

    assert [p.kind for p in check(filled, extra_checks=[index_check]).problems] == ["index_stale"]


KILLED_CHILD = """
import sys, time, shutil
from pathlib import Path
import archive.filing as filing
from archive.store import Archive
real = filing.read_verified
def slow(src, expect=None, copy_to=None):
    out = real(src, expect=expect, copy_to=copy_to)
    if copy_to is not None:
        print("copied", flush=True)
        time.sleep(60)
    return out
filing.read_verified = slow
filing.file_record(Archive(sys.argv[1]), [(Path(sys.argv[2]), "正本")], {"title": "被中断的归档", "date": "2022-07-01"})
"""


def test_filing_killed_half_way_is_reported_and_repaired(filled, tmp_path):
    import signal
    import subprocess
    import sys

    src = _docx(tmp_path / "k.docx", "被中断")
    child = subprocess.Popen([sys.executable, "-c", KILLED_CHILD, str(filled.root), str(src)],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "copied"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    assert src.exists()
    kinds = _kinds(filled)
    assert kinds == ["item_without_record", "staging_leftover"]
    res = CliRunner().invoke(main, ["check", "--fix", "--archive", str(filled.root)])
    assert "已删除中断归档留下的临时文件夹" in res.output and "件号 A001-WS·2022-D30-0005 已分配但归档未完成" in res.output
    assert res.exit_code == 0, res.output
    report = check(filled)
    assert report.ok and any("A001-WS·2022-D30-0005" in n and "进程中断" in n for n in report.notes)
    # the archive goes on: the same document files normally with the next 件号
    r = file_record(filled, [(src, "正本")], {"title": "被中断的归档", "date": "2022-07-01"})
    assert str(r.archival_code) == "A001-WS·2022-D30-0006"


def test_edit_confirm_ends_a_review_mark_that_was_right(filled):
    """A scan's 文号 mended from its OCR text is marked 待核对; the clerk compares it with the paper,
    finds it right and says so with ``wenshu edit 档号 --confirm 文号``: check no longer lists it, the
    value is untouched, the 成文日期 mark stays, and the history says who confirmed what."""
    from archive.ocr import REVIEW, check_review, mend_ocr_text, review_marks
    from archive.record import Record

    scanned = "晋市教字(2O22]15号\n关于规范管理的通知\n二0二二年三月十日"
    marks = review_marks(scanned, *mend_ocr_text(scanned))
    assert set(marks) == {"文号", "成文日期"}
    folder = _folder(filled, "晋市教字〔2022〕15号")
    r = Record.load(folder)
    r.extra = {**r.extra, REVIEW: marks}
    r.save(folder)
    def listed():  # what wenshu check adds to the records audit for OCR'd fields
        return check(filled, extra_checks=[check_review]).problems

    assert [p.kind for p in listed()] == ["ocr_review", "ocr_review"]
    code = str(r.archival_code)

    runner = CliRunner()
    wrong = runner.invoke(main, ["edit", code, "--confirm", "题名", "--archive", str(filled.root)])
    assert wrong.exit_code != 0 and "没有待核对的标记" in wrong.output and "待核对的著录项：成文日期、文号" in wrong.output
    res = runner.invoke(main, ["edit", code, "--confirm", "文号", "--by", "档案员甲", "--archive", str(filled.root)])
    assert res.exit_code == 0, res.output
    after = Record.load(_folder(filled, code))
    assert str(after.doc_number) == "晋市教字〔2022〕15号" and set(after.extra[REVIEW]) == {"成文日期"}
    assert "核对：文号“晋市教字〔2022〕15号”经核对无误" in after.history[-1].detail
    assert after.history[-1].actor == "档案员甲"
    problems = listed()
    assert [p.kind for p in problems] == ["ocr_review"] and "成文日期" in problems[0].message

    # 日期 is the 成文日期's name in --set; --confirm takes it too, and the last mark takes 其他 → 待核对 with it
    res = runner.invoke(main, ["edit", code, "--confirm", "日期", "--archive", str(filled.root)])
    assert res.exit_code == 0, res.output
    assert REVIEW not in Record.load(_folder(filled, code)).extra and listed() == []
    again = runner.invoke(main, ["edit", code, "--confirm", "文号", "--archive", str(filled.root)])
    assert again.exit_code != 0 and "没有待核对的标记" in again.output
