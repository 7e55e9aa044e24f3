"""The archive's full-text index (全文索引) and the one API that writes it.

The CLI and the watcher (issue 6) both write through ``ArchiveIndex``:

``ArchiveIndex(archive, notify=None, lock_timeout=600)``
    ``notify(message)`` receives the Chinese messages a user should see (an index being
    rebuilt, a broken record.json); by default they go to stderr.
``upsert_files(paths) -> list[Outcome]``
    ``Outcome(path, status, reason)``; ``status`` is ``indexed`` (new), ``updated`` (content
    changed), ``unchanged`` (same size+mtime, or same sha256: only the mtime is refreshed),
    ``removed`` (no longer on disk), ``ignored`` (junk/temp/record.json/outside) or ``failed``
    (``reason`` in Chinese; the file stays in the index with its metadata and the error, see
    ``failures()``). record.json in ``paths`` is handled as ``refresh_record`` of its folder.
``remove_files(paths) -> int``        a folder path removes every file under it.
``move_file(src, dst) -> bool``       path (file or folder) updated without re-reading; False
                                      when ``src`` is not indexed (fall back to upsert).
``refresh_record(folder) -> dict``    record.json changed: files get the new metadata; a broken
                                      record.json keeps the last good metadata and is reported.
``reconcile(progress=None) -> dict``  new / changed (size+mtime, then sha256) / deleted files
                                      and changed record.json since the last run.
``rebuild(progress=None) -> dict``    ``status()``  ``optimize()``  ``file_state(path)``
``failures()``  ``is_indexable(path)``  ``close()``

Paths may be absolute (inside the archive) or root-relative; the index stores root-relative
POSIX paths. Every call that writes takes the archive's write lock (a file lock, waited for,
so a CLI command and the watcher queue instead of failing — nobody sees whoosh's LockError)
and commits once. ``progress(done, total)`` is called while walking.

On disk: ``.wenshu/index/state.json`` names the live whoosh index (``gen<N>``) and its schema
version. A rebuild writes a new generation beside the old one and switches ``state.json``
atomically, so readers never see a half-built index and a failed rebuild loses nothing.
"""

from __future__ import annotations

from contextlib import contextmanager

import errno
import json
import sys
import threading
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, NamedTuple

from archive.errors import WenshuError
from archive.fsutil import atomic_write_text
from archive.record import RECORD_JSON, Record
from indexer.docs import META_FIELDS, cites, clean, file_fields, is_indexable_rel, loose_meta, record_meta
from indexer.locking import WriteLock
from indexer.parallel import read_texts, workers_for
from indexer.engine import IndexDamaged
from indexer.whoosh_engine import storage
from indexer.whoosh_engine.schema import SCHEMA_VERSION

STATE = "state.json"
Progress = Callable[[int, int], None] | None


class Outcome(NamedTuple):
    path: str
    status: str
    reason: str = ""


