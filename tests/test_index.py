"""The index writer API the CLI and the watcher share: upsert/remove/move/refresh/reconcile,
automatic rebuilds (schema change, corrupt or missing index) and concurrent writers."""

from __future__ import annotations

import json
import multiprocessing
import os
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.archival_code import ArchivalCode, Retention
from archive.docnumber import DocNumber
from archive.record import Record
from archive.store import Archive
from indexer.index import ArchiveIndex
from indexer.search import search
from tests.pg_helpers import pg_cluster, search_engine, use_search_server, whoosh_only  # noqa: F401 — fixtures
from wenshu.cli import main


def add_record(archive, item, title, body, dn=None, name="正文.txt"):
    rec = Record(ArchivalCode("A001", 2022, Retention.YEARS_30, "BGS", item), title, author="高平市教育局",
                 date=date(2022, 3, item % 28 + 1), doc_number=DocNumber.parse(dn) if dn else None, doc_type="通知")
    folder = archive.root / rec.relative_folder()
    folder.mkdir(parents=True, exist_ok=True)
    rec.save(folder)
    (folder / name).write_text(body, encoding="utf-8")
    return folder


@pytest.fixture
def ix(archive, search_engine):  # noqa: F811 — each test on whoosh and on PostgreSQL
    if search_engine:
        use_search_server(archive, search_engine)
    messages = []
    ai = ArchiveIndex(archive, notify=messages.append)
    ai.messages = messages
    ai.rebuild()  # an empty index, so that the first upsert is the one that indexes
    return ai


def hits(ai, text):
    return [h.path for h in search(ai, text, limit=100).hits]


def test_is_indexable_ignores_junk_and_state(ix, archive):
    r = archive.root
    for bad in ("2022/x/~$正文.docx", "2022/x/.~lock.正文.docx#", "2022/x/~WRL0003.tmp", "2022/x/a.tmp",
                "2022/x/.DS_Store", "2022/x/Thumbs.db", "2022/x/desktop.ini", "2022/x/.hidden.txt",
                "2022/.git/x.txt", ".wenshu/index/state.json", "收件箱/来文.docx", "2022/x/record.json",
                "wenshu.toml"):
        assert not ix.is_indexable(r / bad), bad
    assert not ix.is_indexable("/elsewhere/a.txt")
    for good in ("2022/x/正文.docx", "2022/x/附件1.pdf", "散件.txt", "2022/x/scan.jpg"):
        assert ix.is_indexable(r / good) and ix.is_indexable(good), good


def test_upsert_reports_what_it_did(ix, archive):
    folder = add_record(archive, 1, "关于课后服务的通知", "学校课后服务基本满足学生需要。", "高教字〔2022〕1号")
    body = folder / "正文.txt"
    (folder / "~$正文.docx").write_bytes(b"lock")
    first = ix.upsert_files([body, folder / "~$正文.docx", archive.root / "收件箱" / "a.txt"])
    assert sorted(o.status for o in first) == ["ignored", "ignored", "indexed"]
    assert ix.upsert_files([body])[0].status == "unchanged"
    assert ix.messages == []
    size, mtime, sha = ix.file_state(body)
    os.utime(body, ns=(mtime + 10**9, mtime + 10**9))  # touched, same bytes
    assert ix.upsert_files([body])[0].status == "unchanged"
    assert ix.file_state(body) == (size, mtime + 10**9, sha)
    body.write_text("学校课后服务基本满足学生需要，并开展师德师风教育。", encoding="utf-8")
    assert ix.upsert_files([str(body)])[0].status == "updated"
    assert hits(ix, "师德师风") == [body.relative_to(archive.root).as_posix()]
    body.unlink()
    assert ix.upsert_files([body])[0].status == "removed"
    assert hits(ix, "课后服务") == []


def test_unreadable_file_is_reported_and_remembered(ix, archive):
    folder = add_record(archive, 2, "关于报送材料的通知", "请报送。")
    bad = folder / "附件.docx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    (outcome,) = ix.upsert_files([bad])
    assert outcome.status == "failed" and "附件.docx" in outcome.reason
    rel = bad.relative_to(archive.root).as_posix()
    assert dict(ix.failures())[rel] == outcome.reason
    assert rel in hits(ix, "关于报送材料的通知")  # still found by its record's metadata


