"""``make demo``: build a demo archive for a county education bureau and show what wenshu did.

Runs through the real CLI (as a clerk would) so the demo shows real output; each step of the
product adds its part here.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

import openpyxl
import yaml
from click.testing import CliRunner
from docx import Document

from archive.docnumber import DocNumber
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
    desk = Path(tempfile.mkdtemp(prefix="wenshu-demo-"))
    try:
        numbering_step(root, desk)
        received_step(root, desk)
        generator_step(root, desk)
        case_step(root, desk)
        pledge_step(root, desk)
        campaign_step(root, desk)
    finally:
        shutil.rmtree(desk, ignore_errors=True)
    watcher_step(root)
    search_step(root)
    run("check", "--archive", str(root))
    transfer_step(root)
    web_step(root)


def write_docx(path: Path, *lines: str) -> str:
    """A document as it reaches a clerk's desk (typed in Word): one paragraph per line."""
    doc = Document()
    for line in lines:
        doc.add_paragraph(line)
    doc.save(path)
    return str(path)


def numbering_step(root: Path, desk: Path) -> None:
    """发文字号: preview, reserve, void, and a number taken for a document typed outside wenshu, which
    is then filed with it — so the ledger and the archive agree."""
    a = ["--archive", str(root)]
    run("number", "next", "高教字", "--date", "2022-01-10", *a)
    run("number", "reserve", "高教字", "--count", "2", "--reason", "局长办公会预留", "--year", "2022", *a)
    run("number", "void", "高教字〔2022〕2号", "--reason", "打印后发现主送机关有误", *a)
    out = run("number", "issue", "高教字", "--title", "关于做好寒假期间安全工作的通知", "--date", "2022-01-10", *a)
    number = str(DocNumber.find_all(out)[0])
    typed = write_docx(desk / "寒假安全通知.docx", "高平市教育局文件", number, "关于做好寒假期间安全工作的通知",
                       "各乡镇中心学校，市直各学校：", "寒假将至，为确保师生度过一个平安的假期，现就有关事项通知如下。",
                       "高平市教育局", "2022年1月10日")
    run("file", typed, "--set", "来源=发文", *a)
    run("number", "gaps", "--year", "2022", *a)


def received_step(root: Path, desk: Path) -> None:
    """收文: the city bureau's notice, its 文号 typed the way it was printed, read by itself."""
    a = ["--archive", str(root)]
    notice = write_docx(desk / "晋城市教育局通知.docx", "晋城市教育局文件", "晋市教字［2022］第15号",
                        "关于进一步规范校外培训", "机构管理的通知", "各县（市、区）教育局：",
                        "为进一步规范校外培训机构管理，现就有关事项通知如下。",
                        "晋城市教育局", "二〇二二年三月十日", "抄送：晋城市人民政府办公室。")
    run("file", notice, *a)
    run("show", "晋市教字〔2022〕15号", *a)


PARA = "各学校要高度重视，加强组织领导，切实把各项工作落到实处，确保取得实效。"


def new(root: Path, desk: Path, template: str, when: str, data: dict) -> str:
    (desk / f"{template}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return run("new", template, "--data", str(desk / f"{template}.yaml"), "--date", when, "--pdf",
               "--archive", str(root))


def generator_step(root: Path, desk: Path) -> None:
    """公文生成: the county's notice that carries out the city's, 印发-ing a 方案 as its 附件,
    and the layout check of what came out."""
    new(root, desk, "notice", "2022-03-25", {
        "标题": "关于印发《高平市校外培训机构专项治理方案》的通知", "主送机关": "各乡镇中心学校，市直各学校",
        "正文": "根据晋城市教育局《关于进一步规范校外培训机构管理的通知》（晋市教字〔2022〕15号）要求，"
                "现将《高平市校外培训机构专项治理方案》印发给你们，请认真贯彻执行。\n一、提高认识。" + PARA,
        "附件": [{"标题": "高平市校外培训机构专项治理方案",
                  "正文": "一、工作目标\n" + PARA + "\n二、工作措施\n（一）全面排查。" + PARA}],
        "附注": "此件公开发布", "抄送机关": "市委办公室，市政府办公室"})
    notice = next((root / "2022").glob("*《高平市校外培训机构专项治理方案》*/高教字〔2022〕*.docx"))
    run("layout-check", "--pdf", str(notice))


