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
        self._matched = (None, None)  # (tree, every matching document) of the last top()
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
            self._matched = (tree, ranked[1])
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

    def group_keys(self, docs):
        """As numbers from one cached array per index (facets.record_keys), not a column read each."""
        from indexer.whoosh_engine import facets

        if not facets.supported(self.s):
            return [self.group_key(int(d)) for d in docs]
        return facets.record_keys(self.s, docs).tolist()

    def groups(self, tree, fields):
        from whoosh import sorting

        from indexer.whoosh_engine import facets
        from indexer.whoosh_engine.ranking import top_docs

        fields = list(fields)
        if facets.supported(self.s):  # from cached arrays (facets.py); the matches of top() if known
            matched = self._matched[1] if self._matched[0] is tree else None
            if matched is None:
                ranked = top_docs(self.s, self.query(tree), 0)
                matched = ranked[1] if ranked is not None else list(
                    self.s.search(self.query(tree), limit=None, scored=False).docs())
            return facets.groups(self.s, matched, fields)
        grouped = self.s.search(self.query(tree), limit=None, scored=False, maptype=sorting.UnorderedList,
                                groupedby={name: sorting.FieldFacet(name, allow_overlap=(name == "author"))
                                           for name in fields})
        return {name: {k: list(docs) for k, docs in grouped.groups(name).items()} for name in fields}

    def having(self, field, values, limit=200):
        from whoosh import query as Q

        q = Q.Or([Q.Term(field, v) for v in values])
        return [hit.fields() for hit in self.s.search(q, limit=limit, scored=False)]

    def doc_count(self) -> int:
        return self.s.doc_count()


class StoredView:
    """The stored documents of an index as indexer/index.py looks them up while writing: by path,
    under a folder, the first of a record (for its last good metadata)."""

    def __init__(self, searcher):
        self.s = searcher

    def stored(self, path: str) -> dict | None:
        return self.s.document(path=path)

    def stored_under(self, prefix: str) -> list[dict]:
        from whoosh.query import Prefix

        return [hit.fields() for hit in self.s.search(Prefix("path", prefix), limit=None)]

    def record_doc(self, record: str) -> dict | None:
        from whoosh.query import Term

        return next((hit.fields() for hit in self.s.search(Term("record", record), limit=1)), None)

    def close(self) -> None:
        self.s.close()


class WhooshWriter(StoredView):
    """The engine's write side (indexer/engine.py EngineWriter) over one whoosh writer; what it
    reads is the index as it was when the writer opened (documents replaced meanwhile are not
    seen twice: ``replace`` deletes by path)."""

    def __init__(self, writer):
        super().__init__(writer.searcher())
        self.w = writer
        self.discarded = False

    def discard(self) -> None:
        """Nothing of this batch is to be committed (a move of something never indexed)."""
        self.discarded = True

    def add(self, doc: dict) -> None:
        self.w.add_document(**doc)

    def replace(self, doc: dict) -> None:
        self.w.update_document(**doc)

    def delete(self, path: str) -> int:
        from whoosh.query import Term

        return self.w.delete_by_query(Term("path", path))

    def delete_under(self, prefix: str) -> int:
        from whoosh.query import Prefix

        return self.w.delete_by_query(Prefix("path", prefix))
