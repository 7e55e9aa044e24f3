"""The PostgreSQL engine (indexer/pg_engine/) answers the search language like whoosh: the query
cases of tests/test_engine_seam.py over the same index documents, loaded into a throw-away
PostgreSQL cluster — same hits, totals, facets and snippets, the 文号's document first.
Skips, saying why, where no PostgreSQL server can be started."""

from __future__ import annotations

import pytest

from indexer.search import search
from tests.pg_helpers import pg_cluster  # noqa: F401  (the session's cluster)
from tests.test_engine_seam import QUERIES, engines  # noqa: F401  (the seam's archive and documents)


@pytest.fixture(scope="module")
def pg_engine(pg_cluster, engines):  # noqa: F811
    import psycopg

    from indexer.pg_engine import PgEngine

    with psycopg.connect(pg_cluster.url(), autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS pgengine")
        conn.execute("CREATE DATABASE pgengine")
    engine = PgEngine(pg_cluster.url("pgengine"))
    _ai, fake = engines
    with engine.writer() as w:
        w.add_many(fake.docs)
    yield engine
    engine.close()


@pytest.mark.parametrize("text", QUERIES)
def test_postgres_answers_the_search_language_like_whoosh(engines, pg_engine, text):
    ai, _fake = engines
    ours, theirs = search(None, text, engine=pg_engine, limit=50, facets=True), search(ai, text, limit=50, facets=True)
    assert {h.title for h in ours.hits} == {h.title for h in theirs.hits}
    assert ours.total == theirs.total and ours.facets == theirs.facets
    if theirs.hits and "号" in text:  # the document bearing the 文号 first, in both
        assert ours.hits[0].title == theirs.hits[0].title
    assert [h.snippet for h in sorted(ours.hits, key=lambda h: h.path)] == \
        [h.snippet for h in sorted(theirs.hits, key=lambda h: h.path)]
