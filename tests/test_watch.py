"""The watcher against a real archive: a real watchdog observer in a thread, the real ArchiveIndex.

Each test waits for the index to reach the expected state with a deadline (helpers in
watch_helpers.py); the watcher's counters prove what was read, and how often.
"""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest

from indexer.index import ArchiveIndex
from watch.watcher import Watcher
from tests.conftest import write_docx
from watch_helpers import indexed, wait_gone, wait_idle, wait_indexed, wait_until
from tests.pg_helpers import pg_cluster, search_engine, use_search_server, whoosh_only  # noqa: F401 — fixtures


@pytest.fixture
def archive(archive, search_engine):  # noqa: F811 — every watcher test on whoosh and on PostgreSQL
    if search_engine:
        use_search_server(archive, search_engine)
    return archive


@pytest.fixture
def start(archive):
    running = []

    def _start(**kw):
        kw.setdefault("stability", 0.2)
        kw.setdefault("interval", 3600)
        w = Watcher(archive, **kw)
        w.start()
        assert w.wait_ready(60), "startup reconcile did not finish"
        running.append(w)
        return w

    yield _start
    for w in running:
        w.stop()


def rel(archive, path) -> str:
    return path.relative_to(archive.root).as_posix()


def test_created_modified_touched_deleted(archive, start):
    w = start()
    folder = archive.root / "2022" / "杂项"
    folder.mkdir(parents=True)
    f = folder / "课后服务.txt"
    f.write_text("学校课后服务基本满足学生需要", encoding="utf-8")
    wait_indexed(archive, [rel(archive, f)], body="课后服务基本满足")

    f.write_text("学校课后服务全面覆盖，双减落实到位", encoding="utf-8")
    wait_indexed(archive, [rel(archive, f)], body="双减落实到位")
    wait_idle(w)
    assert (w.stats.indexed, w.stats.updated) == (1, 1)

    os.utime(f, None)  # saved again without a change: mtime moves, the content is the same
    wait_until(lambda: w.stats.unchanged >= 1, what="touch seen as unchanged")
    wait_idle(w)
    assert w.stats.updated == 1  # not re-read

    f.unlink()
    wait_gone(archive, [rel(archive, f)])


def test_slow_chunked_write_is_indexed_once_and_complete(archive, start):
    """A network copy / scanner: the file grows in chunks with pauses shorter than the quiet period."""
    w = start(stability=2.0)  # ≫ the writer's 0.05 s pauses, even on a loaded machine
    f = archive.root / "2022" / "扫描件.txt"
    f.parent.mkdir(parents=True)
    chunks = [f"第{i}段：整改报告内容，落实师德师风建设。\n" for i in range(20)]
    with open(f, "w", encoding="utf-8") as h:
        for c in chunks:
            h.write(c)
            h.flush()
            time.sleep(0.05)  # the writer's pace, not an assertion
    docs = wait_indexed(archive, [rel(archive, f)], body="第19段")
    assert docs[rel(archive, f)]["body"].count("整改报告内容") == 20
    wait_idle(w)
    assert (w.stats.indexed, w.stats.updated) == (1, 0)


def test_thousand_files_at_once_all_indexed_none_twice(archive, start):
    w = start()
    folder = archive.root / "2023" / "批量收文"
    folder.mkdir(parents=True)
    names = [f"收文{i:04d}.txt" for i in range(1000)]
    for i, n in enumerate(names):
        (folder / n).write_text(f"第{i}号来文，关于校外培训机构排查第{i}批。", encoding="utf-8")
    wanted = [f"2023/批量收文/{n}" for n in names]
    wait_indexed(archive, wanted, timeout=120)
    wait_idle(w)
    docs = indexed(archive)
    assert sum(1 for p in docs if p.startswith("2023/批量收文/")) == 1000
    assert w.stats.indexed == 1000 and w.stats.updated == 0 and w.stats.failed == 0
    assert "第999号来文" in docs["2023/批量收文/收文0999.txt"]["body"]


