"""Reading a received document's metadata (收文著录) from its text: 文号, 题名, 发文机关, 成文日期, 主送, 抄送, 文种.

A 公文 is laid out the same way everywhere (GB/T 9704): the mark "×××文件", the 文号 line,
the title "关于…的通知", the 主送 line ending in "：", the body, the signature and the date,
then 抄送/印发 at the end. This module reads those positions from plain text (what
``archive.extract`` returns), so it works for .docx, .pdf and .txt alike. Every value it guesses
can be corrected by the user (``--set``), so it prefers a blank over a wrong guess.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from archive.docnumber import DocNumber, OrderNumber
from archive.elements import DATE_PATTERN, find_dates, fold_digits, parse_date, split_names  # noqa: F401  (re-exported)
from archive.errors import WenshuError

_fold_digits = fold_digits


# -- the rest of the 公文 ---------------------------------------------------------------------

# 文种 by the ending of the title, longest first; the value is the 文种 recorded.
_DOC_TYPES = [
    ("整改通知书", "整改通知书"), ("整改报告", "整改报告"), ("督办函", "督办函"), ("会议纪要", "纪要"),
    ("纪要", "纪要"), ("指导意见", "意见"), ("实施意见", "意见"), ("若干意见", "意见"), ("意见", "意见"),
    ("通知书", "通知书"), ("通知", "通知"), ("通报", "通报"), ("通告", "通告"), ("公告", "公告"),
    ("公报", "公报"), ("决议", "决议"), ("决定", "决定"), ("命令", "命令"), ("报告", "报告"),
    ("请示", "请示"), ("批复", "批复"), ("议案", "议案"), ("复函", "函"), ("函", "函"), ("答复", "答复"),
    ("方案", "方案"), ("办法", "办法"), ("规定", "规定"), ("细则", "细则"), ("条例", "条例"),
    ("规划", "规划"), ("总结", "总结"), ("计划", "计划"), ("承诺书", "承诺书"), ("令", "令"),
]
_TITLE_HINT = re.compile(r"关于|^.{0,30}(对|转发|印发|批转).{2,}")
_SENT_END = re.compile(r"([。；;！!？?]|…|\.\.\.)$")
_PLACEHOLDER = re.compile(r"^[\[［【〔{].*[\]］】〕}]$|^[×Ｘx]{2,}")
_HEAD_NOISE = re.compile(r"^(\d{6}|[★\s]*(秘密|机密|绝密)(★.*)?|特急|加急|特提|平急|急件|签发人[:：].*|份号.*)$")
_MARK = re.compile(r"(文件|令)$")
_CC = re.compile(r"^\s*抄\s*送\s*[:：]\s*(?P<v>.+)$")
_TO = re.compile(r"^\s*主\s*送\s*[:：]\s*(?P<v>.+)$")


@dataclass
class DocMeta:
    """What was read from a document; empty where nothing trustworthy was found."""

    doc_number: str = ""  # canonical: 代字〔年〕N号, or a 令号 (国令第707号, OrderNumber)
    title: str = ""
    author: str = ""  # 发文机关 / 责任者
    date: date | None = None  # 成文日期
    recipients: list[str] = field(default_factory=list)  # 主送
    cc: list[str] = field(default_factory=list)  # 抄送
    doc_type: str = ""  # 文种
    deadline: date | None = None  # 整改时限 of a 整改通知书 / 督办函 ("于2022年5月31日前")

    def to_fields(self) -> dict:
        """Record attribute names → values, only those that were found."""
        out = {"doc_number": self.doc_number, "title": self.title, "author": self.author, "date": self.date,
               "recipients": self.recipients, "cc": self.cc, "doc_type": self.doc_type, "deadline": self.deadline}
        return {k: v for k, v in out.items() if v}


def _clean(line: str) -> str:
    line = unicodedata.normalize("NFC", line).replace("\u3000", " ").strip()
    return re.sub(r"[ \t]+", " ", line)


def _squeeze(text: str) -> str:
    """Drop spaces between CJK characters ("几 个 问 题 的 通 知" → "几个问题的通知"), keep them between Latin words."""
    return re.sub(r"(?<=[^\x00-\x7f]) +|(?<=\S) +(?=[^\x00-\x7f])", "", text).strip()


def doc_type_of(title: str) -> str:
    t = re.sub(r"[（(][^（）()]*[)）]$", "", title.strip())  # a trailing "（试行）" / "（草案）"
    for suffix, kind in _DOC_TYPES:
        if t.endswith(suffix):
            return kind
    return ""


def _number_line(line: str) -> str:
    """The 文号 on a line that is (nearly) only a 文号, else ""."""
    bare = re.sub(r"签发人[:：].*$", "", line).strip()
    found = DocNumber.find_all(bare)
    if len(found) != 1:
        return ""
    rest = re.sub(r"[\s〔〕\[\]【】（）()［］﹝﹞第号0-9０-９]", "", _fold_digits(bare))
    rest = rest.replace(found[0].prefix, "", 1)
    return str(found[0]) if len(rest) <= 2 else ""


def _order_line(line: str) -> OrderNumber | None:
    """The 令号 of a 命令's head line (中华人民共和国国务院令 第195号), written in full."""
    if not re.search(r"令第\d+号$", _fold_digits(line)):
        return None
    try:
        return OrderNumber.parse(line)
    except WenshuError:
        return None


