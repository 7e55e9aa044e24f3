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


@pytest.fixture
def fresh(pg_engine, request):
    """An engine over a table of its own (same database), emptied for each test."""
    from indexer.pg_engine import PgEngine

    url = pg_engine.pool.conninfo
    engine = PgEngine(url, "t_" + request.node.name.split("[")[0][-40:].lower())
    engine.ensure(drop=True)
    yield engine
    engine.close()


def _doc(engines, title: str) -> dict:
    return next(d for d in engines[1].docs if d["title"] == title)


def test_the_writer_replaces_deletes_and_reads_the_index_as_it_was_when_the_batch_began(engines, fresh):
    docs = engines[1].docs
    with fresh.writer() as w:
        w.add_many(docs)
    first = docs[0]
    with fresh.writer() as w:
        assert w.stored(first["path"])["title"] == first["title"]
        assert w.stored(first["path"])["numkeys"] == first["numkeys"]
        w.replace(dict(first, title="改过的题名", title_gram="改过的题名"))
        assert w.stored(first["path"])["title"] == first["title"]  # the batch's start, not its writes
        assert w.record_doc(first["record"])["record"] == first["record"]
        folder = first["path"].rsplit("/", 1)[0] + "/"
        under = w.stored_under(folder)
        assert first["path"] in {d["path"] for d in under}
    assert {h.title for h in search(None, "题名:改过的题名", engine=fresh).hits} == {"改过的题名"}
    with fresh.writer() as w:
        gone = w.delete_under(folder)
        assert gone == len(under)
        assert w.delete("没有这个文件.txt") == 0
    with fresh.reader() as r:
        assert r.doc_count() == len(docs) - gone


def test_a_failed_batch_leaves_the_index_as_it_was(engines, fresh):
    docs = engines[1].docs
    with pytest.raises(RuntimeError):
        with fresh.writer() as w:
            w.add_many(docs)
            raise RuntimeError("断电")
    with fresh.reader() as r:
        assert r.doc_count() == 0


def test_quotes_and_backslashes_in_a_query_are_looked_for_not_run(engines, fresh):
    doc = dict(_doc(engines, engines[1].docs[0]["title"]), path="散件/引号.txt", record="", code="",
               title="o'brien 的 a\\b 说明", title_gram="o'brien 的 a\\b 说明")
    from indexer.analysis import PART_SEP

    doc["gram"] = PART_SEP.join((doc["title"], "", ""))
    with fresh.writer() as w:
        w.add(doc)
    for q in ("o'brien", "题名:o'brien", "a\\b", "'); DROP TABLE x; --"):
        res = search(None, q, engine=fresh)
        assert [h.title for h in res.hits] == ([] if "DROP" in q else [doc["title"]]), q


def test_a_table_of_an_unknown_schema_version_is_rebuilt_empty(fresh):
    from indexer.pg_engine import PgEngine

    with fresh.pool.connection() as conn:
        conn.execute("UPDATE wenshu_search_tables SET version = 0 WHERE name = %s", [fresh.table])
        conn.execute(f"INSERT INTO {fresh.table} (path) VALUES ('旧.txt')")
    again = PgEngine(fresh.pool.conninfo, fresh.table)
    with again.reader() as r:
        assert r.doc_count() == 0
    again.close()


def test_a_version_1_table_gets_its_words_index_in_place_and_keeps_its_rows(engines, fresh):
    from indexer.pg_engine import PgEngine, schema

    assert fresh.rebuild(iter(engines[1].docs)) == len(engines[1].docs)
    with fresh.pool.connection() as conn:  # as version 1 left it: no index on words
        (name,) = conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef LIKE "
                               "'%%(words)%%'", [fresh.table]).fetchone()
        conn.execute(f"DROP INDEX {name}")
        conn.execute("UPDATE wenshu_search_tables SET version = 1 WHERE name = %s", [fresh.table])
    again = PgEngine(fresh.pool.conninfo, fresh.table)
    with again.pool.connection() as conn:
        assert conn.execute("SELECT version FROM wenshu_search_tables WHERE name = %s",
                            [fresh.table]).fetchone()[0] == schema.SCHEMA_VERSION
        assert conn.execute("SELECT count(*) FROM pg_indexes WHERE tablename = %s AND indexdef LIKE "
                            "'%%(words)%%'", [fresh.table]).fetchone()[0] == 1
    with again.reader() as r:
        assert r.doc_count() == len(engines[1].docs)
    assert [h.path for h in search(None, "课后服务", engine=again).hits] == \
        [h.path for h in search(None, "课后服务", engine=fresh).hits]
    again.close()


