"""The one table of 著录项 (archive/elements.py): complete, unambiguous, and its splitter and date
parser give the same answer wherever a value comes from — typed, generated or read back."""

from __future__ import annotations

import dataclasses
import re
import shutil
from datetime import date

import pytest
import yaml
from click.testing import CliRunner

from archive import elements
from archive.elements import ELEMENTS, find_dates, parse_date, split_names
from archive.filing import find_record, iter_records
from archive.record import Record
from archive.store import Archive
from tests.conftest import corpus_path, make_config
from tests.generator_helpers import NOTICE
from wenshu.cli import main

# Record attributes that are not 著录项: the files, the history and what filing records about them.
NOT_ELEMENTS = {"archival_code", "files", "history", "final", "withdrawal", "source", "template", "extra"}


def test_every_record_attribute_with_a_element_has_exactly_one_entry():
    attrs = [f.name for f in dataclasses.fields(Record)]
    table = [e.attr for e in ELEMENTS if e.attr]
    assert sorted(table) == sorted(set(table)), "an attribute is in the table twice"
    assert set(attrs) - NOT_ELEMENTS == set(table)


def test_names_and_aliases_are_unique_and_record_json_keys_round_trip(tmp_path):
    names = [n for e in ELEMENTS for n in (e.name, *e.aliases)]
    assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
    keys = [e.key for e in ELEMENTS if e.key]
    assert len(keys) == len(set(keys))
    # every record.json key of an attribute element is what Record writes
    written = Record.from_json({"档号": "A001-WS·2022-D30-0001", "题名": "x", "原档号": "Z1-WS·2021-Y-0001"}).to_json()
    assert {e.key for e in ELEMENTS if e.attr} <= set(written)


def test_record_json_is_the_element_table_a_new_element_needs_no_record_code():
    """Each attribute 著录项 is written under its table key and read back into its attribute: the
    record.json mapping is the table, so a row added to it is stored and loaded without more code."""
    from datetime import date

    from archive.archival_code import ArchivalCode
    from archive.docnumber import DocNumber

    values = {"title": "关于开展校园安全检查的通知", "doc_number": DocNumber.parse("高教发〔2022〕12号"),
              "author": "高平市教育局", "date": date(2022, 3, 4), "doc_type": "通知", "classification": "秘密",
              "pages": 3, "recipients": ["各中小学、幼儿园"], "cc": ["县财政局"], "keywords": ["安全"],
              "case": "督2022-003", "deadline": date(2022, 4, 1), "origin": "收文",
              "relations": [{"文号": "高教发〔2021〕3号", "关系": "依据"}], "original_code": "Z1-WS·2021-Y-0001"}
    assert set(values) == {e.attr for e in ELEMENTS if e.attr}, "a new element needs a value here"
    record = Record(archival_code=ArchivalCode.parse("A001-WS·2022-D30-0001"), **values)
    written = record.to_json()
    for e in ELEMENTS:
        if e.attr:
            v = values[e.attr]
            expect = v.isoformat() if isinstance(v, date) else str(v) if isinstance(v, DocNumber) else v
            assert written[e.key] == expect, e.name
    back = Record.from_json(written)
    assert {a: getattr(back, a) for a in values} == values
    # an empty 原档号 is not written (issued records' record.json unchanged), absent keys keep defaults
    plain = Record.from_json({"档号": "A001-WS·2022-D30-0002", "题名": "x"})
    assert "原档号" not in plain.to_json() and plain.origin == "发文" and plain.date is None


def test_query_fields_cover_what_the_search_language_names():
    for name in ("文号", "发文字号", "题名", "机关", "文种", "类型", "年度", "日期", "保管期限", "密级", "案件",
                 "档号", "原档号", "状态", "正文", "docnum", "type"):
        assert name in elements.QUERY_FIELDS, name


@pytest.mark.parametrize("typed,names", [
    ("各中小学、幼儿园", ["各中小学、幼儿园"]),  # 、 joins organs of one kind (GB/T 9704)
    ("各乡镇中心学校，市直各学校", ["各乡镇中心学校", "市直各学校"]),
    ("各中小学,各幼儿园；县教育局", ["各中小学", "各幼儿园", "县教育局"]),
    ("各省、自治区、直辖市人民政府，国务院各部委、各直属机构：", ["各省、自治区、直辖市人民政府", "国务院各部委、各直属机构"]),
    ("李  斌", ["李斌"]),  # padding for alignment is not part of a name
    ("各中小学（含民办、公办）", ["各中小学（含民办、公办）"]),
    (["县教育局，县财政局", "县公安局"], ["县教育局", "县财政局", "县公安局"]),
    ("", []),
])
def test_the_name_splitter(typed, names):
    assert split_names(typed) == names


