"""档号 — the archival reference code of one record (件), per DA/T 22-2015.

Form: ``全宗号-WS·年度-保管期限代码-机构(问题)代码-件号``, e.g. ``A001-WS·2022-D30-BGS-0001``.
The separator before the year is the middle dot U+00B7; the 机构代码 is optional and is left
out together with its hyphen; 件号 has four digits, zero-padded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from archive.errors import WenshuError

MIDDLE_DOT = "\u00b7"


class Retention(str, Enum):
    """保管期限 and its DA/T 22 code."""

    PERMANENT = "Y"
    YEARS_30 = "D30"
    YEARS_10 = "D10"

    @property
    def label(self) -> str:
        return {"Y": "永久", "D30": "定期30年", "D10": "定期10年"}[self.value]

    @classmethod
    def parse(cls, text: str) -> "Retention":
        """Accept the code (Y, D30, D10) or the Chinese name (永久, 定期30年, 30年 …)."""
        if isinstance(text, Retention):
            return text
        t = str(text).strip().upper().replace(" ", "")
        aliases = {
            "Y": "Y", "永久": "Y",
            "D30": "D30", "定期30年": "D30", "30年": "D30", "30": "D30",
            "D10": "D10", "定期10年": "D10", "10年": "D10", "10": "D10",
        }
        if t not in aliases:
            raise WenshuError(f"保管期限“{text}”不正确：应为 Y（永久）、D30（定期30年）或 D10（定期10年）。")
        return cls(aliases[t])


_FONDS = re.compile(r"[A-Za-z0-9]{1,10}")
_ORG = re.compile(r"[A-Za-z0-9]{1,10}")
_CODE = re.compile(
    r"(?P<fonds>[A-Za-z0-9]{1,10})-WS" + MIDDLE_DOT + r"(?P<year>\d{4})-(?P<retention>Y|D30|D10)"
    r"(?:-(?P<org>[A-Za-z0-9]{1,10}))?-(?P<item>\d{4})"
)


@dataclass(frozen=True, order=True)
class ArchivalCode:
    fonds: str  # 全宗号
    year: int  # 年度
    retention: Retention  # 保管期限
    org: str  # 机构(问题)代码, "" when not used
    item: int  # 件号

    def __post_init__(self):
        if not _FONDS.fullmatch(str(self.fonds)):
            raise WenshuError(f"全宗号“{self.fonds}”不正确：应为 1–10 位字母或数字，如 A001。")
        if self.org and not _ORG.fullmatch(str(self.org)):
            raise WenshuError(f"机构（问题）代码“{self.org}”不正确：应为 1–10 位字母或数字，如 BGS。")
        if not isinstance(self.year, int) or not 1000 <= self.year <= 9999:
            raise WenshuError(f"年度“{self.year}”不正确：应为四位数字。")
        if not isinstance(self.item, int) or not 1 <= self.item <= 9999:
            raise WenshuError(f"件号“{self.item}”不正确：应在 1–9999 之间。")
        object.__setattr__(self, "retention", Retention.parse(self.retention))
        object.__setattr__(self, "org", self.org or "")

    def __str__(self) -> str:
        org = f"-{self.org}" if self.org else ""
        return f"{self.fonds}-WS{MIDDLE_DOT}{self.year}-{self.retention.value}{org}-{self.item:04d}"

    @classmethod
    def parse(cls, text: str) -> "ArchivalCode":
        t = str(text).strip().replace("•", MIDDLE_DOT).replace("・", MIDDLE_DOT)
        m = _CODE.fullmatch(t)
        if not m:
            raise WenshuError(
                f"档号“{text}”格式不正确：应形如“A001-WS·2022-D30-BGS-0001”"
                "（全宗号-WS·年度-保管期限-机构代码-件号）。"
            )
        return cls(m.group("fonds"), int(m.group("year")), Retention(m.group("retention")),
                   m.group("org") or "", int(m.group("item")))

    @property
    def item_series(self) -> str:
        """The counter this 件号 comes from: one per 年度/保管期限/机构."""
        return item_series(self.retention, self.org)


def item_series(retention: Retention, org: str = "") -> str:
    return f"件号/{Retention.parse(retention).value}/{org}" if org else f"件号/{Retention.parse(retention).value}"
