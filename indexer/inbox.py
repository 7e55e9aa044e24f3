"""The inbox (收件箱): a document dropped in is filed as a received record (收文), or set aside with a note.

A clerk saves the city bureau's notice into ``收件箱/``; the watcher reads its metadata the way
``wenshu file`` does (文号, 题名, 发文机关, 成文日期 from the document itself), files it with a 档号,
and moves it into the archive. A document that cannot be filed — unreadable, no title to be
found, already in the archive — goes to ``收件箱/未能归档/`` with a ``.txt`` beside it saying why,
in Chinese, and what to do. Nothing dropped in is ever deleted: a file leaves the inbox only by
becoming part of a record (copied, verified by sha256, then removed) or by being set aside.
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from archive.errors import WenshuError
from archive.fsutil import atomic_write_text
from archive.record import Record
from archive.store import Archive
from indexer.ignore import is_junk_name

FAILED_DIR = "未能归档"
REASON_SUFFIX = ".未能归档原因.txt"

log = logging.getLogger("wenshu.watch")


@dataclass
class InboxResult:
    source: Path
    record: Record | None = None  # filed
    folder: Path | None = None  # the record's folder in the archive
    set_aside: Path | None = None  # where a document that could not be filed now lies
    reason: str = ""


def failed_dir(archive: Archive) -> Path:
    return archive.inbox / FAILED_DIR


def is_inbox_item(archive: Archive, path: Path) -> bool:
    """A path in 收件箱/ that is waiting to be filed (not in 未能归档/, not junk or hidden)."""
    try:
        rel = Path(path).relative_to(archive.inbox)
    except ValueError:
        return False
    parts = rel.parts
    return bool(parts) and parts[0] != FAILED_DIR and not any(is_junk_name(p) for p in parts)


def pending(archive: Archive) -> list[Path]:
    """Documents waiting in the inbox (sub-folders included), oldest first."""
    found = []
    if not archive.inbox.is_dir():
        return found
    for dirpath, dirnames, filenames in os.walk(archive.inbox):
        dirnames[:] = [d for d in dirnames if not is_junk_name(d)
                       and not (Path(dirpath) == archive.inbox and d == FAILED_DIR)]
        found += [Path(dirpath, f) for f in filenames if not is_junk_name(f)]
    def age(p: Path) -> tuple:
        try:
            return (p.stat().st_mtime, str(p))
        except OSError:  # gone meanwhile
            return (0.0, str(p))

    return sorted(found, key=age)


def _default_filer(archive: Archive, path: Path) -> Record:
    """The same path as ``wenshu file PATH``: metadata read from the document, 档号 assigned,
    origin 收文; the source is removed only after the record is in place."""
    from archive.receive import receive

    return receive(archive, [path], move=True, actor="wenshu watch（收件箱）")


def file_from_inbox(archive: Archive, path: Path,
                    filer: Callable[[Archive, Path], Record] | None = None) -> InboxResult:
    """File one inbox document, or set it aside with the reason. Never raises for a bad document."""
    path = Path(path)
    filer = filer or _default_filer
    try:
        record = filer(archive, path)
    except WenshuError as e:
        reason = str(e)
    except Exception as e:  # a bug must not cost the clerk the document either
        log.exception("收件箱：归档 %s 时出现程序错误", path.name)
        reason = f"程序错误（{type(e).__name__}: {e}），请把此说明交给维护人员。"
    else:
        folder = archive.root / record.relative_folder()
        return InboxResult(path, record=record, folder=folder)
    if not path.exists():  # vanished meanwhile (the clerk took it back): nothing to set aside
        return InboxResult(path, reason=reason)
    return InboxResult(path, set_aside=set_aside(archive, path, reason), reason=reason)


def set_aside(archive: Archive, path: Path, reason: str) -> Path:
    """Move ``path`` into 收件箱/未能归档/ (never over an existing file) with a note beside it."""
    target_dir = failed_dir(archive)
    target_dir.mkdir(parents=True, exist_ok=True)
    target, n = target_dir / path.name, 2
    while target.exists() or Path(str(target) + REASON_SUFFIX).exists():
        target, n = target_dir / f"{path.stem}（{n}）{path.suffix}", n + 1
    note = (f"文件：{path.name}\n"
            f"放入收件箱的位置：{path}\n"
            f"处理时间：{datetime.now().isoformat(timespec='seconds')}\n"
            f"未能归档的原因：{reason}\n\n"
            "处理办法：修正文件后重新放入收件箱；或用 wenshu file 文件 --set 题名=… --set 文号=… "
            "手工指定著录项归档。本文件未被删除。\n")
    atomic_write_text(Path(str(target) + REASON_SUFFIX), note)
    shutil.move(str(path), str(target))
    return target
