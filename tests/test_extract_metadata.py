"""read_metadata: the positions of a 公文 read from plain text, in the spellings offices really use."""

from __future__ import annotations

from datetime import date

import pytest

from archive.metadata import doc_type_of, find_dates, parse_date, read_metadata


@pytest.mark.parametrize("text,expected", [
    ("2022年3月25日", date(2022, 3, 25)),
    ("2022年03月05日", date(2022, 3, 5)),
    ("二〇二二年三月二十五日", date(2022, 3, 25)),
    ("二○二二年十二月三十一日", date(2022, 12, 31)),
    ("二〇二二年十月十日", date(2022, 10, 10)),
    ("二〇二二年一月二十日", date(2022, 1, 20)),
    ("2022-03-25", date(2022, 3, 25)),
    ("２０２２年３月２５日", date(2022, 3, 25)),
    ("2022 年 3 月 25 日", date(2022, 3, 25)),
    ("2022年2月30日", None),
    ("三月二十五日", None),
])
def test_dates(text, expected):
    assert parse_date(text) == expected


def test_find_dates_positions():
    assert [d for _, d in find_dates("自2019年1月1日起至二〇一九年十二月三十一日止")] == [date(2019, 1, 1), date(2019, 12, 31)]


COUNTY_NOTICE = """高平市教育局文件
高教字［２０２２］第8号
关于做好二〇二二年寒假
安全工作的通知
各中小学、幼儿园：
为切实做好寒假期间安全工作，现将有关事项通知如下。
一、高度重视。
请于2022年1月15日前报送。
高平市教育局
二〇二二年一月十日
（此件公开发布）
抄送：晋城市教育局，高平市人民政府办公室。
高平市教育局办公室　　　　　　　　2022年1月10日印发
"""


def test_red_header_notice_in_clerk_spelling():
    m = read_metadata(COUNTY_NOTICE)
    assert m.doc_number == "高教字〔2022〕8号"  # full-width digits, [] and 第 normalised
    assert m.title == "关于做好二〇二二年寒假安全工作的通知"
    assert m.author == "高平市教育局"
    assert m.date == date(2022, 1, 10)  # the signature date, not the deadline in the body
    assert m.recipients == ["各中小学、幼儿园"]
    assert m.cc == ["晋城市教育局", "高平市人民政府办公室"]
    assert m.doc_type == "通知"


def test_upward_report_with_signer_and_joint_issuers():
    m = read_metadata("高平市教育局\n高平市财政局文件\n高教字〔2022〕12号　　　　签发人：王某某\n"
                      "关于2022年校舍维修经费的请示\n晋城市教育局：\n现将有关情况请示如下。\n妥否，请批示。\n"
                      "高平市教育局　高平市财政局\n2022年5月6日\n")
    assert m.doc_number == "高教字〔2022〕12号"
    assert m.title == "关于2022年校舍维修经费的请示"
    assert m.doc_type == "请示"
    assert m.author == "高平市教育局、高平市财政局"
    assert m.date == date(2022, 5, 6)


def test_letter_head_without_recipient_line_and_report_without_number():
    m = read_metadata("高平市第一中学\n关于校外培训问题的\n整改报告\n我校收到整改通知后，立即开展整改。\n"
                      "特此报告。\n高平市第一中学\n2022年6月20日")
    assert m.doc_number == ""
    assert m.title == "关于校外培训问题的整改报告"
    assert m.doc_type == "整改报告"
    assert m.author == "高平市第一中学"
    assert m.date == date(2022, 6, 20)


def test_number_mentioned_in_the_body_is_not_the_documents_number():
    m = read_metadata("关于转发省教育厅通知的通知\n各学校：\n现将《关于…的通知》（晋教基〔2022〕3号）转发给你们。\n"
                      "高平市教育局\n2022年3月1日")
    assert m.doc_number == ""
    assert m.title == "关于转发省教育厅通知的通知"


def test_nothing_is_guessed_from_nothing():
    m = read_metadata("")
    assert m.to_fields() == {}
    m = read_metadata("随便写的几句话，没有任何公文格式。")
    assert m.doc_number == "" and m.date is None and m.author == ""


@pytest.mark.parametrize("title,kind", [
    ("关于印发《实施方案》的通知", "通知"), ("关于某某问题的复函", "函"), ("关于加强管理的指导意见", "意见"),
    ("关于某校的整改通知书", "整改通知书"), ("关于某校整改情况的报告", "报告"), ("专题会议纪要", "纪要"),
    ("校外培训机构管理办法（试行）", "办法"), ("随便", ""),
])
def test_doc_types(title, kind):
    assert doc_type_of(title) == kind


def test_title_without_number_or_recipient_stops_before_the_body():
    m = read_metadata("关于某某培训学校违规开展学科类培训的举报\n有家长反映……\n2022年4月1日")
    assert m.title == "关于某某培训学校违规开展学科类培训的举报"
    assert m.date == date(2022, 4, 1)


def test_deadline_of_a_rectification_notice():
    m = read_metadata("高平市教育局\n高教整改〔2022〕1号\n关于某某培训学校的整改通知书\n高平市某某培训学校：\n"
                      "经查，你校存在违规培训问题。限你单位于2022年5月31日前完成整改并书面报告。\n"
                      "高平市教育局\n2022年5月12日")
    assert m.doc_type == "整改通知书" and m.deadline == date(2022, 5, 31) and m.date == date(2022, 5, 12)
    letter = read_metadata("高平市教育局\n高教督函〔2022〕3号\n关于督促整改的督办函\n某校：\n请在二〇二二年五月十日之前整改。\n"
                           "高平市教育局\n2022年4月20日")
    assert letter.deadline == date(2022, 5, 10)
    limited = read_metadata("高平市教育局文件\n高教整改〔2022〕2号\n关于启航培训学校限期整改的通知\n高平市启航培训学校：\n"
                            "请于2022年4月30日前整改完毕，并报送整改报告。\n高平市教育局\n2022年4月6日")
    assert limited.doc_type == "通知" and limited.deadline == date(2022, 4, 30)
    # an ordinary notice's "于…前报送" is not a 整改时限
    assert read_metadata(COUNTY_NOTICE).deadline is None


def _regulation(name):
    from tests.conftest import corpus_path

    return read_metadata(corpus_path("lawrefbook-regulations", "行政法规", name).read_text(encoding="utf-8"))


def test_the_promulgation_line_of_a_regulation_gives_its_order_number_and_date():
    m = _regulation("计算机信息网络国际联网管理暂行规定(1997-05-20).md")  # 1996年2月1日 中华人民共和国国务院令第195号发布
    assert (m.doc_number, m.date, m.author) == ("国令第195号", date(1996, 2, 1), "国务院")
    assert m.title == "中华人民共和国计算机信息网络国际联网管理暂行规定" and m.doc_type == "规定"


def test_a_revised_regulation_is_the_version_of_its_last_order():
    m = _regulation("公安机关督察条例(2011-08-31).md")  # 1997 令第220号发布 … 2011年8月31日 令第603号公布, 施行 later
    assert (m.doc_number, m.date, m.title) == ("国令第603号", date(2011, 8, 31), "公安机关督察条例")
    joint = _regulation("民兵工作条例(2011-01-08).md")
    assert joint.doc_number == "国务院、中央军事委员会令第71号" and joint.author == "国务院、中央军事委员会"
    unnumbered = _regulation("外资企业法实施细则(2014-02-19).md")  # 发布 by a ministry, no 令号, then 修订
    assert (unnumbered.doc_number, unnumbered.author, unnumbered.date) == ("", "对外经济贸易部", date(2001, 4, 12))
