"""The watcher (监视): keeps the index true to the disk while clerks work in Explorer and Word.

Two threads. watchdog's observer thread turns file-system events into small tuples on a queue
(junk and ``.wenshu/`` dropped on the spot). One worker thread owns the index writer (whoosh
allows one) and everything else: it feeds each event's paths to a StabilityTracker, and every
tick takes the paths that have become stable and applies them to the index as one batch.

Events are treated as hints, never as facts: when a path is due, what is on disk *now* decides
what happens (there → upsert, gone → remove). That makes the hard cases fall out on their own:
Word's save dance (temp written, original renamed away, temp renamed over it) leaves one
existing, changed file → one update; a file written in chunks is read once, complete; a burst
of 1,000 files is a few batches. Only renames carry extra meaning (src → dst remembered) so that
a moved file keeps its index entry without being re-read. Whatever slips through — a missed
event on a busy disk, a change made while the watcher was stopped — is caught by the reconcile
at start and the periodic rescan.
"""

from __future__ import annotations

import logging
import os
import queue
import stat
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Callable

from archive import versions
from archive.errors import WenshuError
from archive.record import RECORD_JSON
from archive.store import Archive
from archive import inbox
from archive.ignore import is_junk_name
from indexer.merging import MergePolicy
from watch.observer import make_observer
from watch.ocrjobs import OcrJobs
from watch.stability import DEFAULT_INBOX_STABILITY, InboxWrites, StabilityTracker
from watch.stats import WatchStats, reconcile_summary, why

log = logging.getLogger("wenshu.watch")

DEFAULT_STABILITY = 0.5
DEFAULT_INTERVAL = 300.0
DEFAULT_POLL = 1.0
BATCH = 200  # paths per index commit: a burst becomes visible in steps, and stop stays responsive
ONCE_RETRIES = 3  # --once: how often a document still being written is waited for again


