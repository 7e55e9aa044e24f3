"""Generating documents: 正文 structure, numbering through the registry, filing, variants of the
红头 (上行文, 联合行文, 份号/密级/紧急), bad input that must change nothing, and the CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from docx import Document
from docx.oxml.ns import qn

from archive.errors import WenshuError
from generator.body import parse_body
from generator.layout_check import check
from generator.service import new_document
from tests.conftest import make_config
from tests.generator_helpers import LETTER, NOTICE, PLEDGE, RECTIFICATION, render
from wenshu.cli import main
from wenshu.indexing import index_filed


def doc_text(path) -> str:
    return "\n".join("".join(t.text or "" for t in p.iter(qn("w:t")))
                     for p in Document(path).element.body.iter(qn("w:p")))


def archive_files(archive) -> list:
    return sorted(p for p in archive.root.rglob("*") if p.is_file() and ".wenshu" not in p.parts)


def test_body_levels_follow_the_clerks_numbering():
    blocks = parse_body("　　前言段落。\n\n一、总体要求。坚持问题导向。\n（一）加强领导\n1.建立台账。\n（1）每月更新。\n2022年工作\n1.5万元不是标题")
    assert [(b.level, b.head, b.rest) for b in blocks] == [
        (0, "", "前言段落。"), (1, "一、总体要求。", "坚持问题导向。"), (2, "（一）加强领导", ""),
        (3, "1.建立台账。", ""), (4, "（1）每月更新。", ""), (0, "", "2022年工作"), (0, "", "1.5万元不是标题")]


def test_heading_levels_get_their_fonts(tmp_path):
    doc = render("notice", tmp_path, make_config())
    body = Document(doc.docx).element.body
    fonts = {}
    for p in body.iter(qn("w:p")):
        runs = [r for r in p.iter(qn("w:r")) if "".join(t.text or "" for t in r.iter(qn("w:t")))]
        text = "".join(t.text or "" for t in p.iter(qn("w:t")))
        if runs and text[:2] in ("一、", "（一", "1.", "（1"):
            fonts[text[:2]] = runs[0].find(qn("w:rPr")).find(qn("w:rFonts")).get(qn("w:eastAsia"))
    assert fonts == {"一、": "黑体", "（一": "楷体_GB2312", "1.": "仿宋_GB2312", "（1": "仿宋_GB2312"}


def test_notice_is_numbered_filed_and_passes_layout_check(archive):
    p = new_document(archive, "notice", NOTICE, when="2022-03-25", on_filed=index_filed)
    assert p.number == "高教字〔2022〕1号" and p.archival_code.startswith("A001-WS·2022-D30-")
    docx = p.files[0]
    assert docx.name == "高教字〔2022〕1号.docx" and docx.parent.parent == archive.root / "2022"
    assert check(docx) == []
    text = doc_text(docx)
    for part in ("高平市教育局文件", "高教字〔2022〕1号", "各乡镇中心学校，市直各学校：", "附件：高平市校外培训机构专项治理方案",
                 "2022年3月25日", "（此件公开发布）", "抄送：市委办公室，市政府办公室。", "2022年3月25日印发"):
        assert part in text, part
    record = json.loads((docx.parent / "record.json").read_text(encoding="utf-8"))
    assert record["文号"] == "高教字〔2022〕1号" and record["抄送"] == ["市委办公室", "市政府办公室"]
    (entry,) = archive.registry.entries()
    assert entry.status == "issued" and entry.record == p.archival_code
    assert "已编入全文索引" in p.index_note  # filed and searchable at once, by 文号 in any spelling
    r = CliRunner().invoke(main, ["search", "高教字[2022]1", "--archive", str(archive.root)])
    assert r.exit_code == 0 and "关于印发《高平市校外培训机构专项治理方案》的通知" in r.output


@pytest.mark.parametrize("name,data", [("supervision_letter", LETTER), ("rectification_notice", RECTIFICATION)])
def test_letter_and_rectification_pick_their_prefix_and_pass_layout_check(archive, name, data):
    p = new_document(archive, name, data)
    assert p.number.startswith("高教督函〔2022〕" if name == "supervision_letter" else "高教字〔2022〕")
    assert check(p.files[0]) == []
    record = json.loads((p.files[0].parent / "record.json").read_text(encoding="utf-8"))
    assert record["案件"] == "2022-督-003"
    if name == "rectification_notice":
        assert "本通知依据高教督函〔2022〕3号作出。" in doc_text(p.files[0])
        assert record["关联"] == [{"文号": "高教督函〔2022〕3号", "关系": "依据"}]


def test_pledges_get_consecutive_serials_and_no_document_number(archive):
    a = new_document(archive, "pledge", PLEDGE)
    b = new_document(archive, "pledge", {**PLEDGE, "姓名": "李强"})
    assert (a.number, b.number) == ("2022-0001", "2022-0002")
    assert a.files[0].name == "承诺书-2022-0001-王芳.docx"
    assert "编号：2022-0002" in doc_text(b.files[0]) and "〔" not in doc_text(b.files[0])
    assert archive.registry.entries() == []  # no 发文字号 was used
    assert check(a.files[0]) == []


def test_upward_joint_and_header_variants_render_and_pass(tmp_path):
    cfg = make_config()
    up = render("notice", tmp_path / "up", cfg, **{"签发人": "张伟", "份号": 12, "密级和保密期限": "机密★1年", "紧急程度": "特急"})
    text = doc_text(up.docx)
    assert "000012" in text and "机密★1年" in text and "特急" in text and "签发人：张伟" in text
    assert check(up.docx) == []
    joint = render("notice", tmp_path / "joint", cfg, **{"联合发文机关": "高平市市场监督管理局，高平市公安局"})
    text = doc_text(joint.docx)
    assert text.index("高平市教育局") < text.index("高平市市场监督管理局") < text.index("高平市公安局") < text.index("文件")
    assert check(joint.docx) == []


def test_xml_breaking_text_is_escaped_not_lost(tmp_path):
    title = "关于A&B公司<培训>“违规”问题的通知 ]]> &amp;"
    doc = render("notice", tmp_path, make_config(), **{"标题": title, "正文": "一、<b>不是标签</b> & 符号。\n正文末段。"})
    text = doc_text(doc.docx)
    assert title in text.replace("\n", "")  # a long title is printed in two lines (generator.title)
    assert "一、<b>不是标签</b> & 符号。" in text and "正文末段。" in text


def test_dry_run_allocates_nothing(archive, tmp_path):
    p = new_document(archive, "notice", NOTICE, dry_run=True, out_dir=tmp_path / "预览")
    assert p.dry_run and p.number == "高教字〔2022〕1号"
    assert p.files == [tmp_path / "预览" / "高教字〔2022〕1号.docx"] and p.files[0].exists()
    assert archive.registry.entries() == [] and archive_files(archive) == [archive.config_path]
    assert new_document(archive, "notice", NOTICE).number == "高教字〔2022〕1号"


BAD = [
    ({"标题": ""}, "缺少必填字段“标题”"),
    ({"成文日期": "2022-13-45"}, "成文日期”的日期“2022-13-45”不正确"),
    ({"成文日期": "三月五日"}, "应写成 2022-03-25"),
    ({"正文": "  \n\n　　\n"}, "缺少必填字段“正文”"),
    ({"标题": "关于\x07的通知"}, "控制字符 U+0007"),
    ({"主送机关": "各学校\x00"}, "控制字符 U+0000"),
    ({"标题": "关" * 5000}, "太长：5000 字，最多 100 字"),
    ({"紧急程度": "很急"}, "只能是：特急、加急"),
    ({"份号": "第一份"}, "应为整数"),
    ({"不存在的字段": "x"}, "没有字段：不存在的字段"),
    ({"附件": [{"标题": "方案"}]}, "附件1的正文"),
]


@pytest.mark.parametrize("change,message", BAD)
def test_bad_input_is_refused_and_changes_nothing(archive, change, message):
    with pytest.raises(WenshuError) as e:
        new_document(archive, "notice", {**NOTICE, **change})
    assert message in str(e.value)
    assert archive.registry.entries(kind="all") == [] and archive_files(archive) == [archive.config_path]


def test_every_bad_field_is_named_in_one_refusal(archive):
    """A clerk fixes the data file once: all missing and invalid fields come back together."""
    with pytest.raises(WenshuError) as e:
        new_document(archive, "notice", {**NOTICE, "标题": "", "成文日期": "三月五日", "份号": "第一份"})
    for message in ("缺少必填字段“标题”", "应写成 2022-03-25", "应为整数"):
        assert message in str(e.value)
    assert archive.registry.entries(kind="all") == []


def test_empty_body_field_given_alone_names_the_field(tmp_path):
    from generator.form_fields import Field, convert

    with pytest.raises(WenshuError, match="“正文”是空的"):
        convert(Field("body", "正文", "body"), "\n \n")


def test_unknown_template_changes_nothing(archive):
    with pytest.raises(WenshuError, match="没有名为“circular”的模板"):
        new_document(archive, "circular", NOTICE)
    with pytest.raises(WenshuError, match="模板名"):
        new_document(archive, "../../etc/passwd", NOTICE)
    assert archive.registry.entries(kind="all") == []


def test_a_render_failure_voids_the_number_with_the_reason(archive):
    import shutil

    from tests.conftest import corpus_path

    folder = archive.root / "templates"
    folder.mkdir()
    shutil.copy(corpus_path("shihua-templates", "红头文件.docx"), folder / "rt.docx")
    (folder / "rt.yaml").write_text(
        "name: rt\nnumbering: 文号\nfields:\n"
        "  - {name: BODY_PLACEHOLDER, label: 正文, type: text}\n  - {name: SALUTATION, label: 主送, type: text}\n"
        "  - {name: SIGNOFF_ORG, label: 署名, type: text}\n  - {name: SIGNOFF_DATE, label: 日期, type: text}\n"
        "  - {name: CC_LIST, label: 抄送, type: text}\n  - {name: FILE_NUMBER, label: 文号, type: number}\n",
        encoding="utf-8")
    # FILE_NUMBER is a number; the template loops over it → fails while rendering (a method call
    # such as FILE_NUMBER.upper() is already refused when the template is loaded).
    doc = (folder / "rt.docx")
    import zipfile, io
    src = zipfile.ZipFile(doc)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                data = data.replace(b"{{FILE_NUMBER}}", b"{% for d in FILE_NUMBER %}{{ d }}{% endfor %}")
            z.writestr(info, data)
    doc.write_bytes(out.getvalue())
    with pytest.raises(WenshuError, match="无法套用"):
        new_document(archive, "rt", {"正文": "x", "文号": "3"})
    (entry,) = archive.registry.entries()
    assert entry.status == "void" and "无法套用" in entry.reason
    assert archive_files(archive) == sorted([archive.config_path, folder / "rt.docx", folder / "rt.yaml"])


def test_cli_new_prints_number_and_path(archive, tmp_path):
    data = tmp_path / "notice.yaml"
    import yaml

    data.write_text(yaml.safe_dump(NOTICE, allow_unicode=True), encoding="utf-8")
    r = CliRunner().invoke(main, ["new", "notice", "--data", str(data), "--set", "附注=请各校张贴",
                                  "--date", "2022-03-25", "--archive", str(archive.root)])
    assert r.exit_code == 0, r.output
    assert "已生成：高教字〔2022〕1号" in r.output and "高教字〔2022〕1号.docx" in r.output
    r = CliRunner().invoke(main, ["new", "notice", "--data", str(data), "--set", "成文日期=2022/02/30",
                                  "--archive", str(archive.root)])
    assert r.exit_code == 1 and "错误：" in r.output and "成文日期" in r.output


def test_cli_templates_and_show():
    r = CliRunner().invoke(main, ["templates", "--json"])
    assert r.exit_code == 0, (r.output, r.exception)
    assert {t["name"] for t in json.loads(r.output)} >= {"notice", "supervision_letter", "rectification_notice", "pledge"}
    r = CliRunner().invoke(main, ["template", "show", "rectification_notice"])
    assert r.exit_code == 0 and "整改时限" in r.output and "依据文号" in r.output


def test_templates_are_found_by_their_chinese_label(archive, tmp_path):
    from generator.service import resolve_template

    assert resolve_template("通知").name == "notice" and resolve_template("通知（红头文件）").name == "notice"
    assert resolve_template("督办函").name == "supervision_letter" and resolve_template("承诺书").name == "pledge"
    with pytest.raises(WenshuError, match="没有名为“公告”的模板"):
        resolve_template("公告")
    import yaml

    data = tmp_path / "n.yaml"
    data.write_text(yaml.safe_dump(NOTICE, allow_unicode=True), encoding="utf-8")
    r = CliRunner().invoke(main, ["new", "通知", "--data", str(data), "--dry-run", "--out",
                                  str(tmp_path / "out"), "--archive", str(archive.root)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out" / "高教字〔2022〕1号.docx").exists()
