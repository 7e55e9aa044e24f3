"""Templates are data, not code: a user template that reaches for Python is refused when it is
loaded, and, if it got past that, the Jinja sandbox stops it when it is rendered. Nothing runs."""

from __future__ import annotations

import zipfile

import pytest
from click.testing import CliRunner
from docx import Document
from docx.oxml.ns import qn

from archive.errors import WenshuError
from archive.filing import iter_records
from generator.form_fields import Manifest
from generator.render import build_context, render_document
from generator.sandbox import FILTERS, environment
from generator.service import new_document
from generator.template import TEMPLATES_DIR, Template, list_templates, load_template, load_user_template
from tests.conftest import make_config, write_docx
from wenshu.cli import main

# The exploit of issue 12, as a school could send it: one paragraph, one-field manifest.
EXPLOIT = ("{% for x in ().__class__.__base__.__subclasses__() %}{% if x.__name__ == '_wrap_close' %}"
           "{{ x.__init__.__globals__['system']('id > PWNED') }}{% endif %}{% endfor %}")
MANIFEST = "name: evil\nlabel: 通知\nfields:\n  - {name: title, label: 标题, type: text, required: true}\n"


def _user_template(archive, paragraphs, name="evil", manifest=MANIFEST):
    folder = archive.root / "templates"
    path = write_docx(folder / f"{name}.docx", paragraphs)
    (folder / f"{name}.yaml").write_text(manifest.replace("evil", name), encoding="utf-8")
    return path


@pytest.fixture
def evil(archive, tmp_path, monkeypatch):
    """The hostile template in the archive's templates/, with the working directory where PWNED would land."""
    monkeypatch.chdir(tmp_path)
    path = _user_template(archive, ["{{ title }}", EXPLOIT])
    yield path
    assert not (tmp_path / "PWNED").exists(), "模板中的代码被执行了"


def test_exploit_is_refused_at_validation_naming_the_tag_and_the_file(archive, evil):
    with pytest.raises(WenshuError) as e:
        load_template("evil", archive)
    msg = str(e.value)
    assert "evil.docx" in msg and "正文" in msg
    assert "{% for x in ().__class__.__base__.__subclasses__() %}" in msg  # the offending text, quoted
    assert "__class__" in msg and "不被允许" in msg
    broken: list = []
    assert "evil" not in {t.name for t in list_templates(archive, broken)}
    assert broken[0][0] == "evil" and "__class__" in broken[0][1]


def test_cli_new_with_the_exploit_refuses_and_files_nothing(archive, evil):
    res = CliRunner().invoke(main, ["new", "evil", "--set", "title=关于测试的通知", "--archive", str(archive.root)])
    assert res.exit_code != 0
    assert "evil.docx" in res.output and "__class__" in res.output and "Traceback" not in res.output
    assert list(iter_records(archive)) == []
    assert archive.registry.entries(kind="all") == []


@pytest.mark.parametrize("builtin", [False, True], ids=["docxtpl", "compiled"])
def test_if_validation_is_bypassed_the_sandbox_stops_the_exploit(archive, evil, tmp_path, builtin):
    """Both render paths (docxtpl for user templates, the precompiled one for built-ins) run sandboxed."""
    t = Template("evil", evil, Manifest.load(evil.with_suffix(".yaml")), builtin=builtin)
    with pytest.raises(WenshuError) as e:
        render_document(t, {"title": "关于测试的通知"}, "", tmp_path / "out", config=make_config())
    assert "evil.docx" in str(e.value) and "不允许" in str(e.value)
    assert not list((tmp_path / "out").glob("*.docx"))


def test_sandbox_has_only_the_allowed_filters():
    env = environment()
    assert set(env.filters) == set(FILTERS) and "safe" not in env.filters and "attr" not in env.filters
    assert set(env.globals) == {"range"}
    from jinja2.exceptions import SecurityError

    with pytest.raises(SecurityError):
        env.from_string("{{ ''.__class__ }}").render()
    with pytest.raises(SecurityError):  # the immutable sandbox: a template cannot change the context
        env.from_string("{{ items.append(1) }}").render(items=[])


