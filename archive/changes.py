"""The one change path (变更通知): every write to the archive says here what it added, removed
or moved, and the subscribers keep what is derived from the archive right (DESIGN §2).

The archive sits below the indexer and never imports it; the shell registers the index as the
subscriber (``wenshu.indexing``), as paperless-ngx has one indexing consumer. So a command that
edits, revises, withdraws or attaches leaves search right with no watcher running, and no caller
indexes by hand.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from archive.store import Archive


@dataclass
class Change:
    """What one write did. Paths are absolute, inside ``archive.root``.

    ``added``: files written or rewritten (indexed again); ``removed``: files or folders gone;
    ``moved``: (old, new) of a file or a folder; ``records``: record folders whose record.json
    changed (their files take the new metadata without being read again)."""

    added: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    moved: list[tuple[Path, Path]] = field(default_factory=list)
    records: list[Path] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.moved or self.records)


Subscriber = Callable[[Archive, Change], str]
_subscribers: list[Subscriber] = []
# Changes held back by ``gathered`` in this thread/context (a web request's thread is not affected).
_held: ContextVar[list | None] = ContextVar("wenshu_changes_held", default=None)


def subscribe(fn: Subscriber) -> None:
    if fn not in _subscribers:
        _subscribers.append(fn)


def unsubscribe(fn: Subscriber) -> None:
    if fn in _subscribers:
        _subscribers.remove(fn)


def report(archive: Archive, change: Change) -> list[str]:
    """Tell every subscriber; returns their lines for the user (e.g. 已编入全文索引…).
    A subscriber's failure is its own line: the write itself has already happened."""
    if not change:
        return []
    held = _held.get()
    if held is not None:
        held.append((archive, change))
        return []
    lines = []
    for fn in list(_subscribers):
        try:
            line = fn(archive, change)
        except Exception as e:  # the archive is right; what is derived can be rebuilt
            line = f"档案已更新，但后续更新失败：{type(e).__name__}: {e}"
        if line:
            lines.append(line)
    return lines


@contextmanager
def gathered() -> Iterator[list[str]]:
    """Many small writes told to the subscribers as one change when the block ends.

    Attaching 3,000 scanned pages is 3,000 writes; one index writer per write cost ~0.5 s a page
    (bench/campaign.py), one for the lot costs about what one does. The writes themselves happen
    at once as always; only the derived index waits, and it is told even if the block fails
    (what was written stays written). The yielded list receives the subscribers' lines."""
    held: list = []
    token = _held.set(held)
    lines: list[str] = []
    try:
        yield lines
    finally:
        _held.reset(token)
        by_root: dict = {}
        for archive, change in held:
            _, merged = by_root.setdefault(str(archive.root), (archive, Change()))
            merged.added += change.added
            merged.removed += change.removed
            merged.moved += change.moved
            merged.records += change.records
        for archive, merged in by_root.values():
            merged.records = list(dict.fromkeys(merged.records))  # each record once, in order
            lines.extend(report(archive, merged))


__all__ = ["Change", "gathered", "report", "subscribe", "unsubscribe"]
