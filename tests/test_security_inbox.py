"""The inbox (收件箱) as an attacker (or an unlucky office) uses it — issue 12, items 1 and 6 and the
inbox LOW cases. Every test asserts the safe outcome on real files, a real watchdog observer and
real `wenshu` processes: nothing outside the archive changes (a sentinel tree, checksummed before
and after), a link is set aside as the link it is, a FIFO blocks nothing, a slow writer's whole
document is filed, a file name cannot forge a log line, an oversize file and a full disk are
reported in Chinese and lose nothing."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.filing import iter_records, record_folders
from archive.store import Archive
from archive import inbox
from watch.watcher import Watcher
from tests.conftest import write_docx
from watch_helpers import NOTICE, indexed, wait_idle, wait_until
from wenshu.cli import main

OTHER = ["高平市教育局文件", "高教字〔2022〕31号", "关于开展校园安全检查的通知", "各中小学：",
         "现将校园安全检查有关事项通知如下。", "高平市教育局", "2022年9月1日"]


# -- helpers -------------------------------------------------------------------------------------


def sentinel_tree(base: Path) -> Path:
    """A colleague's shared folder outside the archive: documents the inbox must never touch."""
    root = base / "共享"
    (root / "下级").mkdir(parents=True)
    write_docx(root / "机密来文.docx", OTHER)
    (root / "名单.txt").write_text("关于教师名单的通知\n张三 李四 王五\n", encoding="utf-8")
    write_docx(root / "下级" / "整改报告.docx", NOTICE)
    (root / "下级" / "备忘.txt").write_text("关于备忘的报告\n内部备忘\n", encoding="utf-8")
    return root


def checksums(root: Path) -> dict[str, str]:
    """Every entry below ``root`` (links as links) → its content's sha256."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = "link→" + os.readlink(p)
            elif p.is_file():
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
            else:
                out[rel] = "dir"
    return out


def records(archive) -> list:
    return [r for _, r in iter_records(Archive(archive.root))]


def wenshu(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """A real `wenshu` process (the CLI a cron job or systemd runs)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, "-m", "wenshu", *args], capture_output=True, text=True,
                          encoding="utf-8", errors="replace", env=env, timeout=timeout)


def watch_once(archive, timeout: float = 120) -> subprocess.CompletedProcess:
    return wenshu("watch", "--once", "--stability", "0.1", "--archive", str(archive.root), timeout=timeout)


def note_of(archive, name: str) -> str:
    return (inbox.failed_dir(archive) / (name + inbox.REASON_SUFFIX)).read_text(encoding="utf-8")


# -- links ---------------------------------------------------------------------------------------


def test_watch_once_sets_links_aside_and_never_touches_their_targets(archive, tmp_path):
    shared = sentinel_tree(tmp_path)
    before = checksums(shared)
    os.symlink(shared / "机密来文.docx", archive.inbox / "来文.docx")
    os.symlink(shared / "下级", archive.inbox / "一批来文")
    os.symlink(tmp_path / "不存在.docx", archive.inbox / "断链.docx")
    write_docx(archive.inbox / "真来文.docx", NOTICE)

    res = watch_once(archive)
    assert res.returncode == 0, res.stderr
    assert checksums(shared) == before  # nothing outside the archive read into a record, moved or removed
    (r,) = records(archive)  # only the genuine document
    assert r.title == "关于做好2022年暑期校外培训治理工作的通知"
    aside = inbox.failed_dir(archive)
    for name, target in (("来文.docx", shared / "机密来文.docx"), ("一批来文", shared / "下级"),
                         ("断链.docx", tmp_path / "不存在.docx")):
        moved = aside / name
        assert moved.is_symlink() and os.readlink(moved) == str(target)  # the LINK moved, not its target
        assert "符号链接" in note_of(archive, name) and "不跟随" in note_of(archive, name)
    assert inbox.pending(archive) == []
    assert not any("张三" in f.get("body", "") or "校园安全" in f.get("body", "") for f in indexed(archive).values())


