"""Shared by the watcher tests: start a real Watcher (real watchdog observer, real ArchiveIndex)
and wait for the index to reach a state, bounded by a deadline — never a fixed sleep as an assertion."""

from __future__ import annotations

import time

from indexer.index import ArchiveIndex

WAIT = 60.0  # generous: the machine is shared; a passing test returns as soon as the state is reached


def indexed(archive) -> dict[str, dict]:
    """root-relative path → stored fields, as a reader sees the index now."""
    ai = ArchiveIndex(archive, notify=lambda m: None)
    try:
        return {f["path"]: f for f in ai.all_stored()}
    finally:
        ai.close()


def wait_until(check, timeout: float = WAIT, what: str = "", interval: float = 0.05):
    """Poll ``check()`` until it returns something other than None/False (an empty index is a
    valid answer); fail with ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last is not None and last is not False:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for: {what} (last: {last!r})")


def wait_indexed(archive, rels, timeout: float = WAIT, body: str | None = None) -> dict[str, dict]:
    rels = [str(r) for r in rels]

    def check():
        docs = indexed(archive)
        if all(r in docs and (body is None or body in docs[r].get("body", "")) for r in rels):
            return docs
        return None

    return wait_until(check, timeout, f"{len(rels)} path(s) indexed, e.g. {rels[:2]}")


def wait_gone(archive, rels, timeout: float = WAIT) -> dict[str, dict]:
    rels = [str(r) for r in rels]

    def check():
        docs = indexed(archive)
        return docs if not any(r in docs for r in rels) else None

    return wait_until(check, timeout, f"{rels[:2]} removed from the index")


def wait_idle(watcher, timeout: float = WAIT, quiet: float = 0.3) -> None:
    """The watcher has had nothing queued, pending or in hand for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    since = None
    while time.monotonic() < deadline:
        if watcher.idle():
            since = since or time.monotonic()
            if time.monotonic() - since >= quiet:
                return
        else:
            since = None
        time.sleep(0.02)
    raise AssertionError("watcher did not become idle")


NOTICE = ["高平市教育局文件", "高教字〔2022〕8号", "关于做好2022年暑期校外培训治理工作的通知",
          "各中小学、各校外培训机构：", "为进一步落实“双减”政策，严防隐形变异培训，现将有关事项通知如下。",
          "一、严禁以住家家教、众筹私教等名义开展学科类培训。", "二、各校做好课后服务。",
          "高平市教育局", "2022年6月30日"]
