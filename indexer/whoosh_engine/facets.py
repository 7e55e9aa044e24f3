"""Facet groups from cached arrays (分面): which matching documents hold each 年度/文种/机关/
保管期限/案件 value, with numpy instead of whoosh's grouping.

whoosh groups a search by calling a categorizer per matching document per field in Python, and
its posting categorizer (保管期限, 案件, and 机关 with overlap) re-reads every posting list of the
field on every search: at 100,000 records a search with facets took p95 1.5 s against 130 ms
without (bench/search.py). A segment never changes once written (deletions only hide
documents, and the matches never include them), so each segment's (document, value) pairs are
read once from its posting lists — the same terms whoosh's categorizers use
(``sortable_terms``: the full-precision terms of a number) — and kept while the segment lives;
a search then selects the pairs of its matching documents with one boolean mask.
"""

from __future__ import annotations

import numpy as np
from whoosh.reading import TermNotFound

from indexer.whoosh_engine.ranking import segment_postings

_SEGMENTS: dict[tuple, dict] = {}  # (segment id, field) -> (docs, value ordinals, values)
_TABLES: dict[tuple, dict] = {}  # (segment ids and offsets, field) -> the whole searcher's pairs
_KEEP = 256  # entries of each cache; beyond, the cache starts again (tests open many indexes)


def _remember(cache: dict, key, value):
    if len(cache) >= _KEEP:
        cache.clear()
    cache[key] = value
    return value


def _segment_pairs(reader, field: str):
    """(document numbers, value ordinals, values) of one segment: a document once per value it
    holds (a record of two organs under both)."""
    key = (reader.segment().segment_id(), reader.doc_count_all(), field)
    got = _SEGMENTS.get(key)
    if got is not None:
        return got
    fieldobj = reader.schema[field]
    docs, ords, values = [], [], []
    for btext in fieldobj.sortable_terms(reader, field):
        try:
            ids, _w, _v = segment_postings(reader, field, btext, fieldobj.format)
        except TermNotFound:
            continue
        docs.append(ids)
        ords.append(np.full(len(ids), len(values), dtype=np.int64))
        values.append(fieldobj.from_bytes(btext))
    empty = np.empty(0, dtype=np.int64)
    pairs = (np.concatenate(docs) if docs else empty, np.concatenate(ords) if ords else empty, values)
    return _remember(_SEGMENTS, key, pairs)


def _table(searcher, field: str):
    """The pairs of every segment of the searcher, in its document numbers, values merged."""
    leaves = [(sub.reader(), offset) for sub, offset in searcher.leaf_searchers()]
    key = (tuple((r.segment().segment_id(), r.doc_count_all(), offset) for r, offset in leaves), field)
    got = _TABLES.get(key)
    if got is not None:
        return got
    ordinal: dict = {}
    docs, ords = [], []
    for reader, offset in leaves:
        d, o, values = _segment_pairs(reader, field)
        remap = np.array([ordinal.setdefault(v, len(ordinal)) for v in values], dtype=np.int64)
        docs.append(d + offset)
        ords.append(remap[o] if len(o) else o)
    table = (np.concatenate(docs), np.concatenate(ords), list(ordinal))
    return _remember(_TABLES, key, table)


def supported(searcher) -> bool:
    """Segments of whoosh's own codec (the posting lists ranking.py reads)."""
    return all(hasattr(sub.reader(), "segment") and hasattr(sub.reader(), "_terms")
               for sub, _offset in searcher.leaf_searchers())


def groups(searcher, matched, fields) -> dict[str, dict[object, np.ndarray]]:
    """For each field: value -> the matching documents holding it (sorted numbers)."""
    mask = np.zeros(searcher.doc_count_all(), dtype=bool)
    mask[np.asarray(matched, dtype=np.int64)] = True
    out = {}
    for field in fields:
        docs, ords, values = _table(searcher, field)
        keep = mask[docs]
        docs, ords = docs[keep], ords[keep]
        order = np.lexsort((docs, ords))
        docs, ords = docs[order], ords[order]
        cuts = np.flatnonzero(np.diff(ords)) + 1
        out[field] = {values[int(part[0])]: d for part, d in zip(np.split(ords, cuts), np.split(docs, cuts))
                      if len(part)}
    return out


def record_keys(searcher, docs) -> np.ndarray:
    """A number per document, the same for the files of one record (its 档号) and of its own
    for a loose file: what a facet counts once."""
    leaves = [(sub.reader(), offset) for sub, offset in searcher.leaf_searchers()]
    key = (tuple((r.segment().segment_id(), r.doc_count_all(), offset) for r, offset in leaves), "(record keys)")
    keys = _TABLES.get(key)
    if keys is None:
        ordinal: dict = {}
        keys = np.empty(searcher.doc_count_all(), dtype=np.int64)
        for reader, offset in leaves:
            n = reader.doc_count_all()
            codes = list(reader.column_reader("code", translate=False)) if reader.has_column("code") else []
            for i in range(n):
                code = codes[i] if i < len(codes) else b""
                keys[offset + i] = ordinal.setdefault(code, len(ordinal)) if code else -1 - (offset + i)
        _remember(_TABLES, key, keys)
    return keys[np.asarray(docs, dtype=np.int64)]
