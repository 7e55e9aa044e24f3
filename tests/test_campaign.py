"""The 督查专项行动 (issue 16, first part): clue ledger, 核查, 督办 cases and 整改 items to 销号,
in the archive's registry database; 整改时限 on the Chinese holiday calendar."""

from __future__ import annotations

import csv
import sqlite3
from datetime import date

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from archive.errors import WenshuError
from campaign.clues import add_clue, get_clue, list_clues, record_feedback, verify_clue
from campaign.ledger import CLUE_COLUMNS, export_clues
from campaign.rectify import cases, close_item, get_item, items, overdue, remind
from campaign.store import CampaignStore, read_units
from campaign.workdays import add_workdays, workdays_between
from wenshu.cli import main

CATEGORIES = ["在职教师违规补课", "学生作业负担", "课后服务水平", "校外培训机构隐形变异违规培训"]
SCHOOLS = ["高平市第一中学", "高平市北诗中学"]


def test_working_days_over_labour_day():
    # 4月30日–5月4日 劳动节 off; 5月7日 (Saturday) a 调休 working day
    assert add_workdays(date(2022, 4, 29), 5) == date(2022, 5, 10)
    assert add_workdays(date(2022, 4, 29), 1) == date(2022, 5, 5)
    assert workdays_between(date(2022, 4, 29), date(2022, 5, 10)) == 5
    with pytest.raises(WenshuError, match="正整数"):
        add_workdays(date(2022, 4, 29), 0)


def test_year_the_calendar_does_not_know_is_refused():
    with pytest.raises(WenshuError, match="节假日日历还没有 2099 年"):
        add_workdays(date(2099, 1, 5), 3)


def new_campaign(archive):
    store = CampaignStore(archive)
    camp = store.create("“双减”政策落实督查专项行动", "2022-03-25", "2022-06-30", CATEGORIES,
                        phases=[("学校自查", "2022-03-25", "2022-04-15"), ("县级核查", "2022-04-16", "2022-06-15"),
                                ("省、晋城市督查", "2022-04-16", "2022-06-30")])
    assert store.add_units(camp, [(s, "学校") for s in SCHOOLS] + [("高平市启智培训学校", "校外培训机构")]) == 3
    return store, camp


def snapshot(archive) -> dict:
    """Every campaign table's rows, straight from the database file."""
    conn = sqlite3.connect(archive.state_dir / "registry.sqlite")
    try:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: conn.execute(f"SELECT * FROM {n}").fetchall() for n in names}
    finally:
        conn.close()


CLUES = [  # (source, received, unit, category, content, founded?)
    ("举报电话", "2022-04-18", SCHOOLS[0], CATEGORIES[0], "数学教师张某在住所开展有偿补课", True),
    ("举报电话", "2022-04-20", SCHOOLS[1], CATEGORIES[1], "初二年级作业量过大，学生晚上十一点后才睡", True),
    ("调查问卷", "2022-04-22", SCHOOLS[0], CATEGORIES[2], "课后服务只安排自习", False),
    ("调查问卷", "2022-04-22", SCHOOLS[1], CATEGORIES[2], "课后服务结束时间早于下班时间", False),
    ("教师座谈", "2022-04-25", "高平市启智培训学校", CATEGORIES[3], "以研学名义开展学科类培训", True),
    ("教师座谈", "2022-04-26", SCHOOLS[0], CATEGORIES[1], "强制学生购买教辅", False),
]


def run_campaign(archive):
    store, camp = new_campaign(archive)
    ids = [add_clue(store, camp, source=s, received=r, unit=u, category=cat, content=txt, registrar="米波").id
           for s, r, u, cat, txt, _ in CLUES]
    for cid, (*_, founded) in zip(ids, CLUES):
        if founded:
            verify_clue(store, cid, verifier="田文喜", on="2022-04-29", result="属实",
                        problems=["停止违规行为", "提交整改报告"], person="校长", workdays=5)
        else:
            verify_clue(store, cid, verifier="田文喜", on="2022-04-29", result="不属实")
    return store, camp, ids


