"""拟文/发文 pages: choose a template, fill the form built from its manifest, 预览 or 发文.

The form's values are handed to ``generator.service.new_document`` — the function under
``wenshu new`` — so numbering, rendering, filing and indexing are the CLI's. Field problems are
found by ``Manifest.check`` (the CLI's own conversions, all fields at once)
and shown beside each field; a preview takes no number (``dry_run`` peeks the registry).
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from archive.errors import WenshuError
from wenshu.web.audit import log
from wenshu.web.settings import archive  # one Archive per thread
from wenshu.web.views import require

ATTACH_ROWS = 3  # typed 附件 rows offered on the form
CONTROLS = {"text": "text", "number": "number", "date": "date", "choice": "select", "multiline": "textarea",
            "body": "textarea", "list": "textarea", "attachments": "attachments"}


def _templates():
    from generator.template import list_templates

    return list_templates(archive())


def _template(name):
    from generator.service import resolve_template

    try:
        return resolve_template(name, archive())
    except WenshuError:
        raise Http404("没有这个模板。") from None


@require("issue")
def choose(request):
    rows = [{"t": t, "own": not t.builtin} for t in _templates()]
    return render(request, "web/issue_choose.html", {"rows": rows})


def _raw(request, template) -> dict:
    """The form's values keyed by field name, in the shapes the manifest's conversions take."""
    raw = {}
    for f in template.manifest.fields:
        if f.type == "attachments":
            items = []
            for i in range(1, ATTACH_ROWS + 1):
                title = request.POST.get(f"{f.name}_title_{i}", "").strip()
                body = request.POST.get(f"{f.name}_body_{i}", "").strip()
                if title or body:
                    items.append({"title": title, "body": body})
            raw[f.name] = items
        else:
            raw[f.name] = request.POST.get(f.name, "")
    return raw


def _uploads(request, template, folder: Path) -> tuple[list[Path], str]:
    """Uploaded 附件 files saved under ``folder`` (their own names); a wrong type is an error."""
    from generator.form_fields import ATTACH_SUFFIXES

    paths = []
    for up in request.FILES.getlist("attach_files"):
        name = Path(up.name).name
        if Path(name).suffix.lower() not in ATTACH_SUFFIXES or name.startswith("."):
            return [], f"附件文件 {name}：只能附 {'/'.join(ATTACH_SUFFIXES)} 文件。"
        target = folder / str(len(paths) + 1)
        target.mkdir(parents=True)
        with open(target / name, "wb") as out:
            for chunk in up.chunks():
                out.write(chunk)
        paths.append(target / name)
    return paths, ""


def _fields(template, raw, errors):
    out = []
    for f in template.manifest.fields:
        value = raw.get(f.name, "")
        if value in ("", None) and f.default is not None and f.type != "attachments":
            value = f.default
        rows = []
        if f.type == "attachments":
            given = list(value or [])
            rows = [given[i] if i < len(given) else {"title": "", "body": ""} for i in range(ATTACH_ROWS)]
            rows = [dict(r, i=i + 1) for i, r in enumerate(rows)]
        out.append({"f": f, "control": CONTROLS[f.type], "value": value, "error": errors.get(f.name, ""),
                    "rows": rows, "type_label": f.type})
    return out


def _reserved(template):
    if template.manifest.numbering != "文号":
        return []
    return [str(e.number) for e in archive().registry.entries() if e.status == "reserved"]


@require("issue")
def form(request, name):
    template = _template(name)
    raw, errors, general = {}, {}, ""
    if request.method == "POST":
        raw = _raw(request, template)
        errors = template.manifest.check(raw)[1]
        if not errors:
            result = _run(request, template, raw)
            if not isinstance(result, str):
                return result
            general = result
    return render(request, "web/issue_form.html", {
        "t": template, "fields": _fields(template, raw, errors), "errors": errors, "general": general,
        "reserved": _reserved(template), "chosen": request.POST.get("number", ""),
        "next_number": _next_number(template)})


def _next_number(template):
    from generator.service import choose_prefix
    from datetime import date

    if template.manifest.numbering != "文号":
        return ""
    try:
        return str(archive().registry.peek(choose_prefix(archive(), template, None), date.today().year))
    except WenshuError:
        return ""


def _run(request, template, raw):
    """预览 → the PDF itself (nothing taken, nothing filed); 发文 → the new record's page.
    Returns a response, or the message of a refusal to show above the form."""
    from generator.service import new_document
    from wenshu.indexing import index_filed

    preview = request.POST.get("action") == "preview"
    number = request.POST.get("number", "").strip() or None
    with tempfile.TemporaryDirectory(prefix="wenshu-web-") as tmp:
        attach, problem = _uploads(request, template, Path(tmp) / "上传")
        if problem:
            return problem
        data = {k: v for k, v in raw.items() if v not in ("", [])}
        try:
            if preview:
                from generator.preview import preview_document

                doc = preview_document(archive(), template.name, data, Path(tmp) / "预览", number=number,
                                       attach=attach)
            else:
                p = new_document(archive(), template.name, data, pdf=True, on_filed=index_filed,
                                 number=number, attach=attach)
        except WenshuError as e:
            return str(e)
        if preview:
            log(request, "preview", doc.number, doc.title)
            if doc.pdf is None:
                from generator import pdf as pdfmod

                return pdfmod.INSTALL_HINT
            resp = FileResponse(io.BytesIO(doc.pdf.read_bytes()), content_type="application/pdf",
                                filename=f"{doc.number or doc.title}.pdf")
            return resp
    log(request, "issue", p.archival_code, f"{p.number} {p.title}")
    return redirect(reverse("record", args=[p.archival_code]))