def test_live_watcher_sets_links_and_fifos_aside_and_keeps_filing(archive, watcher, tmp_path):
    shared = sentinel_tree(tmp_path)
    before = checksums(shared)
    os.symlink(shared, archive.inbox / "共享文件夹")  # a whole linked folder
    os.symlink(shared / "名单.txt", archive.inbox / "名单.txt")
    os.mkfifo(archive.inbox / "管道.docx")
    sub = archive.inbox / "某校"
    sub.mkdir()
    os.symlink(shared / "下级", sub / "转来的文件夹")  # a link inside a real sub-folder
    wait_until(lambda: watcher.stats.set_aside >= 4, what="four odd entries set aside")
    write_docx(archive.inbox / "真来文.docx", NOTICE)
    wait_until(lambda: watcher.stats.filed >= 1, what="the genuine document filed")
    wait_idle(watcher)
    assert checksums(shared) == before
    assert watcher.stats.filed == 1 and not watcher.failed
    aside = inbox.failed_dir(archive)
    assert (aside / "共享文件夹").is_symlink() and (aside / "名单.txt").is_symlink()
    assert (aside / "转来的文件夹").is_symlink()
    assert stat.S_ISFIFO(os.lstat(aside / "管道.docx").st_mode)
    assert "命名管道" in note_of(archive, "管道.docx")
    assert [r.title for r in records(archive)] == ["关于做好2022年暑期校外培训治理工作的通知"]
    assert not any("张三" in f.get("body", "") for f in indexed(archive).values())


def test_a_link_to_etc_passwd_is_not_filed(archive):
    from archive.safe_paths import unsafe_entry  # noqa: F401 — on code without it, stop before linking

    passwd = Path("/etc/passwd")
    if not passwd.is_file():
        pytest.skip("no /etc/passwd here")
    before = hashlib.sha256(passwd.read_bytes()).hexdigest()
    os.symlink(passwd, archive.inbox / "passwd.txt")
    stats = Watcher(archive, stability=0.1, interval=3600).run_once()
    assert hashlib.sha256(passwd.read_bytes()).hexdigest() == before and passwd.is_file()
    assert stats.filed == 0 and stats.set_aside == 1 and records(archive) == []
    assert (inbox.failed_dir(archive) / "passwd.txt").is_symlink()
    assert not any("root:" in f.get("body", "") for f in indexed(archive).values())


def test_a_hard_link_into_the_inbox_is_set_aside_and_its_other_name_kept(archive, tmp_path):
    shared = sentinel_tree(tmp_path)
    before = checksums(shared)
    os.link(shared / "机密来文.docx", archive.inbox / "来文.docx")  # same disk: a hard link
    stats = Watcher(archive, stability=0.1, interval=3600).run_once()
    assert stats.filed == 0 and stats.set_aside == 1 and records(archive) == []
    assert checksums(shared) == before
    moved = inbox.failed_dir(archive) / "来文.docx"
    assert moved.samefile(shared / "机密来文.docx")  # the entry moved; the data and its other name intact
    assert "硬链接" in note_of(archive, "来文.docx")


def test_the_failed_folder_replaced_by_a_link_sends_nothing_out(archive, tmp_path):
    shared = sentinel_tree(tmp_path)
    before = checksums(shared)
    os.symlink(shared, inbox.failed_dir(archive))  # 未能归档 → the colleague's folder
    (archive.inbox / "损坏.docx").write_bytes(b"PK\x03\x04 not a zip")
    stats = Watcher(archive, stability=0.1, interval=3600).run_once()
    assert checksums(shared) == before  # no note, no document written through the link
    aside = inbox.failed_dir(archive)
    assert aside.is_dir() and not aside.is_symlink()
    assert (aside / "损坏.docx").read_bytes() == b"PK\x03\x04 not a zip"
    assert stats.set_aside >= 1


def test_wenshu_file_refuses_a_link_and_names_the_real_file(archive, tmp_path):
    shared = sentinel_tree(tmp_path)
    before = checksums(shared)
    link = tmp_path / "快捷方式.docx"
    os.symlink(shared / "机密来文.docx", link)
    res = CliRunner().invoke(main, ["file", str(link), "--move", "--archive", str(archive.root)])
    assert res.exit_code == 1
    assert "符号链接" in res.output and str(shared / "机密来文.docx") in res.output
    assert checksums(shared) == before and link.is_symlink() and records(archive) == []
    # naming the real file works (and, without --move, copies it)
    res = CliRunner().invoke(main, ["file", str(shared / "机密来文.docx"), "--archive", str(archive.root)])
    assert res.exit_code == 0, res.output
    assert checksums(shared) == before and len(records(archive)) == 1


