"""OFD in (issue 17): an .ofd built to GB/T 33190's structure — OFD.xml (DocInfo, DocRoot) →
Doc_0/Document.xml → Pages/Page_0/Content.xml with positioned TextObject/TextCode (DeltaX) — is
filed with 文号, 题名, 成文日期 read from its text and 责任者 from DocInfo, found by `wenshu search`
for a phrase of its body, and recognised by its structure when it is called .zip or .bin."""

from __future__ import annotations

import json
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.errors import WenshuError
from archive.extract import extract_text
from archive.ofd import doc_info, is_ofd
from wenshu.cli import main

NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'
LINES = [  # (y in mm, size, text) — a 公文 first page as a Suwell/Foxit producer lays it out
    (40, 8, "高平市教育局文件"),
    (62, 5.6, "高教字〔2022〕8号"),
    (80, 7.7, "关于开展“双减”政策落实督查专项行动的通知"),
    (100, 5.6, "各乡（镇、办）中心校、市直学校："),
    (110, 5.6, "经研究决定，近期将组织开展督查专项行动，请结合实际认真贯彻执行。"),
    (130, 5.6, "高平市教育局"),
    (140, 5.6, "2022年3月25日"),
]
BODY_PHRASE = "组织开展督查专项行动"


def _text_object(i: int, y: float, size: float, text: str) -> str:
    # one TextCode per object, glyphs placed by DeltaX (each character one em apart)
    deltas = " ".join([str(size)] * (len(text) - 1))
    width = size * len(text)
    return (f'<ofd:TextObject ID="{i + 10}" Boundary="20 {y} {width} {size * 1.5}" Font="3" Size="{size}">'
            f'<ofd:FillColor Value="0 0 0"/><ofd:TextCode X="0" Y="{size}" DeltaX="{deltas}">{text}</ofd:TextCode>'
            f'</ofd:TextObject>')


def build_ofd(path: Path, lines=LINES, title="关于开展督查专项行动的通知", author="高平市教育局") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {NS} Version="1.1" DocType="OFD">'
                              f'<ofd:DocBody><ofd:DocInfo><ofd:DocID>6d1c1f2b9c0e4a5b</ofd:DocID>'
                              f'<ofd:Title>{title}</ofd:Title><ofd:Author>{author}</ofd:Author>'
                              '<ofd:CreationDate>2022-03-25</ofd:CreationDate>'
                              '<ofd:Keywords><ofd:Keyword>双减</ofd:Keyword><ofd:Keyword>督查</ofd:Keyword></ofd:Keywords>'
                              '</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
        z.writestr("Doc_0/Document.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {NS}><ofd:CommonData>'
                                         '<ofd:MaxUnitID>100</ofd:MaxUnitID><ofd:PageArea>'
                                         '<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>'
                                         '<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>'
                                         '<ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages>'
                                         '</ofd:Document>')
        z.writestr("Doc_0/PublicRes.xml", f'<ofd:Res {NS} BaseLoc="Res"><ofd:Fonts><ofd:Font ID="3" '
                                          'FontName="仿宋_GB2312" FamilyName="仿宋"/></ofd:Fonts></ofd:Res>')
        objects = "".join(_text_object(i, y, s, t) for i, (y, s, t) in enumerate(lines))
        z.writestr("Doc_0/Pages/Page_0/Content.xml",
                   f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {NS}><ofd:Content>'
                   f'<ofd:Layer ID="2">{objects}</ofd:Layer></ofd:Content></ofd:Page>')
    return path




def test_text_in_reading_order_and_docinfo(tmp_path):
    p = build_ofd(tmp_path / "通知.ofd")
    text = extract_text(p)
    assert text.splitlines() == [t for _, _, t in LINES]
    assert doc_info(p) == {"题名": "关于开展督查专项行动的通知", "责任者": "高平市教育局",
                           "创建日期": "2022-03-25", "关键词": "双减、督查"}


def test_reading_order_follows_position_not_file_order(tmp_path):
    """A producer writes objects in any order (the red header last, say): the text reads top down."""
    p = build_ofd(tmp_path / "乱序.ofd", lines=[LINES[2], LINES[0], LINES[1]])
    assert extract_text(p).splitlines()[:3] == [LINES[0][2], LINES[1][2], LINES[2][2]]


@pytest.mark.parametrize("name", ["通知.zip", "attachment.bin"])
def test_recognised_by_structure(tmp_path, name):
    p = build_ofd(tmp_path / name)
    assert is_ofd(p)
    assert extract_text(p).splitlines()[1] == "高教字〔2022〕8号"


def test_zip_without_ofd_xml_is_not_ofd(tmp_path):
    p = tmp_path / "资料.zip"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("readme.txt", "不是 OFD")
    assert not is_ofd(p)
    with pytest.raises(WenshuError, match="不支持的文件类型.*资料.zip"):
        extract_text(p)
    q = tmp_path / "假.ofd"
    shutil.copy(p, q)
    with pytest.raises(WenshuError, match="假.ofd 不是有效的 OFD"):
        extract_text(q)


@pytest.mark.parametrize("name", ["来文.ofd", "来文.bin"])
def test_filed_with_metadata_and_found_by_search(tmp_path, archive, name):
    root = str(archive.root)
    p = build_ofd(tmp_path / name, author="高平市教育局")
    r = CliRunner().invoke(main, ["file", str(p), "--json", "--archive", root])
    assert r.exit_code == 0, r.output
    rec = json.loads(r.output[r.output.index("["):])[0]
    assert rec["文号"] == "高教字〔2022〕8号"
    assert rec["题名"] == "关于开展“双减”政策落实督查专项行动的通知"
    assert rec["日期"] == date(2022, 3, 25).isoformat()
    assert rec["责任者"] == "高平市教育局"
    out = CliRunner().invoke(main, ["search", BODY_PHRASE, "--json", "--archive", root])
    assert out.exit_code == 0, out.output
    assert rec["档号"] in out.output


def test_docinfo_fills_what_the_body_lacks(tmp_path, archive):
    """A body without a recognisable title line: the title the producer stored is used."""
    lines = [(40, 5.6, "请各单位于月底前报送统计表，逾期不报的将予以通报。"), (60, 5.6, "附件：统计表")]
    p = build_ofd(tmp_path / "无题.ofd", lines=lines, title="关于报送统计表的通知", author="高平市教育局办公室")
    r = CliRunner().invoke(main, ["file", str(p), "--json", "--archive", str(archive.root)])
    assert r.exit_code == 0, r.output
    rec = json.loads(r.output[r.output.index("["):])[0]
    assert rec["题名"] == "关于报送统计表的通知"
    assert rec["文种"] == "通知"
    assert rec["责任者"] == "高平市教育局办公室"
