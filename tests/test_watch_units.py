"""The watcher's parts that need no observer: stability gate, junk filter, network-share detection, inbox notes."""

from __future__ import annotations

import os
import time

import pytest

from archive import inbox
from archive.ignore import is_ignored, is_junk_name
from watch.stability import StabilityTracker, stat_key
from watch.observer import make_observer, network_fs_type


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_due_only_after_quiet_period_and_unchanged_stat(tmp_path):
    f = tmp_path / "a.docx"
    f.write_bytes(b"x" * 10)
    clock = Clock()
    tr = StabilityTracker(0.5, clock=clock)
    tr.touch(str(f))
    clock.t += 0.4
    assert tr.due() == []
    clock.t += 0.2
    assert tr.due() == [(str(f), False)]
    assert len(tr) == 0


def test_file_still_growing_without_events_is_not_due(tmp_path):
    """A writer whose events we never see (network share): the stat check alone holds it back."""
    f = tmp_path / "scan.pdf"
    f.write_bytes(b"%PDF-1.4 part one")
    clock = Clock()
    tr = StabilityTracker(0.5, clock=clock)
    tr.touch(str(f))
    with open(f, "ab") as h:
        h.write(b" and part two")
    clock.t += 1.0
    assert tr.due() == []  # size changed: timer restarted
    clock.t += 0.4
    assert tr.due() == []
    clock.t += 0.2
    assert tr.due() == [(str(f), False)]


