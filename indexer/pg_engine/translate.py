"""wenshu's query tree (indexer/querytree.py) as SQL over the table of schema.py.

Each node becomes a condition (what matches) and a score (how well), both SQL with ``%s``
placeholders and their values. A query word is ONE test of its grams against the ``gram``
bag (``gram @@ 'ab' & 'bc'``, answered by the GIN index), as in whoosh one AND of
posting lists in one field; a lone Chinese character (analysis.PREFIX_MARK) is looked up in the
``chars`` bag, which holds every Chinese character of the document — the same documents
whoosh's prefix over bigrams finds, without a prefix scan.

A phrase is the containment of all its overlapping bigrams, exactly what whoosh checks
("give or take a repeat"): both engines answer the same documents; adjacency is not checked
against the stored text, which would read every candidate's body.

Scoring keeps whoosh's shape and boosts, not its BM25 numbers: a match counts 1, its grams all
in 题名 ``title_boost`` more, each long word (three or more characters) standing as a word 1 more,
a document bearing the asked 文号 ``boost`` (50) more — so the 文号's document comes first and
title hits before mentions in the text. What a score or a NOT asks row by row of a big bag is
asked of its GIN index once per query instead (``_rowwise``): measured at 10,000 documents, a
word in most of them went from 114 to 50 ms.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from indexer import querytree as T
from indexer.analysis import PREFIX_MARK, long_words, phrase_grams, query_grams
from indexer.pg_engine.schema import lexeme


class Sql:
    """A fragment of SQL and its parameters, in order."""

    __slots__ = ("text", "params")

    def __init__(self, text: str, params: list | None = None):
        self.text, self.params = text, list(params or [])

    def __add__(self, other: "Sql") -> "Sql":
        return Sql(self.text + other.text, self.params + other.params)

    @staticmethod
    def join(sep: str, parts: list["Sql"]) -> "Sql":
        return Sql(sep.join(p.text for p in parts), [v for p in parts for v in p.params])


TRUE, FALSE, ZERO, ONE = Sql("TRUE"), Sql("FALSE"), Sql("0"), Sql("1")


def _when(cond: Sql, score: Sql) -> Sql:
    return Sql("(CASE WHEN ") + cond + Sql(" THEN ") + score + Sql(" ELSE 0 END)")


def _num(x: float) -> Sql:
    """A boost as float8 (a bare 4.0 is numeric in PostgreSQL, slower to add up over many rows)."""
    return Sql(f"{float(x)!r}::float8")


_BIG_BAG = re.compile(r"\b(?:gram|chars|words) @@")


def _rowwise(cond: Sql, table: str) -> Sql:
    """``cond`` where it is asked of each row rather than of the index — in a score, under NOT —
    as the ids the index gives for it, hashed once per query: the big bags (``gram`` ~19 KB a
    document, ``chars``, ``words``) are stored apart, and reading one per row costs more than all
    the rest of the query. Small columns (题名's grams, the 文号 lists, dates) are read in the row.
    Without a ``table`` each row is asked itself: a walk (ranking.py) visits few rows, and an id
    list of a common word would visit them all."""
    if not table or not _BIG_BAG.search(cond.text):
        return cond
    return Sql(f"(id IN (SELECT id FROM {table} WHERE ") + cond + Sql("))")


_VECTORS = ("gram", "chars", "title_gram", "words")


def _has(column: str, terms: list[str]) -> Sql:
    """All of ``terms`` in ``column``: a tsquery of quoted lexemes (taken as they are) for a bag
    of terms, array containment for a list of values."""
    if column in _VECTORS:
        return Sql(f"{column} @@ %s::tsquery", [" & ".join(lexeme(t) for t in terms)])
    return Sql(f"{column} @> %s::text[]", [list(terms)])


def to_sql(node: T.Node, table: str) -> tuple[Sql, Sql] | None:
    """(condition, score) for a tree over ``table``; None for a clause with nothing to look for."""
    kind = type(node)
    if kind is T.Every:
        return TRUE, ONE
    if kind is T.Words:
        return _words(node.text, node.number_key, node.title_boost, node.number_boost, table)
    if kind is T.Phrase:
        terms = list(dict.fromkeys(phrase_grams(node.text)))
        return _matched(_grams_cond("gram", terms), node.text, terms, node.title_boost, table) if terms else None
    if kind is T.Number:
        own, cited = _has("numkeys", [node.key]), _has("cites", [node.key])
        parts = [(own, _num(node.boost)), (cited, ONE)]
        if node.typed:
            text = _words(node.typed, "", T.TITLE_BOOST, 0.0, table)
            if text is not None:
                parts.append(text)
        return _or(parts, table)
    if kind is T.Field:
        cond = _field(node.name, node.value)
        return None if cond is None else (cond, ONE)
    if kind is T.Range:
        col = _column(node.name)
        conds = [Sql(f"{col} IS NOT NULL")]
        if node.lo is not None:
            conds.append(Sql(f"{col} >= %s", [node.lo]))
        if node.hi is not None:
            conds.append(Sql(f"{col} <= %s", [node.hi]))
        return Sql("(") + Sql.join(" AND ", conds) + Sql(")"), ONE
    if kind is T.And:
        parts = [p for p in (to_sql(n, table) for n in node.parts) if p is not None]
        if not parts:
            return None
        return _and([c for c, _ in parts], table), Sql("(") + Sql.join(" + ", [s for _, s in parts]) + Sql(")")
    if kind is T.Or:
        return _or([p for p in (to_sql(n, table) for n in node.parts) if p is not None], table)
    if kind is T.Not:
        base = to_sql(node.base, table) or (TRUE, ONE)
        excluded = to_sql(node.excluded, table)
        if excluded is None:
            return base
        return Sql("(") + base[0] + Sql(" AND NOT ") + _rowwise(excluded[0], table) + Sql(")"), base[1]
    raise TypeError(f"not a query tree node: {node!r}")


_ONE_BAG_TEST = re.compile(r"(gram|chars|words|title_gram) @@ %s::tsquery")


def _merged(conds: list[Sql]) -> list[Sql]:
    """Tests of one bag as ONE tsquery (``gram @@ 'a' & 'b'`` for ``gram @@ 'a' AND gram @@ 'b'``):
    the GIN index intersects its posting lists itself, skipping along the rarest; apart, the
    planner may take one from the index and ask the rest of every row its ``gram`` (建立 机制 机制
    counted at a million documents: 2.5 s as three tests, 0.6 s as one)."""
    out: list[Sql] = []
    first: dict[str, int] = {}
    for c in conds:
        m = _ONE_BAG_TEST.fullmatch(c.text)
        if m and len(c.params) == 1:
            if m[1] in first:
                at = first[m[1]]
                out[at] = Sql(c.text, [out[at].params[0] + " & " + c.params[0]])
                continue
            first[m[1]] = len(out)
        out.append(c)
    return out


def _and(conds: list[Sql], table: str) -> Sql:
    """Words with filters (年度, 类型, 档号 …): the words' bag tests as one list of ids, so the
    planner, which prices a bag test like any other, cannot drive the query from a filter's index
    and test every row's ``gram`` (特殊 年度:2015 类型:通报 at 100,000 documents: 133 ms → 19 ms, the
    bags read only for the rows the filters leave)."""
    conds = _merged(conds)
    bags = [c for c in conds if _BIG_BAG.search(c.text)]
    if bags and len(bags) < len(conds):
        rest = [c for c in conds if not _BIG_BAG.search(c.text)]
        conds = [_rowwise(Sql.join(" AND ", bags), table), *rest] if table else [*rest, *bags]  # cheap first
    return Sql("(") + Sql.join(" AND ", conds) + Sql(")")


def _or(parts: list[tuple[Sql, Sql]], table: str) -> tuple[Sql, Sql] | None:
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    return (Sql("(") + Sql.join(" OR ", [c for c, _ in parts]) + Sql(")"),
            Sql("(") + Sql.join(" + ", [_when(_rowwise(c, table), s) for c, s in parts]) + Sql(")"))


def _column(name: str) -> str:
    return '"case"' if name == "case" else name


def _grams_cond(column: str, terms: list[str]) -> Sql | None:
    """All of ``terms`` in ``column``; a lone character (PREFIX_MARK) in ``chars`` for the text
    and as its unigram in 题名 (whose array holds every character). Like whoosh, a lone
    character among other terms is left out (it adds next to no precision)."""
    if not terms:
        return None
    if len(terms) > 1:
        terms = [t for t in terms if not t.startswith(PREFIX_MARK)] or terms[:1]
    plain = [t for t in terms if not t.startswith(PREFIX_MARK)]
    lone = [t[len(PREFIX_MARK):] for t in terms if t.startswith(PREFIX_MARK)]
    conds = []
    if plain:
        conds.append(_has(column, plain))
    if lone:
        conds.append(_has("chars" if column == "gram" else column, lone))
    return conds[0] if len(conds) == 1 else Sql("(") + Sql.join(" AND ", conds) + Sql(")")


def _matched(required: Sql | None, text: str, terms: list[str], title_boost: float,
             table: str) -> tuple[Sql, Sql] | None:
    """The condition and its score with the bonus that ranks without deciding: the grams in 题名
    (read from the row: a small column kept in it), the long words standing as words — asked of
    the ``words`` index once for the whole query (a hashed list of ids) rather than of every
    matching row's ``words``, which is stored apart and decompressed: 10 µs a row, a second for
    a common word at 100,000 documents."""
    if required is None:
        return None
    bonus = [ONE]
    title = _grams_cond("title_gram", terms)
    if title is not None:
        bonus.append(_when(title, _num(title_boost)))
    for w in dict.fromkeys(long_words(text)):
        bonus.append(_when(_rowwise(_has("words", [w]), table), ONE))
    return required, Sql("(") + Sql.join(" + ", bonus) + Sql(")")


def _grams(text: str) -> list[str]:
    return [t for run in query_grams(text) for t in run]


def _words(text: str, number_key: str, title_boost: float, number_boost: float,
           table: str) -> tuple[Sql, Sql] | None:
    terms = _grams(text)
    if not terms:
        return None
    found = _matched(_grams_cond("gram", terms), text, terms, title_boost, table)
    if not number_key:
        return found
    own = _has("numkeys", [number_key])
    return _or([(own, _num(number_boost)), found], table)


def _field(name: str, value: str) -> Sql | None:
    if name == "docnum":
        return _has("numkeys", [value])
    if name == "title":
        return _grams_cond("title_gram", _grams(value))
    if name == "body":
        return _grams_cond("gram", _grams(value))
    if name == "case":
        grams = _grams_cond("gram", _grams(value))
        same = Sql('"case" = %s', [value])
        return same if grams is None else Sql("(") + same + Sql(" OR ") + grams + Sql(")")
    if name == "author":
        return _has("authors", [value])
    if name in ("code", "origcode"):
        escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return Sql(f"{name} LIKE %s", [escaped + "%"])
    if name in T.EXACT_FIELDS:
        return Sql(f"{_column(name)} = %s", [value])
    raise ValueError(f"no PostgreSQL column for {name!r}")


class Tiers(NamedTuple):
    """What ranking.py needs to find the top of many matches without scoring them all: the
    matches lie within ``bound`` and within ``filters`` (if any), each asked of its indexes alone
    (no row read); each word in 题名 (``titles``, one a word) adds its ``boosts`` to a score of at
    most ``best_untitled`` otherwise."""
    bound: Sql
    titles: tuple[Sql, ...]
    boosts: tuple[float, ...]
    best_untitled: float
    filters: Sql | None = None
    standing: Sql | None = None  # every long word standing as a word (a row of its level's best)


_FILTERS = (T.Range, T.Field)


def tiers(node: T.Node) -> Tiers | None:
    """The tiers of words and phrases, one or ANDed, with 著录项 filters (年度, 类型, 档号 …),
    withdrawn records left out (search's own ``NOT 状态:撤销``); None for any other tree (a 文号,
    OR, NOT: few matches, or scored in full)."""
    if type(node) is T.Not and type(node.excluded) is T.Field and node.excluded.name == "status":
        node = node.base
    bounds, titles, boosts, filters, untitled, standing = [], [], [], [], 0.0, []
    for part in _anded(node):
        if type(part) in _FILTERS:
            found = to_sql(part, "")
            if found is None or _BIG_BAG.search(found[0].text):  # 案件 and 正文 ask words
                return None
            filters.append(found[0])
            untitled += 1
            continue
        if type(part) is T.Words and not part.number_key:
            terms = _grams(part.text)
        elif type(part) is T.Phrase:
            terms = list(dict.fromkeys(phrase_grams(part.text)))
        else:
            return None
        if not terms:
            return None
        bounds.append(_grams_cond("gram", terms))
        titles.append(_grams_cond("title_gram", terms))
        boosts.append(part.title_boost)
        standing += dict.fromkeys(long_words(part.text))
        untitled += 1 + len(dict.fromkeys(long_words(part.text)))  # as _matched scores them
    if not bounds:
        return None
    return Tiers(Sql("(") + Sql.join(" AND ", _merged(bounds)) + Sql(")"), tuple(titles), tuple(boosts), untitled,
                 Sql("(") + Sql.join(" AND ", filters) + Sql(")") if filters else None,
                 _has("words", list(dict.fromkeys(standing))) if standing else None)


def _anded(node: T.Node) -> list[T.Node]:
    """The clauses of nested ANDs (search's filters AND the query's own clauses), in order."""
    return [p for part in node.parts for p in _anded(part)] if type(node) is T.And else [node]
