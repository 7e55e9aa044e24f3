"""The whoosh engine behind indexer/engine.py: everything that knows whoosh's queries and its
private on-disk format lives in this package (schema, translate, ranking, optimize, postings)."""

from __future__ import annotations

from contextlib import contextmanager

from indexer.engine import Top
from indexer.whoosh_engine.translate import to_whoosh


class WhooshEngine:
    """Reads through an ``ArchiveIndex``'s cached whoosh searcher (indexer/index.py)."""

    def __init__(self, index):
        self.index = index

    @contextmanager
    def reader(self):
        with self.index.searcher() as s:
            yield WhooshReader(s)


class WhooshReader:
    def __init__(self, searcher):
        self.s = searcher
        self._keys: dict[int, object] = {}
        try:
            self._code = searcher.reader().column_reader("code").__getitem__
        except NotImplementedError:  # a reader without columns (e.g. an empty segment set)
            self._code = lambda d: searcher.stored_fields(d).get("code", "")  # noqa: E731

    def query(self, tree):
        from whoosh import query as Q

        return to_whoosh(tree) or Q.NullQuery

    def top(self, tree, k: int, *, sort: str = "relevance", exact_up_to: int = 2000) -> Top:
        from whoosh import sorting

        from indexer.whoosh_engine.ranking import top_docs

        q = self.query(tree)
        ranked = top_docs(self.s, q, k, newest_first="date" if sort == "date" else "", last="form")
        if ranked is not None:
            return Top(ranked[0], ranked[1])
        kw = {"sortedby": sorting.FieldFacet("date", reverse=True)} if sort == "date" else {}
        results = self.s.search(q, limit=k, **kw)
        hits = [(hit.score, hit.docnum) for hit in results]
        if not results.has_exact_length() and results.estimated_length() > exact_up_to:
            return Top(hits, None, results.estimated_length())
        return Top(hits, list(results.docs()))

    def group_key(self, doc: int):
        if doc not in self._keys:
            self._keys[doc] = self._code(doc) or -1 - doc
        return self._keys[doc]

    def stored(self, doc: int) -> dict:
        return self.s.stored_fields(doc)

    def groups(self, tree, fields):
        from whoosh import sorting

        fields = list(fields)
        grouped = self.s.search(self.query(tree), limit=None, scored=False, maptype=sorting.UnorderedList,
                                groupedby={name: sorting.FieldFacet(name, allow_overlap=(name == "author"))
                                           for name in fields})
        return {name: {k: list(docs) for k, docs in grouped.groups(name).items()} for name in fields}

    def doc_count(self) -> int:
        return self.s.doc_count()
