"""When the watcher merges the index's segments (段合并).

whoosh merges small segments inside ``commit()``. For a rebuild that is right; for the watcher's
one-file commits it made every ~5th update take 1–3.4 s instead of ~0.1 s (bench/watch.py:
single-drop p95 4.0 s against a 2 s target; without the in-commit merge the worst drop took
1.0 s). So the watcher writes with ``merge=False`` and merges once it has been idle a moment.
"""

from __future__ import annotations

import time

MERGE_WHEN_IDLE = 2.0  # seconds without a write before the segments are merged
MERGE_AFTER = 50  # … or after this many unmerged commits, idle or not


class MergePolicy:
    """Counts the watcher's unmerged commits and says when to merge."""

    def __init__(self):
        self.unmerged = 0
        self.last_write = 0.0

    def kwargs(self) -> dict:
        """The keyword arguments for one of the watcher's index writes."""
        self.unmerged += 1
        self.last_write = time.monotonic()
        return {"merge": False}

    def maybe_merge(self, index, quiet: bool, force: bool = False) -> None:
        if not self.unmerged:
            return
        if force or self.unmerged >= MERGE_AFTER or (quiet and time.monotonic() - self.last_write >= MERGE_WHEN_IDLE):
            self.last_write = time.monotonic()  # a failed merge is retried after another quiet period
            index.merge_segments()
            self.unmerged = 0
