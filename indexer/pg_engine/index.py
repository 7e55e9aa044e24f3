"""The archive's index in PostgreSQL (全文索引：数据库服务器): ``ArchiveIndex`` for an archive whose
wenshu.toml says ``[search] engine = "postgres"``.

Everything above the engine — which files are indexed, a record's metadata, the outcomes a
watcher reports, reconcile's comparison of the disk with the index, the junk rule — is
indexer/index.py's and indexer/bulk.py's, shared with whoosh; what differs is where the documents
go (one table, indexer/pg_engine/schema.py) and how a batch is committed (one transaction, batches
of several machines taking turns on an advisory lock). The archive folder's write lock is still
taken, so one machine's CLI and watcher queue as they do with whoosh.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
from contextlib import contextmanager

from archive.fsutil import atomic_write_text
from indexer.bulk import documents, walk
from indexer.index import ArchiveIndex
from indexer.pg_engine import PgEngine, schema

BUILT = "postgres.json"  # in .wenshu/index/: when this archive's table was last rebuilt (state.json is whoosh's)
_engines: dict[tuple[str, str], PgEngine] = {}
_engines_lock = threading.Lock()


def engine_for(url: str, table: str) -> PgEngine:
    """One engine (one connection pool) per database and table in a process: the web app, the
    watcher and the tests open the archive's index many times."""
    with _engines_lock:
        if (url, table) not in _engines:
            _engines[(url, table)] = PgEngine(url, table)
        return _engines[(url, table)]


def _forget_inherited() -> None:
    """A forked child must not use (nor close: that would end them) its parent's connections."""
    global _engines_lock
    _engines.clear()
    _engines_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_inherited)


@atexit.register
def _close_all() -> None:
    for e in _engines.values():
        e.close()
    _engines.clear()


class PgArchiveIndex(ArchiveIndex):
    def __init__(self, archive, notify=None, lock_timeout: float = 600.0):
        super().__init__(archive, notify, lock_timeout)
        config = archive.config
        self.url, self.table = config.database, config.search_table

    def exists(self) -> bool:
        return True  # the table is created with the engine: an empty one is an index of nothing

    def index(self) -> PgEngine:
        return engine_for(self.url, self.table)

    def engine(self) -> PgEngine:
        return self.index()

    def searcher(self):
        raise TypeError("the PostgreSQL index has no whoosh searcher: read through engine().reader()")

    def close(self) -> None:
        pass  # the pool is the process's (engine_for)

    def repair(self, reason: str) -> None:
        with self.lock:
            self.notify(f"索引无法读取（{reason}），正在从档案记录重建索引……")
            self._rebuild_locked(None)

    @contextmanager
    def _writing(self, merge: bool = True, mergetype=None):
        with self.lock, self.index().writer() as w:
            yield w

    def merge_segments(self) -> None:
        pass  # no segments: PostgreSQL's autovacuum keeps the table

    def file_columns(self) -> dict[str, tuple]:
        with self.index().pool.connection() as conn:
            rows = conn.execute(f"SELECT path, size, mtime, coalesce(rmtime, 0) FROM {self.table}").fetchall()
        return {path: (size, mtime, rmtime) for path, size, mtime, rmtime in rows}

    def file_state(self, path):
        with self.index().pool.connection() as conn:
            got = conn.execute(f"SELECT size, mtime, sha256 FROM {self.table} WHERE path = %s",
                               [str(self.rel(path))]).fetchone()
        return tuple(got) if got else None

    def all_stored(self) -> list[dict]:
        cols = ", ".join(schema._q(c) for c in schema.STORED)
        with self.index().pool.connection() as conn:
            rows = conn.execute(f"SELECT {cols} FROM {self.table} ORDER BY id").fetchall()
        return [schema.stored_of(schema.STORED, r) for r in rows]

    def _rebuild_locked(self, progress) -> dict:
        engine = self.index()
        broken: list = []
        failed: list = []
        with engine.lookups(snapshot=False) as old:
            count = engine.rebuild_rows(documents(self, walk(self.root), old, broken, failed, progress, schema.row))
        atomic_write_text(self.dir / BUILT, json.dumps({"table": self.table, "built": _now()}, ensure_ascii=False))
        return {"files": count, "failed": failed, "broken_records": broken}

    def status(self) -> dict:
        engine = self.index()
        with engine.pool.connection() as conn:
            docs = conn.execute(f"SELECT count(*) FROM {self.table}").fetchone()[0]
            size = conn.execute("SELECT pg_total_relation_size(%s::regclass)", [self.table]).fetchone()[0]
        try:
            built = json.loads((self.dir / BUILT).read_text(encoding="utf-8")).get("built")
        except (OSError, ValueError, AttributeError):
            built = None
        return {"documents": docs, "size_bytes": size, "schema_version": schema.SCHEMA_VERSION,
                "built": built, "updated": None, "segments": 1,
                "path": f"{_without_user(self.url)} 表 {self.table}"}

    def optimize(self) -> dict:
        """VACUUM ANALYZE: the dead rows of replaced documents reclaimed, the planner's figures fresh,
        the pages marked all-visible again."""
        with self.index().pool.connection() as conn:
            conn.autocommit = True
            conn.execute(f"VACUUM ANALYZE {self.table}")
            conn.autocommit = False
        return self.status()


