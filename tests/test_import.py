"""wenshu import: a verified package lands in another archive losing nothing and overwriting nothing."""

from __future__ import annotations


import pytest
from click.testing import CliRunner

from archive.errors import WenshuError
from archive.filing import iter_records
from archive.record import IMPORTED
from archive.store import Archive
from archive.transfer.export import Selection, export_package
from archive.transfer.importer import import_package
from transfer_helpers import add_records, by_code, config, rewrite_zip
from wenshu.cli import main
from wenshu.indexing import index_filed


def _snapshot(archive: Archive) -> dict:
    """Everything a second import must leave untouched: every file's bytes and the ledger."""
    files = {str(p.relative_to(archive.root)): p.read_bytes() for p in archive.root.rglob("*")
             if p.is_file() and ".wenshu" not in p.parts}
    return {"files": files, "ledger": [e.as_dict() for e in archive.registry.entries(kind="all")]}


def _search(archive: Archive, text: str) -> list:
    index = pytest.importorskip("indexer.index")
    from indexer.search import search

    idx = index.ArchiveIndex(archive)
    try:
        return search(idx, text, limit=100).hits
    finally:
        idx.close()


@pytest.fixture
def county(tmp_path):
    a = Archive.init(tmp_path / "县局", config("A001", "高平市教育局"))
    recs = add_records(a, tmp_path / "src", 4, case_every=2)
    # a report that answers the first notice: the relation must follow the record
    folder, rec = by_code(a)[str(recs[2].archival_code)]
    rec.relations = [{"档号": str(recs[0].archival_code), "关系": "答复"}]
    rec.save(folder)
    yield a
    a.close()


@pytest.fixture
def city(tmp_path):
    a = Archive.init(tmp_path / "市局", config("B001", "晋城市教育局"))
    yield a
    a.close()


def test_round_trip_same_records_byte_identical_and_searchable(county, city, tmp_path):
    pkg = export_package(county, tmp_path / "p.zip", Selection(include_classified=True)).path
    result = import_package(city, pkg, actor="李四", on_filed=index_filed)
    assert [old for old, _ in result.imported] == [f"A001-WS·2022-D30-BGS-000{i}" for i in range(1, 5)]
    assert [new for _, new in result.imported] == [f"B001-WS·2022-D30-BGS-000{i}" for i in range(1, 5)]

    source = {str(r.archival_code): (f, r) for f, r in iter_records(county)}
    received = list(iter_records(city))
    assert len(received) == 4
    for folder, rec in received:
        old_code = rec.source["原档号"]
        src_folder, src = source[old_code]
        assert rec.origin == IMPORTED and rec.source["原全宗号"] == "A001"
        assert rec.source["原全宗名称"] == "高平市教育局"
        for attr in ("title", "author", "date", "doc_number", "doc_type", "classification", "pages",
                     "recipients", "cc", "keywords", "template", "extra"):
            assert getattr(rec, attr) == getattr(src, attr), attr
        assert rec.retention == src.retention and rec.year == src.year
        assert [(f.name, f.sha256, f.size, f.role) for f in rec.files] == \
               [(f.name, f.sha256, f.size, f.role) for f in src.files]
        for f in rec.files:
            assert (folder / f.name).read_bytes() == (src_folder / f.name).read_bytes()
        # history: the sender's entries, the 移交 itself, then the receipt
        assert src.history[-1].action == "移交"  # the sender's record remembers the export…
        assert [h.action for h in rec.history] == [*(h.action for h in src.history), "移交接收"]
        if src.case:
            assert rec.case == f"A001/{src.case}" and rec.source["原案件"] == src.case
    answer = next(r for _, r in received if r.relations)
    assert answer.relations == [{"档号": "B001-WS·2022-D30-BGS-0001", "原档号": "A001-WS·2022-D30-BGS-0001",
                                 "关系": "答复"}]
    assert "已编入全文索引（8 个文件）" in result.index_note
    hits = _search(city, "住家家教")
    assert {h.code for h in hits} >= {"B001-WS·2022-D30-BGS-0002"}


def test_second_import_changes_nothing(county, city, tmp_path):
    pkg = export_package(county, tmp_path / "p.zip", Selection()).path
    first = import_package(city, pkg)
    before = _snapshot(city)
    again = import_package(city, pkg)
    assert again.imported == [] and [b for _, b in again.skipped] == [b for _, b in first.imported]
    assert _snapshot(city) == before
    res = CliRunner().invoke(main, ["import", "--archive", str(city.root), str(pkg)])
    assert res.exit_code == 0 and "已导入 0 件，已存在而跳过 4 件" in res.output
    assert _snapshot(city) == before


def test_own_package_back_into_the_sender_changes_nothing(county, tmp_path):
    pkg = export_package(county, tmp_path / "p.zip", Selection()).path
    before = _snapshot(county)
    result = import_package(county, pkg)
    assert result.imported == [] and len(result.skipped) == 4
    assert all(old == new for old, new in result.skipped)
    assert _snapshot(county) == before


