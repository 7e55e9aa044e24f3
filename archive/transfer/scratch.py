"""Where a package is unpacked or staged: on disk rather than in RAM for a received package, in RAM
when it has room for a package being written (many small files cost time on a busy disk)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


_RAM_FS = {"tmpfs", "ramfs"}


def _on_ram(path: Path) -> bool:
    """``path`` lies on a RAM-backed file system (/dev/shm, a tmpfs /tmp): a package unpacked there
    would take memory, not disk."""
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return False
    best, fstype = "", ""
    path = Path(path).resolve()
    while not path.exists() and path != path.parent:
        path = path.parent  # a folder still to be made lies on its nearest existing ancestor's disk
    target = str(path)
    for line in mounts:
        parts = line.split()
        if len(parts) >= 3:
            point = parts[1].replace("\\040", " ")
            if (target == point or target.startswith(point.rstrip("/") + "/")) and len(point) >= len(best):
                best, fstype = point, parts[2]
    return fstype in _RAM_FS


def unpack_dir(preferred: list[Path]) -> Path:
    """Where a received package is unpacked: the first of ``preferred`` (the archive's own disk, the
    package's folder) that is writable and on disk, not in RAM; then the system temp dir, then here."""
    for cand in [*preferred, Path(tempfile.gettempdir()), Path.cwd()]:
        cand = Path(cand)
        if _on_ram(cand):
            continue
        try:
            cand.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(cand, os.W_OK):
            return cand
    return Path(tempfile.gettempdir())


def scratch_base(need_bytes: int) -> str | None:
    """Where to unpack or stage a package: RAM (/dev/shm) when it has room to spare, because
    creating thousands of small files is what costs time on a busy disk; else the system temp dir."""
    shm = "/dev/shm"
    try:
        st = os.statvfs(shm)
    except (OSError, AttributeError):
        return None
    free = st.f_bavail * st.f_frsize
    return shm if os.access(shm, os.W_OK) and free > 2 * need_bytes + (256 << 20) else None
