"""The numbering registry: no number twice, none lost, every gap explained (DESIGN §4).

Every test runs on both backends: SQLite in the archive folder and a PostgreSQL server
([server] database); the PostgreSQL runs skip with the reason when no cluster can be started.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.docnumber import DocNumber
from archive.errors import WenshuError
from archive.registry import ISSUED, VOID, Registry
from archive.store import Archive
from tests.conftest import make_config
from tests.pg_helpers import pg_cluster, use_server  # noqa: F401 — pg_cluster is a fixture

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["sqlite", "postgres"])
def archive(request, tmp_path):
    a = Archive.init(tmp_path / "档案库", make_config())
    if request.param == "postgres":
        use_server(a, request.getfixturevalue("pg_cluster").new_database())
    yield a
    a.close()


def sqlite_only(archive):
    if archive.config.database:
        pytest.skip("只针对 SQLite 文件的测试（PostgreSQL 上的对应情形见 tests/test_server_pg.py）")


def counts(reg):
    return {(e.prefix, e.year, e.seq, e.status) for e in reg.entries()}


def test_issue_increments_per_prefix_and_year(archive):
    reg, p = archive.registry, archive.prefix("高教字")
    assert [str(reg.issue(p, 2022, "甲")) for _ in range(3)] == [
        "高教字〔2022〕1号", "高教字〔2022〕2号", "高教字〔2022〕3号"]
    assert str(reg.issue(p, 2023, "乙")) == "高教字〔2023〕1号"
    assert str(reg.issue(archive.prefix("高教督函"), 2022, "丙")) == "高教督函〔2022〕1号"


def test_shared_counter_big_sequence(archive):
    reg = archive.registry
    assert str(reg.issue(archive.prefix("高教字"), 2022, "a")) == "高教字〔2022〕1号"
    assert str(reg.issue(archive.prefix("高教发"), 2022, "b")) == "高教发〔2022〕2号"
    assert str(reg.peek(archive.prefix("高教字"), 2022)) == "高教字〔2022〕3号"


def test_peek_allocates_nothing(archive):
    reg, p = archive.registry, archive.prefix("高教字")
    assert str(reg.peek(p, 2022)) == str(reg.peek(p, 2022)) == "高教字〔2022〕1号"
    assert reg.entries() == []


def test_reserve_then_issue_reserved(archive):
    reg, p = archive.registry, archive.prefix("高教字")
    got = reg.reserve(p, 2022, 2, "局长办公会", "办公室张三")
    assert [n.seq for n in got] == [1, 2]
    assert reg.issue(p, 2022, "下一个").seq == 3
    reg.issue_reserved(got[0], "用预留号发文")
    assert reg.find(got[0]).status == ISSUED
    with pytest.raises(WenshuError, match="不是预留编号"):
        reg.issue_reserved(DocNumber("高教字", 2022, 3), "x")


def test_void_is_never_reused_and_explained(archive):
    reg, p = archive.registry, archive.prefix("高教字")
    n = reg.issue(p, 2022, "甲")
    reg.void(n, "打印错误")
    assert reg.issue(p, 2022, "乙").seq == 2
    gaps = reg.gaps(2022)
    assert [(g.label, g.explanation) for g in gaps] == [("高教字〔2022〕1号", "作废：打印错误")]


def test_offline_ahead_of_counter_is_skipped(archive):
    reg, p = archive.registry, archive.prefix("高教字")
    reg.offline(p, DocNumber("高教字", 2022, 2), "纸质发文")
    assert [reg.issue(p, 2022, str(i)).seq for i in range(3)] == [1, 3, 4]
    assert [g.explanation for g in reg.gaps(2022)] == ["线下占用：纸质发文"]
    with pytest.raises(WenshuError, match="已登记"):
        reg.offline(p, DocNumber("高教字", 2022, 3), "again")


def test_issuing_voids_the_number_when_work_fails(archive):
    reg, p = archive.registry, archive.prefix("高教字")
    with pytest.raises(RuntimeError):
        with reg.issuing(p, 2022, "会失败的文件"):
            raise RuntimeError("LibreOffice 崩溃")
    entry = reg.find(DocNumber("高教字", 2022, 1))
    assert entry.status == VOID and "LibreOffice 崩溃" in entry.reason
    assert reg.issue(p, 2022, "下一个").seq == 2


@pytest.mark.parametrize("call,message", [
    (lambda r, p: r.reserve(p, 2022, 0, "x"), "正整数"),
    (lambda r, p: r.reserve(p, 2022, 2, " "), "原因"),
    (lambda r, p: r.void(DocNumber("高教字", 2022, 5), "x"), "从未发出"),
    (lambda r, p: r.void(DocNumber("高教字", 2022, 1), ""), "原因"),
])
def test_bad_requests_change_nothing(archive, call, message):
    reg, p = archive.registry, archive.prefix("高教字")
    before = counts(reg)
    with pytest.raises(WenshuError, match=message):
        call(reg, p)
    assert counts(reg) == before


def test_item_numbers_have_their_own_series(archive):
    reg = archive.registry
    assert [reg.allocate_item("件号/D30/BGS", 2022) for _ in range(2)] == [1, 2]
    assert reg.allocate_item("件号/Y", 2022) == 1
    reg.void_item("件号/D30/BGS", 2022, 2, "归档失败")
    assert [g.explanation for g in reg.gaps(2022, kind="item")] == ["作废：归档失败"]
    assert reg.entries() == []  # 件号 are not 文号


def test_corrupt_registry_is_reported(archive):
    sqlite_only(archive)
    path = archive.state_dir / "registry.sqlite"
    archive.close()
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(WenshuError, match="已损坏"):
        Registry(path)


def test_locked_registry_times_out_cleanly(archive):
    sqlite_only(archive)
    path = archive.state_dir / "registry.sqlite"
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        reg = Registry(path, timeout=0.3)
        with pytest.raises(WenshuError, match="占用"):
            reg.issue(archive.prefix("高教字"), 2022, "x")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert Registry(path).entries() == []


WORKER = """
import sys
from archive.store import Archive
from archive.config import Prefix
reg = Archive(sys.argv[1]).registry
p = Prefix("高教字")
for i in range(int(sys.argv[2])):
    n = reg.issue(p, 2022, "并发测试")
    print(n.seq, flush=True)
