"""Search finds what clerks type (issue 11): the misses measured through ``wenshu search`` on
the corpora filed as records, each on the real document it came from.

The archive holds, filed the way a clerk files them: the county's 双减 督查方案
(gaoping-shuangjian-2022, 高教字〔2022〕8号) and a batch of 42 teachers' pledges generated from
the pledge template (their clauses mention 住家家教); the regulation promulgated by 国务院令第195号
(lawrefbook-regulations, filed from its .md, read by the metadata reader); a notice citing that
令; a 高教字〔2021〕8号 from another year; a text that only says 1950年.
"""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest
from click.testing import CliRunner

from archive.receive import receive
from archive.store import Archive
from indexer.index import ArchiveIndex
from tests.pg_helpers import pg_cluster, search_engine, use_search_server, whoosh_only  # noqa: F401 — fixtures
from indexer.search import search
from tests.conftest import corpus_path, make_config, write_docx
from wenshu.cli import main

REGULATION = ("lawrefbook-regulations", "行政法规", "计算机信息网络国际联网管理暂行规定(1997-05-20).md")
PLAN = ("gaoping-shuangjian-2022", "高教字〔2022〕8号.txt")
PLAN_TITLE = "关于印发《“双减”政策落实督查专项行动方案》的通知"
PLEDGES = 42


@pytest.fixture(scope="module")
def clerk(tmp_path_factory, search_engine):  # noqa: F811 — on whoosh and on PostgreSQL
    from generator.batch import run_batch

    tmp = tmp_path_factory.mktemp("clerk")
    archive = Archive.init(tmp / "档案库", make_config())
    if search_engine:
        use_search_server(archive, search_engine)
    plan = receive(archive, [corpus_path(*PLAN)])
    regulation = receive(archive, [corpus_path(*REGULATION)])
    citing = receive(archive, [write_docx(tmp / "转发.docx", [
        "高平市教育局", "高教字〔2022〕20号", "关于加强校园网络接入管理的通知", "各中小学：",
        "根据《中华人民共和国计算机信息网络国际联网管理暂行规定》（国务院令第195号），现就校园网络接入提出如下要求。",
        "高平市教育局", "2022年9月5日"])])
    older = receive(archive, [write_docx(tmp / "旧.docx", [
        "高平市教育局", "高教字〔2021〕8号", "关于做好2021年秋季开学工作的通知", "各中小学：",
        "请做好秋季开学各项工作。", "高平市教育局", "2021年8月20日"])])
    history = receive(archive, [write_docx(tmp / "校史.docx", [
        "高平市第一中学", "关于编写校史的报告", "市教育局：", "我校创建于1950年，现拟编写校史。",
        "高平市第一中学", "2022年3月1日"])])
    roster = tmp / "名册.csv"
    with roster.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(("姓名", "学校", "学科"))
        w.writerows((f"教师{i:02d}", "高平市第一中学", "数学") for i in range(1, PLEDGES + 1))
    report = run_batch(archive, "pledge", roster, {
        "承诺条款": ["不组织、不参与有偿补课", "不以“住家家教”“众筹私教”等隐形变异方式违规补课"],
        "日期": "2022-09-01"}, workers=1)
    assert len(report.produced) == PLEDGES and not report.errors
    ai = ArchiveIndex(archive, notify=lambda m: None)
    ai.rebuild()
    yield archive, ai, {"plan": plan, "regulation": regulation, "citing": citing, "older": older,
                        "history": history}
    archive.close()


def codes(ai, text, **kw):
    return [h.code for h in search(ai, text, limit=60, **kw).hits]


def test_the_reader_takes_the_order_line_of_a_regulation(clerk):
    _archive, _ai, r = clerk
    reg = r["regulation"]
    assert str(reg.doc_number) == "国令第195号"  # 1996年2月1日 中华人民共和国国务院令第195号发布
    assert reg.date == date(1996, 2, 1) and reg.archival_code.year == 1996
    assert reg.title == "中华人民共和国计算机信息网络国际联网管理暂行规定"
    assert reg.author == "国务院" and reg.doc_type == "规定"


@pytest.mark.parametrize("typed", ["国务院令第195号", "中华人民共和国国务院令第195号", "国令第195号",
                                   "国务院令195号", "国务院令 第１９５号", "文号:国务院令第195号"])
def test_an_order_number_in_any_spelling_finds_the_regulation_then_who_cites_it(clerk, typed):
    _archive, ai, r = clerk
    found = codes(ai, typed)
    reg, citing = str(r["regulation"].archival_code), str(r["citing"].archival_code)
    assert found[0] == reg
    if not typed.startswith("文号:"):
        assert found[:2] == [reg, citing]  # the text that cites it comes next, not before


def test_an_order_number_is_marked_where_the_text_prints_it(clerk):
    _archive, ai, r = clerk
    hit = next(h for h in search(ai, "国务院令第195号").hits if h.code == str(r["citing"].archival_code))
    assert "<b>国务院令第195号</b>" in hit.snippet


