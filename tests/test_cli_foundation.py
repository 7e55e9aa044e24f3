"""The CLI as a clerk uses it: init, finding the archive, the 文号 ledger, and clear errors."""

import json

import pytest
from click.testing import CliRunner

from wenshu.cli import main


def run(*args, env=None, cwd=None):
    runner = CliRunner()
    if cwd:
        with runner.isolated_filesystem(temp_dir=cwd):
            pass
    return runner.invoke(main, [str(a) for a in args], env=env or {"WENSHU_ARCHIVE": ""})


@pytest.fixture
def root(tmp_path):
    r = run("init", tmp_path / "局档案", "--name", "高平市教育局", "--fonds", "A001",
            "--prefix", "高教字", "--prefix", "高教督函", "--department", "BGS=办公室")
    assert r.exit_code == 0, r.output
    return tmp_path / "局档案"


def test_init_creates_the_archive(root):
    assert (root / "wenshu.toml").is_file()
    assert (root / "收件箱").is_dir()
    assert (root / ".wenshu" / "registry.sqlite").is_file()
    text = (root / "wenshu.toml").read_text(encoding="utf-8")
    assert 'code = "A001"' in text and "高平市教育局文件" in text


def test_init_refuses_to_overwrite(root):
    before = (root / "wenshu.toml").read_bytes()
    r = run("init", root, "--name", "别的局", "--fonds", "B002")
    assert r.exit_code != 0 and "已经是一个 wenshu 档案库" in r.output
    assert (root / "wenshu.toml").read_bytes() == before


def test_init_validates_before_writing(tmp_path):
    r = run("init", tmp_path / "x", "--name", "局", "--fonds", "A-001")
    assert r.exit_code != 0 and "全宗号" in r.output
    assert not (tmp_path / "x").exists()


def test_archive_found_by_option_env_and_walking_up(root, monkeypatch):
    assert run("number", "next", "高教字", "--year", "2022", "--archive", root).output.strip() == "高教字〔2022〕1号"
    assert run("number", "next", "高教字", "--year", "2022", env={"WENSHU_ARCHIVE": str(root)}).exit_code == 0
    sub = root / "2022"
    sub.mkdir()
    monkeypatch.chdir(sub)
    assert run("number", "next", "高教字", "--year", "2022").output.strip() == "高教字〔2022〕1号"


def test_outside_an_archive_says_how_to_fix(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run("number", "list")
    assert r.exit_code == 2
    assert "没有 wenshu 档案库" in r.output and "wenshu init" in r.output
    r = run("number", "list", "--archive", tmp_path)
    assert r.exit_code == 2 and "不是 wenshu 档案库" in r.output


def test_ledger_commands(root):
    a = ("--archive", root)
    assert "高教字〔2022〕1号" in run("number", "issue", "高教字", "--title", "关于课后服务的通知",
                                   "--date", "2022-03-25", *a).output
    assert "高教字〔2022〕2号、高教字〔2022〕3号" in run("number", "reserve", "高教字", "--count", "2",
                                                   "--reason", "预留给局长办公会", "--year", "2022", *a).output
    assert run("number", "issue", "高教字", "--title", "用预留号", "--reserved", "高教字[2022]2号", *a).exit_code == 0
    assert run("number", "void", "高教字（2022）3号", "--reason", "打印错误", *a).exit_code == 0
    assert run("number", "offline", "高教字〔2022〕5号", "--reason", "纸质发文", *a).exit_code == 0
    entries = json.loads(run("number", "list", "--json", *a).output)
    assert [(e["label"], e["status"]) for e in entries] == [
        ("高教字〔2022〕1号", "issued"), ("高教字〔2022〕2号", "issued"),
        ("高教字〔2022〕3号", "void"), ("高教字〔2022〕5号", "offline")]
    gaps = json.loads(run("number", "gaps", "--json", *a).output)
    assert [(g["label"], g["explanation"]) for g in gaps] == [("高教字〔2022〕3号", "作废：打印错误")]
    # The next numbers go round the one used on paper, which then shows as an explained gap.
    assert "高教字〔2022〕4号" in run("number", "issue", "高教字", "--title", "四", "--year", "2022", *a).output
    assert "高教字〔2022〕6号" in run("number", "issue", "高教字", "--title", "六", "--year", "2022", *a).output
    gaps = json.loads(run("number", "gaps", "--json", *a).output)
    assert [(g["label"], g["explanation"]) for g in gaps] == [
        ("高教字〔2022〕3号", "作废：打印错误"), ("高教字〔2022〕5号", "线下占用：纸质发文")]


@pytest.mark.parametrize("args,message", [
    (("number", "issue", "高教x字", "--title", "t"), "未知的机关代字"),
    (("number", "void", "高教字〔22〕1号", "--reason", "r"), "四位"),
    (("number", "void", "乱七八糟", "--reason", "r"), "无法识别发文字号"),
    (("number", "reserve", "高教字", "--count", "0", "--reason", "r"), "正整数"),
    (("number", "void", "高教字〔2022〕9号", "--reason", "r"), "从未发出"),
    (("number", "next", "高教字", "--date", "2022/3/25"), "2022-03-25"),
])
def test_bad_input_is_a_clear_error_and_changes_nothing(root, args, message):
    before = (root / ".wenshu" / "registry.sqlite").read_bytes()
    r = run(*args, "--archive", root)
    assert r.exit_code != 0
    assert message in r.output
    assert "Traceback" not in r.output
    assert json.loads(run("number", "list", "--json", "--archive", root).output) == []
    del before


def test_corrupt_registry_via_cli(root):
    (root / ".wenshu" / "registry.sqlite").write_bytes(b"garbage" * 1000)
    for name in ("registry.sqlite-wal", "registry.sqlite-shm"):
        (root / ".wenshu" / name).unlink(missing_ok=True)
    r = run("number", "issue", "高教字", "--title", "t", "--archive", root)
    assert r.exit_code != 0 and "已损坏" in r.output
