"""The whoosh index on disk: opening a generation, the probe that tells a sound index from a
damaged one, searchers, writers (whoosh's own lock waited for), the chunked writer of a rebuild
and the column scan of a reconcile. indexer/index.py and indexer/bulk.py keep the lifecycle
(state.json, generations, the archive's write lock, what to write); this is how whoosh does it.
"""

from __future__ import annotations

import errno
import time
from contextlib import contextmanager
from pathlib import Path

from archive.errors import WenshuError
from indexer.engine import IndexDamaged

# A whoosh writer spills its posting pool to disk as one pickle per posting once the pool
# outgrows ``limitmb``, and reading those runs back doubles the build time (measured: 600
# documents 18.7 s with spills, 11.0 s without). So the build commits every CHUNK_PER_PROC
# documents per process, each chunk a new segment held wholly in memory (~0.75 MB a document
# of 3,000 characters, so ~3.8 GB per process at most). Segments are NOT compound files:
# whoosh opens a compound segment through BytesIO(memoryview), i.e. copies the whole postings
# file into memory on every open (1.3 s for a 100,000-document index, measured).
CHUNK_PER_PROC = 5000
POOL_MB = 8192


def retry(open_fn, attempts: int = 10):
    """A writer committing while we open deletes the previous TOC/segment files under our feet
    (FileNotFoundError): read the new generation instead."""
    from whoosh.index import EmptyIndexError

    for i in range(attempts):
        try:
            return open_fn()
        except (FileNotFoundError, EmptyIndexError):
            if i == attempts - 1:
                raise
            time.sleep(0.02 * (i + 1))


def open_index(folder: Path, name: str):
    from whoosh import index as wi

    return retry(lambda: wi.open_dir(str(folder), indexname=name))


def create_index(folder: Path, name: str):
    from whoosh import index as wi

    from indexer.whoosh_engine.schema import make_schema

    return wi.create_in(str(folder), make_schema(), indexname=name)


def probe(folder: Path, name: str):
    """(index, searcher) of generation ``name``, its columns and stored fields read once: what
    fails here is a damaged index. The searcher serves the first search."""
    def opened():
        from whoosh import index as wi

        ix = wi.open_dir(str(folder), indexname=name)
        s = ix.searcher()
        reader = s.reader()
        if reader.doc_count_all():
            next(iter(reader.column_reader("path")), None)
            next(iter(reader.all_stored_fields()), None)
        return ix, s

    return retry(opened)


def fresh(searcher) -> bool:
    try:
        return searcher is not None and searcher.up_to_date()
    except Exception:
        return False


def new_searcher(ix, folder: Path):
    """A searcher on the last commit (not Searcher.refresh(): whoosh's reuse brings back
    merged-away segments); bytes that do not decode or an index deleted again after every retry
    are IndexDamaged, which the search answers by rebuilding."""
    from whoosh.index import EmptyIndexError

    try:
        return retry(ix.searcher)
    except UnicodeError as e:
        raise IndexDamaged(errno.EIO, f"索引文件内容已损坏（{e}）", str(folder)) from e
    except EmptyIndexError as e:
        raise IndexDamaged(errno.ENOENT, f"索引在打开时被删除（{e}）", str(folder)) from e


def open_writer(ix, timeout: float, folder: Path, **kw):
    """whoosh's own lock, waited for: the archive's file lock already queues our writers, this
    only covers a stray writer (an older wenshu) holding it."""
    from whoosh.index import LockError

    from indexer.whoosh_engine.postings import codec

    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        try:
            return ix.writer(compound=False, codec=codec(), **kw)  # compound segments are copied on open
        except LockError:
            if time.monotonic() > deadline:
                raise WenshuError(f"索引正被另一个程序写入，等待 {timeout:.0f} 秒后仍未释放；"
                                  f"请稍后重试（锁文件在 {folder}）。") from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


@contextmanager
def writing(ix, timeout: float, folder: Path, merge: bool = True, mergetype=None):
    """The one writer lifecycle: an EngineWriter committed when the block ends (``merge=False``: no
    in-commit segment merge), cancelled if it raises or the caller ``discard()``s it."""
    from indexer.whoosh_engine import WhooshWriter

    raw = open_writer(ix, timeout, folder)
    ew = WhooshWriter(raw)
    try:
        yield ew
    except BaseException:
        ew.close()
        raw.cancel()
        raise
    ew.close()
    if ew.discarded:
        raw.cancel()
    else:
        raw.commit(merge=merge, mergetype=mergetype)


class ChunkedBuild:
    """A new generation written in chunks (see CHUNK_PER_PROC): ``add`` says True when it has just
    committed a chunk (the caller may then drop its caches); ``finish`` commits the rest and
    ``cancel`` drops the open chunk."""

    def __init__(self, folder: Path, name: str, procs: int):
        self.ix = create_index(folder, name)
        self.procs = procs
        self.w = None
        self.n = 0

    def _writer(self):
        from indexer.whoosh_engine.postings import codec

        args = {"limitmb": POOL_MB, "compound": False, "codec": codec()}
        if self.procs > 1:
            return self.ix.writer(procs=self.procs, multisegment=True, subargs=args, **args)
        return self.ix.writer(**args)

    def add(self, doc: dict) -> None:
        if self.w is None:
            self.w, self.n = self._writer(), 0
        self.w.add_document(**doc)
        self.n += 1
        if self.n >= CHUNK_PER_PROC * self.procs:
            self.finish()

    def finish(self) -> None:
        if self.w is not None:
            self.w.commit(merge=False)
            self.w = None

    def cancel(self) -> None:
        if self.w is not None:
            self.w.cancel()
            self.w = None


def file_columns(ix) -> dict[str, tuple]:
    """path → (size, mtime, record.json mtime) of every document, from the columns alone (no
    stored text is loaded): what a reconcile compares the disk with."""
    known: dict[str, tuple] = {}
    with ix.searcher() as s:
        r = s.reader()
        cols = [r.column_reader(c) for c in ("path", "size", "mtime", "rmtime")] if r.doc_count_all() else []
        for docnum in (r.all_doc_ids() if cols else ()):
            path, size, mtime, rmtime = (c[docnum] for c in cols)
            known[path] = (size, mtime, rmtime)
    return known


def segment_count(ix) -> int:
    return len(ix._segments())


def generation_files(folder: Path, name: str) -> list[Path]:
    return [p for p in Path(folder).iterdir()
            if p.name.startswith(f"_{name}_") or p.name.startswith(f"{name}_")]


def stored_document(searcher, path: str) -> dict | None:
    return searcher.document(path=path)


def all_stored(searcher):
    return searcher.all_stored_fields()
