"""Searching the archive (检索): ranked or dated hits with highlights, pages, facets.

The snippet is cut from the stored text around what the user typed, marking the typed words
and their segmented words (longest first), whatever engine found the hits (indexer/engine.py).
That is exact for every way a hit can match
(bigrams, words, a phrase) and costs microseconds; whoosh's own highlighter re-tokenises
stored bodies (130–200 ms per 10 hits, DESIGN §11) and its pinpoint mode needs character
spans in the postings, over a quarter of them (indexer/analysis.py).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from archive.errors import WenshuError
from indexer.analysis import fold

MARK_OPEN, MARK_CLOSE = "<b>", "</b>"
FACETS = {"year": "年度", "doctype": "文种", "author": "机关", "retention": "保管期限", "case": "案件"}
SORTS = ("relevance", "date")


@dataclass
class Hit:
    rank: int
    path: str
    docnum: str
    title: str
    date: str
    code: str
    author: str
    doctype: str
    year: int | None
    snippet: str
    score: float
    record: str = ""


@dataclass
class Results:
    query: str
    total: int
    page: int
    pages: int
    hits: list[Hit] = field(default_factory=list)
    total_exact: bool = True
    facets: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


def search(index, text: str, *, doctype: str | None = None, year: int | None = None,
           date_from=None, date_to=None, author: str | None = None, sort: str = "relevance",
           page: int = 1, limit: int = 10, facets: bool | str = False, snippet_chars: int = 80,
           engine=None) -> Results:
    """``index`` is an ``ArchiveIndex`` (or None with ``engine``, an indexer/engine.py Engine).
    Filters given as arguments are AND-ed to the query. ``facets``: True counts 年度/文种/机关/
    保管期限/案件 over all matches, "auto" only when they are few."""
    from indexer import querytree as T
    from indexer.query import date_range, parse

    if sort not in SORTS:
        raise WenshuError(f"排序方式“{sort}”不正确：应为 relevance（相关度）或 date（日期）。")
    if page < 1 or limit < 1:
        raise WenshuError("页码和每页条数应为正整数。")
    tree = parse(text)
    filters = []
    if doctype:
        filters.append(T.Field("doctype", doctype))
    if year:
        filters.append(T.Range("year", int(year), int(year)))
    if author:
        filters.append(T.Field("author", author))
    if date_from or date_to:
        filters.append(date_range(date_from, date_to))
    if filters:
        tree = T.And((tree, *filters))
    if not tree.mentions("status"):  # 撤销 records only when asked (状态:撤销)
        tree = T.Not(tree, T.Field("status", "撤销"))
    engine = engine or index.engine()
    try:
        return _run(engine, tree, text, sort, page, limit, facets, snippet_chars)
    except WenshuError:
        raise
    except Exception as e:  # an unreadable segment: rebuild from the records, then once more
        if index is None or not _looks_corrupt(e):
            raise
        index.repair(f"{type(e).__name__}: {e}")
        return _run(engine, tree, text, sort, page, limit, facets, snippet_chars)


def _looks_corrupt(e: Exception) -> bool:
    """Errors of reading damaged index files — not programming errors, which must not trigger
    a rebuild of a large index."""
    import pickle
    import struct
    import zlib

    if type(e) is Exception and str(e).startswith("Block tag error"):  # whoosh: a posting list's
        return True  # header is not where its term says
    return isinstance(e, (OSError, EOFError, struct.error, zlib.error, pickle.UnpicklingError))


def _run(engine, tree, text, sort, page, limit, facets, snippet_chars) -> Results:
    with engine.reader() as r:
        best, top = _best_per_record(r, tree, page * limit, sort)
        shown = best[(page - 1) * limit:page * limit]
        total, exact = _total(top, r.group_key)
        if facets == "auto":  # counting every match costs ~1 s at 100,000 documents: only when few
            facets = total <= FACETS_AUTO_UP_TO
        facets = facets and total > 0
        literals, numbers = _literals(text)
        out = Results(query=text, total=total, page=page, pages=max(1, -(-total // limit)), total_exact=exact)
        for i, (score, docnum) in enumerate(shown, start=(page - 1) * limit + 1):
            f = r.stored(docnum)
            snippet = literal_snippet(f["body"], literals, snippet_chars, numbers) if f.get("body") else ""
            d = f.get("date")
            out.hits.append(Hit(
                rank=i, path=f.get("path", ""), docnum=f.get("docnum", ""), title=f.get("title", ""),
                date=f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}" if d else "",
                code=f.get("code", ""), author=f.get("author", "").replace(",", "、"),
                doctype=f.get("doctype", ""), year=f.get("year"), snippet=_clean(snippet),
                score=round(float(score or 0.0), 3), record=f.get("record", "")))
        if facets:
            out.facets = _facets(r, tree)
        return out


EXACT_COUNT_UP_TO = 2000
FACETS_AUTO_UP_TO = 20000


def _best_per_record(reader, tree, want: int, sort: str):
    """The first ``want`` (score, docnum), one per record (件): a record's .docx and .pdf match
    alike, and users look for documents, not files; loose files (no 档号) each count. Also the
    engine's answer (every matching document, or an estimate).

    Asks for a few more hits than needed and drops a record's later files; the rare page short
    of records asks again for more. (whoosh's own ``collapse=`` reads the 档号 column and scores
    every match twice, defeating its block skipping.)"""
    fetch = max(2 * want, 20)
    while True:
        top = reader.top(tree, fetch, sort=sort, exact_up_to=EXACT_COUNT_UP_TO)
        seen, best = set(), []
        for score, docnum in top.hits:
            record = reader.group_key(docnum)
            if record in seen:
                continue
            seen.add(record)
            best.append((score, docnum))
            if len(best) == want:
                return best, top
        if len(top.hits) < fetch:
            return best, top
        fetch *= 4


def _facet_value(name: str, value) -> str:
    if name == "retention":
        from archive.archival_code import Retention

        try:
            return Retention(str(value)).label
        except ValueError:
            return str(value)
    return str(value).replace(",", "、")


def _facets(reader, tree) -> dict[str, dict[str, int]]:
    """Matching records (件) counted by 年度 / 文种 / 机关 / 保管期限 / 案件, like the total (a record's
    .docx and .pdf once; a record of two organs counts for both)."""
    grouped = reader.groups(tree, FACETS)
    out = {}
    for name, label in FACETS.items():
        counts: dict[str, set] = {}
        for k, docs in grouped[name].items():
            if k in (None, ""):
                continue
            counts.setdefault(_facet_value(name, k), set()).update(reader.group_keys(docs))
        out[label] = dict(sorted(((k, len(v)) for k, v in counts.items()), key=lambda kv: (-kv[1], kv[0])))
    return out


def _total(top, record_of) -> tuple[int, bool]:
    """How many records (件) match — files of one record count once, loose files each.
    Exact from the matching documents' 档号 column when at most EXACT_COUNT_UP_TO files match;
    beyond that the number of files (or the engine's estimate) is shown as
    about (约) that many."""
    matched = top.matched
    if matched is None:
        return top.estimate, False
    if len(matched) > EXACT_COUNT_UP_TO:
        return len(matched), False
    return len({record_of(int(d)) for d in matched}), True


def _clean(snippet: str) -> str:
    return re.sub(r"\s+", " ", snippet.replace(MARK_CLOSE + MARK_OPEN, "")).strip()


def _literals(text: str) -> tuple[list[str], set]:
    """What to mark: the strings the user looks for (not what they exclude) as typed, and their
    segmented words, so a long query run matched through spread-out bigrams still marks; and
    the 文号 among them, marked however the text spells them (not as pieces: 教字 must not be
    marked inside 高教字〔2022〕4号)."""
    from archive.docnumber import DocNumber
    from archive.errors import WenshuError
    from indexer.analysis import query_words
    from indexer.query import FIELDS

    def docnum(s: str):
        try:
            return DocNumber.parse_any(s)
        except WenshuError:
            return None

    whole = docnum(text)  # the whole query is one 文号, however spaced
    if whole:
        return [], {whole}
    out, numbers = [], set()
    for piece in re.findall(r'"([^"]+)"|“([^”]+)”|(\S+)', text):
        s = next(p for p in piece if p)
        if s in ("AND", "OR", "NOT") or s.startswith("-"):
            continue
        m = re.match(r"([^:：]+)[:：](.*)", s)
        if m:
            if FIELDS.get(m.group(1)) not in ("title", "body", "case", "docnum"):
                continue
            s = m.group(2)
        if docnum(s):
            numbers.add(docnum(s))
            continue
        typed = fold(s).strip()
        pieces = [t for t in re.split(r"[\s\W_]+", typed) if t]
        out.extend([typed, *pieces] if re.search(r"\w", typed) else pieces)
        out.extend(w for piece in pieces for w in query_words(piece) if len(w) > 1)
    return sorted(set(out), key=len, reverse=True), numbers


def _cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u4dbf" or "\u4e00" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def _spaced(literal: str) -> re.Pattern:
    """The literal, also where the text pads it with spaces between Chinese characters (李 斌),
    as the index reads it (indexer/analysis.py ``squeeze``)."""
    out = []
    for i, ch in enumerate(literal):
        if i and _cjk(ch) and _cjk(literal[i - 1]):
            out.append("[ \t\xa0\u3000]*")
        out.append(re.escape(ch))
    return re.compile("".join(out))


def literal_snippet(body: str, literals: list[str], width: int = 80, numbers=frozenset()) -> str:
    """``width`` characters of ``body`` around the first 文号 of ``numbers`` it holds, else the
    first place of the longest literal; in that window the 文号 and every literal are marked
    (longer ones first, no overlaps)."""
    low = fold(body)
    spans = sorted(span for dn in numbers for span in dn.spans_in(body))
    patterns = [_spaced(lit) for lit in literals]
    if spans:
        anchor = spans[0][0]
    else:
        found = [(len(lit), m.start()) for lit, pat in zip(literals, patterns) if (m := pat.search(low))]
        if not found:
            return body[:width]
        longest = max(n for n, _ in found)
        anchor = min(p for n, p in found if n == longest)
    start = max(0, anchor - width // 3)
    end = min(len(body), start + width)
    marks = [(max(a, start) - start, min(b, end) - start) for a, b in spans if a < end and b > start]
    low_piece = low[start:end]
    for pat in patterns:
        for m in pat.finditer(low_piece):
            if not any(a < m.end() and m.start() < b for a, b in marks):
                marks.append((m.start(), m.end()))
    piece = body[start:end]
    out, last = [], 0
    for a, b in sorted(marks):
        out += [piece[last:a], MARK_OPEN, piece[a:b], MARK_CLOSE]
        last = b
    out.append(piece[last:])
    return ("…" if start else "") + "".join(out) + ("…" if end < len(body) else "")
