"""README's Tour runs as written: every ```console block's commands, in order, against a fresh archive.

Why: a newcomer types the tour's commands after `make demo`; if the README shows output the program
does not print, the first thing they learn is not to trust it. This test reads README.md itself.

How the tour is run (the rules README's Tour states in one sentence):
- The ```console blocks between "## Tour" and the next "## " heading, top to bottom, as one session.
  A line starting "$ " is a command; the lines after it, up to the next "$ ", are what it prints.
- The session starts in a copy of docs/examples/ (as `cd docs/examples` in a checkout), with
  WENSHU_ARCHIVE unset. `cd DIR` / `cd -`, `export VAR=VALUE` and `unset VAR` change the session;
  `$ wenshu …` runs through click's CliRunner (the real CLI in process, stdout and stderr together);
  any other line (cp, …) runs in bash.
- The tour's archive /tmp/局档案 is a fresh temporary folder; the commands name it as written and its
  real path is printed back as /tmp/局档案 before comparing.
- What legitimately varies is normalised on both sides: ISO timestamps, clock times, sha256/hex
  digests (8+ hex digits), durations (… 秒), index sizes (… MB), days overdue (逾期天数 column),
  an export's byte total, GB figure and a package's 数据量 (they include PDFs, whose size depends on LibreOffice and fonts).
- In README's output, a line that is only "…" stands for lines cut (any number); "…" inside a line
  stands for any text (a path shortened, a listing cut).
- Commands in SKIP are not run (a long-running process); their reasons are listed.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from wenshu.cli import main

REPO = Path(__file__).resolve().parents[1]
TOUR_ARCHIVE = "/tmp/局档案"

SKIP = {
    "wenshu watch": "长时间运行的进程（直到收到停止信号），由 tests/test_watch*.py 覆盖",
    "wenshu serve": "长时间运行的网页服务，由 tests/test_web_*.py 与浏览器测试覆盖",
}


@dataclass
class Step:
    command: str
    expected: list[str] = field(default_factory=list)


def tour_steps(readme: str) -> list[Step]:
    tour = readme.split("\n## Tour", 1)[1].split("\n## ", 1)[0]
    steps: list[Step] = []
    for block in re.findall(r"^```console\n(.*?)^```", tour, flags=re.M | re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append(Step(line[2:].strip()))
            elif steps:
                steps[-1].expected.append(line)
    return steps


def skip_reason(command: str) -> str | None:
    for prefix, reason in SKIP.items():
        if command == prefix or command.startswith(prefix + " "):
            return None if command.startswith("wenshu watch --once") else reason
    return None


_VARYING = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d)?"), "<时刻>"),
    (re.compile(r"\b\d\d:\d\d:\d\d\b"), "<时刻>"),
    (re.compile(r"\b[0-9a-f]{8,}\b"), "<摘要>"),
    (re.compile(r"[0-9a-f]{8,}…"), "<摘要>…"),
    (re.compile(r"\d+(\.\d+)? 秒"), "<秒>"),
    (re.compile(r"\d+(\.\d+)? MB"), "<MB>"),
    # an export's byte total and GB figure include PDFs, whose size depends on LibreOffice and the fonts
    (re.compile(r"个电子文件，\d+ 字节"), "个电子文件，<字节>"),
    (re.compile(r"数据量：\d+ 字节"), "数据量：<字节>"),
    (re.compile(r"\d+\.\d+ GB"), "<GB>"),
]
_OVERDUE = re.compile(r"(│ \d{4}-\d\d-\d\d │ )\d+( +│)")


def normalise(line: str) -> str:
    for pattern, repl in _VARYING:
        line = pattern.sub(repl, line)
    return _OVERDUE.sub(r"\1<天>\2", line).rstrip()


def matches(expected: list[str], actual: list[str]) -> bool:
    parts = []
    for line in expected:
        line = normalise(line)
        if line.strip() == "…":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(".*?".join(re.escape(p) for p in line.split("…")) + r"\n")
    text = "".join(normalise(a) + "\n" for a in actual)
    return re.fullmatch("".join(parts), text) is not None


class Session:
    def __init__(self, home: Path, archive: Path):
        self.cwd = home
        self.previous = home
        self.home = home
        self.archive = archive
        self.env = {k: v for k, v in os.environ.items() if k != "WENSHU_ARCHIVE"}

    def expand(self, text: str) -> str:
        env = dict(self.env, PWD=str(self.cwd))
        return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), text).replace(
            TOUR_ARCHIVE, str(self.archive))

    def glob(self, arg: str) -> list[str]:
        """The shell's globbing of an argument (`"$WENSHU_ARCHIVE"/2022/*/x.docx`), relative to cwd."""
        if "*" not in arg:
            return [arg]
        base = Path("/") if arg.startswith("/") else self.cwd
        found = sorted(str(p) for p in base.glob(arg.lstrip("/")))
        return found or [arg]

    def run(self, command: str) -> list[str]:
        if command.startswith("cd "):
            target = command[3:].strip()
            new = self.previous if target == "-" else (
                self.home if target == "docs/examples" else (self.cwd / self.expand(target)))
            self.previous, self.cwd = self.cwd, Path(new).resolve()
            return []
        if command.startswith("export "):
            name, _, value = command[7:].partition("=")
            self.env[name] = self.expand(value)
            return []
        if command.startswith("unset "):
            self.env.pop(command[6:].strip(), None)
            return []
        if command.startswith("wenshu "):
            args = [a2 for a in shlex.split(self.expand(command[7:])) for a2 in self.glob(a)]
            old = Path.cwd()
            os.chdir(self.cwd)
            try:
                result = CliRunner().invoke(main, args, env={"WENSHU_ARCHIVE": self.env.get("WENSHU_ARCHIVE")},
                                            catch_exceptions=False)
            finally:
                os.chdir(old)
            output = result.output
        else:
            done = subprocess.run(["bash", "-c", self.expand(command)], cwd=self.cwd, env=self.env,
                                  capture_output=True, text=True, timeout=300)
            output = done.stdout + done.stderr
        return output.replace(str(self.archive), TOUR_ARCHIVE).splitlines()