def test_word_save_dance_is_one_update_and_nothing_lost(archive, start):
    w = start()
    doc = archive.root / "2022" / "草稿" / "关于课后服务的通知.docx"
    write_docx(doc, ["关于课后服务的通知", "第一稿：课后服务时间为下午五点半。"])
    wait_indexed(archive, [rel(archive, doc)], body="第一稿")
    wait_idle(w)
    seen_paths = set()

    # What Word does on save: owner lock, new content to a temp file, original renamed away,
    # temp renamed over the original, old copy deleted, lock removed. LibreOffice's lock too.
    lock = doc.parent / "~$关于课后服务的通知.docx"
    lo_lock = doc.parent / ".~lock.关于课后服务的通知.docx#"
    lock.write_bytes(b"clerk")
    lo_lock.write_text("clerk,,host,2026")
    tmp = doc.parent / "~WRD0000.tmp"
    write_docx(tmp, ["关于课后服务的通知", "第二稿：课后服务时间延长到下午六点。"])
    os.rename(doc, doc.parent / "~WRL0001.tmp")
    os.rename(tmp, doc)
    (doc.parent / "~WRL0001.tmp").unlink()
    lock.unlink()
    lo_lock.unlink()

    def check():
        docs = indexed(archive)
        seen_paths.update(docs)
        return "第二稿" in docs.get(rel(archive, doc), {}).get("body", "")

    wait_until(check, what="new content indexed")
    wait_idle(w)
    assert w.stats.updated == 1 and w.stats.indexed == 1 and w.stats.removed == 0
    assert not any("~" in p or ".tmp" in p or "lock" in p for p in seen_paths)


def test_folder_of_fifty_moved_in_and_renamed(archive, start, tmp_path):
    w = start()
    outside = tmp_path / "U盘" / "2021年督查材料"
    outside.mkdir(parents=True)
    for i in range(50):
        (outside / f"材料{i:02d}.txt").write_text(f"督查材料第{i}份：住家家教排查。", encoding="utf-8")
    target = archive.root / "2021" / "2021年督查材料"
    target.parent.mkdir()
    os.rename(outside, target)  # one event for the folder; the files come with it
    wanted = [f"2021/2021年督查材料/材料{i:02d}.txt" for i in range(50)]
    wait_indexed(archive, wanted)
    wait_idle(w)
    assert w.stats.indexed == 50

    # Renamed inside the archive: paths follow, nothing is re-read.
    os.rename(target, archive.root / "2021" / "督查材料（已整理）")
    moved = [p.replace("2021年督查材料", "督查材料（已整理）") for p in wanted]
    docs = wait_indexed(archive, moved)
    assert not any(p in docs for p in wanted)
    wait_idle(w)
    assert w.stats.indexed == 50 and w.stats.updated == 0 and w.stats.moved >= 1

    # Moved out of the archive (e.g. to the trash): one event for the folder, all files leave the index.
    shutil.move(str(archive.root / "2021" / "督查材料（已整理）"), str(tmp_path / "回收站"))
    wait_gone(archive, moved)


def test_file_renamed_keeps_entry_without_rereading(archive, start):
    w = start()
    a = archive.root / "2022" / "旧名.txt"
    a.parent.mkdir()
    a.write_text("众筹私教专项治理", encoding="utf-8")
    wait_indexed(archive, ["2022/旧名.txt"])
    wait_idle(w)
    os.rename(a, a.parent / "新名.txt")
    docs = wait_indexed(archive, ["2022/新名.txt"], body="众筹私教")
    assert "2022/旧名.txt" not in docs
    wait_idle(w)
    assert (w.stats.moved, w.stats.indexed, w.stats.updated) == (1, 1, 0)