def test_loose_file_is_indexed_with_what_it_says(ix, archive):
    loose = archive.root / "2021" / "督办函扫描件.txt"
    loose.parent.mkdir()
    loose.write_text("高平市教育局\n高教督函〔2021〕5号\n关于违规办学的督办函", encoding="utf-8")
    assert ix.upsert_files([loose])[0].status == "indexed"
    res = search(ix, "高教督函[2021]5号")
    assert res.hits[0].path == "2021/督办函扫描件.txt" and res.hits[0].title == "督办函扫描件"
    assert hits(ix, "年度:2021") == ["2021/督办函扫描件.txt"]


def test_remove_folder_removes_everything_under_it(ix, archive):
    folder = add_record(archive, 3, "关于甲的通知", "甲")
    (folder / "附件.txt").write_text("附件内容", encoding="utf-8")
    keep = add_record(archive, 4, "关于乙的通知", "乙")
    ix.rebuild()
    assert ix.remove_files([folder]) == 2
    assert ix.remove_files([archive.root / "2022" / "不存在"]) == 0
    assert hits(ix, "年度:2022") == [(keep / "正文.txt").relative_to(archive.root).as_posix()]


def test_move_updates_path_and_metadata_without_reading(ix, archive, monkeypatch):
    a = add_record(archive, 5, "关于课后服务的通知", "课后服务正文")
    b = add_record(archive, 6, "关于住家家教的督办函", "督办函正文")
    ix.rebuild()
    (a / "正文.txt").rename(b / "补充材料.txt")
    import indexer.docs

    def no_reading(*_a, **_k):
        raise AssertionError("move_file must not read the file")
    monkeypatch.setattr(indexer.docs, "read_text", no_reading)
    assert ix.move_file(a / "正文.txt", b / "补充材料.txt") is True
    moved = search(ix, "课后服务正文").hits[0]
    assert moved.path == (b / "补充材料.txt").relative_to(archive.root).as_posix()
    assert moved.title == "关于住家家教的督办函"  # now part of record b
    assert ix.move_file(a / "正文.txt", b / "x.txt") is False
    # a whole record folder renamed
    new_b = b.with_name(b.name + "（已修改）")
    b.rename(new_b)
    assert ix.move_file(b, new_b) is True
    for name in ("正文.txt", "补充材料.txt"):
        assert ix.file_state(new_b / name) is not None and ix.file_state(b / name) is None
    # the record is one hit (its files collapse), found under its new folder
    assert [h.rsplit("/", 1)[0] for h in hits(ix, "题名:住家家教")] == [new_b.relative_to(archive.root).as_posix()]


def test_refresh_record_and_broken_record_json(ix, archive):
    folder = add_record(archive, 7, "关于课后服务的通知", "正文")
    ix.rebuild()
    rec = Record.load(folder)
    rec.title = "关于课后延时服务的通知"
    rec.save(folder)
    res = ix.refresh_record(folder)
    assert res["status"] == "updated" and res["files"] == 1
    assert hits(ix, "题名:课后延时服务") and not hits(ix, "题名:课后服务")
    (folder / "record.json").write_text('{"档号": "A001-WS·2022', encoding="utf-8")
    res = ix.refresh_record(folder / "record.json")
    assert res["status"] == "broken" and "record.json" in res["message"]
    assert any("沿用上次的著录信息" in m for m in ix.messages)
    assert hits(ix, "题名:课后延时服务")  # the last good metadata is kept
    # a later content change in that folder keeps it too
    (folder / "正文.txt").write_text("新的正文", encoding="utf-8")
    assert ix.upsert_files([folder / "正文.txt"])[0].status == "updated"
    assert search(ix, "新的正文").hits[0].title == "关于课后延时服务的通知"