def run_tour(tmp_path: Path):
    """Yields (step, actual lines or None when skipped, skip reason)."""
    home = tmp_path / "docs" / "examples"
    shutil.copytree(REPO / "docs" / "examples", home)
    session = Session(home, tmp_path / "局档案")
    for step in tour_steps((REPO / "README.md").read_text(encoding="utf-8")):
        reason = skip_reason(step.command)
        yield step, (None if reason else session.run(step.command)), reason


def test_readme_tour_runs_as_written(tmp_path):
    if not shutil.which("soffice"):
        pytest.skip("没有 LibreOffice（soffice），导览中的 --pdf 命令无法运行")
    wrong, ran, skipped = [], 0, []
    for step, actual, reason in run_tour(tmp_path):
        if actual is None:
            skipped.append(f"{step.command}：{reason}")
            continue
        ran += 1
        if not matches(step.expected, actual):
            wrong.append(f"$ {step.command}\n--- README:\n" + "\n".join(step.expected)
                         + "\n--- 实际输出:\n" + "\n".join(actual))
    assert ran >= 30, f"导览只运行了 {ran} 条命令"
    assert not wrong, "README 导览与实际输出不符：\n\n" + "\n\n".join(wrong)


def test_normalisation_keeps_what_matters():
    """The rules above widen only what varies: a changed 文号 or 档号 still fails."""
    assert matches(["已生成：高教字〔2022〕4号　档号 A001-WS·2022-D30-0001　3 页", "  …/x.docx"],
                   ["已生成：高教字〔2022〕4号　档号 A001-WS·2022-D30-0001　3 页", "  /tmp/abc/x.docx"])
    assert not matches(["已生成：高教字〔2022〕4号"], ["已生成：高教字〔2022〕5号"])
    assert matches(["a", "…", "z"], ["a", "b", "c", "z"])
    assert not matches(["a", "z"], ["a", "b", "z"])
    assert matches(["用时 2.7 秒，sha256 f8a0b32ba852…"], ["用时 12.1 秒，sha256 0123456789ab…"])


if __name__ == "__main__":  # print the real output of every tour command, to fix README from
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for step, actual, reason in run_tour(Path(tmp)):
            print(f"$ {step.command}")
            print(f"[跳过：{reason}]" if actual is None else "\n".join(actual))
