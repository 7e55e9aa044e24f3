"""Values printed the official way (规范印制): what a clerk typed, as GB/T 9704 wants it on paper.

A 文号 typed anywhere — a field, a list item, a sentence of the 正文 — is printed in its canonical
〔〕 form (``高教督函[2022]1号`` → ``高教督函〔2022〕1号``), found and formatted by
``archive.docnumber.DocNumber`` so there is one reading of a 文号 in wenshu. Only spans that end
in 号 are rewritten: “（2020）5项” in a sentence is not a 文号. Dates that depend on each other are
checked before any number is taken.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from archive.docnumber import CLOSE, OPEN, DocNumber
from archive.errors import WenshuError
from generator.body import Block
from generator.title import Title

# (later field, earlier field, must the later one be strictly later)
DATE_ORDER = (("deadline", "date", True), ("print_date", "date", False))


def canonical_numbers(text: str) -> str:
    """``text`` with every 文号 in it spelled 代字〔年份〕顺序号号; the rest unchanged."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    out, at = [], 0
    for start, end, number in DocNumber.locate(text):
        if text[end - 1] != "号":
            continue
        bracket = start + len(number.prefix)
        while bracket < end and text[bracket].isspace():
            bracket += 1
        out += [text[at:bracket], f"{OPEN}{number.year}{CLOSE}{number.seq}号"]
        at = end
    return "".join(out) + text[at:] if out else text


def _value(v):
    if isinstance(v, Title):
        fixed = canonical_numbers(str(v))
        return v if fixed == v else Title(fixed, v.forced) if len(fixed) == len(v) else Title(fixed)
    if isinstance(v, str):
        return canonical_numbers(v)
    if isinstance(v, Block):
        return replace(v, head=canonical_numbers(v.head), rest=canonical_numbers(v.rest))
    if isinstance(v, list):
        return [_value(x) for x in v]
    if isinstance(v, dict):
        return {k: _value(x) for k, x in v.items()}
    return v


def official_values(values: dict) -> dict:
    """Every printed value with its 文号 in canonical form."""
    return {k: _value(v) for k, v in values.items()}


def check_dates(manifest, values: dict, where: str = "") -> None:
    """整改时限 / 办理时限 after the 成文日期; 印发日期 not before it. The message names both fields."""
    for later, earlier, strict in DATE_ORDER:
        a, b = values.get(later), values.get(earlier)
        fa, fb = manifest.field(later), manifest.field(earlier)
        if not (isinstance(a, date) and isinstance(b, date) and fa and fb):
            continue
        if a < b or (strict and a == b):
            rule = "应晚于" if strict else "不能早于"
            raise WenshuError(f"{where}“{fa.label}”（{a.year}年{a.month}月{a.day}日）{rule}"
                              f"“{fb.label}”（{b.year}年{b.month}月{b.day}日），请改正其中一个。")
