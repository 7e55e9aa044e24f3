"""A record page's links — its case in date order, what its text cites, what cites it — come from
the index through the engine (EngineReader.having), so they are the same on whoosh and on
PostgreSQL, and a record above the reader's clearance is in none of them."""

from __future__ import annotations

from indexer.index import ArchiveIndex
from tests.pg_helpers import pg_cluster, search_engine, use_search_server  # noqa: F401 — fixtures
from tests.web_helpers import LETTER_DN, NOTICE_DN, build_archive
from wenshu.web.records import find, related


def test_case_cites_and_cited_by_on_either_engine(tmp_path, search_engine):  # noqa: F811
    archive, codes = build_archive(tmp_path / "档案库")
    if search_engine:
        use_search_server(archive, search_engine)
    ai = ArchiveIndex(archive, notify=lambda m: None)
    ai.rebuild()
    _folder, notice = find(archive, codes["notice"])
    _folder, letter = find(archive, codes["letter"])

    of_notice = related(ai, notice, visible=lambda classification: classification != "机密")
    assert [r["code"] for r in of_notice["case"]] == [codes["letter"]]  # same case, not itself
    assert [r["docnum"] for r in of_notice["cited_by"]] == [LETTER_DN]  # the letter cites 高教字〔2022〕8号
    of_letter = related(ai, letter, visible=lambda classification: classification != "机密")
    assert [r["docnum"] for r in of_letter["cites"]] == [NOTICE_DN]
    assert [r["code"] for r in of_letter["case"]] == [codes["notice"]]

    hidden = related(ai, letter, visible=lambda classification: False)  # nothing the reader may not see
    assert hidden == {"case": [], "cites": [], "cited_by": []}
    archive.close()