def test_traversals_of_the_archive_stop_at_links(archive, tmp_path):
    shared = sentinel_tree(tmp_path)
    src = write_docx(tmp_path / "来文.docx", NOTICE)
    res = CliRunner().invoke(main, ["file", str(src), "--archive", str(archive.root)])
    assert res.exit_code == 0, res.output
    (folder,) = list(record_folders(archive))
    # a record folder copied out and linked back in (a linked year folder too) is no record here
    outside = tmp_path / "库外记录"
    os.rename(folder, outside)
    os.symlink(outside, folder)
    os.symlink(folder.parent, archive.root / "2021")
    os.symlink(shared / "名单.txt", archive.root / "2022" / "名单.txt")
    before = checksums(shared)
    assert list(record_folders(archive)) == [] and records(archive) == []
    Watcher(archive, stability=0.1, interval=3600).run_once()
    docs = indexed(archive)
    assert not any(p.startswith("2021/") or "名单" in p or "张三" in f.get("body", "") for p, f in docs.items())
    assert not any(f.get("record") for f in docs.values())
    assert checksums(shared) == before


# -- FIFOs ---------------------------------------------------------------------------------------


def test_fifos_in_the_inbox_and_the_archive_do_not_hang_watch_once(archive):
    os.mkfifo(archive.inbox / "管道.docx")
    loose = archive.root / "2022" / "离线放入"
    loose.mkdir(parents=True)
    os.mkfifo(loose / "管道.txt")  # old reconcile opened it and blocked for ever
    (loose / "会议纪要.txt").write_text("局长办公会议纪要：课后服务经费。", encoding="utf-8")
    write_docx(archive.inbox / "来文.docx", NOTICE)
    try:
        res = watch_once(archive, timeout=90)
    except subprocess.TimeoutExpired:
        pytest.fail("wenshu watch --once hung on a FIFO")
    assert res.returncode == 0, res.stderr
    assert stat.S_ISFIFO(os.lstat(inbox.failed_dir(archive) / "管道.docx").st_mode)
    assert "命名管道" in note_of(archive, "管道.docx")
    docs = indexed(archive)
    assert "2022/离线放入/会议纪要.txt" in docs and "2022/离线放入/管道.txt" not in docs
    assert len(records(archive)) == 1


# -- a writer still writing ------------------------------------------------------------------------

SLOW_WRITER = r"""
import sys, time
path, mode, pause = sys.argv[1], sys.argv[2], float(sys.argv[3])
chunks = [line + "\n" for line in sys.argv[4:]]
if mode == "held":  # a scanner: one open file, long pauses between pages
    with open(path, "w", encoding="utf-8") as f:
        for i, c in enumerate(chunks):
            f.write(c); f.flush()
            print("chunk", i, flush=True)
            time.sleep(pause)
else:  # a network copy that reopens the file for each block
    for i, c in enumerate(chunks):
        with open(path, "a", encoding="utf-8") as f:
            f.write(c)
        print("chunk", i, flush=True)
        if i < len(chunks) - 1:
            time.sleep(pause)
print("done", flush=True)
"""


@pytest.mark.parametrize("mode, pause", [("held", 1.5), ("reopened", 1.0)])
def test_a_slow_writer_is_filed_whole(archive, watcher, mode, pause):
    lines = NOTICE + [f"附：第{i}页 扫描内容" for i in range(1, 4)]
    chunks = [lines[i:i + 3] for i in range(0, len(lines), 3)]
    target = archive.inbox / "扫描来文.txt"
    writer = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(target), mode, str(pause),
                               *["\n".join(c) for c in chunks]], stdout=subprocess.PIPE, text=True)
    out, _ = writer.communicate(timeout=120)
    assert "done" in out
    wait_until(lambda: watcher.stats.filed + watcher.stats.set_aside >= 1, what="the scan filed")
    wait_idle(watcher)
    expected = "".join("\n".join(c) + "\n" for c in chunks).encode("utf-8")
    assert watcher.stats.filed == 1 and watcher.stats.set_aside == 0
    (folder,) = list(record_folders(archive))
    (name,) = [p for p in os.listdir(folder) if p != "record.json"]
    assert (folder / name).read_bytes() == expected  # the whole content, nothing lost
    record = json.loads((folder / "record.json").read_text(encoding="utf-8"))
    assert record["文件"][0]["sha256"] == hashlib.sha256(expected).hexdigest()
    assert not target.exists() and inbox.pending(archive) == []


