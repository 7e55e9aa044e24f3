"""Finding and checking templates (模板): the built-in ones and an archive's own ``templates/`` folder.

An archive's folder adds templates or overrides built-in ones of the same name. A user
template is checked when it is loaded, so a broken one is refused with a message that says
what to fix — a Word .dotx, a table without ``w:tblGrid`` (docxtpl cannot process it), a
placeholder the manifest does not list, a required field the document never shows.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import jinja2

from archive.errors import WenshuError
from archive.limits import Limits
from archive.ooxml import W_NS, Package
from generator.compiled import CompiledTemplate
from generator.form_fields import Manifest
from generator.sandbox import check_source
import templates as _templates_pkg

# The package's folder (also right when an old editable install sees templates/ as a namespace package).
TEMPLATES_DIR = Path(getattr(_templates_pkg, "TEMPLATES_DIR", None) or list(_templates_pkg.__path__)[0])

USER_DIR = "templates"  # inside an archive
# Variables the renderer supplies itself (see generator.render.build_context).
SYSTEM_VARS = {"org_name", "org_mark", "mark_size", "doc_no", "doc_number", "date_cn", "print_date_cn", "serial",
               "attach_lines", "head_lines", "pad_lines", "pad_mm", "deadline_cn"}


@dataclass
class Template:
    name: str
    docx: Path
    manifest: Manifest
    builtin: bool

    @cached_property
    def compiled(self) -> CompiledTemplate:
        return CompiledTemplate(self.docx)

    @property
    def label(self) -> str:
        return self.manifest.label or self.name


def _user_dir(archive) -> Path | None:
    return Path(archive.root) / USER_DIR if archive is not None else None


def list_templates(archive=None, errors: list | None = None) -> list[Template]:
    """Built-in templates, overridden or extended by the archive's own; a broken user template is
    left out, and ``(name, message)`` is appended to ``errors`` when a list is given."""
    found = {p.stem: p for p in sorted(TEMPLATES_DIR.glob("*.docx"))}
    user = _user_dir(archive)
    if user and user.is_dir():
        found.update({p.stem: p for p in sorted(user.glob("*.docx")) if not p.name.startswith(("~$", "."))})
    out = []
    for name in found:
        try:
            out.append(load_template(name, archive))
        except WenshuError as e:
            if errors is not None:
                errors.append((name, str(e)))
    return out


def load_template(name: str, archive=None) -> Template:
    if not re.fullmatch(r"[\w\-]+", name or ""):
        raise WenshuError(f"模板名“{name}”不正确：只能含文字、字母、数字、下划线和连字符。")
    user = _user_dir(archive)
    if user and user.is_dir():
        for candidate in (user / f"{name}.docx", user / f"{name}.dotx"):
            if candidate.exists():
                return load_user_template(candidate)
    path = TEMPLATES_DIR / f"{name}.docx"
    if path.exists():
        return Template(name, path, Manifest.load(path.with_suffix(".yaml")), builtin=True)
    names = sorted({p.stem for p in TEMPLATES_DIR.glob("*.docx")} |
                   ({p.stem for p in user.glob("*.docx")} if user and user.is_dir() else set()))
    raise WenshuError(f"没有名为“{name}”的模板。可用的模板：{'、'.join(names)}（wenshu templates 查看说明）。")


def load_user_template(path: Path, manifest_path: Path | None = None) -> Template:
    """Load and check a user's .docx template; every problem is a WenshuError naming the file."""
    path = Path(path)
    where = f"模板 {path.name}："
    if path.suffix.lower() == ".dotx":
        raise WenshuError(_DOTX_MESSAGE.format(where=where))
    for i, tbl in enumerate(_tables(path, where), 1):
        if tbl.find(f"{{{W_NS}}}tblGrid") is None:
            raise WenshuError(f"{where}第 {i} 个表格缺少列宽定义（w:tblGrid），模板引擎无法处理。"
                              "请在 Word/WPS 中打开后重新保存（会自动补全），或删除该表格。")
    manifest = Manifest.load(manifest_path or path.with_suffix(".yaml"))
    template = Template(path.stem, path, manifest, builtin=False)
    try:
        for part, source in _template_sources(template):
            check_source(source, f"{where}{_part_label(part)}中的占位符")
        used = template.compiled.variables()
    except jinja2.TemplateSyntaxError as e:
        raise WenshuError(f"{where}占位符写法有误（{e.message}）。占位符应写成 {{{{ 字段名 }}}}。") from None
    except (KeyError, zipfile.BadZipFile, UnicodeDecodeError) as e:
        raise WenshuError(f"{where}无法读取（{e}）。") from None
    declared = {f.name for f in manifest.fields}
    unknown = sorted(used - declared - SYSTEM_VARS - {f"{n}_cn" for n in declared})
    if unknown:
        raise WenshuError(f"{where}文档中的占位符 {'、'.join(unknown)} 没有写在清单 {manifest.source} 的 fields 中。")
    missing = [f"{f.label}（{f.name}）" for f in manifest.fields if f.required and f.name not in used and f"{f.name}_cn" not in used]
    if missing:
        raise WenshuError(f"{where}清单要求的必填字段 {'、'.join(missing)} 在文档中没有对应的占位符。")
    return template


