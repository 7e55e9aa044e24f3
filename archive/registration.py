"""收文登记: a received document read, reviewed by the clerk, filed, and given its 收文编号.

OA systems number what comes in on its own series, apart from the 文号 the sender gave it and
the 档号 the archive gives it: the 收文编号 says "the 5th document we received in 2026". It is an
item series on the same registry (ledger) as 文号 and 件号, so numbers are never reused and a gap
is explained; it is written into the record (其他 → 收文编号), where the record page shows it.

The web page and ``wenshu file`` share the filing itself (archive.receive.receive); this module
adds only what registration needs: which fields to check first, the clerk's corrections checked
field by field (every message names the field), and the number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from archive.errors import WenshuError
from archive.filing import filing_lock, find_record, save_record
from archive.record import HistoryEntry, Record
from archive.store import Archive

SERIES = "收文"
EXTRA_KEY = "收文编号"
# the fields a clerk reviews, in the order of the 收文登记簿 (label → DocMeta attribute)
FIELDS = (("文号", "doc_number"), ("题名", "title"), ("责任者", "author"), ("成文日期", "date"),
          ("主送", "recipients"), ("文种", "doc_type"))
UNREAD, DATE_UNREAD = "待核对", "日期待核"


def number_text(year: int, seq: int) -> str:
    return f"{SERIES}{year}-{seq:04d}"


@dataclass
class ReviewField:
    label: str
    value: str
    flag: str = ""  # 待核对 / 日期待核: wenshu could not read it; shown first


def review_fields(meta) -> list[ReviewField]:
    """The metadata wenshu read (archive.metadata.DocMeta), flagged where nothing was read;
    flagged fields first, each group in 登记簿 order."""
    out = []
    for label, attr in FIELDS:
        v = getattr(meta, attr, None)
        if isinstance(v, (list, tuple)):
            v = "、".join(str(x) for x in v)
        elif isinstance(v, date):
            v = v.isoformat()
        v = "" if v is None else str(v)
        flag = "" if v else (DATE_UNREAD if attr == "date" else UNREAD)
        out.append(ReviewField(label, v, flag))
    return sorted(out, key=lambda f: not f.flag)


def check_values(values: dict[str, str], allowed_marks: list[str]) -> dict[str, str]:
    """The clerk's values → {label: message} for every field that is wrong (empty when all are
    right). ``allowed_marks``: the 密级 the clerk may give (not above their own clearance)."""
    from archive.archival_code import Retention
    from archive.docnumber import DocNumber
    from archive.fields import MAX_CHARS, NAMES
    from archive.metadata import parse_date

    errors: dict[str, str] = {}
    if not values.get("题名", "").strip():
        errors["题名"] = "题名：必填，请照文件首页的标题填写。"
    if dn := values.get("文号", "").strip():
        try:
            DocNumber.parse(dn)
        except WenshuError as e:
            errors["文号"] = f"文号：“{dn}”不是有效的发文字号（{e}），应如 高教字〔2022〕8号。"
    if d := values.get("成文日期", "").strip():
        parsed = None
        try:
            parsed = date.fromisoformat(d)
        except ValueError:
            parsed = parse_date(d)
        if parsed is None:
            errors["成文日期"] = f"成文日期：“{d}”不是日期，应如 2022-03-25 或 2022年3月25日。"
        elif parsed > date.today():
            errors["成文日期"] = f"成文日期：{parsed.isoformat()} 晚于今天。"
    if r := values.get("保管期限", "").strip():
        try:
            Retention.parse(r)
        except WenshuError:
            errors["保管期限"] = f"保管期限：“{r}”无效，应为 永久、30年 或 10年。"
    mark = values.get("密级", "").strip()
    if mark and mark not in allowed_marks:
        errors["密级"] = (f"密级：“{mark}”超出您的可见密级，不能登记（可选：{'、'.join(allowed_marks) or '仅非密'}）。"
                        if mark in ("秘密", "机密", "绝密") else f"密级：“{mark}”无效，应为 秘密、机密 或 绝密，非密留空。")
    for label, v in values.items():
        attr = NAMES.get(label)
        limit = MAX_CHARS.get(attr or "")
        if limit and len(v) > limit and label not in errors:
            errors[label] = f"{label}：不超过 {limit} 个字（现有 {len(v)} 个）。"
    return errors


def assignments_of(values: dict[str, str]) -> dict[str, str]:
    """The clerk's values as ``wenshu file --set`` assignments (empty ones left to what was read)."""
    out = {}
    for label in ("文号", "题名", "责任者", "成文日期", "主送", "文种", "密级", "保管期限", "机构", "案件"):
        v = values.get(label, "").strip()
        if v:
            out["日期" if label == "成文日期" else label] = v
    if "题名" in out and "文种" not in out:
        from archive.metadata import doc_type_of

        if kind := doc_type_of(out["题名"]):  # as when reading: the 文种 a corrected 题名 ends in
            out["文种"] = kind
    return out


def register(archive: Archive, record: Record, actor: str = "", on: date | None = None) -> str:
    """Give a filed record its 收文编号 (next in this year's series) and write it into the record."""
    from datetime import datetime

    year = (on or date.today()).year
    code = str(record.archival_code)
    with filing_lock(archive):
        folder, rec = find_record(archive, code)
        if EXTRA_KEY in rec.extra:
            raise WenshuError(f"{code} 已有收文编号 {rec.extra[EXTRA_KEY]}，未重复登记。")
        seq = archive.registry.allocate_item(SERIES, year, record=code, title=rec.title)
        number = number_text(year, seq)
        rec.extra[EXTRA_KEY] = number
        rec.history.append(HistoryEntry("收文登记", f"收文编号 {number}", datetime.now().isoformat(timespec="seconds"),
                                        actor or ""))
        save_record(folder, rec)
    from archive.changes import Change, report

    report(archive, Change(records=[folder]))
    return number


def file_received(archive: Archive, path: Path, values: dict[str, str], *, actor: str = "",
                  move: bool = False) -> tuple[Record, str]:
    """File one received document with the clerk's corrections (as ``wenshu file --set``), then
    register it. Raises WenshuError, before anything is filed, when the document is refused."""
    from archive.receive import receive

    assignments = assignments_of(values)
    rec = receive(archive, [Path(path)], assignments, case=assignments.get("案件", ""), move=move, actor=actor)
    return rec, register(archive, rec, actor)


def registered(archive: Archive, year: int | None = None) -> list:
    """The 收文 series of the ledger (LedgerEntry rows), newest first."""
    rows = [e for e in archive.registry.entries(year=year, kind="item") if e.series == SERIES]
    return sorted(rows, key=lambda e: (e.year, e.seq), reverse=True)
