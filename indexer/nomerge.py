"""The watcher's view of the index: commits that do not merge segments (段合并), merged when idle.

whoosh merges small segments inside ``commit()``. For a batch rebuild that is right; for the
watcher's one-file commits it made every ~5th update take 1–3.4 s instead of ~0.1 s (measured
with bench/watch.py: single-drop p95 4.0 s against a 2 s target; without the in-commit merge the
worst drop took 1.0 s). So the watcher commits with ``merge=False`` and calls
``merge_segments()`` when it has been idle for a moment (``MergePolicy``).

``ArchiveIndex`` does not take a ``merge`` argument yet (requested in helpers/REQUESTS.md,
18:47). Until it does, this subclass adds it around ``ArchiveIndex._writer`` — the one place
its write calls open a writer. Once ``ArchiveIndex.upsert_files`` accepts ``merge``, the plain
class is used and ``_NoMergeIndex`` is dead code to delete.
"""

from __future__ import annotations

import inspect
import time
from contextlib import contextmanager

MERGE_WHEN_IDLE = 2.0  # seconds without a write before the segments are merged
MERGE_AFTER = 50  # … or after this many unmerged commits, idle or not


class MergePolicy:
    """Counts the watcher's unmerged commits and says when to merge. Feature-detected: an index
    whose write calls take no ``merge`` argument just merges inside each commit as before."""

    def __init__(self):
        self.unmerged = 0
        self.last_write = 0.0
        self._supported: dict[str, bool] = {}

    def kwargs(self, index, method: str) -> dict:
        if method not in self._supported:
            self._supported[method] = "merge" in inspect.signature(getattr(index, method)).parameters
        if not self._supported[method]:
            return {}
        self.unmerged += 1
        self.last_write = time.monotonic()
        return {"merge": False}

    def maybe_merge(self, index, quiet: bool, force: bool = False) -> None:
        if not self.unmerged or not hasattr(index, "merge_segments"):
            return
        if force or self.unmerged >= MERGE_AFTER or (quiet and time.monotonic() - self.last_write >= MERGE_WHEN_IDLE):
            self.last_write = time.monotonic()  # a failed merge is retried after another quiet period
            index.merge_segments()
            self.unmerged = 0


def watcher_index(archive, notify):
    from indexer.index import ArchiveIndex

    if "merge" in inspect.signature(ArchiveIndex.upsert_files).parameters:
        return ArchiveIndex(archive, notify=notify)
    return _NoMergeIndex(archive, notify=notify)


def _make_class():
    from indexer.index import ArchiveIndex

    class NoMergeIndex(ArchiveIndex):
        _merge = True

        @contextmanager
        def _merging(self, merge: bool):
            self._merge = merge
            try:
                yield
            finally:
                self._merge = True

        def _writer(self, ix, **kw):
            w = super()._writer(ix, **kw)
            if not self._merge:
                commit = w.commit
                w.commit = lambda *a, **k: commit(*a, **{"merge": False, **k})
            return w

        def upsert_files(self, paths, *, merge: bool = True):
            with self._merging(merge):
                return super().upsert_files(paths)

        def remove_files(self, paths, *, merge: bool = True):
            with self._merging(merge):
                return super().remove_files(paths)

        def move_file(self, src, dst, *, merge: bool = True):
            with self._merging(merge):
                return super().move_file(src, dst)

        def refresh_record(self, folder, *, merge: bool = True):
            with self._merging(merge):
                return super().refresh_record(folder)

        def merge_segments(self) -> None:
            ix = self.index()
            with self.lock:
                self._writer(ix).commit(merge=True)
                self._touch_state()

    return NoMergeIndex


class _Lazy:
    """Defer importing whoosh-backed ArchiveIndex until the watcher first needs the index."""

    def __call__(self, archive, notify):
        return _make_class()(archive, notify=notify)


_NoMergeIndex = _Lazy()
