"""Whole-archive index operations: rebuild (重建), reconcile (核对) and status.

``rebuild`` writes a fresh generation of the index beside the live one with two processes
and several segments (the serial merge of a single-segment parallel build is what makes it
slow, DESIGN §11), in chunks that fit in memory (indexer/whoosh_engine/storage.py), then
switches ``state.json``. If it fails half-way the live index is untouched.

``reconcile`` compares the disk with the per-file columns (path, size, mtime, record.json
mtime) without loading any stored text; only files whose size or mtime moved are hashed, and
only files whose sha256 moved are read.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import PurePosixPath

from archive.fsutil import atomic_write_text
from archive.record import RECORD_JSON
from indexer.docs import SKIPPED_DIRS, is_indexable_rel
from indexer.ignore import is_junk_name
from indexer.parallel import fields_many, workers_for
from indexer.whoosh_engine import StoredView, storage
from indexer.whoosh_engine.schema import SCHEMA_VERSION

PARALLEL_FROM = 2000  # below this many files a single process is faster than forking


def walk(root) -> list[PurePosixPath]:
    """Every indexable plain file under ``root`` (root-relative, sorted as os.walk would give them).
    Links are never followed — not a linked folder, not a linked file — and FIFOs, sockets and
    devices are skipped: a link planted in the archive must not bring /etc/passwd into the index,
    nor a FIFO block the reconcile (the entry types come from scandir, no extra stat)."""
    out: list[PurePosixPath] = []

    def visit(folder: str, rel: str) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        dirs = []
        for e in entries:
            try:
                if e.is_dir(follow_symlinks=False):
                    if not is_junk_name(e.name) and not (not rel and e.name in SKIPPED_DIRS):
                        dirs.append(e)
                elif e.is_file(follow_symlinks=False):
                    path = PurePosixPath(rel, e.name) if rel else PurePosixPath(e.name)
                    if is_indexable_rel(path):
                        out.append(path)
            except OSError:
                continue
        for d in dirs:
            visit(d.path, f"{rel}/{d.name}" if rel else d.name)

    visit(str(root), "")
    return out


def documents(ai, files, lookups, broken: list, failed: list, progress=None, shape=None):
    """The index documents of ``files`` (root-relative), as a rebuild of either engine writes them
    (each turned by ``shape``, see indexer/parallel.py): a record.json that cannot be read lends its
    files the last good metadata ``lookups`` (the old index) holds, and goes into ``broken``; a
    file that cannot be read is indexed with its error and goes into ``failed``. The files are read
    on both cores; the record metadata read is cached for a few thousand records at a time, so a
    million-record rebuild does not hold them all."""
    cache: dict = {}
    total = len(files)

    def jobs():
        for rel in files:
            if len(cache) >= 4000:
                cache.clear()
            yield rel, ai._meta_for(rel, cache, lookups, broken)

    for i, (rel, got) in enumerate(fields_many(ai.root, jobs(), shape, workers_for(total)), 1):
        if got is not None:  # None: vanished while we walked
            error, doc = got
            if error:
                failed.append((str(rel), error))
            yield doc
        if progress and (i % 100 == 0 or i == total):
            progress(i, total)


def rebuild(ai, progress=None) -> dict:
    files = walk(ai.root)
    old_state = ai._state() or {}
    gen = int(old_state.get("gen", 0)) + 1
    name = f"gen{gen}"
    for p in storage.generation_files(ai.dir, name):  # leftovers of a build that died
        p.unlink()
    old_searcher = None
    if old_state.get("indexname"):
        try:
            old_searcher = StoredView(storage.open_index(ai.dir, old_state["indexname"]).searcher())
        except Exception:
            old_searcher = None
    procs = 2 if len(files) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 else 1
    build = storage.ChunkedBuild(ai.dir, name, procs)
    broken: list = []
    failed: list = []
    indexed = 0
    try:
        for doc in documents(ai, files, old_searcher, broken, failed, progress):
            indexed += 1
            build.add(doc)
        build.finish()
    except BaseException:
        build.cancel()
        for p in storage.generation_files(ai.dir, name):
            p.unlink()
        raise
    finally:
        if old_searcher is not None:
            old_searcher.close()
    now = datetime.now().isoformat(timespec="seconds")
    state = {"schema_version": SCHEMA_VERSION, "indexname": name, "gen": gen, "built": now, "updated": now}
    atomic_write_text(ai.dir / "state.json", json.dumps(state, ensure_ascii=False, indent=2))
    old = old_state.get("indexname")
    if old and old != name:
        for p in storage.generation_files(ai.dir, old):
            try:
                p.unlink()
            except OSError:
                pass
    return {"files": indexed, "failed": failed, "broken_records": broken}


def reconcile(ai, progress=None) -> dict:
    summary = {"new": 0, "changed": 0, "unchanged": 0, "deleted": 0, "failed": [], "records": 0}
    with ai.lock:
        known = ai.file_columns()
        on_disk = walk(ai.root)
        rmtimes: dict[PurePosixPath, int] = {}
        todo = []
        for rel in on_disk:
            key = str(rel)
            entry = known.pop(key, None)
            if entry is None:
                todo.append(rel)
                continue
            try:
                st = (ai.root / rel).stat()
            except OSError:
                continue
            folder = ai._record_folder(rel)
            rm = 0
            if folder is not None:
                if folder not in rmtimes:
                    try:
                        rmtimes[folder] = (ai.root / folder / RECORD_JSON).stat().st_mtime_ns
                    except OSError:
                        rmtimes[folder] = 0
                rm = rmtimes[folder]
            if (st.st_size, st.st_mtime_ns) != entry[:2] or rm != entry[2]:
                todo.append(rel)
            else:
                summary["unchanged"] += 1
        deleted = list(known)
        if todo or deleted:
            with ai._writing() as w:
                for key in deleted:
                    w.delete(key)
                cache: dict = {}
                for i, rel in enumerate(todo, 1):
                    outcome = ai._upsert_one(w, w, rel, cache)
                    kind = {"indexed": "new", "updated": "changed", "unchanged": "unchanged",
                            "removed": "deleted"}.get(outcome.status)
                    if outcome.status == "failed":
                        summary["failed"].append((outcome.path, outcome.reason))
                    elif kind:
                        summary[kind] += 1
                    if progress and (i % 100 == 0 or i == len(todo)):
                        progress(i, len(todo))
        summary["deleted"] += len(deleted)
        summary["records"] = len(rmtimes)
    return summary


def status(ai) -> dict:
    """The whoosh index's figures (indexer/pg_engine/index.py has the PostgreSQL one's)."""
    ix = ai.index()
    state = ai._state() or {}
    with ai.searcher() as s:
        docs = s.doc_count()
        segments = storage.segment_count(ix)
    size = sum(p.stat().st_size for p in storage.generation_files(ai.dir, state.get("indexname", "")))
    return {"documents": docs, "size_bytes": size, "schema_version": state.get("schema_version"),
            "built": state.get("built"), "updated": state.get("updated"), "segments": segments,
            "path": str(ai.dir)}