def test_reconcile_finds_what_changed_while_nobody_watched(ix, archive):
    a = add_record(archive, 8, "关于甲的通知", "甲正文")
    b = add_record(archive, 9, "关于乙的通知", "乙正文")
    c = add_record(archive, 10, "关于丙的通知", "丙正文")
    ix.rebuild()
    assert ix.reconcile() == {"new": 0, "changed": 0, "unchanged": 3, "deleted": 0, "failed": [], "records": 3}
    (a / "正文.txt").write_text("甲正文已改", encoding="utf-8")
    (c / "正文.txt").unlink()
    add_record(archive, 11, "关于丁的通知", "丁正文")
    rec = Record.load(b)
    rec.title = "关于乙乙的通知"
    rec.save(b)
    summary = ix.reconcile()
    assert (summary["new"], summary["changed"], summary["deleted"]) == (1, 1, 1)
    assert hits(ix, "题名:乙乙") and hits(ix, "甲正文已改") and not hits(ix, "丙正文")
    assert ix.reconcile()["unchanged"] == 3


def test_schema_change_rebuilds_automatically(ix, archive):
    whoosh_only(ix)
    add_record(archive, 12, "关于课后服务的通知", "正文")
    ix.rebuild()
    state = json.loads((archive.index_dir / "state.json").read_text())
    state["schema_version"] = 1
    (archive.index_dir / "state.json").write_text(json.dumps(state))
    fresh = ArchiveIndex(archive, notify=ix.messages.append)
    assert len(hits(fresh, "课后服务")) == 1
    assert any("索引结构版本 1 已过时" in m and "重建" in m for m in ix.messages)


@pytest.mark.parametrize("damage", ["garbage", "missing", "postings"])
def test_corrupt_or_missing_index_is_rebuilt_not_emptied(ix, archive, damage):
    whoosh_only(ix)
    for i in range(1, 4):
        add_record(archive, 20 + i, f"关于第{i}件事的通知", f"第{i}件正文")
    ix.rebuild()
    for p in archive.index_dir.iterdir():
        if damage == "postings" and p.suffix == ".pst":  # found only when a search reads the lists
            p.write_bytes(p.read_bytes()[:40] + b"\x00garbage" * 10)
        elif damage != "postings" and (p.name.endswith(".seg") or p.name.endswith(".toc")):
            if damage == "garbage":
                p.write_bytes(b"\x00garbage" * 10)
            else:
                p.unlink()
    fresh = ArchiveIndex(archive, notify=ix.messages.append)
    assert len(hits(fresh, "通知")) == 3
    assert any(("索引已损坏" in m or "索引不存在" in m) and "重建" in m for m in ix.messages)
    assert fresh.status()["documents"] == 3


def _writer_proc(root: str, paths: list[str], q) -> None:
    try:
        ai = ArchiveIndex(Archive(Path(root)), notify=lambda m: None)
        done = [ai.upsert_files([p])[0].status for p in paths]  # one commit each: maximum contention
        q.put(("ok", done))
    except BaseException as e:  # noqa: BLE001 — reported to the parent
        q.put(("error", f"{type(e).__name__}: {e}"))


def test_concurrent_writers_wait_instead_of_failing(ix, archive):
    ix.rebuild()
    paths = []
    for i in range(30):
        folder = add_record(archive, 100 + i, f"关于并发写入第{i}件的通知", f"并发正文{i}")
        paths.append(str(folder / "正文.txt"))
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=_writer_proc, args=(str(archive.root), paths[i::3], q)) for i in range(2)]
    for p in procs:
        p.start()
    mine = [ix.upsert_files([p])[0].status for p in paths[2::3]]
    results = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(60)
    assert all(kind == "ok" for kind, _ in results), results
    assert set(mine) == {"indexed"} and all(set(done) == {"indexed"} for _, done in results)
    assert len(hits(ix, "题名:并发写入")) == 30


def test_index_commands(archive):
    add_record(archive, 30, "关于课后服务的通知", "学校课后服务基本满足学生需要")
    root = str(archive.root)
    out = CliRunner().invoke(main, ["index", "rebuild", "--archive", root])
    assert out.exit_code == 0 and "索引重建完成：1 个文件" in out.output
    out = CliRunner().invoke(main, ["index", "status", "--json", "--archive", root])
    st = json.loads(out.output)
    assert st["documents"] == 1 and st["size_bytes"] > 0 and st["schema_version"] and st["updated"]
    out = CliRunner().invoke(main, ["index", "optimize", "--archive", root])
    assert out.exit_code == 0 and "1 个段" in out.output