def test_joint_issuers_of_one_author():
    assert elements.split_issuers("高平市教育局、高平市财政局") == ["高平市教育局", "高平市财政局"]
    assert elements.split_issuers("") == []


def test_a_recipient_list_is_the_same_generated_and_received(tmp_path):
    """``wenshu new`` with 主送 各中小学、幼儿园, then the same .docx through ``wenshu file`` into
    another archive: both records say the same 主送 (and 抄送)."""
    issuer = Archive.init(tmp_path / "发文库", make_config())
    receiver = Archive.init(tmp_path / "收文库", make_config())
    data = tmp_path / "notice.yaml"
    values = {**NOTICE, "主送机关": "各中小学、幼儿园", "抄送机关": "晋城市教育局，高平市人民政府办公室"}
    data.write_text(yaml.safe_dump(values, allow_unicode=True), encoding="utf-8")
    r = CliRunner().invoke(main, ["new", "notice", "--data", str(data), "--archive", str(issuer.root)])
    assert r.exit_code == 0, r.output
    (folder, generated), = iter_records(issuer)
    assert generated.recipients == ["各中小学、幼儿园"]
    docx = next(p for p in folder.iterdir() if p.suffix == ".docx")
    copy = shutil.copy(docx, tmp_path / "收到的通知.docx")
    r = CliRunner().invoke(main, ["file", str(copy), "--archive", str(receiver.root)])
    assert r.exit_code == 0, r.output
    (_, received), = iter_records(receiver)
    assert received.recipients == generated.recipients
    assert received.cc == ["晋城市教育局", "高平市人民政府办公室"]
    # and a clerk typing the same line with --set gets the same list again
    r = CliRunner().invoke(main, ["edit", str(received.archival_code), "--set", "主送=各中小学、幼儿园",
                                  "--set", "题名=改题名", "--archive", str(receiver.root)])
    assert r.exit_code == 0, r.output
    assert find_record(receiver, str(received.archival_code))[1].recipients == ["各中小学、幼儿园"]
    issuer.close()
    receiver.close()


@pytest.mark.parametrize("text", ["2022年3月1日", "2022 年 3 月 1 日", "二〇二二年三月一日", "2022-03-01", "2022-3-1",
                                  "2022.3.1", "2022/03/01", "20220301", "２０２２年３月１日", "2022年03月01日"])
def test_the_date_parser_reads_every_spelling(text):
    assert parse_date(text) == date(2022, 3, 1)


@pytest.mark.parametrize("text", ["二〇二二年十二月三十一日", "2022年12月31日"])
def test_tens_in_chinese_numerals(text):
    assert parse_date(text) == date(2022, 12, 31)


@pytest.mark.parametrize("text", ["2022年2月30日", "2022-13-01", "三月一日", "2022", "", "高教字〔2022〕1号"])
def test_the_date_parser_refuses_what_is_no_date(text):
    assert parse_date(text) is None


def test_generated_and_typed_dates_go_through_the_one_parser():
    from generator.form_fields import parse_date as form_date

    assert form_date("二〇二二年三月一日") == form_date("2022.3.1") == date(2022, 3, 1)


def test_dates_in_the_real_corpora():
    """Every 成文日期 spelled in the real texts is read; the 令 promulgation line included."""
    root = corpus_path()
    seen = 0
    for name in ("gaoping-shuangjian-2022", "lawrefbook-regulations"):
        for path in sorted((root / name).rglob("*.txt"))[:40] + sorted((root / name).rglob("*.md"))[:40]:
            text = path.read_text(encoding="utf-8", errors="replace")
            spelled = re.findall(r"(?<!\d)((?:19|20)\d{2}年\d{1,2}月\d{1,2}日)", text)
            found = {d for _, d in find_dates(text)}
            for s in spelled:
                y, m, d = map(int, re.findall(r"\d+", s))
                try:
                    want = date(y, m, d)
                except ValueError:
                    continue
                assert want in found, (path.name, s)
                assert parse_date(s) == want
                seen += 1
    assert seen > 20
    assert find_dates("1996年2月1日 中华人民共和国国务院令第195号发布")[0][1] == date(1996, 2, 1)
