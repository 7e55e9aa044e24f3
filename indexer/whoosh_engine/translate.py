"""wenshu's query tree (indexer/querytree.py) as whoosh queries over the schema of schema.py.

Speed (DESIGN §11: multi-term queries are what whoosh is slow at): a query word is ONE AND of
a few bigrams in ONE field, ``gram`` (题名 + short fields + text). Title hits rank first
through one optional AND over the short title_gram lists (and title grams weigh more in
``gram``, analysis.PART_WEIGHTS); words of three or more characters are optional terms that
only rank. Words AND-ed become one flat intersection (whoosh intersects a flat list far faster
than a list of AndMaybe pairs). Only the query kinds ranking.py evaluates on arrays are built.
"""

from __future__ import annotations

from whoosh import query as Q
from whoosh.matching import AndNotMatcher, ReadTooFar

from indexer import querytree as T
from indexer.analysis import PREFIX_MARK, long_words, phrase_grams, query_grams


def to_whoosh(node: T.Node) -> Q.Query | None:
    """The whoosh query for a tree; None for a clause with nothing to look for."""
    kind = type(node)
    if kind is T.Every:
        return Q.Every()
    if kind is T.Words:
        return _words(node.text, node.number_key, node.title_boost, node.number_boost)
    if kind is T.Phrase:
        terms = list(dict.fromkeys(phrase_grams(node.text)))
        return _combine(_terms_query("gram", terms), _bonus(node.text, terms, node.title_boost)) if terms else None
    if kind is T.Number:
        parts = [_boosted(Q.Term("numkeys", node.key), node.boost), Q.Term("cites", node.key)]
        if node.typed:
            text = _words(node.typed, "", T.TITLE_BOOST, 0.0)
            if text is not None:
                parts.append(text)
        return Q.Or(parts)
    if kind is T.Field:
        return _field(node.name, node.value)
    if kind is T.Range:
        return Q.NumericRange(node.name, node.lo, node.hi)
    if kind is T.And:
        parts = [q for q in map(to_whoosh, node.parts) if q is not None]
        return None if not parts else parts[0] if len(parts) == 1 else _flat_and(parts)
    if kind is T.Or:
        parts = [q for q in map(to_whoosh, node.parts) if q is not None]
        return None if not parts else parts[0] if len(parts) == 1 else Q.Or(parts)
    if kind is T.Not:
        base = to_whoosh(node.base) or Q.Every()
        excluded = to_whoosh(node.excluded)
        return base if excluded is None else SafeAndNot(base, excluded)
    raise TypeError(f"not a query tree node: {node!r}")


class _SafeAndNotMatcher(AndNotMatcher):
    """whoosh 2.7's AndNotMatcher.skip_to asks the positive side for its id after skipping it
    past its last posting (IndexError in W3LeafMatcher.id): seen on a facet count of a
    clearance-filtered query (… NOT 密级:机密) once the archive held a few dozen records."""

    def skip_to(self, id):
        if not self.a.is_active():
            raise ReadTooFar
        if id < self.a.id():
            return
        self.a.skip_to(id)
        if self.a.is_active() and self.b.is_active():
            self.b.skip_to(id)
            self._find_next()


class SafeAndNot(Q.AndNot):
    """``a ANDNOT b`` with the skip_to above (ranking.py scores it as whoosh's AndNot)."""

    def matcher(self, searcher, context=None):
        return _SafeAndNotMatcher(self.a.matcher(searcher, context),
                                  self.b.matcher(searcher, searcher.boolean_context()))


def _boosted(q, boost: float):
    q.boost = boost
    return q


def _flat_and(parts):
    required, optional = [], []
    for q in parts:
        if isinstance(q, Q.AndMaybe):
            required.append(q.a)
            optional.append(q.b)
        else:
            required.append(q)
    flat = []
    for q in required:
        flat.extend(q.subqueries if isinstance(q, Q.And) and q.boost == 1.0 else [q])
    base = Q.And(flat)
    if not optional:
        return base
    return Q.AndMaybe(base, optional[0] if len(optional) == 1 else Q.Or(optional))


def _terms_query(field: str, terms: list[str], boost: float = 1.0):
    """AND of gram terms; a lone Chinese character in the body field is a prefix over bigrams."""
    if not terms:
        return None
    if len(terms) > 1:
        # a lone character among other terms (3条) would be a prefix over thousands of bigrams
        # and adds next to no precision: leave it out
        terms = [t for t in terms if not t.startswith(PREFIX_MARK)] or terms[:1]
    parts = []
    for t in terms:
        if t.startswith(PREFIX_MARK):
            t = t[len(PREFIX_MARK):]
            parts.append(Q.Prefix(field, t) if field == "gram" else Q.Term(field, t))
        else:
            parts.append(Q.Term(field, t))
    q = parts[0] if len(parts) == 1 else Q.And(parts)
    q.boost = boost
    return q


def _combine(required, optional=None):
    if required is None:
        return None
    return Q.AndMaybe(required, optional) if optional is not None else required


def _bonus(text: str, terms: list[str], title_boost: float):
    """What ranks a match without deciding it: its grams in 题名 (title_gram's posting lists are
    short, so scoring them is cheap, and a title hit outranks any number of mentions in a long
    text), and the query's words of three or more characters, indexed where the text has them
    as words (课后服务 as a word, not in 下课后服务员)."""
    title = _terms_query("title_gram", terms, title_boost)
    words = [Q.Term("gram", w) for w in dict.fromkeys(long_words(text))]
    return Q.Or([title, *words]) if words else title


def _grams(text: str) -> list[str]:
    return [t for run in query_grams(text) for t in run]


def _words(text: str, number_key: str, title_boost: float, number_boost: float):
    terms = _grams(text)
    if not terms:
        return None
    required = _terms_query("gram", terms)
    if number_key:
        required = Q.Or([_boosted(Q.Term("numkeys", number_key), number_boost), required])
    return _combine(required, _bonus(text, terms, title_boost))


def _field(name: str, value: str):
    if name == "docnum":
        return Q.Term("numkeys", value)
    if name == "title":
        return _terms_query("title_gram", _grams(value))
    if name == "body":
        return _terms_query("gram", _grams(value))
    if name == "case":
        grams = _terms_query("gram", _grams(value))
        return Q.Or([Q.Term("case", value), grams]) if grams is not None else Q.Term("case", value)
    if name in ("code", "origcode"):
        return Q.Prefix(name, value)
    if name in T.EXACT_FIELDS:
        return Q.Term(name, value)
    raise ValueError(f"no whoosh field for {name!r}")