class ArchiveIndex:
    """The whoosh index in ``.wenshu/index/``; an archive whose wenshu.toml says ``[search] engine =
    "postgres"`` gets the PostgreSQL one (indexer/pg_engine/index.py) from the same constructor, so
    the CLI, the watcher and the web app never choose."""

    def __new__(cls, archive, *args, **kwargs):
        if cls is ArchiveIndex and archive.config.search_engine == "postgres":
            from indexer.pg_engine.index import PgArchiveIndex

            cls = PgArchiveIndex
        return super().__new__(cls)

    def __init__(self, archive, notify: Callable[[str], None] | None = None, lock_timeout: float = 600.0):
        self.archive = archive
        self.root = Path(archive.root)
        self.dir = Path(archive.index_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.notify = notify or (lambda msg: print(f"提示：{msg}", file=sys.stderr))
        self.lock = _IndexLock(self.dir / "write.lock", lock_timeout)
        self._ix = None
        self._ixname = None
        self._local = threading.local()

    # -- paths ------------------------------------------------------------------------------

    def rel(self, path) -> PurePosixPath:
        p = Path(path)
        if p.is_absolute():
            try:
                p = p.relative_to(self.root) if p.is_relative_to(self.root) else p.resolve().relative_to(self.root)
            except ValueError:
                raise WenshuError(f"{path} 不在档案库 {self.root} 之内。") from None
        return PurePosixPath(p.as_posix())

    def is_indexable(self, path) -> bool:
        try:
            return is_indexable_rel(self.rel(path))
        except WenshuError:
            return False

    # -- opening, with automatic rebuild -----------------------------------------------------

    def _state(self) -> dict | None:
        try:
            state = json.loads((self.dir / STATE).read_text(encoding="utf-8"))
            return state if isinstance(state, dict) and "indexname" in state else None
        except (OSError, ValueError):
            return None

    def exists(self) -> bool:
        """Whether an index has been built (a check does not build one to look in it)."""
        return (self.dir / STATE).is_file()

    def index(self):
        """The live whoosh index, rebuilt first (with a message) when missing, old or corrupt."""
        state = self._state()
        if self._ix is not None and state and state.get("indexname") == self._ixname:
            return self._ix
        problem, ix = self._problem(state)
        if problem:
            with self.lock:
                state = self._state()
                problem, ix = self._problem(state)  # another process may have rebuilt meanwhile
                if problem:
                    self.notify(f"{problem}，正在从档案记录重建索引……")
                    self._rebuild_locked(None)
                    state = self._state()
                    ix = None
        if ix is None:
            ix = storage.open_index(self.dir, state["indexname"])
        self._ix = ix
        self._ixname = state["indexname"]
        return self._ix

    def _problem(self, state: dict | None):
        """(what is wrong or None, the opened index when nothing is)."""
        if state is None:
            return "索引不存在", None
        if state.get("schema_version") != SCHEMA_VERSION:
            return f"索引结构版本 {state.get('schema_version')} 已过时（当前 {SCHEMA_VERSION}）", None
        try:
            ix, s = storage.probe(self.dir, state["indexname"])
        except Exception as e:
            return f"索引已损坏（{type(e).__name__}: {e}）", None
        old = getattr(self._local, "searcher", None)
        if old is not None:
            old[1].close()
        self._local.searcher = (state["indexname"], s)  # the probe's reader serves the first search
        return None, ix

    def repair(self, reason: str) -> None:
        """Called by readers that hit an unreadable index mid-search."""
        with self.lock:
            self.notify(f"索引已损坏（{reason}），正在从档案记录重建索引……")
            self._rebuild_locked(None)
        self._ix = None

    def engine(self):
        """The search engine over this index (indexer/engine.py): whoosh, embedded."""
        from indexer.whoosh_engine import WhooshEngine

        return WhooshEngine(self)

    def searcher(self):
        """A whoosh reader's view of the last commit, as a context manager.

        Opening a whoosh reader costs tens of milliseconds (every segment file), so each thread
        keeps one and refreshes it when a commit or a rebuild has made it stale. whoosh commits
        are atomic; a commit that deletes the generation we were opening is simply retried.
        """
        ix = self.index()
        cached = getattr(self._local, "searcher", None)
        s = cached[1] if cached is not None and cached[0] == self._ixname else None
        if not storage.fresh(s):
            if cached is not None:
                cached[1].close()
            s = storage.new_searcher(ix, self.dir)
        self._local.searcher = (self._ixname, s)
        return _Borrowed(s, self)

    def close(self) -> None:
        cached = getattr(self._local, "searcher", None)
        if cached is not None:
            cached[1].close()
            self._local.searcher = None
        self._ix = None


    # -- writers -------------------------------------------------------------------------------

    def _touch_state(self, **extra) -> None:
        state = self._state() or {}
        state.update(extra, updated=datetime.now().isoformat(timespec="seconds"))
        atomic_write_text(self.dir / STATE, json.dumps(state, ensure_ascii=False, indent=2))

    # -- metadata of the record a file belongs to -------------------------------------------

    def _record_folder(self, rel: PurePosixPath) -> PurePosixPath | None:
        for parent in list(rel.parents)[:-1]:
            if (self.root / parent / RECORD_JSON).is_file():
                return parent
        return None

    def _meta_for(self, rel: PurePosixPath, cache: dict, searcher=None, report=None) -> dict:
        folder = self._record_folder(rel)
        if folder is None:
            return loose_meta(rel, "")
        key = str(folder)
        if key not in cache:
            rj = self.root / folder / RECORD_JSON
            try:
                cache[key] = record_meta(Record.load(rj), key, rj.stat().st_mtime_ns)
            except (WenshuError, OSError) as e:
                cache[key] = self._last_good(key, searcher) or loose_meta(rel, "")
                if report is not None:
                    report.append((key, str(e)))
                self.notify(f"{folder}/{RECORD_JSON} 无法读取，沿用上次的著录信息：{e}")
        return cache[key]

    @staticmethod
    def _last_good(record_rel: str, searcher) -> dict | None:
        stored = searcher.record_doc(record_rel) if searcher is not None else None
        if stored is not None:
            meta = {k: stored.get(k) for k in META_FIELDS if k in stored}
            meta.update(title_gram=stored.get("title", ""), meta=_meta_text(stored))
            return meta
        return None

    # -- the watcher's API ---------------------------------------------------------------------
    # ``merge=False`` commits without whoosh's in-commit segment merge: the watcher's one-file
    # commits then take ~0.1 s instead of 1–3.4 s every fifth time (bench/watch.py), and it calls
    # ``merge_segments`` once it is idle.

    @contextmanager
    def _writing(self, merge: bool = True, mergetype=None):
        """One writer under the archive's lock: committed when the block ends, cancelled if it raises."""
        ix = self.index()
        with self.lock:
            with storage.writing(ix, self.lock.timeout, self.dir, merge, mergetype) as ew:
                yield ew
            if not ew.discarded:
                self._touch_state()

    def merge_segments(self) -> None:
        with self._writing(merge=True):
            pass

    def upsert_files(self, paths: Iterable, *, merge: bool = True) -> list[Outcome]:
        out: list[Outcome] = []
        rels: dict[PurePosixPath, None] = {}  # in order, each once (a list's ``in`` made 9,000 files 40 M compares)
        records: list[PurePosixPath] = []
        for p in paths:
            try:
                rel = self.rel(p)
            except WenshuError as e:
                out.append(Outcome(str(p), "ignored", str(e)))
                continue
            if rel.name == RECORD_JSON and rel.parts[0] not in (".wenshu",):
                records.append(rel.parent)
            elif not is_indexable_rel(rel):
                out.append(Outcome(str(rel), "ignored"))
            else:
                rels.setdefault(rel)
        if not rels and not records:
            return out
        ahead = self._read_ahead(list(rels)) if workers_for(len(rels)) > 1 else {}
        with self._writing(merge) as w:
            cache: dict = {}
            for folder in records:
                res = self._refresh(w, w, folder, cache)
                out.append(Outcome(str(folder / RECORD_JSON), res["status"], res.get("message", "")))
            for rel in rels:
                out.append(self._upsert_one(w, w, rel, cache, ahead.get(self.root / rel)))
        return out

    def _read_ahead(self, rels: list[PurePosixPath]) -> dict:
        """A batch's thousands of new files read on both cores before the writer opens — those the
        index does not hold as they are (a missing index is built first: it reads them itself)."""
        held = self.file_columns()
        fresh = []
        for rel in rels:
            try:
                st = (self.root / rel).stat()
            except OSError:
                continue
            if held.get(str(rel), (None, None))[:2] != (st.st_size, st.st_mtime_ns):
                fresh.append(self.root / rel)
        return read_texts(fresh) if workers_for(len(fresh)) > 1 else {}

    def _upsert_one(self, w, s, rel: PurePosixPath, cache: dict, ahead: tuple | None = None) -> Outcome:
        path = self.root / rel
        key = str(rel)
        old = s.stored(key)
        try:
            st = path.stat()
        except FileNotFoundError:
            if old is not None:
                w.delete(key)
                return Outcome(key, "removed")
            return Outcome(key, "ignored", "文件不存在")
        except OSError as e:
            return Outcome(key, "failed", f"无法访问 {rel}：{e}")
        if not path.is_file():
            return Outcome(key, "ignored")
        meta = self._meta_for(rel, cache, s)
        if old is not None and old.get("size") == st.st_size and old.get("mtime") == st.st_mtime_ns \
                and _same_meta(old, meta):
            return Outcome(key, "unchanged")
        try:
            from archive.record import sha256_file

            sha = sha256_file(path)
        except OSError as e:
            doc = dict(meta, path=key, size=st.st_size, mtime=st.st_mtime_ns, sha256="",
                       error=f"无法读取 {rel}：{e}", format=path.suffix.lower().lstrip("."))
            w.replace(clean(doc))
            return Outcome(key, "failed", doc["error"])
        if old is not None and old.get("sha256") == sha and not old.get("error"):
            text = old.get("body", "")
            w.replace(file_fields(path, rel, meta, text=text, sha256=sha, error=""))
            return Outcome(key, "unchanged")
        if ahead is not None and ahead[0] == sha:  # read ahead from these very bytes
            doc = file_fields(path, rel, meta, text=ahead[1], error=ahead[2], sha256=sha)
        else:
            doc = file_fields(path, rel, meta, sha256=sha)
        w.replace(doc)
        if doc["error"]:
            return Outcome(key, "failed", doc["error"])
        return Outcome(key, "updated" if old is not None else "indexed")

    def remove_files(self, paths: Iterable, *, merge: bool = True) -> int:

        rels = []
        for p in paths:
            try:
                rels.append(str(self.rel(p)))
            except WenshuError:
                continue
        if not rels:
            return 0
        removed = 0
        with self._writing(merge) as w:
            for key in rels:
                removed += w.delete(key)
                removed += w.delete_under(key.rstrip("/") + "/")
        return removed

    def move_file(self, src, dst, *, merge: bool = True) -> bool:
        """Renames (a file, or a folder and everything indexed under it) without re-reading."""
        s_rel, d_rel = str(self.rel(src)), self.rel(dst)
        with self._writing(merge) as w:
            docs = []
            one = w.stored(s_rel)
            if one is not None:
                docs.append((one, d_rel))
            else:
                for old in w.stored_under(s_rel + "/"):
                    tail = PurePosixPath(old["path"]).relative_to(s_rel)
                    docs.append((old, d_rel / tail))
            cache: dict = {}
            for old, new in docs:
                w.delete(old["path"])
                if not is_indexable_rel(new) or not (self.root / new).is_file():
                    continue
                meta = self._meta_for(new, cache, w)
                body = old.get("body", "")
                if not meta.get("record") and not meta.get("docnum"):
                    meta = loose_meta(new, body)
                doc = dict(old)
                doc.update(meta, path=str(new), body=body, cites=cites(body, meta.get("docnum", "")),
                           mtime=(self.root / new).stat().st_mtime_ns)
                w.add(clean(doc))
            if not docs:
                w.discard()
        return bool(docs)

    def refresh_record(self, folder, *, merge: bool = True) -> dict:
        """{"folder", "status": updated|broken|none, "files": n, "message"}"""
        rel = self.rel(folder)
        if rel.name == RECORD_JSON:
            rel = rel.parent
        with self._writing(merge) as w:
            res = self._refresh(w, w, rel, {})
        return res

    def _refresh(self, w, s, folder: PurePosixPath, cache: dict) -> dict:
        broken: list = []
        res = {"folder": str(folder), "status": "updated", "files": 0, "message": ""}
        hits = s.stored_under(str(folder) + "/")
        for old in hits:
            rel = PurePosixPath(old["path"])
            meta = self._meta_for(rel, cache, s, broken)
            if broken:
                res.update(status="broken", message=broken[0][1])
                return res  # keep the last good metadata: nothing to rewrite
            if _same_meta(old, meta):
                continue
            body = old.get("body", "")
            if not meta.get("record"):
                meta = loose_meta(rel, body)
            doc = dict(old)
            doc.update(meta, body=body, cites=cites(body, meta.get("docnum", "")))
            w.replace(clean(doc))
            res["files"] += 1
        if not hits:
            res["status"] = "none"
        return res

    def apply_change(self, change) -> list[Outcome]:
        """One ``archive.changes.Change``: moves first (no re-reading), then removals, record.json
        refreshes, and the files written. What a move leaves unindexed (a folder never indexed)
        is picked up as added."""
        out: list[Outcome] = []
        for src, dst in change.moved:
            if not self.move_file(src, dst, merge=False) and Path(dst).exists():
                dst = Path(dst)
                out += self.upsert_files(sorted(p for p in dst.rglob("*") if p.is_file()) if dst.is_dir()
                                         else [dst], merge=False)
        if change.removed:
            self.remove_files(change.removed, merge=False)
        folders = [self.rel(f) for f in change.records if Path(f).is_dir()]
        if folders:  # one writer for them all: a scan attaching 3,000 pages changes 3,000 record.json
            with self._writing(merge=False) as w:
                cache: dict = {}
                for rel in folders:
                    self._refresh(w, w, rel.parent if rel.name == RECORD_JSON else rel, cache)
        if change.added:
            out += self.upsert_files(change.added, merge=False)
        return out

    def file_state(self, path) -> tuple[int, float, str] | None:
        with self.searcher() as s:
            d = storage.stored_document(s, str(self.rel(path)))
        return (d["size"], d["mtime"], d["sha256"]) if d else None

    def file_columns(self) -> dict[str, tuple]:
        """path → (size, mtime, record.json mtime) of every indexed file: what a reconcile compares."""
        return storage.file_columns(self.index())

    def all_stored(self) -> list[dict]:
        """The stored columns of every indexed file (what a check or a test compares with the disk)."""
        with self.searcher() as s:
            return list(storage.all_stored(s))

    def failures(self) -> list[tuple[str, str]]:
        return sorted((f["path"], f["error"]) for f in self.all_stored() if f.get("error"))

    # -- whole-archive operations (indexer.bulk) -----------------------------------------------

    def reconcile(self, progress: Progress = None) -> dict:
        from indexer.bulk import reconcile

        return reconcile(self, progress)

    def rebuild(self, progress: Progress = None) -> dict:
        with self.lock:
            return self._rebuild_locked(progress)

    def _rebuild_locked(self, progress: Progress) -> dict:
        from indexer.bulk import rebuild

        summary = rebuild(self, progress)
        self._ix = None
        return summary

    def status(self) -> dict:
        from indexer.bulk import status

        return status(self)

    def optimize(self) -> dict:
        """All segments merged into one (indexer/whoosh_engine/optimize.py); an index already in one segment
        with nothing deleted is left as it is."""
        from indexer.whoosh_engine.optimize import drop_old_segments, merge_into_one

        with self._writing(mergetype=drop_old_segments) as ew:
            merge_into_one(ew.w)
        self._ix = None
        return self.status()


def _same_meta(old: dict, meta: dict) -> bool:
    if not meta.get("record"):  # a loose file's metadata comes from its own text and path
        return not old.get("record")
    return all(old.get(k) == meta.get(k) for k in ("record", "code", "docnum", "title", "author", "date",
                                                   "year", "doctype", "retention", "classification",
                                                   "case", "rmtime"))


class _IndexLock(WriteLock):
    """The write lock of a folder that may be gone: someone deleting .wenshu/index while a
    search runs must lead to a rebuild, not to FileNotFoundError on write.lock."""

    def _acquire(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return super()._acquire()


class _Borrowed:
    """``with index.searcher() as s`` on a cached searcher: leaving the block does not close it."""

    def __init__(self, searcher, index: "ArchiveIndex | None" = None):
        self.searcher = searcher
        self.index = index
        self.name = index._ixname if index is not None else None

    def __enter__(self):
        return self.searcher

    def __exit__(self, kind, exc, tb):
        if exc is None or self.index is None or isinstance(exc, (WenshuError, OSError)):
            return False
        if isinstance(exc, UnicodeError):  # a stored field or a term whose bytes were overwritten
            raise IndexDamaged(errno.EIO, f"索引文件内容已损坏（{exc}）", str(self.index.dir)) from exc
        state = self.index._state() if isinstance(exc, Exception) else {"indexname": self.name}
        if state is None or state.get("indexname") != self.name:
            # the files under the reader were deleted or replaced (whoosh then fails in odd ways,
            # e.g. TypeError on a column whose file is gone): not a bug, a vanished index
            raise IndexDamaged(errno.ENOENT, f"读取时索引被删除或替换（{type(exc).__name__}: {exc}）",
                               str(self.index.dir)) from exc
        return False

    def __getattr__(self, name):
        return getattr(self.searcher, name)


def _meta_text(stored: dict) -> str:
    """The short fields' text of a stored document (for re-adding it without its record.json)."""
    return " ".join(str(stored.get(k) or "").replace(",", " ") for k in ("author", "doctype", "case"))

