"""Allocations per second of the 发文字号 registry, durable settings: SQLite (WAL, synchronous=FULL)
and, with --database, a PostgreSQL server (fsync and synchronous_commit as the server is set up;
the defaults are durable) in the same run.

    .venv/bin/python bench/numbering.py [--per-process 2000] [--database postgresql://user@host/scratch]
    .venv/bin/python bench/numbering.py --throwaway-cluster [--dir /dev/shm]

--throwaway-cluster starts a durable PostgreSQL cluster of its own (tests/pg_helpers.py) instead of
--database. --dir puts the SQLite file and that cluster on another disk: on /dev/shm an fsync costs
nothing, so the figure there is the software's ceiling and the figure on the office disk is what
its sync rate allows (each durable allocation is one commit on one counter row; see pg_test_fsync).

The database should be a scratch one: the bench creates the registry's tables if absent, numbers a
series of its own (bench-<random>) and deletes that series' rows afterwards.
Target (issues 2 and 19): at least 1,000 allocations/s with 4 concurrent processes on 2 cores.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.config import Prefix  # noqa: E402
from archive.registry import Registry  # noqa: E402


def worker(path: str, database: str | None, series: str, count: int, start, results) -> None:
    reg = Registry(Path(path), timeout=60, database=database)
    p = Prefix("高教字", counter=series)
    start.wait()
    got = [reg.issue(p, 2022, "基准测试").seq for _ in range(count)]
    reg.close()
    results.put(got)


def run(processes: int, per_process: int, database: str | None = None,
        where: Path | None = None) -> tuple[float, int]:
    series = f"bench-{uuid.uuid4().hex[:8]}" if database else ""
    with tempfile.TemporaryDirectory(dir=where) as tmp:
        path = Path(tmp) / "registry.sqlite"
        Registry.create(path, database=database).close()
        ctx = mp.get_context("spawn")
        start, results = ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=worker, args=(str(path), database, series, per_process, start, results))
                 for _ in range(processes)]
        for pr in procs:
            pr.start()
        time.sleep(2.0)  # let every process import and open the registry
        t0 = time.perf_counter()
        start.set()
        numbers = [n for _ in procs for n in results.get()]
        elapsed = time.perf_counter() - t0
        for pr in procs:
            pr.join()
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), "duplicate or missing numbers!"
        if database:
            reg = Registry(path, database=database)
            with reg.transaction() as c:
                for table in ("ledger", "events", "counters"):
                    c.execute(f"DELETE FROM {table} WHERE series = ?", (series,))
            reg.close()
        return elapsed, len(numbers)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-process", type=int, default=2000)
    ap.add_argument("--database", help="a scratch PostgreSQL database, postgresql://…")
    ap.add_argument("--throwaway-cluster", action="store_true",
                    help="start a durable PostgreSQL cluster of its own (needs initdb/pg_ctl)")
    ap.add_argument("--dir", type=Path, help="where the SQLite file and the throw-away cluster live")
    args = ap.parse_args()
    cluster = None
    if args.throwaway_cluster:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from pg_helpers import remove, start_cluster

        cluster, why = start_cluster(durable=True, where=args.dir)
        if cluster is None:
            sys.exit(why)
        args.database = cluster.new_database("bench")
    try:
        bench(args)
    finally:
        if cluster is not None:
            remove(cluster)


def bench(args: argparse.Namespace) -> None:
    where = args.dir or Path(tempfile.gettempdir())
    print(f"registry files and throw-away cluster under {where}")
    backends = [("SQLite WAL, synchronous=FULL, BEGIN IMMEDIATE", None)]
    if args.database:
        backends.append(("PostgreSQL, UPDATE … RETURNING on the counter row, one transaction each", args.database))
    for label, database in backends:
        print(f"numbering registry, {label}")
        if database:
            from archive.registry_pg import connect

            with connect(database) as conn:
                settings = [conn.execute(f"SHOW {s}").fetchone()[0] for s in ("fsync", "synchronous_commit")]
            print(f"  server: fsync={settings[0]}, synchronous_commit={settings[1]}")
        for n in (1, 4):
            elapsed, total = run(n, args.per_process, database, args.dir)
            print(f"  {n} process(es): {total} allocations in {elapsed:.2f} s = {total / elapsed:,.0f} allocations/s"
                  f" (no duplicate, no gap)")


if __name__ == "__main__":
    main()