def test_six_clues_three_founded_open_three_cases_with_items(archive):
    store, camp, ids = run_campaign(archive)
    assert ids == [f"XS2022-{n:04d}" for n in range(1, 7)]
    assert {c.source for c in list_clues(store, camp)} == {"举报电话", "调查问卷", "教师座谈"}
    assert [c.id for c in list_clues(store, camp, source="调查问卷")] == ids[2:4]
    founded = list_clues(store, camp, result="属实")
    assert [c.id for c in founded] == [ids[0], ids[1], ids[4]]
    assert all(c.handling == "整改" and c.case_id for c in founded)
    assert {c.handling for c in list_clues(store, camp, result="不属实")} == {"不予处理"}
    opened = cases(store, camp)
    assert [c.id for c in opened] == ["督2022-001", "督2022-002", "督2022-003"]
    assert [c.unit for c in opened] == [SCHOOLS[0], SCHOOLS[1], "高平市启智培训学校"]
    all_items = items(store, camp)
    assert len(all_items) == 6 and {i.case_id for i in all_items} == {c.id for c in opened}
    assert {i.deadline for i in all_items} == {"2022-05-10"}  # 5 working days over 劳动节
    assert all(i.status == "open" and i.person == "校长" for i in all_items)


def test_second_founded_clue_joins_the_units_open_case(archive):
    store, camp, ids = run_campaign(archive)
    extra = add_clue(store, camp, source="督查发现", received="2022-05-06", unit=SCHOOLS[0],
                     category=CATEGORIES[1], content="作业公示制度未落实", registrar="米波")
    verify_clue(store, extra.id, verifier="田文喜", on="2022-05-06", result="部分属实", workdays=15)
    assert get_clue(store, extra.id).case_id == "督2022-001"
    assert len(cases(store, camp)) == 3
    joined = [i for i in items(store, camp, case_id="督2022-001") if i.clue == extra.id]
    assert [i.problem for i in joined] == ["作业公示制度未落实"]


def test_close_needs_review_evidence_and_changes_nothing_without(archive, tmp_path):
    store, camp, _ = run_campaign(archive)
    item = items(store, camp)[0]
    before = snapshot(archive)
    with pytest.raises(WenshuError, match="缺少复查证据") as e:
        close_item(store, item.id, reviewer="秦剑锋", on="2022-05-12")
    assert "未做任何更改" in str(e.value)
    with pytest.raises(WenshuError, match="缺少复查人、复查日期"):
        close_item(store, item.id, reviewer="", on="", note="现场查看")
    with pytest.raises(WenshuError, match="不存在"):
        close_item(store, item.id, reviewer="秦剑锋", on="2022-05-12", files=[tmp_path / "无此文件.jpg"])
    assert snapshot(archive) == before
    photo = tmp_path / "复查照片.jpg"
    photo.write_bytes(b"\xff\xd8 photo")
    closed = close_item(store, item.id, reviewer="秦剑锋", on="2022-05-12", note="现场复查，已停止补课",
                        files=[photo])
    assert closed.status == "closed" and closed.reviewer == "秦剑锋" and closed.reviewed == "2022-05-12"
    assert '"sha256"' in closed.evidence
    # the photo is kept in the archive as a record of the case, not just named
    from archive.cases import get_case

    kept = get_case(archive, item.case_id).records
    assert [r.title for r in kept] == [f"{SCHOOLS[0]}整改事项{item.id}复查证据"]
    assert str(kept[0].archival_code) in closed.evidence
    # the case stays open while its other item is open; closing that one closes the case
    assert cases(store, camp)[0].status == "open"
    other = [i for i in items(store, camp, case_id=item.case_id) if i.id != item.id][0]
    close_item(store, other.id, reviewer="秦剑锋", on="2022-05-13", note="整改报告与现场一致")
    assert cases(store, camp)[0].status == "closed" and cases(store, camp)[0].closed == "2022-05-13"
    with pytest.raises(WenshuError, match="已.*销号"):
        close_item(store, item.id, reviewer="秦剑锋", on="2022-05-14", note="再次")