def case_step(root: Path, desk: Path) -> None:
    """案件: a parent's report about a training school, the 督办函 it led to, the 整改通知书 after
    a re-inspection — and no 整改报告 back by the deadline, so the case shows as overdue."""
    a, case = ["--archive", str(root)], "督2022-003"
    clue = write_docx(desk / "举报.docx", "关于高平市启航培训学校违规开展学科类培训的举报",
                      "有家长反映，该校在周末组织初中数学、英语学科类培训……", "2022年3月20日")
    run("file", clue, "--case", case, "--set", "责任者=家长来信", "--set", "文种=线索", *a)
    out = new(root, desk, "supervision_letter", "2022-03-28", {
        "标题": "关于督促整改校外培训违规问题的函", "被督办单位": "高平市启航培训学校",
        "正文": "我局在专项检查中发现你单位存在违规培训问题，现函告如下。",
        "发现的问题": ["周末组织学科类培训", "未公示收费标准"], "督办事项": "（一）立即停止违规培训。",
        "办理时限": "2022-04-15", "报送对象": "市教育局基础教育科", "案件": case})
    letter = str(DocNumber.find_all(out)[0])
    new(root, desk, "rectification_notice", "2022-04-20", {
        "标题": "关于高平市启航培训学校限期整改的通知", "整改单位": "高平市启航培训学校",
        "正文": "经复查，你单位仍存在以下问题。", "存在的问题": ["仍在周末组织学科类培训"],
        "整改要求": "（一）立即停止违规培训。", "整改时限": "2022-05-10",
        "报告对象": "市教育局基础教育科", "依据文号": letter, "案件": case})
    run("case", "show", case, *a)
    run("case", "overdue", *a)


def pledge_step(root: Path, desk: Path) -> None:
    """承诺书: one teacher's, then 30 from a roster (one per row, numbered in their own series)."""
    new(root, desk, "pledge", "2022-09-01",
        {"姓名": "王芳", "学校": "高平市第一中学", "学科": "数学", "承诺条款": ["不组织、不参与有偿补课"]})
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "学校", "学科"])
    for i in range(30):
        wb.active.append([f"教师{i + 1:02d}", f"高平市第{i % 5 + 1}中学", ("语文", "数学", "英语")[i % 3]])
    wb.save(desk / "教师名册.xlsx")
    (desk / "common.yaml").write_text(yaml.safe_dump(
        {"承诺条款": ["不组织、不参与有偿补课", "不向学生推荐校外培训机构", "严格控制作业总量和时长"]},
        allow_unicode=True), encoding="utf-8")
    run("batch", "pledge", "--rows", str(desk / "教师名册.xlsx"), "--data", str(desk / "common.yaml"),
        "--date", "2022-09-01", "--pdf", "--combine-dir", str(root.parent / f"{root.name}-承诺书合并打印"),
        "--archive", str(root))


PLAN = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "gaoping-shuangjian-2022" / "高教字〔2022〕8号.txt"
CAMPAIGN_SCHOOLS = ["高平市第一中学", "高平市北诗中学", "高平市米山镇中心校", "高平市实验小学"]
CAMPAIGN_CLUES = [  # invented: (来源, 收到, 单位, 督查内容 index, 人员, 问题, 核查结果, 需整改的问题)
    ("举报电话", "2022-04-18", "高平市第一中学", 0, "张某（数学）", "在职教师在住所开展有偿补课", "属实",
     ["在职教师张某在住所开展有偿补课", "学校未建立教师违规补课举报受理台账"]),
    ("举报电话", "2022-04-19", "高平市启智教育培训学校", 3, "", "以“研学营”名义开展初中学科类培训", "不属实", []),
    ("调查问卷", "2022-04-21", "高平市北诗中学", 1, "", "初二年级书面作业平均超过90分钟", "属实",
     ["初二年级书面作业总量超标，未建立作业公示制度"]),
    ("调查问卷", "2022-04-21", "高平市实验小学", 2, "", "课后服务只安排自习", "部分属实", ["课后服务内容单一，只安排自习"]),
    ("教师座谈", "2022-04-25", "高平市米山镇中心校", 2, "", "课后服务结束时间早于家长下班时间", "不属实", []),
    ("教师座谈", "2022-04-26", "高平市第一中学", 1, "", "周末布置大量书面作业", "属实", ["周末书面作业量过大"]),
]


