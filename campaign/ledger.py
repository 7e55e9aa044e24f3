"""The 问题线索台账 as the .xlsx offices pass around, in their columns.

Every cell is a text cell (a clue's content is what a caller or a questionnaire said: a leading
``=`` must never become a formula — archive.transfer.catalog.text_cell, the archive's one rule).
"""

from __future__ import annotations

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
    """Write the ledger (atomically); returns the number of clues written."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    rows = clue_rows(store, campaign, **filters)
    wb = Workbook()
    ws = wb.active
    ws.title = "问题线索台账"
    title = ws.cell(row=1, column=1)
    text_cell(title, f"{campaign.name}问题线索台账")
    title.font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(CLUE_COLUMNS))
    for j, name in enumerate(CLUE_COLUMNS, 1):
        cell = ws.cell(row=2, column=j)
        text_cell(cell, name)
        cell.font = Font(bold=True)
        ws.column_dimensions[get_column_letter(j)].width = _WIDTHS[j - 1]
    for i, row in enumerate(rows, 3):
        for j, value in enumerate(row, 1):
            cell = ws.cell(row=i, column=j)
            text_cell(cell, value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.save(buf)
    atomic_write_bytes(Path(path), buf.getvalue())
    return len(rows)
