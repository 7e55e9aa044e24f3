"""Versions of a filed file (版本): a save from Word or a copy over a filed file is a revision.

Where the bytes live: ``.wenshu/versions/<sha256[:2]>/<sha256>``, one read-only copy per content,
addressed by its sha256. The record folder stays exactly what a clerk sees (the files, record.json),
a 档号 change that renames the folder moves nothing here, and two records holding the same bytes
share one copy. record.json lists, per file, each version (版本, 大小, sha256, 时间, 来源, 操作人);
the file in the folder is the current, last one. Every filed version is copied here when it is
recorded — at filing too — because a copy over a file (not Word's rename) leaves nothing behind
to keep afterwards.

A change is a version only when it is recorded: by a running watcher (``record_change``), or by
``wenshu revise`` for one no watcher saw; ``wenshu restore`` puts a recorded version back. A
record marked final (印发 done, ``wenshu final``) refuses a change: the changed bytes are kept
aside here, the final bytes are put back.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import uuid
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from archive.changes import Change, report
from archive.cleaning import clean_text
from archive.errors import WenshuError
from archive.fsutil import fsync_dir
from archive.record import HistoryEntry, Record, RecordFile, sha256_file
from archive.store import Archive

STORE = "versions"

# 来源 of a version
FILED, WATCHER, COMMAND, RESTORED = "归档", "监视程序", "命令", "恢复"


def blob_path(archive: Archive, sha: str) -> Path:
    return archive.state_dir / STORE / sha[:2] / sha


def keep(archive: Archive, path: Path, sha: str) -> Path:
    """Copy ``path`` (whose sha256 is ``sha``) into the store once; the copy is verified."""
    dst = blob_path(archive, sha)
    if dst.is_file() and dst.stat().st_size == os.lstat(path).st_size:  # content-addressed: same bytes
        return dst
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.parent / f".tmp-{uuid.uuid4().hex}"
    try:
        h = hashlib.sha256()
        with open(path, "rb", opener=_nofollow) as src, open(tmp, "wb") as out:
            while block := src.read(1 << 20):  # hashed as copied: the copy is what was recorded
                h.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if h.hexdigest() != sha:
            raise WenshuError(f"保存 {path.name} 的版本时内容发生变化（文件正在被修改？），稍后重试。")
        os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP)
        os.replace(tmp, dst)
        fsync_dir(dst.parent)
    finally:
        if tmp.exists():
            tmp.unlink()
    return dst


def _nofollow(path, flags):
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0))


def entry(n: int, size: int, sha: str, source: str, actor: str = "", at: str = "") -> dict:
    return {"版本": n, "大小": size, "sha256": sha, "来源": source, "操作人": clean_text(actor),
            "时间": at or datetime.now().isoformat(timespec="seconds")}


def versions_of(f: RecordFile) -> list[dict]:
    """The file's versions; a file filed before versions existed is its own version 1."""
    return list(f.versions) or [entry(1, f.size, f.sha256, FILED, at="")]


def start(archive: Archive, path: Path, f: RecordFile, source: str = FILED, actor: str = "") -> None:
    """Version 1 of a file being filed: its bytes kept, the list begun."""
    keep(archive, path, f.sha256)
    f.versions = [entry(1, f.size, f.sha256, source, actor)]


class Outcome(NamedTuple):
    status: str  # unchanged | revised | refused
    record: Record | None
    message: str
    change: Change


def _load(folder: Path, name: str) -> tuple[Record, RecordFile]:
    record = Record.load(folder)
    for f in record.files:
        if f.name == name:
            return record, f
    raise WenshuError(f"{record.archival_code} 中没有登记文件 {name}（已登记：{'、'.join(x.name for x in record.files)}）。")


def record_change(archive: Archive, folder: Path, name: str, *, source: str = WATCHER, actor: str = "") -> Outcome:
    """The file ``folder/name`` on disk differs from its recorded version: record it as the next
    version, or — the record is final — keep the change aside and put the final bytes back."""
    from archive.filing import filing_lock

    with filing_lock(archive):
        record, f = _load(folder, name)
        path = folder / name
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            raise WenshuError(f"{path.name} 不是普通文件（链接？），不能作为新版本。")
        sha = sha256_file(path)
        if sha == f.sha256 and st.st_size == f.size:
            return Outcome("unchanged", record, "", Change())
        code = record.archival_code
        history = versions_of(f)
        kept = keep(archive, path, sha)
        if record.final:
            back = blob_path(archive, f.sha256)
            if not back.is_file():
                msg = (f"{code} 已印发定稿，{name} 被改动，但定稿版本的副本不在档案库中，无法自动恢复；"
                       f"改动已另存 {kept.relative_to(archive.root)}。请从备份恢复 {name}。")
                record.history.append(HistoryEntry("拒绝修改", msg, actor=actor or source))
                record.save(folder)
                return Outcome("refused", record, msg, Change(records=[folder]))
            _put_back(back, path)
            msg = (f"{code} 已印发定稿，不能修改 {name}：改动未作为新版本，已另存 {kept.relative_to(archive.root)}"
                   f"（sha256 {sha[:12]}…），文件已恢复为定稿版本（第 {history[-1]['版本']} 版）。")
            record.history.append(HistoryEntry("拒绝修改", msg, actor=actor or source))
            record.save(folder)
            return Outcome("refused", record, msg, Change(added=[path], records=[folder]))
        note = "" if blob_path(archive, f.sha256).is_file() else "；上一版的内容未留存（归档时尚无版本功能）"
        n = history[-1]["版本"] + 1
        history.append(entry(n, st.st_size, sha, source, actor))
        f.versions, f.size, f.sha256 = history, st.st_size, sha
        msg = f"{name} 第 {n} 版（{st.st_size:,} 字节，sha256 {sha[:12]}…，来源：{source}）{note}"
        record.history.append(HistoryEntry("修订", msg, actor=actor or source))
        record.save(folder)
        return Outcome("revised", record, f"已记为新版本：{code} {msg}", Change(added=[path], records=[folder]))