def test_record_json_edit_refreshes_metadata_and_broken_one_keeps_last_good(archive, start):
    from archive.filing import file_record

    src = archive.root.parent / "外来" / "关于加强师德师风建设的通知.txt"
    src.parent.mkdir()
    src.write_text("关于加强师德师风建设的通知\n各学校：请加强师德师风建设。", encoding="utf-8")
    record = file_record(archive, [(src, "原件")], {"title": "关于加强师德师风建设的通知", "date": "2022-05-06"})
    folder = archive.root / record.relative_folder()
    w = start()
    doc_rel = rel(archive, folder / src.name)
    docs = wait_indexed(archive, [doc_rel])
    assert docs[doc_rel]["title"] == "关于加强师德师风建设的通知"

    data = json.loads((folder / "record.json").read_text(encoding="utf-8"))
    data["题名"] = "关于进一步加强师德师风建设的通知"
    (folder / "record.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    wait_until(lambda: indexed(archive)[doc_rel]["title"] == "关于进一步加强师德师风建设的通知",
               what="title refreshed from record.json")

    failed_before = w.stats.failed
    (folder / "record.json").write_text("{ 这不是 JSON", encoding="utf-8")
    wait_until(lambda: w.stats.failed > failed_before, what="broken record.json reported")
    wait_idle(w)
    assert indexed(archive)[doc_rel]["title"] == "关于进一步加强师德师风建设的通知"


def test_unreadable_files_are_logged_listed_and_never_stop_the_watcher(archive, start, caplog):
    from pypdf import PdfWriter

    w = start()
    folder = archive.root / "2022" / "问题文件"
    folder.mkdir(parents=True)
    (folder / "损坏.docx").write_bytes(b"PK\x03\x04 this is not a zip at all")
    (folder / "空白.docx").write_bytes(b"")
    pdf = PdfWriter()
    pdf.add_blank_page(595, 842)
    pdf.encrypt("secret")
    with open(folder / "加密.pdf", "wb") as h:
        pdf.write(h)
    bad = ["2022/问题文件/损坏.docx", "2022/问题文件/空白.docx", "2022/问题文件/加密.pdf"]
    locked = folder / "无权限.txt"
    locked.write_text("机密", encoding="utf-8")
    locked.chmod(0)
    can_deny = not os.access(locked, os.R_OK)  # root reads anything
    if can_deny:
        bad.append("2022/问题文件/无权限.txt")
    (folder / "正常.txt").write_text("之后的正常文件照常索引", encoding="utf-8")
    try:
        wait_indexed(archive, ["2022/问题文件/正常.txt"], body="照常索引")
        wait_until(lambda: w.stats.failed >= len(bad), what="unreadable files reported")
        wait_idle(w)
        listed = dict(ArchiveIndex(archive).failures())
        assert set(bad) <= set(listed), listed
        assert all(listed[p] for p in bad)  # a reason in Chinese for each
        assert w._worker is not None and w._worker.is_alive()
        # …and `wenshu check` lists them
        from click.testing import CliRunner

        from wenshu.cli import main

        out = CliRunner().invoke(main, ["check", "--quick", "--archive", str(archive.root)]).output
        assert "文件无法读取" in out and all(p in out for p in bad), out
    finally:
        locked.chmod(0o644)


def test_changes_made_while_stopped_are_found_at_start(archive, start):
    w = start()
    folder = archive.root / "2022" / "台账"
    folder.mkdir(parents=True)
    keep, change, drop = (folder / n for n in ("保留.txt", "修改.txt", "删除.txt"))
    for f in (keep, change, drop):
        f.write_text(f"{f.stem}：初始内容", encoding="utf-8")
    wait_indexed(archive, [rel(archive, f) for f in (keep, change, drop)])
    wait_idle(w)
    w.stop()

    change.write_text("修改：停机期间改过的内容", encoding="utf-8")
    drop.unlink()
    new = folder / "新增.txt"
    new.write_text("新增：停机期间放入的文件", encoding="utf-8")

    w2 = start()  # wait_ready: the startup reconcile is done
    docs = indexed(archive)
    assert "停机期间改过" in docs[rel(archive, change)]["body"]
    assert rel(archive, drop) not in docs
    assert "停机期间放入" in docs[rel(archive, new)]["body"]
    assert rel(archive, keep) in docs
    assert w2.stats.indexed == 0  # the reconcile did it, not events


