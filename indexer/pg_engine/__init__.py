"""The PostgreSQL engine behind indexer/engine.py (检索引擎：PostgreSQL), for archives that
outgrow one machine's whoosh index: the same documents and analysis, stored pre-tokenised in one
table (schema.py), the query tree as SQL (translate.py), ranking, facets and date ranges in SQL.
Snippets, one hit per record and facet labels stay in indexer/search.py as for whoosh."""

from __future__ import annotations

from contextlib import contextmanager

from archive.config import SEARCH_TABLE
from indexer.engine import Top
from indexer.pg_engine import ranking, schema, translate
from indexer.pg_engine.translate import FALSE, to_sql

_META = "wenshu_search_tables"


class PgEngine:
    """One index table in a PostgreSQL database (``url``: a libpq URL; credentials from the
    environment or .pgpass, as for the registry). ``table`` names the index, so several archives
    (a higher authority's counties) can share a database."""

    def __init__(self, url: str, table: str = "wenshu_docs", *, pool_size: int = 4):
        if not SEARCH_TABLE.fullmatch(table):  # the rule wenshu.toml [search] table is checked by
            raise ValueError(f"索引表名“{table}”不正确：应为小写字母、数字和下划线")
        from psycopg_pool import ConnectionPool

        self.table = table
        self.pool = ConnectionPool(url, min_size=1, max_size=pool_size, open=True,
                                   kwargs={"autocommit": False})
        self.ensure()

    def close(self) -> None:
        self.pool.close()

    def ensure(self, *, drop: bool = False) -> None:
        """The table at this SCHEMA_VERSION: created when missing, dropped and created again when
        of another version (or when asked: a rebuild)."""
        with self.pool.connection() as conn:  # one process at a time creates (two machines opening at once)
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [_META])
            conn.execute(f"CREATE TABLE IF NOT EXISTS {_META} (name text PRIMARY KEY, version int NOT NULL)")
            got = conn.execute(f"SELECT version FROM {_META} WHERE name = %s", [self.table]).fetchone()
            if got and got[0] == schema.SCHEMA_VERSION and not drop:
                return
            version = got[0] if got else None
            steps = schema.upgrades(self.table)
            while not drop and version in steps:
                for stmt in steps[version]:
                    conn.execute(stmt)
                version += 1
            if version == schema.SCHEMA_VERSION and not drop:
                conn.execute(f"UPDATE {_META} SET version = %s WHERE name = %s", [version, self.table])
                return
            conn.execute(f"DROP TABLE IF EXISTS {self.table}")
            for stmt in schema.ddl(self.table):
                conn.execute(stmt)
            conn.execute(f"INSERT INTO {_META} VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET version = "
                         "excluded.version", [self.table, schema.SCHEMA_VERSION])

    def rebuild(self, docs) -> int:
        """The whole index from ``docs`` (index documents, indexer/docs.py)."""
        return self.rebuild_rows(map(schema.row, docs))

    def rebuild_rows(self, rows_in) -> int:
        """The whole index from analysed rows (schema.row, made by the readers' processes in a
        rebuild): written into a new table, indexed, then swapped in one transaction, so searches go
        on over the old index until the new one is whole (and a failed rebuild leaves it). The
        count written."""
        shadow = self.table + "_new"
        n = 0
        with self.pool.connection() as conn:
            conn.execute(f"DROP TABLE IF EXISTS {shadow}")
            conn.execute(schema.ddl(shadow)[0])
            # FREEZE (the table is this transaction's): rows frozen and all-visible at once, so no
            # VACUUM pass over a million rows is owed
            with conn.cursor() as cur, cur.copy(f"COPY {shadow} ({schema.quoted_columns()}) FROM STDIN "
                                                "WITH (FREEZE)") as copy:
                for row in rows_in:  # COPY: 0.08 ms of this process a row (INSERTs: 0.8)
                    copy.write_row(row)
                    n += 1
            conn.execute("SET LOCAL maintenance_work_mem = '256MB'")  # GIN builds: 18.6 → 14.3 s at 10,000
            for stmt in schema.indexes(shadow):
                conn.execute(stmt)
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [_META])
            conn.execute(f"DROP TABLE IF EXISTS {self.table}")
            conn.execute(f"ALTER TABLE {shadow} RENAME TO {self.table}")
            conn.execute(f"INSERT INTO {_META} VALUES (%s, %s) ON CONFLICT (name) DO UPDATE SET version = "
                         "excluded.version", [self.table, schema.SCHEMA_VERSION])
        with self.pool.connection() as conn:  # the planner's statistics for the new table
            conn.autocommit = True
            conn.execute(f"ANALYZE {self.table}")
            conn.autocommit = False
        return n

    @contextmanager
    def reader(self):
        with self.pool.connection() as conn:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            # A word in most documents looks cheap to the planner as a scan of the table, testing
            # every row's ``gram`` — ~19 KB stored apart, decompressed per row: 220 ms at 10,000
            # documents. The GIN index answers it without reading a ``gram`` (34 ms): the planner
            # does not count detoasting, so it is told not to scan when an index can answer.
            conn.execute("SET LOCAL enable_seqscan = off")
            # a bitmap of a million matches kept exact (not lossy pages, each re-read)
            conn.execute("SET LOCAL work_mem = '64MB'")
            # compiling a plan's expressions (JIT) costs 30–45 ms a query, more than most take
            conn.execute("SET LOCAL jit = off")
            yield PgReader(conn, self.table)
            conn.rollback()

    @contextmanager
    def lookups(self, snapshot: bool = True):
        """The stored documents by path: as of one snapshot (a writer's batch), or each lookup as
        the table is then (a rebuild's last good metadata: no transaction stays open on the old
        table, which the rebuild drops at its end)."""
        with self.pool.connection() as view:
            if snapshot:
                view.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            else:
                view.autocommit = True
            try:
                yield PgLookups(view, self.table)
            finally:
                if snapshot:
                    view.rollback()
                else:
                    view.autocommit = False

    @contextmanager
    def writer(self):
        """One batch, committed when the block ends without an error or a ``discard()`` (rolled back
        otherwise). Batches of several machines take turns (an advisory lock on the table): two
        replacing one path at once would otherwise both insert it."""
        with self.pool.connection() as conn, self.lookups() as looks:
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [self.table])
            looks.view.execute(f"SELECT 1 FROM {self.table} LIMIT 1")  # the snapshot the lookups read
            w = PgWriter(conn, looks.view, self.table)
            try:
                yield w
            except BaseException:
                conn.rollback()
                raise
            if w.discarded:
                conn.rollback()

