"""The numbering registry: which 发文字号 and 件号 exist, and why each one does.

Numbers come from a counter per (series, year) that is advanced inside one write transaction
(``BEGIN IMMEDIATE``), never from ``max+1`` over documents: with several clerks at once the
latter hands out the same number twice. Every number handed out gets a ledger row with its
status — issued (签发), reserved (预留), void (作废, never reused) or offline (线下占用) — so a
gap in a sequence is always explained, and a number is never burned without a record.

The SQL is kept to what SQLite and PostgreSQL both accept, so offices where several PCs
share one sequence can move the registry to a server (``[server] database`` in wenshu.toml):
archive/registry_pg.py holds the connection, dialect and retry differences, nothing else.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator

from archive.cleaning import clean_text
from archive.config import Prefix
from archive.docnumber import DocNumber
from archive.errors import WenshuError

SCHEMA_VERSION = 1
ISSUED, RESERVED, VOID, OFFLINE = "issued", "reserved", "void", "offline"
STATUS_LABELS = {ISSUED: "已发文", RESERVED: "预留", VOID: "作废", OFFLINE: "线下占用"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (
    series TEXT NOT NULL, year INTEGER NOT NULL, last INTEGER NOT NULL,
    PRIMARY KEY (series, year));
CREATE TABLE IF NOT EXISTS ledger (
    series TEXT NOT NULL, year INTEGER NOT NULL, seq INTEGER NOT NULL,
    prefix TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('issued', 'reserved', 'void', 'offline')),
    title TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '',
    holder TEXT NOT NULL DEFAULT '', record TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL, updated TEXT NOT NULL,
    PRIMARY KEY (series, year, seq));
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, series TEXT NOT NULL, year INTEGER NOT NULL,
    seq INTEGER NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '');
"""
# on a server, the allocation's token (see registry_pg): how a retry learns whether it committed
_PG_SCHEMA = _SCHEMA + """;
ALTER TABLE ledger ADD COLUMN IF NOT EXISTS token TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS ledger_token ON ledger (token) WHERE token <> ''
"""


@dataclass(frozen=True)
class LedgerEntry:
    series: str
    year: int
    seq: int
    prefix: str  # 机关代字; "" for a 件号
    status: str
    title: str
    reason: str
    holder: str
    record: str  # 档号 of the record the number belongs to
    created: str
    updated: str

    @property
    def number(self) -> DocNumber | None:
        return DocNumber(self.prefix, self.year, self.seq) if self.prefix else None

    @property
    def label(self) -> str:
        return str(self.number) if self.prefix else f"{self.series} {self.year} {self.seq:04d}"

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["label"] = self.label
        d["status_label"] = STATUS_LABELS[self.status]
        return d


@dataclass(frozen=True)
class Gap:
    """A number below the counter that no document carries, and why (or 未说明)."""

    series: str
    year: int
    seq: int
    label: str
    explanation: str


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


