"""The table of the PostgreSQL engine (索引表): one row per FILE of the archive, the same
documents as whoosh's (indexer/docs.py), analysed by the same functions (indexer/analysis.py)
in Python and stored pre-tokenised.

Terms are ``text[]`` arrays with GIN indexes rather than a ``tsvector``: wenshu's terms are its
own (bigrams, long words, ASCII pieces, 文号 keys), so PostgreSQL's parser has nothing to add;
a ``tsvector`` of the ``simple`` configuration would re-parse them (splitting 5+2 and 〔〕) unless
built with ``array_to_tsvector``, and then answers ``@@`` with the same GIN lookups as ``@>``.
The arrays are sets (each term once): no term frequencies, as the scoring (translate.py) only
asks whether a term is there.

Bump SCHEMA_VERSION with the columns or the analysis: a table of another version is rebuilt.
"""

from __future__ import annotations

import re
from collections import Counter

from indexer.analysis import PART_SEP, fold, gram_terms, long_words, squeeze

SCHEMA_VERSION = 1

_CJK_CHAR = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# stored as whoosh stores them (indexer/whoosh_engine/schema.py): what stored() gives back
STORED = ("path", "record", "size", "mtime", "sha256", "error", "format", "code", "docnum", "form",
          "title", "author", "date", "year", "doctype", "retention", "classification", "case",
          "origcode", "status", "rmtime", "body")
_INTS = {"size", "mtime", "form", "date", "year", "rmtime"}
TERMS = ("numkeys", "cites", "authors", "title_gram", "gram", "chars")
COLUMNS = STORED + TERMS


def ddl(table: str) -> list[str]:
    cols = ",\n  ".join(
        [f'{_q(c)} {"bigint" if c in _INTS else "text"}' + (" NOT NULL UNIQUE" if c == "path" else "")
         for c in STORED] + [f"{c} text[] NOT NULL DEFAULT '{{}}'" for c in TERMS])
    return [
        f"CREATE TABLE {table} (\n  id bigserial PRIMARY KEY,\n  {cols}\n)",
        *[f"CREATE INDEX ON {table} USING gin ({c})" for c in TERMS],
        f"CREATE INDEX ON {table} (code text_pattern_ops)",
        f"CREATE INDEX ON {table} (origcode text_pattern_ops)",
        f"CREATE INDEX ON {table} (path text_pattern_ops)",
        f"CREATE INDEX ON {table} (record)",
        f"CREATE INDEX ON {table} (date)",
        f"CREATE INDEX ON {table} (year)",
        f"CREATE INDEX ON {table} (doctype)",
    ]


def _q(c: str) -> str:
    return '"case"' if c == "case" else c


def quoted_columns() -> str:
    return ", ".join(map(_q, COLUMNS))


def _split(value) -> list[str]:
    return [v for v in str(value or "").split(",") if v]


def row(doc: dict) -> tuple:
    """The column values of an index document (indexer/docs.py ``clean``'s output)."""
    parts = str(doc.get("gram", "")).split(PART_SEP)
    grams: Counter = Counter()
    chars: set[str] = set()
    for part in parts:
        grams.update(gram_terms(part, unigrams=False))
        grams.update(long_words(part))
        chars.update(_CJK_CHAR.findall(squeeze(fold(part))))
    title = str(doc.get("title_gram", doc.get("title", "")) or "")
    title_terms = set(gram_terms(title)) | set(long_words(title))
    values = []
    for c in STORED:
        v = doc.get(c)
        values.append(None if v is None else int(v) if c in _INTS else str(v))
    values += [sorted(set(_split(doc.get("numkeys")))), sorted(set(_split(doc.get("cites")))),
               _split(doc.get("author")), sorted(title_terms), sorted(grams), sorted(chars)]
    return tuple(values)


def stored_of(names, values) -> dict:
    """A row as whoosh's stored fields: the columns that have a value."""
    return {n: v for n, v in zip(names, values) if v is not None}