class PgReader:
    def __init__(self, conn, table: str):
        self.conn, self.t = conn, table
        self._keys: dict[int, object] = {}

    def _where(self, tree):
        found = to_sql(tree, self.t)
        return found if found is not None else (FALSE, None)

    def top(self, tree, k: int, *, sort: str = "relevance", exact_up_to: int = 2000) -> Top:
        """Words ranked by ranking.py's levels (``ranking.tiered``); any other tree scored in SQL
        (``ranking.scored``)."""
        cond, score = self._where(tree)
        if score is None:
            return Top([], [])
        tiers = translate.tiers(tree) if sort == "relevance" else None
        if tiers is not None:
            return ranking.tiered(self.conn, self.t, tree, tiers, score, k, exact_up_to, self._remember)
        return ranking.scored(self.conn, self.t, cond, score, k, sort, exact_up_to, self._remember)

    def _remember(self, rows) -> None:
        for i, code, *_ in rows:
            self._keys[i] = code or -1 - i

    def group_key(self, doc: int):
        if doc not in self._keys:
            got = self.conn.execute(f"SELECT id, code FROM {self.t} WHERE id = %s", [doc]).fetchall()
            self._remember(got or [(doc, "")])
        return self._keys[doc]

    def group_keys(self, docs):
        unknown = [d for d in docs if d not in self._keys]
        if unknown:  # one query for the documents top() did not bring back
            self._remember(self.conn.execute(f"SELECT id, code FROM {self.t} WHERE id = ANY(%s)",
                                             [list(map(int, unknown))]).fetchall())
        return [self._keys.get(d, -1 - d) for d in docs]

    def stored(self, doc: int) -> dict:
        cols = ", ".join(schema._q(c) for c in schema.STORED)
        got = self.conn.execute(f"SELECT {cols} FROM {self.t} WHERE id = %s", [doc]).fetchone()
        return schema.stored_of(schema.STORED, got) if got else {}

    def groups(self, tree, fields):
        """One scan of the matches (a materialised CTE), grouped once per field."""
        cond, score = self._where(tree)
        fields = list(fields)
        out: dict[str, dict] = {name: {} for name in fields}
        if score is None or not fields:
            return out
        cols = ", ".join(schema._q(f) for f in fields if f != "author")
        keep = f"id{', authors' if 'author' in fields else ''}{', ' + cols if cols else ''}"
        selects = []
        for i, name in enumerate(fields):
            if name == "author":
                selects.append(f"SELECT {i}, a, array_agg(id ORDER BY id) FROM m, unnest(authors) a GROUP BY a")
            else:
                col = schema._q(name)
                selects.append(f"SELECT {i}, {col}::text, array_agg(id ORDER BY id) FROM m GROUP BY {col}")
        sql = (f"WITH m AS MATERIALIZED (SELECT {keep} FROM {self.t} WHERE {cond.text}) "
               + " UNION ALL ".join(selects))
        for i, value, ids in self.conn.execute(sql, cond.params).fetchall():
            name = fields[i]
            out[name][int(value) if value is not None and name in schema.INTS else value] = list(ids)
        return out

    def having(self, field, values, limit=200):
        if field not in ("case", "code", "docnum", "cites"):
            raise ValueError(f"having: no exact column {field!r}")
        where = "cites && %s::text[]" if field == "cites" else f"{schema._q(field)} = ANY(%s::text[])"
        cols = ", ".join(schema._q(c) for c in schema.STORED)
        rows = self.conn.execute(f"SELECT {cols} FROM {self.t} WHERE {where} ORDER BY id LIMIT %s",
                                 [list(values), limit]).fetchall()
        return [schema.stored_of(schema.STORED, r) for r in rows]

    def doc_count(self) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {self.t}").fetchone()[0]


