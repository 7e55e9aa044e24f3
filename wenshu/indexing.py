"""Keeping the full-text index in step with what the commands file, and selecting by it.

The generator and the archive do not import the indexer (DESIGN §2: they sit below it); the
shell registers the index here as the one subscriber of ``archive.changes`` (importing this
module is enough; ``wenshu.cli`` does), and ``query_codes`` turns an export's ``--query`` into 档号.
"""

from __future__ import annotations

from pathlib import Path

from archive.changes import Change, report, subscribe
from archive.errors import WenshuError
from archive.store import Archive


def index_filed(archive: Archive, paths: list[Path]) -> str:
    """Freshly filed files, through the one change path (kept for the callers that file)."""
    return "；".join(report(archive, Change(added=list(paths))))


def _index_change(archive: Archive, change: Change) -> str:
    """The single subscriber of ``archive.changes``: one writer applies the whole change. A failure
    leaves the archive written and says how to catch up; the watcher's reconcile would also."""
    from indexer.index import ArchiveIndex

    idx = ArchiveIndex(archive, notify=lambda msg: None)
    try:
        outcomes = idx.apply_change(change)
    except WenshuError as e:
        return f"档案已更新，但全文索引未更新：{e}。请运行 wenshu index rebuild。"
    finally:
        idx.close()
    if not change.added:
        return ""
    failed = [o for o in outcomes if o.status == "failed"]
    n = len(change.added)
    return f"已编入全文索引（{n - len(failed)} 个文件）" + (f"，{len(failed)} 个无法索引" if failed else "")


subscribe(_index_change)


def query_codes(archive: Archive, query: str) -> set[str]:
    """档号 of every record the full-text query finds (all result pages)."""
    from indexer.index import ArchiveIndex
    from indexer.search import search

    idx = ArchiveIndex(archive)
    codes: set[str] = set()
    try:
        page = 1
        while True:
            res = search(idx, query, page=page, limit=500)
            codes.update(h.code for h in res.hits if h.code)
            if page >= res.pages:
                break
            page += 1
    finally:
        idx.close()
    return codes
