"""发文字号 — the document number printed under the red header, e.g. ``高教字〔2022〕8号``.

GB/T 9704 §7.2.5 fixes its canonical form: 机关代字, the year in 六角括号 〔〕 (U+3014/U+3015)
with four digits, then the sequence number without leading zeros and without 第, then 号.
Clerks type it every other way ([2022], 【2022】, （2022）, full-width digits, 第8号, no 号);
``DocNumber.parse`` accepts all of that and gives the canonical number, so no other code in
wenshu parses or formats a 文号.
"""

from __future__ import annotations

import functools
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
# What every match of _PATTERN contains: a text without it is not scanned (the pattern's prefix,
# tried from each character of a long Chinese run, is most of the cost of indexing a body).
_PATTERN_CORE = re.compile(rf"[{re.escape(_OPENING)}]\s*\d+\s*[{re.escape(_CLOSING)}]")


_FULL_WIDTH = {c: unicodedata.normalize("NFKC", chr(c)) for r in (range(0xFF10, 0xFF1A), range(0xFF21, 0xFF5B))
               for c in r}  # ０-９, Ａ-ｚ: each one ASCII character


def _fold(text: str) -> str:
    """Full-width digits and letters to ASCII (NFKC), but keep the brackets we match on; one
    character for one character, so a match's offsets are the text's."""
    return text.translate(_FULL_WIDTH)


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
        text = _fold(text)
        if not _PATTERN_CORE.search(text):
            return found
        for m in _PATTERN.finditer(text):  # _fold keeps one character for one character
            if len(m.group("year")) == 4 and int(m.group("seq")) > 0:
                found.append((m.start(), m.end(),
                              cls(m.group("prefix"), int(m.group("year")), int(m.group("seq")))))
        return found

    def spans_in(self, text: str) -> list[tuple[int, int]]:
        """Where this 文号 stands in a text, however spelled, also run together with the words
        before it (根据高教督函〔2022〕7号要求): for marking it in a search hit."""
        return [(start + len(dn.prefix) - len(self.prefix), end) for start, end, dn in self.locate(text)
                if (dn.year, dn.seq) == (self.year, self.seq) and dn.prefix.endswith(self.prefix)]

    @property
    def key(self) -> str:
        """The index term a search for this 文号 looks up (its canonical spelling)."""
        return str(self)

    def keys(self) -> tuple[str, ...]:
        """Every term this 文号 is found under: itself, and without its year (高教字8号)."""
        return str(self), YearlessNumber(self.prefix, self.seq).key

    @staticmethod
    def normalize(text: str) -> str:
        """The canonical spelling of any 文号-like text, for indexing and lookup.

        A 令号 in any spelling gives its canonical form (中华人民共和国国务院令第195号 →
        国令第195号); other numbers are only folded (full-width to ASCII, spaces removed), so
        both sides of a comparison agree.
        """
        try:
            return str(DocNumber.parse(text))
        except WenshuError:
            pass
        try:
            return str(OrderNumber.parse(text))
        except WenshuError:
            return re.sub(r"\s+", "", _fold(unicodedata.normalize("NFC", str(text))))

    @staticmethod
    def parse_any(text: str) -> "DocNumber | OrderNumber | YearlessNumber":
        """What a clerk typed as a number, in any spelling: a full 文号, a 令号, or a 文号
        without its year (高教字8号). One parser for search and for ``wenshu show``."""
        for kind in (DocNumber, OrderNumber, YearlessNumber):
            try:
                return kind.parse(text)
            except WenshuError:
                continue
        raise WenshuError(f"无法识别编号“{text}”：应形如“高教字〔2022〕8号”“高教字8号”或“国务院令第195号”。")

    @staticmethod
    def keys_of(number) -> tuple[str, ...]:
        """The index terms of a record's own number (a DocNumber, or a str as record.json keeps
        a 令号 or an odd number): what ``parse_any`` of any spelling of it looks up."""
        if isinstance(number, (DocNumber, OrderNumber, YearlessNumber)):
            return number.keys()
        text = str(number or "").strip()
        if not text:
            return ()
        try:
            return DocNumber.parse_any(text).keys()
        except WenshuError:
            return (DocNumber.normalize(text),)

    @staticmethod
    def cited_keys(text: str) -> set[str]:
        """The index terms of every 文号 and 令号 a running text cites. The pattern cannot tell
        where a 机关代字 or an issuing organ starts in running text (根据高教督函〔2022〕7号,
        1996年2月1日原国家工商行政管理局令第5号), so every tail of two or more characters counts."""
        found: set[str] = set()
        for _s, _e, d in DocNumber.locate(text):
            for i in range(max(1, len(d.prefix) - 1)):
                found.update(DocNumber(d.prefix[i:], d.year, d.seq).keys())
        for _s, _e, o in OrderNumber.locate(text):
            for tail in o.issuer_tails():
                found.add(str(OrderNumber(tail, o.seq)))
        return found


