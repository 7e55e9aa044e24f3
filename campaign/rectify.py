"""督办 cases and 整改 items, from a founded clue to 销号.

A case (``督2022-001``, the id the 督办函 and 整改通知书 carry as their 案件) is one unit's open
matter: a second founded clue against the same unit joins it. Each problem is an item
(``ZG2022-0001``) with 责任单位, 责任人 and a 时限 in working days. An item is closed (销号) only by a
复查 — who did it, on which day, and the evidence (a note and/or files, whose sha256 is kept);
the school's 整改报告 alone never closes anything. When the last item of a case is closed, the case
is. A 催办 (a letter or a logged phone call) is an event on the item and is counted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from archive.errors import WenshuError
from campaign.store import Campaign, CampaignStore, day, now, text
from campaign.workdays import add_workdays

OPEN, CLOSED = "open", "closed"
STATUS_LABELS = {OPEN: "未销号", CLOSED: "已销号"}
REMIND_WAYS = ("督办函", "电话", "短信", "当面")

_ITEM_COLUMNS = ("i.id", "i.case_id", "i.clue", "i.problem", "i.unit", "i.person", "i.issued", "i.workdays",
                 "i.deadline", "i.status", "i.reviewer", "i.reviewed", "i.evidence")


@dataclass(frozen=True)
class Item:
    id: str
    case_id: str
    clue: str
    problem: str
    unit: str  # 责任单位
    person: str  # 责任人
    issued: str
    workdays: int
    deadline: str
    status: str
    reviewer: str
    reviewed: str
    evidence: str  # JSON: {"说明": …, "文件": [{"文件": …, "sha256": …}]}
    reminders: int = 0  # 催办次数

    def days_overdue(self, today: date) -> int:
        if self.status != OPEN:
            return 0
        return max(0, (today - date.fromisoformat(self.deadline)).days)

    def as_dict(self, today: date | None = None) -> dict:
        d = {"整改编号": self.id, "督办案件": self.case_id, "线索": self.clue, "整改问题": self.problem,
             "责任单位": self.unit, "责任人": self.person, "下发日期": self.issued,
             "时限": f"{self.workdays}个工作日", "截止日期": self.deadline, "状态": STATUS_LABELS[self.status],
             "复查人": self.reviewer, "复查日期": self.reviewed,
             "复查证据": json.loads(self.evidence) if self.evidence else {}, "催办次数": self.reminders}
        if today:
            d["逾期天数"] = self.days_overdue(today)
        return d


@dataclass(frozen=True)
class Case:
    id: str
    unit: str
    opened: str
    status: str
    closed: str

    def as_dict(self) -> dict:
        return {"督办案件": self.id, "单位": self.unit, "立案日期": self.opened,
                "状态": STATUS_LABELS[self.status], "销号日期": self.closed}


def open_items(store: CampaignStore, c, clue, problems: list[str], *, person: str, issued: date,
               workdays: int) -> str:
    """Inside the caller's transaction: the unit's open case (or a new one) and one item per problem."""
    deadline = add_workdays(issued, workdays)
    row = c.execute("SELECT id FROM rectify_cases WHERE campaign = ? AND unit = ? AND status = ? ORDER BY id",
                    (_campaign_of(c, clue.id), clue.unit, OPEN)).fetchone()
    if row:
        case_id = row[0]
    else:
        # a case id names the records of the case in the archive too (their 案件): skip any id
        # already carried by records filed by hand, so a campaign case never joins someone else's
        from archive.cases import cases as archive_cases

        taken = {k.id for k in archive_cases(store.archive)}
        while True:
            seq = store.next_number(c, "督办", issued.year)
            case_id = f"督{issued.year}-{seq:03d}"
            if case_id not in taken:
                break
        c.execute("INSERT INTO rectify_cases (id, campaign, unit, opened, status) VALUES (?, ?, ?, ?, ?)",
                  (case_id, _campaign_of(c, clue.id), clue.unit, issued.isoformat(), OPEN))
        store.log(c, case_id, "立案", detail=f"{clue.unit}（线索 {clue.id}）")
    for problem in problems:
        seq = store.next_number(c, "整改", issued.year)
        item_id = f"ZG{issued.year}-{seq:04d}"
        c.execute("INSERT INTO rectify_items (id, case_id, clue, problem, unit, person, issued, workdays, deadline,"
                  " status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (item_id, case_id, clue.id, problem, clue.unit, person, issued.isoformat(), workdays,
                   deadline.isoformat(), OPEN))
        store.log(c, item_id, "下发整改", on=issued, detail=f"{workdays}个工作日，截止 {deadline}")
    return case_id


def _campaign_of(c, clue_id: str) -> int:
    return c.execute("SELECT campaign FROM clues WHERE id = ?", (clue_id,)).fetchone()[0]


def items(store: CampaignStore, campaign: Campaign, *, case_id: str | None = None,
          status: str | None = None) -> list[Item]:
    where, args = ["k.campaign = ?"], [campaign.id]
    if case_id:
        where.append("i.case_id = ?")
        args.append(case_id)
    if status:
        where.append("i.status = ?")
        args.append(status)
    rows = store.query(
        f"SELECT {', '.join(_ITEM_COLUMNS)}, (SELECT count(*) FROM campaign_events e WHERE e.subject = i.id"
        " AND e.action = '催办') FROM rectify_items i JOIN rectify_cases k ON k.id = i.case_id"
        f" WHERE {' AND '.join(where)} ORDER BY i.id", tuple(args))
    return [Item(*r) for r in rows]


def get_item(store: CampaignStore, item_id: str) -> Item:
    rows = store.query(
        f"SELECT {', '.join(_ITEM_COLUMNS)}, (SELECT count(*) FROM campaign_events e WHERE e.subject = i.id"
        " AND e.action = '催办') FROM rectify_items i WHERE i.id = ?", (item_id.strip(),))
    if not rows:
        raise WenshuError(f"没有编号为“{item_id}”的整改事项。可用 wenshu rectify list 查看。")
    return Item(*rows[0])


def clue_items(store: CampaignStore, clue_id: str) -> list[Item]:
    """The 整改 items a clue's 核查 gave."""
    rows = store.query(
        f"SELECT {', '.join(_ITEM_COLUMNS)}, (SELECT count(*) FROM campaign_events e WHERE e.subject = i.id"
        " AND e.action = '催办') FROM rectify_items i WHERE i.clue = ? ORDER BY i.id", (clue_id,))
    return [Item(*r) for r in rows]