def _is_date_line(line: str) -> date | None:
    return parse_date(re.sub(r"\s+", "", line))


# The history under a regulation's title, as the 国家法律法规数据库 and the 国务院公报 print it:
# "1996年2月1日 中华人民共和国国务院令第195号发布", "2011年1月8日 《…决定》第一次修订".
_HISTORY = re.compile(r"^(?P<date>.{6,20}?日)\s*(?P<what>.*?)(?P<act>发布|公布|修订|修正|通过|批准|施行)$")


def _history(lines: list[str]) -> tuple[int, int, DocMeta] | None:
    """(first line, last line, what they give) of the promulgation history near the top:
    the 令号 of the last 发布/公布 line is the 文号, the last 发布/公布/修订/修正 date the
    成文日期 of this version (通过 and 施行 dates are not), the order's issuer the 责任者."""
    found: list[tuple[int, date, str, str]] = []
    for i, line in enumerate(lines[:16]):
        m = _HISTORY.match(line)
        if m:
            when = parse_date(re.sub(r"\s+", "", m["date"]))
            if when:
                found.append((i, when, m["what"].strip(), m["act"]))
        elif found:
            break
    if not found:
        return None
    meta = DocMeta()
    for _i, when, what, act in found:
        if act in ("发布", "公布", "修订", "修正"):
            meta.date = when
        orders = OrderNumber.locate(what) if act in ("发布", "公布") else []
        if orders:
            meta.doc_number, meta.author = str(orders[-1][2]), orders[-1][2].issuer
        elif act in ("发布", "公布") and re.fullmatch(r"[\u4e00-\u9fff、]{2,30}", what):
            meta.author = what  # 1990年12月12日 对外经济贸易部发布
    return found[0][0], found[-1][0], meta


def read_metadata(text: str) -> DocMeta:
    """Read 文号, 题名, 发文机关, 成文日期, 主送, 抄送 and 文种 from a 公文's text."""
    lines = [c for c in (_clean(re.sub(r"^\s*#+\s+", "", x)) for x in text.splitlines()) if c]
    meta = DocMeta()
    if not lines:
        return meta
    history = _history(lines)
    if history is not None and history[0] > 0:  # a regulation: title, then its history
        first, last, meta = history
        meta.title = _squeeze("".join(lines[:first][-2:]))
        meta.doc_type = doc_type_of(meta.title) or ("令" if meta.doc_number else "")
        return meta
    head = lines[:20]

    # 文号 (or 令 number) near the top
    num_at = None
    for i, line in enumerate(head):
        n = _number_line(line)
        if n:
            meta.doc_number, num_at = n, i
            break
    order = None
    for i, line in enumerate(head[:6]):
        joined = line + (" " + head[i + 1] if i + 1 < len(head) and re.fullmatch(r"第\s*\d+\s*号", head[i + 1]) else "")
        number = _order_line(joined.replace(" ", ""))
        if number and not meta.doc_number:
            order = i
            meta.doc_number, meta.doc_type, meta.author = str(number), "令", number.issuer
            num_at = i + (1 if joined != line else 0)
            break

    # 主送: the first line after the top that ends with a colon and is not a heading
    to_at, to_end = _recipient_lines(lines, (num_at + 1) if num_at is not None else 0)
    if to_at is not None:
        meta.recipients = _names("".join(lines[to_at:to_end + 1])[:-1])

    # 题名
    if order is not None:
        body = " ".join(lines[num_at + 1:num_at + 3])
        m = re.search(r"《([^《》]{2,100})》", body)
        meta.title = m.group(1) if m else ""
    else:
        meta.title = _title(lines, num_at, to_at)
    meta.title = _squeeze(meta.title)
    if not meta.doc_type:
        meta.doc_type = doc_type_of(meta.title)

    # 成文日期 and the signature above it
    body_from = (to_end if to_end is not None else (num_at or 0)) + 1
    date_at = None
    for i in range(body_from, len(lines)):
        d = _is_date_line(lines[i])
        if d:
            meta.date, date_at = d, i
            break
    if meta.date is None:  # "国务院办公厅 2018年12月4日" on one line, or the 印发 line of the 版记
        for i in range(len(lines) - 1, body_from - 1, -1):
            line = re.sub(r"\s*印发$", "", lines[i])
            dates = find_dates(line)
            if dates and len(line) <= 40 and line.endswith(("日",)) and not _SENT_END.search(line):
                meta.date = dates[-1][1]
                break
    if date_at is not None and not meta.author:
        meta.author = _signature(lines, date_at, body_from)
    if not meta.author:
        meta.author = _author_from_head(lines, num_at, meta.title)

    if meta.doc_type in DEADLINE_TYPES or re.search(r"整改|督办|督促|限期", meta.title):
        meta.deadline = _deadline(lines[body_from:date_at] if date_at is not None else lines[body_from:])

    # 抄送, and a 主送 printed in the 版记 (纪要 and the like)
    for line in lines:
        m = _CC.match(line)
        if m:
            meta.cc = _names(m["v"])
        m = _TO.match(line)
        if m and not meta.recipients:
            meta.recipients = _names(m["v"])
    return meta


