"""问题线索台账: every clue the office receives, its 核查 and what was done with it.

A clue gets its 台账编号 (``XS2022-0001``: 线索, the year it was received, a counter per year over
the whole archive) when it is registered, in the same transaction that writes it. A clue found 属实
or 部分属实 and handled by 整改 opens a 督办 case for its unit (or joins the unit's open case) with
one 整改 item per problem found — see ``campaign.rectify``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from archive.errors import WenshuError
from campaign.store import Campaign, CampaignStore, day, now, text

SOURCES = ("举报电话", "信箱", "调查问卷", "教师座谈", "督查发现", "上级转办")
RESULTS = ("属实", "部分属实", "不属实", "无法核实")
FOUNDED = ("属实", "部分属实")
HANDLINGS = ("整改", "问责", "不予处理")

_COLUMNS = ("id", "source", "received", "unit", "persons", "category", "content", "registrar", "verifier",
            "verified", "result", "finding", "handling", "case_id", "feedback_date", "feedback_to", "note")


@dataclass(frozen=True)
class Clue:
    id: str  # 台账编号
    source: str
    received: str
    unit: str
    persons: str
    category: str
    content: str
    registrar: str
    verifier: str
    verified: str
    result: str
    finding: str
    handling: str
    case_id: str
    feedback_date: str
    feedback_to: str
    note: str

    def as_dict(self) -> dict:
        return {"台账编号": self.id, "来源": self.source, "收到日期": self.received, "涉及单位": self.unit,
                "涉及人员": self.persons, "问题类别": self.category, "问题描述": self.content,
                "登记人": self.registrar, "核查人": self.verifier, "核查日期": self.verified,
                "核查结果": self.result, "核查情况": self.finding, "处理方式": self.handling,
                "督办案件": self.case_id, "反馈日期": self.feedback_date, "反馈对象": self.feedback_to,
                "备注": self.note}


def _one_of(value: str, allowed: tuple, label: str) -> str:
    v = text(value, label)
    if v not in allowed:
        raise WenshuError(f"“{label}”应为 {'、'.join(allowed)} 之一，现在是“{v}”，未做任何更改。")
    return v


def _checked(campaign: Campaign, known: list[str], *, source, received, unit, category, content, registrar,
             persons="", note="") -> tuple:
    source = _one_of(source, SOURCES, "来源")
    received = day(received, "收到日期")
    if not campaign.start <= received <= campaign.end:
        raise WenshuError(f"收到日期 {received} 不在专项行动“{campaign.name}”期间 "
                          f"{campaign.start}—{campaign.end} 内，未做任何更改。")
    unit = text(unit, "涉及单位")
    category = text(category, "问题类别")
    if category not in campaign.categories:
        raise WenshuError(f"问题类别“{category}”不是本专项行动的督查内容，应为：{'、'.join(campaign.categories)}。"
                          "未做任何更改。")
    content, registrar = text(content, "问题描述"), text(registrar, "登记人")
    persons, note = text(persons, "涉及人员", required=False), text(note, "备注", required=False)
    if unit not in known:
        raise WenshuError(f"“{unit}”不在专项行动“{campaign.name}”的督查范围内，未登记。范围内的单位："
                          + ("、".join(known) if known else "（还没有，请先用 wenshu campaign units --import 导入）")
                          + "。")
    return source, received, unit, persons, category, content, registrar, note


def _insert(store: CampaignStore, c, campaign: Campaign, row: tuple) -> str:
    source, received, unit, persons, category, content, registrar, note = row
    seq = store.next_number(c, "线索", received.year)
    clue_id = f"XS{received.year}-{seq:04d}"
    c.execute("INSERT INTO clues (id, campaign, source, received, unit, persons, category, content, registrar,"
              " note, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              (clue_id, campaign.id, source, received.isoformat(), unit, persons, category, content,
               registrar, note, now()))
    store.log(c, clue_id, "登记线索", registrar, received, f"{source}：{unit}")
    return clue_id


def _units(c, campaign: Campaign) -> list[str]:
    return [n for (n,) in c.execute("SELECT name FROM campaign_units WHERE campaign = ? ORDER BY name",
                                    (campaign.id,))]


def add_clue(store: CampaignStore, campaign: Campaign, *, source: str, received, unit: str, category: str,
             content: str, registrar: str, persons: str = "", note: str = "") -> Clue:
    """Register a clue. Its unit must be in the campaign's scope and its category one of the
    campaign's 督查内容; otherwise refused with what is allowed."""
    with store.tx() as c:
        row = _checked(campaign, _units(c, campaign), source=source, received=received, unit=unit,
                       category=category, content=content, registrar=registrar, persons=persons, note=note)
        clue_id = _insert(store, c, campaign, row)
    return get_clue(store, clue_id)


IMPORT_COLUMNS = {"来源": "source", "收到日期": "received", "涉及单位": "unit", "涉及人员": "persons",
                  "问题类别": "category", "问题描述": "content", "登记人": "registrar", "备注": "note"}


