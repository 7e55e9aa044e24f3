"""The top of many matches without scoring every one (分层取前 k), and without reading their
bags: a word in most of a million documents would otherwise be counted and scored row by row.

What a row costs decides the shape. A row's small columns (题名's grams, 年度, 类型, form) are in
the table itself, a few µs to read; its bags (``gram`` ~19 KB, ``words``) are stored apart, and at
a million documents their 31 GB do not stay in memory: asking one row's ``gram`` is a read from
disk, 0.3–11 ms (22 µs when in memory). The GIN index answers a common word for the whole table
in ~100 ms, and then every match is visited (0.5–4 µs each: 600 ms for a word in nearly every
document). So rows are picked by the indexes and their small columns, and only a few are asked
their words.

Scores take few values (translate.py: 1 a word, its 题名 boost, 1 a long word standing, 1 a
filter), and the order is form, score, id. The matches are split into levels by how many of the
query's words stand in 题名 — all of them, one fewer, … none — and the top ``k`` of each level is
found on its own, its rows taken in (form, id) order until ``k`` of a form have the best score a
row of the level can have — no later row can pass them (a tie goes to the smaller id) — or the
level ends. The levels part the matches, so the best ``k`` of their best ``k`` are the answer.

A fixed sample of rows (``sample``) tells how many match (the count shown, 约) and so the way:

- few matches (``listed_top``): all listed with their levels at once from the bitmaps ANDed,
  only each level's first scored (asked their long words);
- many (``walked_top``): 题名's levels listed the same way, or each taken from ``title_gram``'s
  index, or paged along (form, id), the candidates asked their words a batch at a time
  (``_asked``); the level of none walked by id ranges, each range's matches from the words'
  bitmap ANDed with the key's (``_ranged``).

Past WALK_UP_TO rows asked the caller scores in full after all.
"""

from __future__ import annotations

from contextlib import contextmanager
from itertools import combinations

from indexer.engine import Top
from indexer.pg_engine.translate import TRUE, Sql, Tiers, to_sql

WALK_FROM = 20_000  # matches (estimated): above, walked; below, listed (up to LISTED_UP_TO) or scored
ASKED_PER_HIT_UP_TO = 10  # rows asked per hit (1 / the words' share): above, the matches from bitmaps
WALK_UP_TO = 3_000  # rows one query may ask its words before it is scored in full after all
TITLED_LISTED_UP_TO = 5_000  # rows of a level with words in 题名 (estimated): above, paged in order
FIRST_BATCH = 40  # candidates asked at once, doubling up to BATCH_UP_TO
BATCH_UP_TO = 640
RANGES_UP_TO = 6  # id ranges of a level, each twice the last; the last one is all the rest
LISTED_UP_TO = 50_000  # matches (estimated) of words listed with their levels (``listed_top``)
SAMPLE = 500  # rows of the fixed sample an estimate asks (their bags stay in memory: ~10 ms)
# rows a query's filters (年度, 类型 …) leave: below FILTERED_WALK_FROM, scored in full, each asked
# its words; up to FILTERED_LISTED_UP_TO, walked, the candidates listed from the filters' indexes
FILTERED_WALK_FROM = 2_000
FILTERED_LISTED_UP_TO = 100_000
# a row asked its words (a read of its bags) costs as much as this many matches taken from an
# index (the row's small columns): filtered rows fewer than the matches by this are each asked
READS_PER_VISIT = 50


def relevance(row) -> tuple:
    """(form, best score first, id) of a row (id, code, score, form, …): the engine's relevance
    order, NULL forms last."""
    return row[3] is None, row[3] or 0, -float(row[2]), row[0]


def count(conn, table: str, cond: Sql) -> int:
    return conn.execute(f"SELECT count(*) FROM {table} WHERE {cond.text}", cond.params).fetchone()[0]