def test_clue_for_unit_not_in_scope_is_refused_listing_the_units(archive):
    store, camp = new_campaign(archive)
    before = snapshot(archive)
    with pytest.raises(WenshuError) as e:
        add_clue(store, camp, source="举报电话", received="2022-04-18", unit="晋城市某中学",
                 category=CATEGORIES[0], content="补课", registrar="米波")
    msg = str(e.value)
    assert "“晋城市某中学”不在" in msg and all(u in msg for u in SCHOOLS + ["高平市启智培训学校"])
    with pytest.raises(WenshuError, match="来源.*举报电话、信箱"):
        add_clue(store, camp, source="微信", received="2022-04-18", unit=SCHOOLS[0],
                 category=CATEGORIES[0], content="补课", registrar="米波")
    with pytest.raises(WenshuError, match="不是本专项行动的督查内容"):
        add_clue(store, camp, source="信箱", received="2022-04-18", unit=SCHOOLS[0],
                 category="食品安全", content="食堂", registrar="米波")
    assert snapshot(archive) == before
    # a refused clue burns no 台账编号
    ok = add_clue(store, camp, source="信箱", received="2022-04-18", unit=SCHOOLS[0],
                  category=CATEGORIES[0], content="补课", registrar="米波")
    assert ok.id == "XS2022-0001"


def test_overdue_items_with_days_overdue_and_reminders(archive):
    store, camp, _ = run_campaign(archive)
    first = items(store, camp)[0]
    close_item(store, first.id, reviewer="秦剑锋", on="2022-05-09", note="现场复查")
    assert overdue(store, camp, today=date(2022, 5, 10)) == []  # due today is not late
    late = overdue(store, camp, today=date(2022, 5, 20))
    assert len(late) == 5 and {d for _, d in late} == {10} and first.id not in {i.id for i, _ in late}
    target = late[0][0].id
    remind(store, target, by="米波", on="2022-05-11", way="电话", note="已电话催促校长")
    remind(store, target, by="米波", on="2022-05-16", way="督办函")
    assert get_item(store, target).reminders == 2
    assert {i.id: i.reminders for i, _ in overdue(store, camp, today=date(2022, 5, 20))}[target] == 2
    with pytest.raises(WenshuError, match="催办方式"):
        remind(store, target, by="米波", on="2022-05-16", way="微信")
    with pytest.raises(WenshuError, match="无需催办"):
        remind(store, first.id, by="米波", on="2022-05-16")


def test_ledger_xlsx_reads_back_as_text(archive, tmp_path):
    store, camp, ids = run_campaign(archive)
    record_feedback(store, ids[0], on="2022-05-15", to="举报人（电话回访）", note="已回复")
    add_clue(store, camp, source="信箱", received="2022-05-02", unit=SCHOOLS[1], category=CATEGORIES[0],
             content='=HYPERLINK("http://x","点击")', registrar="米波", persons="0012")
    path = tmp_path / "线索台账.xlsx"
    assert export_clues(store, camp, path) == 7
    ws = load_workbook(path).active
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert tuple(rows[0]) == CLUE_COLUMNS
    assert rows[1] == [ids[0], "举报电话", "2022-04-18", SCHOOLS[0], None, CATEGORIES[0],
                       "数学教师张某在住所开展有偿补课", "田文喜", "2022-04-29", "属实", "整改", "2022-05-15", "已回复"]
    assert rows[7][6] == '=HYPERLINK("http://x","点击")' and rows[7][4] == "0012"
    assert all(c.data_type == "s" for r in ws.iter_rows(min_row=2) for c in r if c.value is not None)


