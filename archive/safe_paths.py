"""Reading a file that a stranger put there, without being led anywhere else (不跟随链接).

Whoever can write into 收件箱 can plant a symbolic link to ``/etc/passwd`` or to a colleague's
folder, a hard link to a file elsewhere on the disk, a FIFO that blocks the first reader forever,
or a device file. Filing must read exactly the directory entry it was given and remove exactly
that entry, nothing it points to. So every source is judged by ``lstat`` (the entry, not its
target), read through a descriptor opened with ``O_NOFOLLOW | O_NONBLOCK`` whose ``fstat`` must
be the same regular file that was judged, and is counted byte for byte: what was read must be
what the file holds when reading ends, else the file is still being written (``SourceChanged``)
and filing is retried later. Names shown in logs and notes go through ``printable`` so a file
called ``"x\\n2026-01-01 INFO 已归档"`` or one carrying ``\\x1b[31m`` cannot forge a log line or
drive the clerk's terminal.
"""

from __future__ import annotations

import hashlib
import os
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from archive.errors import WenshuError

CHUNK = 1 << 20
_BIDI = {"\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))}
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


class SourceChanged(WenshuError):
    """The file changed while it was being filed (a writer is still at it): nothing was filed or
    removed, try again once it has been quiet for a while."""


class NotRegularFile(WenshuError):
    """The entry is a link, a FIFO, a socket, a device or a folder: never read, never followed."""


def printable(text: str) -> str:
    """``text`` with every control, bidi-override, line-separator and lone-surrogate character
    written as a Python escape (``\\n``, ``\\x1b``, ``\\u202e``): one log line stays one line, and
    nothing in a name reaches a terminal as a command."""
    out = []
    for ch in str(text):
        cat = unicodedata.category(ch)
        if ch in _NAMED:
            out.append(_NAMED[ch])
        elif cat in ("Cc", "Cs", "Zl", "Zp") or ch in _BIDI:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def kind_of(st: os.stat_result) -> str:
    """What a non-regular entry is, in the clerk's words."""
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        return "符号链接（快捷方式）"
    if stat.S_ISDIR(mode):
        return "文件夹"
    if stat.S_ISFIFO(mode):
        return "命名管道（FIFO）"
    if stat.S_ISSOCK(mode):
        return "套接字"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "设备文件"
    return "特殊文件"


def link_target(path: Path) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "（无法读取）"


def unsafe_entry(path: Path, st: os.stat_result | None = None, *, strict: bool = False) -> str | None:
    """Why the entry ``path`` must not be filed (in Chinese), or None for a plain regular file.

    ``strict`` (the inbox): a regular file with more than one hard link is refused too — its other
    names may be anywhere on the same disk (another user's file linked in), and filing it would
    publish that file's content. A clerk dropping a copy never makes a hard link."""
    path = Path(path)
    if st is None:
        st = os.lstat(path)
    name = printable(path.name)
    if stat.S_ISLNK(st.st_mode):
        return (f"{name} 是符号链接（快捷方式），指向 {printable(link_target(path))}。wenshu 不跟随链接，"
                "以免归档或删除链接以外的文件；请把真实文件本身（而不是链接）放入或指定。")
    if stat.S_ISDIR(st.st_mode):
        return f"{name} 不是文件，是文件夹（只能归档文件，不能归档文件夹）。"
    if not stat.S_ISREG(st.st_mode):
        return f"{name} 是{kind_of(st)}，不是普通文件，wenshu 不读取它。"
    if strict and st.st_nlink > 1:
        return (f"{name} 有 {st.st_nlink} 个硬链接（同一份数据还有别的文件名，可能在收件箱以外）。"
                "为免把别处的文件归档，收件箱不归档硬链接；请放入该文件的一份副本。")
    return None


@dataclass(frozen=True)
class Identity:
    """Which file, and in which state: the same (dev, ino) with the same size and mtime."""

    dev: int
    ino: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> "Identity":
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _open(path: Path) -> tuple[int, os.stat_result]:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) \
        | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        try:
            reason = unsafe_entry(path)
        except OSError:
            reason = None
        raise NotRegularFile(reason or f"无法读取 {printable(Path(path).name)}：{e.strerror or e}") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise NotRegularFile(unsafe_entry(path, st) or f"{printable(Path(path).name)} 不是普通文件。")
    return fd, st


def _changed(path: Path) -> SourceChanged:
    return SourceChanged(f"{printable(Path(path).name)} 在读取时仍在变化（可能仍在写入），"
                         "本次未归档也未删除，稍后重试。")


def read_verified(path: Path, expect: Identity | None = None, copy_to: Path | None = None) -> tuple[str, Identity]:
    """sha256 of the regular file at ``path`` (never a link's target) and its identity, optionally
    writing the same bytes to ``copy_to`` (fsynced, mtime kept). The bytes read must equal the size
    the file has when reading ends, and the file must not have changed meanwhile (nor differ from
    ``expect``); otherwise ``SourceChanged`` and ``copy_to`` is removed."""
    fd, before = _open(path)
    ident = Identity.of(before)
    out, created = None, False
    try:
        if expect is not None and ident != expect:
            raise _changed(path)
        h, total = hashlib.sha256(), 0
        if copy_to is not None:
            out = open(copy_to, "xb")
            created = True
        while block := os.read(fd, CHUNK):
            h.update(block)
            total += len(block)
            if out is not None:
                out.write(block)
        after = os.fstat(fd)
        if total != after.st_size or Identity.of(after) != ident:
            raise _changed(path)
        if out is not None:
            out.flush()
            os.fsync(out.fileno())
            out.close()
            out = None
            os.utime(copy_to, ns=(after.st_atime_ns, after.st_mtime_ns))
        return h.hexdigest(), ident
    except BaseException as e:
        if out is not None:
            try:
                out.close()
            except OSError:
                pass
        if created:
            try:
                os.unlink(copy_to)
            except OSError:
                pass
        if isinstance(e, OSError) and not e.filename and copy_to is not None:
            # a full disk while copying: say which file could not be written (the user's message names it)
            raise OSError(e.errno, e.strerror, str(copy_to)) from e
        raise
    finally:
        os.close(fd)


def unlink_entry(path: Path, ident: Identity) -> bool:
    """Remove the directory entry ``path`` — only if it is still the very file that was filed, in
    the state it was filed (``unlink`` itself never follows a link). False when it is not (kept)."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode) or Identity.of(st) != ident:
        return False
    try:
        os.unlink(path)
    except OSError:
        return False
    return True


__all__ = ["printable", "unsafe_entry", "kind_of", "read_verified", "unlink_entry", "Identity",
           "SourceChanged", "NotRegularFile"]
