"""``make demo``: build a demo archive for a county education bureau and show what wenshu did.

Runs through the real CLI (as a clerk would) so the demo shows real output; each step of the
product adds its part here.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from click.testing import CliRunner

from wenshu.cli import main


def run(*args: str) -> str:
    print(f"\n$ wenshu {' '.join(args)}")
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    print(result.output, end="")
    if result.exit_code != 0:
        sys.exit(f"演示中断：wenshu {' '.join(args)} 退出码 {result.exit_code}")
    return result.output


def build(root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    run("init", str(root), "--name", "高平市教育局", "--fonds", "A001",
        "--prefix", "高教字", "--prefix", "高教督函", "--prefix", "高教整改",
        "--department", "BGS=办公室", "--department", "JJK=基础教育科")
    a = ["--archive", str(root)]
    run("number", "next", "高教字", "--date", "2022-03-25", *a)
    run("number", "reserve", "高教字", "--count", "2", "--reason", "局长办公会预留", "--year", "2022", *a)
    run("number", "issue", "高教字", "--title", "关于做好寒假期间安全工作的通知", "--date", "2022-01-10", *a)
    run("number", "void", "高教字〔2022〕2号", "--reason", "打印后发现主送机关有误", *a)
    run("number", "gaps", "--year", "2022", *a)


def main_(argv: list[str]) -> None:
    root = Path(argv[0] if argv else "demo-archive").resolve()
    build(root)
    print(f"\n演示档案库已建好：{root}")


if __name__ == "__main__":
    main_(sys.argv[1:])