def test_a_rebuild_swaps_in_the_whole_new_index_and_a_failed_one_leaves_the_old(engines, fresh):
    docs = engines[1].docs
    assert fresh.rebuild(iter(docs[:1])) == 1

    def failing():
        yield from docs
        raise OSError("档案库读不出来")

    with fresh.reader() as before:
        with pytest.raises(OSError):
            fresh.rebuild(failing())
        assert before.doc_count() == 1
    with fresh.reader() as r:
        assert r.doc_count() == 1

    def watched():
        for d in docs:
            with fresh.reader() as r:  # searches meanwhile see the old index, whole
                assert r.doc_count() == 1
            yield d

    assert fresh.rebuild(watched()) == len(docs)
    with fresh.reader() as r:
        assert r.doc_count() == len(docs)
    assert {h.title for h in search(None, "课后服务", engine=fresh).hits} == \
        {h.title for h in search(engines[0], "课后服务").hits}


def test_term_bags_reach_the_table_as_the_terms_themselves_by_insert_and_by_copy(engines, fresh):
    """The bags are written as tsvector literals (schema.lexeme), by a writer's INSERT and by a
    rebuild's COPY: every term must arrive as itself, not parsed (a quote, a backslash, a space,
    "x:1" — a position in tsvector syntax — or an operator would otherwise change or break it)."""
    from indexer.analysis import PART_SEP
    from indexer.pg_engine import schema

    odd = ["o'brien", "a\\b", "a b", "x:1", "a:*", "&", "|", "!", "5+2", "gb/t", "高教督函〔2022〕", "''", "\\"]
    with fresh.pool.connection() as conn:
        got = conn.execute("SELECT %s::tsvector = array_to_tsvector(%s::text[]), tsvector_to_array(%s::tsvector)",
                           [schema._vector(odd), odd, schema._vector(odd)]).fetchone()
    assert got[0] and sorted(got[1]) == sorted(odd)

    title = "5+2 课后服务 gb/t 9704-2012 a&b 的说明"
    doc = dict(_doc(engines, engines[1].docs[0]["title"]), path="散件/符号.txt", record="", code="",
               title=title, title_gram=title, gram=PART_SEP.join((title, "", "")))
    bags = ", ".join(schema.VECTORS)
    fresh.rebuild(iter([doc]))  # COPY
    with fresh.pool.connection() as conn:
        copied = conn.execute(f"SELECT {bags} FROM {fresh.table}").fetchone()
    with fresh.writer() as w:  # INSERT
        w.replace(doc)
    with fresh.pool.connection() as conn:
        inserted = conn.execute(f"SELECT {bags} FROM {fresh.table}").fetchone()
        title_terms = conn.execute(f"SELECT tsvector_to_array(title_gram) FROM {fresh.table}").fetchone()[0]
    assert copied == inserted
    assert {"5+2", "gb/t", "9704-2012", "课后", "服务"} <= set(title_terms)
    assert [h.title for h in search(None, "5+2", engine=fresh).hits] == [title]


def _many(engines, n: int = 600) -> list[dict]:
    """Documents sharing a few words at different rates — in 题名 or only in the text, long words
    whole or split — of both forms and two years and types, some withdrawn: ties and tiers for
    the ranking walk."""
    import random

    from indexer.analysis import PART_SEP

    rng = random.Random(5)
    base = engines[1].docs[0]
    titles = ["关于课后服务的通知", "师德师风建设方案", "工作要点", "关于开展督查的通知", "教育局工作总结", "会议纪要",
              "督查组工作安排", "督查组织工作安排"]
    # 终身教育局面, 督查组织: the grams of 教育局 and 督查组, not the words (no standing bonus)
    phrases = ["课后服务", "师德师风建设", "工作", "督查", "教育局", "课后", "服务", "学校", "师德", "建设",
               "终身教育局面", "督查组", "督查组织"]
    docs = []
    for i in range(n):
        title = rng.choice(titles)
        body = "，".join(rng.choice(phrases) for _ in range(rng.randrange(1, 8))) + "。"
        docs.append(dict(base, path=f"散件/{i:04d}.txt", record=f"R{i}", code=f"A001-WS·2022-D30-BGS-{i:04d}",
                         title=title, title_gram=title, gram=PART_SEP.join((title, "", body)), body=body,
                         form=rng.random() < 0.3, status="撤销" if rng.random() < 0.05 else "",
                         year=rng.choice([2021, 2022]), doctype=rng.choice(["通知", "函"])))
    return docs