def _put_back(blob: Path, path: Path) -> None:
    tmp = path.parent / f".tmp-{uuid.uuid4().hex}"
    try:
        shutil.copyfile(blob, tmp)
        os.chmod(tmp, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    finally:
        if tmp.exists():
            tmp.unlink()


def revise(archive: Archive, key: str, names: list[str], actor: str = "") -> tuple[list[str], list[str]]:
    """``wenshu revise 档号 FILE…``: accept changes no watcher saw as new versions."""
    from archive.filing import find_record

    folder, record = find_record(archive, key)
    out, changes = [], Change()
    for name in names:
        name = Path(name).name
        o = record_change(archive, folder, name, source=COMMAND, actor=actor)
        if o.status == "unchanged":
            raise WenshuError(f"{record.archival_code} 的 {name} 与已登记的版本相同，无需修订。")
        out.append(o.message)
        changes.added += o.change.added
        changes.records = o.change.records
    return out, report(archive, changes)


def restore(archive: Archive, key: str, name: str, version: int | None = None,
            actor: str = "") -> tuple[str, list[str]]:
    """``wenshu restore 档号 FILE [--version N]``: put a recorded version back in the folder.
    The current version undoes an unrecorded change; an older one becomes the next version."""
    from archive.filing import filing_lock, find_record

    name = Path(name).name
    with filing_lock(archive):
        folder, _ = find_record(archive, key)
        record, f = _load(folder, name)
        history = versions_of(f)
        wanted = history[-1] if version is None else next((v for v in history if v["版本"] == version), None)
        if wanted is None:
            have = "、".join(str(v["版本"]) for v in history)
            raise WenshuError(f"{name} 没有第 {version} 版（已有：第 {have} 版）。")
        blob = blob_path(archive, wanted["sha256"])
        if not blob.is_file() or sha256_file(blob) != wanted["sha256"]:
            raise WenshuError(f"{name} 第 {wanted['版本']} 版的内容不在档案库中（{blob.relative_to(archive.root)}），"
                              "无法恢复；请从备份恢复。")
        path = folder / name
        _put_back(blob, path)
        code = record.archival_code
        if wanted is history[-1]:
            msg = f"{name} 已恢复为登记的第 {wanted['版本']} 版（sha256 {wanted['sha256'][:12]}…）"
        else:
            n = history[-1]["版本"] + 1
            history.append(entry(n, wanted["大小"], wanted["sha256"], f"{RESTORED}第 {wanted['版本']} 版", actor))
            f.versions, f.size, f.sha256 = history, wanted["大小"], wanted["sha256"]
            msg = f"{name} 恢复为第 {wanted['版本']} 版，记为第 {n} 版"
        record.history.append(HistoryEntry("恢复", msg, actor=actor))
        record.save(folder)
    return f"已恢复：{code} {msg}", report(archive, Change(added=[path], records=[folder]))


def mark_final(archive: Archive, key: str, actor: str = "") -> Record:
    """``wenshu final 档号``: 印发 done; from now on a change to its files is refused."""
    from archive.filing import filing_lock, find_record

    with filing_lock(archive):
        folder, record = find_record(archive, key)
        if record.final:
            raise WenshuError(f"{record.archival_code} 已经是印发定稿，未做更改。")
        for f in record.files:  # the final bytes must be restorable
            path = folder / f.name
            if path.is_file() and sha256_file(path) == f.sha256:
                keep(archive, path, f.sha256)
            elif not blob_path(archive, f.sha256).is_file():
                raise WenshuError(f"{f.name} 与登记的版本不同，先用 wenshu revise 或 wenshu restore 处理，再定稿。")
        record.final = True
        record.history.append(HistoryEntry("定稿", "正本已印发，此后文件的改动不再记为新版本", actor=actor))
        record.save(folder)
    report(archive, Change(records=[folder]))
    return record


def check_versions(archive: Archive) -> list:
    """For ``wenshu check``: every recorded version must still be restorable (its copy present,
    of the recorded size). A record filed before versions existed lists none and is skipped."""
    from archive.checking import Problem
    from archive.filing import iter_records

    problems = []
    for _, record in iter_records(archive):
        for f in record.files:
            for v in f.versions:
                blob = blob_path(archive, v["sha256"])
                try:
                    present = blob.stat().st_size == v["大小"]
                except OSError:
                    present = False
                if not present:
                    problems.append(Problem("version_missing", f"{record.archival_code} 的 {f.name} 第 {v['版本']} 版"
                                                               f"（sha256 {v['sha256'][:12]}…）的副本不在 "
                                                               f"{blob.relative_to(archive.root)}，无法恢复；"
                                                               "请从备份恢复 .wenshu/versions/", str(record.archival_code)))
    return problems


__all__ = ["blob_path", "keep", "start", "versions_of", "record_change", "revise", "restore", "mark_final",
           "check_versions"]
