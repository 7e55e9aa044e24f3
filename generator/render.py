"""Rendering one document (生成文件): validated fields + number → .docx (and PDF).

Independent of numbering and filing on purpose: the caller allocates the 发文字号 (or the
pledge's serial) and files the result, so this function can be called from a batch worker
or a test with nothing but a template and values. Values are escaped by Jinja (autoescape),
so ``&`` or ``<`` in a title cannot break the document.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from archive.errors import WenshuError
from archive.fsutil import safe_name
from generator import pdf as pdfmod
from generator.fill import keep_tail
from generator.props import with_properties
from generator.ooxml import cn_date
from generator.sandbox import environment as sandbox_environment
from generator.template import Template

LINE_MM = 579 / 56.6929  # one body line
PAD_STEP_MM = 28 / 56.6929  # the fine padding paragraphs (build_templates.padding)
# 发文机关标志 length → size variant (see build_templates.MARK_SIZES): width must stay inside 156 mm.
_MARK_LIMITS = ((10, 1), (12, 2), (15, 3), (19, 4))


@dataclass
class RenderedDocument:
    docx: Path
    pdf: Path | None
    pages: int | None
    number: str  # 文号 or serial ("" for none)
    title: str
    values: dict = field(default_factory=dict)


def mark_size(text: str) -> int:
    width = sum(0.5 if ch.isascii() else 1 for ch in text)
    for limit, size in _MARK_LIMITS:
        if width <= limit:
            return size
    raise WenshuError(f"发文机关标志“{text}”太长（{width:g} 字），版心一行放不下；请在 wenshu.toml 中使用规范化简称。")


def build_context(template: Template, values: dict, config, number: str = "", serial: str = "") -> dict:
    """Everything the template reads: the manifest fields plus the parts the layout derives from them."""
    m = template.manifest
    ctx: dict = {}
    for f in m.fields:
        v = values.get(f.name)
        if f.type == "date":
            ctx[f.name] = ctx[f"{f.name}_cn"] = cn_date(v) if v else ""
        elif f.type == "list":
            ctx[f.name] = v or []
        elif f.type == "number" and f.name == "copy_no":
            ctx[f.name] = f"{v:06d}" if v is not None else ""
        else:
            ctx[f.name] = v if v is not None else ""
    when = values.get("date") or date.today()
    organ = getattr(config, "organ_name", "") or ""
    ctx.update(org_name=organ, doc_no=number, doc_number=number, serial=serial,
               date_cn=cn_date(when), pad_lines=0, pad_mm=0)
    ctx["print_date_cn"] = cn_date(values.get("print_date") or when)
    ctx["signature"] = values.get("signature") or organ
    ctx["printer"] = values.get("printer") or organ
    mark = getattr(config, "organ_mark", "") if m.kind == "notice" else organ
    ctx["org_mark"] = mark
    joint = [organ, *values.get("joint_orgs", [])] if values.get("joint_orgs") else []
    ctx["joint_orgs"] = joint
    if m.kind in ("notice", "letter") and not joint:
        ctx["mark_size"] = mark_size(mark)
    ctx["head_lines"] = sum(1 for k in ("copy_no", "secrecy", "urgency") if values.get(k))
    if values.get("recipients"):
        ctx["recipients"] = values["recipients"].rstrip("：:，,。") + "："
    if values.get("note"):
        ctx["note"] = "（" + values["note"].strip("（）()") + "）"
    if isinstance(values.get("cc"), list):
        ctx["cc"] = "，".join(values["cc"]) + "。" if values["cc"] else ""
    atts = values.get("attachments") or []
    ctx["attachments"] = [{"label": "附件" if len(atts) == 1 else f"附件{i}", **a} for i, a in enumerate(atts, 1)
                          if not a.get("file")]  # a 附件 that is a file is filed with the record, not retyped
    if len(atts) == 1:
        ctx["attach_lines"] = [f"附件：{atts[0]['title']}"]
    else:
        ctx["attach_lines"] = [("附件：" if i == 1 else "\u3000" * 3) + f"{i}．{a['title']}" for i, a in enumerate(atts, 1)]
    return ctx


def file_stem(template: Template, values: dict, number: str, serial: str) -> str:
    pattern = template.manifest.filename
    if pattern:
        try:
            return safe_name(pattern.format(serial=serial, number=number, **{k: v for k, v in values.items()
                                                                            if isinstance(v, (str, int))}))
        except (KeyError, IndexError, ValueError):
            pass
    return safe_name(number or serial or values.get("title") or template.name)


def render_docx(template: Template, ctx: dict, path: Path) -> None:
    """Every template renders in the Jinja sandbox (generator.sandbox): a template is data from
    anyone, and one that reaches for Python internals stops here even if it slipped past loading."""
    from jinja2.exceptions import SecurityError

    try:
        if template.builtin:
            data = template.compiled.render(ctx)
        else:  # user templates go through docxtpl itself: they may use cell merges or images
            data = _render_with_docxtpl(template, ctx)
    except SecurityError as e:
        raise WenshuError(f"模板 {template.docx.name} 试图访问模板不允许使用的内容（{e}），已拒绝套用。"
                          "请检查模板中的占位符，只使用清单中的字段。") from None
    if template.manifest.qr:  # e.g. a campaign's pledge: the code its scan is matched back by
        from generator.qrslot import fill

        data = fill(data, template.manifest.qr, ctx)
    data = with_properties(data, template, ctx)  # 标题, 发文机关, 成文日期, 文号, 文种 (generator.props)
    Path(path).write_bytes(data)  # always a temp folder outside the archive; filing makes it durable


def _render_with_docxtpl(template: Template, ctx: dict) -> bytes:
    import io

    from docxtpl import DocxTemplate
    from jinja2.exceptions import SecurityError

    tpl = DocxTemplate(template.docx)
    try:
        tpl.render(ctx, jinja_env=sandbox_environment(), autoescape=True)
    except SecurityError:
        raise
    except Exception as e:  # docxtpl raises bare library errors on malformed templates
        raise WenshuError(f"模板 {template.docx.name} 无法套用：{type(e).__name__}: {e}") from None
    buf = io.BytesIO()
    tpl.save(buf)
    return buf.getvalue()


def render_document(template: Template, values: dict, number: str, out_dir: Path, *, config,
                    serial: str = "", pdf: bool = False, stem: str | None = None) -> RenderedDocument:
    """Render one document into ``out_dir``; with ``pdf`` also a PDF whose 版记 sits on the 版心 bottom."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = build_context(template, values, config, number, serial)
    stem = stem or file_stem(template, values, number, serial)
    docx_path = out_dir / f"{stem}.docx"
    render_docx(template, ctx, docx_path)
    doc = RenderedDocument(docx_path, None, None, number or serial, values.get("title") or "", values)
    if pdf and pdfmod.available():
        doc.pdf, doc.pages = to_pdf(template, ctx, docx_path)
    return doc