def test_many_matches_are_ranked_by_the_walk_exactly_as_by_scoring_them_all(engines, fresh, monkeypatch):
    """Beyond ranking.WALK_FROM matches the top k comes from levels of how many words stand in
    题名, each level's candidates taken from its small columns in (form, id) order — listed from an
    index, or paged along the (form, id) one — and asked their words a batch at a time until the
    level can stop; it must give the very hits, scores and order that scoring every match gives —
    for words in most documents and in few, ties, long words, both forms, with filters — and fall
    back to full scoring when too many rows would be asked. The count is then an estimate (约)
    from a fixed sample of rows, near the true count."""
    from indexer import querytree as T
    from indexer.pg_engine import ranking, translate
    from indexer.query import parse

    assert fresh.rebuild(iter(_many(engines))) == 600
    queries = ["工作", "课后服务", "课后 服务", "师德师风建设", '"课后服务"', "督查 学校", "教育局 工作 建设", "通知",
               "教育局", "督查组", "督查组 教育局", "工作 年度:2022", "教育局 年度:2021 类型:函", "督查组 题名:通知",
               "师德 -学校"]
    walks = {"WALK_FROM": 0, "ASKED_PER_HIT_UP_TO": 10**9}  # every query with tiers walked, however rare
    with fresh.reader() as r:
        for q in queries:
            tree = T.Not(parse(q), T.Field("status", "撤销"))
            if q == "督查组 教育局":  # as search() adds its own filters: nested ANDs
                tree = T.Not(T.And((parse(q), T.Range("year", 2022, 2022))), T.Field("status", "撤销"))
            assert (translate.tiers(tree) is None) == q.startswith("师德 -")  # NOT: scored in full
            for k in (1, 5, 20, 60, 150):
                monkeypatch.setattr(ranking, "LISTED_UP_TO", -1)  # every match scored in SQL
                full = r.top(tree, k, exact_up_to=10**9)
                monkeypatch.undo()
                listed = r.top(tree, k, exact_up_to=0)  # 600 documents: few matches, listed with their levels
                assert listed.hits == full.hits, (q, k)
                if not q.startswith("师德 -"):
                    assert sorted(listed.matched) == sorted(full.matched), (q, k)
                for name, value in walks.items():
                    monkeypatch.setattr(ranking, name, value)
                monkeypatch.setattr(ranking, "FILTERED_WALK_FROM", 10**9)  # few filtered rows: each asked
                assert r.top(tree, k, exact_up_to=0).hits == full.hits, (q, k)
                monkeypatch.setattr(ranking, "FILTERED_WALK_FROM", 0)
                fast = r.top(tree, k, exact_up_to=0)
                monkeypatch.setattr(ranking, "LISTED_UP_TO", -1)  # 题名's levels each on its own
                assert r.top(tree, k, exact_up_to=0).hits == fast.hits, (q, k)
                monkeypatch.setattr(ranking, "TITLED_LISTED_UP_TO", 0)  # every 题名 level paged in order
                monkeypatch.setattr(ranking, "FILTERED_LISTED_UP_TO", 0)  # the filters' rows too
                monkeypatch.setattr(ranking, "FIRST_BATCH", 1)  # pages and batches of one, two, three
                monkeypatch.setattr(ranking, "BATCH_UP_TO", 3)
                assert r.top(tree, k, exact_up_to=0).hits == fast.hits, (q, k)
                monkeypatch.setattr(ranking, "WALK_UP_TO", 3)  # too many to ask: scored in full
                monkeypatch.setattr(ranking, "RANGES_UP_TO", 1)  # the level of most rows in one range
                fallback = r.top(tree, k, exact_up_to=0)
                monkeypatch.undo()
                assert fast.hits == full.hits, (q, k)
                assert full.hits == fallback.hits[:k], (q, k)
                assert fast.matched is None and abs(fast.estimate - len(full.matched)) <= 0.25 * len(full.matched) + 10, \
                    (q, k, fast.estimate, len(full.matched))
                assert len(fast.hits) == min(k, len(full.matched))
