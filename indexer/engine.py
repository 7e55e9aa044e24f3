"""The search-engine seam (检索引擎接口): what indexer/search.py asks of an engine.

An engine answers wenshu's query tree (indexer/querytree.py) over the index documents of
indexer/docs.py; snippets, one hit per record (件), totals and facet labels stay in
indexer/search.py, the query language in indexer/query.py. whoosh is the embedded default
(indexer/whoosh_engine/); tests/test_engine_seam.py answers the same trees over Python lists.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Hashable, Iterable, NamedTuple, Protocol, Sequence

from indexer.querytree import Node


class Top(NamedTuple):
    hits: list[tuple[float, int]]  # (score, document id), best first (or newest first)
    matched: Sequence[int] | None  # every matching document id, when known
    estimate: int = 0  # otherwise: about how many match (约: a bound or a sample's estimate)


class EngineReader(Protocol):
    def top(self, tree: Node, k: int, *, sort: str = "relevance", exact_up_to: int = 2000) -> Top:
        """The ``k`` best matches; forms of a series (``form`` 1) after the others; ``sort``
        "date": newest first, undated last."""

    def group_key(self, doc: int) -> Hashable:
        """Which record (件) a document is: its 档号, or a key of its own for a loose file."""

    def group_keys(self, docs: Sequence[int]) -> list[Hashable]:
        """``group_key`` of many documents at once (a facet counts records over thousands of
        matches): equal for the files of one record."""

    def stored(self, doc: int) -> dict:
        """The stored columns of a document (indexer/whoosh_engine/schema.py SHOWN, body)."""

    def groups(self, tree: Node, fields: Iterable[str]) -> dict[str, dict[str, list[int]]]:
        """For each field: value → the matching documents holding it (责任者: each of them)."""

    def having(self, field: str, values: Sequence[str], limit: int = 200) -> list[dict]:
        """The stored columns of documents whose ``field`` equals one of ``values`` exactly: ``case``
        (案件号), ``code`` (档号), ``docnum`` (a 文号, normalised) or ``cites`` (one the text cites) —
        how a record page finds its case, what it cites and what cites it, without a query."""

    def doc_count(self) -> int: ...


class Engine(Protocol):
    def reader(self) -> AbstractContextManager[EngineReader]: ...


class EngineWriter(Protocol):
    """One batch of writes (committed by its owner, indexer/index.py); the lookups read the index
    as it was when the batch began."""

    def add(self, doc: dict) -> None: ...
    def replace(self, doc: dict) -> None: ...  # the document of the same path, replaced
    def delete(self, path: str) -> int: ...
    def delete_under(self, prefix: str) -> int: ...
    def stored(self, path: str) -> dict | None: ...
    def stored_under(self, prefix: str) -> list[dict]: ...
    def record_doc(self, record: str) -> dict | None: ...  # any document of that record folder


class IndexDamaged(OSError):
    """A read of the index files that could only fail because they were damaged (bytes that do
    not decode, files deleted under the reader): an OSError, so the search's recovery treats it as
    it treats a vanished segment — rebuild from the records and search again — whatever the engine."""
