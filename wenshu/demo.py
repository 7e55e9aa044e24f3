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
    generator_step(root)
    watcher_step(root)
    search_step(root)
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
    run("file", order, "--case", case, "--set", "来源=发文", "--org", "JJK", *a)  # 时限 read from the text
    run("case", "show", case, *a)
    run("case", "overdue", *a)
    shutil.rmtree(desk, ignore_errors=True)


def generator_step(root: Path) -> None:
    """公文生成: one document of each built-in template (the notice 印发 a 方案 as its 附件), then
    30 teachers' 承诺书 from a roster, and the layout check of the notice."""
    import tempfile

    import openpyxl
    import yaml

    a, desk = ["--archive", str(root)], Path(tempfile.mkdtemp(prefix="wenshu-demo-gen-"))
    para = "各学校要高度重视，加强组织领导，切实把各项工作落到实处，确保取得实效。"
    data = {
        "notice": {"标题": "关于印发《高平市校外培训机构专项治理方案》的通知", "主送机关": "各乡镇中心学校，市直各学校",
                   "正文": "现将《高平市校外培训机构专项治理方案》印发给你们，请认真贯彻执行。\n一、提高认识。" + para,
                   "附件": [{"标题": "高平市校外培训机构专项治理方案",
                             "正文": "一、工作目标\n" + para + "\n二、工作措施\n（一）全面排查。" + para}],
                   "附注": "此件公开发布", "抄送机关": "市委办公室，市政府办公室"},
        "supervision_letter": {"标题": "关于督促整改校外培训违规问题的函", "被督办单位": "高平市启航培训学校",
                               "正文": "我局在专项检查中发现你单位存在违规培训问题，现函告如下。",
                               "发现的问题": ["周末组织学科类培训", "未公示收费标准"], "督办事项": "（一）立即停止违规培训。",
                               "办理时限": "2022-04-15", "报送对象": "市教育局基础教育科", "案件": "督2022-003"},
        "rectification_notice": {"标题": "关于高平市启航培训学校限期整改的通知", "整改单位": "高平市启航培训学校",
                                 "正文": "经复查，你单位仍存在以下问题。", "存在的问题": ["仍在周末组织学科类培训"],
                                 "整改要求": "（一）立即停止违规培训。", "整改时限": "2022-04-30",
                                 "报告对象": "市教育局基础教育科", "依据文号": "高教督函〔2022〕2号", "案件": "督2022-003"},
        "pledge": {"姓名": "王芳", "学校": "高平市第一中学", "学科": "数学", "承诺条款": ["不组织、不参与有偿补课"]},
    }
    for name, when in (("notice", "2022-03-25"), ("supervision_letter", "2022-03-28"),
                       ("rectification_notice", "2022-04-06"), ("pledge", "2022-09-01")):
        (desk / f"{name}.yaml").write_text(yaml.safe_dump(data[name], allow_unicode=True), encoding="utf-8")
        run("new", name, "--data", str(desk / f"{name}.yaml"), "--date", when, "--pdf", *a)
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "学校", "学科"])
    for i in range(30):
        wb.active.append([f"教师{i + 1:02d}", f"高平市第{i % 5 + 1}中学", ("语文", "数学", "英语")[i % 3]])
    wb.save(desk / "教师名册.xlsx")
    (desk / "common.yaml").write_text(yaml.safe_dump(
        {"承诺条款": ["不组织、不参与有偿补课", "不向学生推荐校外培训机构", "严格控制作业总量和时长"]},
        allow_unicode=True), encoding="utf-8")
    run("batch", "pledge", "--rows", str(desk / "教师名册.xlsx"), "--data", str(desk / "common.yaml"),
        "--date", "2022-09-01", "--pdf", *a)
    notice = next((root / "2022").glob("*《高平市校外培训机构专项治理方案》*/高教字〔2022〕*.docx"))
    run("layout-check", "--pdf", str(notice))
    shutil.rmtree(desk, ignore_errors=True)


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


def search_step(root: Path) -> None:
    """全文检索: the index's state, then searches a clerk would type — a phrase with a year,
    a 文号 typed with full-width brackets and digits, a date range sorted by date, and NOT."""
    a = ["--archive", str(root)]
    run("index", "status", *a)
    run("search", "校外培训机构", "年度:2022", "--limit", "3", *a)
    run("search", "晋市教字（２０２２）１５号", *a)
    run("search", "整改", "日期:2022-04-01..2022-05-31", "--sort", "date", "--limit", "3", "--no-facets", *a)
    run("search", '"有偿补课"', "NOT", "承诺书", "--limit", "3", *a)


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