def _now() -> str:
    from datetime import datetime

    return datetime.now().isoformat(timespec="seconds")


def _without_user(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    return f"postgresql://{host}{':' + str(parts.port) if parts.port else ''}{parts.path}"


def migrate(archive, progress=None) -> dict:
    """``wenshu index migrate``: the archive's index moved from whoosh to PostgreSQL — the table
    built from the records, checked to hold every file the whoosh index held, and only then
    ``[search] engine = "postgres"`` written to wenshu.toml and the whoosh files removed. Run again,
    it rebuilds and checks again (nothing is lost by a second run)."""
    import re
    import shutil

    from archive.config import write_config_text
    from archive.errors import WenshuError

    config = archive.config
    if not config.database:
        raise WenshuError("检索引擎迁入数据库前，请先在 wenshu.toml 的 [server] 中填写 database = "
                          "\"postgresql://用户@主机/库名\"，并运行 wenshu server migrate。")
    before: set[str] = set()
    if config.search_engine == "whoosh" and ArchiveIndex(archive)._state() is not None:
        whoosh = ArchiveIndex(archive, notify=lambda m: None)
        before = set(whoosh.file_columns())
        whoosh.close()
    pg = PgArchiveIndex(archive, notify=lambda m: None)
    summary = pg.rebuild(progress)
    after = set(pg.file_columns())
    missing = sorted(before - after)
    if missing:
        raise WenshuError(f"迁移未完成：whoosh 索引中的 {len(missing)} 个文件不在新索引中（如 {missing[0]}），"
                          "wenshu.toml 未修改，仍使用 whoosh。请运行 wenshu check 后重试。")
    text = archive.config_path.read_text(encoding="utf-8")
    if config.search_engine != "postgres":
        if "search" in (config.extra or {}):
            text, n = re.subn(r'(?m)^(\s*engine\s*=\s*)"whoosh"', r'\1"postgres"', text)
            if n != 1:
                raise WenshuError("wenshu.toml 的 [search] 无法自动修改：请把其中的 engine 改为 \"postgres\"。")
        else:
            text = text.rstrip("\n") + '\n\n[search]  # 全文检索：索引在数据库服务器中\nengine = "postgres"\n'
        write_config_text(archive, text)
    removed = 0
    for p in list(pg.dir.iterdir()):  # the whoosh generations and state.json, now stale
        if p.name in (BUILT, "write.lock"):
            continue
        removed += 1
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    return {"files": summary["files"], "whoosh_files": len(before), "failed": summary["failed"],
            "broken_records": summary["broken_records"], "table": pg.table,
            "database": _without_user(pg.url), "whoosh_removed": removed}
