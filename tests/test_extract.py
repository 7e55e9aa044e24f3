"""extract_text: what the indexer and the metadata reader see of each format."""

from __future__ import annotations

import zipfile

import pytest
from docx import Document
from docx.enum.text import WD_BREAK

from archive.errors import WenshuError
from archive.extract import extract_text, soffice


def _docx(path, paragraphs=(), table=None, header="", textbox=""):
    d = Document()
    if header:
        d.sections[0].header.paragraphs[0].text = header
        d.sections[0].footer.paragraphs[0].text = "— 1 —"
    for p in paragraphs:
        d.add_paragraph(p)
    if table:
        t = d.add_table(rows=len(table), cols=len(table[0]))
        for i, row in enumerate(table):
            for j, v in enumerate(row):
                t.cell(i, j).text = v
    d.add_paragraph("此页无正文")
    d.save(path)
    if textbox:
        _add_textbox(path, textbox)
    return path


def _add_textbox(path, text):
    """Insert a DrawingML text box (with its VML fallback, as Word writes it) as the first paragraph."""
    box = (f'<w:p><w:r><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
           f'<mc:Choice Requires="wps"><w:drawing><w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p>'
           f'</w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p><w:r>'
           f'<w:t>{text}</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent>'
           f'</w:r></w:p>')
    with zipfile.ZipFile(path) as z:
        items = {n: z.read(n) for n in z.namelist()}
    xml = items["word/document.xml"].decode()
    i = xml.index("<w:body>") + len("<w:body>")
    items["word/document.xml"] = (xml[:i] + box + xml[i:]).encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in items.items():
            z.writestr(n, data)


def test_docx_body_tables_textboxes_in_order_without_header_footer(tmp_path):
    p = _docx(tmp_path / "a.docx", ["关于做好寒假期间安全工作的通知", "高教字〔2022〕8号"],
              table=[["抄送：市教育局", ""], ["高平市教育局办公室", "2022年1月10日印发"]],
              header="页眉文字", textbox="高平市教育局文件")
    lines = extract_text(p).splitlines()
    assert lines[0] == "高平市教育局文件"  # text box once (VML fallback skipped)
    assert lines.count("高平市教育局文件") == 1
    assert lines[1:3] == ["关于做好寒假期间安全工作的通知", "高教字〔2022〕8号"]
    assert "抄送：市教育局" in lines[3]
    assert "2022年1月10日印发" in lines[4]
    assert lines[-1] == "此页无正文"
    assert "页眉文字" not in "\n".join(lines) and "— 1 —" not in "\n".join(lines)


def test_docx_line_break_inside_paragraph(tmp_path):
    d = Document()
    r = d.add_paragraph().add_run("第一行")
    r.add_break(WD_BREAK.LINE)
    r.add_text("第二行")
    d.save(tmp_path / "b.docx")
    assert extract_text(tmp_path / "b.docx") == "第一行\n第二行"


def test_txt_utf8_and_gb18030(tmp_path):
    (tmp_path / "u.txt").write_bytes("\ufeff关于印发的通知\r\n正文".encode("utf-8"))
    (tmp_path / "g.txt").write_bytes("关于印发的通知\n正文".encode("gb18030"))
    (tmp_path / "m.md").write_text("# 标题\n正文", encoding="utf-8")
    assert extract_text(tmp_path / "u.txt") == "关于印发的通知\n正文"
    assert extract_text(tmp_path / "g.txt") == "关于印发的通知\n正文"
    assert extract_text(tmp_path / "m.md").startswith("# 标题")
    (tmp_path / "x.txt").write_bytes("关于".encode("utf-16"))
    with pytest.raises(WenshuError, match="x.txt"):
        extract_text(tmp_path / "x.txt")


def _pdf(path, text_pdf_bytes=None, password=None):
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(595, 842)
    if password:
        w.encrypt(user_password=password, owner_password="owner")
    with open(path, "wb") as f:
        w.write(f)
    return path


def test_pdf_from_libreoffice_has_its_text(tmp_path):
    if not soffice():
        pytest.skip("LibreOffice 未安装")
    import subprocess
    src = _docx(tmp_path / "p.docx", ["关于开展校外培训机构专项检查的通知", "高教字〔2022〕9号"])
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'prof').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(src)], check=True, capture_output=True,
                   timeout=120)
    text = extract_text(tmp_path / "p.pdf")
    assert "关于开展校外培训机构专项检查的通知" in text
    # pypdf puts a space between "9" and "号"; the 文号 reader folds it
    from archive.docnumber import DocNumber
    assert [str(n) for n in DocNumber.find_all(text)] == ["高教字〔2022〕9号"]


