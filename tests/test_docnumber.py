import csv
import json

import pytest

from archive.docnumber import DocNumber
from archive.errors import WenshuError
from tests.conftest import corpus_path


def test_canonical_form():
    assert str(DocNumber("高教字", 2022, 8)) == "高教字\u30142022\u30158号"


@pytest.mark.parametrize("typed", [
    "高教字〔2022〕8号", "高教字[2022]8号", "高教字【2022】8号", "高教字(2022)8号", "高教字（2022）8号",
    "高教字［2022］8号", "高教字﹝2022﹞8号", "高教字〔２０２２〕８号", "高教字〔2022〕8", "高教字〔2022〕第8号",
    " 高教字 [ 2022 ] 08 号 ", "高教字〔2022〕008号",
])
def test_parse_accepts_what_clerks_type(typed):
    assert DocNumber.parse(typed) == DocNumber("高教字", 2022, 8)


@pytest.mark.parametrize("bad", ["高教字〔22〕8号", "〔2022〕8号", "高教字2022 8号", "高教字〔2022〕号", "", "8号"])
def test_parse_rejects_malformed(bad):
    with pytest.raises(WenshuError, match="发文字号|机关代字"):
        DocNumber.parse(bad)


@pytest.mark.parametrize("year,seq,message", [
    ("22", 8, "四位"), (2022, "08", "前导零"), (2022, "第8", "第"), (2022, 0, "正整数"), (99, 1, "四位"),
])
def test_constructing_non_canonical_is_an_error(year, seq, message):
    with pytest.raises(WenshuError, match=message):
        DocNumber("高教字", year, seq)


def test_strict_parse_refuses_clerk_spellings():
    assert DocNumber.parse("高教字〔2022〕8号", strict=True) == DocNumber("高教字", 2022, 8)
    for bad in ("高教字[2022]8号", "高教字〔2022〕08号", "高教字〔2022〕第8号", "高教字〔22〕8号"):
        with pytest.raises(WenshuError):
            DocNumber.parse(bad, strict=True)


def test_normalize_keeps_other_shapes_comparable():
    assert DocNumber.normalize("劳社部发[2008]3号") == "劳社部发〔2008〕3号"
    assert DocNumber.normalize("国令第８４３号") == "国令第843号"
    assert DocNumber.normalize("国令 第843号") == DocNumber.normalize("国令第843号")


def test_find_all_in_running_text():
    text = "根据国办发〔2018〕128号和 教基〔2021〕3号 文件精神，现印发……"
    assert [str(n) for n in DocNumber.find_all(text)][-1] == "教基〔2021〕3号"


def test_every_real_govcn_number_round_trips():
    path = corpus_path("govcn-policy-2019", "ge_policy_raw20190217.jsonl")
    numbers = [json.loads(line)["doc_number"] for line in path.read_text(encoding="utf-8").splitlines()]
    shaped = [n for n in numbers if "〔" in n]
    assert len(shaped) >= 55
    for n in shaped:
        parsed = DocNumber.parse(n)
        assert str(parsed) == n
        assert DocNumber.parse(n.replace("〔", "[").replace("〕", "]")) == parsed
    # 令号 (国令第707号) are not 代字〔年〕N号 numbers and are reported as such, not mangled.
    for n in set(numbers) - set(shaped):
        with pytest.raises(WenshuError):
            DocNumber.parse(n)


def test_real_metadata_table_numbers():
    path = corpus_path("govcn-policy-metadata-sample", "policy_documents.head.csv")
    with path.open(encoding="utf-8") as f:
        codes = [row["pcode"] for row in csv.DictReader(f) if row["pcode"]]
    assert len(codes) >= 10
    for code in codes:
        if "〔" in code:
            assert str(DocNumber.parse(code)) == code


def test_spans_in_text_however_spelled():
    text = "根据高教督函〔2022〕7号要求，并转发晋市教字［２０２２］第１５号，高教督函[2022]17号另行通知。"
    dn = DocNumber.parse("高教督函〔2022〕7号")
    assert [text[a:b] for a, b in dn.spans_in(text)] == ["高教督函〔2022〕7号"]
    assert [text[a:b] for a, b in DocNumber.parse("晋市教字(2022)15").spans_in(text)] == ["晋市教字［２０２２］第１５号"]
    assert DocNumber.parse("教督函〔2022〕7号").spans_in(text) == [(3, 14)]
    assert DocNumber.parse("高教督函〔2021〕7号").spans_in(text) == []


@pytest.mark.parametrize("typed", ["国务院令第195号", "中华人民共和国国务院令第195号", "国令第195号", "国令195",
                                   "国务院令 第 １９５ 号", "国务院令195号"])
def test_an_order_number_in_every_spelling_is_one_number(typed):
    from archive.docnumber import OrderNumber

    assert DocNumber.parse_any(typed) == OrderNumber("国务院", 195)
    assert DocNumber.normalize(typed) == "国令第195号"  # as gov.cn and the 国务院公报 print it


def test_order_numbers_of_other_organs_and_joint_orders():
    from archive.docnumber import OrderNumber

    joint = DocNumber.parse_any("中华人民共和国国务院、中华人民共和国中央军事委员会第14号令")
    assert joint == OrderNumber("国务院、中央军事委员会", 14)
    assert str(joint) == "国务院、中央军事委员会令第14号"
    assert str(DocNumber.parse_any("公安部令第5号")) == "公安部令第5号"


def test_a_number_without_its_year_asks_for_every_year():
    from archive.docnumber import YearlessNumber, matches

    assert DocNumber.parse_any("高教字8号") == YearlessNumber("高教字", 8) == DocNumber.parse_any("高教字第８号")
    assert matches("高教字8号", DocNumber("高教字", 2021, 8)) and matches("高教字8号", DocNumber("高教字", 2022, 8))
    assert not matches("高教字8号", DocNumber("高教字", 2022, 18))
    assert matches("国务院令第707号", "国令第707号") and not matches("国务院令第70号", "国令第707号")
    for not_a_number in ("第3号", "195号", "8号", "高教字8"):
        with pytest.raises(WenshuError):
            DocNumber.parse_any(not_a_number)


def test_cited_numbers_in_running_text():
    text = ("1996年2月1日 中华人民共和国国务院令第195号发布；根据高教督函〔2022〕7号要求；"
            "1998年原国家工商行政管理局令第5号公布；法令2022年修订")
    keys = DocNumber.cited_keys(text)
    assert {"国令第195号", "高教督函〔2022〕7号", "高教督函〔〕7号", "国家工商行政管理局令第5号"} <= keys
    assert not any(k.startswith("法令") or k.endswith("令第2022号") for k in keys)  # 令 + a bare number is no 令号