def test_a_record_is_one_hit_however_many_files_match_and_loose_files_stay_apart(ix, archive):
    a = add_record(archive, 7, "关于课后服务的通知", "课后服务正文")
    (a / "正文.pdf.txt").write_text("课后服务正文（版式文件的文字）", encoding="utf-8")  # the record's second file
    loose = archive.root / "2022" / "散件"
    loose.mkdir(parents=True, exist_ok=True)
    (loose / "一.txt").write_text("课后服务说明一", encoding="utf-8")
    (loose / "二.txt").write_text("课后服务说明二", encoding="utf-8")
    ix.rebuild()
    res = search(ix, "课后服务", facets=True)
    assert res.total == 3
    assert res.facets["年度"] == {"2022": 3} and res.facets["机关"] == {"高平市教育局": 1}  # records, not files
    assert sorted(h.path for h in res.hits if h.code) in ([f"{a.relative_to(archive.root).as_posix()}/正文.txt"],
                                                         [f"{a.relative_to(archive.root).as_posix()}/正文.pdf.txt"])
    assert len([h for h in res.hits if not h.code]) == 2
    by_date = search(ix, "课后服务", sort="date")  # newest first; the loose files have no date: last
    assert [bool(h.date) for h in by_date.hits] == [True, False, False] and by_date.total == 3


def test_segments_written_with_hoisted_lengths_are_whooshs_own(tmp_path, monkeypatch):
    """indexer/whoosh_engine/postings.py replaces how whoosh looks up field lengths while writing a segment;
    every posting, weight and per-term length statistic must come out as whoosh writes them."""
    from whoosh import index as wi
    from whoosh.codec import base

    from indexer.whoosh_engine import postings
    from indexer.docs import clean
    from indexer.whoosh_engine.schema import make_schema

    texts = ["学校课后服务基本满足学生需要", "严禁校外培训机构隐形变异，师德师风建设", "5+2 课后服务 2022年",
             "关于进一步加强中小学生作业管理的通知" * 7, "督办函 整改通知书 整改时限"]
    docs = [clean({"path": f"f{i}.txt", "title": texts[(i + 1) % 5][:12 + i % 5], "title_gram": texts[(i + 1) % 5],
                   "body": texts[i % 5] * (1 + i % 4), "code": f"C{i}", "meta": "高平市教育局"}) for i in range(40)]

    def build(folder, codec):
        folder.mkdir()
        ix = wi.create_in(str(folder), make_schema())
        with ix.writer(codec=codec) as w:
            for doc in docs:
                w.add_document(**doc)
        return ix

    def dump(ix):
        out = {}
        with ix.reader() as r:
            for field, term in r.all_terms():
                info = r.term_info(field, term)
                m = r.postings(field, term)
                out[(field, term)] = (info.min_length(), info.max_length(), info.max_weight(), info.doc_frequency(),
                                      list(m.items_as("weight")))
        return out

    fast = postings.codec()
    assert base.FieldWriter.add_postings is not postings.add_postings  # whoosh itself is not patched
    calls = []
    real = postings._Lengths.for_field
    monkeypatch.setattr(postings._Lengths, "for_field", lambda self, f: calls.append(f) or real(self, f))
    ours = dump(build(tmp_path / "ours", fast))
    assert calls  # written through the hoisted lookup
    calls.clear()
    theirs = dump(build(tmp_path / "whoosh", None))
    assert not calls
    assert ours == theirs and any(v[0] != v[1] for v in ours.values())
    monkeypatch.setattr("whoosh.__version__", (2, 8, 0))
    assert postings.codec() is None  # another whoosh: its own method