class PgLookups:
    """Stored documents by path, under a folder, the first of a record (indexer/engine.py
    EngineWriter's lookups), read through their own connection."""

    def __init__(self, view, table: str):
        self.view, self.t = view, table
        self._stored_cols = ", ".join(schema._q(c) for c in schema.STORED) + ", numkeys, cites"

    def _docs(self, where: str, params, limit: str = "") -> list[dict]:
        rows = self.view.execute(f"SELECT {self._stored_cols} FROM {self.t} WHERE {where} ORDER BY id {limit}",
                                 params).fetchall()
        names = (*schema.STORED, "numkeys", "cites")
        out = []
        for r in rows:
            d = schema.stored_of(names, r)
            d["numkeys"], d["cites"] = ",".join(d["numkeys"]), ",".join(d["cites"])  # as whoosh takes them
            out.append(d)
        return out

    def stored(self, path: str) -> dict | None:
        return next(iter(self._docs("path = %s", [path])), None)

    def stored_under(self, prefix: str) -> list[dict]:
        return self._docs("path LIKE %s", [_like_prefix(prefix)])

    def record_doc(self, record: str) -> dict | None:
        return next(iter(self._docs("record = %s", [record], "LIMIT 1")), None)


class PgWriter(PgLookups):
    """The engine's write side (indexer/engine.py EngineWriter) in one transaction; its lookups
    read through a second connection, the index as it was when the batch began."""

    def __init__(self, conn, view, table: str):
        super().__init__(view, table)
        self.conn = conn
        self.discarded = False
        self._insert = f"INSERT INTO {table} ({schema.quoted_columns()}) VALUES ({schema.placeholders()})"

    def discard(self) -> None:
        """Nothing of this batch is to be committed (a move of something never indexed)."""
        self.discarded = True

    def add(self, doc: dict) -> None:
        self.conn.execute(self._insert, schema.row(doc))

    def add_many(self, docs) -> None:
        """Documents in one round trip per batch (a rebuild)."""
        with self.conn.cursor() as cur:
            cur.executemany(self._insert, [schema.row(d) for d in docs])

    def replace(self, doc: dict) -> None:
        self.delete(doc["path"])
        self.add(doc)

    def delete(self, path: str) -> int:
        return self.conn.execute(f"DELETE FROM {self.t} WHERE path = %s", [path]).rowcount

    def delete_under(self, prefix: str) -> int:
        return self.conn.execute(f"DELETE FROM {self.t} WHERE path LIKE %s", [_like_prefix(prefix)]).rowcount


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