def test_units_import_refuses_a_bad_row_and_changes_nothing(archive, tmp_path):
    store = CampaignStore(archive)
    camp = store.create("专项", "2022-03-25", "2022-06-30", CATEGORIES)
    good = tmp_path / "单位.csv"
    with good.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([["单位名称", "类型"], [SCHOOLS[0], "学校"], ["", ""], ["启智培训", "校外培训机构"]])
    assert store.add_units(camp, read_units(good), where=good.name) == 2
    bad = tmp_path / "单位2.csv"
    with bad.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([["单位名称", "类型"], [SCHOOLS[1], "学校"], ["某幼儿园", "幼儿园"]])
    before = snapshot(archive)
    with pytest.raises(WenshuError, match="单位2.csv第 3 行：“某幼儿园”的类型“幼儿园”不正确"):
        store.add_units(camp, read_units(bad), where=bad.name)
    assert snapshot(archive) == before
    assert [u.name for u in store.units(camp)] == [SCHOOLS[0], "启智培训"]


def test_cli_campaign_clue_rectify(archive, tmp_path):
    env = {"WENSHU_ARCHIVE": str(archive.root)}
    runner = CliRunner()

    def run(*args):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    res = run("campaign", "new", "--name", "双减督查", "--start", "2022-03-25", "--end", "2022-06-30",
              *sum((["--category", c] for c in CATEGORIES), []), "--phase", "县级核查:2022-04-16:2022-06-15")
    assert res.exit_code == 0, res.output
    units = tmp_path / "units.csv"
    units.write_text("单位名称,类型\n高平市第一中学,学校\n", encoding="utf-8")
    res = run("campaign", "units", "--import", str(units))
    assert res.exit_code == 0 and "新增 1 个" in res.output, res.output
    res = run("clue", "add", "--source", "举报电话", "--received", "2022-04-18", "--unit", "另一所学校",
              "--category", CATEGORIES[0], "--content", "补课", "--by", "米波")
    assert res.exit_code == 1 and "高平市第一中学" in res.output
    res = run("clue", "add", "--source", "举报电话", "--received", "2022-04-18", "--unit", "高平市第一中学",
              "--category", CATEGORIES[0], "--content", "补课", "--by", "米波")
    assert res.exit_code == 0 and "XS2022-0001" in res.output, res.output
    res = run("clue", "verify", "XS2022-0001", "--by", "田文喜", "--date", "2022-04-29", "--result", "属实",
              "--days", "5", "--problem", "停止补课")
    assert res.exit_code == 0 and "督2022-001" in res.output and "2022-05-10" in res.output, res.output
    res = run("rectify", "list", "--overdue", "--as-of", "2022-05-12", "--json")
    import json

    data = json.loads(res.output)
    assert [(d["整改编号"], d["逾期天数"]) for d in data] == [("ZG2022-0001", 2)]
    res = run("rectify", "remind", "ZG2022-0001", "--by", "米波", "--date", "2022-05-12")
    assert res.exit_code == 0 and "第 1 次" in res.output, res.output
    res = run("rectify", "close", "ZG2022-0001", "--by", "秦剑锋", "--date", "2022-05-13")
    assert res.exit_code == 1 and "缺少复查证据" in res.output
    res = run("rectify", "close", "ZG2022-0001", "--by", "秦剑锋", "--date", "2022-05-13", "--note", "现场复查")
    assert res.exit_code == 0 and "已销号" in res.output, res.output
    res = run("clue", "list", "--json")
    assert json.loads(res.output)[0]["核查结果"] == "属实"
    out = tmp_path / "台账.xlsx"
    res = run("clue", "export", str(out))
    assert res.exit_code == 0 and out.is_file()
    res = run("clue", "feedback", "XS2022-0001", "--date", "2022-05-14", "--to", "举报人（电话回访）")
    assert res.exit_code == 0 and "已于 2022-05-14 反馈举报人" in res.output, res.output
    res = run("clue", "import", str(out), "--by", "郭志刚")
    assert res.exit_code == 0 and "导入线索 1 条：XS2022-0002—XS2022-0002" in res.output, res.output
    res = run("campaign", "show")
    assert res.exit_code == 0 and "双减督查" in res.output and "线索 2 条" in res.output, res.output