def to_pdf(template: Template, ctx: dict, docx_path: Path) -> tuple[Path, int]:
    """Convert; if the template has a 版记, pad it down to the 版心 bottom and convert again (two passes)."""
    with tempfile.TemporaryDirectory(prefix="wenshu-pdf-") as tmp:
        (pdf_path,) = pdfmod.convert([docx_path], Path(tmp))
        ctx, pdf_path = keep_tail(template, ctx, docx_path, pdf_path, lambda c: render_docx(template, c, docx_path),
                                  lambda: pdfmod.convert([docx_path], Path(tmp))[0])
        attempts = pad_attempts(template, pdf_path)
        pages = pdfmod.page_count(pdf_path) if attempts else 0
        for attempt in attempts:
            render_docx(template, dict(ctx, **attempt), docx_path)
            (pdf_path,) = pdfmod.convert([docx_path], Path(tmp))
            if pdfmod.page_count(pdf_path) == pages:
                break  # else the padding spilled onto a new page: pad less, at worst not at all
        target = docx_path.with_suffix(".pdf")
        shutil.move(str(pdf_path), target)
    return target, pdfmod.page_count(target)


def pad_attempts(template: Template, pdf_path: Path) -> list[dict]:
    """The 版记 padding to try, in order, for a document whose first PDF is ``pdf_path``: full
    padding to the 版心 bottom, 4 steps less, none — the first that keeps the page count wins.
    ``wenshu new`` and ``wenshu batch`` both follow this plan; empty when there is nothing to pad."""
    if "pad_lines" not in template.compiled.variables():
        return []
    gap = pdfmod.banji_gap_mm(pdf_path)
    if not gap or gap <= 1.0:
        return []
    pads = padding(gap)
    return [pads, dict(pads, pad_mm=max(0, pads["pad_mm"] - 4)), {}]


def padding(gap_mm: float) -> dict:
    """Whole empty lines plus 0.5 mm steps that fill ``gap_mm``, leaving ~0.5 mm so nothing spills over."""
    usable = max(0.0, gap_mm - 0.8)
    lines = int(usable // LINE_MM)
    return {"pad_lines": lines, "pad_mm": int((usable - lines * LINE_MM) // PAD_STEP_MM)}
