"""Files read on both cores (indexer/parallel.py): a rebuild and a batch's upsert index exactly what
one process indexes, and a text read ahead is used only for the bytes it was read from."""

from __future__ import annotations

import pytest

import indexer.parallel as parallel
from indexer.index import ArchiveIndex
from indexer.search import search
from tests.pg_helpers import pg_cluster, search_engine, use_search_server  # noqa: F401 — fixtures
from tests.test_index import add_record


def _stored(ai):
    return sorted((d["path"], d.get("body", ""), d.get("sha256"), d.get("code", ""), d.get("error", ""))
                  for d in ai.all_stored())


@pytest.fixture
def filled(archive):
    for i in range(1, 41):
        add_record(archive, i, f"关于第{i}项工作的通知", f"第{i}号文件：做好课后服务第{i}项工作。")
    (archive.root / "2022" / "坏的.pdf").write_bytes(b"%PDF-1.4 not really")  # one that fails to read
    return archive


def test_rebuild_on_two_processes_indexes_what_one_process_does(filled, search_engine, monkeypatch):  # noqa: F811
    if search_engine:
        use_search_server(filled, search_engine)
    ai = ArchiveIndex(filled, notify=lambda m: None)
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 10**9)
    one = ai.rebuild()
    serial = _stored(ai)
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 2)
    monkeypatch.setattr(parallel, "CHUNK", 3)  # many chunks in flight, answers must stay in order
    two = ai.rebuild()
    assert _stored(ai) == serial and two["files"] == one["files"] == 41
    assert [f for f, _ in two["failed"]] == ["2022/坏的.pdf"]
    assert search(ai, "第17项").hits[0].title == "关于第17项工作的通知"
    ai.close()


def test_upsert_uses_a_text_read_ahead_only_for_the_bytes_it_was_read_from(archive, monkeypatch):
    ai = ArchiveIndex(archive, notify=lambda m: None)
    ai.rebuild()
    folders = [add_record(archive, i, f"关于第{i}项工作的通知", f"正文第{i}段") for i in range(1, 6)]
    files = [f / "正文.txt" for f in folders]
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 2)
    real = parallel.read_texts

    def stale(paths):  # the first file changed after it was read ahead
        got = real(paths)
        got[files[0]] = ("0" * 64, "读取之后被改掉的旧内容", "")
        return got

    monkeypatch.setattr("indexer.index.read_texts", stale)
    outcomes = ai.upsert_files(files)
    assert [o.status for o in outcomes] == ["indexed"] * 5
    bodies = {d["path"]: d["body"] for d in ai.all_stored()}
    assert bodies[str(files[0].relative_to(archive.root))] == "正文第1段"
    assert bodies[str(files[4].relative_to(archive.root))] == "正文第5段"
    ai.close()


def test_read_texts_gives_each_file_its_digest_and_text(tmp_path, monkeypatch):
    from archive.record import sha256_file

    monkeypatch.setattr(parallel, "PARALLEL_FROM", 2)
    paths = []
    for i in range(7):
        p = tmp_path / f"{i}.txt"
        p.write_text(f"第{i}份", encoding="utf-8")
        paths.append(p)
    got = parallel.read_texts(paths + [tmp_path / "没有这个文件.txt"])
    assert set(got) == set(paths)  # the missing one left for the caller, which says so
    assert all(got[p] == (sha256_file(p), f"第{i}份", "") for i, p in enumerate(paths))
