"""Reading many files' text on both cores (并行抽取). Text extraction — pdfplumber's layout pass
over a PDF, above all — is what an index build waits on: ~45 ms a page in one process, while the
engine's own work (whoosh's segment writers, PostgreSQL's inserts) is elsewhere. A rebuild and a
batch's upsert hand their files to a small process pool here, in order, a few chunks in flight,
so a million-file walk never holds more than a few hundred documents.

Workers are forked (as whoosh's writers and the generator's renderers are) and leave Ctrl-C to
the parent, which stops the work.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from pathlib import Path, PurePosixPath

from indexer.docs import file_fields, read_text

PARALLEL_FROM = 200  # files: below this, forking costs more than the second core gives
CHUNK = 32
IN_FLIGHT = 3  # chunks per worker queued ahead


def workers_for(count: int) -> int:
    return 2 if count >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 else 1


def _quiet() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _ordered(fn, items, workers: int):
    """(item, fn(chunk)'s answer for it) for every item, in order."""
    items = iter(items)
    if workers <= 1:
        for item in items:
            yield item, fn([item])[0]
        return
    pool = ProcessPoolExecutor(workers, initializer=_quiet)
    pending: deque = deque()
    try:
        while True:
            chunk = list(islice(items, CHUNK))
            if chunk:
                pending.append((chunk, pool.submit(fn, chunk)))
            if pending and (not chunk or len(pending) > IN_FLIGHT * workers):
                done, future = pending.popleft()
                yield from zip(done, future.result())
            if not chunk and not pending:
                return
    finally:  # stopped early: the chunks not started are dropped, not read
        pool.shutdown(wait=True, cancel_futures=True)


def _fields_chunk(jobs: list) -> list:
    out = []
    for root, rel, meta, shape in jobs:
        try:
            doc = file_fields(Path(root) / rel, rel, meta)
        except OSError:  # vanished while we walked
            out.append(None)
            continue
        out.append((doc.get("error", ""), shape(doc) if shape else doc))
    return out


def fields_many(root: Path, jobs, shape=None, workers: int = 1):
    """(rel, (error, document) or None when the file vanished) for each ``(rel, meta)`` of
    ``jobs``; ``shape`` (a module-level function: it crosses to the workers by name) turns each
    document into what the engine writes, in the worker (PostgreSQL's analysed row)."""
    work = ((str(root), rel, meta, shape) for rel, meta in jobs)
    for (_root, rel, _meta, _shape), got in _ordered(_fields_chunk, work, workers):
        yield PurePosixPath(rel), got


def _texts_chunk(paths: list) -> list:
    from archive.record import sha256_file

    out = []
    for p in paths:
        try:
            before = sha256_file(Path(p))
            text, error = read_text(Path(p))
            out.append((before, text, error) if sha256_file(Path(p)) == before else None)
        except OSError:
            out.append(None)
    return out


def read_texts(paths: list[Path]) -> dict[Path, tuple[str, str, str]]:
    """(sha256, text, error) of each file, read ahead on both cores when there are many; a file
    that changed while it was read (its digest before and after differ) or cannot be opened is left
    out, for the caller to read itself. Only a text whose digest is the file's when it is indexed
    may be used: the index keys "unchanged" on it."""
    got = _ordered(_texts_chunk, [str(p) for p in paths], workers_for(len(paths)))
    return {Path(p): t for p, t in got if t is not None}
