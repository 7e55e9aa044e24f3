"""What the watcher did (监视统计), counted, and the Chinese wording of its summaries.

The counters are shown when the watcher stops, returned by ``--once``, and used by the tests to
prove that a file was read once and only once (1,000 files → ``indexed == 1000``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from archive.safe_paths import printable


@dataclass
class WatchStats:
    """What the watcher did, counted (shown on stop; tests use it to prove nothing ran twice)."""

    indexed: int = 0  # new files read into the index
    updated: int = 0  # content changed (sha256) → re-read
    unchanged: int = 0  # an event, but the content was the same: nothing read
    moved: int = 0  # path updated without re-reading
    removed: int = 0
    failed: int = 0  # unreadable files (logged; listed by wenshu check)
    refreshed: int = 0  # record.json re-read
    filed: int = 0  # inbox → record
    set_aside: int = 0  # inbox → 未能归档/
    batches: int = 0
    errors: list[str] = field(default_factory=list)


def why(e: BaseException) -> str:
    """A WenshuError's message is for the clerk as is; anything else also names its type."""
    from archive.errors import WenshuError

    return str(e) if isinstance(e, WenshuError) and str(e) else f"{type(e).__name__}: {e}"


def reconcile_summary(result: dict) -> str:
    if not isinstance(result, dict):
        return ""
    failed = result.get("failed") or []
    return (f"新增 {result.get('new', 0)}，更新 {result.get('changed', 0)}，删除 {result.get('deleted', 0)}，"
            f"未变 {result.get('unchanged', 0)}" + (f"，无法读取 {len(failed)}" if failed else ""))


class SafeFormatter(logging.Formatter):
    """One record, one line: the message's control characters (a file named with a newline, a
    terminal escape ``\x1b[…``) are written as escapes, so a name cannot forge a line in
    watch.log or drive the terminal; a traceback's lines are indented under their record."""

    def format(self, record: logging.LogRecord) -> str:
        record = logging.makeLogRecord(record.__dict__)
        record.msg, record.args = printable(record.getMessage()), None
        first, *rest = super().format(record).split("\n")
        return first + "".join("\n    " + printable(line) for line in rest)
