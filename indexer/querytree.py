"""wenshu's own query tree (检索式的语法树): what ``indexer.query.parse`` returns and every
search engine answers (indexer/engine.py).

The tree says what the user asked in the archive's terms — words that must occur, a phrase, a
著录项 with its value already normalised (a 文号 as its key, a 保管期限 as its code, a 年度 or 日期
as a range of integers), a 文号/令号 to find first — and carries its ranking wishes (boosts) as
data. How a word becomes posting lists, bigrams or SQL is the engine's business: whoosh's lives in
indexer/whoosh_engine/translate.py, and tests/test_engine_seam.py answers the same trees over
plain Python lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

TITLE_BOOST, DOCNUM_BOOST = 4.0, 50.0

# The field names a tree uses (indexer.query.FIELDS maps the Chinese names onto them).
TEXT_FIELDS = ("title", "body", "case")  # matched as words inside the field
EXACT_FIELDS = ("docnum", "author", "doctype", "classification", "status", "retention")
PREFIX_FIELDS = ("code", "origcode")  # a 档号 or its leading part
RANGE_FIELDS = ("year", "date")  # integers: 2022, 20220301


class Node:
    def children(self) -> tuple["Node", ...]:
        return ()

    def walk(self) -> Iterator["Node"]:
        yield self
        for c in self.children():
            yield from c.walk()

    def mentions(self, field: str) -> bool:
        """Whether any clause (kept or excluded) names ``field``: 状态:撤销 asks for withdrawn records."""
        return any(isinstance(n, (Field, Range)) and n.name == field for n in self.walk())


@dataclass(frozen=True)
class Every(Node):
    """Every document (a query of exclusions only: ``NOT 类型:承诺书``)."""


@dataclass(frozen=True)
class Words(Node):
    """All the characters of ``text`` occur (in 题名, the short fields or the text), in any
    segmentation; a title hit ranks ``title_boost`` higher. ``number_key``: the word also holds a
    number (第3条, 5号文): documents bearing that 文号 key match too, boosted like a 文号."""
    text: str
    number_key: str = ""
    title_boost: float = TITLE_BOOST
    number_boost: float = DOCNUM_BOOST


@dataclass(frozen=True)
class Phrase(Node):
    """The characters of ``text`` exactly in this order."""
    text: str
    title_boost: float = TITLE_BOOST


@dataclass(frozen=True)
class Number(Node):
    """A 文号 or 令号 (``key``: DocNumber.key, with or without its year): the documents bearing it
    first (``boost``), then those whose text cites it; ``typed`` (a 令号, a 文号 without its year) is
    also looked for as words in the text, below those."""
    key: str
    typed: str = ""
    boost: float = DOCNUM_BOOST


@dataclass(frozen=True)
class Field(Node):
    """One 著录项. ``name`` in TEXT_FIELDS: the value's words occur in it (案件 also exactly);
    EXACT_FIELDS: equal (docnum: a DocNumber key; retention: Y/D30/D10; author: one 责任者);
    PREFIX_FIELDS: starts with."""
    name: str
    value: str


@dataclass(frozen=True)
class Range(Node):
    """``lo <= field <= hi`` over integers (年度; 日期 as yyyymmdd); None is open."""
    name: str
    lo: int | None
    hi: int | None


@dataclass(frozen=True)
class And(Node):
    parts: tuple[Node, ...]

    def children(self):
        return self.parts


@dataclass(frozen=True)
class Or(Node):
    parts: tuple[Node, ...]

    def children(self):
        return self.parts


@dataclass(frozen=True)
class Not(Node):
    """``base`` and not ``excluded``."""
    base: Node
    excluded: Node

    def children(self):
        return (self.base, self.excluded)


def and_(*parts: Node) -> Node:
    return parts[0] if len(parts) == 1 else And(tuple(parts))
