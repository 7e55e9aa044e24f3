"""The generator handed to ``campaign`` (which does not import it, DESIGN §2): the shell's wiring.

``campaign.letters`` builds the 督办函 / 整改通知书 data from the records and ``campaign.report``
writes the 督查报告 from them; numbering, rendering, filing (with the index kept right by
``index_filed``) and PDF conversion are the generator's, passed in from here by the CLI, the demo
and the tests alike.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path


def maker(archive, *, pdf: bool = False, index: bool = True):
    """``make(template_name, data)`` for ``campaign.letters``: one document numbered, rendered, filed."""
    from generator.service import new_document
    from wenshu.indexing import index_filed

    def make(template_name: str, data: dict):
        return new_document(archive, template_name, data, pdf=pdf, on_filed=index_filed if index else None)

    return make


def _render_notice(archive, data: dict, number: str, out_dir: Path, stem: str) -> Path:
    from generator.render import render_document
    from generator.service import prepare, resolve_template

    template = resolve_template("notice", archive)
    return render_document(template, prepare(template, data), number, Path(out_dir), config=archive.config,
                           stem=stem).docx


def notice_renderer(archive):
    """``render(data, number, out_dir, stem)`` for ``campaign.report``: the notice template, unnumbered
    by the registry (the report's 文号 is given or left blank for the clerk)."""
    return partial(_render_notice, archive)


def report(store, campaign, out_dir: Path, *, as_of, signer: str, number: str = "", pdf: bool = False):
    """The 督查报告 and ledgers; with ``pdf`` (and LibreOffice present) the report's PDF beside it."""
    from campaign.report import make_report
    from generator import pdf as pdfmod

    r = make_report(store, campaign, out_dir, as_of=as_of, signer=signer, number=number,
                    render=notice_renderer(store.archive))
    made = None
    if pdf and pdfmod.available():
        (made,) = pdfmod.convert([r.docx], Path(out_dir))
    return r, made
