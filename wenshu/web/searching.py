"""The 检索 page's request → ``indexer.search.search`` call, with the user's clearance put into
the query (wenshu.web.access) and the page's filters as the query language's own clauses."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from archive.archival_code import Retention
from archive.errors import WenshuError
from wenshu.commands.common import parse_date
from wenshu.web.access import search_text

PAGE_SIZE = 10
RETENTIONS = [(r.value, r.label) for r in Retention]


@dataclass
class Form:
    """The GET parameters of a search, so a search is a URL one can bookmark and send."""

    q: str = ""
    year: str = ""
    doctype: str = ""
    author: str = ""
    retention: str = ""
    case: str = ""
    date_from: str = ""
    date_to: str = ""
    sort: str = "relevance"
    page: int = 1
    errors: list[str] = field(default_factory=list)

    KEYS = ("q", "year", "doctype", "author", "retention", "case", "from", "to", "sort")

    @classmethod
    def from_get(cls, get) -> "Form":
        f = cls(q=get.get("q", "").strip()[:500], year=get.get("year", "").strip(), doctype=get.get("doctype", "").strip(),
                author=get.get("author", "").strip(), retention=get.get("retention", "").strip(),
                case=get.get("case", "").strip(), date_from=get.get("from", "").strip(),
                date_to=get.get("to", "").strip(), sort=get.get("sort", "relevance"))
        if f.sort not in ("relevance", "date"):
            f.sort = "relevance"
        try:
            f.page = max(1, min(int(get.get("page", "1")), 1000))
        except ValueError:
            f.page = 1
        return f

    def params(self, **over) -> dict:
        values = {"q": self.q, "year": self.year, "doctype": self.doctype, "author": self.author,
                  "retention": self.retention, "case": self.case, "from": self.date_from, "to": self.date_to,
                  "sort": self.sort if self.sort != "relevance" else ""}
        values.update(over)
        return {k: v for k, v in values.items() if v not in ("", None)}

    def url(self, **over) -> str:
        return "?" + urlencode(self.params(**over))

    @property
    def active(self) -> bool:
        return bool(self.q or self.year or self.doctype or self.author or self.retention or self.case
                    or self.date_from or self.date_to)


def run(index, user, form: Form):
    """Results for the form, or None with ``form.errors`` saying in Chinese what to fix."""
    from indexer.query import parse
    from indexer.search import search

    year = None
    if form.year:
        try:
            year = int(form.year)
        except ValueError:
            form.errors.append(f"年度“{form.year}”不正确：应为四位数字，如 2022。")
    dates = []
    for value, label in ((form.date_from, "起始日期"), (form.date_to, "截止日期")):
        try:
            dates.append(parse_date(value or None, label))
        except WenshuError as e:
            form.errors.append(str(e))
            dates.append(None)
    clauses = []
    if form.retention:
        try:
            clauses.append(f"保管期限:{Retention.parse(form.retention).value}")
        except WenshuError as e:
            form.errors.append(str(e))
    if form.case:
        clauses.append('案件:"' + form.case.replace('"', "").replace("“", "").replace("”", "") + '"')
    text = form.q
    if form.errors:
        return None
    if not text:
        if not (clauses or year or form.doctype or form.author or any(dates)):
            return None
        text = "NOT 密级:__none__"  # everything the filters select (the query language's "all")
    try:
        parse(text)  # the user's text alone must be well-formed before it is wrapped (access.search_text)
        return search(index, search_text(user, text, clauses), doctype=form.doctype or None, year=year,
                      date_from=dates[0], date_to=dates[1], author=form.author or None, sort=form.sort,
                      page=form.page, limit=PAGE_SIZE, facets=True)
    except WenshuError as e:
        form.errors.append(str(e))
        return None