def cases(store: CampaignStore, campaign: Campaign) -> list[Case]:
    return [Case(*r) for r in store.query(
        "SELECT id, unit, opened, status, closed FROM rectify_cases WHERE campaign = ? ORDER BY id", (campaign.id,))]


def overdue(store: CampaignStore, campaign: Campaign, today: date | None = None) -> list[tuple[Item, int]]:
    """Open items past their 截止日期, with the calendar days overdue, most overdue first."""
    today = today or date.today()
    late = [(i, i.days_overdue(today)) for i in items(store, campaign, status=OPEN)]
    return sorted([(i, d) for i, d in late if d > 0], key=lambda t: (-t[1], t[0].id))


def close_item(store: CampaignStore, item_id: str, *, reviewer: str, on, note: str = "",
               files: list[Path] = ()) -> Item:
    """销号 after 复查. Refused, with nothing changed, without who, when, or any evidence."""
    item = get_item(store, item_id)
    missing = [label for label, v in (("复查人", str(reviewer or "").strip()), ("复查日期", str(on or "").strip()),
                                      ("复查证据（说明或文件）", str(note or "").strip() or files)) if not v]
    if missing:
        raise WenshuError(f"整改事项 {item.id} 不能销号：缺少{'、'.join(missing)}。销号必须经复查，未做任何更改。")
    reviewer, on = text(reviewer, "复查人"), day(on, "复查日期")
    if item.status == CLOSED:
        raise WenshuError(f"整改事项 {item.id} 已于 {item.reviewed} 销号，未做任何更改。")
    if on < date.fromisoformat(item.issued):
        raise WenshuError(f"复查日期 {on} 早于整改下发日期 {item.issued}，未做任何更改。")
    missing_files = [str(f) for f in files if not Path(f).is_file()]
    if missing_files:
        raise WenshuError(f"复查证据文件 {'、'.join(missing_files)} 不存在，未做任何更改。")
    kept = []
    if files:
        # the evidence becomes a record in the case (backed up, searchable, exported with it); it is
        # filed before the item is closed, so a closed item always has its evidence in the archive
        from archive.filing import file_record

        record = file_record(store.archive, [(Path(f), "原件") for f in files],
                             {"title": f"{item.unit}整改事项{item.id}复查证据", "date": on.isoformat(),
                              "doc_type": "复查记录", "author": reviewer, "case": item.case_id},
                             action="复查归档", actor=reviewer)
        kept = [{"档号": str(record.archival_code), "文件": Path(f).name,
                 "sha256": hashlib.sha256(Path(f).read_bytes()).hexdigest()} for f in files]
    evidence = json.dumps({"说明": text(note, "复查说明", required=False), "文件": kept}, ensure_ascii=False)
    with store.tx() as c:
        (status,) = c.execute("SELECT status FROM rectify_items WHERE id = ?", (item.id,)).fetchone()
        if status == CLOSED:
            raise WenshuError(f"整改事项 {item.id} 已经销号，未做任何更改。")
        c.execute("UPDATE rectify_items SET status = ?, reviewer = ?, reviewed = ?, evidence = ? WHERE id = ?",
                  (CLOSED, reviewer, on.isoformat(), evidence, item.id))
        store.log(c, item.id, "复查销号", reviewer, on, note)
        left = c.execute("SELECT count(*) FROM rectify_items WHERE case_id = ? AND status = ?",
                         (item.case_id, OPEN)).fetchone()[0]
        if not left:
            c.execute("UPDATE rectify_cases SET status = ?, closed = ? WHERE id = ?",
                      (CLOSED, on.isoformat(), item.case_id))
            store.log(c, item.case_id, "案件销号", reviewer, on)
    return get_item(store, item.id)


