"""Whole-archive index operations: rebuild (重建), reconcile (核对) and status.

``rebuild`` writes a fresh generation of the index beside the live one with two processes
and several segments (``procs=2, multisegment=True``: the serial merge in ``commit`` is what
makes a single-segment parallel build slow, DESIGN §11), in chunks that fit in memory, then
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
from indexer.docs import SKIPPED_DIRS, file_fields, is_indexable_rel
from indexer.ignore import is_junk_name
from indexer.whoosh_engine import StoredView, WhooshWriter
from indexer.whoosh_engine.schema import SCHEMA_VERSION, make_schema

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


def _generation_files(folder, name: str) -> list:
    return [p for p in folder.iterdir()
            if p.name.startswith(f"_{name}_") or p.name.startswith(f"{name}_")]


# A whoosh writer spills its posting pool to disk as one pickle per posting once the pool
# outgrows ``limitmb``, and reading those runs back doubles the build time (measured: 600
# documents 18.7 s with spills, 11.0 s without). So the build commits every CHUNK_PER_PROC
# documents per process, each chunk a new segment held wholly in memory (~0.75 MB a document
# of 3,000 characters, so ~3.8 GB per process at most). Segments are NOT compound files:
# whoosh opens a compound segment through BytesIO(memoryview), i.e. copies the whole postings
# file into memory on every open (1.3 s for a 100,000-document index, measured).
CHUNK_PER_PROC = 5000
POOL_MB = 8192


def _chunk_writer(ix, procs: int):
    from indexer.whoosh_engine.postings import codec

    args = {"limitmb": POOL_MB, "compound": False, "codec": codec()}
    if procs > 1:
        return ix.writer(procs=procs, multisegment=True, subargs=args, **args)
    return ix.writer(**args)


def rebuild(ai, progress=None) -> dict:
    from whoosh import index as wi

    files = walk(ai.root)
    total = len(files)
    old_state = ai._state() or {}
    gen = int(old_state.get("gen", 0)) + 1
    name = f"gen{gen}"
    for p in _generation_files(ai.dir, name):  # leftovers of a build that died
        p.unlink()
    old_searcher = None
    if old_state.get("indexname"):
        try:
            old_searcher = StoredView(wi.open_dir(str(ai.dir), indexname=old_state["indexname"]).searcher())
        except Exception:
            old_searcher = None
    ix = wi.create_in(str(ai.dir), make_schema(), indexname=name)
    procs = 2 if total >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 else 1
    cache: dict = {}
    broken: list = []
    failed: list = []
    indexed = 0
    w = None
    try:
        for i, rel in enumerate(files, 1):
            if w is None:
                w = _chunk_writer(ix, procs)
                in_chunk = 0
            meta = ai._meta_for(rel, cache, old_searcher, broken)
            try:
                doc = file_fields(ai.root / rel, rel, meta)
            except OSError:  # vanished while we walked
                continue
            if doc.get("error"):
                failed.append((str(rel), doc["error"]))
            w.add_document(**doc)
            indexed += 1
            in_chunk += 1
            if in_chunk >= CHUNK_PER_PROC * procs:
                w.commit(merge=False)
                w = None
                cache.clear()
            if progress and (i % 100 == 0 or i == total):
                progress(i, total)
        if w is not None:
            w.commit(merge=False)
            w = None
    except BaseException:
        if w is not None:
            w.cancel()
        for p in _generation_files(ai.dir, name):
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
        for p in _generation_files(ai.dir, old):
            try:
                p.unlink()
            except OSError:
                pass
    return {"files": indexed, "failed": failed, "broken_records": broken}


def reconcile(ai, progress=None) -> dict:
    summary = {"new": 0, "changed": 0, "unchanged": 0, "deleted": 0, "failed": [], "records": 0}
    ix = ai.index()
    with ai.lock:
        known: dict[str, tuple] = {}
        with ix.searcher() as s:
            r = s.reader()
            cols = [r.column_reader(c) for c in ("path", "size", "mtime", "rmtime")] if r.doc_count_all() else []
            for docnum in (r.all_doc_ids() if cols else ()):
                path, size, mtime, rmtime = (c[docnum] for c in cols)
                known[path] = (size, mtime, rmtime)
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
            raw = ai._writer(ix)
            w = WhooshWriter(raw)
            try:
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
                w.close()
            except BaseException:
                w.close()
                raw.cancel()
                raise
            raw.commit()
            ai._touch_state()
        summary["deleted"] += len(deleted)
        summary["records"] = len(rmtimes)
    return summary


def status(ai) -> dict:
    ix = ai.index()
    state = ai._state() or {}
    with ai.searcher() as s:
        docs = s.doc_count()
        segments = len(ix._segments())
    size = sum(p.stat().st_size for p in _generation_files(ai.dir, state.get("indexname", "")))
    return {"documents": docs, "size_bytes": size, "schema_version": state.get("schema_version"),
            "built": state.get("built"), "updated": state.get("updated"), "segments": segments,
            "path": str(ai.dir)}