"""


def _worker(root, count):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", WORKER, str(root), str(count)],
                            stdout=subprocess.PIPE, text=True, env=env)


def test_four_processes_never_share_a_number(archive):
    procs = [_worker(archive.root, 500) for _ in range(4)]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    got = [int(s) for out in outputs for s in out.split()]
    assert len(got) == 2000
    assert sorted(got) == list(range(1, 2001))
    ledger = archive.registry.entries(prefix="高教字", year=2022)
    assert [e.seq for e in ledger] == list(range(1, 2001))


def test_sigkill_mid_run_leaves_a_consistent_ledger(archive):
    proc = _worker(archive.root, 100000)
    handed_out = []
    deadline = time.monotonic() + 60
    while len(handed_out) < 300 and time.monotonic() < deadline:
        handed_out.append(int(proc.stdout.readline()))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert len(handed_out) >= 300
    reg = archive.registry
    if not archive.config.database:
        assert reg._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ledger = {e.seq: e for e in reg.entries(prefix="高教字", year=2022)}
    assert set(handed_out) <= set(ledger)  # every number handed out is on the ledger…
    assert sorted(ledger) == list(range(1, len(ledger) + 1))  # …once, with no hole
    [(last,)] = reg.query("SELECT last FROM counters WHERE series = '高教字'")
    assert last == max(ledger)
    assert reg.issue(archive.prefix("高教字"), 2022, "重启后").seq == last + 1


def test_a_hole_nobody_explained_is_shown_as_such(archive):
    reg, p = archive.registry, archive.prefix("高教字")
    for i in range(3):
        reg.issue(p, 2022, str(i))
    with reg.transaction() as c:  # someone edited the database by hand
        c.execute("DELETE FROM ledger WHERE seq = 2")
    assert [(g.label, g.explanation) for g in reg.gaps(2022)] == [("高教字〔2022〕2号", "未说明")]