def matches(typed: str, number) -> bool:
    """Whether a record's number (DocNumber or str) is what ``typed`` asks for, in any spelling;
    a 文号 typed without its year matches that 代字 and number in any year."""
    try:
        wanted = DocNumber.parse_any(typed).key
    except WenshuError:
        wanted = DocNumber.normalize(typed)
    return bool(number) and wanted in DocNumber.keys_of(number)


# -- 令号 and 文号 without a year ------------------------------------------------------------------

_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_PRC = "中华人民共和国"
# What clerks type (parsed whole): 国务院令第195号 · 中华人民共和国国务院令 第195号 · 国令195 ·
# 国务院、中央军事委员会第14号令. The organ is checked character by character afterwards: a
# character class of all of CJK costs ~5 ms to compile, paid by every `wenshu search` start.
_ORDER = re.compile(r"(?P<issuer>[^\s\d]+?)令\s*第?\s*(?P<seq>\d+)\s*号?"
                    r"|(?P<issuer2>[^\s\d]+?)\s*第\s*(?P<seq2>\d+)\s*号令")
_YEARLESS = re.compile(r"(?P<prefix>[^\s\d]{2,}?)\s*(?P<di>第)?\s*(?P<seq>\d+)\s*号")


def _chinese(text: str, also: str = "") -> bool:
    return bool(text) and all("\u3400" <= c <= "\u4dbf" or "\u4e00" <= c <= "\u9fff" or c in also for c in text)


_ORDER_CORE = re.compile(r"第\s*\d+\s*号")  # in every match of _order_cited()


@functools.cache
def _order_cited() -> re.Pattern:
    """令号 in running text (reading and indexing only): the full forms, the organ back to the
    start of the Chinese run; "令" followed by a bare number is too common (法令2022年)."""
    return re.compile(rf"(?P<issuer>[{_CJK}][{_CJK}、]*?)令\s*第\s*(?P<seq>\d+)\s*号"
                      rf"|(?P<issuer2>[{_CJK}][{_CJK}、]*?)\s*第\s*(?P<seq2>\d+)\s*号令")


