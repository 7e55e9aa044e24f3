"""The table of the PostgreSQL engine (索引表): one row per FILE of the archive, the same
documents as whoosh's (indexer/docs.py), analysed by the same functions (indexer/analysis.py)
in Python and stored pre-tokenised.

The bags of terms (grams, long words, characters) are ``tsvector``s of wenshu's own terms,
written as tsvector literals of quoted lexemes (``lexeme``) — taken as they are, never re-parsed by
a text search configuration, which would split 5+2 or 高教督函〔2022〕 — with GIN indexes; the short lists of whole values
(文号 keys, cited keys, 责任者) are ``text[]``. Measured (bench/search.py --engine postgres, 1,000
records): with the bags as ``text[]`` too, a common word took 140–200 ms, as ``@>`` on an array
is rechecked on the row, detoasting its ~1,700 terms; GIN answers a tsquery of plain lexemes
without a recheck. The bags are sets (each term once, no positions or weights): the scoring
(translate.py) only asks whether a term is there.

Bump SCHEMA_VERSION with the columns or the analysis: a table of another version is rebuilt,
unless ``upgrades`` says how to bring it up in place (an index added needs no re-reading).
"""

from __future__ import annotations

import re
from indexer.analysis import PART_SEP, fold, gram_terms, long_words, squeeze

SCHEMA_VERSION = 3


def upgrades(table: str) -> dict[int, list[str]]:
    """From a version to the next, in place: 1 → 2 indexed ``words`` (translate.py asks it once
    per query instead of every row); 2 → 3 the (form, id) order ranking.py walks."""
    return {1: [f"CREATE INDEX ON {table} USING gin (words)"],  # once: under the lock, version kept
            2: [f"CREATE INDEX ON {table} (form, id)"]}

_CJK_CHAR = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# stored as whoosh stores them (indexer/whoosh_engine/schema.py): what stored() gives back
STORED = ("path", "record", "size", "mtime", "sha256", "error", "format", "code", "docnum", "form",
          "title", "author", "date", "year", "doctype", "retention", "classification", "case",
          "origcode", "status", "rmtime", "body")
INTS = {"size", "mtime", "form", "date", "year", "rmtime"}
ARRAYS = ("numkeys", "cites", "authors")  # short lists of whole values: text[] with GIN
VECTORS = ("title_gram", "gram", "chars", "words")  # bags of terms: tsvector (no positions) with GIN
TERMS = ARRAYS + VECTORS
COLUMNS = STORED + TERMS


def ddl(table: str) -> list[str]:
    cols = ",\n  ".join(
        [f'{_q(c)} {"bigint" if c in INTS else "text"}' + (" NOT NULL UNIQUE" if c == "path" else "")
         for c in STORED] + [f"{c} text[] NOT NULL DEFAULT '{{}}'" for c in ARRAYS]
        + [f"{c} tsvector NOT NULL DEFAULT ''" for c in VECTORS])
    return [f"CREATE TABLE {table} (\n  id bigserial PRIMARY KEY,\n  {cols}\n)", *indexes(table)]


def indexes(table: str) -> list[str]:
    """Built after the rows by a rebuild (a GIN index built at once is several times faster
    than one grown row by row)."""
    return [
        *[f"CREATE INDEX ON {table} USING gin ({c})" for c in TERMS],
        f"CREATE INDEX ON {table} (code text_pattern_ops)",
        f"CREATE INDEX ON {table} (origcode text_pattern_ops)",
        f"CREATE INDEX ON {table} (path text_pattern_ops)",
        f"CREATE INDEX ON {table} (record)",
        f"CREATE INDEX ON {table} (date)",
        f"CREATE INDEX ON {table} (year)",
        f"CREATE INDEX ON {table} (doctype)",
        f"CREATE INDEX ON {table} (form, id)",
    ]


def _q(c: str) -> str:
    return '"case"' if c == "case" else c


def quoted_columns() -> str:
    return ", ".join(map(_q, COLUMNS))


def placeholders() -> str:
    """A VALUES row (a rebuild COPYs the same values)."""
    return ", ".join("%s::tsvector" if c in VECTORS else "%s" for c in COLUMNS)


def lexeme(term: str) -> str:
    """A term quoted as one lexeme of a tsvector or tsquery literal: whatever it holds (spaces,
    quotes, : & | !) is the lexeme, unnormalised."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _split(value) -> list[str]:
    return [v for v in str(value or "").split(",") if v]


def row(doc: dict) -> tuple:
    """The column values of an index document (indexer/docs.py ``clean``'s output)."""
    parts = str(doc.get("gram", "")).split(PART_SEP)
    grams: set[str] = set()
    words: set[str] = set()
    chars: set[str] = set()
    for part in parts:
        grams.update(gram_terms(part, unigrams=False))
        words.update(long_words(part))
        chars.update(_CJK_CHAR.findall(squeeze(fold(part))))
    grams |= words
    title = str(doc.get("title_gram", doc.get("title", "")) or "")
    title_terms = set(gram_terms(title)) | set(long_words(title))
    values = []
    for c in STORED:
        v = doc.get(c)
        values.append(None if v is None else int(v) if c in INTS else str(v))
    values += [sorted(set(_split(doc.get("numkeys")))), sorted(set(_split(doc.get("cites")))),
               _split(doc.get("author")), _vector(title_terms), _vector(grams), _vector(chars), _vector(words)]
    return tuple(values)


def _vector(terms) -> str:
    """A tsvector literal of the terms: it crosses from the analysing process as one string
    (unpickling a row: 0.68 → 0.07 ms) and PostgreSQL reads it without a text[] in between
    (inserting a row: 2.0 → 0.8 ms). PostgreSQL takes no lexeme longer than 2,047 bytes (a run of
    letters that long is no word anyone types)."""
    return " ".join(lexeme(t) for t in sorted(terms) if t and (len(t) < 512 or len(t.encode("utf-8")) < 2048))


def stored_of(names, values) -> dict:
    """A row as whoosh's stored fields: the columns that have a value."""
    return {n: v for n, v in zip(names, values) if v is not None}
