"""Ranking all matches at once (整体计分): whoosh's BM25F over whole posting lists, with numpy.

whoosh scores one matching document at a time in Python, ~13 µs a match. Two common words
match 40,000–100,000 of 100,000 records, so such a query took 0.4–0.6 s, and whoosh's skipping
of blocks that cannot reach the top ten does nothing when every block holds common words
(measured, bench/search.py). Here every query of the search language — terms, AND / OR /
ANDMAYBE / ANDNOT, a lone character's prefix over bigrams, 年度/日期 ranges — is evaluated per
segment on arrays: posting lists decoded a block at a time, intersections and unions with
numpy, and whoosh's own scoring: the same BM25F formula, idf and average field length from
the whole index, field lengths as whoosh stores them, boosts, one score for every match of a
range, and order (score, then document number). Every match is scored, so the top ten are
exact; whoosh's own top-ten shortcuts (``Matcher.replace``) were not — on the corpus they
dropped five of the ten best documents for 院办公厅 (tests/search_helpers.py compares with
whoosh scoring every match). Another weighting or another kind of query returns None, and
whoosh ranks it as before.
"""

from __future__ import annotations

import numpy as np
from whoosh import query as Q
from whoosh.reading import TermNotFound
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
_EMPTY = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))


class _Unsupported(Exception):
    pass


def top_docs(searcher, q, k: int, newest_first: str = "", last: str = "") -> tuple[list[tuple[float, int]], np.ndarray] | None:
    """The ``k`` best (score, docnum) in whoosh's order, and every matching document number;
    None when the query or the index has a part this does not rank.

    ``newest_first`` names a numeric column (``date``) to order by instead, descending, with
    the documents that have no value last and the better score first on the same day —
    unlike whoosh's sort, which puts a missing value (its maximum) first.
    ``last`` names a numeric column (``form``): the documents where it is 1 rank after all the
    others, each group in score order (forms of a series after 公文)."""
    weighting = searcher.weighting
    if type(weighting) is not BM25F or weighting._field_B:
        return None
    try:
        scores, docnums, keys, tiers = [], [], [], []
        avgfl: dict[str, float] = {}  # whole-index statistics, once per query
        for sub, offset in searcher.leaf_searchers():
            segment = _Segment(searcher, sub.reader(), weighting, avgfl)
            ids, sc = segment.evaluate(q)
            docnums.append(ids + offset)
            scores.append(sc)
            if newest_first:
                keys.append(segment.column_values(newest_first)[ids])
            if last:  # the column holds whoosh's sortable form of the number
                one = segment.schema[last].to_column_value(1) if last in segment.schema else None
                tiers.append(segment.column_values(last)[ids] == one)
    except _Unsupported:
        return None
    docnums = np.concatenate(docnums) if docnums else _EMPTY[0]
    scores = np.concatenate(scores) if scores else _EMPTY[1]
    matched = docnums
    if newest_first:
        order = np.lexsort((docnums, -scores, -np.concatenate(keys)))[:k]
        return [(float(scores[i]), int(docnums[i])) for i in order], matched
    if last and tiers:
        back = np.concatenate(tiers)
        if back.any():
            front = _best(scores[~back], docnums[~back], k)
            return front + _best(scores[back], docnums[back], k - len(front)), matched
    return _best(scores, docnums, k), matched


def _best(scores: np.ndarray, docnums: np.ndarray, k: int) -> list[tuple[float, int]]:
    """The ``k`` best (score, docnum), better score first, then the lower document number."""
    total = len(docnums)
    if k <= 0 or not total:
        return []
    if total > k:  # every document scoring at least the k-th best, ties included
        kth = np.partition(scores, total - k)[total - k]
        keep = scores >= kth
        docnums, scores = docnums[keep], scores[keep]
    order = np.lexsort((docnums, -scores))[:k]
    return [(float(scores[i]), int(docnums[i])) for i in order]


