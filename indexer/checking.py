"""What the index knows that ``wenshu check`` should say (索引核查): files that could not be read.

The watcher and ``wenshu index`` record a file they cannot read (corrupt, encrypted, empty, no
permission) in the index with the reason, instead of failing or dropping it. ``wenshu check``
loads ``check_index`` through ``EXTRA_CHECK_MODULES`` and lists them. Files inside a record
folder are left out: the records audit reads those itself (and ``--quick`` skips that on
purpose); a loose file — dropped into the archive outside any record — is known only here.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from archive.record import RECORD_JSON


def check_index(archive) -> list:
    from archive.checking import Problem
    from indexer.index import ArchiveIndex

    ai = ArchiveIndex(archive)
    if not ai.exists():
        return []  # no index yet: nothing it could know (and not worth building for a check)
    try:
        failures = ai.failures()
    finally:
        ai.close()
    problems = []
    for path, why in failures:
        rel = PurePosixPath(path)
        if any((archive.root / folder / RECORD_JSON).is_file() for folder in list(rel.parents)[:-1]):
            continue
        problems.append(Problem("unreadable", f"{path} 无法读取（监视程序/索引记录）：{why}", path))
    return problems