# -- names, limits, a full disk ------------------------------------------------------------------


def test_a_file_name_cannot_forge_a_log_line_or_drive_the_terminal(archive):
    name = "来文\n2026-01-01 00:00:00 INFO 收件箱：已归档 伪造 → 2022\x1b[31m红字\x1b[0m\u202e.docx"
    write_docx(archive.inbox / name, NOTICE)
    (archive.inbox / "损坏\r\x1b[2J.docx").write_bytes(b"PK\x03\x04 not a zip")
    res = watch_once(archive)
    assert res.returncode == 0, res.stderr
    log = (archive.log_dir / "watch.log").read_text(encoding="utf-8")
    for text in (log, res.stderr):
        assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
        assert not any(line.startswith("2026-01-01 00:00:00") for line in text.splitlines())
    assert "来文\\n2026-01-01 00:00:00 INFO" in log and "\\x1b[31m" in log
    record_line = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (INFO|WARNING|ERROR|CRITICAL) |^    ")
    assert all(record_line.match(line) for line in log.splitlines()), log
    assert len(records(archive)) == 1


def test_a_file_over_the_size_limit_is_set_aside_naming_the_limit(archive):
    config = archive.config_path
    config.write_text(config.read_text(encoding="utf-8") + "\n[limits]\nmax_file_mb = 1\n", encoding="utf-8")
    big = archive.inbox / "超大来文.txt"
    big.write_text("\n".join(NOTICE) + "\n" + "扫描内容" * 150_000, encoding="utf-8")  # ~1.8 MB
    size = big.stat().st_size
    stats = Watcher(Archive(archive.root), stability=0.1, interval=3600).run_once()
    assert stats.filed == 0 and stats.set_aside == 1 and records(archive) == []
    assert (inbox.failed_dir(archive) / "超大来文.txt").stat().st_size == size
    note = note_of(archive, "超大来文.txt")
    assert "1 MB" in note and "max_file_mb" in note and "[limits]" in note


@pytest.fixture
def full_failed_dir(archive):
    """收件箱/未能归档/ on a real, full file system (a 4 KiB tmpfs): writing the note gives ENOSPC."""
    target = inbox.failed_dir(archive)
    target.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(target)], capture_output=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {res.stderr.decode(errors='replace').strip()}")
    try:
        with pytest.raises(OSError):
            for i in range(64):
                (target / f"填满{i}").write_bytes(b"x" * 4096)
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


def test_a_full_disk_while_setting_aside_loses_nothing_and_prints_no_traceback(archive, full_failed_dir):
    broken = archive.inbox / "损坏的来文.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    res = watch_once(archive)
    assert "Traceback" not in res.stderr and "Error:" not in res.stderr, res.stderr
    assert res.returncode == 1 and "无法移到 未能归档" in res.stderr
    assert broken.read_bytes() == b"PK\x03\x04 not really a zip"  # still where the clerk put it
    assert "无法移到 未能归档" in (archive.log_dir / "watch.log").read_text(encoding="utf-8")
    # a running watcher stays up and goes on filing
    w = Watcher(archive, stability=0.2, interval=3600)
    w.start()
    try:
        assert w.wait_ready(60)
        write_docx(archive.inbox / "来文.docx", NOTICE)
        wait_until(lambda: w.stats.filed >= 1, what="the next document filed")
        wait_idle(w)
        assert not w.failed and any("无法移到" in e for e in w.stats.errors)
    finally:
        w.stop()
    assert broken.read_bytes() == b"PK\x03\x04 not really a zip"
    assert len(records(archive)) == 1


def test_a_writer_seen_in_proc_keeps_the_file_waiting(tmp_path):
    from watch.stability import open_for_writing

    path = tmp_path / "扫描中.pdf"
    child = subprocess.Popen([sys.executable, "-c",
                              "import sys,time; f=open(sys.argv[1],'wb'); f.write(b'%PDF'); f.flush();"
                              "print('open', flush=True); sys.stdin.readline()", str(path)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "open"
        assert open_for_writing(str(path))
        reader = open(path, "rb")  # a reader is no writer
        child.stdin.write("\n")
        child.stdin.flush()
        child.wait(30)
        assert not open_for_writing(str(path))
        reader.close()
    finally:
        if child.poll() is None:
            child.kill()