def test_plan_is_a_filed_record_and_received_dates_stay_in_the_period(archive, tmp_path):
    from archive.filing import file_record
    from tests.conftest import write_docx

    plan = write_docx(tmp_path / "方案.docx", ["高平市教育局文件", "高教字〔2022〕8号",
                                             "关于印发《“双减”政策落实督查专项行动方案》的通知", "2022年3月25日"])
    rec = file_record(archive, [(plan, "正本")], {"title": "关于印发《“双减”政策落实督查专项行动方案》的通知",
                                                 "doc_number": "高教字〔2022〕8号", "date": "2022-03-25"})
    store = CampaignStore(archive)
    with pytest.raises(WenshuError, match="没有档号或文号为“高教字〔2022〕9号”"):
        store.create("双减", "2022-03-25", "2022-06-30", CATEGORIES, plan="高教字〔2022〕9号")
    with pytest.raises(WenshuError, match="阶段“学校自查”的日期"):
        store.create("双减", "2022-03-25", "2022-06-30", CATEGORIES, phases=[("学校自查", "2022-03-01", "2022-04-15")])
    assert store.campaigns() == []
    camp = store.create("双减", "2022-03-25", "2022-06-30", CATEGORIES, plan="高教字[2022]8号")
    assert camp.plan == str(rec.archival_code)
    with pytest.raises(WenshuError, match="已有名为“双减”"):
        store.create("双减", "2022-03-25", "2022-06-30", CATEGORIES)
    store.add_units(camp, [(SCHOOLS[0], "学校")])
    with pytest.raises(WenshuError, match="不在专项行动“双减”期间"):
        add_clue(store, camp, source="信箱", received="2022-07-02", unit=SCHOOLS[0], category=CATEGORIES[0],
                 content="补课", registrar="米波")
    # the campaign's tables sit beside the number ledger without touching it
    assert archive.registry.gaps(kind="all") == []
    assert [e.series for e in archive.registry.entries(kind="all")] == ["件号/D30"]  # the 方案's own 件号


def test_units_from_xlsx_through_the_cli(archive, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["序号", "单位名称", "类型"])
    wb.active.append([1, SCHOOLS[0], "学校"])
    wb.active.append([2, "启智培训学校", "校外培训机构"])
    path = tmp_path / "单位名单.xlsx"
    wb.save(path)
    CampaignStore(archive).create("双减", "2022-03-25", "2022-06-30", CATEGORIES)
    env = {"WENSHU_ARCHIVE": str(archive.root)}
    res = CliRunner().invoke(main, ["campaign", "units", "--import", str(path)], env=env)
    assert res.exit_code == 0 and "新增 2 个" in res.output, res.output
    res = CliRunner().invoke(main, ["campaign", "units", "--json"], env=env)
    import json

    assert json.loads(res.output) == [{"名称": SCHOOLS[0], "类型": "学校"}, {"名称": "启智培训学校", "类型": "校外培训机构"}]


