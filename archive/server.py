"""Moving an archive's registry onto the office server, and checking that server (issue 19).

``migrate`` copies every table of ``.wenshu/registry.sqlite`` (the number ledger, counters, events,
the campaign's tables) into the PostgreSQL database named in wenshu.toml, verifies every row, and
only then marks the SQLite file as moved, after which it refuses writes: two ledgers must never
both issue. Run again, it copies nothing twice and verifies again.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone

from archive.errors import WenshuError
from archive.registry import SCHEMA_VERSION, Registry
from archive.registry_pg import PgBackend, redact

MAX_SKEW = 5.0  # seconds between this machine's clock and the server's that `check` accepts
_REGISTRY_TABLES = ("meta", "counters", "ledger", "events")


@dataclass
class Migration:
    database: str
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # table → (SQLite rows, found on server)
    already_moved: bool = False


def _database(archive) -> str:
    url = archive.config.database
    if not url:
        raise WenshuError(f"{archive.config_path} 中没有 [server] database（数据库服务器地址），未做任何更改。"
                          "请先添加，如：[server] database = \"postgresql://wenshu@db.office/wenshu\"。")
    return url


def _source_tables(src: sqlite3.Connection) -> list[tuple[str, str, list[str]]]:
    rows = src.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                       "ORDER BY rowid").fetchall()
    return [(n, sql, [r[1] for r in src.execute(f'PRAGMA table_info("{n}")')]) for n, sql in rows]


def _keys(src: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in sorted(src.execute(f'PRAGMA table_info("{table}")'), key=lambda r: r[5]) if r[5]]


def migrate(archive) -> Migration:
    url = _database(archive)
    path = archive.state_dir / "registry.sqlite"
    if not path.exists():
        raise WenshuError(f"找不到编号登记簿 {path}，无可迁移。")
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        Registry.create(path, database=url).close()  # the registry's tables, if absent
        pg = PgBackend(url)
        try:
            return _copy(archive, src, pg, url, path)
        finally:
            pg.close()
    finally:
        src.close()


def _copy(archive, src, pg: PgBackend, url: str, path) -> Migration:
    fonds = archive.config.fonds_code
    moved = src.execute("SELECT value FROM meta WHERE key = 'moved_to'").fetchone()
    result = Migration(redact(url), already_moved=bool(moved))
    tables = _source_tables(src)
    with pg.tx() as c:
        row = c.execute("SELECT value FROM meta WHERE key = 'fonds_code'").fetchone()
        if row and row[0] != fonds:
            raise WenshuError(f"数据库 {redact(url)} 已属于全宗 {row[0]} 的档案库，而本档案库的全宗号是 {fonds}，"
                              "未做任何更改。每个档案库需要自己的数据库。")
        c.execute("INSERT INTO meta (key, value) VALUES ('fonds_code', ?) ON CONFLICT (key) DO NOTHING", (fonds,))
        have = {t for (t,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
        for name, sql, cols in tables:
            if name not in have:
                c.execute(re.sub(r"^CREATE TABLE (IF NOT EXISTS )?", "CREATE TABLE IF NOT EXISTS ", sql.strip()))
            rows = src.execute(f"SELECT {', '.join(cols)} FROM {name}").fetchall()
            if name == "meta":
                rows = [r for r in rows if r[0] != "moved_to"]
            keys = ", ".join(_keys(src, name))
            on = (f"ON CONFLICT ({keys}) DO UPDATE SET last = GREATEST(counters.last, EXCLUDED.last)"
                  if name == "counters" else f"ON CONFLICT ({keys}) DO NOTHING" if keys else "")
            marks = ", ".join("?" for _ in cols)
            c.executemany(f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({marks}) {on}", rows)
            if name in c.identity_tables():
                c.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                          f"GREATEST((SELECT max(id) FROM {name}), 1))")
    _verify(src, pg, tables, result)
    if not moved:
        w = sqlite3.connect(path)
        try:
            with w:
                w.execute("INSERT INTO meta (key, value) VALUES ('moved_to', ?) ON CONFLICT (key) DO UPDATE "
                          "SET value = EXCLUDED.value",
                          (f"{redact(url)}（{datetime.now().isoformat(timespec='seconds')} 迁移）",))
        finally:
            w.close()
    return result


def _verify(src, pg: PgBackend, tables, result: Migration) -> None:
    """Every SQLite row is on the server, identical (after the move, ledger rows may since have
    changed status there: then only their presence is checked)."""
    problems = []
    for name, _sql, cols in tables:
        mine = src.execute(f"SELECT {', '.join(cols)} FROM {name}").fetchall()
        if name == "meta":
            mine = [r for r in mine if r[0] != "moved_to"]
        theirs = pg.query(f"SELECT {', '.join(cols)} FROM {name}")
        keys = _keys(src, name)
        idx = [cols.index(k) for k in keys] or list(range(len(cols)))
        by_key = {tuple(r[i] for i in idx): tuple(r) for r in theirs}
        found = 0
        for r in mine:
            other = by_key.get(tuple(r[i] for i in idx))
            if other is None:
                problems.append(f"{name} 表的 {r} 不在服务器上")
            elif name == "counters" and other[2] < r[2]:
                problems.append(f"计数器 {r[0]} {r[1]} 在服务器上是 {other[2]}，小于本地的 {r[2]}")
            elif other != tuple(r) and not (result.already_moved or name in ("counters", "meta")):
                problems.append(f"{name} 表的 {r} 在服务器上是 {other}")
            else:
                found += 1
        result.counts[name] = (len(mine), found)
    if problems:
        more = f"等 {len(problems)} 处" if len(problems) > 5 else ""
        raise WenshuError("迁移核对未通过，本地登记簿未标记为已迁移，仍可继续使用：" + "；".join(problems[:5]) + more + "。")


@dataclass(frozen=True)
class Finding:
    item: str
    ok: bool
    detail: str


def check(archive) -> list[Finding]:
    """What an office checks before the clerks' machines use the server: each item says what is wrong."""
    url = _database(archive)
    out: list[Finding] = []
    try:
        pg = PgBackend(url, timeout=5)
    except WenshuError as e:
        return [Finding("连接", False, str(e))]
    try:
        (version, now, user) = pg.query("SELECT current_setting('server_version'), now(), current_user")[0]
        out.append(Finding("连接", True, f"{redact(url)}：PostgreSQL {version}，用户 {user}"))
        tables = pg.tables()
        meta = dict(pg.query("SELECT key, value FROM meta")) if "meta" in tables else {}
        have = meta.get("schema_version")
        out.append(Finding("表结构版本", have == str(SCHEMA_VERSION),
                           f"版本 {have}" if have == str(SCHEMA_VERSION) else
                           f"服务器上是 {have or '（没有编号登记簿）'}，本程序需要 {SCHEMA_VERSION}；请运行 wenshu server migrate"))
        skew = abs((datetime.now(timezone.utc) - now).total_seconds())
        out.append(Finding("时钟", skew <= MAX_SKEW, f"本机与服务器相差 {skew:.1f} 秒" +
                           ("" if skew <= MAX_SKEW else f"，超过 {MAX_SKEW:g} 秒：请为两台机器配置时间同步（NTP）")))
        missing = [f"{t}（{p}）" for t in _REGISTRY_TABLES if t in tables for p in ("SELECT", "INSERT", "UPDATE")
                   if not pg.query("SELECT has_table_privilege(current_user, ?, ?)", (t, p))[0][0]]
        out.append(Finding("权限", not missing, "读写编号登记簿的权限齐全" if not missing else
                           f"用户 {user} 缺少权限：{'、'.join(missing)}；请数据库管理员 GRANT"))
        fonds, mine = meta.get("fonds_code"), archive.config.fonds_code
        reachable = archive.config_path.is_file() and archive.state_dir.is_dir()
        out.append(Finding("档案库文件夹", reachable and fonds == mine,
                           f"{archive.root}：全宗 {mine}" + ("" if fonds == mine else
                           f"，但数据库属于全宗 {fonds or '（未登记，请运行 wenshu server migrate）'}")))
        local = archive.state_dir / "registry.sqlite"
        if local.exists():
            conn = sqlite3.connect(f"file:{local}?mode=ro", uri=True)
            try:
                marked = conn.execute("SELECT value FROM meta WHERE key = 'moved_to'").fetchone()
            except sqlite3.Error:
                marked = None
            finally:
                conn.close()
            out.append(Finding("本地登记簿", bool(marked), f"已标记迁移至 {marked[0]}" if marked else
                               f"{local} 尚未标记为已迁移：请运行 wenshu server migrate，以免两本台账同时发号"))
    finally:
        pg.close()
    return out
