"""The layout checker reports each rule a document breaks (DESIGN §5), with where it is, and
passes the generated documents — multi-page ones with attachments included."""

from __future__ import annotations

import io
import zipfile

import pytest
from click.testing import CliRunner

from archive.errors import WenshuError
from generator.layout_check import check
from tests.conftest import corpus_path, make_config
from tests.generator_helpers import long_body, render
from wenshu.cli import main


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    out = tmp_path_factory.mktemp("layout")
    cfg = make_config()
    docs = {
        "notice": render("notice", out / "n", cfg, **{"正文": long_body(30)}).docx,
        "letter": render("supervision_letter", out / "l", cfg).docx,
        "rect": render("rectification_notice", out / "r", cfg).docx,
        "pledge": render("pledge", out / "p", cfg).docx,
    }
    return out, docs


def mutate(src, dst, part: str, *pairs: tuple[str, str]):
    """A copy of ``src`` with text replacements in one part (each replacement must apply)."""
    z = zipfile.ZipFile(src)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            data = z.read(info.filename)
            if info.filename == part or (part == "footer-even" and info.filename.startswith("word/footer")):
                text = data.decode("utf-8")
                for old, new in pairs:
                    if part != "footer-even":
                        assert old in text, (old, info.filename)
                    text = text.replace(old, new)
                data = text.encode("utf-8")
            out.writestr(info, data)
    dst.write_bytes(buf.getvalue())
    return dst


def test_generated_documents_pass(good):
    _, docs = good
    for kind, path in docs.items():
        assert check(path) == [], kind


DOC = "word/document.xml"
BREAKS = [
    ("page", DOC, [('w:top="2098"', 'w:top="1440"')], "天头（上边距）应为 37 mm"),
    ("page", DOC, [('w:left="1587"', 'w:left="1800"')], "订口（左边距）应为 28 mm"),
    ("page", DOC, [('w:w="11906"', 'w:w="12240"'), ('w:h="16838"', 'w:h="15840"')], "纸张应为 A4"),
    ("grid", DOC, [('w:linePitch="579"', 'w:linePitch="312"'), ('w:line="579" w:lineRule="exact"', 'w:line="360" w:lineRule="auto"')],
     "22 行"),
    ("font", DOC, [('w:eastAsia="仿宋_GB2312"', 'w:eastAsia="微软雅黑"')], "应为仿宋，现在是“微软雅黑”"),
    ("font", DOC, [('w:eastAsia="黑体"', 'w:eastAsia="宋体"')], "应为黑体"),
    ("font", DOC, [('w:eastAsia="方正小标宋简体"', 'w:eastAsia="黑体"')], "应为小标宋体"),
    ("size", DOC, [('<w:sz w:val="32"/>', '<w:sz w:val="30"/>')], "应为 3号（16 磅），现在是 15 磅"),
    ("size", DOC, [('<w:sz w:val="44"/>', '<w:sz w:val="36"/>')], "标题应为 2号"),
    ("mark", DOC, [('<w:color w:val="FF0000"/>', '<w:color w:val="000000"/>')], "缺少红色发文机关标志"),
    ("number", DOC, [("高教字〔2022〕8号", "高教字[2022]第08号")], "六角括号"),
    ("separator", DOC, [('<w:bottom w:val="single" w:sz="12" w:space="4" w:color="FF0000"/>', "")], "缺少红色版头分隔线"),
    ("indent", DOC, [('w:firstLine="640" w:firstLineChars="200"', 'w:firstLine="0"')], "首行缩进两字"),
    ("colour", DOC, [('<w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="黑体" w:cs="Times New Roman" w:hint="eastAsia"/>',
                      '<w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="黑体" w:cs="Times New Roman" w:hint="eastAsia"/><w:color w:val="FF0000"/>')],
     "应为黑色"),
    ("date", DOC, [("2022年3月25日</w:t>", "2022年03月25日</w:t>")], "不编虚位"),
    ("banji", DOC, [('<w:insideH w:val="single" w:sz="6" w:space="0" w:color="000000"/>', '<w:insideH w:val="nil"/>')], "缺少中间分隔线"),
    ("banji", DOC, [('<w:top w:val="single" w:sz="8" w:space="0" w:color="000000"/>',
                     '<w:top w:val="single" w:sz="24" w:space="0" w:color="000000"/>')], "首条分隔线应约 0.35 mm"),
    ("banji", DOC, [('<w:bottom w:val="single" w:sz="8" w:space="0" w:color="000000"/>',
                     '<w:bottom w:val="single" w:sz="8" w:space="0" w:color="FF0000"/>')], "末条分隔线应为黑色"),
    ("banji", DOC, [("市政府办公室。", "市政府办公室")], "句号"),
    ("banji", DOC, [("印发</w:t>", "</w:t>")], "以“印发”结尾"),
    ("size", DOC, [('<w:sz w:val="28"/><w:szCs w:val="28"/></w:rPr><w:t xml:space="preserve">抄送',
                    '<w:sz w:val="32"/><w:szCs w:val="32"/></w:rPr><w:t xml:space="preserve">抄送')], "抄送、印发应为 4号"),
    ("font", DOC, [(' w:hint="eastAsia"', "")], "会落入西文字体"),
    ("pagenum", "word/settings.xml", [("<w:evenAndOddHeaders/>", "")], "奇偶页不同"),
    ("pagenum", "footer-even", [('<w:jc w:val="left"/>', '<w:jc w:val="right"/>')], "双页码"),
    ("pagenum", "footer-even", [("— ", "- "), (" —", " -")], "一字线"),
    ("pagenum", "footer-even", [(" PAGE ", " DATE ")], "缺少页码"),
]


