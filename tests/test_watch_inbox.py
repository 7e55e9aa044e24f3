"""The inbox (收件箱) through a running watcher, `wenshu watch --once`, and `wenshu watch` as a process
stopped by SIGTERM / Ctrl-C the way systemd and a clerk stop it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner

from archive import inbox
from indexer.index import ArchiveIndex
from tests.conftest import write_docx
from watch_helpers import NOTICE, indexed, wait_idle, wait_indexed, wait_until
from wenshu.cli import main

DOCNUM = "高教字〔2022〕8号"
TITLE = "关于做好2022年暑期校外培训治理工作的通知"


def filed_docs(archive) -> dict[str, dict]:
    return {p: f for p, f in indexed(archive).items() if f.get("docnum") == DOCNUM}


def test_dropped_document_is_filed_moved_and_searchable(archive, watcher):
    dropped = write_docx(archive.inbox / "市局来文.docx", NOTICE)
    docs = wait_until(lambda: filed_docs(archive) or None, what="the dropped notice filed and indexed")
    (path, fields), = docs.items()
    assert fields["title"] == TITLE and path.startswith("2022/") and fields["code"].startswith("A001-WS·2022-")
    assert "隐形变异" in fields["body"]
    assert not dropped.exists() and inbox.pending(archive) == []
    record = json.loads((archive.root / fields["record"] / "record.json").read_text(encoding="utf-8"))
    assert record["来源"] == "收文" and record["文号"] == DOCNUM and record["日期"] == "2022-06-30"
    wait_idle(watcher)
    assert watcher.stats.filed == 1 and watcher.stats.set_aside == 0
    # found by the searcher's own query path, not only by stored fields
    from whoosh.query import Term

    ai = ArchiveIndex(archive)
    with ai.searcher() as s:
        assert [h["path"] for h in s.search(Term("docnum", DOCNUM))] == [path]


def test_what_cannot_be_filed_is_set_aside_with_a_reason_and_never_deleted(archive, watcher):
    broken = archive.inbox / "损坏的来文.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    empty = archive.inbox / "空文件.pdf"
    empty.write_bytes(b"")
    odd = archive.inbox / "照片.heic"
    odd.write_bytes(b"\x00\x01 image")
    wait_until(lambda: watcher.stats.set_aside >= 3, what="three documents set aside")
    aside = inbox.failed_dir(archive)
    assert (aside / "损坏的来文.docx").read_bytes() == b"PK\x03\x04 not really a zip"
    assert (aside / "空文件.pdf").exists() and (aside / "照片.heic").read_bytes() == b"\x00\x01 image"
    for name, words in (("损坏的来文.docx", "损坏的来文.docx"), ("空文件.pdf", "空文件"), ("照片.heic", ".heic")):
        note = (aside / (name + inbox.REASON_SUFFIX)).read_text(encoding="utf-8")
        assert "未能归档的原因" in note and words in note
    assert inbox.pending(archive) == []
    assert not any(p.startswith("收件箱") for p in indexed(archive))

    # The same notice dropped twice: the second copy is already in the archive → set aside, kept.
    write_docx(archive.inbox / "来文.docx", NOTICE)
    (path, _), = wait_until(lambda: filed_docs(archive) or None, what="first copy filed").items()
    wait_idle(watcher)
    copy = archive.inbox / "来文（重复）.docx"
    shutil.copyfile(archive.root / path, copy)
    wait_until(lambda: (aside / copy.name).exists(), what="duplicate set aside")
    note = (aside / (copy.name + inbox.REASON_SUFFIX)).read_text(encoding="utf-8")
    assert "已在档案库中" in note
    assert len(filed_docs(archive)) == 1


def test_watch_once_reconciles_and_files_the_inbox(archive):
    folder = archive.root / "2022" / "离线放入"
    folder.mkdir(parents=True)
    (folder / "会议纪要.txt").write_text("局长办公会议纪要：课后服务经费。", encoding="utf-8")
    write_docx(archive.inbox / "来文.docx", NOTICE)
    result = CliRunner().invoke(main, ["watch", "--once", "--stability", "0.1", "--archive", str(archive.root)])
    assert result.exit_code == 0, result.output
    docs = indexed(archive)
    assert "2022/离线放入/会议纪要.txt" in docs
    assert len([f for f in docs.values() if f.get("docnum") == DOCNUM]) == 1
    assert inbox.pending(archive) == []
    assert "收件箱归档 1 件" in result.output


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_watch_process_stops_cleanly_on_signal(archive, sig):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "wenshu", "watch", "--archive", str(archive.root),
                             "--stability", "0.2"], stderr=subprocess.PIPE, stdout=subprocess.PIPE,
                            env=env, text=True, encoding="utf-8")
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    try:
        wait_until(lambda: any("启动对账" in line for line in lines), what="watcher started")
        f = archive.root / "2022" / "进程测试.txt"
        f.parent.mkdir()
        f.write_text("双减工作简报第一期", encoding="utf-8")
        wait_indexed(archive, ["2022/进程测试.txt"], body="双减工作简报")
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(5)
    out = "".join(lines)
    assert "正在停止" in out and "已停止，索引已提交" in out, out
    # The index is intact and its write lock free: a writer gets in at once.
    ai = ArchiveIndex(archive, lock_timeout=5)
    assert [o.status for o in ai.upsert_files([archive.root / "2022" / "进程测试.txt"])] == ["unchanged"]
    log = (archive.log_dir / "watch.log").read_text(encoding="utf-8")
    assert "已索引 2022/进程测试.txt" in log


def test_wenshu_file_while_the_watcher_indexes_a_burst(archive, watcher, tmp_path):
    """A clerk's command and the watcher share the index writer: the command waits its turn, no LockError."""
    folder = archive.root / "2023" / "批量"
    folder.mkdir(parents=True)
    for i in range(200):
        (folder / f"{i:03d}.txt").write_text(f"第{i}份台账", encoding="utf-8")
    src = write_docx(tmp_path / "来文.docx", NOTICE)
    result = CliRunner().invoke(main, ["file", str(src), "--archive", str(archive.root)])
    assert result.exit_code == 0, result.output
    wait_indexed(archive, [f"2023/批量/{i:03d}.txt" for i in range(200)])
    wait_until(lambda: filed_docs(archive) or None, what="the filed notice indexed")
    wait_idle(watcher)
    assert watcher.stats.indexed + watcher.stats.unchanged >= 200 and not watcher.stats.errors
