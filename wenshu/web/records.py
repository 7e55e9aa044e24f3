"""What the record pages need from the archive: one record by its 档号, one of its files by
index or exact name, a PDF page as a PNG (rendered once with pdftoppm, cached under .wenshu/).

A file is served only if record.json lists it under that exact name and it resolves to a file
directly inside the record's folder: ``../``, absolute paths and another record's file names are
simply not found.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from archive.archival_code import ArchivalCode
from archive.docnumber import DocNumber
from archive.errors import WenshuError
from archive.filing import find_records
from archive.fsutil import atomic_write_bytes
from archive.record import RECORD_JSON, Record, RecordFile
from archive.store import Archive

PAGE_DPI = 110
PAGES_DIR = "pages"  # under .wenshu/: <sha256>/<n>.png, derived and deletable like the index


class NotFound(Exception):
    """The thing asked for does not exist (for this user): the view answers 404."""


def find(archive: Archive, code_text: str) -> tuple[Path, Record]:
    """The record with this 档号 (archive.filing looks in the year's folder named after it)."""
    try:
        code = ArchivalCode.parse(code_text)
    except WenshuError:
        raise NotFound(code_text) from None
    found = find_records(archive, str(code))
    if len(found) != 1:
        raise NotFound(code_text)
    return found[0]


def file_of(folder: Path, record: Record, key: str | int) -> tuple[Path, RecordFile]:
    """A record's file by its position in record.json (0-based) or its exact name."""
    if isinstance(key, int):
        if not 0 <= key < len(record.files):
            raise NotFound(key)
        entry = record.files[key]
    else:
        entry = next((f for f in record.files if f.name == key), None)
        if entry is None:
            raise NotFound(key)
    name = entry.name
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name or Path(name).is_absolute():
        raise NotFound(name)  # a record.json tampered with must not lead outside its folder
    path = folder / name
    try:
        inside = path.resolve().parent == folder.resolve()
    except OSError:
        inside = False
    if not inside or not path.is_file():
        raise NotFound(name)
    return path, entry


def page_count(pdf: Path) -> int:
    from pypdf import PdfReader

    try:
        return len(PdfReader(str(pdf)).pages)
    except Exception:  # a damaged PDF shows no page images; the download still works
        return 0


def pdftoppm_available() -> bool:
    return shutil.which("pdftoppm") is not None


def page_png(archive: Archive, pdf: Path, entry: RecordFile, page: int) -> Path:
    """The PNG of page ``page`` (1-based), keyed by the PDF's sha256 so a new version renders anew."""
    cache = archive.state_dir / PAGES_DIR / entry.sha256[:64]
    out = cache / f"{page}.png"
    if out.is_file():
        return out
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise NotFound("pdftoppm")
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".render-") as tmp:
        proc = subprocess.run([exe, "-png", "-r", str(PAGE_DPI), "-f", str(page), "-l", str(page),
                               "-singlefile", str(pdf), str(Path(tmp) / "p")], capture_output=True, timeout=60)
        made = Path(tmp) / "p.png"
        if proc.returncode != 0 or not made.is_file():
            raise NotFound(page)
        atomic_write_bytes(out, made.read_bytes())
    return out


def cited_numbers(record: Record) -> list[str]:
    """文号 this record's relations name (关联 with a 文号), normalised."""
    out = []
    for rel in record.relations:
        dn = rel.get("文号") if isinstance(rel, dict) else None
        if dn:
            out.append(DocNumber.normalize(str(dn)))
    return out


def _by_record(docs: list[dict]) -> dict[str, dict]:
    """One stored-field dict per record (档号)."""
    out: dict[str, dict] = {}
    for f in docs:
        code = f.get("code", "")
        if code and code not in out:
            out[code] = f
    return out


def related(index, record: Record, visible) -> dict[str, list[dict]]:
    """The record's case (案件) in date order, the records whose 文号 its text cites, and the
    records whose text cites its 文号 — from the index's stored fields, without reading the
    archive's other records; each filtered by ``visible(密级)`` like everything else."""
    from indexer.docs import cites

    code = str(record.archival_code)
    own = DocNumber.normalize(str(record.doc_number)) if record.doc_number else ""
    out: dict[str, list[dict]] = {"case": [], "cites": [], "cited_by": []}

    def keep(found: dict[str, dict]) -> list[dict]:
        rows = [{"code": c, "docnum": f.get("docnum", ""), "title": f.get("title", ""), "date": _day(f.get("date")),
                 "doctype": f.get("doctype", "")}
                for c, f in found.items() if c != code and visible(f.get("classification", ""))]
        return sorted(rows, key=lambda r: (r["date"], r["code"]))

    try:
        with index.engine().reader() as r:
            if record.case:
                out["case"] = keep(_by_record(r.having("case", [record.case])))
            if own:
                out["cited_by"] = keep(_by_record(r.having("cites", [own])))
            numbers = set(cited_numbers(record))
            for f in _by_record(r.having("code", [code], limit=20)).values():
                numbers.update(n for n in cites(f.get("body", "") or "", own).split(",") if n)
            numbers.discard(own)
            if numbers:
                out["cites"] = keep(_by_record(r.having("docnum", sorted(numbers)[:50])))
    except WenshuError:
        pass
    return out


def _day(d) -> str:
    return f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}" if d else ""
