"""The search language (检索式) users type, turned into a whoosh query.

::

    课后服务 校外培训机构            words: all must occur (title, metadata or text)
    "隐形变异"                       a phrase: the characters exactly in this order
    双减 OR 减负   整改 NOT 幼儿园   -幼儿园      boolean operators, NOT/- excludes
    文号:国发[2019]5号  题名:通知  机关:国务院  类型:通知  年度:2022  年度:2020..2022
    日期:2022-03-01..2022-06-30  保管期限:永久  密级:秘密  案件:某校违规补课  档号:A001-WS·2022
    (English aliases: docnum number title author org type year date retention secret case code)

Every word is matched through character grams (DESIGN §7), so recall never depends on jieba
segmenting the query like the text; its title grams and its words of three or more
characters are added as optional clauses that only rank. A word that reads as a 文号 in any spelling also matches the
exact normalised 文号 field, heavily boosted, so that document comes first; so does a 令号
(国务院令第195号, with or without 中华人民共和国, 第 and 号) and a 文号 without its year (高教字8号,
any year). ``-字段:值`` is ``NOT 字段:值``.
"""

from __future__ import annotations

import re
from datetime import date

from whoosh import query as Q

from archive.archival_code import Retention
from archive.docnumber import DocNumber
from archive.errors import WenshuError
from indexer.analysis import PREFIX_MARK, fold, long_words, phrase_grams, query_grams

FIELDS = {
    "文号": "docnum", "发文字号": "docnum", "docnum": "docnum", "number": "docnum",
    "题名": "title", "标题": "title", "title": "title",
    "机关": "author", "责任者": "author", "发文机关": "author", "author": "author", "org": "author",
    "类型": "doctype", "文种": "doctype", "type": "doctype",
    "年度": "year", "year": "year",
    "日期": "date", "date": "date",
    "保管期限": "retention", "retention": "retention",
    "密级": "classification", "classification": "classification", "secret": "classification",
    "案件": "case", "case": "case",
    "档号": "code", "code": "code",
    "原档号": "origcode", "origcode": "origcode",
    "状态": "status", "status": "status",
    "正文": "body", "body": "body",
}
TITLE_BOOST, DOCNUM_BOOST = 4.0, 50.0

_QUOTES = {'"': '"', "“": "”", "”": "”"}


def parse(text: str) -> Q.Query:
    """The whoosh query for what the user typed; WenshuError on a filter it cannot read."""
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
    return (parts[0] if len(parts) == 1 else Q.Or(parts)), pos


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
    base = Q.Every() if not positive else positive[0] if len(positive) == 1 else _flat_and(positive)
    if negative:
        base = Q.AndNot(base, negative[0] if len(negative) == 1 else Q.Or(negative))
    return base, pos


def _flat_and(parts):
    """Words AND-ed: one intersection of all their grams, one optional title bonus (whoosh
    intersects a flat list far faster than a list of AndMaybe pairs)."""
    required, optional = [], []
    for q in parts:
        if isinstance(q, Q.AndMaybe):
            required.append(q.a)
            optional.append(q.b)
        else:
            required.append(q)
    flat = []
    for q in required:
        flat.extend(q.subqueries if isinstance(q, Q.And) and q.boost == 1.0 else [q])
    base = Q.And(flat)
    if not optional:
        return base
    return Q.AndMaybe(base, optional[0] if len(optional) == 1 else Q.Or(optional))


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


# -- clauses ------------------------------------------------------------------------------------
#
# Speed (DESIGN §11: multi-term queries are what whoosh is slow at): a query word is ONE AND of
# a few bigrams in ONE field, ``gram`` (题名 + short fields + text). Title hits rank first
# through one optional AND over the short title_gram lists (and title grams weigh more in
# ``gram``, analysis.PART_WEIGHTS); the words to highlight are looked up for the shown page only.

def _terms_query(field: str, terms: list[str], boost: float = 1.0):
    """AND of gram terms; a lone Chinese character in the body field is a prefix over bigrams."""
    if not terms:
        return None
    if len(terms) > 1:
        # a lone character among other terms (3条) would be a prefix over thousands of bigrams
        # and adds next to no precision: leave it out
        terms = [t for t in terms if not t.startswith(PREFIX_MARK)] or terms[:1]
    parts = []
    for t in terms:
        if t.startswith(PREFIX_MARK):
            t = t[len(PREFIX_MARK):]
            parts.append(Q.Prefix(field, t) if field == "gram" else Q.Term(field, t))
        else:
            parts.append(Q.Term(field, t))
    q = parts[0] if len(parts) == 1 else Q.And(parts)
    q.boost = boost
    return q


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _combine(required, optional=None):
    if required is None:
        return None
    return Q.AndMaybe(required, optional) if optional is not None else required


