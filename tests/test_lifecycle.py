"""A record's life after filing (DESIGN §12): versions, final, withdraw, attach — through the CLI
and a real watcher, with the index kept right by the one change path (no watcher needed)."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from archive.filing import find_record
from archive.record import Record, sha256_file
from archive.versions import blob_path
from indexer.index import ArchiveIndex
from indexer.search import search
from watch.watcher import Watcher
from tests.conftest import write_docx
from watch_helpers import indexed, wait_idle, wait_until
from wenshu.cli import main

NOTICE = ["高平市教育局文件", "高教字〔2022〕9号", "关于课后服务的通知", "各中小学：",
          "第一稿：课后服务时间为下午五点半。", "高平市教育局", "2022年6月30日"]


def run(archive, *args):
    return CliRunner().invoke(main, [*args, "--archive", str(archive.root)])


def ok(archive, *args) -> str:
    res = run(archive, *args)
    assert res.exit_code == 0, res.output
    return res.output


def found(archive, text: str) -> list:
    idx = ArchiveIndex(archive, notify=lambda m: None)
    try:
        return search(idx, text, limit=50).hits
    finally:
        idx.close()


@pytest.fixture
def filed(archive, tmp_path):
    """One received notice, filed through the CLI (so the index holds it)."""
    src = write_docx(tmp_path / "高教字〔2022〕9号.docx", NOTICE)
    ok(archive, "file", str(src))
    folder, r = find_record(archive, "高教字〔2022〕9号")
    return folder, r, folder / r.files[0].name


def word_save(doc, paragraphs):
    """What Word does on save: new content to a temp file, original renamed away, temp renamed over."""
    tmp = doc.parent / "~WRD0000.tmp"
    write_docx(tmp, paragraphs)
    os.rename(doc, doc.parent / "~WRL0001.tmp")
    os.rename(tmp, doc)
    (doc.parent / "~WRL0001.tmp").unlink()


SECOND = [*NOTICE[:4], "第二稿：课后服务时间延长到下午六点。", *NOTICE[5:]]


def test_word_save_under_a_watcher_becomes_version_two(archive, filed):
    folder, r, doc = filed
    old_sha = r.files[0].sha256
    w = Watcher(archive, stability=0.2, interval=3600)
    w.start()
    try:
        assert w.wait_ready(60)
        word_save(doc, SECOND)

        def revised():
            rec = Record.load(folder)
            return rec if len(rec.files[0].versions) == 2 else None

        rec = wait_until(revised, what="version 2 recorded")
        rel = doc.relative_to(archive.root).as_posix()
        wait_until(lambda: "第二稿" in indexed(archive).get(rel, {}).get("body", ""), what="new text indexed")
        wait_idle(w)
    finally:
        w.stop()
    v1, v2 = rec.files[0].versions
    assert (v1["版本"], v1["sha256"], v2["版本"], v2["来源"]) == (1, old_sha, 2, "监视程序")
    assert v2["sha256"] == sha256_file(doc) == rec.files[0].sha256
    assert sha256_file(blob_path(archive, old_sha)) == old_sha  # the old bytes are kept
    assert rec.history[-1].action == "修订"
    assert "未发现问题" in ok(archive, "check")
    assert found(archive, "延长到下午六点") and not found(archive, "下午五点半")
    out = ok(archive, "versions", str(rec.archival_code))
    assert "第 1 版" in out and "第 2 版" in out and "监视程序" in out


def test_change_no_watcher_saw_is_reported_and_revise_accepts_it(archive, filed):
    folder, r, doc = filed
    write_docx(doc, SECOND)  # copied over in place, wenshu not running
    res = run(archive, "check")
    assert res.exit_code == 1
    code = str(r.archival_code)
    assert f"wenshu revise {code} {doc.name}" in res.output and f"wenshu restore {code} {doc.name}" in res.output
    out = ok(archive, "revise", code, doc.name, "--by", "张三")
    assert "已记为新版本" in out and "第 2 版" in out
    ok(archive, "check")
    assert found(archive, "延长到下午六点") and not found(archive, "下午五点半")  # no watcher: the change path
    rec = Record.load(folder)
    assert rec.files[0].versions[-1]["操作人"] == "张三"
    # the old version is still restorable, as the next version
    out = ok(archive, "restore", code, doc.name, "--version", "1")
    assert "恢复为第 1 版，记为第 3 版" in out
    assert sha256_file(doc) == r.files[0].sha256
    ok(archive, "check")
    assert found(archive, "下午五点半") and not found(archive, "延长到下午六点")


def test_change_no_watcher_saw_and_restore_undoes_it(archive, filed):
    folder, r, doc = filed
    write_docx(doc, SECOND)
    code = str(r.archival_code)
    assert run(archive, "check").exit_code == 1
    out = ok(archive, "restore", code, doc.name)
    assert "已恢复为登记的第 1 版" in out
    assert sha256_file(doc) == r.files[0].sha256
    ok(archive, "check")
    assert len(Record.load(folder).files[0].versions) == 1
    assert "无需修订" in run(archive, "revise", code, doc.name).output


def test_final_record_refuses_a_change_keeps_it_aside_and_restores(archive, filed, caplog):
    folder, r, doc = filed
    code = str(r.archival_code)
    assert "已定稿" in ok(archive, "final", code)
    w = Watcher(archive, stability=0.2, interval=3600)
    w.start()
    try:
        assert w.wait_ready(60)
        with caplog.at_level("WARNING", logger="wenshu.watch"):
            word_save(doc, SECOND)
            wait_until(lambda: Record.load(folder).history[-1].action == "拒绝修改", what="change refused")
            wait_until(lambda: sha256_file(doc) == r.files[0].sha256, what="final bytes back")
            wait_idle(w)
    finally:
        w.stop()
    assert any("已印发定稿，不能修改" in m for m in caplog.messages)
    rec = Record.load(folder)
    assert rec.final and len(rec.files[0].versions) == 1
    changed = [p for p in (archive.state_dir / "versions").rglob("*") if p.is_file()
               and p.name != r.files[0].sha256]
    assert changed, "the refused change is kept aside"
    ok(archive, "check")
    assert found(archive, "下午五点半") and not found(archive, "延长到下午六点")


# -- withdraw -------------------------------------------------------------------------------


@pytest.fixture
def twice(archive, tmp_path):
    """The same 督办函 issued twice by mistake (高教督函〔2022〕1号 and 2号), both filed."""
    out = []
    for i in (1, 2):
        n = archive.registry.issue(archive.prefix("高教督函"), 2022, "关于某培训机构违规办学的督办函")
        p = write_docx(tmp_path / f"督办函{i}.docx", ["高平市教育局", str(n), "关于某培训机构违规办学的督办函",
                                                      "某培训机构：", f"{['首次发出', '误发副本'][i - 1]}：请于7月15日前完成整改，逾期将依法处理。",
                                                      "高平市教育局", "2022年7月1日"])
        ok(archive, "file", str(p), "--set", "来源=发文")
        out.append(n)
    return out


def test_withdraw_keeps_the_record_voids_its_number_hides_it_from_search_and_check_is_clean(archive, twice):
    first, second = twice
    # voiding a number that a record holds is refused, pointing to withdraw
    res = run(archive, "number", "void", str(second), "--reason", "重复生成")
    assert res.exit_code != 0 and "wenshu withdraw" in res.output and "不能直接作废" in res.output
    assert archive.registry.find(second).status == "issued"

    out = ok(archive, "withdraw", str(second), "--reason", "重复生成", "--by", "李四")
    assert "已撤销" in out and f"文号 {second} 已在登记簿中作废（重复生成）" in out
    folder, r = find_record(archive, str(second))
    assert folder.is_dir() and r.withdrawn and r.withdrawal["原因"] == "重复生成"
    assert r.history[-1].action == "撤销" and r.history[-1].actor == "李四"
    e = archive.registry.find(second)
    assert (e.status, e.reason) == ("void", "重复生成")
    assert "未发现问题" in ok(archive, "check")
    # out of search by default, found with 状态:撤销; the other copy still found
    assert [h.docnum for h in found(archive, "误发副本")] == []
    assert [h.code for h in found(archive, "首次发出")] == [str(find_record(archive, str(first))[1].archival_code)]
    assert [h.code for h in found(archive, "状态:撤销")] == [str(r.archival_code)]
    assert [h.code for h in found(archive, "误发副本 状态:撤销")] == [str(r.archival_code)]
    # the library function export can use
    from archive.record import is_withdrawn
    assert is_withdrawn(r) and not is_withdrawn(find_record(archive, str(first))[1])
    # withdrawing again changes nothing
    assert "已于" in run(archive, "withdraw", str(r.archival_code), "--reason", "再次").output
    assert "未发现问题" in ok(archive, "check")


def test_withdraw_needs_a_reason_and_changes_nothing_without_one(archive, twice):
    res = run(archive, "withdraw", str(twice[1]), "--reason", "  ")
    assert res.exit_code != 0 and "撤销必须说明原因" in res.output
    assert not find_record(archive, str(twice[1]))[1].withdrawn
    assert archive.registry.find(twice[1]).status == "issued"


# -- attach ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["附件", "签字扫描件", "定稿", "正本", "其他"])
def test_attach_each_role_hashed_in_history_and_searchable_without_watcher(archive, filed, tmp_path, role):
    folder, r, _ = filed
    extra = write_docx(tmp_path / "整改报告附件.docx", ["整改照片说明", f"操场围栏已修复（{role}）。"])
    out = ok(archive, "attach", str(r.archival_code), str(extra), "--role", role)
    assert f"已附加：{r.archival_code}　整改报告附件.docx（{role}" in out
    rec = Record.load(folder)
    f = rec.files[-1]
    assert (f.name, f.role, f.sha256) == ("整改报告附件.docx", role, sha256_file(folder / f.name))
    assert rec.history[-1].action == "附加" and role in rec.history[-1].detail
    assert "未发现问题" in ok(archive, "check")
    hits = found(archive, "操场围栏已修复")
    assert [(h.code, h.path) for h in hits] == [(str(r.archival_code), f"{folder.relative_to(archive.root).as_posix()}/整改报告附件.docx")]


def test_attach_refuses_bad_role_duplicate_and_a_file_already_filed(archive, filed, tmp_path):
    folder, r, doc = filed
    extra = write_docx(tmp_path / "照片.docx", ["照片"])
    before = (folder / "record.json").read_bytes()
    res = run(archive, "attach", str(r.archival_code), str(extra), "--role", "照片")
    assert res.exit_code != 0 and "角色“照片”不正确" in res.output
    copy = tmp_path / "copy.docx"
    copy.write_bytes(doc.read_bytes())
    res = run(archive, "attach", str(r.archival_code), str(copy))
    assert res.exit_code != 0 and "已在档案库中" in res.output
    assert (folder / "record.json").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == sorted([doc.name, "record.json"])


# -- the one change path: search right after a command, no watcher ----------------------------


def test_search_right_after_edit_moving_the_folder_returns_the_new_code_and_path(archive, filed):
    folder, r, _ = filed
    ok(archive, "edit", str(r.archival_code), "--set", "保管期限=永久")
    new_folder, new = find_record(archive, "高教字〔2022〕9号")
    assert new_folder != folder and not folder.exists()
    hits = found(archive, "下午五点半")
    assert [(h.code, h.path.rsplit("/", 1)[0]) for h in hits] == [
        (str(new.archival_code), new_folder.relative_to(archive.root).as_posix())]
    assert [h.code for h in found(archive, "保管期限:永久")] == [str(new.archival_code)]
    assert "未发现问题" in ok(archive, "check")


# -- one junk rule ----------------------------------------------------------------------------

JUNK = ["2022/@eaDir/a.pdf", "2022/x.swp", "2022/a.docx~", "2022/b.crdownload", "__MACOSX/2022/._a.docx",
        "__MACOSX/2022/a.docx", "2022/~$通知.docx", "2022/.~lock.通知.docx#", "2022/~WRL0001.tmp",
        "2022/Thumbs.db", "2022/desktop.ini", "2022/.DS_Store", "2022/.hidden/a.docx", "2022/c.part"]


def test_watcher_rule_and_rebuild_agree_on_junk(archive):
    from pathlib import PurePosixPath

    from indexer.docs import is_indexable_rel
    from archive.ignore import is_ignored

    for rel in JUNK:
        p = archive.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        write_docx(p, ["通知", "正文"]) if p.suffix == ".docx" else p.write_bytes(b"%PDF-1.4 junk")
    real = write_docx(archive.root / "2022" / "真文件.docx", ["关于课后服务的通知", "正文"])
    for rel in JUNK:
        assert is_ignored(str(archive.root), str(archive.root / rel)), rel
        assert not is_indexable_rel(PurePosixPath(rel)), rel
    assert not is_ignored(str(archive.root), str(real)) and is_indexable_rel(PurePosixPath("2022/真文件.docx"))
    idx = ArchiveIndex(archive, notify=lambda m: None)
    try:
        idx.rebuild()
        assert sorted(indexed(archive)) == ["2022/真文件.docx"]
        idx.reconcile()
        assert sorted(indexed(archive)) == ["2022/真文件.docx"]
    finally:
        idx.close()


def test_check_reports_a_lost_version_copy(archive, filed):
    folder, r, doc = filed
    write_docx(doc, SECOND)
    ok(archive, "revise", str(r.archival_code), doc.name)
    blob = blob_path(archive, r.files[0].sha256)
    os.chmod(blob, 0o600)
    blob.unlink()
    res = run(archive, "check")
    assert res.exit_code == 1 and "第 1 版" in res.output and "无法恢复" in res.output
    assert "的内容不在档案库中" in run(archive, "restore", str(r.archival_code), doc.name, "--version", "1").output



def test_a_withdrawn_record_stays_out_of_export_unless_asked(archive, tmp_path):
    """撤销: the record is kept in the archive but not transferred; the gaps file says why its 件号 is missing."""
    from archive.transfer.export import Selection, export_package, select_records

    for i in (1, 2, 3):
        src = write_docx(tmp_path / f"高教字〔2022〕{i}号.docx",
                         ["高平市教育局文件", f"高教字〔2022〕{i}号", f"关于第{i}件事的通知", "各中小学：",
                          f"第{i}件事的正文。", "高平市教育局", "2022年6月30日"])
        ok(archive, "file", str(src))
    ok(archive, "withdraw", "高教字〔2022〕2号", "--reason", "重复生成")
    chosen, _, _ = select_records(archive, Selection(year=2022))
    assert sorted(r.doc_number.seq for _, r in chosen) == [1, 3]
    chosen, _, _ = select_records(archive, Selection(year=2022, include_withdrawn=True))
    assert len(chosen) == 3
    result = export_package(archive, tmp_path / "p", Selection(year=2022))
    assert result.records == 2 and not result.unexplained_gaps
    gaps = next((tmp_path / "p").rglob("缺号说明.xml")).read_text(encoding="utf-8")
    assert "已撤销（重复生成）" in gaps
