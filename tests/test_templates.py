"""Built-in templates are what the build script makes, are self-consistent and pass the layout
check; user templates (an archive's templates/ folder, real third-party files) load or are
refused with a clear message."""

from __future__ import annotations

import shutil
import zipfile

import pytest
from docx import Document
from docx.oxml.ns import qn
from docxtpl import DocxTemplate

from archive.errors import WenshuError
from generator.build_templates import BUILDERS, build
from generator.layout_check import check
from generator.service import new_document, prepare
from generator.render import build_context
from generator.template import TEMPLATES_DIR, list_templates, load_template, load_user_template
from tests.conftest import corpus_path, make_config
from tests.generator_helpers import SAMPLES


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_committed_template_equals_a_fresh_build(name):
    import io

    fresh = zipfile.ZipFile(io.BytesIO(build(name)))
    committed = zipfile.ZipFile(TEMPLATES_DIR / f"{name}.docx")
    assert sorted(fresh.namelist()) == sorted(committed.namelist())
    for part in fresh.namelist():
        assert fresh.read(part) == committed.read(part), f"{name}.docx 的 {part} 与构建脚本不一致：请运行 python -m generator.build_templates"


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_builtin_template_passes_layout_check_and_its_manifest_matches(name):
    assert check(TEMPLATES_DIR / f"{name}.docx") == []
    # The same checks a user template gets: every placeholder declared, every required field shown.
    t = load_user_template(TEMPLATES_DIR / f"{name}.docx")
    assert t.manifest.name == name and t.manifest.label and t.manifest.purpose


def test_compiled_render_matches_docxtpl(tmp_path):
    t = load_template("notice")
    values = prepare(t, {**SAMPLES["notice"], "标题": "A&B <公司> “双减”"})
    ctx = build_context(t, values, make_config(), "高教字〔2022〕8号")
    (tmp_path / "fast.docx").write_bytes(t.compiled.render(ctx))
    ref = DocxTemplate(t.docx)
    ref.render(ctx, autoescape=True)
    ref.save(tmp_path / "ref.docx")
    texts = lambda p: [para.text for para in Document(p).paragraphs]
    fast = texts(tmp_path / "fast.docx")
    assert fast == texts(tmp_path / "ref.docx")
    assert "A&B <公司> “双减”" in fast


def _user_template(archive, src, name, manifest: str):
    folder = archive.root / "templates"
    folder.mkdir(exist_ok=True)
    shutil.copy(src, folder / f"{name}.docx")
    (folder / f"{name}.yaml").write_text(manifest, encoding="utf-8")
    return folder / f"{name}.docx"


DOCGEN_MANIFEST = """name: docgen_notice
label: 通用通知
purpose: 第三方模板
fields:
  - {name: title, label: 标题, type: text, required: true}
  - {name: author, label: 发文单位, type: text}
  - {name: date, label: 日期, type: date}
"""


def test_user_template_from_corpus_is_listed_rendered_and_filed(archive):
    _user_template(archive, corpus_path("docgen-templates", "notice.docx"), "docgen_notice", DOCGEN_MANIFEST)
    assert "docgen_notice" in {t.name for t in list_templates(archive)}
    p = new_document(archive, "docgen_notice", {"标题": "关于A&B<测试>的通知", "发文单位": "高平市教育局"},
                     when="2022-05-06")
    text = "".join(t.text or "" for t in Document(p.files[0]).element.body.iter(qn("w:t")))
    assert "关于A&B<测试>的通知" in text and "2022年5月6日" in text


def test_user_template_overrides_a_builtin(archive):
    _user_template(archive, corpus_path("docgen-templates", "notice.docx"), "pledge",
                   DOCGEN_MANIFEST.replace("docgen_notice", "pledge"))
    t = load_template("pledge", archive)
    assert not t.builtin and t.docx.parent == archive.root / "templates"