class _Segment:
    def __init__(self, top, reader, weighting, avgfl: dict[str, float]):
        if not hasattr(reader, "_perdoc") or not hasattr(reader, "_terms"):
            raise _Unsupported("not a whoosh segment reader")
        self.top, self.reader, self.w, self.avgfl = top, reader, weighting, avgfl
        self.schema = reader.schema
        deleted = reader.deleted_docs_set if reader.has_deletions() else ()
        self.deleted = np.fromiter(deleted, dtype=np.int64, count=len(deleted)) if deleted else None
        self._lengths: dict[str, np.ndarray] = {}

    def evaluate(self, q) -> tuple[np.ndarray, np.ndarray]:
        """(sorted document numbers, their scores) of the documents of this segment matching q."""
        kind = type(q)
        if kind is Q.Term:
            ids, scores = self._term(q)
        elif kind is Q.And:
            ids, scores = self.evaluate(q.subqueries[0]) if q.subqueries else _EMPTY
            for sub in q.subqueries[1:]:
                if not len(ids):
                    break
                ids2, sc2 = self.evaluate(sub)
                ids, i1, i2 = np.intersect1d(ids, ids2, assume_unique=True, return_indices=True)
                scores = scores[i1] + sc2[i2]
        elif kind is Q.Or and not q.scale and not q.minmatch:
            ids, scores = self._union(q.subqueries)
        elif (kind is Q.Prefix and q.text) or kind is Q.TermRange:
            # as whoosh: an OR of the segment's terms, or the one term unboosted
            terms = [Q.Term(q.fieldname, t) for t in q._btexts(self.reader)]
            if len(terms) == 1:
                return self._term(terms[0])
            ids, scores = self._union(terms)
        elif kind is Q.NumericRange:  # 年度/日期: whoosh's terms for the range, one score for all
            return self.evaluate(q._compile_query(self.reader))
        elif kind is Q.ConstantScoreQuery:
            ids, _scores = self.evaluate(q.child)
            return ids, np.full(len(ids), float(q.score))
        elif q is Q.NullQuery:
            return _EMPTY
        elif kind is Q.Every and not q.fieldname:  # every live document, scored by the boost
            ids = np.arange(self.reader.doc_count_all(), dtype=np.int64)
            if self.deleted is not None:
                ids = ids[~np.isin(ids, self.deleted)]
            return ids, np.full(len(ids), float(q.boost))
        elif kind is Q.AndMaybe:
            ids, scores = self.evaluate(q.a)
            if len(ids):
                ids2, sc2 = self.evaluate(q.b)
                _both, i1, i2 = np.intersect1d(ids, ids2, assume_unique=True, return_indices=True)
                scores = scores.copy()
                scores[i1] += sc2[i2]
        elif issubclass(kind, Q.AndNot):  # whoosh's, or translate.SafeAndNot
            ids, scores = self.evaluate(q.a)
            if len(ids):
                keep = ~np.isin(ids, self.evaluate(q.b)[0], assume_unique=True)
                ids, scores = ids[keep], scores[keep]
        else:
            raise _Unsupported(kind.__name__)
        if q.boost != 1.0 and kind is not Q.Term:
            scores = scores * q.boost
        return ids, scores

    def _union(self, subqueries) -> tuple[np.ndarray, np.ndarray]:
        """Documents matching any; a document's score is the sum of the scores it matched."""
        parts = [self.evaluate(sub) for sub in subqueries]
        parts = [p for p in parts if len(p[0])]
        if not parts:
            return _EMPTY
        ids, where = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
        return ids, np.bincount(where, weights=np.concatenate([p[1] for p in parts]), minlength=len(ids))

    def _term(self, q) -> tuple[np.ndarray, np.ndarray]:
        field = q.fieldname
        if field not in self.schema:
            return _EMPTY
        fieldobj = self.schema[field]
        try:
            btext = fieldobj.to_bytes(q.text)
        except ValueError:
            return _EMPTY
        try:
            ids, weights, _values = segment_postings(self.reader, field, btext, fieldobj.format)
        except TermNotFound:
            return _EMPTY
        if self.deleted is not None:
            keep = ~np.isin(ids, self.deleted)
            ids, weights = ids[keep], weights[keep]
        if fieldobj.scorable:  # BM25FScorer
            idf = self.top.idf(field, btext)
            avgfl = self.avgfl.get(field)
            if avgfl is None:
                avgfl = self.avgfl[field] = self.top.avg_field_length(field) or 1
            fl = self._field_lengths(field)[ids]
            b, k1 = self.w.B, self.w.K1
            scores = idf * ((weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * fl / avgfl)))
        else:  # WeightScorer
            scores = weights
        if q.boost != 1.0:
            scores = scores * q.boost
        return ids, scores

    def column_values(self, field) -> np.ndarray:
        """A numeric column's value for every document of the segment, -1 where it has none:
        the sortable integers whoosh stores, in the same order as the numbers."""
        doccount = self.reader.doc_count_all()
        values = np.full(doccount, -1, dtype=np.int64)
        column = self.reader.column_reader(field, translate=False)
        if not hasattr(column, "_dbfile"):  # no document of the segment has a value
            return values
        n = min(column._count, doccount)
        raw = np.frombuffer(_read(column, n * column._fixedlen), dtype=">" + column._typecode).astype(np.int64)
        values[:n] = np.where(raw == column._default, -1, raw)
        return values

    def _field_lengths(self, field) -> np.ndarray:
        """The field length of every document of the segment, as whoosh decodes its length byte."""
        lengths = self._lengths.get(field)
        if lengths is None:
            lengths = self._lengths[field] = _LENGTH_OF_BYTE[raw_length_bytes(self.reader, field)]
        return lengths