def plan_outline(text: str) -> tuple[list[str], list[tuple[str, str, str]]]:
    """督查内容 and 督查安排 as the 方案 states them: (一)…(四) under 三、, (一)…(三) under 四、
    with their 上/中/下旬 turned into dates of 2022 (the 省、晋城市督查 runs to the campaign's end)."""
    import calendar
    import re

    def section(head, nxt):
        return text.split(head, 1)[1].split(nxt, 1)[0]

    item = re.compile(r"^[（(][一二三四五][）)]\s*([^（(。\n]+)", re.M)
    cats = [re.sub(r"(开展)?情况$", "", m).replace("学校在职", "在职").replace("隐形变异违规开展培训", "隐形变异违规培训")
            for m in item.findall(section("三、督查内容", "四、督查安排"))]
    xun = {"上": (1, 10), "中": (11, 20), "下": (21, None)}
    phases = []
    for m in re.finditer(r"^[（(][一二三][）)]\s*([^（(。\n]+)(?:（(\d+)月(.)旬至(\d+)月(.)旬）)?",
                         section("四、督查安排", "五、职责分工"), re.M):
        name, m1, x1, m2, x2 = m.groups()
        if m1:
            end_day = xun[x2][1] or calendar.monthrange(2022, int(m2))[1]
            phases.append((name, f"2022-{int(m1):02d}-{max(xun[x1][0], 25 if m1 == '3' else 1):02d}",
                           f"2022-{int(m2):02d}-{end_day:02d}"))
        else:
            phases.append((name, phases[-1][1], "2022-06-30"))
    return cats, phases


def campaign_step(root: Path, desk: Path) -> None:
    """督查专项行动: the real 高教字〔2022〕8号 filed as the 方案, its 督查内容 and 阶段 read from it;
    invented schools and clues → 核查 → 督办函 and 整改通知书 → 整改报告, 复查销号, 催办 → the 督查报告."""
    if not PLAN.exists():
        print(f"\n（未找到真实语料 {PLAN}，跳过督查专项行动演示）")
        return
    a = ["--archive", str(root)]
    text = PLAN.read_text(encoding="utf-8")
    plan = write_docx(desk / "高教字〔2022〕8号.docx", *[line for line in text.splitlines() if line.strip()])
    run("file", plan, "--set", "文号=高教字〔2022〕8号", "--set", "日期=2022-03-25", "--set", "文种=通知",
        "--set", "题名=关于印发《“双减”政策落实督查专项行动方案》的通知", *a)
    cats, phases = plan_outline(text)
    run("campaign", "new", "--name", "“双减”政策落实督查专项行动", "--start", "2022-03-25", "--end", "2022-06-30",
        *[x for c in cats for x in ("--category", c)], *[x for p in phases for x in ("--phase", ":".join(p))],
        "--plan", "高教字〔2022〕8号", *a)
    wb = openpyxl.Workbook()
    wb.active.append(["单位名称", "类型"])
    for s in CAMPAIGN_SCHOOLS:
        wb.active.append([s, "学校"])
    wb.active.append(["高平市启智教育培训学校", "校外培训机构"])
    wb.save(desk / "督查范围.xlsx")
    run("campaign", "units", "--import", str(desk / "督查范围.xlsx"), *a)
    for n, (src, received, unit, cat, person, content, result, problems) in enumerate(CAMPAIGN_CLUES, 1):
        run("clue", "add", "--source", src, "--received", received, "--unit", unit, "--category", cats[cat],
            "--content", content, "--by", "米波", *(["--person", person] if person else []), *a)
        run("clue", "verify", f"XS2022-{n:04d}", "--by", "田文喜", "--date", "2022-04-29", "--result", result,
            *[x for p in problems for x in ("--problem", p)], "--person", "校长", "--days", "5", *a)
    run("campaign", "units", *a)
    for case in ("督2022-001", "督2022-002"):
        run("campaign", "letters", case, "--date", "2022-04-29", *a)
    report = write_docx(desk / "第一中学整改报告.docx", "高平市第一中学关于“双减”问题整改情况的报告",
                        "已停止涉事教师补课，已对其师德考核作不合格处理。", "2022年5月9日")
    filed = run("file", report, "--case", "督2022-001", "--set", "责任者=高平市第一中学", "--set", "文种=报告",
                "--set", "日期=2022-05-09", *a)
    run("rectify", "report", re.search(r"A001-\S+·2022-\S+-\d{4}", filed).group(0), "ZG2022-0001", "ZG2022-0002", *a)
    photo = write_docx(desk / "复查记录.docx", "高平市第一中学整改复查记录", "复查人：秦剑锋　复查日期：2022年5月12日",
                       "现场查看涉事教师住所，已停止补课；询问学生5名，均反映未再参加补课。")
    run("rectify", "close", "ZG2022-0001", "--by", "秦剑锋", "--date", "2022-05-12", "--note", "现场复查，已停止补课",
        "--evidence", photo, *a)
    run("rectify", "remind", "ZG2022-0003", "--by", "米波", "--date", "2022-05-13", "--way", "电话",
        "--note", "电话催报整改报告", *a)
    run("rectify", "remind", "ZG2022-0003", "--by", "米波", "--date", "2022-05-17", "--letter", *a)
    run("rectify", "list", "--overdue", "--as-of", "2022-05-20", *a)
    campaign_pledges(root, desk, a)
    number = run("number", "issue", "高教字", "--title", "“双减”政策落实督查专项行动工作情况的报告",
                 "--date", "2022-05-20", *a)
    out, number = root.parent / f"{root.name}-督查报告", str(DocNumber.find_all(number)[0])
    run("campaign", "report", "--out", str(out), "--as-of", "2022-05-20", "--signer", "张三", "--number", number,
        "--pdf", *a)
    run("file", str(out / "督查报告.docx"), "--set", f"文号={number}", "--set", "文种=报告", "--set", "日期=2022-05-20",
        "--set", "题名=高平市教育局关于“双减”政策落实督查专项行动工作情况的报告", *a)


