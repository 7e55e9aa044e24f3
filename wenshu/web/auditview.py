"""The 审计日志 page's filter and its .xlsx download (every cell written as text, so a username
or an object beginning with = is never a formula)."""

from __future__ import annotations

import io
from datetime import datetime, time

from django.core.paginator import Paginator
from django.utils import timezone

MAX_XLSX_ROWS = 100_000


def filtered(get):
    from wenshu.web.models import AccessLog

    filt = {k: get.get(k, "").strip() for k in ("user", "action", "object", "from", "to")}
    rows = AccessLog.objects.all()
    if filt["user"]:
        rows = rows.filter(username=filt["user"])
    if filt["action"]:
        rows = rows.filter(action=filt["action"])
    if filt["object"]:
        rows = rows.filter(object__contains=filt["object"])
    for key, op, edge in (("from", "at__gte", time.min), ("to", "at__lte", time.max)):
        if filt[key]:
            try:
                day = datetime.fromisoformat(filt[key]).date()
            except ValueError:
                filt[key] = ""
                continue
            rows = rows.filter(**{op: timezone.make_aware(datetime.combine(day, edge))})
    return rows, filt


def page_of(rows, number):
    return Paginator(rows, 50).get_page(number)


def xlsx(rows) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import TYPE_STRING

    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = "审计日志"
    ws.append(["时间", "用户", "操作", "来源地址", "对象", "说明"])
    for r in rows[:MAX_XLSX_ROWS]:
        at = timezone.localtime(r.at).strftime("%Y-%m-%d %H:%M:%S")
        ws.append([at, r.username, r.action_label, r.remote_addr, r.object, r.detail])
        for cell in ws[ws.max_row]:
            cell.data_type = TYPE_STRING  # never a formula, whatever the text starts with
    for col, width in zip("ABCDEF", (20, 14, 12, 16, 40, 60)):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