def test_placeholder_missing_from_manifest_is_named(archive):
    manifest = "name: x\nfields:\n  - {name: title, label: 标题, type: text, required: true}\n"
    path = _user_template(archive, corpus_path("docgen-templates", "request.docx"), "req", manifest)
    with pytest.raises(WenshuError) as e:
        load_user_template(path)
    assert "author" in str(e.value) and "清单" in str(e.value)


def test_required_field_not_in_document_is_named(archive):
    manifest = DOCGEN_MANIFEST + "  - {name: school, label: 学校名称, type: text, required: true}\n"
    path = _user_template(archive, corpus_path("docgen-templates", "notice.docx"), "n2", manifest)
    with pytest.raises(WenshuError, match="学校名称"):
        load_user_template(path)


def test_missing_manifest_is_explained(tmp_path):
    shutil.copy(corpus_path("docgen-templates", "notice.docx"), tmp_path / "n.docx")
    with pytest.raises(WenshuError, match="清单文件 n.yaml"):
        load_user_template(tmp_path / "n.docx")


def test_table_without_tblgrid_is_refused_clearly(archive):
    manifest = "name: form\nfields: []\n"
    path = _user_template(archive, corpus_path("shihua-templates", "工作表单.docx"), "form", manifest)
    with pytest.raises(WenshuError) as e:
        load_user_template(path)
    assert "第 1 个表格" in str(e.value) and "w:tblGrid" in str(e.value) and "form.docx" in str(e.value)
    with pytest.raises(WenshuError, match="tblGrid"):
        load_template("form", archive)
    broken: list = []
    assert "form" not in {t.name for t in list_templates(archive, broken)}
    assert broken and broken[0][0] == "form" and "tblGrid" in broken[0][1]


def test_dotx_is_refused_with_how_to_fix(archive):
    folder = archive.root / "templates"
    folder.mkdir()
    shutil.copy(corpus_path("gongwen-template-lite", "template.dotx"), folder / "gw.dotx")
    with pytest.raises(WenshuError, match="另存为"):
        load_template("gw", archive)
    # renamed to .docx it is still a Word template package: same clear message
    shutil.copy(folder / "gw.dotx", folder / "gw2.docx")
    with pytest.raises(WenshuError, match=r"\.dotx"):
        load_user_template(folder / "gw2.docx")


def test_unknown_template_lists_the_available_ones():
    with pytest.raises(WenshuError) as e:
        load_template("nonexistent")
    assert "notice" in str(e.value) and "pledge" in str(e.value)


def test_shihua_red_header_template_renders_a_real_number(archive):
    folder = archive.root / "templates"
    folder.mkdir()
    shutil.copy(corpus_path("shihua-templates", "红头文件.docx"), folder / "shihua.docx")
    (folder / "shihua.yaml").write_text(
        "name: shihua\nlabel: 石化红头文件\nnumbering: 文号\ndoc_type: 通知\nfields:\n"
        "  - {name: SALUTATION, label: 主送, type: text, required: true}\n"
        "  - {name: BODY_PLACEHOLDER, label: 正文, type: multiline, required: true}\n"
        "  - {name: SIGNOFF_ORG, label: 署名, type: text}\n  - {name: SIGNOFF_DATE, label: 落款日期, type: text}\n"
        "  - {name: CC_LIST, label: 抄送, type: text}\n  - {name: FILE_NUMBER, label: 文件编号, type: text}\n",
        encoding="utf-8")
    p = new_document(archive, "shihua", {"主送": "各二级单位：", "正文": "请做好安全生产工作 & 隐患排查。",
                                        "文件编号": "中石化〔2026〕12号", "署名": "办公室"}, when="2026-04-15")
    text = "".join(t.text or "" for t in Document(p.files[0]).element.body.iter(qn("w:t")))
    assert "中石化〔2026〕12号" in text and "请做好安全生产工作 & 隐患排查。" in text
    assert p.number == "高教字〔2026〕1号"  # numbered through the registry like any 文号 template