_PART_LABELS = {"document": "正文", "header": "页眉", "footer": "页脚", "footnotes": "脚注", "core": "文档属性"}


def _part_label(part: str) -> str:
    kind = re.match(r"[a-z]*", part.rsplit("/", 1)[-1]).group()
    return _PART_LABELS.get(kind, part)


def _template_sources(template: Template):
    """Every text docxtpl renders as Jinja: body, headers and footers (as the compiled template
    sees them), footnotes, and the core document properties (题名, 作者, …)."""
    from lxml import etree
    from docxtpl import DocxTemplate

    yield from template.compiled.sources.items()
    with Package(template.docx, Limits()) as pkg:
        if "word/footnotes.xml" in pkg:
            yield "word/footnotes.xml", DocxTemplate.patch_xml(None, pkg.text("word/footnotes.xml"))
        if "docProps/core.xml" in pkg:
            try:
                root = pkg.xml("docProps/core.xml")
            except etree.XMLSyntaxError:
                return  # python-docx then reads default properties: nothing of it is rendered
            for el in root:
                if el.text and ("{{" in el.text or "{%" in el.text):
                    yield "docProps/core.xml", el.text


_DOTX_MESSAGE = ("{where}这是 Word 模板文件（.dotx），不能直接套用。请在 Word/WPS 中打开它，"
                 "“另存为” Word 文档（.docx）后放入 templates/ 目录。")


def _tables(path: Path, where: str) -> list:
    """The body's tables, after the package is checked: a template is read whole into memory (and
    every render copies it), so a .docx whose parts declare more than ``max_part_mb`` is refused
    before any part is read — zipfile never yields more than an entry's declared size (a longer
    stream fails its CRC), so the declared sizes are a real bound."""
    from lxml import etree

    try:
        with Package(path, Limits()) as pkg:
            big = pkg.oversized()
            if big:
                raise WenshuError(f"{where}{big[0].filename} 解压后有 {big[0].file_size} 字节，超过模板的上限"
                                  f"（单个部件 {pkg.limits.max_part_mb} MB），不像是正常的模板，已拒绝。")
            if pkg.is_word_template():
                raise WenshuError(_DOTX_MESSAGE.format(where=where))
            return list(pkg.xml("word/document.xml").iter(f"{{{W_NS}}}tbl"))
    except FileNotFoundError:
        raise WenshuError(f"{where}文件不存在。") from None
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError):
        raise WenshuError(f"{where}不是有效的 Word 文档（.docx）。") from None
    except WenshuError as e:
        if str(e).startswith(where):
            raise
        raise WenshuError(f"{where}{e}") from None