def import_clues(store: CampaignStore, campaign: Campaign, path, registrar: str = "") -> list[str]:
    """Clues from an office's .xlsx ledger (the export's columns; 台账编号 and 核查 columns are not
    read — numbers are given here, 核查 is recorded with verify). All rows or none: a bad row is
    refused naming its row number. ``registrar`` fills an empty or missing 登记人."""
    from pathlib import Path

    from openpyxl import load_workbook

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise WenshuError(f"{path}：线索台账应为 .xlsx 文件。")
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a file that is not a workbook
        raise WenshuError(f"{path} 不是有效的 .xlsx 文件（{e}）。") from None
    rows = [["" if v is None else str(v).strip() for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    head_at = next((i for i, r in enumerate(rows) if "来源" in r and "涉及单位" in r), None)
    if head_at is None:
        raise WenshuError(f"{path} 中找不到表头（须有“来源”“收到日期”“涉及单位”“问题类别”“问题描述”列）。")
    header = rows[head_at]
    cols = {IMPORT_COLUMNS[h]: j for j, h in enumerate(header) if h in IMPORT_COLUMNS}
    for need in ("来源", "收到日期", "涉及单位", "问题类别", "问题描述"):
        if IMPORT_COLUMNS[need] not in cols:
            raise WenshuError(f"{path} 的表头缺少“{need}”列。")
    with store.tx() as c:
        known, checked = _units(c, campaign), []
        for n, r in enumerate(rows[head_at + 1:], head_at + 2):
            if not any(r):
                continue
            fields = {k: (r[j] if j < len(r) else "") for k, j in cols.items()}
            fields["received"] = fields["received"][:10]  # a date cell reads as 2022-04-18 00:00:00
            fields["registrar"] = fields.get("registrar") or registrar
            try:
                checked.append(_checked(campaign, known, **fields))
            except WenshuError as e:
                raise WenshuError(f"{path.name} 第 {n} 行：{e}") from None
        if not checked:
            raise WenshuError(f"{path} 中没有线索。")
        return [_insert(store, c, campaign, row) for row in checked]


def get_clue(store: CampaignStore, clue_id: str) -> Clue:
    rows = store.query(f"SELECT {', '.join(_COLUMNS)} FROM clues WHERE id = ?", (clue_id.strip(),))
    if not rows:
        raise WenshuError(f"没有台账编号为“{clue_id}”的线索。可用 wenshu clue list 查看。")
    return Clue(*rows[0])


def list_clues(store: CampaignStore, campaign: Campaign, *, source: str | None = None, result: str | None = None,
               unit: str | None = None, category: str | None = None, pending: bool = False) -> list[Clue]:
    """The ledger in 台账编号 order; ``result`` "未核查" selects clues not verified yet."""
    where, args = ["campaign = ?"], [campaign.id]
    for col, val in (("source", source), ("unit", unit), ("category", category)):
        if val:
            where.append(f"{col} = ?")
            args.append(val)
    if result:
        where.append("result = ?")
        args.append("" if result == "未核查" else result)
    if pending:
        where.append("result = ''")
    rows = store.query(f"SELECT {', '.join(_COLUMNS)} FROM clues WHERE {' AND '.join(where)} "
                       "ORDER BY id", tuple(args))
    return [Clue(*r) for r in rows]


def verify_clue(store: CampaignStore, clue_id: str, *, verifier: str, on, result: str, finding: str = "",
                handling: str | None = None, problems: list[str] = (), person: str = "", workdays: int = 15,
                issued=None) -> Clue:
    """Record the 核查 of a clue. Founded and handled by 整改: a 督办 case for the unit (new or the
    open one) gets one 整改 item per problem (the finding if none listed), due ``workdays`` working
    days after ``issued`` (the 核查 date by default)."""
    from campaign.rectify import open_items

    clue = get_clue(store, clue_id)
    verifier = text(verifier, "核查人")
    on = day(on, "核查日期")
    result = _one_of(result, RESULTS, "核查结果")
    finding = text(finding, "核查情况", required=False)
    handling = _one_of(handling or ("整改" if result in FOUNDED else "不予处理"), HANDLINGS, "处理方式")
    if result not in FOUNDED and handling != "不予处理":
        raise WenshuError(f"核查结果为“{result}”的线索只能“不予处理”，不能“{handling}”，未做任何更改。")
    if clue.result:
        raise WenshuError(f"线索 {clue.id} 已于 {clue.verified} 核查（{clue.result}），未做任何更改。")
    if on < date.fromisoformat(clue.received):
        raise WenshuError(f"核查日期 {on} 早于线索收到日期 {clue.received}，未做任何更改。")
    problems = [text(p, "整改问题") for p in problems] or ([finding or clue.content] if handling == "整改" else [])
    with store.tx() as c:
        (now_result,) = c.execute("SELECT result FROM clues WHERE id = ?", (clue.id,)).fetchone()
        if now_result:  # another clerk was quicker
            raise WenshuError(f"线索 {clue.id} 已经核查（{now_result}），未做任何更改。")
        case_id = ""
        if handling == "整改":
            case_id = open_items(store, c, clue, problems, person=text(person, "责任人", required=False),
                                 issued=day(issued, "下发日期") if issued else on, workdays=workdays)
        c.execute("UPDATE clues SET verifier = ?, verified = ?, result = ?, finding = ?, handling = ?, case_id = ?"
                  " WHERE id = ?", (verifier, on.isoformat(), result, finding, handling, case_id, clue.id))
        store.log(c, clue.id, "核查", verifier, on, f"{result}，{handling}" + (f"，{case_id}" if case_id else ""))
    return get_clue(store, clue.id)


def record_feedback(store: CampaignStore, clue_id: str, *, on, to: str, note: str = "") -> Clue:
    """反馈: the answer given to whoever reported the clue (date, to whom)."""
    clue = get_clue(store, clue_id)
    on, to = day(on, "反馈日期"), text(to, "反馈对象")
    if not clue.result:
        raise WenshuError(f"线索 {clue.id} 还没有核查，不能反馈结果，未做任何更改。")
    with store.tx() as c:
        c.execute("UPDATE clues SET feedback_date = ?, feedback_to = ?, note = CASE WHEN ? = '' THEN note ELSE ? END"
                  " WHERE id = ?", (on.isoformat(), to, note, note, clue.id))
        store.log(c, clue.id, "反馈", to, on, note)
    return get_clue(store, clue.id)