def test_campaign_imports_only_archive():
    import ast
    from pathlib import Path

    import campaign

    for f in Path(campaign.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for n in names:
                assert n.split(".")[0] not in ("wenshu", "generator", "indexer", "watch"), f"{f.name} imports {n}"


_REGISTER = """
import sys
from archive.store import Archive
from campaign.clues import add_clue
from campaign.store import CampaignStore
a = Archive(sys.argv[1]); s = CampaignStore(a); c = s.get()
for _ in range(25):
    add_clue(s, c, source="举报电话", received="2022-04-18", unit=sys.argv[2], category=sys.argv[3],
             content="并发登记", registrar=sys.argv[4])
"""


def test_two_clerks_registering_at_once_never_share_a_number(archive):
    import os
    import subprocess
    import sys

    store, camp = new_campaign(archive)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    procs = [subprocess.Popen([sys.executable, "-c", _REGISTER, str(archive.root), SCHOOLS[0], CATEGORIES[0], who],
                              env=env) for who in ("米波", "田文喜")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    ids = [c.id for c in list_clues(store, camp)]
    assert len(ids) == 50 and ids == [f"XS2022-{n:04d}" for n in range(1, 51)]


def test_clue_import_all_or_nothing_and_round_trip(archive, tmp_path):
    from openpyxl import Workbook

    from campaign.clues import import_clues

    store, camp, _ = run_campaign(archive)
    exported = tmp_path / "台账.xlsx"
    export_clues(store, camp, exported)
    other = store.create("第二轮", "2022-03-25", "2022-06-30", CATEGORIES)
    store.add_units(other, [(u.name, u.kind) for u in store.units(camp)])
    ids = import_clues(store, other, exported, registrar="郭志刚")
    assert ids == [f"XS2022-{n:04d}" for n in range(7, 13)]
    got = [(c.source, c.received, c.unit, c.category, c.content, c.registrar, c.result)
           for c in list_clues(store, other)]
    assert got == [(s, r, u, cat, txt, "郭志刚", "") for s, r, u, cat, txt, _ in CLUES]

    wb = Workbook()
    ws = wb.active
    ws.append(["来源", "收到日期", "涉及单位", "问题类别", "问题描述", "登记人"])
    ws.append(["信箱", "2022-05-03", SCHOOLS[0], CATEGORIES[0], "补课", "米波"])
    ws.append(["信箱", "2022-05-03", "不存在的学校", CATEGORIES[0], "补课", "米波"])
    bad = tmp_path / "外来台账.xlsx"
    wb.save(bad)
    before = snapshot(archive)
    with pytest.raises(WenshuError, match="外来台账.xlsx 第 3 行：“不存在的学校”不在"):
        import_clues(store, other, bad)
    assert snapshot(archive) == before


def test_a_rectification_report_is_linked_but_closes_nothing(archive, tmp_path):
    from archive.filing import file_record
    from campaign.rectify import link_report, reports
    from tests.conftest import write_docx

    store, camp, _ = run_campaign(archive)
    first, second = items(store, camp, case_id="督2022-001")
    doc = write_docx(tmp_path / "整改报告.docx", ["高平市第一中学关于违规补课问题的整改报告", "2022年5月9日"])
    rec = file_record(archive, [(doc, "原件")], {"title": "高平市第一中学关于违规补课问题的整改报告",
                                                "date": "2022-05-09", "doc_type": "报告", "case": "督2022-001"})
    other = items(store, camp, case_id="督2022-002")[0]
    before = snapshot(archive)
    with pytest.raises(WenshuError, match="同一督办案件"):
        link_report(store, str(rec.archival_code), [first.id, other.id])
    with pytest.raises(WenshuError, match="没有编号为“ZG2099-0001”"):
        link_report(store, str(rec.archival_code), ["ZG2099-0001"])
    assert snapshot(archive) == before
    linked = link_report(store, str(rec.archival_code), [first.id, second.id])
    assert all(i.status == "open" for i in linked)
    assert reports(store, first.id) == [str(rec.archival_code)] == reports(store, second.id)
    assert len(overdue(store, camp, today=date(2022, 5, 20))) == 6  # a report is not a 复查


def test_rectification_ledger_xlsx(archive, tmp_path):
    from campaign.ledger import ITEM_COLUMNS, export_items

    store, camp, _ = run_campaign(archive)
    first = items(store, camp)[0]
    close_item(store, first.id, reviewer="秦剑锋", on="2022-05-09", note="现场复查")
    remind(store, items(store, camp)[1].id, by="米波", on="2022-05-11")
    path = tmp_path / "整改台账.xlsx"
    assert export_items(store, camp, path, today=date(2022, 5, 20)) == 6
    rows = [[c.value for c in r] for r in load_workbook(path).active.iter_rows(min_row=2)]
    assert tuple(rows[0]) == ITEM_COLUMNS
    assert rows[1][:3] == [first.id, "督2022-001", "XS2022-0001"] and rows[1][9:14] == ["已销号", "秦剑锋", "2022-05-09", None, None]
    assert rows[2][7:10] == ["5个工作日", "2022-05-10", "未销号"] and rows[2][12:] == ["10", "1"]
