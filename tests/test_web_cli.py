"""``wenshu user …`` and ``wenshu serve`` as an office runs them (subprocesses: each configures
Django for its own archive), and click's own messages in Chinese."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import make_config
from wenshu.cli import main

ROOT = Path(__file__).resolve().parents[1]


def wenshu(*args, stdin: str | None = None, timeout=120):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "wenshu", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=timeout)


@pytest.fixture
def plain_archive(tmp_path):
    pytest.importorskip("django", reason="Django 未安装")
    from archive.store import Archive

    a = Archive.init(tmp_path / "档案库", make_config())
    a.close()
    return a.root


def test_user_add_list_passwd_disable(plain_archive):
    a = ["--archive", str(plain_archive)]
    r = wenshu("user", "add", "张三", "--role", "文书", "--clearance", "机密", "--department", "BGS",
               "--password", "Zhangsan-2022", *a)
    assert r.returncode == 0 and "已新增用户 张三：角色 文书，可见密级 机密，机构 BGS" in r.stdout, r.stderr
    r = wenshu("user", "add", "李四", "--role", "查阅", "--password-stdin", *a, stdin="Lisi-密码-2022\n")
    assert r.returncode == 0, r.stderr
    r = wenshu("user", "list", "--json", *a)
    import json

    users = {u["username"]: u for u in json.loads(r.stdout)}
    assert users["张三"]["role"] == "文书" and users["张三"]["clearance"] == "机密" and users["李四"]["clearance"] == ""
    assert (plain_archive / ".wenshu" / "web.sqlite3").is_file()
    key = plain_archive / ".wenshu" / "web-secret-key"
    assert key.is_file() and (key.stat().st_mode & 0o777) == 0o600
    assert wenshu("user", "passwd", "李四", "--password-stdin", *a, stdin="Lisi-新密码-2023\n").returncode == 0
    r = wenshu("user", "disable", "李四", *a)
    assert r.returncode == 0 and "已停用用户 李四" in r.stdout
    states = {u["username"]: u["active"] for u in json.loads(wenshu("user", "list", "--json", *a).stdout)}
    assert states == {"张三": True, "李四": False}


def test_user_add_bad_input_says_what_and_changes_nothing(plain_archive):
    a = ["--archive", str(plain_archive)]
    r = wenshu("user", "add", "王五", "--role", "老板", "--password", "Wangwu-2022", *a)
    assert r.returncode == 2 and "错误：“--role”的取值不正确：“老板”不是可选值“文书”、“档案员”、“领导”、“查阅”之一。" in r.stderr
    r = wenshu("user", "add", "王五", "--role", "查阅", "--department", "XYZ", "--password", "Wangwu-2022", *a)
    assert r.returncode == 1 and "机构代码“XYZ”不在 wenshu.toml 中" in r.stderr
    r = wenshu("user", "add", "王五", "--role", "查阅", "--password", "123", *a)
    assert r.returncode == 1 and "密码太短" in r.stderr
    r = wenshu("user", "passwd", "没有这人", "--password", "Whatever-2022", *a)
    assert r.returncode == 1 and "没有用户“没有这人”" in r.stderr
    assert "还没有任何用户" in wenshu("user", "list", *a).stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_first_serve_without_users_says_how_to_create_one(plain_archive):
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "wenshu", "serve", "--archive", str(plain_archive), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as resp:
                    page = resp.read().decode()
                    server = resp.headers.get("Server", "")
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.3)
        assert "登录" in page and server == "wenshu"  # waitress, not Django's development server
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    assert "还没有任何用户" in out and "wenshu user add" in out and f"http://127.0.0.1:{port}/" in out


def test_click_messages_are_chinese(tmp_path):
    r = CliRunner().invoke(main, ["init", str(tmp_path / "x"), "--name", "高平市教育局"])
    assert r.exit_code == 2 and "错误：缺少选项“--fonds”。" in r.output
    assert "用法:" in r.output and "可用“" in r.output and "Error" not in r.output
    r = CliRunner().invoke(main, ["--help"])
    assert r.exit_code == 0 and "显示此帮助并退出。" in r.output and "命令:" in r.output and "选项:" in r.output
    assert "Show this message" not in r.output and "[OPTIONS]" not in r.output
    r = CliRunner().invoke(main, ["search", "--limit", "x", "课后服务"])
    assert r.exit_code == 2 and "“--limit”的取值不正确" in r.output
    r = CliRunner().invoke(main, ["没有的命令"])
    assert r.exit_code == 2 and "错误：没有命令“没有的命令”。" in r.output
    r = CliRunner().invoke(main, ["user", "add", "--help"])
    assert "角色：文书、档案员、领导、查阅" in r.output and "[选项]" in r.output
