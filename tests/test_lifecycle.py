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
from indexer.watcher import Watcher
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