def test_polling_mode(archive, start):
    w = start(polling=True, poll_interval=0.2)
    assert "轮询" in w.mode
    f = archive.root / "2022" / "轮询.txt"
    f.parent.mkdir()
    f.write_text("网络共享盘上的文件", encoding="utf-8")
    wait_indexed(archive, ["2022/轮询.txt"], body="网络共享盘")
    os.rename(f, f.parent / "轮询改名.txt")
    docs = wait_indexed(archive, ["2022/轮询改名.txt"])
    assert "2022/轮询.txt" not in docs
    (f.parent / "轮询改名.txt").unlink()
    wait_gone(archive, ["2022/轮询改名.txt"])


def test_periodic_rescan_catches_what_no_event_reported(archive, start):
    """A change the observer never reports (here: a poller that would not look for an hour) is
    found by the periodic rescan — the safety net for missed events on busy or network disks."""
    w = start(polling=True, poll_interval=3600, interval=1)
    f = archive.root / "2022" / "漏报.txt"
    f.parent.mkdir()
    f.write_text("没有事件也能被复查发现", encoding="utf-8")
    wait_indexed(archive, ["2022/漏报.txt"], body="复查发现")
    assert w.stats.indexed == 0  # found by the rescan's reconcile, not by an event


def test_file_renamed_then_edited_is_reread_not_just_moved(archive, start):
    w = start()
    a = archive.root / "2022" / "初稿.txt"
    a.parent.mkdir()
    a.write_text("初稿：课后服务方案", encoding="utf-8")
    wait_indexed(archive, ["2022/初稿.txt"])
    wait_idle(w)
    b = a.parent / "定稿.txt"
    os.rename(a, b)
    b.write_text("定稿：课后服务方案（已修改）", encoding="utf-8")  # before the rename settled
    docs = wait_indexed(archive, ["2022/定稿.txt"], body="已修改")
    assert "2022/初稿.txt" not in docs
    wait_idle(w)
    assert "2022/初稿.txt" not in indexed(archive)


def test_folder_deleted_file_by_file_leaves_the_index(archive, start):
    w = start()
    folder = archive.root / "2020" / "过期草稿"
    folder.mkdir(parents=True)
    for i in range(10):
        (folder / f"草稿{i}.txt").write_text(f"草稿{i}", encoding="utf-8")
    wanted = [f"2020/过期草稿/草稿{i}.txt" for i in range(10)]
    wait_indexed(archive, wanted)
    shutil.rmtree(folder)
    wait_gone(archive, wanted)
    wait_idle(w)
    assert w.stats.removed >= 10


def test_single_file_commits_skip_the_merge_and_the_index_is_merged_when_idle(archive, start):
    """One-file updates commit without whoosh's segment merge (the latency tail); once the
    watcher is idle the segments are merged, so searches do not slow down over the day."""
    whoosh_only(ArchiveIndex(archive))
    w = start()
    folder = archive.root / "2022" / "逐份"
    folder.mkdir(parents=True)
    for i in range(6):
        (folder / f"{i}.txt").write_text(f"第{i}份", encoding="utf-8")
        wait_indexed(archive, [f"2022/逐份/{i}.txt"])
    ai = ArchiveIndex(archive)
    wait_until(lambda: w._merges.unmerged == 0, what="segments merged after the watcher went idle")
    assert len(ai.index()._segments()) <= 2
    assert len(indexed(archive)) == 6


def test_renamed_then_deleted_before_settling_leaves_nothing_behind(archive, start):
    w = start()
    a = archive.root / "2022" / "临时.txt"
    a.parent.mkdir()
    a.write_text("临时文件", encoding="utf-8")
    wait_indexed(archive, ["2022/临时.txt"])
    wait_idle(w)
    os.rename(a, a.parent / "临时2.txt")
    (a.parent / "临时2.txt").unlink()
    wait_gone(archive, ["2022/临时.txt"])
    wait_idle(w)
    assert not any(p.startswith("2022/临时") for p in indexed(archive))
