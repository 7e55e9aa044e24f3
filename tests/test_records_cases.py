"""Cases (案件): records of one supervision matter in date order, and which are overdue."""

from __future__ import annotations

import json
from datetime import date

from click.testing import CliRunner

from archive.cases import cases, get_case, overdue_cases
from archive.receive import receive
from tests.conftest import write_docx
from wenshu.cli import main

CASE = "督2022-003"


def _open_case(archive, tmp_path):
    clue = write_docx(tmp_path / "线索.docx", ["关于某培训机构违规开展学科类培训的举报", "有家长反映……", "2022年4月1日"])
    letter = write_docx(tmp_path / "督办函.docx", ["高平市教育局", "高教督函〔2022〕3号", "关于督促整改违规培训问题的督办函",
                                            "高平市某某培训学校：", "经查……请于2022年5月10日前整改到位。",
                                            "高平市教育局", "2022年4月20日"])
    notice = write_docx(tmp_path / "整改通知书.docx", ["高平市教育局", "高教整改〔2022〕1号", "关于某某培训学校的整改通知书",
                                               "高平市某某培训学校：", "限你单位于2022年5月31日前完成整改并书面报告。",
                                               "高平市教育局", "2022年5月12日"])
    receive(archive, [clue], {"责任者": "家长来信"}, case=CASE)
    receive(archive, [letter], {"时限": "2022-05-10"}, case=CASE)
    r = receive(archive, [notice], case=CASE)
    assert r.deadline == date(2022, 5, 31)  # read from "限你单位于2022年5月31日前完成整改"


def test_case_in_date_order_with_who_sent_what(archive, tmp_path):
    _open_case(archive, tmp_path)
    receive(archive, [write_docx(tmp_path / "other.docx", ["关于别的事的通知", "各校：", "高平市教育局", "2022年1月1日"])])
    (c,) = cases(archive)
    assert c.id == CASE and [r.doc_type for r in c.records] == ["", "督办函", "整改通知书"]
    assert [r.date for r in c.records] == [date(2022, 4, 1), date(2022, 4, 20), date(2022, 5, 12)]
    assert c.records[1].author == "高平市教育局" and c.records[1].recipients == ["高平市某某培训学校"]
    res = CliRunner().invoke(main, ["case", "show", CASE, "--as-of", "2022-06-15", "--archive", str(archive.root)])
    assert res.exit_code == 0
    assert "关于督促整改违规培训问题的督办函" in res.output and "高平市某某培训学校" in res.output
    assert "逾期：关于某某培训学校的整改通知书" in res.output and "已超过 15 天" in res.output


def test_overdue_until_a_report_comes_back(archive, tmp_path):
    _open_case(archive, tmp_path)
    assert overdue_cases(archive, date(2022, 5, 9)) == []  # nothing due yet
    (c, late), = overdue_cases(archive, date(2022, 6, 1))
    assert [o.record.doc_type for o in late] == ["督办函", "整改通知书"]
    assert late[1].days == 1

    # A report filed after the 督办函 but before the 整改通知书 answers only the first.
    receive(archive, [write_docx(tmp_path / "r1.docx", ["关于违规培训问题的情况报告", "高平市教育局：", "……",
                                                   "高平市某某培训学校", "2022年5月11日"])], case=CASE)
    (c, late), = overdue_cases(archive, date(2022, 6, 1))
    assert [o.record.doc_type for o in late] == ["整改通知书"]

    res = CliRunner().invoke(main, ["case", "overdue", "--as-of", "2022-06-01", "--json", "--archive", str(archive.root)])
    data = json.loads(res.output)
    assert data[0]["案件"] == CASE and data[0]["逾期"][0]["时限"] == "2022-05-31"

    receive(archive, [write_docx(tmp_path / "r2.docx", ["关于整改情况的整改报告", "高平市教育局：", "已整改。",
                                                   "高平市某某培训学校", "2022年6月5日"])], case=CASE)
    assert overdue_cases(archive, date(2022, 6, 10)) == []
    assert get_case(archive, CASE).records[-1].doc_type == "整改报告"
    res = CliRunner().invoke(main, ["case", "overdue", "--as-of", "2022-06-10", "--archive", str(archive.root)])
    assert res.exit_code == 0 and "没有逾期的案件" in res.output


def test_case_list_and_unknown_case(archive, tmp_path):
    _open_case(archive, tmp_path)
    res = CliRunner().invoke(main, ["case", "list", "--as-of", "2022-06-01", "--archive", str(archive.root)])
    assert CASE in res.output and "是" in res.output
    res = CliRunner().invoke(main, ["case", "show", "督2099-1", "--archive", str(archive.root)])
    assert res.exit_code == 1 and "没有编号为“督2099-1”的案件" in res.output and CASE in res.output
