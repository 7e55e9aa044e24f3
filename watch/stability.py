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

A quiet file is not always a finished one: a scanner or a network copy pauses for seconds between
chunks while it holds the file open. Paths can therefore carry their own, longer window (the
inbox: ``DEFAULT_INBOX_STABILITY``), and a ``busy`` predicate that keeps a path waiting while a
writer still has it open — on Linux ``open_for_writing`` looks through ``/proc/*/fd`` for a
descriptor opened for writing (processes of other users are not visible there: that is what the
window and inotify's close-write are for). Paths are judged by ``lstat``: a link is a link.
"""

from __future__ import annotations

import os
import stat as _stat
import time
from dataclasses import dataclass
from typing import Callable

DEFAULT_INBOX_STABILITY = 2.0  # seconds: longer than the pauses of scanners and network copies

StatKey = tuple[int, int] | None  # (size, mtime_ns) of a file, (-1, mtime_ns) of a folder, None when gone


def stat_key(path: str) -> StatKey:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if _stat.S_ISDIR(st.st_mode):
        return (-1, st.st_mtime_ns)
    return (st.st_size, st.st_mtime_ns)


def open_writers(under: str, proc: str = "/proc") -> set[str]:
    """Real paths below the folder ``under`` that a process visible to us holds open for writing
    (Linux ``/proc``; an empty set where there is none). One pass over every descriptor's target,
    then ``fdinfo`` (O_WRONLY or O_RDWR) only for those below ``under``: ~15 ms for 100 processes."""
    prefix = os.path.realpath(under).rstrip(os.sep) + os.sep
    found: set[str] = set()
    try:
        pids = [p for p in os.listdir(proc) if p.isdigit()]
    except OSError:
        return found
    for pid in pids:
        fd_dir = f"{proc}/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:  # gone, or another user's process
            continue
        for fd in fds:
            try:
                target = os.readlink(f"{fd_dir}/{fd}")
                if not target.startswith(prefix) or target in found:
                    continue
                with open(f"{proc}/{pid}/fdinfo/{fd}", encoding="ascii") as f:
                    flags = next((line.split()[1] for line in f if line.startswith("flags:")), "0")
            except (OSError, IndexError, ValueError):
                continue
            if (int(flags, 8) & os.O_ACCMODE) in (os.O_WRONLY, os.O_RDWR):
                found.add(target)
    return found


def open_for_writing(path: str, proc: str = "/proc") -> bool:
    """True when a process visible to us holds ``path`` open for writing (see ``open_writers``)."""
    real = os.path.realpath(path)
    return real in open_writers(os.path.dirname(real), proc)


@dataclass
class _Entry:
    last_event: float
    stat: StatKey
    is_dir: bool
    delay: float


class StabilityTracker:
    """Paths waiting to become stable. Not thread-safe: one worker thread owns it."""

    def __init__(self, delay: float, clock: Callable[[], float] = time.monotonic,
                 stat: Callable[[str], StatKey] = stat_key, *,
                 delay_for: Callable[[str], float] | None = None,
                 busy: Callable[[str], bool] | None = None):
        self.delay = max(0.0, float(delay))
        self._clock = clock
        self._stat = stat
        self._delay_for = delay_for  # a path's own window (None: ``delay``)
        self._busy = busy  # True while a writer still holds the path: not due yet
        self._entries: dict[str, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, path: str) -> bool:
        return path in self._entries

    def touch(self, path: str, is_dir: bool = False, now: float | None = None) -> None:
        """An event arrived for ``path``: (re)start its timer and remember how it looks now."""
        now = self._clock() if now is None else now
        old = self._entries.get(path)
        delay = self.delay if self._delay_for is None else max(0.0, float(self._delay_for(path)))
        self._entries[path] = _Entry(now, self._stat(path), is_dir or (old.is_dir if old else False), delay)

    def forget(self, path: str) -> None:
        self._entries.pop(path, None)

    def next_due_in(self, now: float | None = None) -> float | None:
        """Seconds until the earliest timer runs out (0 when one already has), None when idle."""
        if not self._entries:
            return None
        now = self._clock() if now is None else now
        first = min(e.last_event + e.delay for e in self._entries.values())
        return max(0.0, first - now)

    def due(self, now: float | None = None, limit: int | None = None) -> list[tuple[str, bool]]:
        """Take the stable paths out of the tracker as ``(path, is_dir)``, oldest first.

        A path whose stat changed since its last event, or that a writer still holds open, is not
        due: its timer restarts. ``limit`` bounds one batch so a burst of thousands is committed
        in steps.
        """
        now = self._clock() if now is None else now
        ready: list[tuple[float, str, bool]] = []
        for path, e in list(self._entries.items()):
            if now - e.last_event < e.delay:
                continue
            current = self._stat(path)
            if current != e.stat or (current is not None and self._busy is not None and self._busy(path)):
                self._entries[path] = _Entry(now, current, e.is_dir, e.delay)
                continue
            ready.append((e.last_event, path, e.is_dir))
        ready.sort()
        if limit is not None:
            ready = ready[:limit]
        for _, path, _ in ready:
            del self._entries[path]
        return [(path, is_dir) for _, path, is_dir in ready]


WRITING_TTL = 120.0  # a write seen without its close-write is trusted this long (a lost event must not block for good)


class InboxWrites:
    """Is a writer still at an inbox file? The inbox waits for it: filing removes the source."""

    def __init__(self, inbox_dir: str, is_inbox_item: Callable[[str], bool]):
        self.inbox_dir = inbox_dir
        self.is_inbox_item = is_inbox_item
        self.native = False  # inotify (close-write events arrive) rather than polling
        self._writing: dict[str, float] = {}  # inbox file → when a write was seen without its close-write
        self._writers: tuple[float, set[str]] = (-1.0, set())  # /proc scan, reused for one tick

    def note(self, kind: str, src: str, dst: str) -> None:
        """inotify's close-write (watchdog's ``closed``) ends a write that ``modified`` began; a
        file renamed into place is complete. Only trusted where events are native. ``created``
        alone does not begin a write: it is also what a file renamed in from outside the archive
        gives (inotify's unmatched moved-to), and that file is complete — waiting for a
        close-write that never comes held it for WRITING_TTL."""
        if not self.native:
            return
        if kind == "modified" and src and self.is_inbox_item(src):
            self._writing[src] = time.monotonic()
        elif kind in ("closed", "deleted"):
            self._writing.pop(src, None)
        elif kind == "moved":
            self._writing.pop(src, None)
            self._writing.pop(dst, None)

    def busy(self, path: str) -> bool:
        """An inbox file is not due while it is open for writing: a write without its close-write
        seen, or (Linux) a visible process holding it open for writing in /proc."""
        if not self.is_inbox_item(path):
            return False
        try:
            st = os.lstat(path)
        except OSError:
            st = None
        if st is None or not _stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
            self._writing.pop(path, None)  # a link, a FIFO, a hard link gets no close-write: set aside at once
            return False
        now = time.monotonic()
        seen = self._writing.get(path)
        if seen is not None:
            if now - seen < WRITING_TTL:
                return True
            del self._writing[path]
        at, writers = self._writers
        if now - at > 0.2:
            writers = open_writers(self.inbox_dir)
            self._writers = (now, writers)
        return bool(writers) and os.path.realpath(path) in writers