def _writable(path: Path) -> bool:
    """os.access, and the write bits for the case it cannot see (root, whom access() lets through)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return True
    return os.access(path, os.W_OK) and bool(mode & 0o200)


class Registry:
    """Opened per command; cheap. ``timeout`` is how long to wait for another writer."""

    def __init__(self, path: Path, timeout: float = 10.0, database: str | None = None):
        """``database``: a postgresql:// URL ([server] in wenshu.toml); then ``path`` is unused."""
        self.path = Path(path)
        self.timeout = timeout
        self.database = database
        self._pg = self._conn = None
        if database:
            from archive.registry_pg import PgBackend, redact

            self._pg = PgBackend(database, timeout)
            if "meta" not in self._pg.tables():
                self._pg.close()
                raise WenshuError(f"数据库 {redact(database)} 中还没有编号登记簿。"
                                  "请在档案库中运行 wenshu server migrate（它会建表并迁入现有台账）。")
            return
        if not self.path.exists():
            raise WenshuError(f"找不到编号登记簿 {self.path}。这个目录可能不是完整的 wenshu 档案库。")
        self._conn = self._connect()

    @classmethod
    def create(cls, path: Path, database: str | None = None) -> "Registry":
        """A new, empty registry; on a server, the tables are created if absent (idempotent)."""
        if database:
            from archive.registry_pg import PgBackend

            pg = PgBackend(database)
            try:
                with pg.tx() as c:
                    for stmt in filter(str.strip, _PG_SCHEMA.split(";")):
                        c.execute(stmt)
                    c.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                              "ON CONFLICT (key) DO NOTHING", (str(SCHEMA_VERSION),))
            finally:
                pg.close()
            return cls(path, database=database)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        sqlite3.connect(path).close()
        reg = cls(path)
        with reg._sqlite_tx(check=False) as c:
            # executescript() would commit on its own; run the statements inside our transaction.
            for stmt in filter(str.strip, _SCHEMA.split(";")):
                c.execute(stmt)
            c.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        return reg

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as e:
            raise self._explain(e) from None
        return conn

    def _explain(self, e: sqlite3.Error) -> WenshuError:
        msg = str(e)
        if "locked" in msg or "busy" in msg:
            return WenshuError(
                f"编号登记簿 {self.path} 被另一个程序占用超过 {self.timeout:g} 秒，本次操作未做任何更改。"
                "请稍后重试；如果一直如此，请检查是否有卡住的 wenshu 进程。"
            )
        if "readonly" in msg or "read-only" in msg or "unable to open" in msg:
            why = self._read_only(msg)
            if why or "unable to open" not in msg:
                return WenshuError(why or f"编号登记簿 {self.path} 无法写入（{msg}），本次操作未做任何更改。"
                                          "请检查它和所在文件夹的写权限。")
        if "not a database" in msg or "malformed" in msg or "corrupt" in msg:
            return WenshuError(
                f"编号登记簿 {self.path} 已损坏（{msg}），本次操作未做任何更改。"
                "请从备份恢复该文件，并运行 wenshu check 核对。"
            )
        return WenshuError(f"编号登记簿 {self.path} 出错：{msg}。本次操作未做任何更改。")

    def _read_only(self, msg: str) -> str | None:
        """Which of the registry's files cannot be written, and how to fix it. SQLite names only
        registry.sqlite, but after a read-only spell it is often the -shm or -wal file it keeps
        beside it, or the folder (where SQLite must create them), that refuses."""
        folder = self.path.parent
        try:
            if os.statvfs(folder).f_flag & os.ST_RDONLY:
                return (f"编号登记簿 {self.path} 无法写入：档案库所在的磁盘是只读挂载的，本次操作未做任何更改。"
                        "请把它重新挂载为可写（或把档案库复制到可写的磁盘）后重试。")
        except (OSError, AttributeError):  # no statvfs on Windows
            pass
        bad = [p for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
               if p.exists() and not _writable(p)]
        if not _writable(folder):
            bad.append(folder)
        if not bad:
            return None
        names = "、".join(str(p) for p in bad)
        fix = "；".join(f"chmod u+w '{p}'" for p in bad)
        return (f"编号登记簿无法写入：{names} 是只读的（SQLite 只报告“{msg}”），本次操作未做任何更改。"
                f"请恢复写权限后重试（Linux：{fix}，并确认运行 wenshu 的用户是它们的所有者；"
                "Windows：在文件属性中取消“只读”）。")

    def close(self) -> None:
        (self._pg or self._conn).close()

    def _tx(self):
        return self._pg.tx() if self._pg else self._sqlite_tx()

    @contextmanager
    def _sqlite_tx(self, check: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken before any read so two writers never both see the same counter.
        Refused once ``wenshu server migrate`` has moved the ledger: two ledgers must never both issue."""
        c = self._conn
        try:
            c.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise self._explain(e) from None
        try:
            moved = check and c.execute("SELECT value FROM meta WHERE key = 'moved_to'").fetchone()
            if moved:
                raise WenshuError(f"编号登记簿 {self.path} 已迁移到数据库服务器（{moved[0]}），不再接受写入，"
                                  "本次操作未做任何更改。请在 wenshu.toml 的 [server] database 中配置该服务器。")
            yield c
            c.execute("COMMIT")
        except sqlite3.Error as e:
            c.execute("ROLLBACK")
            raise self._explain(e) from None
        except BaseException:
            c.execute("ROLLBACK")
            raise

    def transaction(self):
        """The registry's write transaction, for stores that keep their own tables in this database
        (the campaign's clues and 整改 items, DESIGN §14): one file to back up and export, and the
        same locking and error messages as the numbers."""
        return self._tx()

    def query(self, sql: str, args: tuple = ()) -> list[tuple]:
        """A read outside any write transaction, with the registry's error messages."""
        return self._query(sql, args)

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        if self._pg:
            return self._pg.query(sql, args)
        try:
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.Error as e:
            raise self._explain(e) from None

    # -- allocation -------------------------------------------------------------------

    def _run(self, fn):
        """``fn(c, attempt)`` in one write transaction; on a server it may run again after a lost
        connection, so allocations check their token first (``_allocate``)."""
        if self._pg:
            return self._pg.run(fn)
        with self._tx() as c:
            return fn(c, 1)

    def _allocate(self, series: str, year: int, count: int, write) -> list[int]:
        """``count`` numbers of ``series`` in one transaction, each written by ``write(c, seq, token)``."""
        token = uuid.uuid4().hex if self._pg else ""

        def run(c, attempt):
            if attempt > 1:  # did the attempt whose connection broke commit? lock first: it may be committing
                c.execute("SELECT last FROM counters WHERE series = ? AND year = ? FOR UPDATE", (series, year))
                done = [s for (s,) in c.execute("SELECT seq FROM ledger WHERE token = ? ORDER BY seq",
                                                (token,)).fetchall()]
                if done:
                    return done
            out = []
            for _ in range(count):
                seq = self._take(c, series, year)
                write(c, seq, token)
                out.append(seq)
            return out

        return self._run(run)

    @staticmethod
    def _take(c, series: str, year: int) -> int:
        """Advance the counter in one statement (the upsert locks its row until commit) past any
        number already on the ledger (e.g. entered as offline)."""
        (seq,) = c.execute("INSERT INTO counters (series, year, last) VALUES (?, ?, 1) ON CONFLICT (series, year)"
                           " DO UPDATE SET last = counters.last + 1 RETURNING last", (series, year)).fetchone()
        first = seq
        while c.execute("SELECT 1 FROM ledger WHERE series = ? AND year = ? AND seq = ?",
                        (series, year, seq)).fetchone():
            seq += 1
        if seq != first:
            c.execute("UPDATE counters SET last = ? WHERE series = ? AND year = ?", (seq, series, year))
        return seq

    @staticmethod
    def _write(c, series, year, seq, prefix, status, *, title="", reason="", holder="", record="", token=""):
        # what a clerk typed or a document said: no control or bidi characters into the ledger
        title, reason, holder = clean_text(title), clean_text(reason), clean_text(holder)
        now = _now()
        extra = (", token", ", ?", (token,)) if token else ("", "", ())
        c.execute("INSERT INTO ledger (series, year, seq, prefix, status, title, reason, holder, record,"
                  f" created, updated{extra[0]}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?{extra[1]})",
                  (series, year, seq, prefix, status, title, reason, holder, record, now, now, *extra[2]))
        c.execute("INSERT INTO events (at, series, year, seq, action, detail) VALUES (?, ?, ?, ?, ?, ?)",
                  (now, series, year, seq, status, title or reason))

    def peek(self, prefix: Prefix, year: int) -> DocNumber:
        """The number ``issue`` would hand out next; allocates nothing."""
        return DocNumber(prefix.code, year, self.peek_items(prefix.series, year)[0])

    def peek_items(self, series: str, year: int, count: int = 1) -> list[int]:
        """The next ``count`` values ``allocate_item`` (or ``issue``) would hand out in ``series``,
        skipping what the ledger already holds; allocates nothing (a preview's 编号)."""
        rows = self._query("SELECT last FROM counters WHERE series = ? AND year = ?", (series, year))
        seq = (rows[0][0] if rows else 0) + 1
        taken = {s for (s,) in self._query(
            "SELECT seq FROM ledger WHERE series = ? AND year = ? AND seq >= ?", (series, year, seq))}
        out: list[int] = []
        while len(out) < count:
            if seq not in taken:
                out.append(seq)
            seq += 1
        return out

    def issue(self, prefix: Prefix, year: int, title: str, record: str = "") -> DocNumber:
        (seq,) = self._allocate(prefix.series, year, 1, lambda c, seq, token: self._write(
            c, prefix.series, year, seq, prefix.code, ISSUED, title=title, record=record, token=token))
        return DocNumber(prefix.code, year, seq)

    @contextmanager
    def issuing(self, prefix: Prefix, year: int, title: str) -> Iterator[DocNumber]:
        """Issue a number for work that may still fail; on failure the number is voided with the reason.

        The number is committed before the work starts so that two clerks never render the same
        one; if the work raises, the ledger says so instead of the number silently disappearing.
        """
        number = self.issue(prefix, year, title)
        try:
            yield number
        except BaseException as e:
            reason = f"生成或归档失败，自动作废：{e}" if str(e) else f"生成或归档中断（{type(e).__name__}），自动作废"
            self.void(number, reason)
            raise

    def reserve(self, prefix: Prefix, year: int, count: int, reason: str, holder: str = "") -> list[DocNumber]:
        if not isinstance(count, int) or count < 1:
            raise WenshuError(f"预留数量 --count 应为正整数，现在是 {count}。")
        if not reason.strip():
            raise WenshuError("预留编号必须说明原因（--reason）。")
        seqs = self._allocate(prefix.series, year, count, lambda c, seq, token: self._write(
            c, prefix.series, year, seq, prefix.code, RESERVED, reason=reason, holder=holder, token=token))
        return [DocNumber(prefix.code, year, seq) for seq in seqs]

    def _entry_row(self, c, number: DocNumber):
        return c.execute("SELECT series, status FROM ledger WHERE prefix = ? AND year = ? AND seq = ?",
                         (number.prefix, number.year, number.seq)).fetchone()

    def issue_reserved(self, number: DocNumber, title: str, record: str = "") -> DocNumber:
        with self._tx() as c:
            row = self._entry_row(c, number)
            if not row or row[1] != RESERVED:
                state = STATUS_LABELS[row[1]] if row else "未登记"
                raise WenshuError(f"{number} 不是预留编号（当前状态：{state}），不能按预留号发文。")
            self._update(c, row[0], number, ISSUED, title=title, record=record)
        return number

    def _update(self, c, series, number: DocNumber, status, **fields):
        fields = {k: clean_text(v) if isinstance(v, str) and k != "record" else v for k, v in fields.items()}
        sets = ", ".join(f"{k} = ?" for k in fields)
        c.execute(f"UPDATE ledger SET status = ?, updated = ?{', ' + sets if sets else ''} "
                  "WHERE series = ? AND year = ? AND seq = ?",
                  (status, _now(), *fields.values(), series, number.year, number.seq))
        c.execute("INSERT INTO events (at, series, year, seq, action, detail) VALUES (?, ?, ?, ?, ?, ?)",
                  (_now(), series, number.year, number.seq, status,
                   fields.get("reason") or fields.get("title") or ""))

    def void(self, number: DocNumber, reason: str) -> None:
        if not reason.strip():
            raise WenshuError("作废编号必须说明原因（--reason）。")
        with self._tx() as c:
            row = self._entry_row(c, number)
            if not row:
                raise WenshuError(f"{number} 从未发出或登记过，无需作废。请用 wenshu number list 查看已登记的编号。")
            if row[1] == VOID:
                raise WenshuError(f"{number} 已经作废，未做更改。")
            self._update(c, row[0], number, VOID, reason=reason)

    def offline(self, prefix: Prefix, number: DocNumber, reason: str, title: str = "") -> None:
        """Record a number used on paper outside wenshu, so it is never handed out again."""
        if not reason.strip():
            raise WenshuError("登记线下占用必须说明原因（--reason）。")
        with self._tx() as c:
            row = self._entry_row(c, number)
            if row and row[1] != RESERVED:
                raise WenshuError(f"{number} 已登记为“{STATUS_LABELS[row[1]]}”，不能再登记为线下占用。")
            if row:
                self._update(c, row[0], number, OFFLINE, reason=reason, title=title)
            else:
                self._write(c, prefix.series, number.year, number.seq, number.prefix, OFFLINE,
                            reason=reason, title=title)

    def attach_record(self, number: DocNumber, record: str) -> None:
        with self._tx() as c:
            row = self._entry_row(c, number)
            if not row:
                raise WenshuError(f"{number} 未在编号登记簿中登记。")
            c.execute("UPDATE ledger SET record = ?, updated = ? WHERE series = ? AND year = ? AND seq = ?",
                      (record, _now(), row[0], number.year, number.seq))

    # -- 件号 -----------------------------------------------------------------------------

    def allocate_item(self, series: str, year: int, record: str = "", title: str = "") -> int:
        """The next 件号 in a 年度/保管期限/机构 series, on the same ledger as 文号."""
        (seq,) = self._allocate(series, year, 1, lambda c, seq, token: self._write(
            c, series, year, seq, "", ISSUED, title=title, record=record, token=token))
        return seq

    def void_item(self, series: str, year: int, seq: int, reason: str) -> None:
        reason = clean_text(reason)
        with self._tx() as c:
            c.execute("UPDATE ledger SET status = ?, reason = ?, updated = ? "
                      "WHERE series = ? AND year = ? AND seq = ? AND prefix = ''",
                      (VOID, reason, _now(), series, year, seq))
            c.execute("INSERT INTO events (at, series, year, seq, action, detail) VALUES (?, ?, ?, ?, ?, ?)",
                      (_now(), series, year, seq, VOID, reason))

    # -- reading ----------------------------------------------------------------------------

    def entries(self, prefix: str | None = None, year: int | None = None,
                kind: str = "number") -> list[LedgerEntry]:
        """Ledger rows in order; ``kind`` is "number" (文号), "item" (件号) or "all"."""
        where, args = [], []
        if kind == "number":
            where.append("prefix <> ''")
        elif kind == "item":
            where.append("prefix = ''")
        if prefix:
            where.append("prefix = ?")
            args.append(prefix)
        if year:
            where.append("year = ?")
            args.append(year)
        sql = ("SELECT series, year, seq, prefix, status, title, reason, holder, record, created, updated "
               "FROM ledger" + (" WHERE " + " AND ".join(where) if where else "") +
               " ORDER BY series, year, seq")
        return [LedgerEntry(*row) for row in self._query(sql, tuple(args))]

    def find(self, number: DocNumber) -> LedgerEntry | None:
        rows = self._query("SELECT series, year, seq, prefix, status, title, reason, holder, record, created,"
                           " updated FROM ledger WHERE prefix = ? AND year = ? AND seq = ?",
                           (number.prefix, number.year, number.seq))
        return LedgerEntry(*rows[0]) if rows else None

    def gaps(self, year: int | None = None, kind: str = "number") -> list[Gap]:
        """Every number up to the counter that no document carries, with its explanation."""
        entries = {(e.series, e.year, e.seq): e for e in self.entries(year=year, kind="all")}
        counters = self._query("SELECT series, year, last FROM counters" +
                               (" WHERE year = ?" if year else "") + " ORDER BY series, year",
                               (year,) if year else ())
        out = []
        for series, yr, last in counters:
            is_item = series.startswith("件号/")
            if (kind == "number" and is_item) or (kind == "item" and not is_item):
                continue
            prefixes = {e.prefix for (s, y, _), e in entries.items() if s == series and y == yr}
            for seq in range(1, last + 1):
                e = entries.get((series, yr, seq))
                if e and e.status == ISSUED:
                    continue
                if e:
                    why = f"{STATUS_LABELS[e.status]}：{e.reason or e.title}" + (f"（{e.holder}）" if e.holder else "")
                    label = e.label
                else:
                    why = "未说明"
                    label = (str(DocNumber(sorted(prefixes)[0], yr, seq)) if not is_item and prefixes
                             else f"{series} {yr} {seq:04d}")
                out.append(Gap(series, yr, seq, label, why))
        return out
