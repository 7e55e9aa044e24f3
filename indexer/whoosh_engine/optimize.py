"""Merging every segment of the index into one (索引优化) without whoosh's posting pool.

whoosh's ``commit(optimize=True)`` pushes every posting of every segment through its sorting
pool as one Python tuple each: at 100,000 records (190 million postings) that spilled 17 GB of
run files and had not finished after 16 minutes (10,000 records: 115 s). But the segments'
posting lists are already sorted, so the merge here walks the terms of all segments in order
and appends each term's lists one after another, renumbered, a block (up to 128 postings) at a
time, with the arrays indexer/whoosh_engine/ranking.py decodes. Stored fields, columns and lengths are copied
per document by whoosh's own ``write_per_doc``. The written segment is the one whoosh writes:
tests/test_index.py optimises the same index both ways and compares every posting, statistic
and stored field.
"""

from __future__ import annotations

import heapq
from array import array

import numpy as np

from indexer.whoosh_engine.ranking import raw_length_bytes, segment_postings


def _requantised() -> np.ndarray:
    """A length as whoosh reads it back after copying it into a new segment (stored as a byte)."""
    from whoosh.util.numeric import byte_to_length, length_to_byte

    return np.array([byte_to_length(length_to_byte(byte_to_length(b))) for b in range(256)], dtype=np.float64)


def merge_into_one(w) -> None:
    """Copy every document of the index into the new segment of writer ``w`` and write all
    postings; committing ``w`` with ``drop_old_segments`` then replaces the old segments. An index
    already in one segment with nothing deleted is left as it is."""
    if len(w.segments) <= 1 and not any(seg.has_deletions() for seg in w.segments):
        return
    schema = w.schema
    readers = [r for r, _offset in w.reader().leaf_readers()]
    fieldnames = set(schema.names())
    docmaps = []  # per segment: old docnum → new docnum (-1 for a deleted document)
    for reader in readers:
        base = w.docnum
        docmap = w.write_per_doc(fieldnames, reader)
        n = reader.doc_count_all()
        if docmap is None:
            docmaps.append(np.arange(base, base + n, dtype=np.int64))
        else:
            m = np.full(n, -1, dtype=np.int64)
            for old, new in docmap.items():
                m[old] = new
            docmaps.append(m)
    w._added = True
    requant = _requantised()
    fw = w.fieldwriter
    for field in sorted(name for name in fieldnames if schema[name].indexed):
        fieldobj = schema[field]
        lexicons = [_lexicon(r, field, i) for i, r in enumerate(readers)]
        lengths = _new_lengths(readers, docmaps, field, requant, w.docnum) if fieldobj.scorable else None
        started, current, holders = False, None, []
        for btext, i in heapq.merge(*lexicons):
            if btext != current:
                if holders:
                    started = _write_term(fw, field, fieldobj, current, readers, docmaps, holders, lengths, started)
                current, holders = btext, []
            holders.append(i)
        if holders:
            started = _write_term(fw, field, fieldobj, current, readers, docmaps, holders, lengths, started)
        if started:
            fw.finish_field()


def drop_old_segments(writer, segments) -> list:
    """The merge policy for the commit: once ``merge_into_one`` has copied them, none of the old
    segments is kept (without it, all are)."""
    return [] if writer._added else list(segments)


def _lexicon(reader, field: str, i: int):
    """(term, segment number) of every term of ``field`` in one segment, in order."""
    if field in reader.indexed_field_names():
        for btext in reader.lexicon(field):
            yield btext, i


def _new_lengths(readers, docmaps, field, requant, doccount) -> np.ndarray:
    """Each new document's length in ``field`` as whoosh will read it from the new segment."""
    lengths = np.zeros(doccount, dtype=np.float64)
    for reader, docmap in zip(readers, docmaps):
        raw = raw_length_bytes(reader, field)
        live = docmap >= 0
        lengths[docmap[live]] = requant[raw[live]]
    return lengths


def _write_term(fw, field, fieldobj, btext, readers, docmaps, holders, lengths, started: bool) -> bool:
    """One term's postings from the segments holding it, renumbered, deleted documents left out;
    the field is started with its first term that has any (as whoosh does). Whether it is."""
    ids, weights, values = [], [], []
    has_values = fieldobj.format.fixed_value_size() != 0
    for i in holders:
        old, wts, vals = segment_postings(readers[i], field, btext, fieldobj.format, with_values=has_values)
        new = docmaps[i][old]
        live = new >= 0
        ids.append(new[live])
        weights.append(wts[live])
        if has_values:
            values.extend(v for v, keep in zip(vals, live) if keep)
    ids = np.concatenate(ids)
    weights = np.concatenate(weights)
    if not len(ids):
        return started
    if not started:
        fw.start_field(field, fieldobj)
    fw.start_term(btext)
    pw = fw._postwriter
    limit = pw._blocklimit
    for start in range(0, len(ids), limit):
        if start:  # whoosh writes a full block when the next posting arrives
            pw._write_block()
        chunk = slice(start, start + limit)
        pw._ids = array("I", ids[chunk].tolist())
        pw._weights = array("f", weights[chunk].tolist())
        pw._values = [v for v in values[start:start + limit] if v] if has_values else []
        pw._maxweight = max(0, max(pw._weights))
        lens = lengths[ids[chunk]] if lengths is not None else np.zeros(0)
        lens = lens[lens > 0]
        pw._minlength = int(lens.min()) if len(lens) else None
        pw._maxlength = int(lens.max()) if len(lens) else 0
    fw.finish_term()
    return True

