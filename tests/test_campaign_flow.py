"""One campaign end to end (issue 16): clues → 核查 → 督办 cases with their generated 督办函 and
整改通知书 (时限 over 劳动节) → 整改报告 → 复查销号 / overdue and 催办 → the 督查报告, whose every
figure must equal what this test counts from the records."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from openpyxl import load_workbook

from archive.cases import get_case
from archive.errors import WenshuError
from archive.filing import file_record, find_record
from campaign.clues import add_clue, list_clues, verify_clue
from campaign.letters import case_letters, issue_letters, remind_by_letter
from campaign.rectify import cases, close_item, items, link_report, overdue, remind
from campaign.store import CampaignStore
from tests.conftest import write_docx
from tests.test_campaign import CATEGORIES, snapshot
from wenshu.campaign_docs import maker, report
from wenshu.cli import main

A, B = "高平市第一中学", "高平市北诗中学"
AS_OF = date(2022, 5, 20)
CLUES = [  # (source, received, unit, category, content, founded)
    ("举报电话", "2022-04-18", A, CATEGORIES[0], "数学教师张某在住所开展有偿补课", True),
    ("举报电话", "2022-04-20", B, CATEGORIES[1], "初二年级作业量过大", True),
    ("调查问卷", "2022-04-22", A, CATEGORIES[2], "课后服务只安排自习", False),
    ("调查问卷", "2022-04-22", B, CATEGORIES[2], "课后服务结束时间早于下班时间", False),
    ("教师座谈", "2022-04-25", A, CATEGORIES[1], "周末布置大量书面作业", True),
    ("教师座谈", "2022-04-26", B, CATEGORIES[1], "强制学生购买教辅", False),
]


def docx_text(path: Path) -> str:
    d = Document(str(path))
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


def record_docx(archive, number: str) -> Path:
    where, record = find_record(archive, number)
    folder = where if where.is_dir() else where.parent
    (docx,) = [p for p in folder.iterdir() if p.suffix == ".docx"]
    return docx


@pytest.fixture
def campaign_run(archive, tmp_path):
    store = CampaignStore(archive)
    camp = store.create("“双减”政策落实督查专项行动", "2022-03-25", "2022-06-30", CATEGORIES,
                        phases=[("学校自查", "2022-03-25", "2022-04-15"), ("县级核查", "2022-04-16", "2022-06-15")])
    store.add_units(camp, [(A, "学校"), (B, "学校")])
    make = maker(archive)  # the real generator: numbered, rendered, filed, indexed
    ids = [add_clue(store, camp, source=s, received=r, unit=u, category=c, content=t, registrar="米波").id
           for s, r, u, c, t, _ in CLUES]
    for cid, (*_, founded) in zip(ids, CLUES):
        if not founded:
            verify_clue(store, cid, verifier="田文喜", on="2022-04-29", result="不属实")
    # two founded clues, one per school, issued on 2022-04-29 with 5 working days (over 劳动节)
    verify_clue(store, ids[0], verifier="田文喜", on="2022-04-29", result="属实", problems=["立即停止有偿补课"],
                person="校长", workdays=5)
    verify_clue(store, ids[1], verifier="田文喜", on="2022-04-29", result="属实", problems=["压减初二作业总量"],
                person="校长", workdays=5)
    letters = {k.id: issue_letters(store, camp, k.id, on="2022-04-29", report_to="高平市教育局教育督导室",
                                 make=make)
               for k in cases(store, camp)}
    # both schools report back; A's item is reviewed and closed, which closes A's case
    for n, (unit, item) in enumerate(((A, items(store, camp)[0]), (B, items(store, camp)[1])), 1):
        src = write_docx(tmp_path / f"整改报告{n}.docx", [f"{unit}关于整改情况的报告", "已整改。"])
        rec = file_record(archive, [(src, "原件")], {"title": f"{unit}关于整改情况的报告", "date": "2022-05-09",
                                                    "doc_type": "报告", "author": unit, "case": item.case_id})
        link_report(store, str(rec.archival_code), [item.id])
    photo = tmp_path / "复查照片.jpg"
    photo.write_bytes(b"\xff\xd8 photo of the classroom")
    close_item(store, items(store, camp)[0].id, reviewer="秦剑锋", on="2022-05-12", note="现场复查，已停止补课",
               files=[photo])
    # the third founded clue is against A again: A's case is closed, so it opens a new one
    verify_clue(store, ids[4], verifier="田文喜", on="2022-05-16", result="属实", problems=["建立作业公示制度"],
                person="教务主任", workdays=15)
    third = [k for k in cases(store, camp) if k.id not in letters][0]
    letters[third.id] = issue_letters(store, camp, third.id, on="2022-05-16", report_to="高平市教育局教育督导室",
                                      make=make)
    remind(store, items(store, camp)[1].id, by="米波", on="2022-05-13", way="电话", note="电话催报")
    remind_by_letter(store, items(store, camp)[1].id, by="米波", on="2022-05-17", report_to="高平市教育局教育督导室",
                     make=make)
    return store, camp, ids, letters


def test_three_founded_clues_give_three_cases_each_with_letter_and_notice(archive, campaign_run):
    store, camp, ids, letters = campaign_run
    assert {c.source for c in list_clues(store, camp)} == {"举报电话", "调查问卷", "教师座谈"}
    assert len(list_clues(store, camp, result="属实")) == 3
    assert [k.id for k in cases(store, camp)] == ["督2022-001", "督2022-002", "督2022-003"]
    assert [k.unit for k in cases(store, camp)] == [A, B, A]
    first = items(store, camp)[0]
    assert (first.issued, first.workdays, first.deadline) == ("2022-04-29", 5, "2022-05-10")
    for case_id, sent in letters.items():
        assert [d.kind for d in sent] == ["督办函", "整改通知书"]
        timeline = {str(r.archival_code) for r in get_case(archive, case_id).records}
        assert {d.archival_code for d in sent} <= timeline  # filed into the case
        assert [d.number for d in case_letters(store, case_id)][:2] == [d.number for d in sent]
    letter, notice = (docx_text(record_docx(archive, d.number)) for d in letters["督2022-001"])
    for t in (letter, notice):
        assert A in t and "立即停止有偿补课" in t and "5个工作日" in t and "2022年5月10日" in t
    assert letters["督2022-001"][0].number in notice  # the notice names the 督办函 it follows
    third = docx_text(record_docx(archive, letters["督2022-003"][1].number))
    assert "15个工作日" in third and "建立作业公示制度" in third and "立即停止有偿补课" not in third


def test_overdue_reminders_and_closing(archive, campaign_run):
    store, camp, _, letters = campaign_run
    late = overdue(store, camp, AS_OF)
    assert [(i.unit, d, i.reminders) for i, d in late] == [(B, 10, 2)]
    assert [d.kind for d in case_letters(store, "督2022-002")] == ["督办函", "整改通知书", "催办函"]
    assert [k.status for k in cases(store, camp)] == ["closed", "open", "open"]


def test_report_states_what_the_records_say(archive, campaign_run, tmp_path):
    store, camp, _, _ = campaign_run
    r, _ = report(store, camp, tmp_path / "报告", as_of=AS_OF, signer="张三", number="高教字〔2022〕20号")
    text = docx_text(r.docx)
    # counted here from the records, independently of campaign.report
    clues, all_items, all_cases = list_clues(store, camp), items(store, camp), cases(store, camp)
    src, res = Counter(c.source for c in clues), Counter(c.result for c in clues)
    closed = sum(i.status == "closed" for i in all_items)
    late = overdue(store, camp, AS_OF)
    assert f"共受理问题线索{len(clues)}条，其中举报电话{src['举报电话']}条、调查问卷{src['调查问卷']}条、" \
           f"教师座谈{src['教师座谈']}条" in text
    assert f"核查结果为属实{res['属实']}条、不属实{res['不属实']}条" in text
    assert f"共立督办案件{len(all_cases)}件，下发整改事项{len(all_items)}项" in text
    assert f"收到整改报告涉及整改事项2项；经复查销号{closed}项，整改完成率{100 * closed / len(all_items):.1f}%" in text
    assert f"已销号案件{sum(k.status == 'closed' for k in all_cases)}件，未销号" \
           f"{sum(k.status == 'open' for k in all_cases)}件" in text
    assert f"逾期未完成整改事项{len(late)}项，累计催办{sum(i.reminders for i in all_items)}次" in text
    assert f"“压减初二作业总量”（{late[0][0].id}，逾期{late[0][1]}天，催办2次）" in text
    assert "签发人：张三" in text and "晋城市教育局：" in text and "高教字〔2022〕20号" in text
    # table 1 rows: category, clues, founded
    d = Document(str(r.docx))
    by_head = {t.rows[0].cells[0].text: [[c.text for c in row.cells] for row in t.rows[1:]] for t in d.tables}
    rows = by_head["督查内容"]
    for cat in CATEGORIES:
        n = sum(c.category == cat for c in clues)
        f = sum(c.category == cat and c.result == "属实" for c in clues)
        assert [cat, str(n), str(f)] in rows
    assert rows[-1] == ["合计", str(len(clues)), str(res["属实"])]
    late_ids = {i.case_id for i, _ in late}
    assert by_head["督办案件"][:-1] == [
        [k.id, k.unit, str(sum(i.case_id == k.id for i in all_items)),
         str(sum(i.case_id == k.id and i.status == "closed" for i in all_items)),
         str(sum(i.case_id == k.id for i, _ in late)),
         "已销号" if k.status == "closed" else ("逾期" if k.id in late_ids else "整改中")] for k in all_cases]
    assert len(d.inline_shapes) == 1  # the chart
    # the ledgers as .xlsx, one row per clue / item under title and header
    names = [p.name for p in r.ledgers]
    assert names[:2] == ["线索台账.xlsx", "整改台账.xlsx"]
    ws = load_workbook(r.ledgers[0]).worksheets[0]
    assert sum(1 for row in ws.iter_rows(values_only=True) if row[0] and re.match(r"XS2022-\d{4}", str(row[0]))) == 6


def test_report_cli(archive, campaign_run, tmp_path):
    out = tmp_path / "cli"
    r = CliRunner().invoke(main, ["campaign", "report", "--out", str(out), "--as-of", "2022-05-20",
                                  "--signer", "张三", "--archive", str(archive.root)])
    assert r.exit_code == 0, r.output
    assert "整改事项 3 项（已销号 1，完成率 33.3%，逾期 1）" in r.output
    assert (out / "督查报告.docx").exists()


def test_clue_for_unit_out_of_scope_is_refused_naming_the_units(archive, campaign_run):
    store, camp, _, _ = campaign_run
    before = snapshot(archive)
    with pytest.raises(WenshuError) as e:
        add_clue(store, camp, source="信箱", received="2022-05-18", unit="高平市第九中学", category=CATEGORIES[0],
                 content="有偿补课", registrar="米波")
    assert "不在专项行动" in str(e.value) and A in str(e.value) and B in str(e.value)
    assert snapshot(archive) == before


def test_close_without_review_evidence_changes_nothing(archive, campaign_run):
    store, camp, _, _ = campaign_run
    item = items(store, camp, status="open")[0]
    before = snapshot(archive)
    with pytest.raises(WenshuError, match="缺少复查证据.*销号必须经复查，未做任何更改"):
        close_item(store, item.id, reviewer="秦剑锋", on="2022-05-19")
    r = CliRunner().invoke(main, ["rectify", "close", item.id, "--by", "秦剑锋", "--date", "2022-05-19",
                                  "--archive", str(archive.root)])
    assert r.exit_code != 0 and "缺少复查证据" in r.output
    assert snapshot(archive) == before


def test_case_id_never_joins_a_case_filed_by_hand(archive, tmp_path):
    # the archive already has records in case 督2022-001 (filed before the campaign existed)
    src = write_docx(tmp_path / "举报.docx", ["关于某培训学校的举报", "周末组织学科类培训"])
    file_record(archive, [(src, "原件")], {"title": "关于某培训学校的举报", "date": "2022-03-20", "doc_type": "线索",
                                          "author": "家长来信", "case": "督2022-001"})
    store = CampaignStore(archive)
    camp = store.create("“双减”政策落实督查专项行动", "2022-03-25", "2022-06-30", CATEGORIES)
    store.add_units(camp, [(A, "学校")])
    clue = add_clue(store, camp, source="信箱", received="2022-04-18", unit=A, category=CATEGORIES[0],
                    content="有偿补课", registrar="米波")
    verify_clue(store, clue.id, verifier="田文喜", on="2022-04-29", result="属实", workdays=5)
    assert [k.id for k in cases(store, camp)] == ["督2022-002"]
    assert [r.title for r in get_case(archive, "督2022-001").records] == ["关于某培训学校的举报"]
