"""From a file on disk to the fields of its index document (索引文档).

A file inside a record folder (``<年度>/<档号> <题名>/``) takes the record's metadata from its
record.json; a loose file is still indexed with what can be read from it (its name as 题名,
the first 文号 in its text, the 年度 folder it sits in). Keeping this apart from the writer
lets ``refresh_record`` and ``move_file`` re-use stored text without reading the file again.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from archive.config import CONFIG_NAME
from archive.docnumber import DocNumber
from archive.errors import WenshuError
from archive.elements import split_issuers
from archive.record import RECORD_JSON, Record, sha256_file
from archive.store import INBOX, STATE_DIR
from indexer.analysis import PART_SEP
from indexer.ignore import is_junk_name

SKIPPED_DIRS = (STATE_DIR, INBOX)

# The metadata fields a record gives each of its files.
META_FIELDS = ("record", "code", "docnum", "title", "title_gram", "author", "meta",
               "date", "year", "doctype", "retention", "classification", "case", "status", "rmtime", "form",
               "origcode")
_YEAR = re.compile(r"\d{4}")


def is_indexable_rel(rel: PurePosixPath) -> bool:
    parts = rel.parts
    if not parts or parts[0] in SKIPPED_DIRS or rel.name == RECORD_JSON or parts == (CONFIG_NAME,):
        return False
    # one junk rule for the watcher, rebuild and reconcile (indexer.ignore): hidden names included
    return not any(is_junk_name(p) for p in parts)


def read_text(path: Path) -> tuple[str, str]:
    """(text, error). A format wenshu cannot read is indexed by its metadata alone, no error;
    a readable format that fails (corrupt, encrypted, empty) keeps its reason for ``wenshu check``."""
    from archive.extract import SUPPORTED_FORMATS, extract_text
    from archive.ofd import is_ofd

    if path.suffix.lower().lstrip(".") not in SUPPORTED_FORMATS and not is_ofd(path):
        return "", ""  # an OFD is known by its structure (a ZIP with OFD.xml), whatever it is called
    try:
        return extract_text(path), ""
    except WenshuError as e:
        return "", str(e)
    except Exception as e:  # a parser bug on one odd file must not stop a batch
        return "", f"无法读取 {path.name}：{type(e).__name__}: {e}"


def record_meta(record: Record, record_rel: str, rmtime: int) -> dict:
    dn = record.doc_number
    authors = split_issuers(record.author or "")
    meta_text = " ".join([record.author, record.doc_type, record.case, *record.keywords,
                          *record.recipients, *(str(v) for v in record.extra.values() if isinstance(v, str))])
    return {
        "record": record_rel,
        "code": str(record.archival_code),
        "docnum": DocNumber.normalize(str(dn)) if dn else "",
        "title": record.title,
        "title_gram": record.title,
        "author": ",".join(authors),
        "meta": meta_text,  # not a field: joins the text in ``gram``
        "date": int(record.date.strftime("%Y%m%d")) if record.date else None,
        "year": record.year,
        "doctype": record.doc_type,
        "retention": record.retention.value,
        "classification": record.classification,
        "case": record.case,
        "status": "撤销" if record.withdrawn else "",
        "rmtime": rmtime,
        "form": int(is_form(record)),
        "origcode": record.original_code,
    }


def is_form(record: Record) -> bool:
    """A form of a series (表单: one 承诺书 per teacher, from a template numbered by 编号, no
    文号), not a 公文: a batch of them must not bury the documents for free text (search ranks
    forms after documents, indexer/whoosh_engine/ranking.py)."""
    return bool(record.template) and not record.doc_number and "编号" in record.extra


def loose_meta(rel: PurePosixPath, text: str) -> dict:
    numbers = DocNumber.find_all(text[:3000]) if text else []
    year = next((int(p) for p in rel.parts[:-1] if _YEAR.fullmatch(p)), None)
    return {
        "record": "", "code": "", "docnum": str(numbers[0]) if numbers else "",
        "title": rel.stem, "title_gram": rel.stem, "author": "", "meta": "",
        "date": None, "year": year, "doctype": "", "retention": "", "classification": "",
        "case": "", "status": "", "rmtime": 0, "origcode": "",
    }


def file_fields(path: Path, rel: PurePosixPath, meta: dict, *, text: str | None = None,
                error: str = "", sha256: str | None = None) -> dict:
    """All fields of one file's document; reads and hashes the file unless told."""
    st = path.stat()
    if text is None:
        text, error = read_text(path)
    if meta.get("record") == "" and not meta.get("docnum") and text:
        meta = loose_meta(rel, text)
    doc = dict(meta)
    doc.update(cites=cites(text, meta.get("docnum", "")), path=str(rel), size=st.st_size, mtime=st.st_mtime_ns,
               sha256=sha256 or sha256_file(path), error=error,
               format=path.suffix.lower().lstrip("."), body=text)
    return clean(doc)


def cites(text: str, own: str) -> str:
    """The 文号 and 令号 a text cites, as index terms (DocNumber.cited_keys), comma-separated:
    a cheap exact field for "who cites X", with or without the year."""
    found = DocNumber.cited_keys(text) if text else set()
    found.difference_update(DocNumber.keys_of(own))
    return ",".join(sorted(found))


def clean(doc: dict) -> dict:
    """The document as whoosh takes it: ``gram`` joins 题名, the short fields and the text;
    None is dropped (whoosh rejects it; an empty string keeps the stored value). ``numkeys``
    (the terms the file's own 文号 is found under, with and without its year) derive from the
    stored 文号, so every path that writes a document (rebuild, refresh, move) has them."""
    doc = {k: v for k, v in doc.items() if v is not None}
    meta = doc.pop("meta", "")
    doc["numkeys"] = ",".join(DocNumber.keys_of(doc.get("docnum", "")))
    doc["gram"] = PART_SEP.join((doc.get("title", ""), meta, doc.get("body", "")))
    return doc