def campaign_pledges(root: Path, desk: Path, a: list[str]) -> None:
    """承诺书全覆盖: the roster of the schools in scope, a pledge per teacher printed with its QR code
    and serial, the signed copies of all schools but the last scanned back (one multi-page PDF each,
    as a school's scanner makes it), and the coverage with the names of those who have not signed."""
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "学校", "学科", "工号"])
    names = iter("王芳 李明 张强 刘丽 陈军 杨华 赵敏 黄静 周磊 吴洋 徐芳 孙明 胡强 朱丽 高军 林华".split())
    for s, school in enumerate(CAMPAIGN_SCHOOLS):
        for i in range(4):
            wb.active.append([next(names), school, ("语文", "数学", "英语", "物理")[i], f"{s + 1}{i + 1:03d}"])
    wb.save(desk / "承诺书教师名册.xlsx")
    run("pledge", "roster", "--import", str(desk / "承诺书教师名册.xlsx"), *a)
    printed = root.parent / f"{root.name}-专项行动承诺书打印"
    run("pledge", "issue", "--date", "2022-04-01", "--out", str(printed), *a)
    for school in CAMPAIGN_SCHOOLS[:-1]:  # the printed pages stand in for the signed, scanned ones
        run("pledge", "scan", str(next(printed.rglob(f"{school}.pdf"))), "--school", school, "--by", "米波", *a)
    run("pledge", "coverage", *a)


def watcher_step(root: Path) -> None:
    """``wenshu watch`` running as a process: a notice saved into 收件箱/ is filed and searchable."""
    import signal
    import subprocess
    import time

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
    run("search", '"学科类培训"', "NOT", "整改", "--limit", "3", *a)


def transfer_step(root: Path) -> None:
    """移交: the demo year as the carrier of 档发〔2012〕7号 (one zip), then the receiver's 四性检测 of it."""
    package = root.parent / f"{root.name}-2022年度移交.zip"
    package.unlink(missing_ok=True)
    run("export", "--year", "2022", "--digest", "sm3", "-o", str(package), "--archive", str(root))
    run("verify", str(package))


DEMO_USER, DEMO_PASSWORD = "档案员", "wenshu-demo"


def web_step(root: Path) -> None:
    """网页版: one demo account, so `make serve` opens on a login a newcomer can use at once."""
    run("user", "add", DEMO_USER, "--role", "档案员", "--clearance", "绝密", "--password", DEMO_PASSWORD,
        "--archive", str(root))


def main_(argv: list[str]) -> None:
    root = Path(argv[0] if argv else "demo-archive").resolve()
    build(root)
    print(f"\n演示档案库已建好：{root}")
    print("在终端里直接使用 wenshu 命令：source .venv/bin/activate（或用 .venv/bin/wenshu）")
    print(f"打开网页版：make serve，然后在浏览器中打开 http://127.0.0.1:8000/ ，"
          f"用户名 {DEMO_USER}，密码 {DEMO_PASSWORD}（演示用，正式使用请用 wenshu user add 建立自己的账户）")


if __name__ == "__main__":
    main_(sys.argv[1:])