def segment_postings(reader, field: str, btext: bytes, format_, with_values: bool = False):
    """(docnums, weights, values or None) of a term in one segment, a block at a time (whoosh
    2.7's W3 codec); TermNotFound when the segment lacks it. Deleted documents are included."""
    m = reader._terms.matcher(field, btext, format_)
    if not hasattr(m, "_read_data"):  # a short list inlined in the term info
        ids, weights, values = [], [], []
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            if with_values:
                values.append(m.value())
            m.next()
        return (np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64),
                values if with_values else None)
    id_blocks, weight_blocks, values = [], [], [] if with_values else None
    while m.is_active():
        m._read_data()
        deltas, weights = m._data[0], m._data[1]
        n = m._blocklength
        id_blocks.append(np.cumsum(np.asarray(deltas, dtype=np.int64)))
        if weights is None:
            weight_blocks.append(np.ones(n))
        elif isinstance(weights, float):
            weight_blocks.append(np.full(n, weights))
        else:  # array('f'): single precision, as whoosh reads it
            weight_blocks.append(np.asarray(weights, dtype=np.float32).astype(np.float64))
        if with_values:
            m._read_values()
            values.extend(b"" if v is None else v for v in m._values)
        m._next_block()
    return np.concatenate(id_blocks), np.concatenate(weight_blocks), values


def raw_length_bytes(reader, field: str) -> np.ndarray:
    """The length byte whoosh stores for every document of a segment in ``field`` (0: none)."""
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

    doccount = reader.doc_count_all()
    raw = np.zeros(doccount, dtype=np.uint8)
    column = reader._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
    if column is not None and column._count:
        n = min(column._count, doccount)
        raw[:n] = np.frombuffer(_read(column, n), dtype=np.uint8)
    return raw


def _read(column, size: int) -> bytes:
    """A column's first ``size`` bytes; a short read is a damaged index file (EOFError, which
    indexer/search.py answers by rebuilding the index), not a numpy shape error."""
    data = bytes(column._dbfile.get(column._basepos, size))
    if len(data) != size:
        raise EOFError(f"索引列文件不完整（应有 {size} 字节，读到 {len(data)} 字节）")
    return data
