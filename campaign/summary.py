"""Where a campaign stands, counted from its tables — what ``campaign show`` prints and what the
督查报告 will state (its figures computed here, never typed)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from campaign.clues import SOURCES, list_clues
from campaign.rectify import CLOSED, OPEN, cases, items, overdue
from campaign.store import Campaign, CampaignStore


def summary(store: CampaignStore, campaign: Campaign, today: date | None = None) -> dict:
    clues = list_clues(store, campaign)
    all_cases, all_items = cases(store, campaign), items(store, campaign)
    units = store.units(campaign)
    by_source = Counter(c.source for c in clues)
    return {
        **campaign.as_dict(),
        "单位": {"学校": sum(u.kind == "学校" for u in units), "校外培训机构": sum(u.kind == "校外培训机构" for u in units)},
        "线索": {"总数": len(clues),
               "按来源": {s: by_source[s] for s in SOURCES if by_source[s]},
               "按类别": {k: n for k in campaign.categories if (n := sum(c.category == k for c in clues))},
               "按核查结果": dict(Counter(c.result or "未核查" for c in clues))},
        "督办案件": {"总数": len(all_cases), "未销号": sum(c.status == OPEN for c in all_cases),
                 "已销号": sum(c.status == CLOSED for c in all_cases)},
        "整改事项": {"总数": len(all_items), "已销号": sum(i.status == CLOSED for i in all_items),
                 "逾期": len(overdue(store, campaign, today)), "催办次数": sum(i.reminders for i in all_items)},
    }