@pytest.mark.parametrize("rule,part,pairs,message", BREAKS, ids=[f"{b[0]}:{b[3][:10]}" for b in BREAKS])
def test_each_broken_rule_is_reported(good, tmp_path, rule, part, pairs, message):
    _, docs = good
    bad = mutate(docs["notice"], tmp_path / "bad.docx", part, *pairs)
    found = check(bad)
    assert any(d.rule == rule and message in str(d) for d in found), [str(d) for d in found]


def test_letter_rules(good, tmp_path):
    _, docs = good
    z = zipfile.ZipFile(docs["letter"])
    header1 = next(n for n in z.namelist() if n.startswith("word/header") and b"org_mark" not in z.read(n)
                   and b"FF0000" in z.read(n) and b"w:pBdr" in z.read(n))
    bad = mutate(docs["letter"], tmp_path / "l1.docx", header1, ('w:color="FF0000"', 'w:color="000000"'))
    assert any(d.rule == "separator" and "首页页眉" in d.where for d in check(bad, "letter"))
    bad = mutate(docs["letter"], tmp_path / "l2.docx", DOC, ("<w:titlePg/>", ""))
    assert any(d.rule == "pagenum" and "首页不显示页码" in d.message for d in check(bad, "letter"))


def test_third_party_documents_get_specific_findings():
    found = check(corpus_path("docgen-templates", "notice.docx"))
    rules = {d.rule for d in found}
    assert {"page", "grid", "pagenum"} <= rules
    assert any("纸张应为 A4" in str(d) for d in found)
    with pytest.raises(WenshuError, match="dotx"):
        check(corpus_path("gongwen-template-lite", "template.dotx"))


def test_cli_layout_check_exit_codes(good, tmp_path):
    _, docs = good
    r = CliRunner().invoke(main, ["layout-check", str(docs["notice"]), str(docs["pledge"])])
    assert r.exit_code == 0 and r.output.count("符合 GB/T 9704 版式要求") == 2
    bad = mutate(docs["notice"], tmp_path / "bad.docx", DOC, ('w:top="2098"', 'w:top="1440"'))
    r = CliRunner().invoke(main, ["layout-check", str(bad), "--kind", "notice"])
    assert r.exit_code == 1 and "1 处不符合" in r.output and "页面设置：天头（上边距）应为 37 mm" in r.output
    (tmp_path / "x.docx").write_bytes(b"not a zip")
    r = CliRunner().invoke(main, ["layout-check", str(tmp_path / "x.docx")])
    assert r.exit_code == 1 and "错误：" in r.output and "不是可读的 Word 文档" in r.output