def _title_bonus(terms: list[str]):
    """Optional: the same grams in 题名. title_gram's posting lists are short (only the
    documents whose TITLE holds the bigram), so scoring them for the matched documents is
    cheap, and a title hit outranks any number of mentions in a long text."""
    return _terms_query("title_gram", terms, TITLE_BOOST)


def _bonus(text: str, terms: list[str]):
    """What ranks a match without deciding it: its grams in 题名, and the query's words of three
    or more characters, indexed where the text has them as words (课后服务 as a word, not in
    下课后服务员)."""
    words = [Q.Term("gram", w) for w in dict.fromkeys(long_words(text))]
    return Q.Or([_title_bonus(terms), *words]) if words else _title_bonus(terms)


def word_clause(text: str, numbers: bool = True):
    terms = [t for run in query_grams(text) for t in run]
    if not terms:
        return None
    required = _terms_query("gram", terms)
    if numbers and re.search(r"\d", text) and re.search(r"[^\x00-\x7f]", text):
        required = Q.Or([_docnum_term(text), required])
    return _combine(required, _bonus(text, terms))


def _number_key(text: str) -> str:
    """The index term of a number typed in any spelling (numkeys, cites)."""
    try:
        return DocNumber.parse_any(text).key
    except WenshuError:
        return DocNumber.normalize(text)


def _docnum_term(text: str):
    return _number_term(_number_key(text))


def _number_term(key: str):
    q = Q.Term("numkeys", key)
    q.boost = DOCNUM_BOOST
    return q


def number_clause(number, typed: str = ""):
    """A 文号 or 令号 in any spelling (DocNumber.parse_any), with or without its year: the
    documents bearing it first, then the documents citing it (the ``cites`` keys of their text).
    A 令号 or a 文号 without its year is also looked for in the text as typed, so a citation
    spelled in a way the number reader does not know is still found, below those."""
    key = number.key
    parts = [_number_term(key), Q.Term("cites", key)]
    if not isinstance(number, DocNumber) and typed:
        text = word_clause(typed, numbers=False)
        if text is not None:
            parts.append(text)
    return Q.Or(parts)


def phrase_clause(text: str):
    """Quoted: the characters in exactly this order. All overlapping bigrams of each Chinese run
    must occur (so 隐形的变异 does not match "隐形变异")."""
    terms = list(dict.fromkeys(phrase_grams(text)))
    if not terms:
        return None
    return _combine(_terms_query("gram", terms), _bonus(text, terms))


def field_clause(field: str, value: str):
    value = value.strip()
    if not value:
        raise WenshuError(f"检索条件“{_label(field)}:”缺少取值。")
    if field == "docnum":  # the number a document bears, in any spelling, with or without its year
        return Q.Term("numkeys", _number_key(value))
    if field == "title":
        terms = [t for run in query_grams(value) for t in run]
        return _terms_query("title_gram", terms)
    if field == "body":
        terms = [t for run in query_grams(value) for t in run]
        return _terms_query("gram", terms)
    if field == "author":
        return Q.Term("author", value)
    if field in ("doctype", "classification", "status"):
        return Q.Term(field, value)
    if field == "case":
        terms = [t for run in query_grams(value) for t in run]
        return Q.Or([Q.Term("case", value), _terms_query("gram", terms)])
    if field in ("code", "origcode"):  # a 档号 or its leading part (全宗号, 全宗号-WS·年度 …)
        return Q.Prefix(field, value.replace("•", "·").replace("・", "·"))
    if field == "retention":
        return Q.Term("retention", Retention.parse(value).value)
    if field == "year":
        lo, hi = _range(value, _year, "年度")
        return Q.NumericRange("year", lo, hi)
    if field == "date":
        return date_range(*_range(value, _day_bounds, "日期"))
    raise WenshuError(f"不认识的检索条件“{field}”。")


def date_range(lo: date | int | None, hi: date | int | None):
    """日期 between two days inclusive (either end open)."""
    def num(d, end):
        if d is None:
            return None
        if isinstance(d, tuple):
            d = d[1] if end else d[0]
        return int(d.strftime("%Y%m%d")) if isinstance(d, date) else int(d)
    return Q.NumericRange("date", num(lo, False), num(hi, True))


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
        d = date.fromisoformat("-".join(p.zfill(2) for p in t.split("-")))
        return d, d
    except ValueError:
        pass
    raise WenshuError(f"{label}“{text}”不正确：应写成 2022-03-01、2022-03-01..2022-06-30 或 2022 这样的格式。")


def _label(field: str) -> str:
    return next((k for k, v in FIELDS.items() if v == field), field)
