"""The archive's index write lock (写锁): one writer at a time, others wait their turn.

whoosh raises ``LockError`` at once when a second writer asks for its lock (DESIGN §11). A
CLI command running while the watcher indexes must queue instead, so every writing call
first takes this OS file lock (flock, released by the kernel if the process dies), polling
until ``timeout``. It is re-entrant within one ``WriteLock`` object (a rebuild started from
inside a locked call does not deadlock) and serialises threads sharing it.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from archive.errors import WenshuError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt


class WriteLock:
    def __init__(self, path: Path, timeout: float = 600.0):
        self.path = Path(path)
        self.timeout = timeout
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    def __enter__(self):
        if not self._thread_lock.acquire(timeout=self.timeout):
            raise self._timeout_error()
        if self._depth == 0:
            try:
                self._fd = self._acquire()
            except BaseException:
                self._thread_lock.release()
                raise
        self._depth += 1
        return self

    def __exit__(self, *exc):
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            self._unlock(self._fd)
            os.close(self._fd)
            self._fd = None
        self._thread_lock.release()

    def _acquire(self) -> int:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        delay = 0.02
        while True:
            try:
                if fcntl:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                else:
                    msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                return fd
            except OSError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise self._timeout_error() from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    @staticmethod
    def _unlock(fd: int) -> None:
        if fcntl:
            fcntl.flock(fd, fcntl.LOCK_UN)
        else:
            os.lseek(fd, 0, 0)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

    def _timeout_error(self) -> WenshuError:
        return WenshuError(f"索引正在被另一个 wenshu 进程写入（如 wenshu watch 或重建），等待 {self.timeout:.0f} 秒后"
                           f"仍未轮到；请稍后重试。锁文件：{self.path}")
