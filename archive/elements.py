"""The one table of 著录项 (record elements), with the one name splitter and the one date parser.

``wenshu file/edit --set``, the generator, the reader of received documents and the query
language each used to keep their own list of names, aliases, separators and date spellings, and
they drifted apart (``各中小学、幼儿园`` gave two 主送 when generated and one when received). Every
caller now asks this module, so a 著录项 is named, split and dated the same way everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Element:
    """One 著录项. ``attr`` is the Record attribute (None for parts of the 档号 or index-only
    columns), ``key`` its record.json key, ``kind`` how a typed value becomes a value, ``index`` the
    index field a query ``名称:值`` searches and ``query`` how that field is matched."""

    name: str
    attr: str | None
    key: str
    kind: str  # text / organ (one 责任者; joint ones joined by 、) / names (a list) / terms / date / 文号 / 档号 / 保管期限 / 密级 / int / relations / year …
    aliases: tuple[str, ...] = ()
    index: str = ""
    query: str = ""  # text / keyword / 文号 / 档号 / range
    max_chars: int | None = None
    settable: bool = True  # through --set (the others are the record's identity or derived)


ELEMENTS: tuple[Element, ...] = (
    Element("题名", "title", "题名", "text", ("标题", "title"), "title", "text", 500),
    Element("文号", "doc_number", "文号", "文号", ("发文字号", "docnum", "number"), "docnum", "文号", 100),
    Element("责任者", "author", "责任者", "organ", ("发文机关", "机关", "author", "org"), "author", "text", 200),
    Element("日期", "date", "日期", "date", ("成文日期", "date"), "date", "range"),
    Element("文种", "doc_type", "文种", "text", ("类型", "type"), "doctype", "keyword", 20),
    Element("密级", "classification", "密级", "密级", ("classification", "secret"), "classification", "keyword"),
    Element("页数", "pages", "页数", "int"),
    Element("主送", "recipients", "主送", "names", ("主送机关",), max_chars=200),
    Element("抄送", "cc", "抄送", "names", ("抄送机关",), max_chars=200),
    Element("关键词", "keywords", "关键词", "terms", ("主题词",), max_chars=50),
    Element("案件", "case", "案件", "text", ("案件编号", "case"), "case", "keyword", 100),
    Element("时限", "deadline", "时限", "date", ("整改时限", "办理时限")),
    Element("来源", "origin", "来源", "text"),
    Element("关联", "relations", "关联", "relations"),
    Element("原档号", "original_code", "原档号", "档号", ("origcode",), "origcode", "档号", 100, settable=False),
    # Parts of the 档号 and index-only columns: named here so the query language knows them too.
    Element("档号", None, "档号", "档号", ("code",), "code", "档号", settable=False),
    Element("年度", None, "年度", "year", ("year",), "year", "range", settable=False),
    Element("保管期限", None, "保管期限", "保管期限", ("retention",), "retention", "keyword"),
    Element("机构", None, "机构", "text"),
    Element("件号", None, "件号", "int", settable=False),
    Element("状态", None, "状态", "text", ("status",), "status", "keyword", settable=False),
    Element("正文", None, "", "text", ("body",), "body", "text", settable=False),
)

BY_NAME: dict[str, Element] = {n: e for e in ELEMENTS for n in (e.name, *e.aliases)}
BY_ATTR: dict[str, Element] = {e.attr: e for e in ELEMENTS if e.attr}
# Chinese name or alias → Record attribute, for the settable elements that are Record attributes.
NAMES: dict[str, str] = {n: e.attr for e in ELEMENTS if e.attr and e.settable
                         for n in (e.name, *e.aliases) if not n.isascii()}
LABELS: dict[str, str] = {e.attr: e.name for e in ELEMENTS if e.attr}
LIST_ATTRS = frozenset(e.attr for e in ELEMENTS if e.kind in ("names", "terms"))
MAX_CHARS: dict[str, int] = {e.attr: e.max_chars for e in ELEMENTS if e.attr and e.max_chars}
# Query field name (Chinese, alias or English) → index field: what indexer/query.py FIELDS holds.
QUERY_FIELDS: dict[str, str] = {n: e.index for e in ELEMENTS if e.index for n in (e.name, *e.aliases, e.index)}
# Record attributes a caller may set through filing's ``fields`` (著录项 plus what filing itself
# records about where a record came from).
RECORD_ATTRS: tuple[str, ...] = (*(e.attr for e in ELEMENTS if e.attr and e.settable),
                                 "source", "template", "extra")


# -- names: 主送, 抄送, 责任者 ---------------------------------------------------------------------

# GB/T 9704 §7.3.3: organs of one kind are joined by 顿号 (各省、自治区、直辖市人民政府), kinds are
# separated by 逗号; so 、 stays inside a name and only ，,；; (or a new line or tab) separate.
_NAME_SEP = re.compile(r"\s*[，,；;\t\n]+\s*")
_TERM_SEP = re.compile(r"[，,、；;\s]+")
_CJK = r"[\u3400-\u9fff\uf900-\ufaff]"
_CJK_GAP = re.compile(rf"(?<={_CJK})[ \u3000]+(?={_CJK})")


def split_names(value) -> list[str]:
    """``各中小学、幼儿园，各幼儿园`` → ``["各中小学、幼儿园", "各幼儿园"]``: the one rule for 主送,
    抄送 and 责任者, whether typed, generated or read from a received document. Spaces between two
    Chinese characters are alignment padding (``李  斌``) and are dropped; a list is split item by item."""
    if isinstance(value, (list, tuple)):
        return [n for v in value for n in split_names(v)]
    out = []
    for part in _NAME_SEP.split(str(value or "")):
        part = _CJK_GAP.sub("", part).strip().rstrip("：:")
        if part:
            out.append(re.sub(r"\s+", " ", part))
    return out


def split_issuers(author: str) -> list[str]:
    """The issuers of one 责任者: joint issuers are joined by 、 (as the reader writes a joint
    signature), so 、 separates here, unlike in 主送/抄送 — the index's 责任者 facet uses this."""
    return [n for part in split_names(author) for n in part.split("、") if n]