def test_failing_package_is_refused_and_nothing_changes(county, city, tmp_path):
    pkg = export_package(county, tmp_path / "p.zip", Selection()).path
    doc = "电子档案/2022/A001-WS·2022-D30-BGS-0001/高教字〔2022〕1号.docx"
    bad = rewrite_zip(pkg, tmp_path / "bad.zip", drop={doc})
    before = _snapshot(city)
    with pytest.raises(WenshuError, match="未通过四性检测，未导入任何记录") as e:
        import_package(city, bad)
    assert doc in str(e.value) and "电子文件齐全性检测" in str(e.value)
    assert _snapshot(city) == before
    res = CliRunner().invoke(main, ["import", "--archive", str(city.root), str(bad)])
    assert res.exit_code == 1 and "错误：数据包 bad.zip 未通过四性检测" in res.output


def test_same_code_with_different_content_is_a_conflict(county, city, tmp_path):
    import_package(city, export_package(county, tmp_path / "p1.zip", Selection()).path)
    # Another archive that (wrongly) uses the same 全宗号: same 档号, different documents.
    twin = Archive.init(tmp_path / "重名全宗", config("A001", "高平市教育局"))
    add_records(twin, tmp_path / "src2", 2, author="高平市教育局办公室")
    p2 = export_package(twin, tmp_path / "p2.zip", Selection()).path
    twin.close()
    before = _snapshot(city)
    with pytest.raises(WenshuError, match="冲突") as e:
        import_package(city, p2)
    assert "A001-WS·2022-D30-BGS-0001 已导入为 B001-WS·2022-D30-BGS-0001" in str(e.value)
    assert _snapshot(city) == before


def test_ten_county_packages_stay_apart_in_one_city_archive(city, tmp_path):
    packages = []
    for n in range(1, 11):
        fonds = f"A{100 + n}"
        a = Archive.init(tmp_path / f"县{n}", config(fonds, f"第{n}县教育局"))
        add_records(a, tmp_path / f"src{n}", 2, author=f"第{n}县教育局", prefix="县教字", case_every=2, pdf=False)
        packages.append(export_package(a, tmp_path / f"{fonds}.zip", Selection()).path)
        a.close()
    for p in packages:
        import_package(city, p)
    received = [r for _, r in iter_records(city)]
    assert len(received) == 20
    origins = {(r.source["原全宗号"], r.source["原档号"]) for r in received}
    assert len(origins) == 20  # the same 档号 pattern in ten 全宗, none merged with another
    for n in range(1, 11):
        fonds = f"A{100 + n}"
        mine = sorted(r.source["原档号"] for r in received if r.source["原全宗号"] == fonds)
        assert mine == [f"{fonds}-WS·2022-D30-BGS-0001", f"{fonds}-WS·2022-D30-BGS-0002"]
        assert {r.author for r in received if r.source["原全宗号"] == fonds} == {f"第{n}县教育局"}
    cases = {r.case for r in received if r.case}
    assert len(cases) == 10 and all(c.endswith("/督2022-01") for c in cases)  # one case per county, not one merged
    assert sorted(str(r.archival_code) for r in received) == [f"B001-WS·2022-D30-BGS-{i:04d}" for i in range(1, 21)]
    # every package re-imported: nothing new
    for p in packages:
        assert import_package(city, p).imported == []
    hits = _search(city, "双减")
    assert len({h.code for h in hits}) == 20
    assert {h.author for h in _search(city, "第3县教育局")} >= {"第3县教育局"}


def test_without_an_index_hook_the_import_says_the_index_was_not_updated(county, city, tmp_path):
    pkg = export_package(county, tmp_path / "p.zip", Selection()).path
    result = import_package(city, pkg)
    assert len(result.imported) == 4 and "未更新全文索引" in result.index_note

def test_doc_number_already_filed_here_is_found_before_anything_is_written(county, city, tmp_path):
    pkg = export_package(county, tmp_path / "p.zip", Selection()).path
    # The city archive issued 高教字〔2022〕1号 itself and filed a record under it.
    number = city.registry.issue(city.prefix("高教字"), 2022, "本局自己的通知")
    assert str(number) == "高教字〔2022〕1号"
    add_records(city, tmp_path / "own", 1, author="晋城市教育局")
    before = _snapshot(city)
    with pytest.raises(WenshuError, match="冲突") as e:
        import_package(city, pkg)
    assert "文号 高教字〔2022〕1号 在本档案库已归档为 B001-WS·2022-D30-BGS-0001" in str(e.value)
    assert _snapshot(city) == before


def test_failure_half_way_keeps_what_was_filed_and_a_rerun_finishes(county, city, tmp_path, monkeypatch):
    from archive.transfer import importer

    pkg = export_package(county, tmp_path / "p.zip", Selection()).path
    real, calls = importer.file_record, []

    def disk_full_on_third(*args, **kw):
        calls.append(1)
        if len(calls) == 3:
            raise WenshuError("磁盘空间不足")
        return real(*args, **kw)

    monkeypatch.setattr(importer, "file_record", disk_full_on_third)
    with pytest.raises(WenshuError, match="导入 A001-WS·2022-D30-BGS-0003 时出错：磁盘空间不足（已导入 2 件"):
        import_package(city, pkg)
    assert len(list(iter_records(city))) == 2
    monkeypatch.undo()
    result = import_package(city, pkg)
    assert len(result.skipped) == 2 and [a for a, _ in result.imported] == ["A001-WS·2022-D30-BGS-0003",
                                                                           "A001-WS·2022-D30-BGS-0004"]
    answer = next(r for _, r in iter_records(city) if r.relations)
    assert answer.relations[0]["原档号"] == "A001-WS·2022-D30-BGS-0001"
