"""Cases (案件): the records about one matter — a supervision case against a school, a teacher or a
training institution — grouped by the ``案件`` of each record.

A case is overdue when a record in it set a deadline (整改时限, the ``时限`` of a 整改通知书 or
督办函) that has passed and no report (报告 / 整改报告) has been filed in the case since that
record: the bureau asked for rectification and nothing came back in time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from archive.errors import WenshuError
from archive.filing import iter_records
from archive.record import Record
from archive.store import Archive

REPORT_TYPES = ("报告", "整改报告")


def _when(r: Record) -> date:
    """The record's date; a record without one counts from the day it was filed."""
    if r.date:
        return r.date
    for h in r.history:
        try:
            return date.fromisoformat(h.at[:10])
        except ValueError:
            continue
    return date.min


@dataclass
class Overdue:
    record: Record  # the notice or letter that set the deadline
    deadline: date
    days: int


@dataclass
class Case:
    id: str
    records: list[Record] = field(default_factory=list)  # in date order

    @property
    def first(self) -> date | None:
        return _when(self.records[0]) if self.records else None

    @property
    def last(self) -> date | None:
        return _when(self.records[-1]) if self.records else None

    def overdue(self, today: date | None = None) -> list[Overdue]:
        today = today or date.today()
        out = []
        for r in self.records:
            if not r.deadline or r.deadline >= today:
                continue
            answered = any(o is not r and o.doc_type in REPORT_TYPES and _when(o) >= _when(r) for o in self.records)
            if not answered:
                out.append(Overdue(r, r.deadline, (today - r.deadline).days))
        return out

    def as_dict(self, today: date | None = None) -> dict:
        return {
            "案件": self.id,
            "件数": len(self.records),
            "起始日期": self.first.isoformat() if self.first else "",
            "最近日期": self.last.isoformat() if self.last else "",
            "逾期": [{"档号": str(o.record.archival_code), "文号": str(o.record.doc_number or ""),
                    "题名": o.record.title, "时限": o.deadline.isoformat(), "逾期天数": o.days}
                   for o in self.overdue(today)],
            "文件": [{"档号": str(r.archival_code), "文号": str(r.doc_number or ""), "题名": r.title,
                    "文种": r.doc_type, "日期": r.date.isoformat() if r.date else "", "责任者": r.author,
                    "主送": r.recipients, "时限": r.deadline.isoformat() if r.deadline else ""}
                   for r in self.records],
        }


def cases(archive: Archive) -> list[Case]:
    by_id: dict[str, Case] = {}
    for _, r in iter_records(archive):
        if r.case:
            by_id.setdefault(r.case, Case(r.case)).records.append(r)
    for c in by_id.values():
        c.records.sort(key=lambda r: (_when(r), r.archival_code))
    return sorted(by_id.values(), key=lambda c: c.id)


def get_case(archive: Archive, case_id: str) -> Case:
    for c in cases(archive):
        if c.id == case_id:
            return c
    known = "、".join(c.id for c in cases(archive)[:20]) or "（还没有任何案件）"
    raise WenshuError(f"没有编号为“{case_id}”的案件。已有的案件：{known}。")


def overdue_cases(archive: Archive, today: date | None = None) -> list[tuple[Case, list[Overdue]]]:
    out = []
    for c in cases(archive):
        late = c.overdue(today)
        if late:
            out.append((c, late))
    return out