def test_numbers_match_whole(clerk):
    _archive, ai, r = clerk
    found = codes(ai, "195号")
    assert str(r["regulation"].archival_code) in found
    assert str(r["history"].archival_code) not in found  # 1950年 does not hold the number 195
    assert codes(ai, "1950") == [str(r["history"].archival_code)]
    assert codes(ai, "５＋２") == codes(ai, "5+2")


def test_a_batch_of_pledges_does_not_bury_the_plan(clerk):
    _archive, ai, r = clerk
    res = search(ai, "住家家教", limit=60)
    assert res.hits[0].code == str(r["plan"].archival_code), [h.title for h in res.hits[:3]]
    assert res.total == PLEDGES + 1  # the pledges are still all there, after the 方案
    assert all(h.doctype == "承诺书" for h in res.hits[1:])
    # a pledge asked for by name still comes first: it is the only match
    assert [h.doctype for h in search(ai, "教师07 住家家教").hits] == ["承诺书"]


def test_minus_field_is_not_field(clerk):
    _archive, ai, r = clerk
    plan = str(r["plan"].archival_code)
    assert codes(ai, "住家家教 -类型:承诺书") == [plan]
    assert codes(ai, "住家家教 NOT 类型:承诺书") == [plan]
    assert len(codes(ai, "住家家教 -文种:承诺书 OR 有偿补课")) >= 1
    archive, _ai, _r = clerk  # and as typed on the command line, where -类型:… looks like an option
    res = CliRunner().invoke(main, ["search", "住家家教", "-类型:承诺书", "--json", "--archive", str(archive.root)])
    assert res.exit_code == 0, res.output
    assert [h["code"] for h in json.loads(res.output)["hits"]] == [plan]


def test_a_number_without_its_year_finds_that_number_in_every_year_first(clerk):
    _archive, ai, r = clerk
    found = codes(ai, "高教字8号")
    assert set(found[:2]) == {str(r["plan"].archival_code), str(r["older"].archival_code)}
    assert codes(ai, "高教字第８号")[:2] == found[:2]
    assert set(codes(ai, "文号:高教字8号")) == set(found[:2])


def test_show_takes_every_spelling_search_takes(clerk):
    archive, _ai, r = clerk

    def show(key):
        res = CliRunner().invoke(main, ["show", key, "--json", "--archive", str(archive.root)])
        return res.exit_code, (json.loads(res.output) if res.exit_code == 0 else res.output)

    for key in ("中华人民共和国国务院令第195号", "国务院令第195号", "国令195"):
        code, data = show(key)
        assert code == 0 and data["档号"] == str(r["regulation"].archival_code), (key, data)
    code, data = show("高教字20号")  # one document with that 代字 and number: shown
    assert code == 0 and data["档号"] == str(r["citing"].archival_code)
    code, out = show("高教字8号")  # two years: both named, the clerk picks one
    assert code != 0 and "2021" in out and "2022" in out and "对应多份文件" in out
    code, out = show("高教字99号")
    assert code != 0 and "没有档号或文号为“高教字99号”" in out


def test_a_name_padded_with_spaces_is_found(clerk):
    _archive, ai, r = clerk
    res = search(ai, "李斌")  # the 方案's list prints "副组长：李 斌"
    assert [h.code for h in res.hits] == [str(r["plan"].archival_code)]
    assert "<b>李 斌</b>" in res.hits[0].snippet


UNDATED = ("lawrefbook-regulations", "行政法规", "两用物项出口管制条例(2024-09-30).md")


def test_an_undated_received_document_is_marked_listed_and_resolved(archive):
    """A text with no date anywhere the reader looks (this regulation's history lines are
    missing in the corpus) is filed under the filing year with 日期待核, listed by check until
    ``wenshu edit --set 日期=…`` gives its date."""
    from archive.filing import UNDATED as MARK, find_record

    record = receive(archive, [corpus_path(*UNDATED)])
    assert record.date is None and record.archival_code.year == date.today().year
    assert "未能从文件中读出成文日期" in record.extra[MARK]
    assert "日期待核" in record.history[-1].detail

    def check():
        res = CliRunner().invoke(main, ["check", "--quick", "--json", "--archive", str(archive.root)])
        return res.exit_code, [p for p in json.loads(res.output)["问题"] if p["代码"] == "undated"]

    code, listed = check()
    assert code != 0 and [p["位置"] for p in listed] == [str(record.archival_code)]
    assert "--set 日期=" in listed[0]["说明"]

    res = CliRunner().invoke(main, ["edit", str(record.archival_code), "--set", "日期=2024-09-30",
                                    "--archive", str(archive.root)])
    assert res.exit_code == 0, res.output
    _folder, edited = find_record(archive, str(record.archival_code))
    assert edited.date == date(2024, 9, 30) and MARK not in edited.extra
    assert check() == (0, [])


def test_a_dated_received_document_carries_no_mark(archive):
    from archive.filing import UNDATED as MARK

    record = receive(archive, [corpus_path(*REGULATION)])
    assert record.date == date(1996, 2, 1) and MARK not in record.extra
