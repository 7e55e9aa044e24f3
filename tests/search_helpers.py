"""Shared check: indexer/ranking.py must rank exactly as whoosh scores."""

from __future__ import annotations


def assert_ranked_like_whoosh(ai, queries, k: int = 20) -> int:
    """For each query: the same matching documents, and as top ``k`` the best of whoosh's own
    scores for all of them, in order (score, then document number). Compared with whoosh
    scoring every match (``limit=None``): with ``limit=k`` whoosh's early-termination
    shortcuts (``Matcher.replace``) can drop better documents — for 院办公厅 on the corpus it
    missed five of the true top ten. Returns how many queries matched something."""
    from indexer.query import parse
    from indexer.ranking import top_docs

    nonempty = 0
    with ai.searcher() as s:
        for text in queries:
            q = parse(text)
            ranked = top_docs(s, q, k)
            assert ranked is not None, f"{text}: not ranked by indexer/ranking.py"
            ours, matched = ranked
            every = [(hit.score, hit.docnum) for hit in s.search(q, limit=None)]
            theirs = sorted(every, key=lambda t: (-t[0], t[1]))[:k]
            assert [d for _, d in ours] == [d for _, d in theirs], text
            for (a, _), (b, _) in zip(ours, theirs):
                assert abs(a - b) <= 1e-9 * max(1.0, abs(b)), (text, a, b)
            assert sorted(matched.tolist()) == sorted(d for _, d in every), text
            nonempty += bool(ours)
    return nonempty