def test_encrypted_pdf_is_refused_by_name(tmp_path):
    p = _pdf(tmp_path / "密件.pdf", password="secret")
    with pytest.raises(WenshuError, match="密件.pdf.*加密"):
        extract_text(p)


def test_owner_only_encrypted_pdf_is_readable(tmp_path):
    p = _pdf(tmp_path / "受限.pdf", password="")
    assert extract_text(p) == ""


@pytest.mark.parametrize("name,data,msg", [
    ("坏.docx", b"PK\x03\x04 this is not a zip", "坏.docx.*不是有效的 Word 文档"),
    ("空.docx", b"", "空.docx.*空文件"),
    ("坏.pdf", b"%PDF-1.4 garbage", "坏.pdf.*不是有效的 PDF"),
    ("密.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "密.docx 是加密的 Word 文档"),
    ("坏.ofd", b"not a zip", "坏.ofd.*不是有效的 OFD"),
    ("未知.xyz", b"abc", "不支持的文件类型.*未知.xyz"),
])
def test_bad_files_name_the_file(tmp_path, name, data, msg):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(WenshuError, match=msg):
        extract_text(tmp_path / name)


def test_ofd_text_objects(tmp_path):
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    p = tmp_path / "a.ofd"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("OFD.xml", f'<ofd:OFD {ns}><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>'
                              '</ofd:DocBody></ofd:OFD>')
        z.writestr("Doc_0/Document.xml", f'<ofd:Document {ns}><ofd:Pages><ofd:Page ID="1" '
                                         'BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>')
        z.writestr("Doc_0/Pages/Page_0/Content.xml",
                   f'<ofd:Page {ns}><ofd:Content><ofd:Layer><ofd:TextObject Boundary="20 30 100 10" Size="5">'
                   '<ofd:TextCode X="0" Y="5">晋教发〔2022〕3号</ofd:TextCode></ofd:TextObject>'
                   '<ofd:TextObject Boundary="20 50 100 10" Size="5"><ofd:TextCode X="0" Y="5">关于</ofd:TextCode>'
                   '<ofd:TextCode X="10" Y="5">的通知</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>')
    assert extract_text(p) == "晋教发〔2022〕3号\n关于的通知"


def test_doc_via_libreoffice(tmp_path):
    if not soffice():
        pytest.skip("LibreOffice 未安装")
    import subprocess
    src = _docx(tmp_path / "old.docx", ["关于旧文件的通知", "高教字〔2009〕1号"])
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'prof').as_uri()}", "--headless",
                    "--convert-to", "doc", "--outdir", str(tmp_path / "o"), str(src)], check=True,
                   capture_output=True, timeout=120)
    text = extract_text(tmp_path / "o" / "old.doc")
    assert "关于旧文件的通知" in text and "高教字〔2009〕1号" in text
    # WPS Office's .wps is the same compound-file format; LibreOffice reads it by content
    (tmp_path / "old.wps").write_bytes((tmp_path / "o" / "old.doc").read_bytes())
    assert extract_text(tmp_path / "old.wps") == text
    (tmp_path / "bad.wps").write_bytes(b"\xd0\xcf\x11\xe0 broken")
    with pytest.raises(WenshuError, match="bad.wps"):
        extract_text(tmp_path / "bad.wps")


def test_docx_main_part_found_through_the_package_relationships(tmp_path):
    """Some generators name the main part word/document2.xml; the relationship says where it is."""
    p = _docx(tmp_path / "a.docx", ["关于测试的通知"])
    with zipfile.ZipFile(p) as z:
        items = {n: z.read(n) for n in z.namelist()}
    items["word/document2.xml"] = items.pop("word/document.xml")
    items["_rels/.rels"] = items["_rels/.rels"].replace(b"word/document.xml", b"word/document2.xml")
    items["[Content_Types].xml"] = items["[Content_Types].xml"].replace(b"/word/document.xml", b"/word/document2.xml")
    with zipfile.ZipFile(p, "w") as z:
        for n, data in items.items():
            z.writestr(n, data)
    assert extract_text(p).splitlines()[0] == "关于测试的通知"