class Watcher:
    """``wenshu watch`` as a library object: ``start()``, ``stop()``, ``run_once()``."""

    def __init__(self, archive: Archive, index: Any = None, *, polling: bool = False,
                 stability: float = DEFAULT_STABILITY, interval: float = DEFAULT_INTERVAL,
                 poll_interval: float = DEFAULT_POLL, batch: int = BATCH,
                 filer: Callable | None = None, inbox_stability: float = DEFAULT_INBOX_STABILITY):
        self.archive = archive
        self.root = str(archive.root)
        self._index = index
        self._owns_index = index is None
        self.polling_requested = polling
        self.stability = stability
        self.inbox_stability = max(stability, inbox_stability)
        self.interval = interval
        self.poll_interval = poll_interval
        self.batch = batch
        self.filer = filer
        self.mode = ""  # how events arrive, in words (logged at start)
        self.stats = WatchStats()
        self._events: queue.Queue = queue.Queue()
        self._writes = InboxWrites(str(archive.inbox), lambda p: inbox.is_inbox_item(self.archive, Path(p)))
        self._tracker = StabilityTracker(stability, delay_for=self._window, busy=self._writes.busy)
        self._once = False
        self._retries: dict[str, int] = {}
        self._moves: dict[str, str] = {}  # dst → src of renames not yet applied
        self._stop = threading.Event()
        self._ready = threading.Event()  # startup reconcile done
        self._busy = threading.Event()
        self._observer = None
        self._worker: threading.Thread | None = None
        self._failure: BaseException | None = None
        self._filing_archive: Archive | None = None
        self._merges = MergePolicy()
        self._ocr = OcrJobs(archive.root, filer)  # scans are filed off this loop (watch.ocrjobs)
        self._stopped = False

    # -- the index ------------------------------------------------------------------------

    @property
    def index(self):
        if self._index is None:
            from indexer.index import ArchiveIndex

            self._index = ArchiveIndex(self.archive, notify=lambda msg: log.warning("%s", msg))
        return self._index

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Observer first (so nothing that happens during the reconcile is missed), then the worker."""
        # watchdog's inotify emitter warns when a new sub-folder's watch is registered twice
        # (it is, harmlessly, by the move grouper and the emitter); not the clerk's concern.
        warnings.filterwarnings("ignore", message="Callback with id", category=RuntimeWarning)
        # …and logs an error when its thread is stopped while reading (a benign race on stop).
        logging.getLogger("watchdog.observers.inotify").setLevel(logging.CRITICAL)
        self._observer = self._make_observer()
        log.info("开始监视 %s（%s；稳定判定 %.1f 秒，定期复查每 %g 秒）",
                 self.root, self.mode, self.stability, self.interval)
        self._worker = threading.Thread(target=self._run, name="wenshu-watch-worker", daemon=True)
        self._worker.start()

    @property
    def failed(self) -> bool:
        return self._failure is not None

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def stop(self, timeout: float = 60.0) -> None:
        """Stop observing, let the worker finish the batch in hand, commit and close the index.
        Changes still waiting to become stable are not lost: the next start's reconcile finds them."""
        if self._stopped:
            return
        self._stopped = True
        self._stop.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout)
            self._observer = None
        if self._worker is not None:
            self._worker.join(timeout)
            self._worker = None
        waiting = len(self._tracker) + self._events.qsize()
        self._close_index()
        if waiting:
            log.info("尚有 %d 处变动未处理完，下次启动时的对账会补上。", waiting)
        s = self.stats
        log.info("已停止，索引已提交（新增 %d，更新 %d，移动 %d，移除 %d，无法读取 %d，收件箱归档 %d，未能归档 %d）。",
                 s.indexed, s.updated, s.moved, s.removed, s.failed, s.filed, s.set_aside)
        if self._failure is not None:
            raise self._failure

    def run_once(self) -> WatchStats:
        """Reconcile the archive with the index and file the inbox, then return (``--once``)."""
        self._once = True
        try:
            self._startup()
            while len(self._tracker) or len(self._ocr):  # the inbox, each document once it is stable
                if not len(self._tracker):
                    self._ocr.drain(self._filed, timeout=1.0)  # only scans being OCR'd are left
                    continue
                time.sleep(min(self._tracker.next_due_in() or 0.0, 0.25))
                self._ocr.drain(self._filed)
                due = self._tracker.due(limit=self.batch)
                if due:
                    self._process(due)
            self._maybe_merge(force=True)
        finally:
            self._ocr.shutdown()
            self._close_filing_archive()
            self._close_index()
        return self.stats

    def idle(self) -> bool:
        """Nothing queued, nothing waiting to become stable, no batch in hand (used by tests/bench)."""
        return (self._ready.is_set() and self._events.empty() and not len(self._tracker)
                and not self._busy.is_set() and not len(self._ocr))

    def _close_index(self) -> None:
        if self._index is not None and self._owns_index:
            close = getattr(self._index, "close", None)
            if close:
                close()
            self._index = None

    def _make_observer(self):
        observer, self.mode, fallback = make_observer(self.root, self._events, self.polling_requested,
                                                      self.poll_interval)
        from watchdog.observers.polling import PollingObserver

        self._writes.native = not isinstance(observer, PollingObserver)
        if fallback:
            log.warning("%s，改用轮询（每 %g 秒扫描一次）。", fallback, self.poll_interval)
        return observer

    # -- the worker -----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._startup()
            self._ready.set()
            next_rescan = time.monotonic() + self.interval
            while not self._stop.is_set():
                wait = self._tracker.next_due_in()
                wait = 0.25 if wait is None else min(max(wait, 0.02), 0.25)
                try:
                    item = self._events.get(timeout=wait)
                except queue.Empty:
                    item = None
                self._busy.set()
                try:
                    self._ocr.drain(self._filed)  # scans whose OCR finished meanwhile
                    drained = 0
                    while item is not None and drained < 20000:  # a storm still gets processed
                        self._on_event(*item)
                        drained += 1
                        item = self._events.get_nowait() if not self._events.empty() else None
                    if item is not None:
                        self._on_event(*item)
                    due = self._tracker.due(limit=self.batch)
                    if due:
                        try:
                            self._process(due)
                        except Exception as e:  # one odd batch must not end the watcher
                            msg = f"处理 {len(due)} 处变动时出错（定期复查时重试）：{why(e)}"
                            self.stats.errors.append(msg)
                            log.exception("%s", msg)
                    self._maybe_merge()
                    if time.monotonic() >= next_rescan and not self._stop.is_set():
                        self._rescan()
                        next_rescan = time.monotonic() + self.interval
                finally:
                    self._busy.clear()
            self._finish_ocr()
            self._flush_on_stop()
            self._maybe_merge(force=True)  # leave the index compact for the searches to come
        except BaseException as e:  # surfaced by stop(); the CLI exits non-zero
            self._failure = e
            log.exception("监视线程出错")
            self._ready.set()
            self._stop.set()
        finally:
            self._close_filing_archive()

    def _flush_on_stop(self) -> None:
        """Stopping: what has not changed since its last event is handled now rather than left
        for the next start (a file still being written stays pending; were it caught half-way,
        the next start's reconcile sees its size/mtime moved and reads it again)."""
        while not self._events.empty():
            self._on_event(*self._events.get_nowait())
        held = []
        for _ in range(3):  # a folder handled here puts its files in the tracker: a few rounds
            rest = self._tracker.due(now=float("inf"), limit=self.batch)
            # never file what may be half-written: the inbox waits for the next start
            held += [(p, d) for p, d in rest if inbox.is_inbox_item(self.archive, Path(p)) and os.path.lexists(p)]
            rest = [(p, d) for p, d in rest if not inbox.is_inbox_item(self.archive, Path(p))]
            if not rest:
                break
            try:
                self._process(rest)
            except Exception as e:
                log.error("停止前处理剩余变动时出错（下次启动对账补上）：%s", why(e))
                break
        for p, d in held:
            self._tracker.touch(p, d)

    def _finish_ocr(self) -> None:
        """Stopping: the scan being OCR'd is finished and indexed; scans still queued stay in the inbox."""
        left = self._ocr.shutdown()
        self._ocr.drain(self._filed)
        if left:
            log.info("尚有 %d 份扫描件未识别，留在收件箱，下次启动时处理。", left)

    def _close_filing_archive(self) -> None:
        if self._filing_archive is not None:
            self._filing_archive.close()
            self._filing_archive = None

    def _startup(self) -> None:
        self._reconcile("启动对账")
        for p in inbox.pending(self.archive):
            self._tracker.touch(str(p))

    def _rescan(self) -> None:
        self._reconcile("定期复查")
        for p in inbox.pending(self.archive):
            if str(p) not in self._tracker:
                self._tracker.touch(str(p))

    def _reconcile(self, what: str) -> None:
        started = time.monotonic()
        try:
            result = self.index.reconcile()
        except Exception as e:
            self._error(f"{what}失败（下次复查时重试）：{why(e)}")
            return
        summary = reconcile_summary(result)
        for path, reason in (result.get("failed") or []) if isinstance(result, dict) else []:
            self.stats.failed += 1
            log.warning("无法读取 %s：%s（已记入索引，wenshu check 会列出）", path, reason)
        log.info("%s完成（%.1f 秒）%s", what, time.monotonic() - started, f"：{summary}" if summary else "")

    def _on_event(self, kind: str, src: str, dst: str, is_dir: bool) -> None:
        if not is_dir:
            self._writes.note(kind, src, dst)
        if kind == "moved":
            if src:
                self._tracker.touch(src, is_dir)
            if dst:
                self._tracker.touch(dst, is_dir)
            if src and dst:
                self._moves[dst] = src
            return
        self._tracker.touch(src or dst, is_dir)

    def _window(self, path: str) -> float:
        """The inbox waits longer than the index: filing removes the source, indexing does not."""
        return self.inbox_stability if inbox.is_inbox_item(self.archive, Path(path)) else self.stability

    # -- one batch ------------------------------------------------------------------------

    def _process(self, due: list[tuple[str, bool]]) -> None:
        self.stats.batches += 1
        upserts: list[str] = []
        removes: list[str] = []  # files and folders gone from disk (a folder: all under it)
        refresh: set[str] = set()
        pending_srcs = set(self._moves.values())
        batch = frozenset(p for p, _ in due)  # a folder's files already in this batch
        for path, is_dir in due:
            p = Path(path)
            st = _lstat(path)
            exists = st is not None
            if inbox.is_inbox_item(self.archive, p):
                if exists and stat.S_ISDIR(st.st_mode):  # a real folder; a link to one is an entry
                    self._walk_into_tracker(path)
                elif exists:
                    self._file_inbox(p)  # a link, FIFO, device… is set aside there, never followed
                continue
            if p.parent == self.archive.inbox or self._in_inbox(p):
                continue  # 收件箱 itself and 未能归档/
            if exists and stat.S_ISDIR(st.st_mode):
                if path in self._moves:
                    self._apply_move(path, True)
                self._walk_into_tracker(path, batch)
                continue
            if exists and not stat.S_ISREG(st.st_mode):
                removes.append(path)  # a link or a FIFO in the archive is never read (nor indexed)
                continue
            if p.name == RECORD_JSON:
                refresh.add(str(p.parent))
                continue
            if path in self._moves and exists:
                if self._apply_move(path, False):
                    continue
            if exists:
                upserts.append(path)
                continue
            src = self._moves.pop(path, None)  # a rename target that is gone again: so is its source
            if src is not None and not os.path.lexists(src):
                removes.append(src)
            if path not in pending_srcs:  # else its rename target decides (moved, or removed then)
                removes.append(path)
        if upserts:
            self._record_versions(upserts)
            self._upsert(upserts)
        if removes:
            self._remove(removes)
        for folder in sorted(refresh):
            self._refresh(folder)

    def _in_inbox(self, p: Path) -> bool:
        try:
            p.relative_to(self.archive.inbox)
            return True
        except ValueError:
            return p == self.archive.inbox

    def _walk_into_tracker(self, folder: str, skip: frozenset = frozenset()) -> None:
        """A folder appeared (moved in, copied in, made by filing): every file in it is a change.
        inotify may report fewer events for files written into a just-created folder (DESIGN §11).
        The walk stops at links: a linked folder is never entered (in the inbox it is an entry of
        its own, set aside as it is)."""
        if os.path.islink(folder):
            return
        in_inbox = self._in_inbox(Path(folder))
        for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
            keep = []
            for d in dirnames:
                if is_junk_name(d):
                    continue
                if os.path.islink(os.path.join(dirpath, d)):
                    if in_inbox and os.path.join(dirpath, d) not in self._tracker:
                        self._tracker.touch(os.path.join(dirpath, d))
                    continue
                keep.append(d)
            dirnames[:] = keep
            for name in filenames:
                path = os.path.join(dirpath, name)
                if not is_junk_name(name) and path not in self._tracker and path not in skip:
                    self._tracker.touch(path)

    def _apply_move(self, dst: str, is_dir: bool) -> bool:
        """A rename inside the archive: update the path in the index without reading the file.
        Only when the file that arrived is the one that left (size+mtime as indexed); a file
        renamed and then edited is re-read instead."""
        src = self._moves.pop(dst)
        while src in self._moves:  # a → b → c arrives as two renames
            src = self._moves.pop(src)
        if os.path.lexists(src):
            return False  # the source is back (or never left): treat dst as new
        if not is_dir:
            if not self._indexable(dst):
                return False
            state = self.index.file_state(Path(src))
            if state is None:
                return False
            st = os.lstat(dst)
            if state[0] != st.st_size or state[1] not in (st.st_mtime_ns, st.st_mtime):
                self._remove([src])
                return False
        try:
            done = self.index.move_file(Path(src), Path(dst), **self._merges.kwargs())
        except Exception as e:
            self._error(f"更新路径 {self._rel(src)} → {self._rel(dst)} 失败：{why(e)}")
            return False
        if not done:
            return False
        self.stats.moved += 1
        log.info("已移动 %s → %s", self._rel(src), self._rel(dst))
        return True

    def _indexable(self, path: str) -> bool:
        return bool(self.index.is_indexable(Path(path)))

    def _upsert(self, paths: list[str]) -> None:
        paths = [p for p in paths if _regular(p) and self._indexable(p)]
        if not paths:
            return
        try:
            outcomes = self.index.upsert_files([Path(p) for p in paths], **self._merges.kwargs())
        except Exception as e:
            if len(paths) == 1:
                self.stats.failed += 1
                log.error("无法索引 %s：%s", self._rel(paths[0]), why(e))
                return
            for p in paths:  # isolate the one that broke the batch
                self._upsert([p])
            return
        for o in outcomes:
            if o.status == "indexed":
                self.stats.indexed += 1
                log.info("已索引 %s", o.path)
            elif o.status == "updated":
                self.stats.updated += 1
                log.info("已更新（内容有变化）%s", o.path)
            elif o.status == "unchanged":
                self.stats.unchanged += 1
            elif o.status == "removed":
                self.stats.removed += 1
                log.info("已移除 %s", o.path)
            elif o.status == "failed":
                self.stats.failed += 1
                log.warning("无法读取 %s：%s（已记入索引，wenshu check 会列出）", o.path, o.reason)

    def _record_versions(self, paths: list[str]) -> None:
        """A filed file that changed (Word's save, a copy over it) becomes its record's next version
        — or, the record being final, is put back — before the index reads it (archive.versions)."""
        for path in paths:
            p = Path(path)
            if p.name == RECORD_JSON or not (p.parent / RECORD_JSON).is_file():
                continue
            if self._filing_archive is None:
                self._filing_archive = Archive(self.archive.root)
            try:
                o = versions.record_change(self._filing_archive, p.parent, p.name, source=versions.WATCHER)
            except WenshuError:
                continue  # not a file of the record (wenshu check lists it), or a broken record.json
            except Exception as e:
                self._error(f"记录 {self._rel(path)} 的新版本失败：{why(e)}")
                continue
            if o.status == "revised":
                log.info("%s", o.message)
            elif o.status == "refused":
                log.warning("%s", o.message)

    def _remove(self, paths: list[str]) -> None:
        try:
            n = self.index.remove_files([Path(p) for p in paths], **self._merges.kwargs())
        except Exception as e:
            self._error(f"从索引中移除失败：{why(e)}")
            return
        self.stats.removed += n
        if n:
            for p in paths:
                log.info("已移除 %s", self._rel(p))

    def _refresh(self, folder: str) -> None:
        if not os.path.isdir(folder):
            return
        try:
            result = self.index.refresh_record(Path(folder), **self._merges.kwargs())
        except Exception as e:
            self._error(f"刷新 {self._rel(folder)} 的著录项失败：{why(e)}")
            return
        if result.get("status") == "broken":
            self.stats.failed += 1
            log.warning("%s/record.json 有误，索引保留上次的著录项：%s", self._rel(folder), result.get("message", ""))
        elif result.get("files"):
            self.stats.refreshed += 1
            log.info("已刷新著录项 %s（%d 个文件）", self._rel(folder), result["files"])

    def _file_inbox(self, path: Path) -> None:
        if path in self._ocr:
            return  # being OCR'd already (found again by a rescan)
        if not self._stop.is_set() and self._ocr.wants(path):
            self._ocr.submit(path)  # minutes of OCR: filed in the background, the loop goes on
            return
        # The worker's own Archive: its registry (SQLite) connection lives and dies in this thread.
        if self._filing_archive is None:
            self._filing_archive = Archive(self.archive.root)
        self._filed(path, inbox.file_from_inbox(self._filing_archive, path, self.filer))

    def _filed(self, path: Path, result: inbox.InboxResult) -> None:
        """What filing one inbox entry came to (on the worker: it alone writes the index)."""
        if result.record is not None:
            self.stats.filed += 1
            log.info("收件箱：已归档 %s → %s", path.name, self._rel(result.folder))
            if result.folder is not None and result.folder.is_dir():  # searchable now, not after its events
                self._upsert([str(p) for p in sorted(result.folder.iterdir()) if p.name != RECORD_JSON])
                self._tracker.forget(str(result.folder))
        elif result.set_aside is not None:
            self.stats.set_aside += 1
            log.warning("收件箱：%s 未能归档：%s（已移到 %s）", path.name, result.reason, self._rel(result.set_aside))
        elif result.retry:
            self._retry(path, result.reason)
        elif result.stuck:  # the periodic rescan (or the next --once) tries again
            self._error(f"收件箱：{path.name} {result.reason}")

    def _retry(self, path: Path, reason: str) -> None:
        """Left in the inbox (still being written; the note could not be written): try again after
        another quiet window; ``--once`` gives up after a few rounds and says so."""
        key = str(path)
        n = self._retries.get(key, 0) + 1
        self._retries[key] = n
        if self._once and n > ONCE_RETRIES:
            self._error(f"收件箱：{path.name} 暂未处理，留在收件箱：{reason}")
            return
        log.warning("收件箱：%s 暂未处理（稍后重试）：%s", path.name, reason)
        self._tracker.touch(key)

    def _maybe_merge(self, force: bool = False) -> None:
        quiet = self._events.empty() and not len(self._tracker)
        try:
            self._merges.maybe_merge(self.index, quiet, force)
        except Exception as e:
            self._error(f"合并索引段失败（稍后重试）：{why(e)}")

    # -- helpers --------------------------------------------------------------------------

    def _rel(self, path) -> str:
        try:
            return str(Path(path).relative_to(self.root))
        except ValueError:
            return str(path)

    def _error(self, message: str) -> None:
        self.stats.errors.append(message)
        log.error("%s", message)


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def _regular(path: str) -> bool:
    """Only plain files are read: never through a link, never a FIFO that would block the reader."""
    st = _lstat(path)
    return st is not None and stat.S_ISREG(st.st_mode)


__all__ = ["Watcher", "WatchStats", "DEFAULT_STABILITY", "DEFAULT_INTERVAL"]
