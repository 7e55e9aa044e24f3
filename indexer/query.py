"""The search language (检索式) users type, turned into wenshu's query tree (indexer/querytree.py).

::

    课后服务 校外培训机构            words: all must occur (title, metadata or text)
    "隐形变异"                       a phrase: the characters exactly in this order
    双减 OR 减负   整改 NOT 幼儿园   -幼儿园      boolean operators, NOT/- excludes
    文号:国发[2019]5号  题名:通知  机关:国务院  类型:通知  年度:2022  年度:2020..2022
    日期:2022-03-01..2022-06-30  保管期限:永久  密级:秘密  案件:某校违规补课  档号:A001-WS·2022
    (English aliases: docnum number title author org type year date retention secret case code)

The tree is engine-neutral: whoosh matches every word through character grams (DESIGN §7,
indexer/whoosh_engine/translate.py), so recall never depends on jieba segmenting the query like
the text; ``wenshu list`` and ``wenshu export`` take the same language (wenshu/indexing.py
``query_codes``). A word that reads as a 文号 in any spelling also matches the
exact normalised 文号 field, heavily boosted, so that document comes first; so does a 令号
(国务院令第195号, with or without 中华人民共和国, 第 and 号) and a 文号 without its year (高教字8号,
any year). ``-字段:值`` is ``NOT 字段:值``.
"""

from __future__ import annotations

import re
from datetime import date

from archive.archival_code import Retention
from archive.docnumber import DocNumber
from archive.elements import QUERY_FIELDS, parse_date
from archive.errors import WenshuError
from indexer import querytree as T
from indexer.analysis import fold, phrase_grams, query_grams
from indexer.querytree import DOCNUM_BOOST, TITLE_BOOST

FIELDS = QUERY_FIELDS  # 著录项 names and aliases → index fields: archive/elements.py is the one table
__all__ = ["FIELDS", "TITLE_BOOST", "DOCNUM_BOOST", "parse", "field_clause", "date_range"]

_QUOTES = {'"': '"', "“": "”", "”": "”"}


def parse(text: str) -> T.Node:
    """The query tree for what the user typed; WenshuError on a filter it cannot read."""
    text = (text or "").strip()
    if not text:
        raise WenshuError("检索式为空：请输入要查找的词、文号或条件，如“课后服务 年度:2022”。")
    try:  # the whole query is one 文号 or 令号, however spaced and bracketed
        return number_clause(DocNumber.parse_any(text), text)
    except WenshuError:
        pass
    tokens = _lex(text)
    q, pos = _or(tokens, 0)
    if pos < len(tokens):
        raise WenshuError(f"检索式“{text}”中的括号不成对。")
    return q


