"""The inbox (收件箱): a document dropped in is filed as a received record (收文), or set aside with a note.

A clerk saves the city bureau's notice into ``收件箱/``; the watcher reads its metadata the way
``wenshu file`` does (文号, 题名, 发文机关, 成文日期 from the document itself), files it with a 档号,
and moves it into the archive. A document that cannot be filed — unreadable, no title to be
found, already in the archive — goes to ``收件箱/未能归档/`` with a ``.txt`` beside it saying why,
in Chinese, and what to do. Nothing dropped in is ever deleted: a file leaves the inbox only by
becoming part of a record (copied, verified by sha256, then removed) or by being set aside.

The inbox is written by people and machines wenshu cannot trust, so nothing in it is followed:
a symbolic link (to a file or a folder), a FIFO, a socket, a device file, or a file with several
hard links is set aside as the entry it is — a link is moved as a link (``rename``), its target
is never read, filed, moved or removed — with a note saying why. Every walk of the inbox stops at
links. When the note cannot be written (disk full) the document stays where it was, the reason
is logged, and the next pass tries again.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from archive.errors import WenshuError
from archive.fsutil import atomic_write_text
from archive.record import Record
from archive.safe_paths import SourceChanged, printable, unsafe_entry
from archive.store import Archive
from archive.ignore import is_junk_name

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
    retry: bool = False  # still being written: left in place, to be tried again after a quiet window
    stuck: bool = False  # could not be set aside (disk full…): left in place, tried again on the next pass


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
    """Entries waiting in the inbox (sub-folders included), oldest first. The walk never enters
    a linked folder: the link itself is returned (to be set aside), like any other odd entry."""
    found = []
    if not archive.inbox.is_dir():
        return found
    for dirpath, dirnames, filenames in os.walk(archive.inbox, followlinks=False):
        keep = []
        for d in dirnames:
            if is_junk_name(d) or (Path(dirpath) == archive.inbox and d == FAILED_DIR):
                continue
            if os.path.islink(os.path.join(dirpath, d)):
                found.append(Path(dirpath, d))  # a linked folder: set aside, never entered
            else:
                keep.append(d)
        dirnames[:] = keep
        found += [Path(dirpath, f) for f in filenames if not is_junk_name(f)]

    def age(p: Path) -> tuple:
        try:
            return (p.lstat().st_mtime, str(p))
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
    """File one inbox entry, or set it aside with the reason. Never raises for a bad document,
    and never for a full disk either (the document then stays where it is, ``retry``)."""
    path = Path(path)
    filer = filer or _default_filer
    try:
        st = os.lstat(path)
    except OSError:  # vanished meanwhile (the clerk took it back): nothing to do
        return InboxResult(path, reason="文件已不在收件箱。")
    reason = unsafe_entry(path, st, strict=True)
    if reason is None:
        try:
            record = filer(archive, path)
        except SourceChanged as e:  # a writer is still at it: nothing filed, nothing removed
            return InboxResult(path, reason=str(e), retry=True)
        except WenshuError as e:
            reason = str(e)
        except Exception as e:  # a bug must not cost the clerk the document either
            log.exception("收件箱：归档 %s 时出现程序错误", path.name)
            reason = f"程序错误（{type(e).__name__}: {e}），请把此说明交给维护人员。"
        else:
            folder = archive.root / record.relative_folder()
            return InboxResult(path, record=record, folder=folder)
    if not os.path.lexists(path):
        return InboxResult(path, reason=reason)
    try:
        target = set_aside(archive, path, reason)
    except OSError as e:
        why = (f"无法移到 {FAILED_DIR}/（{e.strerror or e}），文件仍留在收件箱原处，稍后重试；"
               f"原本未能归档的原因：{reason}")
        return InboxResult(path, reason=why, stuck=True)
    return InboxResult(path, set_aside=target, reason=reason)


def _failed_dir_ready(archive: Archive) -> Path:
    """收件箱/未能归档/ as a real folder. Anything else under that name — a link planted to send
    set-aside documents and notes elsewhere, a file — is itself moved out of the way (renamed
    within the inbox, so it is set aside in turn on the next pass)."""
    target = failed_dir(archive)
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        target.mkdir()
        return target
    if stat.S_ISDIR(st.st_mode):
        return target
    n = 1
    while os.path.lexists(moved := archive.inbox / f"{FAILED_DIR}（不是文件夹{n}）"):
        n += 1
    os.rename(target, moved)
    log.warning("收件箱：%s 不是文件夹（%s），已改名为 %s。", FAILED_DIR, "链接" if stat.S_ISLNK(st.st_mode) else "文件",
                moved.name)
    target.mkdir()
    return target


def set_aside(archive: Archive, path: Path, reason: str) -> Path:
    """Move the entry ``path`` into 收件箱/未能归档/ (never over an existing entry) with a note
    beside it. ``rename`` moves the entry itself: a link stays a link, its target is untouched.
    Raises OSError (the entry then stays where it was) when the note or the move fails."""
    target_dir = _failed_dir_ready(archive)
    target, n = target_dir / path.name, 2
    while os.path.lexists(target) or os.path.lexists(str(target) + REASON_SUFFIX):
        target, n = target_dir / f"{path.stem}（{n}）{path.suffix}", n + 1
    note_path = Path(str(target) + REASON_SUFFIX)
    note = (f"文件：{printable(path.name)}\n"
            f"放入收件箱的位置：{printable(str(path))}\n"
            f"处理时间：{datetime.now().isoformat(timespec='seconds')}\n"
            f"未能归档的原因：{printable(reason)}\n\n"
            "处理办法：修正文件后重新放入收件箱；或用 wenshu file 文件 --set 题名=… --set 文号=… "
            "手工指定著录项归档。本文件未被删除。\n")
    atomic_write_text(note_path, note)
    try:
        os.rename(path, target)
    except OSError:
        try:
            os.unlink(note_path)
        except OSError:
            pass
        raise
    return target
