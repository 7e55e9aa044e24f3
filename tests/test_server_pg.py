"""The office server on a real PostgreSQL (a throw-away cluster, tests/pg_helpers.py): allocation
under a killed client and a restarted server, two machines' processes over one archive, the
migration from SQLite, ``wenshu server check``, the web app's tables, and a restore from pg_dump."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.config import Prefix
from archive.errors import WenshuError
from archive.registry import Registry
from archive.registry_pg import connect
from archive.store import Archive
from tests.conftest import make_config
from tests.pg_helpers import pg_cluster, use_server  # noqa: F401 — pg_cluster is a fixture

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT))
CLI = ["-c", "import sys; from wenshu.cli import main; sys.argv[0] = 'wenshu'; main()"]
P = Prefix("高教字")

ISSUE = """
import sys
from archive.store import Archive
from archive.config import Prefix
reg = Archive.find(None).registry
for i in range(int(sys.argv[1])):
    print(reg.issue(Prefix("高教字"), 2022, "并发测试").seq, flush=True)
"""

HOLD = """
import sys, time
from archive.store import Archive
from archive.registry import Registry
from archive.registry_pg import connect
reg = Archive.find(None).registry
with reg.transaction() as c:
    print(Registry._take(c, "高教字", 2022), flush=True)  # the counter row is locked until commit
    time.sleep(600)
