"""wenshu file / show / list / edit through the CLI, as a clerk uses them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from docx import Document

from archive.errors import WenshuError
from archive.editing import edit_record
from archive.filing import find_record, iter_records
from archive.registry import VOID
from tests.conftest import write_docx
from wenshu.cli import main

CITY_NOTICE = ["晋城市教育局文件", "晋市教字〔2022〕15号", "关于进一步规范校外培训", "机构管理的通知",
               "各县（市、区）教育局：", "为进一步规范校外培训机构管理，现就有关事项通知如下。",
               "晋城市教育局", "2022年3月10日", "抄送：晋城市人民政府办公室。"]


def run(archive, *args):
    result = CliRunner().invoke(main, [*args, "--archive", str(archive.root)])
    return result


def _snapshot(archive):
    files = sorted(str(p.relative_to(archive.root)) for p in archive.root.rglob("*")
                   if ".wenshu" not in p.parts or p.parent.name == "staging")
    return files, [(e.series, e.year, e.seq, e.status) for e in archive.registry.entries(kind="all")]


def test_file_show_list(archive, tmp_path):
    p = write_docx(tmp_path / "市局通知.docx", CITY_NOTICE)
    res = run(archive, "file", str(p), "--set", "关键词=校外培训、规范管理")
    assert res.exit_code == 0, res.output
    assert "已归档：A001-WS·2022-D30-0001　关于进一步规范校外培训机构管理的通知　晋市教字〔2022〕15号" in res.output
    res = run(archive, "show", "晋市教字[2022]15号")
    assert res.exit_code == 0
    for expected in ("档号：A001-WS·2022-D30-0001", "责任者：晋城市教育局", "日期：2022-03-10", "文种：通知",
                     "主送：各县（市、区）教育局", "抄送：晋城市人民政府办公室", "关键词：校外培训、规范管理",
                     "来源：收文", "市局通知.docx（原件", "收文归档"):
        assert expected in res.output
    data = json.loads(run(archive, "show", "A001-WS·2022-D30-0001", "--json").output)
    assert data["文号组成"] == {"机关代字": "晋市教字", "年份": 2022, "顺序号": 15}
    assert data["路径"].endswith("A001-WS·2022-D30-0001 关于进一步规范校外培训机构管理的通知")
    res = run(archive, "list", "--year", "2022", "--type", "通知", "--json")
    assert [r["档号"] for r in json.loads(res.output)] == ["A001-WS·2022-D30-0001"]
    assert json.loads(run(archive, "list", "--type", "函", "--json").output) == []
    assert "20220310" in run(archive, "list").output
    res = run(archive, "show", "晋市教字〔2022〕16号")
    assert res.exit_code == 1 and "没有档号或文号为“晋市教字〔2022〕16号”" in res.output


def test_set_overrides_what_was_read_and_case_retention_org(archive, tmp_path):
    p = write_docx(tmp_path / "线索.docx", ["群众来信", "反映某培训机构在学科类培训。"])
    res = run(archive, "file", str(p), "--retention", "D10", "--case", "督2022-01",
              "--set", "题名=关于某培训机构违规培训的举报", "--set", "日期=二〇二二年四月一日",
              "--set", "责任者=群众来信", "--set", "文种=线索", "--set", "时限=2022-04-15",
              "--set", "机构=JJK")
    assert res.exit_code == 0, res.output
    assert "（群众来信，2022-04-01）" in res.output
    assert "未能从文件中读出文号；如需补充：wenshu edit A001-WS·2022-D10-JJK-0001 --set 文号=…" in res.output
    _, r = find_record(archive, "A001-WS·2022-D10-JJK-0001")
    assert (r.title, r.date.isoformat(), r.author, r.doc_type, r.case, r.deadline.isoformat()) == (
        "关于某培训机构违规培训的举报", "2022-04-01", "群众来信", "线索", "督2022-01", "2022-04-15")
    assert "人工指定：题名、日期、责任者、文种、时限、机构" in r.history[0].detail


def test_several_files_each_its_own_record_and_one_failure_does_not_stop_the_others(archive, tmp_path):
    a = write_docx(tmp_path / "a.docx", CITY_NOTICE)
    (tmp_path / "坏.docx").write_bytes(b"PK\x03\x04broken")
    b = write_docx(tmp_path / "b.docx", ["关于召开会议的通知", "各校：", "定于明天开会。", "高平市教育局", "2022年4月2日"])
    res = run(archive, "file", str(a), str(tmp_path / "坏.docx"), str(b))
    assert res.exit_code == 1
    assert "坏.docx 不是有效的 Word 文档" in res.output and "1 份文件未归档" in res.output
    assert sorted(r.title for _, r in iter_records(archive)) == ["关于召开会议的通知", "关于进一步规范校外培训机构管理的通知"]
    assert not archive.registry.gaps(kind="item")  # the broken one never took a 件号


def test_one_record_from_several_files(archive, tmp_path):
    a = write_docx(tmp_path / "通知.docx", CITY_NOTICE)
    b = write_docx(tmp_path / "附件.docx", ["附件", "检查表"])
    assert run(archive, "file", str(a), str(b), "--one").exit_code == 0
    (_, r), = iter_records(archive)
    assert [(f.name, f.role) for f in r.files] == [("通知.docx", "原件"), ("附件.docx", "附件")]


def _encrypted_pdf(path):
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(595, 842)
    w.encrypt(user_password="1234", owner_password="owner")
    with open(path, "wb") as f:
        w.write(f)
    return path


@pytest.mark.parametrize("case", ["broken_zip", "empty", "encrypted_pdf", "unknown_ext", "inside_archive",
                                  "long_title", "illegal_name", "directory", "missing"])
def test_bad_input_is_a_clear_message_and_nothing_is_half_filed(archive, tmp_path, case):
    args, message = [], ""
    if case == "broken_zip":
        (tmp_path / "坏.docx").write_bytes(b"PK\x03\x04\x14\x00 truncated zip")
        args, message = [str(tmp_path / "坏.docx")], "坏.docx 不是有效的 Word 文档"
    elif case == "empty":
        (tmp_path / "空.pdf").write_bytes(b"")
        args, message = [str(tmp_path / "空.pdf")], "空.pdf 是空文件"
    elif case == "encrypted_pdf":
        args, message = [str(_encrypted_pdf(tmp_path / "加密.pdf"))], "加密.pdf 是加密的 PDF"
    elif case == "unknown_ext":
        (tmp_path / "表格.xyz").write_bytes(b"data")
        args, message = [str(tmp_path / "表格.xyz")], "不支持的文件类型“.xyz”：表格.xyz"
    elif case == "inside_archive":
        args, message = [str(archive.config_path)], "位于档案库内部"
    elif case == "long_title":
        p = write_docx(tmp_path / "长.docx", CITY_NOTICE)
        args, message = [str(p), "--set", "题名=" + "长" * 2000], "题名过长（2000 字）"
    elif case == "illegal_name":
        p = write_docx(tmp_path / "ok.docx", ["正文"])
        args, message = [str(p), "--set", "题名=" + '\\/:*?"<>|'], ""
    elif case == "directory":
        args, message = [str(tmp_path)], "不是文件"
    elif case == "missing":
        args, message = [str(tmp_path / "无此文件.docx")], "找不到文件"
    before = _snapshot(archive)
    res = run(archive, "file", *args)
    if case == "illegal_name":  # accepted: the title is kept, the folder name made safe
        assert res.exit_code == 0, res.output
        folder, r = next(iter_records(archive))
        assert r.title == '\\/:*?"<>|' and folder.name == "A001-WS·" + folder.name.split("·")[1]
        assert not set('\\/:*?"<>|') & set(folder.name)
        return
    assert res.exit_code == 1
    assert "错误：" in res.output and message in res.output, res.output
    assert _snapshot(archive) == before


def test_file_name_full_of_illegal_characters(archive, tmp_path):
    name = '通知\\:*?"<>|.docx'
    p = write_docx(tmp_path / name, CITY_NOTICE)
    assert run(archive, "file", str(p)).exit_code == 0
    folder, r = next(iter_records(archive))
    assert r.files[0].name == "通知" + "_" * 8 + ".docx" and (folder / r.files[0].name).is_file()


def test_edit_appends_history_and_audits_number_and_code_changes(archive, tmp_path):
    n8 = archive.registry.issue(archive.prefix("高教字"), 2022, "关于寒假安全的通知")
    n9 = archive.registry.issue(archive.prefix("高教字"), 2022, "关于开学工作的通知")
    p = write_docx(tmp_path / "寒假.docx", ["高平市教育局文件", "高教字〔2022〕1号", "关于寒假安全的通知", "各校：",
                                      "正文。", "高平市教育局", "2022年1月10日"])
    assert run(archive, "file", str(p), "--set", "来源=发文", "--org", "BGS").exit_code == 0
    assert archive.registry.find(n8).record == "A001-WS·2022-D30-BGS-0001"

    res = run(archive, "edit", "高教字〔2022〕1号", "--set", "主送=各中小学,各幼儿园", "--by", "张三")
    assert res.exit_code == 0, res.output
    _, r = find_record(archive, "A001-WS·2022-D30-BGS-0001")
    assert r.recipients == ["各中小学", "各幼儿园"]
    assert r.history[-1].action == "修改" and r.history[-1].actor == "张三"
    assert "主送：各校 → 各中小学、各幼儿园" in r.history[-1].detail

    # 文号 change: the ledger link moves with it
    r = edit_record(archive, "A001-WS·2022-D30-BGS-0001", {"文号": "高教字[2022]2号"})
    assert "文号：高教字〔2022〕1号 → 高教字〔2022〕2号" in r.history[-1].detail
    assert archive.registry.find(n8).record == "" and archive.registry.find(n9).record == str(r.archival_code)

    # 档号 change via 保管期限: new 件号, old one voided with the reason, folder renamed
    r = edit_record(archive, "高教字〔2022〕2号", {"保管期限": "永久", "题名": "关于开学工作的通知"})
    assert str(r.archival_code) == "A001-WS·2022-Y-BGS-0001"
    assert "档号：A001-WS·2022-D30-BGS-0001 → A001-WS·2022-Y-BGS-0001" in r.history[-1].detail
    assert "题名：关于寒假安全的通知 → 关于开学工作的通知" in r.history[-1].detail
    folder, again = find_record(archive, "A001-WS·2022-Y-BGS-0001")
    assert folder.name == "A001-WS·2022-Y-BGS-0001 关于开学工作的通知" and (folder / "寒假.docx").is_file()
    assert len(list(iter_records(archive))) == 1
    old = [e for e in archive.registry.entries(kind="item") if e.series == "件号/D30/BGS"][0]
    assert old.status == VOID and "档号变更为 A001-WS·2022-Y-BGS-0001" in old.reason
    assert archive.registry.find(n9).record == "A001-WS·2022-Y-BGS-0001"
    assert [h.action for h in again.history] == ["收文归档", "修改", "修改", "修改"]


def test_edit_refuses_bad_changes_and_changes_nothing(archive, tmp_path):
    assert run(archive, "file", str(write_docx(tmp_path / "a.docx", CITY_NOTICE))).exit_code == 0
    assert run(archive, "file", str(write_docx(tmp_path / "b.docx", ["关于另一件事的通知", "晋市教字〔2022〕16号", "各校：", "正文。", "晋城市教育局", "2022年5月1日"]))).exit_code == 0
    folder, _ = find_record(archive, "A001-WS·2022-D30-0001")
    before = (folder / "record.json").read_bytes()
    for sets, msg in [(["档号=A001-WS·2022-D30-0009"], "不能直接修改“档号”"),
                      (["题名=" + "长" * 600], "题名过长"),
                      (["密级=内部"], "密级“内部”不正确"),
                      (["日期=2022年13月1日"], "日期“2022年13月1日”不正确"),
                      (["颜色=红"], "不认识的字段“颜色”"),
                      (["题名"], "格式不对"),
                      (["文号=晋市教字〔2022〕16号"], "已属于 A001-WS·2022-D30-0002"),
                      (["题名=关于进一步规范校外培训机构管理的通知"], "未做更改")]:
        res = run(archive, "edit", "A001-WS·2022-D30-0001", *[x for s in sets for x in ("--set", s)])
        assert res.exit_code == 1 and msg in res.output, (sets, res.output)
    assert (folder / "record.json").read_bytes() == before
    with pytest.raises(WenshuError, match="没有要修改的内容"):
        edit_record(archive, "A001-WS·2022-D30-0001", {})


def test_title_from_the_largest_type_when_the_text_gives_none(archive, tmp_path):
    from docx.shared import Pt

    from archive.receive import read_document

    d = Document()
    d.add_paragraph("高平市第一中学")
    for text, size in (("2022年春季学期课后服务", 22), ("实施细则", 22), ("一、服务时间", 16), ("每天下午放学后。", 16)):
        d.add_paragraph().add_run(text).font.size = Pt(size)
    d.save(tmp_path / "细则.docx")
    meta = read_document(tmp_path / "细则.docx")[1]
    assert meta.title == "2022年春季学期课后服务实施细则" and meta.doc_type == "细则"


def test_filed_documents_are_searchable_at_once(archive, tmp_path):
    from indexer.index import ArchiveIndex

    idx = ArchiveIndex(archive)
    idx.rebuild()  # an index already in use, so nothing but `wenshu file` can add the document to it
    idx.close()
    p = write_docx(tmp_path / "市局通知.docx", CITY_NOTICE)
    result = run(archive, "file", str(p))
    assert result.exit_code == 0 and "已编入全文索引（1 个文件）" in result.output
    idx = ArchiveIndex(archive)
    assert idx.file_state(next(archive.root.glob("20*/*/市局通知.docx"))) is not None
    idx.close()


def test_list_takes_the_search_language(archive, tmp_path):
    """wenshu list 年度:2022 文种:通知 … selects as wenshu search does (the flags stay as aliases)."""
    run(archive, "file", str(write_docx(tmp_path / "市局通知.docx", CITY_NOTICE)))
    letter = [*CITY_NOTICE[:2], "关于校外培训机构年检的函", *CITY_NOTICE[4:]]
    letter[1] = "晋市教字〔2022〕16号"
    assert run(archive, "file", str(write_docx(tmp_path / "函.docx", letter))).exit_code == 0

    def codes(*args):
        res = run(archive, "list", *args, "--json")
        assert res.exit_code == 0, res.output
        return [r["文号"] for r in json.loads(res.output)]

    assert codes("年度:2022", "文种:通知") == ["晋市教字〔2022〕15号"]
    assert codes("年度:2022", "NOT", "文种:通知") == ["晋市教字〔2022〕16号"]
    res = CliRunner().invoke(main, ["list", "--archive", str(archive.root), "--json", "--", "年度:2022", "-文种:通知"])
    assert [r["文号"] for r in json.loads(res.output)] == ["晋市教字〔2022〕16号"]  # -字段 after --
    assert codes("晋市教字16号") == ["晋市教字〔2022〕16号"]  # a 文号 without its year, as search takes it
    assert codes("年度:2021") == [] and len(codes("校外培训")) == 2
    assert codes("校外培训", "--type", "函") == ["晋市教字〔2022〕16号"]  # flags and words together
    res = run(archive, "list", "日期:2022-13-01")
    assert res.exit_code == 1 and "日期" in res.output
