"""发文字号 — the document number printed under the red header, e.g. ``高教字〔2022〕8号``.

GB/T 9704 §7.2.5 fixes its canonical form: 机关代字, the year in 六角括号 〔〕 (U+3014/U+3015)
with four digits, then the sequence number without leading zeros and without 第, then 号.
Clerks type it every other way ([2022], 【2022】, （2022）, full-width digits, 第8号, no 号);
``DocNumber.parse`` accepts all of that and gives the canonical number, so no other code in
wenshu parses or formats a 文号.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from archive.errors import WenshuError

OPEN, CLOSE = "\u3014", "\u3015"  # 〔 〕

# Every bracket pair seen around the year in real documents and in what clerks type.
_OPENING = "〔[【（(［﹝〖{「"
_CLOSING = "〕]】）)］﹞〗}」"

_PREFIX_CHARS = r"A-Za-z\u3400-\u4dbf\u4e00-\u9fff"
_PATTERN = re.compile(
    rf"(?P<prefix>[{_PREFIX_CHARS}]+)\s*"
    rf"[{re.escape(_OPENING)}]\s*(?P<year>\d+)\s*[{re.escape(_CLOSING)}]\s*"
    r"(?P<di>第)?\s*(?P<seq>\d+)\s*(?P<hao>号)?"
)


def _fold(text: str) -> str:
    """Full-width digits and letters to ASCII (NFKC), but keep the brackets we match on."""
    return "".join(
        unicodedata.normalize("NFKC", ch) if ("０" <= ch <= "９" or "Ａ" <= ch <= "ｚ") else ch
        for ch in text
    )


@dataclass(frozen=True, order=True)
class DocNumber:
    """A canonical 发文字号. Construct it from parts, or with ``parse`` from what a clerk typed."""

    prefix: str  # 机关代字, e.g. 高教字
    year: int
    seq: int  # 顺序号

    def __post_init__(self):
        prefix = unicodedata.normalize("NFC", str(self.prefix)).strip()
        if not prefix or not re.fullmatch(rf"[{_PREFIX_CHARS}]+", prefix):
            raise WenshuError(f"机关代字“{self.prefix}”不正确：应为汉字（可含字母），如“高教字”。")
        year, seq = self.year, self.seq
        if isinstance(year, str):
            if not re.fullmatch(r"\d{4}", year):
                raise WenshuError(f"发文字号的年份“{year}”不正确：应为四位数字，如 2022。")
            year = int(year)
        if isinstance(seq, str):
            if seq.startswith("第"):
                raise WenshuError(f"发文字号的顺序号“{seq}”不应带“第”字（GB/T 9704 §7.2.5）。")
            if not re.fullmatch(r"[1-9]\d*", seq):
                raise WenshuError(f"发文字号的顺序号“{seq}”不正确：应为不带前导零的正整数，如 8。")
            seq = int(seq)
        if not isinstance(year, int) or not 1000 <= year <= 9999:
            raise WenshuError(f"发文字号的年份“{self.year}”不正确：应为四位数字，如 2022。")
        if not isinstance(seq, int) or seq < 1:
            raise WenshuError(f"发文字号的顺序号“{self.seq}”不正确：应为正整数。")
        object.__setattr__(self, "prefix", prefix)
        object.__setattr__(self, "year", year)
        object.__setattr__(self, "seq", seq)

    def __str__(self) -> str:
        return f"{self.prefix}{OPEN}{self.year}{CLOSE}{self.seq}号"

    @classmethod
    def parse(cls, text: str, *, strict: bool = False) -> "DocNumber":
        """Read a 文号 the way clerks type it; ``strict`` accepts only the canonical form."""
        raw = str(text)
        if strict:
            m = re.fullmatch(rf"(.+){OPEN}(\d+){CLOSE}(.+?)号", raw.strip())
            if not m:
                raise WenshuError(f"发文字号“{raw}”不是规范格式，应形如“高教字〔2022〕8号”。")
            return cls(m.group(1), m.group(2), m.group(3))
        folded = _fold(unicodedata.normalize("NFC", raw)).strip()
        m = _PATTERN.fullmatch(folded)
        if not m:
            raise WenshuError(
                f"无法识别发文字号“{raw}”：应形如“高教字〔2022〕8号”（机关代字、〔年份〕、顺序号、号）。"
            )
        year = m.group("year")
        if len(year) != 4:
            raise WenshuError(f"发文字号“{raw}”的年份“{year}”应为四位数字，如 2022。")
        return cls(m.group("prefix"), int(year), int(m.group("seq")))

    @classmethod
    def find_all(cls, text: str) -> list["DocNumber"]:
        """Every well-formed 文号 in a text, in order (for reading received documents)."""
        return [dn for _start, _end, dn in cls.locate(unicodedata.normalize("NFC", text))]

    @classmethod
    def locate(cls, text: str) -> list[tuple[int, int, "DocNumber"]]:
        """(start, end, 文号) of every well-formed 文号 in a text however it is spelled, so a
        search hit can mark 晋市教字［２０２２］第１５号 for 晋市教字〔2022〕15号. The 机关代字
        runs back to the start of the Chinese run (根据高教督函〔2022〕7号 gives 根据高教督函)."""
        found = []
        for m in _PATTERN.finditer(_fold(text)):  # _fold keeps one character for one character
            if len(m.group("year")) == 4 and int(m.group("seq")) > 0:
                found.append((m.start(), m.end(),
                              cls(m.group("prefix"), int(m.group("year")), int(m.group("seq")))))
        return found

    def spans_in(self, text: str) -> list[tuple[int, int]]:
        """Where this 文号 stands in a text, however spelled, also run together with the words
        before it (根据高教督函〔2022〕7号要求): for marking it in a search hit."""
        return [(start + len(dn.prefix) - len(self.prefix), end) for start, end, dn in self.locate(text)
                if (dn.year, dn.seq) == (self.year, self.seq) and dn.prefix.endswith(self.prefix)]

    @staticmethod
    def normalize(text: str) -> str:
        """The canonical spelling of any 文号-like text, for indexing and lookup.

        Numbers that are not of the 代字〔年〕N号 shape (国令第843号) are only folded
        (full-width to ASCII, spaces removed), so both sides of a comparison agree.
        """
        try:
            return str(DocNumber.parse(text))
        except WenshuError:
            return re.sub(r"\s+", "", _fold(unicodedata.normalize("NFC", str(text))))
