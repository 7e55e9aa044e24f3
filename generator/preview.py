"""A preview PDF that says it is one: the number printed as ``高教字〔2022〕9号（预览）``.

Same steps as ``service.new_document`` up to rendering — resolve, validate, check the 附件 files,
ask the registry which number it *would* give (``numbered(dry_run=True)`` peeks, takes nothing) —
then renders into ``out_dir`` with the mark, so a printed preview can never pass for the issued
document. Nothing is filed.
"""

from __future__ import annotations

from pathlib import Path

from generator import pdf as pdfmod
from generator.render import RenderedDocument, render_document
from generator.service import attachment_files, numbered, prepare, resolve_template

MARK = "（预览）"


def preview_document(archive, template_name: str, data: dict, out_dir: Path, *, prefix: str | None = None,
                     number: str | None = None, attach: list[Path] = ()) -> RenderedDocument:
    template = resolve_template(template_name, archive)
    values = attachment_files(archive, template, prepare(template, data), list(attach))
    with numbered(archive, template, values, prefix, True, number) as (doc_no, serial):
        return render_document(template, values, doc_no + MARK if doc_no else "", Path(out_dir),
                               config=archive.config, serial=serial + MARK if serial else "",
                               pdf=pdfmod.available())
