"""The 督办函 and 整改通知书 of a 督办 case, pre-filled from the case and issued through the generator.

The clerk does not retype what the records already say: the unit, the problems (one line per open
整改 item), the 整改时限 in working days on the holiday calendar ("5个工作日", ending on the item's
截止日期). Both documents are numbered, rendered and filed by the generator's ``new_document``
with the case id as their 案件, so they appear in the case's timeline; the 整改通知书 names the
督办函 it follows. The shell passes the generator in as ``make`` (``wenshu.campaign_docs``):
campaign and generator are peers over archive and do not import each other (DESIGN §2).
Which documents a case has been sent is logged as campaign events, read back by ``case_letters``.
A 催办 by letter is a short 督办函 that also counts in the 催办次数.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from archive.errors import WenshuError
from campaign.rectify import OPEN, Item, get_item, items, remind
from campaign.store import Campaign, CampaignStore, day, text
from campaign.workdays import add_workdays

LETTER, NOTICE, REMINDER = "督办函", "整改通知书", "催办函"


@dataclass(frozen=True)
class Issued:
    kind: str  # 督办函 / 整改通知书 / 催办函
    number: str  # 文号
    archival_code: str  # 档号
    title: str


def _fmt(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _case_items(store: CampaignStore, campaign: Campaign, case_id: str) -> list[Item]:
    found = [i for i in items(store, campaign, case_id=case_id) if i.status == OPEN]
    if not found:
        known = sorted({i.case_id for i in items(store, campaign, status=OPEN)})
        raise WenshuError(f"督办案件“{case_id}”没有未销号的整改事项，不能发督办函。有未销号事项的案件："
                          + ("、".join(known) or "（无）") + "。未做任何更改。")
    return found


def letter_values(store: CampaignStore, campaign: Campaign, case_id: str, *, on, report_to: str,
                  contact: str = "") -> tuple[dict, dict]:
    """The data of the 督办函 and of the 整改通知书 for a case, every field taken from its records."""
    case_id = text(case_id, "督办案件")
    on = day(on, "成文日期")
    todo = _case_items(store, campaign, case_id)
    unit = todo[0].unit
    workdays = max(i.workdays for i in todo)
    deadline = max(date.fromisoformat(i.deadline) for i in todo)
    problems = [i.problem for i in todo]
    clues = sorted({i.clue for i in todo})
    limit = f"{workdays}个工作日"
    report_to = text(report_to, "报送对象")
    letter = {
        "title": f"关于督促{unit}限期整改“双减”问题的函",
        "recipients": unit,
        "body": f"根据{campaign.name}工作安排，督查组对问题线索（{'、'.join(clues)}）进行了核查，"
                f"发现你单位存在以下问题，现予督办。",
        "problems": problems,
        "requirements": f"（一）收到本函后立即对照问题逐项整改，{limit}内（{_fmt(deadline)}前）完成。\n"
                        f"（二）整改完成后将整改报告及佐证材料报送{report_to}。\n"
                        "（三）整改事项经复查合格后方予销号；未按时完成整改的，将严肃处理。",
        "deadline": deadline.isoformat(),
        "report_to": report_to,
        "date": on.isoformat(),
        "case": case_id,
    }
    if contact:
        letter["contact"] = text(contact, "联系人及电话")
    notice = {
        "title": f"关于{unit}限期整改的通知",
        "recipients": unit,
        "body": f"经{campaign.name}督查组核查，你单位存在下列问题，现通知你单位限期整改。",
        "problems": problems,
        "requirements": f"（一）整改时限为{limit}，自{_fmt(on)}起算，至{_fmt(deadline)}止（遇法定节假日顺延）。\n"
                        "（二）明确整改责任人，逐项建立整改台账。\n"
                        f"（三）整改完成后形成书面整改报告，报{report_to}，经复查后销号。",
        "deadline": deadline.isoformat(),
        "report_to": report_to,
        "case": case_id,
        "date": on.isoformat(),
    }
    return letter, notice


def issue_letters(store: CampaignStore, campaign: Campaign, case_id: str, *, on, report_to: str, make,
                  contact: str = "") -> list[Issued]:
    """Issue and file the 督办函, then the 整改通知书 that follows it, for one case.

    ``make(template_name, data)`` numbers, renders and files one document and returns what the
    generator's ``new_document`` does (``number``, ``archival_code``, ``title``)."""
    letter, notice = letter_values(store, campaign, case_id, on=on, report_to=report_to, contact=contact)
    done = []
    first = make("supervision_letter", letter)
    done.append(Issued(LETTER, first.number, first.archival_code, first.title))
    notice["follows"] = first.number
    second = make("rectification_notice", notice)
    done.append(Issued(NOTICE, second.number, second.archival_code, second.title))
    with store.tx() as c:
        for d in done:
            store.log(c, letter["case"], f"发{d.kind}", on=day(on, "成文日期"),
                      detail=f"{d.number}|{d.archival_code}|{d.title}")
    return done


def remind_by_letter(store: CampaignStore, item_id: str, *, by: str, on, report_to: str, make,
                     workdays: int = 3) -> tuple[Item, Issued]:
    """A 催办函: a short letter on one overdue item, filed into its case and counted as a 催办;
    ``make`` as for ``issue_letters``."""
    item = get_item(store, item_id)
    on = day(on, "催办日期")
    by = text(by, "催办人")
    if item.status != OPEN:
        raise WenshuError(f"整改事项 {item.id} 已销号，无需催办，未做任何更改。")
    late = item.days_overdue(on)
    due = add_workdays(on, workdays)
    data = {
        "title": f"关于催促{item.unit}加快整改进度的函",
        "recipients": item.unit,
        "body": f"你单位整改事项{item.id}（{item.problem}）整改时限为{item.workdays}个工作日，"
                f"应于{_fmt(date.fromisoformat(item.deadline))}前完成"
                + (f"，现已逾期{late}天，仍未报送整改报告。" if late else "，请抓紧推进。"),
        "problems": [item.problem],
        "requirements": f"（一）{workdays}个工作日内（{_fmt(due)}前）完成整改并报送整改报告。\n"
                        "（二）逾期仍未完成整改的，将严肃处理。",
        "deadline": due.isoformat(),
        "report_to": text(report_to, "报送对象"),
        "date": on.isoformat(),
        "case": item.case_id,
    }
    made = make("supervision_letter", data)
    issued = Issued(REMINDER, made.number, made.archival_code, made.title)
    with store.tx() as c:
        store.log(c, item.case_id, f"发{REMINDER}", by, on, f"{made.number}|{made.archival_code}|{made.title}")
    return remind(store, item.id, by=by, on=on, way="督办函", note=f"{made.number}"), issued


def case_letters(store: CampaignStore, case_id: str) -> list[Issued]:
    """The letters sent for a case, in order."""
    rows = store.query("SELECT action, detail FROM campaign_events WHERE subject = ? AND action IN (?, ?, ?) "
                       "ORDER BY id", (case_id, f"发{LETTER}", f"发{NOTICE}", f"发{REMINDER}"))
    return [Issued(a[1:], *d.split("|", 2)) for a, d in rows]