"""


def spawn(code, *args, cwd):
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], cwd=cwd, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wenshu(*args, cwd=None, check=True):
    r = subprocess.run([sys.executable, *CLI, *args], cwd=cwd, env=ENV,
                       capture_output=True, text=True, timeout=300)
    if check:
        assert r.returncode == 0, r.stdout + r.stderr
    return r


@pytest.fixture
def server_archive(tmp_path, pg_cluster):
    a = Archive.init(tmp_path / "档案库", make_config())
    use_server(a, pg_cluster.new_database())
    yield a
    a.close()


def ledger_seqs(archive):
    return [e.seq for e in archive.registry.entries(prefix="高教字", year=2022)]


def test_killed_while_holding_the_counter_row_loses_nothing(server_archive):
    a = server_archive
    assert [a.registry.issue(P, 2022, "之前").seq for _ in range(3)] == [1, 2, 3]
    holder = spawn(HOLD, cwd=a.root)
    assert holder.stdout.readline().strip() == "4"  # it holds number 4, uncommitted
    waiting = spawn(ISSUE, 20, cwd=a.root)  # blocks on the row lock
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert [int(s) for s in out.split()] == list(range(4, 24))  # 4 was never handed out: reused, not lost
    assert ledger_seqs(a) == list(range(1, 24))
    assert a.registry.gaps(2022) == []  # the ledger explains every number up to the counter


def test_server_restarted_mid_run_clients_reconnect_and_finish(server_archive, pg_cluster):
    a = server_archive
    procs = [spawn(ISSUE, 300, cwd=a.root) for _ in range(2)]
    seen = [int(procs[0].stdout.readline()) for _ in range(50)]
    pg_cluster.restart()
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e for _, e in outs]
    got = seen + [int(s) for out, _ in outs for s in out.split()]
    assert len(got) == 600 and sorted(got) == list(range(1, 601))
    assert ledger_seqs(a) == list(range(1, 601))


def test_two_machines_over_one_archive_folder_issue_one_sequence(server_archive, tmp_path):
    a = server_archive
    mount = tmp_path / "另一台电脑" / "共享盘"  # the same folder, mounted elsewhere on the second machine
    mount.parent.mkdir()
    mount.symlink_to(a.root)
    (a.root / "收文").mkdir()
    procs = [spawn(ISSUE, 300, cwd=a.root / "收文"), spawn(ISSUE, 300, cwd=mount)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e for _, e in outs]
    got = [int(s) for out, _ in outs for s in out.split()]
    assert sorted(got) == list(range(1, 601))


def test_a_lost_commit_is_resolved_from_the_ledger_not_issued_again(server_archive):
    """The connection breaks right after COMMIT reached the server: the retry finds the token."""
    a = server_archive
    reg = a.registry
    real_run = reg._pg.run
    calls = []

    def run_then_break(fn):
        def wrapped(c, attempt):
            calls.append(attempt)
            return fn(c, attempt)

        first = {"done": False}

        def once(c, attempt):
            result = wrapped(c, attempt)
            if not first["done"]:
                first["done"] = True
                c.raw.execute("COMMIT")  # the server has it …
                pid = c.raw.info.backend_pid  # … and the connection dies before the client hears back
                with connect(a.config.database) as admin:
                    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
            return result

        return real_run(once)

    reg._pg.run = run_then_break
    n = reg.issue(P, 2022, "提交时断线")
    reg._pg.run = real_run
    assert n.seq == 1 and calls == [1, 2]
    assert ledger_seqs(a) == [1] and reg.issue(P, 2022, "下一个").seq == 2


def test_migrate_copies_every_row_verifies_and_retires_the_sqlite_file(tmp_path, pg_cluster):
    from campaign.clues import add_clue, list_clues
    from campaign.store import CampaignStore
    from tests.test_campaign import CATEGORIES, SCHOOLS, new_campaign

    a = Archive.init(tmp_path / "档案库", make_config())
    reg = a.registry
    for i in range(5):
        reg.issue(P, 2022, f"文件{i}")
    reg.void(reg.issue(P, 2022, "打错"), "打印错误")
    reg.reserve(P, 2022, 2, "局长办公会", "办公室")
    reg.allocate_item("件号/D30/BGS", 2022, title="归档")
    store, camp = new_campaign(a)
    add_clue(store, camp, source="举报电话", received="2022-04-18", unit=SCHOOLS[0], category=CATEGORIES[0],
             content="有偿补课", registrar="米波")
    before = a.registry.entries(kind="all")
    a.close()
    r = subprocess.run([sys.executable, *CLI, "user", "add", "档案员甲", "--role", "档案员",
                        "--password-stdin"], input="Wenshu-测试-2022\n", cwd=a.root, env=ENV,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    url = pg_cluster.new_database()
    a.config_path.write_text(a.config_path.read_text(encoding="utf-8") + f'\n[server]\ndatabase = "{url}"\n',
                             encoding="utf-8")
    a.__dict__.pop("config", None)
    with pytest.raises(WenshuError, match="server migrate"):
        a.registry  # noqa: B018 — the server has no ledger yet: nothing issues from it

    first = json.loads(wenshu("server", "migrate", "--json", cwd=a.root).stdout)
    checked = first["核对"]
    assert checked["ledger"] == {"本地": 9, "服务器上找到": 9}
    assert checked["clues"] == {"本地": 1, "服务器上找到": 1}
    assert checked["auth_user"] == {"本地": 1, "服务器上找到": 1}
    assert all(v["本地"] == v["服务器上找到"] for v in checked.values())
    again = json.loads(wenshu("server", "migrate", "--json", cwd=a.root).stdout)  # idempotent
    assert again["此前已迁移"] and again["核对"] == checked

    assert a.registry.entries(kind="all") == before  # every row, every column
    assert a.registry.issue(P, 2022, "迁移后").seq == 9
    assert [c.id for c in list_clues(CampaignStore(a), CampaignStore(a).get())] == ["XS2022-0001"]
    old = Registry(a.state_dir / "registry.sqlite")
    with pytest.raises(WenshuError, match="已迁移到数据库服务器"):
        old.issue(P, 2022, "旧登记簿")
    assert len(old.entries(kind="all")) == 9  # kept, readable
    old.close()
    users = json.loads(wenshu("user", "list", "--json", cwd=a.root).stdout)
    assert [u["username"] for u in users] == ["档案员甲"]


def test_server_check_names_what_is_wrong(server_archive, tmp_path, pg_cluster):
    a = server_archive
    res = wenshu("server", "check", "--json", cwd=a.root, check=False)
    findings = {f["项目"]: f for f in json.loads(res.stdout)}
    assert [k for k, f in findings.items() if not f["正常"]] == ["档案库文件夹", "本地登记簿"]
    wenshu("server", "migrate", cwd=a.root)
    res = wenshu("server", "check", "--json", cwd=a.root)
    assert all(f["正常"] for f in json.loads(res.stdout))

    other = Archive.init(tmp_path / "另一全宗", make_config(fonds={"code": "B002", "name": "另一个局"}))
    other.config_path.write_text(other.config_path.read_text(encoding="utf-8") +
                                 f'\n[server]\ndatabase = "{a.config.database}"\n', encoding="utf-8")
    res = wenshu("server", "migrate", cwd=other.root, check=False)
    assert res.returncode != 0 and "已属于全宗 A001" in res.stderr
    bad = wenshu("server", "check", "--json", cwd=other.root, check=False)
    wrong = {f["项目"]: f["说明"] for f in json.loads(bad.stdout) if not f["正常"]}
    assert "数据库属于全宗 A001" in wrong["档案库文件夹"]


def test_no_server_reachable_is_reported_and_changes_nothing(tmp_path):
    a = Archive.init(tmp_path / "档案库", make_config())
    url = f"postgresql://postgres@/nothing?host={tmp_path}&port=1"
    a.config_path.write_text(a.config_path.read_text(encoding="utf-8") + f'\n[server]\ndatabase = "{url}"\n',
                             encoding="utf-8")
    res = wenshu("server", "check", cwd=a.root, check=False)
    assert res.returncode != 0 and "无法连接数据库服务器" in res.stdout + res.stderr


WEB = """
import sys
from wenshu.web.settings import setup
from wenshu.web import accounts
from django.test import Client
from django.db import connection
arch = setup(sys.argv[1])
assert connection.vendor == "postgresql", connection.vendor
accounts.add_user("查阅丁", "Wenshu-测试-2022", "查阅", "")
c = Client()
assert c.post("/login/", {"username": "查阅丁", "password": "不对的密码"}).status_code == 200
assert c.post("/login/", {"username": "查阅丁", "password": "Wenshu-测试-2022"}).status_code == 302
assert c.get("/").status_code == 200
with connection.cursor() as cur:
    cur.execute("SELECT action FROM web_accesslog WHERE username = %s ORDER BY id", ["查阅丁"])
    print(" ".join(r[0] for r in cur.fetchall()))