def test_optimize_writes_the_segment_whoosh_writes(tmp_path):
    """indexer/whoosh_engine/optimize.py merges segments without whoosh's pool; optimising the same index
    (three segments, one with a deleted document, a KEYWORD field with values) must give the
    segment whoosh's own optimize gives: every posting, value, term statistic, stored field."""
    import shutil

    from whoosh import index as wi

    from indexer.docs import clean
    from indexer.whoosh_engine.optimize import drop_old_segments, merge_into_one
    from indexer.whoosh_engine.schema import make_schema

    texts = ["学校课后服务基本满足学生需要", "严禁校外培训机构隐形变异，师德师风建设", "5+2 课后服务 2022年",
             "关于进一步加强中小学生作业管理的通知" * 40, "督办函 整改通知书 整改时限"]

    def doc(i):
        return clean({"path": f"f{i}.txt", "title": texts[(i + 1) % 5][:12], "title_gram": texts[(i + 1) % 5],
                      "body": texts[i % 5] * (1 + i % 4), "code": f"C{i}", "meta": "高平市教育局",
                      "author": "高平市教育局,晋城市教育局"[: 6 + 7 * (i % 2)], "year": 2020 + i % 3,
                      "date": 20200101 + i, "cites": "高教字〔2022〕1号" if i % 3 else ""})

    first = tmp_path / "a"
    first.mkdir()
    ix = wi.create_in(str(first), make_schema())
    for chunk in (range(0, 150), range(150, 300), range(300, 320)):  # 150+ postings: several blocks
        w = ix.writer()
        for i in chunk:
            w.add_document(**doc(i))
        w.commit(merge=False)
    w = ix.writer()
    w.delete_by_term("path", "f7.txt")
    w.commit(merge=False)
    second = tmp_path / "b"
    shutil.copytree(first, second)

    w = wi.open_dir(str(first)).writer()
    assert len(w.segments) == 3
    merge_into_one(w)
    w.commit(mergetype=drop_old_segments)
    wi.open_dir(str(second)).writer().commit(optimize=True)

    def values(m):
        out = []
        while m.is_active():
            out.append((m.id(), m.weight(), m.value()))
            m.next()
        return out

    def dump(folder):
        out = {}
        with wi.open_dir(str(folder)).reader() as r:
            assert r.is_atomic() and not r.has_deletions() and r.doc_count_all() == 319
            for field, term in r.all_terms():
                info = r.term_info(field, term)
                out[(field, term)] = (info.min_length(), info.max_length(), info.max_weight(), info.doc_frequency(),
                                      info.weight(), info.min_id(), info.max_id(), values(r.postings(field, term)))
            docs = range(r.doc_count_all())
            out["stored"] = [r.stored_fields(d) for d in docs]
            out["lengths"] = [[r.doc_field_length(d, f) for f in ("gram", "title_gram")] for d in docs]
            out["columns"] = [[r.column_reader(c)[d] for c in ("code", "date", "author")] for d in docs]
        return out

    ours, theirs = dump(first), dump(second)
    assert ours.keys() == theirs.keys() and len(ours) > 100
    assert ours == theirs


def test_a_rebuild_in_chunks_by_two_processes_indexes_every_file_once(ix, archive, monkeypatch):
    """The big-archive path of a rebuild (two processes, a commit every chunk so the posting pool
    never spills) on a small archive: every file is found once, as the one-writer build finds it."""
    whoosh_only(ix)
    from indexer import bulk
    from indexer.whoosh_engine import storage

    for i in range(1, 24):
        add_record(archive, i, f"关于第{i}批校舍检查的通知", f"第{i}批校舍检查 编号甲{i:03d}")
    ix.rebuild()
    single = sorted(hits(ix, "校舍检查"))
    monkeypatch.setattr(bulk, "PARALLEL_FROM", 1)
    monkeypatch.setattr(storage, "CHUNK_PER_PROC", 4)  # 23 files: three chunks of 8 over two processes
    summary = ix.rebuild()
    assert summary["files"] == 23  # the 正文.txt of each record (record.json is metadata, not a file)
    assert sorted(hits(ix, "校舍检查")) == single and len(single) == 23
    assert hits(ix, "编号甲007") == [p for p in single if "-0007 " in p]
