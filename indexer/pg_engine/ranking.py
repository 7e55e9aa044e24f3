"""The top of many matches without scoring every one (分层取前 k): a word in most of a million
documents would otherwise be counted, then scored row by row, each visit a read of the row.

Scores take few values (translate.py: 1 a word, its 题名 boost, 1 a long word standing), and the
order is form, score, id. So the matches are split by how many of the query's words stand in
题名 — all of them, one fewer, … none — and the top ``k`` of each level is found on its own:

- a level of few rows (counted from the ``title_gram`` index): scored and sorted in SQL;
- a level of many: walked in (form, id) order through that index, each row asked itself, until
  ``k`` rows of the form have the best score a row of the level can have — no later row can
  pass them (a tie goes to the smaller id) — or the form ends. A common word stops after about
  ``k`` rows.

The levels part the matches, so the best ``k`` of their best ``k`` are the answer. The count is
the bags' own, or the filters' if fewer (an upper bound, shown as 约): their indexes answer it
from the visibility map, without a row read, where a count of the matches reads every one.
"""

from __future__ import annotations

from itertools import combinations

from indexer.pg_engine.translate import Sql, Tiers, to_sql

WALK_FROM = 20_000  # bag matches: below, every match is counted and scored (a few tens of ms)
WALK_UP_TO = 20_000  # rows one walk may take before the tree is scored in full after all
TITLED_SORTED_UP_TO = 2_000  # a level's titles holding its words: below, scored and sorted in SQL
# rows a query's filters (年度, 类型 …) leave: below, they are scored in full, each row asked its
# words (a walk would pass over most rows to find few); above, walked
FILTERED_WALK_FROM = 2_000


def relevance(row) -> tuple:
    """(form, best score first, id) of a row (id, code, score, form, …): the engine's relevance
    order, NULL forms last."""
    return row[3] is None, row[3] or 0, -float(row[2]), row[0]


def count(conn, table: str, cond: Sql) -> int:
    return conn.execute(f"SELECT count(*) FROM {table} WHERE {cond.text}", cond.params).fetchone()[0]


def walked_top(conn, table: str, tree, tiers: Tiers, k: int) -> list | None:
    """The top ``k`` rows (id, code, score, form) in relevance order, or None when a walk ran
    past WALK_UP_TO rows (scores spread so that the best are rare: the caller scores in full)."""
    cond, score = to_sql(tree, "")  # each row asked itself: only a few are visited
    in_title = Sql("(") + Sql.join(" + ", [Sql("(CASE WHEN ") + t + Sql(" THEN 1 ELSE 0 END)")
                                           for t in tiers.titles]) + Sql(")")
    found = []
    for j in range(len(tiers.titles), -1, -1):  # words in 题名: all … none
        level = cond + Sql(" AND ") + in_title + Sql(" = %s", [j])
        best = tiers.best_untitled + sum(sorted(tiers.boosts)[len(tiers.boosts) - j:])
        titled = _at_least(tiers.titles, j) if j else None
        if titled is not None and count(conn, table, titled) <= TITLED_SORTED_UP_TO:
            sql = Sql(f"SELECT id, code, {score.text} AS score, form FROM {table} WHERE ", score.params) \
                + titled + Sql(" AND ") + level + Sql(" ORDER BY form, score DESC, id LIMIT %s", [k])
            rows = conn.execute(sql.text, sql.params).fetchall()
        else:  # a level of many rows (管理, 通知 in 题名; or none of the words there)
            rows = _walk(conn, table, level, score, best, k)
            if rows is None:
                return None
        found += rows
    return sorted(found, key=relevance)[:k]


def _at_least(titles: tuple[Sql, ...], j: int) -> Sql:
    """At least ``j`` of the words in 题名, as the ``title_gram`` index can answer it."""
    return Sql("(") + Sql.join(" OR ", [Sql("(") + Sql.join(" AND ", list(c)) + Sql(")")
                                        for c in combinations(titles, j)]) + Sql(")")


def _walk(conn, table: str, cond: Sql, score: Sql, best: float, k: int) -> list | None:
    done: list = []  # rows of the forms walked to their end
    form, rows, at_best = object(), [], 0
    # a cursor's plan is made for its first rows (cursor_tuple_fraction): the (form, id) index,
    # not a bitmap of every match sorted
    conn.execute("SET LOCAL cursor_tuple_fraction = 0.0001")
    with conn.cursor(name="wenshu_walk") as cur:
        cur.itersize = 200
        cur.execute(f"SELECT id, code, {score.text} AS score, form FROM {table} WHERE {cond.text} "
                    "ORDER BY form, id", [*score.params, *cond.params])
        for n, row in enumerate(cur):
            if n == WALK_UP_TO:
                return None
            if row[3] != form:
                done, rows = done + rows, []
                if len(done) >= k:
                    break
                form, at_best = row[3], 0
            rows.append(row)
            at_best += float(row[2]) >= best - 1e-9
            if len(done) + at_best >= k:
                break
    return sorted(done + rows, key=relevance)[:k]