def _lex(text: str) -> list[tuple[str, str, str]]:
    """(kind, a, b) tokens: ("word", text), ("phrase", text), ("field", name, value), ( ) AND OR NOT."""
    out: list[tuple[str, str, str]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in _QUOTES:
            j = text.find(_QUOTES[ch], i + 1)
            j = n if j < 0 else j
            out.append(("phrase", text[i + 1:j], ""))
            i = j + 1
            continue
        if ch == "(":
            out.append(("(", "", ""))
            i += 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in _QUOTES:
            j += 1
        chunk = text[i:j]
        try:  # a 文号 written with () or [] is one word, not a group
            DocNumber.parse_any(chunk)
            out.append(("word", chunk, ""))
            i = j
            continue
        except WenshuError:
            pass
        closers = len(chunk) - len(chunk.rstrip(")"))
        chunk = chunk.rstrip(")")
        m = re.match(r"(-?)([^:：]+)[:：](.*)", chunk)
        if m and m.group(2) in FIELDS:  # 类型:承诺书, and -类型:承诺书 as NOT 类型:承诺书
            if m.group(1):
                out.append(("NOT", "", ""))
            m = re.match(r"([^:：]+)[:：](.*)", chunk[len(m.group(1)):])
            value = m.group(2)
            if not value and j < n and text[j] in _QUOTES:  # 题名:"…"
                k = text.find(_QUOTES[text[j]], j + 1)
                k = n if k < 0 else k
                value, j = text[j + 1:k], k + 1
            if FIELDS[m.group(1)] == "docnum":
                value, j = _spaced_docnum(text, 0, value, j)
            out.append(("field", FIELDS[m.group(1)], value))
        elif chunk in ("AND", "OR", "NOT"):
            out.append((chunk, "", ""))
        elif chunk:
            out.append(("word", chunk, ""))
        out.extend([(")", "", "")] * closers)
        i = j
    return out


def _spaced_docnum(text: str, _start: int, value: str, end: int) -> tuple[str, int]:
    """文号:国发 [2019] 5 号 — a 文号 typed with spaces takes up to three more chunks."""
    try:
        DocNumber.parse_any(value)
        return value, end
    except WenshuError:
        pass
    k = end
    for _ in range(3):
        m = re.match(r"\s+\S+", text[k:])
        if not m:
            break
        k += m.end()
        candidate = value + text[end:k]
        try:
            DocNumber.parse_any(candidate)
            return candidate, k
        except WenshuError:
            continue
    return value, end


def _or(tokens, pos):
    parts = []
    q, pos = _and(tokens, pos)
    parts.append(q)
    while pos < len(tokens) and tokens[pos][0] == "OR":
        q, pos = _and(tokens, pos + 1)
        parts.append(q)
    return (parts[0] if len(parts) == 1 else T.Or(tuple(parts))), pos


def _and(tokens, pos):
    positive, negative = [], []
    while pos < len(tokens) and tokens[pos][0] not in ("OR", ")"):
        if tokens[pos][0] == "AND":
            pos += 1
            continue
        negate = False
        while pos < len(tokens) and (tokens[pos][0] == "NOT" or
                                     (tokens[pos][0] == "word" and tokens[pos][1].startswith("-")
                                      and len(tokens[pos][1]) > 1)):
            if tokens[pos][0] == "NOT":
                negate, pos = not negate, pos + 1
            else:
                negate = not negate
                tokens = tokens[:pos] + [("word", tokens[pos][1][1:], "")] + tokens[pos + 1:]
        if pos >= len(tokens):
            break
        q, pos = _atom(tokens, pos)
        if q is not None:
            (negative if negate else positive).append(q)
    base = T.Every() if not positive else T.and_(*positive)
    if negative:
        base = T.Not(base, negative[0] if len(negative) == 1 else T.Or(tuple(negative)))
    return base, pos


def _atom(tokens, pos):
    kind, a, b = tokens[pos]
    if kind == "(":
        q, pos = _or(tokens, pos + 1)
        if pos < len(tokens) and tokens[pos][0] == ")":
            pos += 1
        return q, pos
    if kind == "word":
        try:
            return number_clause(DocNumber.parse_any(a), a), pos + 1
        except WenshuError:
            return word_clause(a), pos + 1
    if kind == "phrase":
        return phrase_clause(a), pos + 1
    if kind == "field":
        return field_clause(a, b), pos + 1
    return None, pos + 1


# -- clauses: what the user typed, normalised into the tree (indexer/querytree.py) -------------
# A clause with nothing to look for (punctuation only) is left out, as if not typed.

def _has_grams(text: str) -> bool:
    return any(run for run in query_grams(text))


def word_clause(text: str, numbers: bool = True) -> T.Node | None:
    if not _has_grams(text):
        return None
    key = _number_key(text) if numbers and re.search(r"\d", text) and re.search(r"[^\x00-\x7f]", text) else ""
    return T.Words(text, number_key=key, title_boost=TITLE_BOOST, number_boost=DOCNUM_BOOST)


def _number_key(text: str) -> str:
    """The index term of a number typed in any spelling (numkeys, cites)."""
    try:
        return DocNumber.parse_any(text).key
    except WenshuError:
        return DocNumber.normalize(text)


def number_clause(number, typed: str = "") -> T.Node:
    """A 文号 or 令号 in any spelling (DocNumber.parse_any), with or without its year. A 令号 or a
    文号 without its year is also looked for in the text as typed, so a citation spelled in a way
    the number reader does not know is still found, below those."""
    in_text = typed if not isinstance(number, DocNumber) and typed and _has_grams(typed) else ""
    return T.Number(number.key, in_text, boost=DOCNUM_BOOST)


def phrase_clause(text: str) -> T.Node | None:
    """Quoted: the characters in exactly this order (so 隐形的变异 does not match "隐形变异")."""
    if not phrase_grams(text):
        return None
    return T.Phrase(text, title_boost=TITLE_BOOST)


def field_clause(field: str, value: str) -> T.Node | None:
    value = value.strip()
    if not value:
        raise WenshuError(f"检索条件“{_label(field)}:”缺少取值。")
    if field == "docnum":  # the number a document bears, in any spelling, with or without its year
        return T.Field("docnum", _number_key(value))
    if field in ("title", "body"):
        return T.Field(field, value) if _has_grams(value) else None
    if field in ("author", "doctype", "classification", "status", "case"):
        return T.Field(field, value)
    if field in ("code", "origcode"):  # a 档号 or its leading part (全宗号, 全宗号-WS·年度 …)
        return T.Field(field, value.replace("•", "·").replace("・", "·"))
    if field == "retention":
        return T.Field("retention", Retention.parse(value).value)
    if field == "year":
        lo, hi = _range(value, _year, "年度")
        return T.Range("year", lo, hi)
    if field == "date":
        return date_range(*_range(value, _day_bounds, "日期"))
    raise WenshuError(f"不认识的检索条件“{field}”。")


def date_range(lo: date | int | None, hi: date | int | None) -> T.Range:
    """日期 between two days inclusive (either end open), as yyyymmdd integers."""
    def num(d, end):
        if d is None:
            return None
        if isinstance(d, tuple):
            d = d[1] if end else d[0]
        return int(d.strftime("%Y%m%d")) if isinstance(d, date) else int(d)
    return T.Range("date", num(lo, False), num(hi, True))


def _range(value: str, conv, label: str):
    if ".." in value:
        a, b = value.split("..", 1)
        lo = conv(a, label) if a.strip() else None
        hi = conv(b, label) if b.strip() else None
        if isinstance(lo, tuple):
            lo = lo[0]
        if isinstance(hi, tuple):
            hi = hi[1]
        return lo, hi
    one = conv(value, label)
    return (one[0], one[1]) if isinstance(one, tuple) else (one, one)


def _year(text: str, label: str) -> int:
    t = fold(text.strip()).rstrip("年")
    if not re.fullmatch(r"\d{4}", t):
        raise WenshuError(f"{label}“{text}”不正确：应为四位年份，如 2022 或 2020..2022。")
    return int(t)


def _day_bounds(text: str, label: str):
    """2022-03-05 → that day; 2022-03 → the month; 2022 → the year (first day, last day)."""
    t = fold(text.strip()).replace("/", "-").replace(".", "-")
    try:
        if re.fullmatch(r"\d{4}", t):
            return date(int(t), 1, 1), date(int(t), 12, 31)
        if re.fullmatch(r"\d{4}-\d{1,2}", t):
            y, m = map(int, t.split("-"))
            nxt = date(y + (m == 12), m % 12 + 1, 1)
            return date(y, m, 1), date.fromordinal(nxt.toordinal() - 1)
    except ValueError:
        pass
    d = parse_date(text)  # a day in any spelling the archive reads (2022-03-05, 2022年3月5日 …)
    if d is not None:
        return d, d
    raise WenshuError(f"{label}“{text}”不正确：应写成 2022-03-01、2022-03-01..2022-06-30 或 2022 这样的格式。")


def _label(field: str) -> str:
    return next((k for k, v in FIELDS.items() if v == field), field)
