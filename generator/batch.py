"""Batches (批量生成): one document per roster row, e.g. 1,000 teachers' 承诺书.

Every row is validated before any number is taken, so a bad row costs no number; bad rows are
reported with their spreadsheet row number while the others go on (``strict`` stops before
anything happens). Rendering runs in worker processes that compile the template once; PDF
conversion runs one LibreOffice per worker over many files; filing runs in this process
because the registry and the archive folders are written here.
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from archive.errors import WenshuError
from archive.filing import OnFiled
from generator import pdf as pdfmod
from generator.render import RenderedDocument, build_context, file_stem, pad_attempts, render_docx
from generator import numbering
from generator.service import Produced, file_rendered, prepare, resolve_template
from generator.roster import Roster, duplicates, read_roster
from generator.template import Template, load_template


@dataclass
class RowError:
    row: int
    message: str


@dataclass
class BatchReport:
    produced: list[Produced] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    seconds: float = 0.0
    pdf_note: str = ""
    index_note: str = ""
    warnings: list[str] = field(default_factory=list)
    combined: list[Path] = field(default_factory=list)  # one PDF per 学校 for printing
    preview: bool = False  # --out without filing: the numbers shown were not taken


USER_STOP = "用户中断"


class BatchInterrupted(WenshuError):
    """Ctrl-C or SIGTERM: what was filed stays filed, every number taken for the rest is voided
    with the reason 用户中断 (never the error a dying LibreOffice or worker reported)."""

    exit_code = 130

    def __init__(self, report: "BatchReport", voided: int):
        self.report, self.voided = report, voided
        super().__init__(f"已中断：已生成 {len(report.produced)} 份，未生成的 {voided} 个编号已作废（{USER_STOP}）")


class _Stop:
    """SIGINT/SIGTERM while a batch runs. The handler raises KeyboardInterrupt at once, except while
    a record is being filed (``critical``): then the record is finished and the batch stops after it,
    so no filed record ever holds a voided number."""

    def __init__(self):
        self.requested = ""
        self.critical = False
        self._old: dict = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():  # the web server's threads cannot
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)

    def _handle(self, signum, frame):
        self.requested = signal.Signals(signum).name
        if not self.critical:
            raise KeyboardInterrupt(self.requested)

    def check(self) -> None:
        if self.requested:
            raise KeyboardInterrupt(self.requested)


def read_rows(path: Path, template: Template | None = None, given: set[str] = frozenset()) -> list[tuple[int, dict]]:
    """(spreadsheet row number, {field name: value}) for every data row of a .csv or .xlsx roster."""
    return read_roster(path, (template or load_template("pledge")).manifest, given).rows


def _check_columns(template: Template, roster: Roster, common: dict) -> None:
    m = template.manifest
    given = set(roster.columns.values()) | set(common)
    missing = [f"{f.label}（{f.name}）" for f in m.fields if f.required and f.default is None and f.name not in given]
    if missing:
        found = "、".join(roster.columns) or "（无）"
        raise WenshuError(f"名册 {roster.source} 缺少必填列：{'、'.join(missing)}（找到的列：{found}）。"
                          "未生成任何文件，未占用编号。")


def roster_warnings(template: Template, roster: Roster) -> list[str]:
    """Columns that map to no field: named before anything is issued, never silently dropped."""
    if not roster.unmatched:
        return []
    known = "、".join(f.label for f in template.manifest.fields if f.type not in ("body", "attachments"))
    return [f"名册 {roster.source} 的列 {'、'.join(roster.unmatched)} 没有对应的字段，不会印在文书上"
            f"（模板 {template.label} 的字段：{known}）。"]


def _check_duplicates(roster: Roster, allow: bool) -> list[str]:
    found = duplicates(roster.rows)
    if not found:
        return []
    lines = [f"{who}在第 {'、'.join(map(str, rows))} 行" for who, rows in found]
    if not allow:
        raise WenshuError(f"名册 {roster.source} 中有重复的人：{'；'.join(lines)}。确需各发一份时请加 --allow-duplicates；"
                          "未生成任何文件，未占用编号。")
    return [f"名册中有重复的人（--allow-duplicates，各发一份）：{'；'.join(lines)}。"]


# -- worker side ------------------------------------------------------------------------------------

_WORKER: dict = {}


def _render_chunk(template: Template, config, jobs: list[tuple], out_dir: str) -> list[tuple]:
    """Render (index, values, number, serial, pads, stem) jobs; returns (index, path or None, error)."""
    key = str(template.docx)
    if _WORKER.get("key") != key:  # compile once per process
        _WORKER.update(key=key, template=template)
    tpl = _WORKER["template"]
    out = []
    for index, values, number, serial, pads, stem in jobs:
        try:
            ctx = build_context(tpl, values, config, number, serial)
            ctx.update(pads or {})
            path = Path(out_dir) / f"{stem}.docx"
            render_docx(tpl, ctx, path)
            out.append((index, str(path), ""))
        except Exception as e:  # reported per row; the batch goes on
            out.append((index, None, str(e) or type(e).__name__))
    return out


def _chunks(items: list, n: int) -> list[list]:
    size = max(1, (len(items) + n - 1) // n)
    return [items[i:i + size] for i in range(0, len(items), size)]


def render_many(template: Template, config, jobs: list[tuple], out_dir: Path, workers: int):
    """Yields (index, path, error) as chunks finish, so the caller can file while workers render."""
    if workers <= 1 or len(jobs) < 20:
        yield from _render_chunk(template, config, jobs, str(out_dir))
        return
    pool = ProcessPoolExecutor(workers, initializer=_ignore_interrupts)
    try:
        futures = [pool.submit(_render_chunk, template, config, c, str(out_dir))
                   for c in _chunks(jobs, max(workers * 4, len(jobs) // 25))]
        for f in futures:
            yield from f.result()
    finally:  # interrupted: drop the chunks not started instead of rendering them all first
        pool.shutdown(wait=True, cancel_futures=True)


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C (sent to the whole process group) to the parent, which stops the batch."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def convert_many(files: list[Path], out_dir: Path, workers: int) -> list[Path]:
    """PDF for many files: one LibreOffice (own profile) per worker, each over a share of the files."""
    groups = _chunks(files, max(1, min(workers, len(files))))
    with ThreadPoolExecutor(len(groups) or 1) as pool:
        parts = list(pool.map(lambda g: pdfmod.convert(g, out_dir), groups))
    return [p for part in parts for p in part]


# -- the batch ------------------------------------------------------------------------------------------


def run_batch(archive, template_name: str, rows_path: Path, common: dict | None = None, *, pdf: bool = False,
              strict: bool = False, prefix: str | None = None, when: str | None = None, file: bool = True,
              out_dir: Path | None = None, workers: int | None = None, retention=None, org: str = "",
              on_filed: OnFiled | None = None, allow_duplicates: bool = False,
              combine_by: str | None = None, combine_dir: Path | None = None,
              warn: Callable[[str], None] = lambda message: None,
              progress: Callable[[str, int, int], None] | None = None) -> BatchReport:
    start = time.perf_counter()
    workers = workers or min(2, os.cpu_count() or 1)
    tick = progress or (lambda stage, done, total: None)
    template = resolve_template(template_name, archive)
    m = template.manifest
    common = m.normalise_keys(common or {}, "公共数据：")
    roster = read_roster(rows_path, m, set(common))
    rows = roster.rows
    _check_columns(template, roster, common)
    report = BatchReport()
    report.warnings = roster_warnings(template, roster) + _check_duplicates(roster, allow_duplicates)
    for w in report.warnings:
        warn(w)  # before any number is taken

    valid = []
    for n, row in rows:
        where = f"第 {n} 行："
        cells = {k: v for k, v in row.items() if str(v).strip()}
        if not cells:
            report.errors.append(RowError(n, "空行，已跳过。"))
            continue
        try:
            data = {**common, **m.normalise_keys(cells, where, ignore_unknown=True)}
            valid.append((n, prepare(template, data, when, where)))
        except WenshuError as e:
            report.errors.append(RowError(n, str(e)))
    if any(a.get("file") for _, values in valid for a in values.get("attachments") or []):
        raise WenshuError("批量生成不能以已有文件作附件（同一个文件不能归入每一份文件）：请在附件中写标题和正文，"
                          "或逐份用 wenshu new --attach，或归档后用 wenshu attach。未生成任何文件，未占用编号。")
    if strict and report.errors:
        e = report.errors[0]
        raise WenshuError(f"第 {e.row} 行：{e.message.removeprefix(f'第 {e.row} 行：')}（--strict：未生成任何文件，未占用编号）")

    numbers: list[tuple[str, str]] = []
    settled: set[int] = set()
    report.preview = not file

    def void(i: int, reason: str) -> None:
        settled.add(i)
        n, (number, serial) = valid[i][0], numbers[i]
        if not file:  # a preview took no number
            pass
        else:
            numbering.give_up(archive, template, (number, serial),
                              reason if reason == USER_STOP else f"批量生成第 {n} 行失败，自动作废：{reason}")
        if reason != USER_STOP:
            report.errors.append(RowError(n, reason))

    stop = _Stop()
    try:
        stop.__enter__()
        _numbers(archive, template, valid, prefix, numbers, take=file, tick=tick)
        with tempfile.TemporaryDirectory(prefix="wenshu-batch-") as tmp:
            tmp = Path(tmp)
            stems: dict[str, int] = {}
            jobs = []
            for i, (n, values) in enumerate(valid):
                stem = file_stem(template, values, *numbers[i])
                if stem in stems:  # e.g. a template without numbers and two rows with the same title
                    stem = f"{stem}-第{n}行"
                stems[stem] = i
                jobs.append((i, values, *numbers[i], None, stem))
            docs: dict[int, RenderedDocument] = {}
            # combined PDFs where asked for (the CLI always asks), or beside the files of an --out batch
            group_by = _group_field(m, combine_by) if pdf and (combine_dir or combine_by or not file) else None
            printed: dict[str, list[tuple[int, Path]]] = {}

            def deliver(i: int, doc: RenderedDocument) -> None:
                stop.check()
                produced = Produced(doc.number, doc.title, pages=doc.pages)
                stop.critical = True  # a record half filed is finished before the batch stops
                try:
                    if file:
                        produced.archival_code, produced.files = file_rendered(
                            archive, template, valid[i][1], doc, retention=retention, org=org)
                    else:
                        target = Path(out_dir or ".")
                        target.mkdir(parents=True, exist_ok=True)
                        for p in (doc.docx, doc.pdf):
                            if p:
                                os.replace(p, target / p.name)
                                produced.files.append(target / p.name)
                    settled.add(i)
                    report.produced.append(produced)
                except WenshuError as e:
                    void(i, str(e))
                    return
                finally:
                    stop.critical = False
                pdfs = [(i, f) for f in produced.files if f.suffix == ".pdf"]
                if group_by and pdfs:
                    printed.setdefault(str(valid[i][1].get(group_by) or "未填写"), []).extend(pdfs)
                tick("归档" if file else "保存", len(report.produced), len(valid))

            for i, path, err in render_many(template, archive.config, jobs, tmp, workers):
                stop.check()
                if err:
                    void(i, err)
                    continue
                number, serial = numbers[i]
                doc = RenderedDocument(Path(path), None, None, number or serial, valid[i][1].get("title") or "", valid[i][1])
                if pdf:
                    docs[i] = doc
                    tick("生成", len(docs), len(valid))
                else:  # no PDF to wait for: file while the workers go on rendering
                    deliver(i, doc)
            if pdf and docs and not pdfmod.available():
                report.pdf_note = pdfmod.INSTALL_HINT
            elif pdf and docs:
                _batch_pdf(template, archive.config, valid, numbers, docs, tmp, workers)
                tick("PDF", len(docs), len(valid))
            for i in sorted(docs):
                deliver(i, docs[i])
            stop.check()  # a signal that came while the last record was being filed
    except BaseException as e:  # interrupted or a bug: no number taken for this batch stays unexplained
        stop.critical = True  # a second Ctrl-C does not cut the voiding short
        why = USER_STOP if stop.requested or isinstance(e, KeyboardInterrupt) else f"批量生成中断（{type(e).__name__}: {e}）"
        left = [i for i in range(len(numbers)) if i not in settled]
        for i in left:
            try:
                void(i, why)
            except WenshuError:
                pass
        stop.__exit__()
        if why != USER_STOP:
            raise
        if file and on_filed and report.produced:  # what was filed is searchable
            report.index_note = on_filed(archive, [f for p in report.produced for f in p.files])
        report.seconds = time.perf_counter() - start
        raise BatchInterrupted(report, len(left) if file else 0) from None
    stop.__exit__()
    if printed:
        report.combined = combine_pdfs(printed, Path(combine_dir or out_dir or ".") / f"{template.label}合并打印")
    if file and on_filed and report.produced:  # one index writer for the whole batch
        tick("索引", 0, 1)
        report.index_note = on_filed(archive, [f for p in report.produced for f in p.files])
        tick("索引", 1, 1)
    report.errors.sort(key=lambda e: e.row)
    report.seconds = time.perf_counter() - start
    return report


def _numbers(archive, template: Template, valid: list, prefix: str | None, out: list[tuple[str, str]], *,
             take: bool, tick: Callable[[str, int, int], None]) -> None:
    """(文号, 编号) per valid row, appended to ``out`` as each is taken (so an interrupt voids them all).
    ``take`` issues them; otherwise (a preview, --out without filing) they are the numbers the rows
    would get, read with ``peek_items`` and taken from nobody."""
    if not take:  # a preview, or --out without filing
        out.extend(numbering.preview(archive, template, [values for _, values in valid], prefix))
        return
    if template.manifest.numbering not in ("文号", "编号"):
        out.extend([("", "")] * len(valid))
        return
    for _, values in valid:  # numbers only for rows that will be produced
        out.append(numbering.take(archive, template, values, prefix))
        tick("编号", len(out), len(valid))


def _group_field(manifest, combine_by: str | None) -> str | None:
    """The field the combined PDFs are made per: the one named (--combine-by), else 学校 if the template has it."""
    if combine_by:
        f = manifest.field(combine_by)
        if f is None:
            raise WenshuError(f"--combine-by：模板 {manifest.name} 没有字段“{combine_by}”。")
        return f.name
    return "school" if manifest.field("school") else None


def combine_pdfs(groups: dict[str, list[tuple[int, Path]]], folder: Path) -> list[Path]:
    """One PDF per group (e.g. per 学校) in roster order, for printing; the records keep their own."""
    from pypdf import PdfWriter

    from archive.fsutil import safe_name

    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for key, items in sorted(groups.items()):
        writer = PdfWriter()
        for _, path in sorted(items):
            writer.append(str(path))
        target = folder / f"{safe_name(key)}.pdf"
        tmp = target.with_name(target.name + ".part")
        with open(tmp, "wb") as f:
            writer.write(f)
        os.replace(tmp, target)
        out.append(target)
    return out


def _batch_pdf(template, config, valid, numbers, docs: dict, tmp: Path, workers: int) -> None:
    order = sorted(docs)
    pdfs = convert_many([docs[i].docx for i in order], tmp / "pdf", workers)
    # 版记 to the 版心 bottom, by the plan of render.pad_attempts: each pass re-renders the
    # documents whose previous attempt spilled onto a new page, with the next attempt.
    plans = {i: pad_attempts(template, p) for i, p in zip(order, pdfs)}
    before = {i: pdfmod.page_count(pdfs[order.index(i)]) for i in plans if plans[i]}
    pending = list(before)
    for stage in range(3):
        jobs = [(i, valid[i][1], *numbers[i], plans[i][stage] or None, docs[i].docx.stem) for i in pending]
        if not jobs:
            break
        for _ in render_many(template, config, jobs, tmp, workers):
            pass
        convert_many([docs[i].docx for i in pending], tmp / "pdf", workers)  # overwrites those PDFs
        pending = [i for i in pending if pdfmod.page_count(pdfs[order.index(i)]) != before[i]]
    for i, p in zip(order, pdfs):
        target = docs[i].docx.with_suffix(".pdf")
        os.replace(p, target)
        docs[i].pdf, docs[i].pages = target, pdfmod.page_count(target)
