"""Keeping the full-text index in step with what the commands file, and selecting by it.

The generator and the archive do not import the indexer (DESIGN §2: they sit below it); the
commands hand them these two functions instead — ``index_filed`` as the hook called once a
batch of files is filed, ``query_codes`` to turn an export's ``--query`` into 档号.
"""

from __future__ import annotations

from pathlib import Path

from archive.errors import WenshuError
from archive.store import Archive


def index_filed(archive: Archive, paths: list[Path]) -> str:
    """Add freshly filed files to the index in one writer. A failure leaves the records filed and
    says how to catch up; the watcher's reconcile would also find them."""
    if not paths:
        return ""
    from indexer.index import ArchiveIndex

    idx = ArchiveIndex(archive, notify=lambda msg: None)
    try:
        outcomes = idx.upsert_files(paths)
    except WenshuError as e:
        return f"已归档，但全文索引未更新：{e}。请运行 wenshu index rebuild。"
    finally:
        idx.close()
    failed = [o for o in outcomes if o.status == "failed"]
    return f"已编入全文索引（{len(paths) - len(failed)} 个文件）" + (f"，{len(failed)} 个无法索引" if failed else "")


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
