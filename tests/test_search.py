"""The search language on a small archive: the 课后服务 case, single characters, phrases, NOT,
mixed Chinese/ASCII, filters, paging, sorting, and the ``wenshu search`` command."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from archive.archival_code import ArchivalCode, Retention
from archive.docnumber import DocNumber
from archive.errors import WenshuError
from archive.record import Record
from indexer.index import ArchiveIndex
from indexer.search import search
from tests.pg_helpers import pg_cluster, search_engine, use_search_server, whoosh_only  # noqa: F401 — fixtures
from wenshu.cli import main

DOCS = [
    # (件号, 题名, 文号, 日期, 文种, 责任者, 案件, body)
    (1, "关于进一步做好课后服务工作的通知", "高教字〔2022〕3号", date(2022, 3, 1), "通知", "高平市教育局", "",
     "经督查，全市学校课后服务基本满足学生需要。各校要落实5+2模式，严禁有偿补课。"),
    (2, "关于某培训机构隐形变异违规培训的督办函", "高教督函〔2022〕7号", date(2022, 5, 10), "函", "高平市教育局",
     "某培训机构违规培训案", "经查，该机构以住家家教、众筹私教等隐形变异方式开展学科类培训，请于2022年6月30日前整改。"),
    (3, "关于幼儿园课后服务收费的复函", "高教字〔2021〕15号", date(2021, 9, 2), "函", "高平市教育局", "",
     "幼儿园不得以课后服务名义收取费用。隐形的变异做法同样禁止。"),
    (4, "关于报送2022年师德师风建设情况的通知", "高教字〔2022〕9号", date(2022, 6, 20), "通知", "高平市教育局、高平市人力资源和社会保障局", "",
     "根据高教督函〔2022〕7号要求，请各校于7月1日前报送师德师风建设情况，含教师有偿补课自查结果。"),
]


def indexed_archive(root, records, database: str | None = None):
    """An archive at ``root`` holding (Record, text) pairs as record folders with 正文.txt, indexed
    (by PostgreSQL when ``database`` is a URL: tests/pg_helpers.search_engine)."""
    from archive.store import Archive
    from tests.conftest import make_config

    archive = Archive.init(root, make_config())
    if database:
        use_search_server(archive, database)
    for rec, body in records:
        folder = archive.root / rec.relative_folder()
        folder.mkdir(parents=True)
        rec.save(folder)
        (folder / "正文.txt").write_text(body, encoding="utf-8")
    ai = ArchiveIndex(archive, notify=lambda m: None)
    ai.rebuild()
    return archive, ai


@pytest.fixture(scope="module")
def small(tmp_path_factory, search_engine):  # noqa: F811
    archive, ai = indexed_archive(tmp_path_factory.mktemp("small") / "档案库", [
        (Record(ArchivalCode("A001", day.year, Retention.YEARS_30, "JJK", item), title, author=author, date=day,
                doc_number=DocNumber.parse(dn), doc_type=kind, case=case), body)
        for item, title, dn, day, kind, author, case, body in DOCS], search_engine)
    yield ai
    archive.close()


def titles(ai, text, **kw):
    return [h.title for h in search(ai, text, limit=50, **kw).hits]


def test_word_inside_a_longer_run_is_found(small):
    res = search(small, "课后服务")
    found = {h.title for h in res.hits}
    assert "关于进一步做好课后服务工作的通知" in found and "关于幼儿园课后服务收费的复函" in found
    body_hit = next(h for h in res.hits if h.title.startswith("关于进一步"))
    assert "学校<b>课后服务</b>基本满足学生需要" in body_hit.snippet


def test_query_split_differently_from_the_text_is_still_found(small):
    # "生需" straddles two jieba words (学生|需要): only the bigram fields can find it
    res = search(small, "生需")
    assert [h.title for h in res.hits] == ["关于进一步做好课后服务工作的通知"]
    assert "<b>生需</b>" in res.hits[0].snippet


def test_single_characters(small):
    assert titles(small, "稚") == []
    assert set(titles(small, "园")) == {"关于幼儿园课后服务收费的复函"}
    assert "关于某培训机构隐形变异违规培训的督办函" in titles(small, "督")


def test_phrase_needs_the_characters_in_order(small):
    assert titles(small, '"隐形变异"') == ["关于某培训机构隐形变异违规培训的督办函"]
    # the unquoted words match both documents (隐形 … 变异 in 隐形的变异)
    assert set(titles(small, "隐形 变异")) == {"关于某培训机构隐形变异违规培训的督办函", "关于幼儿园课后服务收费的复函"}
    assert titles(small, '"服务学校"') == []


def test_not_and_or(small):
    assert set(titles(small, "课后服务 NOT 幼儿园")) == {"关于进一步做好课后服务工作的通知"}
    assert set(titles(small, "课后服务 -幼儿园")) == {"关于进一步做好课后服务工作的通知"}
    assert set(titles(small, "住家家教 OR 师德师风")) == {"关于某培训机构隐形变异违规培训的督办函",
                                                       "关于报送2022年师德师风建设情况的通知"}
    assert set(titles(small, "(住家家教 OR 师德师风) 有偿补课")) == {"关于报送2022年师德师风建设情况的通知"}
    assert len(titles(small, "NOT 课后服务")) == 2


def test_mixed_chinese_and_ascii(small):
    assert titles(small, "5+2") == ["关于进一步做好课后服务工作的通知"]
    assert titles(small, "5+2模式") == ["关于进一步做好课后服务工作的通知"]
    got = titles(small, "2022")
    assert "关于报送2022年师德师风建设情况的通知" == got[0]  # in the title: first
    assert "关于某培训机构隐形变异违规培训的督办函" in got  # 2022年6月30日 in the text
    assert titles(small, "５＋２") == ["关于进一步做好课后服务工作的通知"]  # full-width typed


def test_domain_words_are_single_tokens():
    from indexer.analysis import query_words

    for word in ("双减", "课后服务", "校外培训机构", "隐形变异", "住家家教", "众筹私教", "督办函", "整改通知书", "师德师风"):
        assert query_words(word) == [word]


def test_docnum_finds_the_document_then_those_citing_it(small):
    res = search(small, "高教督函[2022]7号")
    assert [h.title for h in res.hits] == ["关于某培训机构隐形变异违规培训的督办函", "关于报送2022年师德师风建设情况的通知"]
    # the citing text is marked at the number as it is written there, not at pieces of it
    assert "根据<b>高教督函〔2022〕7号</b>要求" in res.hits[1].snippet
    assert res.hits[1].snippet.count("<b>") == 1
    assert titles(small, "文号:高教督函（２０２２）７号") == ["关于某培训机构隐形变异违规培训的督办函"]


def test_field_filters(small):
    assert titles(small, "文号:高教督函[2022]7号") == ["关于某培训机构隐形变异违规培训的督办函"]
    assert set(titles(small, "类型:函")) == {"关于某培训机构隐形变异违规培训的督办函", "关于幼儿园课后服务收费的复函"}
    assert set(titles(small, "年度:2021")) == {"关于幼儿园课后服务收费的复函"}
    assert len(titles(small, "年度:2021..2022")) == 4
    assert set(titles(small, "日期:2022-03-01..2022-05-31")) == {"关于进一步做好课后服务工作的通知",
                                                               "关于某培训机构隐形变异违规培训的督办函"}
    assert set(titles(small, "日期:2022-06")) == {"关于报送2022年师德师风建设情况的通知"}
    assert len(titles(small, "机关:高平市教育局")) == 4
    assert titles(small, "机关:高平市人力资源和社会保障局") == ["关于报送2022年师德师风建设情况的通知"]
    assert titles(small, "机关:高平市") == []  # exact, not a substring
    assert titles(small, "案件:某培训机构违规培训案") == ["关于某培训机构隐形变异违规培训的督办函"]
    assert len(titles(small, "保管期限:30年")) == 4 and titles(small, "保管期限:永久") == []
    assert titles(small, "题名:督办函 org:高平市教育局") == ["关于某培训机构隐形变异违规培训的督办函"]
    assert titles(small, "课后服务", doctype="通知", year=2022) == ["关于进一步做好课后服务工作的通知"]
    assert titles(small, "课后服务", date_from=date(2021, 1, 1), date_to=date(2021, 12, 31)) == [
        "关于幼儿园课后服务收费的复函"]


def test_bad_filters_are_explained(small):
    for text, word in (("日期:2022-13-01", "日期"), ("年度:二〇二二", "年度"), ("保管期限:99年", "保管期限"),
                       ("", "检索式为空"), ("文号:", "缺少取值")):
        with pytest.raises(WenshuError, match=word):
            search(small, text)


def test_sorting_paging_and_facets(small):
    res = search(small, "年度:2021..2022", sort="date")
    assert [h.date for h in res.hits] == ["2022-06-20", "2022-05-10", "2022-03-01", "2021-09-02"]
    page2 = search(small, "年度:2021..2022", sort="date", limit=3, page=2)
    assert page2.total == 4 and page2.pages == 2 and [h.rank for h in page2.hits] == [4]
    res = search(small, "课后服务", facets=True)
    assert res.facets["年度"] == {"2022": 1, "2021": 1}
    assert res.facets["文种"] == {"通知": 1, "函": 1}
    assert res.facets["机关"] == {"高平市教育局": 2}


def test_wenshu_search_command(small):
    root = str(small.root)
    out = CliRunner().invoke(main, ["search", "课后服务", "--archive", root])
    assert out.exit_code == 0, out.output
    assert "高教字〔2022〕3号" in out.output and "学校「课后服务」基本满足学生需要" in out.output
    assert "年度：" in out.output
    out = CliRunner().invoke(main, ["search", "高教督函（２０２２）７", "--json", "--archive", root])
    data = json.loads(out.output)
    assert data["hits"][0]["docnum"] == "高教督函〔2022〕7号" and data["hits"][0]["path"].endswith("正文.txt")
    out = CliRunner().invoke(main, ["search", "课后服务", "--type", "函", "--from", "2021-01-01", "--to", "2021-12-31",
                                    "--sort", "date", "--archive", root])
    assert "关于幼儿园课后服务收费的复函" in out.output and "做好课后服务工作" not in out.output
    out = CliRunner().invoke(main, ["search", "课后服务", "-幼儿园", "--archive", root, "--no-facets"])
    assert out.exit_code == 0 and "找到 1 件" in out.output, out.output
    out = CliRunner().invoke(main, ["search", "日期:2022-02-30", "--archive", root])
    assert out.exit_code != 0 and "错误：日期" in out.output


def test_ranking_on_arrays_is_whooshs_ranking(small, tmp_path):
    """indexer/whoosh_engine/ranking.py replaces whoosh's one-document-at-a-time scoring for free text; the
    hits, their order and scores must be whoosh's — also with a record re-indexed (deleted
    postings in an old segment, a second segment)."""
    from tests.search_helpers import assert_ranked_like_whoosh

    whoosh_only(small)
    queries = ["课后服务", "课后服务 学校", "隐形变异 OR 住家家教", "课后服务 NOT 幼儿园", '"隐形变异"', "5+2",
               "高教督函〔2022〕7号", "2022", "有偿补课 师德师风", "服务 -收费", "(双减 OR 补课) 教师",
               "课后服务 年度:2022", "日期:2022-03-01..2022-05-31", "年度:2021..2022 类型:函", "补课 日期:2022"]
    assert assert_ranked_like_whoosh(small, queries) >= 13
    body = next(small.root.rglob("正文.txt"))
    old = body.read_text(encoding="utf-8")
    try:
        body.write_text(old + "课后服务课后服务，有偿补课。", encoding="utf-8")
        small.upsert_files([body], merge=False)
        with small.searcher() as s:
            assert s.reader().has_deletions() and len(s.reader().leaf_readers()) == 2
        assert assert_ranked_like_whoosh(small, queries) >= 13
    finally:
        body.write_text(old, encoding="utf-8")
        small.upsert_files([body])


def test_single_character_and_negative_only_queries_rank_like_whoosh(small):
    """A lone character is a prefix over bigrams, "-词" alone is every document but those:
    both ranked on arrays too, as whoosh ranks them."""
    from tests.search_helpers import assert_ranked_like_whoosh

    whoosh_only(small)
    assert assert_ranked_like_whoosh(small, ["课", "函", "3条", "-幼儿园", "NOT 课后服务", "学 校"]) >= 5


def test_a_word_standing_as_a_word_ranks_above_the_same_characters_by_chance(tmp_path, search_engine):  # noqa: F811
    """研究生 in 研究生物学 holds all its bigrams but is not the word: it matches (recall never
    depends on segmentation) and ranks below the text where 研究生 is a word."""
    texts = {1: "各校要组织教师研究生物学，研究生物学课堂教学。", 2: "各校要组织教师报考研究生招生考试，按时报送。"}
    archive, ai = indexed_archive(tmp_path / "档案库", [
        (Record(ArchivalCode("A001", 2022, Retention.YEARS_30, "JJK", item), f"情况说明{item}",
                author="高平市教育局", date=date(2022, 3, item), doc_type="报告"), text) for item, text in texts.items()],
        search_engine)
    assert [h.title for h in search(ai, "研究生").hits] == ["情况说明2", "情况说明1"]
    archive.close()