def link_report(store: CampaignStore, record_key: str, item_ids: list[str]) -> list[Item]:
    """Link a received 整改报告 (a record, by 档号 or 文号) to the items it answers. The items stay
    open: only a 复查 closes one."""
    from archive.filing import find_record

    if not item_ids:
        raise WenshuError("请指定整改报告对应的整改事项编号，未做任何更改。")
    targets = [get_item(store, i) for i in item_ids]
    if len({t.case_id for t in targets}) > 1:
        raise WenshuError("一份整改报告只能对应同一督办案件的整改事项，现在涉及："
                          + "、".join(sorted({t.case_id for t in targets})) + "。未做任何更改。")
    _, record = find_record(store.archive, record_key)
    code = str(record.archival_code)
    with store.tx() as c:
        for t in targets:
            c.execute("INSERT INTO rectify_reports (item, record, linked) VALUES (?, ?, ?) "
                      "ON CONFLICT (item, record) DO NOTHING", (t.id, code, now()))
            store.log(c, t.id, "收到整改报告", detail=f"{code} {record.title}")
    return [get_item(store, t.id) for t in targets]


def reports(store: CampaignStore, item_id: str) -> list[str]:
    """档号 of the 整改报告 linked to an item."""
    return [r for (r,) in store.query("SELECT record FROM rectify_reports WHERE item = ? ORDER BY linked, record",
                                      (item_id,))]


def remind(store: CampaignStore, item_id: str, *, by: str, on, way: str = "电话", note: str = "") -> Item:
    """催办 an open item: logged and counted (催办次数)."""
    item = get_item(store, item_id)
    by, on = text(by, "催办人"), day(on, "催办日期")
    way = text(way, "催办方式")
    if way not in REMIND_WAYS:
        raise WenshuError(f"“催办方式”应为 {'、'.join(REMIND_WAYS)} 之一，现在是“{way}”，未做任何更改。")
    if item.status == CLOSED:
        raise WenshuError(f"整改事项 {item.id} 已销号，无需催办，未做任何更改。")
    with store.tx() as c:
        store.log(c, item.id, "催办", by, on, f"{way}" + (f"：{text(note, '催办说明', required=False)}" if note else ""))
    return get_item(store, item.id)
