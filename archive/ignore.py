"""The one junk-file rule (忽略): office temp and lock files, system junk, hidden files.

One rule for everyone who walks the archive: the watcher (observer thread and worker), the
inbox (archive.inbox), the index build and its reconcile (indexer; ``indexer/ignore.py`` re-exports
this module for it). It lives in archive/ because the inbox — archive work — needs it and
archive/ imports nothing above it.

Word writes ``~$name.docx`` (owner lock) and ``~WRL0001.tmp`` / ``~WRD0000.tmp`` (the save
dance), LibreOffice ``.~lock.name#``, WPS ``~name.tmp``; Finder, Explorer and NAS boxes drop
``.DS_Store``, ``Thumbs.db``, ``desktop.ini``, ``@eaDir/``. None of these is a document, and an
event for one must not even reach the worker queue (a save in Word produces dozens). The index's
own ``is_indexable`` makes the final decision; this is the cheap first cut the observer thread
applies to every event, so it only needs the path's text.
"""

from __future__ import annotations

import fnmatch
import os

JUNK_NAMES = {"thumbs.db", "desktop.ini", "ehthumbs.db", ".ds_store"}
JUNK_PATTERNS = ("~$*", ".~lock.*#", "~wrl*.tmp", "~wrd*.tmp", "*.tmp", "*.temp", "*.swp", "*~",
                 "*.crdownload", "*.part", "*.partial", "*.download")
JUNK_DIRS = {"__macosx", "@eadir", "$recycle.bin", "system volume information", ".trashes"}


def is_junk_name(name: str) -> bool:
    """A file or folder name that is never a document (hidden names included)."""
    low = name.lower()
    if not low or low.startswith(".") or low in JUNK_NAMES or low in JUNK_DIRS:
        return True
    return any(fnmatch.fnmatchcase(low, p) for p in JUNK_PATTERNS)


def is_ignored(root: str, path: str) -> bool:
    """True when ``path`` (absolute) is outside ``root``, is ``root`` itself, or any part of it
    below ``root`` is junk or hidden — which also covers ``.wenshu/`` (index, registry, logs)."""
    rel = os.path.relpath(path, root)
    if rel == "." or rel.startswith(".." + os.sep) or rel == "..":
        return True
    return any(is_junk_name(part) for part in rel.split(os.sep))