def _recipient_lines(lines: list[str], start: int) -> tuple[int | None, int | None]:
    """First and last line of the 主送. In a PDF a long 主送 wraps onto the next visual line
    ("…国务院各部委、各直属机" / "构："); only a full line of a list of names is joined that way,
    so a short title line above a one-line 主送 stays the title."""
    for i in range(start, min(len(lines), start + 8)):
        line = lines[i]
        if re.match(r"^[一二三四五六七八九十]+、", line):
            break
        if re.search(r"[:：]$", line) and len(line) <= 300:
            return i, i
        end = i
        while (end + 1 < len(lines) and end - i < 10 and len(lines[end]) >= 24 and not _SENT_END.search(lines[end])
               and ("，" in lines[end] or lines[end].count("、") >= 2)):
            end += 1
            if re.search(r"[:：]$", lines[end]) and len(lines[end]) < 24:
                return i, end
        if _SENT_END.search(line) or len(line) > 80:
            break
    return None, None


DEADLINE_TYPES = ("整改通知书", "督办函")
_DEADLINE = re.compile(r"(?:于|在)?\s*(?P<d>\S{6,16}?日)\s*(?:前|之前|以前)")


def _deadline(body: list[str]) -> date | None:
    """The first "于…日前" date in the body of a document that sets a time limit."""
    for line in body:
        for m in _DEADLINE.finditer(_fold_digits(line)):
            found = find_dates(m.group(0))
            if found:
                return found[-1][1]  # the date right before "前" ("5月1日至5月31日前" → 5月31日)
    return None


def _names(value: str) -> list[str]:
    value = re.sub(r"\s*\S*\s*\d{4}\s*年\s*\d+\s*月\s*\d+\s*日\s*印发$", "", value.strip())  # 版记 row
    value = value.split("。")[0]
    return [n for n in split_names(value) if not _PLACEHOLDER.match(n)]


def _title(lines: list[str], num_at: int | None, to_at: int | None) -> str:
    """The title block: after the 文号 (office layout) or before it (web pages), up to the 主送."""

    def block(lo: int, hi: int) -> list[str]:
        out = []
        for line in lines[lo:hi]:
            if _HEAD_NOISE.match(line) or _is_date_line(line):
                continue
            if _SENT_END.search(line) or re.search(r"[:：]$", line) or len(line) > 60:
                break
            out.append(line)
            if len(out) == 4:
                break
        return out

    candidates = []
    if num_at is not None:
        after = block(num_at + 1, to_at if to_at is not None else num_at + 5)
        before = [l for l in block(0, num_at) if not (_MARK.search(l.replace(" ", "")) and "关于" not in l)]
        if after and (to_at is not None or any(_TITLE_HINT.search(l) for l in after) or
                      doc_type_of("".join(after))):
            candidates = after
            # A 信函 head or stacked joint-issuer lines sit before the 文号; they are the mark, not the title.
        elif before:
            candidates = before
    else:
        hi = to_at if to_at is not None else min(len(lines), 6)
        candidates = [l for l in block(0, hi) if not (_MARK.search(l.replace(" ", "")) and "关于" not in l)]
        hinted = [i for i, l in enumerate(candidates) if _TITLE_HINT.search(l)]
        if to_at is None and hinted:  # no 主送: keep from the 关于 line to where the 文种 word ends it
            candidates = candidates[hinted[0]:]
            ends = [k for k, l in enumerate(candidates) if doc_type_of(l)]
            candidates = candidates[:ends[0] + 1] if ends else candidates[:1]
        elif to_at is None and candidates:
            candidates = candidates[:1]
    return "".join(candidates)


def _signature(lines: list[str], date_at: int, lo: int) -> str:
    """The short organ-name lines right above the 成文日期 (several for a joint document)."""
    names = []
    for i in range(date_at - 1, max(lo, date_at - 4) - 1, -1):
        line = lines[i]
        if _SENT_END.search(line) or len(line) > 30 or re.search(r"[:：，,]", line) or _PLACEHOLDER.match(line):
            break
        names.insert(0, line)
    parts = [p for n in names for p in re.split(r"\s+", n) if p]
    if parts and all(re.search(r"(局|委|院|部|厅|室|处|科|府|会|办|署|中心|学校|小学|中学|幼儿园|公司|队|所|站|军委|机构|组)$", p)
                     for p in parts):
        return "、".join(parts)
    return ""


def _author_from_head(lines: list[str], num_at: int | None, title: str) -> str:
    for line in lines[: (num_at if num_at is not None else 3)]:
        compact = line.replace(" ", "")
        if compact.endswith("文件") and len(compact) > 2:
            return compact[:-2]
    m = re.match(r"^(.{2,40}?)(关于|转发|印发|对)", title)
    return m.group(1) if m else ""
