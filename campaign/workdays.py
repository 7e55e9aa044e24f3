"""整改时限 in working days (工作日) on the Chinese holiday calendar.

A notice issued on a Friday before 劳动节 with "5个工作日" does not end the next Thursday: the
holiday days are off and a 调休 Saturday is a working day. Counting starts the day after issue
(the issue day itself is not one of the days given). The calendar comes from ``chinese_calendar``
(the State Council's yearly notices); a year it does not know yet is refused, never guessed.
"""

from __future__ import annotations

from datetime import date, timedelta

from archive.errors import WenshuError


def _is_workday(day: date) -> bool:
    import chinese_calendar

    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        raise WenshuError(
            f"节假日日历还没有 {day.year} 年的安排（国务院办公厅通知发布后请升级 chinesecalendar），"
            "无法按工作日计算整改时限。") from None


def add_workdays(start: date, days: int) -> date:
    """The date of the ``days``-th working day after ``start``."""
    if not isinstance(days, int) or days < 1:
        raise WenshuError(f"整改时限的工作日数应为正整数，现在是 {days}。")
    day, left = start, days
    while left:
        day += timedelta(days=1)
        if _is_workday(day):
            left -= 1
    return day


def workdays_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 if ``end`` is not later)."""
    n, day = 0, start
    while day < end:
        day += timedelta(days=1)
        n += _is_workday(day)
    return n
