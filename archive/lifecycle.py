"""Withdrawing (撤销) a record and attaching files to it (DESIGN §12).

A mistaken document is not deleted: the record stays, marked withdrawn with the reason, and its
文号 is voided in the ledger with the same reason — so ``check`` is clean and the ledger still
explains every number. Voiding a number a record still holds is refused with a pointer here.
Attaching adds files to a record with a role (a signed scan, the 定稿, a school's photos), each
hashed, kept as version 1 and indexed through the one change path.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from pathlib import Path

from archive.changes import Change, report
from archive.cleaning import clean_text
from archive.docnumber import DocNumber
from archive.errors import WenshuError
from archive.filing import check_source, filing_lock, find_by_sha256, find_record, find_records
from archive.fsutil import fsync_dir, safe_name
from archive.record import RECORD_JSON, HistoryEntry, Record, RecordFile
from archive.registry import ISSUED
from archive.safe_paths import SourceChanged, printable, read_verified
from archive.store import Archive
from archive.versions import start as keep_version

ROLES = ("附件", "签字扫描件", "定稿", "正本", "原件", "文字版", "其他")


def withdraw(archive: Archive, key: str, reason: str, actor: str = "") -> tuple[Record, str, list[str]]:
    """(record, ledger line, index lines). ``key`` is a 档号 or a 文号 in any spelling."""
    reason = clean_text(reason or "").strip()
    if not reason:
        raise WenshuError("撤销必须说明原因（--reason），如 --reason 重复生成。")
    with filing_lock(archive):
        folder, record = find_record(archive, key)
        code = record.archival_code
        if record.withdrawn:
            raise WenshuError(f"{code} 已于 {record.withdrawal.get('时间', '')} 撤销"
                              f"（{record.withdrawal.get('原因', '')}），未做更改。")
        dn = record.doc_number if isinstance(record.doc_number, DocNumber) else None
        entry = archive.registry.find(dn) if dn else None
        backup = (folder / RECORD_JSON).read_bytes()
        record.withdrawal = {"原因": reason, "时间": datetime.now().isoformat(timespec="seconds"),
                             "操作人": clean_text(actor)}
        record.history.append(HistoryEntry("撤销", f"撤销：{reason}" + (f"；文号 {dn} 作废" if entry else ""),
                                           actor=actor))
        record.save(folder)
        ledger = ""
        if entry is not None and entry.status == ISSUED:
            try:
                archive.registry.void(dn, reason)
            except BaseException:
                (folder / RECORD_JSON).write_bytes(backup)
                raise
            ledger = f"文号 {dn} 已在登记簿中作废（{reason}）"
    return record, ledger, report(archive, Change(records=[folder]))


def void_number(archive: Archive, number: DocNumber, reason: str) -> None:
    """``wenshu number void``: a number a (not withdrawn) record still holds is refused — withdraw
    the record instead, or the ledger and the archive would tell different stories."""
    entry = archive.registry.find(number)
    if entry is not None and entry.record:
        holders = [r for _, r in find_records(archive, entry.record) if not r.withdrawn]
        if holders:
            r = holders[0]
            raise WenshuError(f"文号 {number} 属于档案 {r.archival_code}（{r.title}），不能直接作废。"
                              f"如这份文件有误，请撤销它：wenshu withdraw {r.archival_code} --reason {reason or '…'}"
                              "（文号随之作废，原因相同）。")
    archive.registry.void(number, reason)


def attach(archive: Archive, key: str, paths: list[Path], role: str = "附件",
           actor: str = "") -> tuple[Record, list[RecordFile], list[str]]:
    """Add ``paths`` to a record with ``role``. Refused, changing nothing: an unknown role, a file
    the archive already holds (named with its 档号), a link, an empty or too large file."""
    if role not in ROLES:
        raise WenshuError(f"角色“{role}”不正确：应为 {'、'.join(ROLES)} 之一。")
    if not paths:
        raise WenshuError("没有要附加的文件。")
    sources = [check_source(archive, Path(p)) for p in paths]
    read = [read_verified(p) for p in sources]
    digests = [sha for sha, _ in read]
    if len(set(digests)) < len(digests):
        raise WenshuError("同一个文件被重复给出了两次，未附加。")
    with filing_lock(archive):
        folder, record = find_record(archive, key)
        held = find_by_sha256(archive, set(digests))
        if held:
            sha, (code, title) = next(iter(held.items()))
            name = sources[digests.index(sha)].name
            raise WenshuError(f"{printable(name)} 已在档案库中（档号 {code}，题名：{title}），未附加。")
        taken = {f.name.lower() for f in record.files} | {p.name.lower() for p in folder.iterdir()}
        added: list[RecordFile] = []
        written: list[Path] = []
        try:
            for src, sha, (_, ident) in zip(sources, digests, read):
                name = _free_name(src, taken)
                taken.add(name.lower())
                tmp = folder / f".tmp-{uuid.uuid4().hex}"
                read_verified(src, expect=ident, copy_to=tmp)
                target = folder / name
                os.rename(tmp, target)
                written.append(target)
                f = RecordFile.of(target, role)
                if f.sha256 != sha:
                    raise SourceChanged(f"复制 {printable(src.name)} 时内容发生变化（文件正在被修改？），未附加。")
                keep_version(archive, target, f, "附加", actor)
                added.append(f)
            fsync_dir(folder)
            record.files += added
            record.history.append(HistoryEntry("附加", f"附加{role}：{'、'.join(f.name for f in added)}", actor=actor))
            record.save(folder)
        except BaseException:
            for p in written:
                p.unlink(missing_ok=True)
            for p in folder.glob(".tmp-*"):
                p.unlink(missing_ok=True)
            raise
    return record, added, report(archive, Change(added=written, records=[folder]))


def _free_name(src: Path, taken: set[str]) -> str:
    stem, suffix = safe_name(src.stem, max_bytes=120), safe_name(src.suffix, max_bytes=20)
    suffix = suffix if suffix.startswith(".") else ""
    name, n = stem + suffix, 2
    while name.lower() in taken or name == RECORD_JSON:
        name, n = f"{stem}（{n}）{suffix}", n + 1
    return name


__all__ = ["ROLES", "withdraw", "void_number", "attach"]
