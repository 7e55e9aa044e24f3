"""Correcting a record's metadata (修改著录): ``wenshu edit 档号 --set 字段=值``.

Every change is appended to the record's history with the old and the new value; a change
of 文号 also moves the registry link from the old number to the new one, and a change of
保管期限 or 机构 gives the record a new 档号 (a new 件号 in the new series, the old one voided
with the reason), so the ledger and the records keep telling the same story.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date

from archive.archival_code import ArchivalCode, Retention, item_series
from archive.changes import Change, report
from archive.docnumber import DocNumber
from archive.errors import WenshuError
from archive.elements import RECORD_ATTRS
from archive.fields import LABELS, to_attributes
from archive.filing import build_record, filing_lock, find_record, find_records
from archive.fsutil import fsync_dir
from archive.record import HistoryEntry, Record
from archive.store import Archive


def _show(value) -> str:
    if value is None or value == "" or value == []:
        return "（空）"
    if isinstance(value, list):
        return "、".join(v if isinstance(v, str) else "/".join(map(str, v.values())) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def edit_record(archive: Archive, key: str, assignments: dict[str, str], actor: str = "",
                confirm: tuple[str, ...] = ()) -> Record:
    """``confirm``: 著录项 whose 待核对 mark the clerk ends without a change (checked against the
    original, the value read from the OCR text was right)."""
    if not assignments and not confirm:
        raise WenshuError("没有要修改的内容：请用 --set 字段=值 指定，如 --set 题名=关于…的通知；"
                          "或用 --confirm 字段 确认待核对的著录项无误。")
    with filing_lock(archive):
        return _edit_locked(archive, key, assignments, actor, confirm)


def _confirmed(record: Record, confirm: tuple[str, ...]) -> tuple[dict, list[str]]:
    """record.json 其他 without the 待核对 marks of ``confirm``, and the history lines saying so.
    A field without a mark in force is an error: the clerk names a field wenshu check did not list."""
    from archive.elements import BY_NAME
    from archive.ocr import REVIEW, record_review, record_review_value

    in_force = record_review(record)
    marks = dict(record.extra.get(REVIEW) or {})
    lines = []
    for typed in confirm:
        element = BY_NAME.get(typed.strip())
        label = next((m for m in in_force if element and BY_NAME.get(m) is element), None)
        if label is None:
            listed = "、".join(in_force) or "（无）"
            raise WenshuError(f"{record.archival_code} 的“{typed}”没有待核对的标记，未做更改。"
                              f"该件待核对的著录项：{listed}。")
        lines.append(f"核对：{label}“{record_review_value(record, label)}”经核对无误，取消待核对")
        marks.pop(label, None)
    extra = {k: v for k, v in record.extra.items() if k != REVIEW}
    if marks:
        extra[REVIEW] = marks
    return extra, lines


def _edit_locked(archive: Archive, key: str, assignments: dict[str, str], actor: str,
                 confirm: tuple[str, ...] = ()) -> Record:
    folder, record = find_record(archive, key)
    old = record
    attrs = to_attributes(assignments)
    # Build the new record through the same validation as filing.
    fields = {a: getattr(old, a) for a in RECORD_ATTRS}
    fields.update(attrs)
    new = build_record(archive, fields, old.archival_code)
    new.files, new.history = list(old.files), list(old.history)

    changes = [f"{LABELS[a]}：{_show(getattr(old, a))} → {_show(getattr(new, a))}"
               for a in attrs if getattr(old, a) != getattr(new, a)]
    if confirm:
        new.extra, confirmed = _confirmed(old, confirm)
        changes += confirmed
    new_code = _new_code(archive, old, assignments)
    if new_code is None and not changes:
        raise WenshuError(f"{old.archival_code} 的内容与要修改的值相同，未做更改。")

    registry = archive.registry
    old_dn = old.doc_number if isinstance(old.doc_number, DocNumber) else None
    new_dn = new.doc_number if isinstance(new.doc_number, DocNumber) else None
    if new_dn and new_dn != old_dn:
        clash = [r for _, r in find_records(archive, str(new_dn)) if r.archival_code != old.archival_code]
        if clash:
            raise WenshuError(f"文号 {new_dn} 已属于 {clash[0].archival_code}（{clash[0].title}），未做更改。")

    seq = None
    if new_code is not None:
        seq = registry.allocate_item(_series(new_code), new_code.year, title=new.title)
        new_code = replace(new_code, item=seq)
        new = replace(new, archival_code=new_code)
        changes.insert(0, f"档号：{old.archival_code} → {new_code}")
    new.history.append(HistoryEntry("修改", "；".join(changes), actor=actor))

    target = folder.parent / new.folder_name
    backup = (folder / "record.json").read_bytes()
    try:
        new.save(folder)
        if target != folder:
            if target.exists():
                raise WenshuError(f"目标文件夹 {target} 已存在，未做更改。")
            os.rename(folder, target)
            fsync_dir(folder.parent)
    except BaseException as e:
        (folder / "record.json").write_bytes(backup) if folder.exists() else None
        if seq is not None:
            registry.void_item(_series(new_code), new_code.year, seq, f"修改档号失败，件号作废：{e}")
        raise

    # Ledger follows the record: old 件号 voided with the reason, 文号 links moved.
    if seq is not None:
        registry.void_item(_series(old.archival_code), old.archival_code.year, old.archival_code.item,
                           f"档号变更为 {new.archival_code}（保管期限或机构调整）")
    if old_dn and (old_dn != new_dn or seq is not None):
        entry = registry.find(old_dn)
        if entry and entry.record == str(old.archival_code):
            registry.attach_record(old_dn, "")
    if new_dn and (new_dn != old_dn or seq is not None):
        if registry.find(new_dn):
            registry.attach_record(new_dn, str(new.archival_code))
    # The index follows through the one change path: the folder moved, its metadata changed.
    report(archive, Change(moved=[(folder, target)] if target != folder else [], records=[target]))
    return new


def _series(code: ArchivalCode) -> str:
    # ArchivalCode.item_series passes the enum to Retention.parse, which str()s it on Python 3.11.
    return item_series(code.retention.value, code.org)


def _new_code(archive: Archive, old: Record, assignments: dict[str, str]) -> ArchivalCode | None:
    code = old.archival_code
    retention = Retention.parse(assignments["保管期限"]) if "保管期限" in assignments else code.retention
    org = assignments["机构"].strip() if "机构" in assignments else code.org
    if org and archive.config.departments and org not in archive.config.departments:
        known = "、".join(archive.config.departments)
        raise WenshuError(f"机构代码“{org}”未在 wenshu.toml 的 [departments] 中配置（已配置：{known}）。")
    if retention == code.retention and org == code.org:
        return None
    return ArchivalCode(code.fonds, code.year, retention, org, code.item)


__all__ = ["edit_record", "item_series"]