"""


def test_web_login_and_access_log_live_on_the_server(server_archive):
    a = server_archive
    r = subprocess.run([sys.executable, "-c", WEB, str(a.root)], env=ENV, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["login_failed", "login"]
    assert not (a.state_dir / "web.sqlite3").exists()  # nothing of the app's tables in the folder


def test_restore_from_pg_dump_continues_the_sequence(server_archive, pg_cluster, tmp_path):
    """docs/server.md's restore procedure: pg_dump -Fc, createdb, pg_restore, point wenshu.toml at it."""
    a = server_archive
    wenshu("server", "migrate", cwd=a.root)
    for i in range(5):
        a.registry.issue(P, 2022, f"备份前{i}")
    before = a.registry.entries(kind="all")
    dump = tmp_path / "wenshu.dump"
    url = a.config.database
    subprocess.run([pg_cluster.bin / "pg_dump", "-Fc", "-f", dump, "--dbname", url], check=True, timeout=120)
    restored = pg_cluster.new_database("restored")
    subprocess.run([pg_cluster.bin / "pg_restore", "--no-owner", "--dbname", restored, dump], check=True,
                   timeout=120)
    a.close()
    text = a.config_path.read_text(encoding="utf-8").replace(url, restored)
    a.config_path.write_text(text, encoding="utf-8")
    a.__dict__.pop("config", None)
    assert a.registry.entries(kind="all") == before
    assert a.registry.issue(P, 2022, "恢复后").seq == 6
    assert all(f["正常"] for f in json.loads(wenshu("server", "check", "--json", cwd=a.root).stdout))


@pytest.mark.parametrize("url,message", [
    ("postgresql://wenshu:秘密@db.office/wenshu", "含有密码"),
    ("postgresql://wenshu@db.office/wenshu?password=x", "含有密码"),
    ("mysql://wenshu@db.office/wenshu", "postgresql://"),
    ("postgresql://wenshu@db.office", "缺少数据库名"),
    ("postgresql://wenshu@db.office:端口/wenshu", "无法解析"),
])
def test_server_setting_is_checked_when_the_archive_is_opened(url, message):
    with pytest.raises(WenshuError, match=message) as e:
        make_config(server={"database": url})
    assert "server.database" in str(e.value)


def test_server_setting_names_its_database():
    assert make_config(server={"database": "postgresql://wenshu@db.office/wenshu"}).database == \
        "postgresql://wenshu@db.office/wenshu"
    assert make_config().database is None
    with pytest.raises(WenshuError, match="未知的设置 databse"):
        make_config(server={"databse": "postgresql://wenshu@db.office/wenshu"})
