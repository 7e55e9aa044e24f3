"""Shared check: indexer/whoosh_engine/ranking.py must rank exactly as whoosh scores."""

from __future__ import annotations


def assert_ranked_like_whoosh(ai, queries, k: int = 20) -> int:
    """For each query: the same matching documents, and as top ``k`` the best of whoosh's own
    scores for all of them, in order (score, then document number). Compared with whoosh
    scoring every match (``limit=None``): with ``limit=k`` whoosh's early-termination
    shortcuts (``Matcher.replace``) can drop better documents — for 院办公厅 on the corpus it
    missed five of the true top ten. whoosh's OR is taken as its standard union (a sum of
    scores): on indexes under 5,000 documents whoosh otherwise swaps in a preloaded OR that
    scores each prefix match as 1, so a lone character would rank differently in a small
    archive than in a large one; ranking.py ranks it the same in both.
    Returns how many queries matched something."""
    from whoosh import query as Q

    auto, Q.Or.matcher_type = Q.Or.matcher_type, Q.Or.DEFAULT_MATCHER
    try:
        return _compare(ai, queries, k)
    finally:
        Q.Or.matcher_type = auto


def _compare(ai, queries, k) -> int:
    from indexer.query import parse
    from indexer.whoosh_engine.ranking import top_docs
    from indexer.whoosh_engine.translate import to_whoosh

    nonempty = 0
    with ai.searcher() as s:
        for text in queries:
            q = to_whoosh(parse(text))
            ranked = top_docs(s, q, k)
            assert ranked is not None, f"{text}: not ranked by indexer/whoosh_engine/ranking.py"
            ours, matched = ranked
            every = [(hit.score, hit.docnum) for hit in s.search(q, limit=None)]
            theirs = sorted(every, key=lambda t: (-t[0], t[1]))[:k]
            assert [d for _, d in ours] == [d for _, d in theirs], text
            for (a, _), (b, _) in zip(ours, theirs):
                assert abs(a - b) <= 1e-9 * max(1.0, abs(b)), (text, a, b)
            assert sorted(matched.tolist()) == sorted(d for _, d in every), text
            nonempty += bool(ours)
    return nonempty
