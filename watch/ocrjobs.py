"""Scans dropped into the inbox are OCR'd off the watcher's event loop (文字识别在后台进行).

OCR of one scanned page takes tens of seconds on two shared cores; a three-page notice, minutes.
Filed on the watcher's worker thread, a scan would hold up every other event for that long: a
.docx saved meanwhile would not be searchable until the scan was done. So a scan — a file
``archive.ocr.needs_ocr`` says is one, with the OCR tools installed — is handed to one
background thread that files it exactly as ``wenshu file`` would (``archive.inbox.file_from_inbox``:
OCR, metadata, 档号, or 收件箱/未能归档/ with the reason), while the worker goes on with the
other events. The result comes back on a queue; the worker, which alone owns the index writer,
indexes the new record. One thread, not a pool: OCRmyPDF already uses both cores for one file.

A scan being OCR'd stays in the inbox until it is filed (it is copied, verified, then removed),
so stopping the watcher loses nothing: the job in hand is finished (its subprocess must not be
orphaned halfway through a record), queued ones stay in the inbox for the next start.
"""

from __future__ import annotations

import logging
import os
import queue
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from archive import inbox
from archive.store import Archive

log = logging.getLogger("wenshu.watch")


class OcrJobs:
    def __init__(self, root: Path, filer: Callable | None = None):
        self.root = Path(root)
        self.filer = filer
        self._pool: ThreadPoolExecutor | None = None
        self._done: queue.Queue = queue.Queue()
        self._in_hand: set[str] = set()
        self._lock = threading.Lock()
        self._tools: bool | None = None

    def wants(self, path: Path) -> bool:
        """A plain file in the inbox that needs OCR, on a machine that can do it. Without the
        tools a scan is filed at once as 待文字识别 (quick), so it stays on the worker."""
        try:
            st = os.lstat(path)
        except OSError:
            return False
        if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
            return False  # set aside by the worker, never opened
        from archive import ocr

        if not ocr.needs_ocr(path):
            return False
        if self._tools is None:
            self._tools = not ocr.tools_missing()
        return self._tools

    def __contains__(self, path) -> bool:
        with self._lock:
            return str(path) in self._in_hand

    def __len__(self) -> int:
        with self._lock:
            return len(self._in_hand)

    def submit(self, path: Path) -> None:
        key = str(path)
        with self._lock:
            if key in self._in_hand:
                return
            self._in_hand.add(key)
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wenshu-ocr")
        log.info("收件箱：%s 是扫描件，正在后台识别文字（OCR）…", Path(path).name)
        self._pool.submit(self._run, Path(path))

    def _run(self, path: Path) -> None:
        # this thread's own Archive: its registry (SQLite) connection lives and dies here
        archive = Archive(self.root)
        try:
            result = inbox.file_from_inbox(archive, path, self.filer)
        except BaseException as e:  # file_from_inbox does not raise for a bad document; a bug still reports
            result = inbox.InboxResult(path, reason=f"文字识别时出现程序错误（{type(e).__name__}: {e}）", stuck=True)
        finally:
            archive.close()
        self._done.put((path, result))

    def drain(self, handle: Callable[[Path, inbox.InboxResult], None], timeout: float = 0.0) -> int:
        """Hand every finished job to ``handle`` (on the caller's thread); wait up to ``timeout``
        for the first. Returns how many were handled."""
        n = 0
        while True:
            try:
                path, result = self._done.get(timeout=timeout) if timeout and not n else self._done.get_nowait()
            except queue.Empty:
                return n
            with self._lock:
                self._in_hand.discard(str(path))
            handle(path, result)
            n += 1

    def shutdown(self) -> int:
        """Finish the job in hand, drop the queued ones (they are still in the inbox). Returns
        how many were dropped."""
        if self._pool is None:
            return 0
        waiting = max(0, len(self) - 1)
        if len(self):
            log.info("等待正在进行的文字识别完成…")
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None
        with self._lock:  # cancelled jobs never report: forget them
            finished = {str(p) for p, _ in list(self._done.queue)}
            self._in_hand &= finished
        return waiting
