"""Writing files so that a crash never leaves half of one, and naming them so every OS can open them."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path

from archive.cleaning import clean_text

# Characters Windows refuses in names, plus control characters.
_ILLEGAL = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync, rename over the target."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(e, OSError) and not e.filename:
            e.filename = str(path)  # a full disk fails in write(), which names no file
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def safe_name(name: str, max_bytes: int = 180) -> str:
    """A file or folder name that keeps its Chinese: NFC, control and bidi characters removed
    (archive.cleaning — a U+202E in a received file's name must not reverse the folder name),
    Windows-illegal characters replaced by "_", no trailing dots or spaces, at most ``max_bytes``
    of UTF-8 (cut on a character)."""
    name = unicodedata.normalize("NFC", clean_text(name))
    name = _ILLEGAL.sub("_", name).strip().rstrip(". ")
    if name.split(".")[0].upper() in _RESERVED:
        name = "_" + name
    encoded = name.encode("utf-8")
    if len(encoded) > max_bytes:
        name = encoded[:max_bytes].decode("utf-8", errors="ignore").rstrip(". ")
    return name or "_"