def split_terms(value) -> list[str]:
    """关键词: 、, commas and spaces all separate (校外培训、规范管理)."""
    if isinstance(value, (list, tuple)):
        return [n for v in value for n in split_terms(v)]
    return [s for s in _TERM_SEP.split(str(value or "")) if s]


def split_value(attr: str, value) -> list[str]:
    """The list a list element's typed value gives."""
    return split_terms(value) if BY_ATTR[attr].kind == "terms" else split_names(value)


# -- dates: 成文日期, 时限 ----------------------------------------------------------------------

_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "Ｏ": 0, "O": 0, "0": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}

DATE_PATTERN = re.compile(
    r"(?P<y>\d{4}|[〇○零Ｏ一二三四五六七八九]{4})\s*年\s*(?P<m>\d{1,2}|[一二三四五六七八九十]{1,3})\s*月"
    r"\s*(?P<d>\d{1,2}|[一二三四五六七八九十]{1,4})\s*日"
    r"|(?P<iy>\d{4})\s*[-./／]\s*(?P<im>\d{1,2})\s*[-./／]\s*(?P<id>\d{1,2})(?!\d)"
)
_COMPACT = re.compile(r"(?P<iy>\d{4})(?P<im>\d{2})(?P<id>\d{2})")


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


def _date_of(m: re.Match) -> date | None:
    y, mo, d = (m["y"], m["m"], m["d"]) if m.groupdict().get("y") else (m["iy"], m["im"], m["id"])
    year = int(y) if y.isdigit() else (int("".join(str(_CN_DIGITS[c]) for c in y))
                                      if all(c in _CN_DIGITS for c in y) else None)
    month, day = _cn_number(mo), _cn_number(d)
    if year is None or month is None or day is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def fold_digits(text: str) -> str:
    """Full-width digits as ASCII (２０２２ → 2022)."""
    return text.translate({ord("０") + i: ord("0") + i for i in range(10)})


def find_dates(text: str) -> list[tuple[int, date]]:
    """Every date in a text with its position: 2022年3月25日, 二〇二二年三月二十五日, 2022-03-25, 2022.3.25."""
    out = []
    for m in DATE_PATTERN.finditer(fold_digits(text)):
        d = _date_of(m)
        if d:
            out.append((m.start(), d))
    return out


def parse_date(value) -> date | None:
    """A date typed or printed in any common spelling (also 20220325), or None: the one parser."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = fold_digits(str(value or "")).strip()
    m = DATE_PATTERN.fullmatch(text) or _COMPACT.fullmatch(text)
    return _date_of(m) if m else None