@dataclass(frozen=True)
class OrderNumber:
    """令号 — the number of an order (命令) that promulgates a regulation: 国务院令第195号.

    It has no year, so it is not a ``DocNumber``; it is what record.json keeps as the 文号 of a
    regulation and what citations give ("1996年2月1日 中华人民共和国国务院令第195号发布").
    Canonical form: the issuing organ without 中华人民共和国, 令第N号, and 国令 for 国务院令
    (as gov.cn and the 国务院公报 print it)."""

    issuer: str  # 发令机关: 国务院, 公安部, 国务院、中央军事委员会
    seq: int

    def __post_init__(self):
        issuer = unicodedata.normalize("NFC", str(self.issuer)).replace(_PRC, "").strip("、 ")
        if issuer == "国":
            issuer = "国务院"
        if not _chinese(issuer, "、"):
            raise WenshuError(f"令号的发令机关“{self.issuer}”不正确，应形如“国务院令第195号”。")
        if not isinstance(self.seq, int) or self.seq < 1:
            raise WenshuError(f"令号的序号“{self.seq}”不正确：应为正整数。")
        object.__setattr__(self, "issuer", issuer)

    def __str__(self) -> str:
        return f"{'国' if self.issuer == '国务院' else self.issuer}令第{self.seq}号"

    @property
    def key(self) -> str:
        return str(self)

    def keys(self) -> tuple[str, ...]:
        return (str(self),)

    @classmethod
    def parse(cls, text: str) -> "OrderNumber":
        folded = _fold(unicodedata.normalize("NFC", str(text))).strip()
        m = _ORDER.fullmatch(folded)
        if not m:
            raise WenshuError(f"无法识别令号“{text}”：应形如“国务院令第195号”。")
        return cls._of(m)

    @classmethod
    def _of(cls, m) -> "OrderNumber":
        issuer, seq = (m["issuer"], m["seq"]) if m["issuer"] else (m["issuer2"], m["seq2"])
        return cls(issuer, int(seq))

    @classmethod
    def locate(cls, text: str) -> list[tuple[int, int, "OrderNumber"]]:
        """(start, end, 令号) of every 令号 in a text; the issuer runs back to the start of the
        Chinese run (原国家工商行政管理局令第5号 gives 原国家工商行政管理局)."""
        out = []
        text = _fold(text)
        if not _ORDER_CORE.search(text):  # as _PATTERN_CORE
            return out
        for m in _order_cited().finditer(text):
            if int(m["seq"] or m["seq2"]) > 0:
                try:
                    out.append((m.start(), m.end(), cls._of(m)))
                except WenshuError:
                    continue
        return out

    def issuer_tails(self) -> list[str]:
        """The issuer and its tails of two or more characters (for citations in running text)."""
        tails = [self.issuer[i:] for i in range(max(1, len(self.issuer) - 1))]
        return [t for t in tails if not t.startswith("、")]

    def spans_in(self, text: str) -> list[tuple[int, int]]:
        """Where this 令号 stands in a text, however spelled (for marking it in a search hit)."""
        out = []
        for start, end, o in self.locate(text):
            if o.seq == self.seq and self.issuer in o.issuer_tails():
                raw = text[start:end]
                at = raw.find(self.issuer) if self.issuer in raw else raw.find(_PRC)
                out.append((start + max(0, at), end))
        return out


@dataclass(frozen=True)
class YearlessNumber:
    """A 文号 typed without its year (高教字8号, 高教字第8号): it asks for that 代字 and
    顺序号 in any year. Not a number a document can bear — only something clerks type."""

    prefix: str
    seq: int

    @property
    def key(self) -> str:
        return f"{self.prefix}{OPEN}{CLOSE}{self.seq}号"  # 高教字〔〕8号: the year left open

    def keys(self) -> tuple[str, ...]:
        return (self.key,)

    def __str__(self) -> str:
        return f"{self.prefix}{self.seq}号"

    @classmethod
    def parse(cls, text: str) -> "YearlessNumber":
        folded = _fold(unicodedata.normalize("NFC", str(text))).strip()
        m = _YEARLESS.fullmatch(folded)
        if (not m or not _chinese(m["prefix"], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
                or m["prefix"].startswith("第") or m["prefix"].endswith("令") or int(m["seq"]) < 1):
            raise WenshuError(f"无法识别文号“{text}”：应形如“高教字8号”。")
        return cls(m["prefix"], int(m["seq"]))

    def spans_in(self, text: str) -> list[tuple[int, int]]:
        return [(start + len(dn.prefix) - len(self.prefix), end) for start, end, dn in DocNumber.locate(text)
                if dn.seq == self.seq and dn.prefix.endswith(self.prefix)]