def sample(conn, table: str, cond: Sql) -> tuple[float, int]:
    """(the share of rows holding ``cond``, about how many rows the table has) from a fixed
    sample: every so many ids across the table, the same rows each time, so their bags stay in
    memory (~10 ms). The planner's own estimate multiplies the words' shares as if independent
    (建立 机制 at a million documents: 83,000 for 300,000); a sample of 500 is within a few per
    cent for a common word. A table of at most SAMPLE rows is counted exactly."""
    lo, hi = conn.execute(f"SELECT min(id), max(id) FROM {table}").fetchone()
    if lo is None:
        return 0.0, 0
    span = hi - lo + 1
    ids = [lo + i * span // SAMPLE for i in range(SAMPLE)] if span > SAMPLE else list(range(lo, hi + 1))
    there, hit = conn.execute(f"SELECT count(*), count(*) FILTER (WHERE {cond.text}) FROM {table} "
                              "WHERE id = ANY(%s::bigint[])", [*cond.params, ids]).fetchone()
    return (hit / there if there else 0.0), round(there * span / len(ids))  # deleted rows: holes


def tiered(conn, table: str, tree, tiers: Tiers, id_list_score: Sql, k: int, exact_up_to: int, remember) -> Top:
    """The top ``k`` of words (``tiers``, of ``tree``), by the sample: walked (many matches, the
    count an estimate), listed (few, counted), or — too many rows to ask — scored in SQL from
    the bitmaps; ``id_list_score``: the score with long words as id lists (translate.py).
    ``remember`` is given the rows (id, code, …) found."""
    share, rows = sample(conn, table, tiers.bound)
    many = round(share * rows)
    filtered = count(conn, table, tiers.filters) if tiers.filters is not None else None
    about = many if filtered is None else round(share * filtered)
    if many > max(exact_up_to, WALK_FROM) and (rows if filtered is None else filtered) > FILTERED_WALK_FROM:
        found = walked_top(conn, table, tree, tiers, k, share, filtered, id_list_score)
        if found is not None:
            remember(found)
            return Top([(float(s), i) for i, _c, s, _f in found], None, max(about, len(found)) if found else 0)
    if many <= LISTED_UP_TO:
        listed = listed_top(conn, table, tree, tiers, k)
        if listed is not None:
            found, matched = listed
            remember(found)
            return Top([(float(s), i) for i, _c, s, _f in found], matched)
    # the matches from the indexes as bitmaps ANDed — a word's and 年度's and 类型's (利息 at a
    # million: 420 → 66 ms, as an id list of the word's 90,000 matches) — or, when the filters
    # leave few rows, each of those asked its words; a long word's bonus stays an id list
    cond, score = to_sql(tree, "")
    if filtered is None or filtered * READS_PER_VISIT >= many:
        score = id_list_score
    with _without(conn, "enable_indexscan"):  # bitmaps, not a walk of one index
        return scored(conn, table, cond, score, k, "relevance", exact_up_to, remember,
                      about if about > exact_up_to else None)


def scored(conn, table: str, cond: Sql, score: Sql, k: int, sort: str, exact_up_to: int, remember,
           about: int | None = None) -> Top:
    """Every match scored in SQL: few counted (the index and the rows' small columns only), then
    all ordered here; many only for their top ``k`` in SQL — one scan each, as a window count
    over the scored rows cost a third more — their count ``about`` if estimated (a count is a
    second pass over them)."""
    total = about if about is not None else count(conn, table, cond)
    if total == 0:
        return Top([], [])
    select = f"SELECT id, code, {score.text} AS score, form, date FROM {table} WHERE {cond.text}"
    params = [*score.params, *cond.params]
    if total > exact_up_to:
        order = "form, date DESC NULLS LAST, score DESC, id" if sort == "date" else "form, score DESC, id"
        rows = conn.execute(f"{select} ORDER BY {order} LIMIT %s", [*params, k]).fetchall()
        remember(rows)
        return Top([(float(s), i) for i, _c, s, _f, _d in rows], None, max(total, len(rows)) if rows else 0)
    rows = conn.execute(select, params).fetchall()
    remember(rows)
    if sort == "date":
        rows.sort(key=lambda r: (r[3] is None, r[3] or 0, r[4] is None, -(r[4] or 0), -float(r[2]), r[0]))
    else:
        rows.sort(key=relevance)
    return Top([(float(s), i) for i, _c, s, _f, _d in rows[:k]], [i for i, *_ in rows])


def walked_top(conn, table: str, tree, tiers: Tiers, k: int, share: float, filtered: int | None,
               id_list_score: Sql) -> list | None:
    """The top ``k`` rows (id, code, score, form) in relevance order, or None when more than
    WALK_UP_TO rows had to be asked (the caller scores in full). ``share``: of the rows holding
    the words (``sample``); ``filtered``: how many rows the filters leave, if there are filters;
    ``id_list_score``: as ``tiered``'s.

    The levels with words in 题名 are listed at once (their matches from the bitmaps ANDed) when
    the sample says they hold few matches and the words are not common — of a common word the
    planner would ask every titled row its ``gram`` (企业: 8 s) where a batch of them, asked, is
    enough. Otherwise each level is taken from ``title_gram``'s index or, common there (条例,
    办法), paged in order."""
    cond, score = to_sql(tree, "")  # each row asked itself: only a few are
    listed = tiers.filters is not None and (filtered or 0) <= FILTERED_LISTED_UP_TO
    if listed and share * ASKED_PER_HIT_UP_TO < 1:  # the filters' rows, each asked: too few hit
        return None
    budget = [WALK_UP_TO]
    titled = _at_least(tiers.titles, 1)
    titled_share, rows = sample(conn, table, tiers.bound + Sql(" AND ") + titled)
    try:
        if titled_share * rows <= LISTED_UP_TO and share * ASKED_PER_HIT_UP_TO < 1:
            found, _ids = _listed_levels(conn, table, cond + Sql(" AND ") + titled, score, tiers, k, budget, 1)
        else:
            found = []
            for j in range(len(tiers.titles), 0, -1):  # words in 题名: all … one
                level = _at_least(tiers.titles, j) + Sql(" AND ") + _level(tiers, j)
                few_titled, table_rows = sample(conn, table, level)  # small columns only: no bag read
                pages = (_listed if few_titled * table_rows <= TITLED_LISTED_UP_TO else _paged)(conn, table, level)
                found += _walk(_asked(conn, table, pages, cond, score, k, budget), _best(tiers, j), k)
        level = _level(tiers, 0)  # none of the words in 题名
        if listed:
            matched = _asked(conn, table, _listed(conn, table, level), cond, score, k, budget)
        else:
            matched = _ranged(conn, table, level + Sql(" AND ") + cond, score, share, k, tiers.standing,
                              id_list_score)
        found += _walk(matched, _best(tiers, 0), k)
    except _Tired:
        return None
    return sorted(found, key=relevance)[:k]


def listed_top(conn, table: str, tree, tiers: Tiers, k: int) -> tuple[list, list[int]] | None:
    """The top ``k`` rows of a tree with few matches and every match's id — or None when more
    than WALK_UP_TO rows had to be asked."""
    cond, score = to_sql(tree, "")
    try:
        top, ids = _listed_levels(conn, table, cond, score, tiers, k, [WALK_UP_TO], 0)
    except _Tired:
        return None
    return sorted(top, key=relevance)[:k], ids


def _listed_levels(conn, table: str, cond: Sql, score: Sql, tiers: Tiers, k: int, budget: list,
                   down_to: int) -> tuple[list, list[int]]:
    """The top ``k`` of each level from ``down_to`` words in 题名 up, and the ids of all matches
    of ``cond``: listed with their level from the indexes as bitmaps and the small columns; only
    the first of each level are scored, each asked its long words — scoring them all would ask
    every match's ``words``, or take from its index every document holding a long word
    (工作人员: most of a million)."""
    rows = _bitmapped(conn, Sql("SELECT id, form, ") + _in_title(tiers) + Sql(f" FROM {table} WHERE ") + cond
                      + Sql(" ORDER BY form, id"))
    found = []
    for j in range(len(tiers.titles), down_to - 1, -1):
        level = [(i, f) for i, f, t in rows if t == j]
        if level:  # they match: only their scores are asked
            found += _walk(_asked(conn, table, [level], TRUE, score, k, budget), _best(tiers, j), k)
    return found, [i for i, *_ in rows]


def _level(tiers: Tiers, j: int) -> Sql:
    """Exactly ``j`` of the words in 题名, and the filters."""
    level = _in_title(tiers) + Sql(" = %s", [j])
    return level if tiers.filters is None else tiers.filters + Sql(" AND ") + level


def _best(tiers: Tiers, j: int) -> float:
    """The best score a row with ``j`` of the words in 题名 can have."""
    return tiers.best_untitled + sum(sorted(tiers.boosts)[len(tiers.boosts) - j:])


def _in_title(tiers: Tiers) -> Sql:
    """How many of the words stand in 题名 (the small ``title_gram`` column, in the row)."""
    return Sql("(") + Sql.join(" + ", [Sql("(CASE WHEN ") + t + Sql(" THEN 1 ELSE 0 END)")
                                       for t in tiers.titles]) + Sql(")")


def _at_least(titles: tuple[Sql, ...], j: int) -> Sql:
    """At least ``j`` of the words in 题名, as the ``title_gram`` index can answer it."""
    return Sql("(") + Sql.join(" OR ", [Sql("(") + Sql.join(" AND ", list(c)) + Sql(")")
                                        for c in combinations(titles, j)]) + Sql(")")


def _listed(conn, table: str, level: Sql):
    """The candidates of a level of few rows, all at once, in (form, id) order (sorted in SQL from
    the index that picks them: 题名's or the filters'). As many as can be asked, one more to tell."""
    sql = Sql(f"SELECT id, form FROM {table} WHERE ") + level + Sql(" ORDER BY form, id LIMIT %s", [WALK_UP_TO + 1])
    yield conn.execute(sql.text, sql.params).fetchall()


def _paged(conn, table: str, level: Sql):
    """The candidates of the level of most rows, a page at a time along the (form, id) index:
    a common word is done within the first page; NULL forms (none in an archive's own rows) last."""
    size, after = FIRST_BATCH, None
    while True:
        key = Sql("form IS NOT NULL") if after is None else Sql("(form, id) > (%s, %s)", list(after))
        sql = Sql(f"SELECT id, form FROM {table} WHERE ") + key + Sql(" AND ") + level \
            + Sql(" ORDER BY form, id LIMIT %s", [size])
        # along the index, not every candidate from 题名's index sorted (办法 in 题名: 874 → 9 ms)
        with _without(conn, "enable_bitmapscan"):
            page = conn.execute(sql.text, sql.params).fetchall()
        if page:
            yield page
            after = page[-1][1], page[-1][0]  # (form, id)
        if len(page) < size:
            break
        size = min(2 * size, BATCH_UP_TO)
    last = 0
    while True:
        sql = Sql(f"SELECT id, form FROM {table} WHERE form IS NULL AND id > %s AND ", [last]) + level \
            + Sql(" ORDER BY id LIMIT %s", [BATCH_UP_TO])
        page = conn.execute(sql.text, sql.params).fetchall()
        if not page:
            return
        yield page
        last = page[-1][0]


def _verified(conn, table: str, ids: list[int], cond: Sql, score: Sql) -> dict:
    """Those of ``ids`` that match, each row asked its words itself: the rows taken by the primary
    key behind a fence (OFFSET 0), as the planner, underestimating a word of several grams (13
    rows for 101,455), would otherwise take the word's every match from its index and drop all
    but these."""
    sql = Sql(f"SELECT id, code, {score.text} AS score, form FROM (SELECT * FROM {table} WHERE id = "
              f"ANY(%s::bigint[]) OFFSET 0) AS {table} WHERE ", [*score.params, ids]) + cond
    return {r[0]: r for r in conn.execute(sql.text, sql.params).fetchall()}


def _batches(pages, size: int):
    """The candidates of ``pages`` in batches of ``size`` doubling up to BATCH_UP_TO."""
    pending: list = []
    for page in pages:
        pending += page
        while len(pending) >= size:
            yield pending[:size]
            pending, size = pending[size:], min(2 * size, BATCH_UP_TO)
    if pending:
        yield pending


def _asked(conn, table: str, pages, cond: Sql, score: Sql, k: int, budget: list):
    """The matches among the candidates of ``pages``, a batch at a time, in their order; a
    ``_Tired`` once more than the ``budget`` of rows were asked."""
    for batch in _batches(pages, max(FIRST_BATCH, 2 * k)):
        budget[0] -= len(batch)
        if budget[0] < 0:
            raise _Tired
        matched = _verified(conn, table, [i for i, _f in batch], cond, score)
        yield [matched[i] for i, _f in batch if i in matched]


def _ranged(conn, table: str, cond: Sql, score: Sql, share: float, k: int, standing: Sql | None,
            id_list_score: Sql):
    """The matches of the level of most rows, form by form, a range of ids at a time — sized to
    hold some 2k of them at the words' ``share``, doubling — each range one query that ANDs the
    words' GIN bitmap with the primary key's range (a word of middling share: 合法权益 社会保险,
    7 %, 101 ms for 600 ids) or, for a common word, asks the range's few rows themselves.

    The RANGES_UP_TO-th range is all the rest: first its first ``k`` rows at the level's best
    (``standing``: the long words standing, asked of the ``words`` index with the rest), which
    end the walk if there are ``k``; only then its other rows, scored with the long words as id
    lists from the ``words`` index (a phrase whose long word never stands: 规定第六十一, its
    80,000 matches each asked their ``words``: 1.2 s)."""
    form, taken = None, 0
    while True:
        after = Sql("form IS NOT NULL") if form is None else Sql("form > %s", [form])
        form = conn.execute(f"SELECT min(form) FROM {table} WHERE {after.text}", after.params).fetchone()[0]
        of_form = Sql("form IS NULL") if form is None else Sql("form = %s", [form])
        lo, hi = conn.execute(f"SELECT min(id), max(id) FROM {table} WHERE {of_form.text}",
                              of_form.params).fetchone()
        size = max(FIRST_BATCH, round(2 * k / max(share, 1e-6)))
        while lo is not None and lo <= hi:
            taken += 1
            rest = taken >= RANGES_UP_TO
            end = hi if rest else lo + size - 1
            where = of_form + Sql(" AND id BETWEEN %s AND %s AND ", [lo, end]) + cond
            if rest and standing is not None:  # no LIMIT: the planner would walk the rows to find k
                best = [i for i, in _bitmapped(conn, Sql(f"SELECT id FROM {table} WHERE ") + where
                                               + Sql(" AND ") + standing + Sql(" ORDER BY id"))]
                scored_best = _verified(conn, table, best[:k], TRUE, score)
                yield [scored_best[i] for i in best[:k]]
                if len(best) >= k:  # the walk has its k
                    return
                where = where + Sql(" AND NOT id = ANY(%s::bigint[])", [best])  # not NOT standing: asked per row
            rows_score = id_list_score if rest else score
            yield _bitmapped(conn, Sql(f"SELECT id, code, {rows_score.text} AS score, form FROM {table} WHERE ",
                                       rows_score.params) + where + Sql(" ORDER BY id"))
            lo, size = end + 1, 2 * size
        if form is None:
            return


def _bitmapped(conn, sql: Sql) -> list:
    """The rows of ``sql`` from the indexes as bitmaps ANDed (the words', the filters', the key's
    range), not along one index asking each row the rest — the planner does not count reading a
    row's bags."""
    with _without(conn, "enable_indexscan"):
        return conn.execute(sql.text, sql.params).fetchall()


@contextmanager
def _without(conn, method: str):
    """The reader's transaction without one of the planner's ways (``enable_indexscan``,
    ``enable_bitmapscan``) for the statements of the block, then with it again."""
    conn.execute(f"SET LOCAL {method} = off")
    try:
        yield
    finally:
        conn.execute(f"SET LOCAL {method} = on")


class _Tired(Exception):
    """A walk that would ask too many rows: the caller scores in full."""


def _walk(matched, best: float, k: int) -> list:
    """The level's top ``k`` from its matches in (form, id) order (batches of rows): until ``k``
    of a form are at the level's best score, or the forms before it already hold ``k``."""
    done: list = []  # rows of the forms walked to their end
    form, rows, at_best = object(), [], 0
    for batch in matched:
        for row in batch:
            if row[3] != form:
                done, rows = done + rows, []
                if len(done) >= k:
                    return sorted(done, key=relevance)[:k]
                form, at_best = row[3], 0
            rows.append(row)
            at_best += float(row[2]) >= best - 1e-9
            if len(done) + at_best >= k:
                return sorted(done + rows, key=relevance)[:k]
    return sorted(done + rows, key=relevance)[:k]
