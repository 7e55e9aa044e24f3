"""The search-engine seam is real: a second engine, a few lines over plain Python lists, answers
the search language through indexer/engine.py — the same query trees, the same index documents
(indexer/docs.py), the same snippets and per-record grouping in indexer/search.py — as whoosh."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from archive.docnumber import DocNumber
from indexer import querytree as T
from indexer.analysis import fold
from indexer.engine import Top
from indexer.search import search
from tests.test_search import DOCS, indexed_archive


class ListEngine:
    """Substring matching over a list of index documents; score = how much of the query matched."""

    def __init__(self, docs: list[dict]):
        self.docs = docs

    @contextmanager
    def reader(self):
        yield self

    def _text(self, d, *names):
        return "".join(fold(str(d.get(n) or "")) for n in names).replace(" ", "")

    def score(self, n, d) -> float:  # 0: no match
        if isinstance(n, T.Every):
            return 1.0
        if isinstance(n, (T.Words, T.Phrase)):
            text, w = self._text(d, "title", "author", "doctype", "case", "body"), fold(n.text).replace(" ", "")
            if isinstance(n, T.Words) and n.number_key and n.number_key in d.get("numkeys", "").split(","):
                return n.number_boost
            return float(w in text) * (1 + n.title_boost * (w in self._text(d, "title")))
        if isinstance(n, T.Number):
            own = n.key in d.get("numkeys", "").split(",")
            return n.boost * own or float(n.key in d.get("cites", "").split(","))
        if isinstance(n, T.Field):
            have = str(d.get(n.name) or "")
            return float({"docnum": n.value in d.get("numkeys", "").split(","), "author": n.value in have.split(","),
                          "title": fold(n.value) in fold(have), "body": fold(n.value) in fold(d.get("body", "")),
                          "case": fold(n.value) in fold(have + d.get("body", "")),
                          "code": have.startswith(n.value), "origcode": have.startswith(n.value)}.get(n.name, have == n.value))
        if isinstance(n, T.Range):
            v = d.get(n.name)
            return float(v is not None and (n.lo is None or v >= n.lo) and (n.hi is None or v <= n.hi))
        parts = [self.score(p, d) for p in n.children()]
        if isinstance(n, T.And):
            return sum(parts) if all(parts) else 0.0
        if isinstance(n, T.Or):
            return sum(parts)
        return parts[0] if parts[0] and not parts[1] else 0.0  # Not

    def top(self, tree, k, *, sort="relevance", exact_up_to=2000):
        scored = [(self.score(tree, d), i) for i, d in enumerate(self.docs)]
        hits = [(s, i) for s, i in scored if s]
        key = (lambda h: (-(self.docs[h[1]].get("date") or 0), -h[0])) if sort == "date" else (lambda h: -h[0])
        hits.sort(key=lambda h: (self.docs[h[1]].get("form", 0), key(h), h[1]))
        return Top(hits[:k], [i for _, i in hits])

    def group_key(self, doc):
        return self.docs[doc].get("code") or -1 - doc

    def group_keys(self, docs):
        return [self.group_key(d) for d in docs]

    def stored(self, doc):
        return self.docs[doc]

    def groups(self, tree, fields):
        matched = [i for _, i in self.top(tree, len(self.docs)).hits]
        out = {f: {} for f in fields}
        for f in fields:
            for i in matched:
                for v in (str(self.docs[i].get(f) or "").split(",") if f == "author" else [self.docs[i].get(f)]):
                    out[f].setdefault(v, []).append(i)
        return out

    def doc_count(self):
        return len(self.docs)


@pytest.fixture(scope="module")
def engines(tmp_path_factory):
    from archive.archival_code import ArchivalCode, Retention
    from archive.record import Record
    from indexer.bulk import walk
    from indexer.docs import file_fields

    archive, ai = indexed_archive(tmp_path_factory.mktemp("seam") / "档案库", [
        (Record(ArchivalCode("A001", day.year, Retention.YEARS_30, "JJK", item), title, author=author, date=day,
                doc_number=DocNumber.parse(dn), doc_type=kind, case=case), body)
        for item, title, dn, day, kind, author, case, body in DOCS])
    docs = [file_fields(ai.root / rel, rel, ai._meta_for(rel, {})) for rel in walk(ai.root)]
    yield ai, ListEngine(docs)
    archive.close()


QUERIES = ["课后服务", "课后 服务", '"隐形变异"', "隐形 变异", "课后服务 NOT 幼儿园", "课后服务 -幼儿园",
           "住家家教 OR 师德师风", "(住家家教 OR 师德师风) 有偿补课", "NOT 课后服务", "5+2", "５＋２",
           "高教督函[2022]7号", "文号:高教督函（２０２２）７号", "高教督函7号", "类型:函", "年度:2021", "年度:2021..2022",
           "日期:2022-03-01..2022-05-31", "日期:2022-06", "机关:高平市人力资源和社会保障局", "机关:高平市",
           "案件:某培训机构违规培训案", "保管期限:30年", "保管期限:永久", "题名:督办函 org:高平市教育局",
           "课后服务 -类型:通知", "档号:A001-WS·2021"]


@pytest.mark.parametrize("text", QUERIES)
def test_a_list_engine_answers_the_search_language_like_whoosh(engines, text):
    ai, fake = engines
    ours, theirs = search(None, text, engine=fake, limit=50, facets=True), search(ai, text, limit=50, facets=True)
    assert {h.title for h in ours.hits} == {h.title for h in theirs.hits}
    assert ours.total == theirs.total and ours.facets == theirs.facets
    if theirs.hits and "号" in text:  # the document bearing the 文号 first, in both
        assert ours.hits[0].title == theirs.hits[0].title
    assert [h.snippet for h in sorted(ours.hits, key=lambda h: h.path)] == \
        [h.snippet for h in sorted(theirs.hits, key=lambda h: h.path)]
