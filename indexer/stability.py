"""When a changed file is ready to read (稳定): no event for it for a while AND its size+mtime unchanged.

A file is never read the moment an event arrives: a network copy comes in chunks, a scanner
opens and closes the file several times, Word writes a temp file and renames it over the
original. Reading then would index half a file, or a file about to vanish. So every event only
(re)starts a timer for its path; the path is *due* when the timer has run out and a fresh stat
equals the one taken at the last event. If the stat moved meanwhile (a writer that produces no
events we see, e.g. on a network share), the timer starts again. A path that has vanished is due
as well — "gone" is a stable state too — so deletions flow through the same gate.

This is paperless-ngx v3's FileStabilityTracker idea, without its one flaw: nothing ever times out
for good (paperless-ng #1159: large scans on NFS were never imported); a file that keeps changing
is simply waited for.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable

StatKey = tuple[int, int] | None  # (size, mtime_ns) of a file, (-1, mtime_ns) of a folder, None when gone


def stat_key(path: str) -> StatKey:
    try:
        st = os.stat(path)
    except OSError:
        return None
    if os.path.isdir(path):
        return (-1, st.st_mtime_ns)
    return (st.st_size, st.st_mtime_ns)


@dataclass
class _Entry:
    last_event: float
    stat: StatKey
    is_dir: bool


class StabilityTracker:
    """Paths waiting to become stable. Not thread-safe: one worker thread owns it."""

    def __init__(self, delay: float, clock: Callable[[], float] = time.monotonic,
                 stat: Callable[[str], StatKey] = stat_key):
        self.delay = max(0.0, float(delay))
        self._clock = clock
        self._stat = stat
        self._entries: dict[str, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, path: str) -> bool:
        return path in self._entries

    def touch(self, path: str, is_dir: bool = False, now: float | None = None) -> None:
        """An event arrived for ``path``: (re)start its timer and remember how it looks now."""
        now = self._clock() if now is None else now
        old = self._entries.get(path)
        self._entries[path] = _Entry(now, self._stat(path), is_dir or (old.is_dir if old else False))

    def forget(self, path: str) -> None:
        self._entries.pop(path, None)

    def next_due_in(self, now: float | None = None) -> float | None:
        """Seconds until the earliest timer runs out (0 when one already has), None when idle."""
        if not self._entries:
            return None
        now = self._clock() if now is None else now
        first = min(e.last_event for e in self._entries.values())
        return max(0.0, first + self.delay - now)

    def due(self, now: float | None = None, limit: int | None = None) -> list[tuple[str, bool]]:
        """Take the stable paths out of the tracker as ``(path, is_dir)``, oldest first.

        A path whose stat changed since its last event is not due: its timer restarts.
        ``limit`` bounds one batch so a burst of thousands is committed in steps.
        """
        now = self._clock() if now is None else now
        ready: list[tuple[float, str, bool]] = []
        for path, e in list(self._entries.items()):
            if now - e.last_event < self.delay:
                continue
            current = self._stat(path)
            if current != e.stat:
                self._entries[path] = _Entry(now, current, e.is_dir)
                continue
            ready.append((e.last_event, path, e.is_dir))
        ready.sort()
        if limit is not None:
            ready = ready[:limit]
        for _, path, _ in ready:
            del self._entries[path]
        return [(path, is_dir) for _, path, is_dir in ready]
