"""Reading a received document's metadata (收文著录) from its text: 文号, 题名, 发文机关, 成文日期, 主送, 抄送, 文种.

A 公文 is laid out the same way everywhere (GB/T 9704): the mark "×××文件", the 文号 line,
the title "关于…的通知", the 主送 line ending in "：", the body, the signature and the date,
then 抄送/印发 at the end. This module reads those positions from plain text (what
``archive.extract`` returns), so it works for .docx, .pdf and .txt alike. Every value it guesses
can be corrected by the user (``--set``), so it prefers a blank over a wrong guess.
"""

from __future__ import annotations

import re
from datetime import date

_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "Ｏ": 0, "O": 0, "0": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_CHARS = "〇○零Ｏ一二三四五六七八九十"

DATE_PATTERN = re.compile(
    r"(?P<y>\d{4}|[〇○零Ｏ一二三四五六七八九]{4})\s*年\s*(?P<m>\d{1,2}|[一二三四五六七八九十]{1,3})\s*月"
    r"\s*(?P<d>\d{1,2}|[一二三四五六七八九十]{1,4})\s*日"
    r"|(?P<iy>\d{4})[-./](?P<im>\d{1,2})[-./](?P<id>\d{1,2})(?!\d)"
)


def _cn_number(text: str) -> int | None:
    """一 … 三十一; digits pass through."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        t = _CN_DIGITS.get(tens, None) if tens else 1
        o = _CN_DIGITS.get(ones, None) if ones else 0
        return None if t is None or o is None else t * 10 + o
    if len(text) == 1 and text in _CN_DIGITS:
        return _CN_DIGITS[text]
    return None


def _to_date(y: str, m: str, d: str) -> date | None:
    year = int(y) if y.isdigit() else (int("".join(str(_CN_DIGITS.get(c, "x")) for c in y))
                                      if all(c in _CN_DIGITS for c in y) else None)
    month, day = _cn_number(m), _cn_number(d)
    if year is None or month is None or day is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_dates(text: str) -> list[tuple[int, date]]:
    """Every date in the text with its position: 2022年3月25日, 二〇二二年三月二十五日, 2022-03-25."""
    text = _fold_digits(text)
    out = []
    for m in DATE_PATTERN.finditer(text):
        d = _to_date(m["y"], m["m"], m["d"]) if m["y"] else _to_date(m["iy"], m["im"], m["id"])
        if d:
            out.append((m.start(), d))
    return out


def parse_date(text: str) -> date | None:
    """A date typed or printed in any common form, or None."""
    text = _fold_digits(str(text)).strip()
    m = DATE_PATTERN.fullmatch(text)
    if not m:
        return None
    return _to_date(m["y"], m["m"], m["d"]) if m["y"] else _to_date(m["iy"], m["im"], m["id"])


def _fold_digits(text: str) -> str:
    return text.translate({ord("０") + i: ord("0") + i for i in range(10)})
