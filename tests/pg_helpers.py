"""A throw-away PostgreSQL cluster for the tests: initdb in a temp dir, a socket in a temp dir, no
TCP port, stopped (and removed) at the end. Needs the server binaries (Debian: apt-get install
postgresql); without them, or when the cluster cannot start, the tests that need it skip and say why.

As root (CI), initdb and pg_ctl run as the ``postgres`` user; the tests connect over the socket
as that database user (initdb's default ``trust`` for local connections).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

_counter = itertools.count(1)


def pg_bin() -> Path | None:
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True) + [os.environ.get("PG_BIN", "")]:
        if d and (Path(d) / "initdb").exists() and (Path(d) / "pg_ctl").exists():
            return Path(d)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and shutil.which("initdb") else None


class Cluster:
    def __init__(self, bindir: Path, base: Path, durable: bool = False):
        self.bin, self.base = bindir, base
        self.data, self.sock = base / "data", base / "sock"
        self.port = 5432 + os.getpid() % 1000  # only names the socket file; no TCP listener
        self.durable = durable
        self.user = "postgres" if os.geteuid() == 0 else None

    def _as_owner(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        argv = [str(c) for c in cmd]
        if self.user:
            argv = ["runuser", "-u", self.user, "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=120)

    def start(self) -> "Cluster":
        self.sock.mkdir(parents=True)
        if self.user:
            shutil.chown(self.base, self.user)
            shutil.chown(self.sock, self.user)
        self._as_owner(self.bin / "initdb", "-D", self.data, "-U", "postgres", "-E", "UTF8",
                       "--locale=C.UTF-8", "-A", "trust")
        opts = f"-c listen_addresses='' -c unix_socket_directories={self.sock} -p {self.port}"
        if not self.durable:  # the tests check semantics, not the disk; the bench runs durable
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self.opts = opts
        self._as_owner(self.bin / "pg_ctl", "-D", self.data, "-l", self.base / "log", "-o", opts, "-w", "start")
        return self

    def restart(self) -> None:
        self._as_owner(self.bin / "pg_ctl", "-D", self.data, "-l", self.base / "log", "-o", self.opts,
                       "-m", "fast", "-w", "restart")

    def stop(self) -> None:
        self._as_owner(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", check=False)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@/{dbname}?host={self.sock}&port={self.port}"

    def new_database(self, prefix: str = "t") -> str:
        """A fresh, empty database; its URL."""
        from archive.registry_pg import connect

        name = f"{prefix}{os.getpid()}_{next(_counter)}"
        with connect(self.url()) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def log(self) -> str:
        path = self.base / "log"
        return path.read_text(errors="replace") if path.exists() else ""


def start_cluster(durable: bool = False, where: Path | None = None) -> tuple[Cluster | None, str]:
    """(cluster, "") or (None, why not). ``where`` puts the cluster on another disk (the numbering bench
    compares the office disk with /dev/shm to tell the disk's sync rate from the software's ceiling)."""
    bindir = pg_bin()
    if not bindir:
        return None, "没有 PostgreSQL 服务器程序（initdb/pg_ctl；Debian：apt-get install postgresql），跳过 PostgreSQL 测试"
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        return None, "没有安装 psycopg / psycopg-pool，跳过 PostgreSQL 测试"
    base = Path(tempfile.mkdtemp(prefix="wenshu-pg-", dir=where))
    os.chmod(base, 0o755)
    cluster = Cluster(bindir, base, durable)
    try:
        cluster.start()
    except (subprocess.CalledProcessError, OSError, subprocess.TimeoutExpired) as e:
        detail = getattr(e, "stderr", "") or str(e)
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)
        return None, f"无法启动临时 PostgreSQL（{detail.strip().splitlines()[-1] if detail.strip() else e}），跳过 PostgreSQL 测试"
    return cluster, ""


def remove(cluster: Cluster) -> None:
    cluster.stop()
    shutil.rmtree(cluster.base, ignore_errors=True)


def use_server(archive, url: str):
    """Point ``archive`` at the database ``url`` ([server] in its wenshu.toml) with an empty registry."""
    from archive.registry import Registry

    archive.close()
    text = archive.config_path.read_text(encoding="utf-8")
    archive.config_path.write_text(text + f'\n[server]\ndatabase = "{url}"\n', encoding="utf-8")
    archive.__dict__.pop("config", None)
    Registry.create(archive.state_dir / "registry.sqlite", database=url).close()
    return archive


def use_search_server(archive, url: str):
    """Put ``archive``'s full-text index into the database ``url`` ([search] engine = "postgres"),
    as an office moving to its server writes wenshu.toml (its registry moves there too)."""
    if not archive.config.database:
        use_server(archive, url)
    text = archive.config_path.read_text(encoding="utf-8")
    archive.config_path.write_text(text + '\n[search]\nengine = "postgres"\n', encoding="utf-8")
    archive.__dict__.pop("config", None)
    return archive


_state: dict = {}


def _session_cluster():
    if "cluster" not in _state:
        _state["cluster"], _state["why"] = start_cluster()
    return _state["cluster"], _state["why"]


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def pg_cluster():
    """The session's throw-away cluster (import this fixture into a test module to use it)."""
    cluster, why = _session_cluster()
    if cluster is None:
        pytest.skip(why)
    yield cluster
    if _state.get("cluster") is cluster:
        remove(cluster)
        _state["cluster"] = None
        _state["why"] = "cluster already stopped"


@pytest.fixture(scope="module", params=["whoosh", "postgres"])
def search_engine(request):
    """A search test module run on both engines: None for whoosh (embedded), or the URL of a fresh
    database for PostgreSQL (skipped, saying why, where no server can be started)."""
    if request.param == "whoosh":
        return None
    return request.getfixturevalue("pg_cluster").new_database("s")


def whoosh_only(ai) -> None:
    """For a test of whoosh's own ranking or files."""
    if ai.archive.config.search_engine != "whoosh":
        pytest.skip("只针对 whoosh 索引（PostgreSQL 引擎的同类检查见 tests/test_pg_engine.py）")
