"""The 问题线索台账 as the .xlsx offices pass around, in their columns.

Every cell is a text cell (a clue's content is what a caller or a questionnaire said: a leading
``=`` must never become a formula — archive.transfer.catalog.text_cell, the archive's one rule).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from archive.fsutil import atomic_write_bytes
from archive.transfer.catalog import text_cell
from campaign.clues import list_clues
from campaign.store import Campaign, CampaignStore

CLUE_COLUMNS = ("台账编号", "来源", "收到日期", "涉及单位", "涉及人员", "问题类别", "问题描述", "核查人",
                "核查日期", "核查结果", "处理方式", "反馈日期", "备注")
_WIDTHS = (14, 10, 12, 22, 12, 24, 48, 10, 12, 10, 10, 12, 24)


def clue_rows(store: CampaignStore, campaign: Campaign, **filters) -> list[list[str]]:
    return [[c.id, c.source, c.received, c.unit, c.persons, c.category, c.content, c.verifier, c.verified,
             c.result, c.handling, c.feedback_date, c.note] for c in list_clues(store, campaign, **filters)]


def export_clues(store: CampaignStore, campaign: Campaign, path: Path, **filters) -> int:
    """Write the 问题线索台账 (atomically); returns the number of clues written."""
    rows = clue_rows(store, campaign, **filters)
    _write_sheet(Path(path), "问题线索台账", f"{campaign.name}问题线索台账", CLUE_COLUMNS, _WIDTHS, rows)
    return len(rows)


ITEM_COLUMNS = ("整改编号", "督办案件", "线索台账编号", "责任单位", "责任人", "整改问题", "下发日期", "整改时限",
                "截止日期", "状态", "复查人", "复查日期", "逾期天数", "催办次数")
_ITEM_WIDTHS = (14, 12, 14, 22, 10, 40, 12, 12, 12, 8, 10, 12, 10, 10)


def export_items(store: CampaignStore, campaign: Campaign, path: Path, today: date | None = None) -> int:
    """Write the 整改台账 as of ``today``; returns the number of items written."""
    from campaign.rectify import STATUS_LABELS, items

    today = today or date.today()
    rows = [[i.id, i.case_id, i.clue, i.unit, i.person, i.problem, i.issued, f"{i.workdays}个工作日", i.deadline,
             STATUS_LABELS[i.status], i.reviewer, i.reviewed, str(i.days_overdue(today) or ""),
             str(i.reminders or "")] for i in items(store, campaign)]
    _write_sheet(Path(path), "整改台账", f"{campaign.name}整改台账（截至 {today.isoformat()}）", ITEM_COLUMNS,
                 _ITEM_WIDTHS, rows)
    return len(rows)


def _write_sheet(path: Path, sheet: str, title: str, columns, widths, rows) -> None:
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    head = ws.cell(row=1, column=1)
    text_cell(head, title)
    head.font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    for j, name in enumerate(columns, 1):
        cell = ws.cell(row=2, column=j)
        text_cell(cell, name)
        cell.font = Font(bold=True)
        ws.column_dimensions[get_column_letter(j)].width = widths[j - 1]
    for i, row in enumerate(rows, 3):
        for j, value in enumerate(row, 1):
            cell = ws.cell(row=i, column=j)
            text_cell(cell, value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.save(buf)
    atomic_write_bytes(path, buf.getvalue())