@pytest.mark.parametrize("tag, named", [
    ("{{ title|safe }}", "safe"),
    ("{{ title|attr('__class__') }}", "attr"),
    ("{{ title.__class__ }}", "__class__"),
    ("{{ title['__class__'] }}", "__class__"),
    ("{{ title.upper() }}", "title.upper"),
    ("{{ lipsum(10000) }}", "lipsum"),
    ("{{ title * 100000 }}", "乘法"),
    ("{% set x = 1 %}{{ title }}", "set"),
    ("{% include 'x.xml' %}{{ title }}", "include"),
    ("{% macro m() %}{% endmacro %}{{ title }}", "macro"),
    ("{% for _ in range(1000000) %}x{% endfor %}{{ title }}", "1000000"),
    ("{{ title|format(1) }}", "format"),
])
def test_anything_beyond_fields_for_and_if_is_refused_by_name(archive, tag, named):
    path = _user_template(archive, [tag, "{{ title }}"], name="t")
    with pytest.raises(WenshuError) as e:
        load_user_template(path)
    msg = str(e.value)
    assert "t.docx" in msg and named in msg, msg
    assert tag.split("%}")[0].split("}}")[0][:12] in msg  # the tag as written


def test_exploit_in_the_document_properties_is_refused_too(archive, tmp_path):
    """docxtpl renders the core properties (题名, 作者, 主题) as Jinja as well."""
    path = archive.root / "templates" / "props.docx"
    path.parent.mkdir()
    d = Document()
    d.add_paragraph("{{ title }}")
    d.core_properties.subject = EXPLOIT
    d.save(path)
    (path.with_suffix(".yaml")).write_text(MANIFEST.replace("evil", "props"), encoding="utf-8")
    with pytest.raises(WenshuError) as e:
        load_user_template(path)
    assert "文档属性" in str(e.value) and "__class__" in str(e.value)


def test_simple_templates_still_load_and_render(archive, tmp_path):
    manifest = ("name: ok\nlabel: 通知\nfields:\n  - {name: title, label: 标题, type: text, required: true}\n"
                "  - {name: schools, label: 学校, type: list}\n  - {name: note, label: 附注, type: text}\n")
    _user_template(archive, ["{{ title|default('无题') }}", "{% for c in schools %}{{ loop.index }}.{{ c }}{% endfor %}",
                             "{% if note %}{{ note|trim }}{% else %}无附注{% endif %}"], name="ok", manifest=manifest)
    p = new_document(archive, "ok", {"标题": "关于A&B<测试>的通知", "学校": ["甲校", "乙校"]}, when="2022-05-06")
    text = "".join(t.text or "" for t in Document(p.files[0]).element.body.iter(qn("w:t")))
    assert "关于A&B<测试>的通知" in text and "1.甲校2.乙校" in text and "无附注" in text


@pytest.mark.parametrize("name", sorted(p.stem for p in TEMPLATES_DIR.glob("*.docx")))
def test_every_builtin_template_passes_validation_and_renders_in_the_sandbox(name, tmp_path):
    from tests.generator_helpers import SAMPLES
    from generator.service import prepare

    t = load_template(name)
    load_user_template(t.docx)  # the user-template check accepts what the built-ins use
    values = prepare(t, SAMPLES[name])
    data = t.compiled.render(build_context(t, values, make_config(), "高教字〔2022〕8号", serial="000001"))
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as z:
        assert "{{" not in z.read("word/document.xml").decode("utf-8")


def test_a_template_that_inflates_to_gigabytes_is_refused_before_it_is_read(archive, tmp_path):
    """A 1 MB .docx whose document.xml would be 1 GiB: refused from the zip directory alone."""
    from tests.transfer_helpers import raw_zip, zero_bomb

    src = _user_template(archive, ["{{ title }}"], name="big")
    with zipfile.ZipFile(src) as z:
        entries = [(i.filename, z.read(i), 0, __import__("zlib").crc32(z.read(i)), i.file_size)
                   for i in z.infolist() if i.filename != "word/document.xml"]
    data, crc = zero_bomb(1 << 30)
    src.write_bytes(raw_zip([*entries, ("word/document.xml", data, 8, crc, 1 << 30)]))
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(WenshuError) as e:
        load_user_template(src)
    assert "big.docx" in str(e.value) and "word/document.xml" in str(e.value) and "上限" in str(e.value)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 64 * 1024
