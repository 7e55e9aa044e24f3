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
    records_step(root)
    watcher_step(root)
    transfer_step(root)


def records_step(root: Path) -> None:
    """收文归档 and a supervision case (案件) whose 整改时限 has passed, then the audit.

    The documents are written here with python-docx the way they arrive on a clerk's desk."""
    import tempfile

    from docx import Document

    a, case = ["--archive", str(root)], "督2022-003"
    desk = Path(tempfile.mkdtemp(prefix="wenshu-demo-"))

    def write(name: str, *lines: str) -> str:
        doc = Document()
        for line in lines:
            doc.add_paragraph(line)
        doc.save(desk / name)
        return str(desk / name)

    notice = write("晋城市教育局通知.docx", "晋城市教育局文件", "晋市教字［2022］第15号", "关于进一步规范校外培训",
                   "机构管理的通知", "各县（市、区）教育局：", "为进一步规范校外培训机构管理，现就有关事项通知如下。",
                   "晋城市教育局", "二〇二二年三月十日", "抄送：晋城市人民政府办公室。")
    run("file", notice, *a)
    run("show", "晋市教字〔2022〕15号", *a)
    clue = write("举报.docx", "关于某某培训学校违规开展学科类培训的举报", "有家长反映……", "2022年4月1日")
    run("file", clue, "--case", case, "--set", "责任者=家长来信", "--set", "文种=线索", *a)
    run("number", "issue", "高教督函", "--title", "关于督促整改违规培训问题的督办函", "--date", "2022-04-20", *a)
    letter = write("督办函.docx", "高平市教育局", "高教督函〔2022〕1号", "关于督促整改违规培训问题的督办函",
                   "高平市某某培训学校：", "请于2022年5月10日前整改到位并书面报告。", "高平市教育局", "2022年4月20日")
    run("file", letter, "--case", case, "--set", "来源=发文", "--set", "时限=2022-05-10", "--org", "JJK", *a)
    run("number", "issue", "高教整改", "--title", "关于某某培训学校的整改通知书", "--date", "2022-05-12", *a)
    order = write("整改通知书.docx", "高平市教育局", "高教整改〔2022〕1号", "关于某某培训学校的整改通知书",
                  "高平市某某培训学校：", "限你单位于2022年5月31日前完成整改并书面报告。", "高平市教育局", "2022年5月12日")
    run("file", order, "--case", case, "--set", "来源=发文", "--set", "时限=2022-05-31", "--org", "JJK", *a)
    run("case", "show", case, *a)
    run("case", "overdue", *a)
    shutil.rmtree(desk, ignore_errors=True)


def transfer_step(root: Path) -> None:
    """移交: the demo year as a BagIt transfer package, then the receiver's 四性检测 of it."""
    package = root.parent / f"{root.name}-2022年度移交.zip"
    package.unlink(missing_ok=True)
    run("export", "--year", "2022", "--digest", "sm3", "-o", str(package), "--archive", str(root))
    run("verify", str(package))


def watcher_step(root: Path) -> None:
    """``wenshu watch`` running as a process: a notice saved into 收件箱/ is filed and searchable."""
    import signal
    import subprocess
    import time

    from docx import Document

    print(f"\n$ wenshu watch --archive {root}    （后台运行；把一份来文存入 收件箱/）")
    watch = subprocess.Popen([sys.executable, "-m", "wenshu", "watch", "--archive", str(root)],
                             stderr=subprocess.PIPE, text=True, encoding="utf-8")
    log = root / ".wenshu" / "log" / "watch.log"
    deadline = time.monotonic() + 60
    while not (log.exists() and "启动对账" in log.read_text(encoding="utf-8")) and time.monotonic() < deadline:
        time.sleep(0.1)
    doc = Document()
    for line in ("长治市教育局文件", "长市教字〔2022〕21号", "关于开展校外培训“隐形变异”问题专项治理的通知",
                 "各县（市、区）教育局：", "严查以住家家教、众筹私教等名义开展的隐形变异培训。", "长治市教育局", "2022年7月1日"):
        doc.add_paragraph(line)
    doc.save(root / "收件箱" / "长治市教育局来文.docx")
    while "收件箱：已归档" not in log.read_text(encoding="utf-8") and time.monotonic() < deadline:
        time.sleep(0.1)
    watch.send_signal(signal.SIGTERM)
    _, err = watch.communicate(timeout=60)
    print(err, end="")
    run("search", "长市教字[2022]21号", "--archive", str(root))
    run("search", "隐形变异", "--archive", str(root))


def transfer_step(root: Path) -> None:
    """移交: the demo year as a BagIt transfer package, then the receiver's 四性检测 of it."""
    package = root.parent / f"{root.name}-2022年度移交.zip"
    package.unlink(missing_ok=True)
    run("export", "--year", "2022", "--digest", "sm3", "-o", str(package), "--archive", str(root))
    run("verify", str(package))


def main_(argv: list[str]) -> None:
    root = Path(argv[0] if argv else "demo-archive").resolve()
    build(root)
    print(f"\n演示档案库已建好：{root}")


if __name__ == "__main__":
    main_(sys.argv[1:])
