"""Where events come from (文件变动通知): the native observer, or polling where there is none.

Native inotify events arrive ~1 ms after a change and lose nothing in bursts of 10,000 (DESIGN
§11), but a network share (NFS, SMB/CIFS, sshfs) delivers none for changes made by other
machines — paperless users' most common complaint is a watcher that silently sees nothing
there. So the archive's file system is checked first and polling is chosen, *saying so*; an
inotify that cannot start (watch limit reached) falls back the same way.

The handler runs in watchdog's thread and does as little as possible: drop what is never a
document, put a small tuple on the worker's queue.
"""

from __future__ import annotations

import os
import queue
from pathlib import Path

from watchdog.events import FileSystemEventHandler

from archive.ignore import is_ignored

# Event kinds we act on. watchdog also reports opened/closed-without-write (our own reads of the
# files would feed back into the queue) and folder "modified" (noise: every child event has one).
_WANTED = {"created", "modified", "closed", "deleted", "moved", "attrib"}

NETWORK_FS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "davfs", "fuse.sshfs", "fuse.rclone",
              "fuse.gvfsd-fuse", "fuse.davfs2", "ncpfs", "glusterfs", "ceph", "fuse.s3fs"}


def network_fs_type(path: str | Path, mounts: str | None = None) -> str | None:
    """The file-system type of ``path`` when it is a network share (no inotify events), else None."""
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
    target, best, fstype = os.path.realpath(path), "", None
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        mnt = parts[1].replace("\\040", " ")
        if (target == mnt or target.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
            best, fstype = mnt, parts[2]
    return fstype if fstype in NETWORK_FS else None


class QueueHandler(FileSystemEventHandler):
    """Runs in watchdog's thread: filter cheaply, queue, return."""

    def __init__(self, root: str, out: queue.Queue):
        super().__init__()
        self.root, self.out = root, out

    def dispatch(self, event) -> None:
        kind = event.event_type
        if kind not in _WANTED or (kind == "modified" and event.is_directory):
            return
        src = os.fsdecode(event.src_path or "")
        dst = os.fsdecode(getattr(event, "dest_path", "") or "")
        src = src if src and not is_ignored(self.root, src) else ""
        dst = dst if dst and not is_ignored(self.root, dst) else ""
        if src or dst:
            self.out.put((kind, src, dst, event.is_directory))


def make_observer(root: str, out: queue.Queue, polling: bool, poll_interval: float):
    """A started observer feeding ``out``, how it observes (in words), and why it fell back to
    polling (None when it did not, or when polling was asked for)."""
    from watchdog.observers.polling import PollingObserver

    fallback = None
    if polling:
        mode = f"轮询，每 {poll_interval:g} 秒（--polling）"
    else:
        fstype = network_fs_type(root)
        if fstype:
            fallback = f"档案库在网络文件系统（{fstype}）上，收不到系统的文件变动通知"
        else:
            from watchdog.observers import Observer

            observer = Observer()
            try:
                observer.schedule(QueueHandler(root, out), root, recursive=True)
                observer.start()
                return observer, "系统文件变动通知", None
            except OSError as e:
                fallback = f"系统文件变动通知不可用（{e.strerror or e}）"
        mode = f"轮询，每 {poll_interval:g} 秒"
    observer = PollingObserver(timeout=poll_interval)
    observer.schedule(QueueHandler(root, out), root, recursive=True)
    observer.start()
    return observer, mode, fallback