def test_each_event_restarts_the_timer(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("1")
    clock = Clock()
    tr = StabilityTracker(0.5, clock=clock)
    for _ in range(5):
        tr.touch(str(f))
        clock.t += 0.3
        assert tr.due() == []
    clock.t += 0.3
    assert [p for p, _ in tr.due()] == [str(f)]


def test_vanished_file_becomes_due_as_gone(tmp_path):
    f = tmp_path / "draft.docx"
    f.write_text("x")
    clock = Clock()
    tr = StabilityTracker(0.2, clock=clock)
    tr.touch(str(f))
    f.unlink()  # deleted before it became stable
    clock.t += 0.3
    assert tr.due() == []  # stat changed (now gone): wait once more
    clock.t += 0.3
    assert tr.due() == [(str(f), False)]
    assert stat_key(str(f)) is None


def test_batch_limit_takes_oldest_first_and_keeps_the_rest(tmp_path):
    clock = Clock()
    tr = StabilityTracker(0.1, clock=clock)
    paths = []
    for i in range(5):
        p = tmp_path / f"{i}.txt"
        p.write_text(str(i))
        paths.append(str(p))
        tr.touch(str(p))
        clock.t += 0.01
    clock.t += 1
    assert [p for p, _ in tr.due(limit=2)] == paths[:2]
    assert [p for p, _ in tr.due()] == paths[2:]
    assert tr.next_due_in() is None


@pytest.mark.parametrize("name", ["~$关于课后服务的通知.docx", ".~lock.关于课后服务的通知.docx#", "~WRL0001.tmp",
                                  "~WRD0003.tmp", "abc.tmp", ".DS_Store", "Thumbs.db", "desktop.ini", ".hidden.docx",
                                  "报告.docx~", "下载中.docx.crdownload"])
def test_office_temp_lock_and_system_junk_are_ignored(name):
    assert is_junk_name(name)


@pytest.mark.parametrize("name", ["关于课后服务的通知.docx", "高教字〔2022〕8号.pdf", "record.json", "说明.txt", "2022"])
def test_documents_are_not_junk(name):
    assert not is_junk_name(name)


def test_ignored_paths_cover_state_dir_and_outside(tmp_path):
    root = str(tmp_path)
    assert is_ignored(root, os.path.join(root, ".wenshu", "index", "MAIN.toc"))
    assert is_ignored(root, os.path.join(root, "2022", "~$通知.docx"))
    assert is_ignored(root, root)
    assert is_ignored(root, str(tmp_path.parent / "x.docx"))
    assert not is_ignored(root, os.path.join(root, "2022", "A001-WS·2022-D30-0001 通知", "通知.docx"))


def test_network_share_detection_picks_the_longest_mount():
    mounts = ("/dev/sda1 / ext4 rw 0 0\n"
              "//nas/档案 /mnt/nas cifs rw 0 0\n"
              "server:/export /mnt/nfs nfs4 rw 0 0\n"
              "/dev/sdb1 /mnt/nas/local ext4 rw 0 0\n")
    assert network_fs_type("/mnt/nas/2022", mounts) == "cifs"
    assert network_fs_type("/mnt/nfs", mounts) == "nfs4"
    assert network_fs_type("/mnt/nas/local/x", mounts) is None
    assert network_fs_type("/home/clerk", mounts) is None


def test_set_aside_never_overwrites_and_explains_in_chinese(archive):
    for i in range(2):
        f = archive.inbox / "坏文件.docx"
        f.write_bytes(b"not a zip %d" % i)
        dest = inbox.set_aside(archive, f, "文件已损坏（不是有效的 .docx）")
        assert not f.exists() and dest.exists()
        assert dest.read_bytes() == b"not a zip %d" % i
        note = (dest.parent / (dest.name + inbox.REASON_SUFFIX)).read_text(encoding="utf-8")
        assert "文件已损坏" in note and "坏文件.docx" in note
    names = sorted(p.name for p in inbox.failed_dir(archive).iterdir())
    assert names == sorted(["坏文件.docx", "坏文件（2）.docx", "坏文件.docx" + inbox.REASON_SUFFIX,
                            "坏文件（2）.docx" + inbox.REASON_SUFFIX])
    # What was set aside is not waiting to be filed again.
    assert inbox.pending(archive) == []


def test_inbox_failure_path_keeps_the_document(archive):
    """A filer that refuses (here: an unreadable document) → set aside with the reason; a bug in the
    filer → set aside too. The document is never lost."""
    from archive.errors import WenshuError

    f = archive.inbox / "通知.docx"
    f.write_bytes(b"PK broken")

    def refuse(a, p):
        raise WenshuError("通知.docx 不是有效的 Word 文件（压缩包已损坏）。")

    r = inbox.file_from_inbox(archive, f, refuse)
    assert r.record is None and r.set_aside is not None and r.set_aside.read_bytes() == b"PK broken"
    assert "压缩包已损坏" in r.reason

    g = archive.inbox / "函.txt"
    g.write_text("关于……的函", encoding="utf-8")
    r = inbox.file_from_inbox(archive, g, lambda a, p: 1 / 0)
    assert r.set_aside is not None and r.set_aside.exists() and "ZeroDivisionError" in r.reason


def test_native_events_unavailable_falls_back_to_polling_and_says_why(tmp_path, monkeypatch):
    """inotify refusing to start (e.g. the per-user watch limit reached) must not stop the watcher."""
    import queue

    import watchdog.observers

    class NoInotify(watchdog.observers.Observer):
        def start(self):
            raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(watchdog.observers, "Observer", NoInotify)
    q = queue.Queue()
    observer, mode, why = make_observer(str(tmp_path), q, polling=False, poll_interval=0.1)
    try:
        assert "轮询" in mode and "inotify watch limit reached" in why
        (tmp_path / "新文件.txt").write_text("x")
        kinds = set()
        deadline = time.monotonic() + 10
        while "created" not in kinds and time.monotonic() < deadline:
            try:
                kinds.add(q.get(timeout=0.2)[0])
            except queue.Empty:
                pass
        assert "created" in kinds  # the real polling observer delivers
    finally:
        observer.stop()
        observer.join()


def test_a_reconcile_that_fails_is_reported_and_the_watcher_goes_on(archive):
    from watch.watcher import Watcher

    class FullDisk:
        def reconcile(self):
            raise OSError("磁盘已满")

    w = Watcher(archive)
    w._index = FullDisk()
    w._reconcile("启动对账")  # must not raise
    assert any("启动对账失败" in m and "磁盘已满" in m for m in w.stats.errors)


def test_a_path_with_its_own_window_and_a_busy_writer_waits(tmp_path):
    """The inbox's longer window, and a writer still holding the file open keeps it back even
    when its size and mtime stand still (a scanner between pages)."""
    quick, slow = tmp_path / "index.txt", tmp_path / "inbox.pdf"
    quick.write_bytes(b"a")
    slow.write_bytes(b"%PDF")
    clock, writing = Clock(), {str(slow)}
    tr = StabilityTracker(0.5, clock=clock, delay_for=lambda p: 2.0 if p == str(slow) else 0.5,
                          busy=lambda p: p in writing)
    tr.touch(str(quick))
    tr.touch(str(slow))
    assert tr.next_due_in() == pytest.approx(0.5)
    clock.t += 1.0
    assert tr.due() == [(str(quick), False)]
    clock.t += 1.5
    assert tr.due() == []  # its window has run out, but the writer still has it open: restarted
    writing.clear()
    clock.t += 1.9
    assert tr.due() == []
    clock.t += 0.2
    assert tr.due() == [(str(slow), False)]


def test_stat_key_judges_a_link_as_a_link(tmp_path):
    target = tmp_path / "big.bin"
    target.write_bytes(b"x" * 1000)
    link = tmp_path / "link.bin"
    os.symlink(target, link)
    assert stat_key(str(link))[0] == len(str(target))  # the link's own size, not its target's
    os.symlink(tmp_path, tmp_path / "folder-link")
    assert stat_key(str(tmp_path / "folder-link"))[0] != -1  # not judged as a folder


def test_read_verified_reads_only_the_entry_and_notices_a_change(tmp_path):
    from archive.safe_paths import NotRegularFile, SourceChanged, read_verified

    f = tmp_path / "来文.txt"
    f.write_bytes(b"part one\n")
    os.symlink(f, tmp_path / "link.txt")
    with pytest.raises(NotRegularFile, match="符号链接"):
        read_verified(tmp_path / "link.txt")
    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(NotRegularFile, match="命名管道"):
        read_verified(tmp_path / "pipe.txt")  # O_NONBLOCK: refused at once, never blocks
    sha, ident = read_verified(f)
    with open(f, "ab") as w:
        w.write(b"part two\n")
    with pytest.raises(SourceChanged):
        read_verified(f, expect=ident, copy_to=tmp_path / "copy.txt")
    assert not (tmp_path / "copy.txt").exists()  # no half copy left behind
    sha2, _ = read_verified(f, copy_to=tmp_path / "copy.txt")
    assert (tmp_path / "copy.txt").read_bytes() == f.read_bytes() and sha2 != sha
