"""Exchange (互通): a package that brings a document the receiving archive already holds is
imported all the same — the overlap is linked to the record here, not filed twice and not a
reason to refuse the rest — and the sender's 档号 stays a searchable field (原档号)."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from archive.errors import WenshuError
from archive.fields import parse_assignments
from archive.filing import file_record, iter_records
from archive.record import IMPORTED, Record
from archive.store import Archive
from archive.transfer.export import Selection, export_package
from archive.transfer.importer import LINK_ACTION, LINKED, import_package
from test_import import _snapshot
from transfer_helpers import add_records, by_code, config
from wenshu.cli import main

SHARED = "A001-WS·2022-D30-BGS-0002"  # the county's notice the city filed itself as 收文


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def county(tmp_path):
    a = Archive.init(tmp_path / "县局", config("A001", "高平市教育局"))
    recs = add_records(a, tmp_path / "src", 4)
    # the county's report answers the notice the city already holds: the relation must land there
    folder, rec = by_code(a)[str(recs[2].archival_code)]
    rec.relations = [{"档号": SHARED, "关系": "答复"}]
    rec.save(folder)
    yield a
    a.close()


@pytest.fixture
def city(tmp_path, county):
    """The city bureau received the county's notice (the same .docx bytes) and filed it itself,
    with ``wenshu file``, the way a clerk does, before the county's year is handed over."""
    a = Archive.init(tmp_path / "市局", config("B001", "晋城市教育局"))
    folder, rec = by_code(county)[SHARED]
    received = tmp_path / "收文" / rec.files[0].name
    received.parent.mkdir()
    shutil.copyfile(folder / rec.files[0].name, received)
    res = _cli("file", "--archive", a.root, received, "--set", "责任者=高平市教育局", "--set", "日期=2022-03-03")
    assert res.exit_code == 0, res.output
    yield a
    a.close()


def test_overlap_is_linked_rest_imported_second_import_changes_nothing(county, city, tmp_path):
    [(_, own)] = list(iter_records(city))
    own_code = str(own.archival_code)
    assert own_code == "B001-WS·2022-D30-0001" and own.origin == "收文"
    pkg = export_package(county, tmp_path / "2022.zip", Selection()).path

    res = _cli("import", "--archive", city.root, pkg)
    assert res.exit_code == 0, res.output
    assert "已导入 3 件，已存在而跳过 0 件，本库已有而关联 1 件。" in res.output
    assert f"  {SHARED} ＝ {own_code}（文件 sha256 相同）" in res.output

    records = by_code(city)
    assert len(records) == 4  # the shared notice is not filed a second time
    imported = {r.original_code: r for _, r in records.values() if r.origin == IMPORTED}
    assert sorted(imported) == ["A001-WS·2022-D30-BGS-0001", "A001-WS·2022-D30-BGS-0003",
                                "A001-WS·2022-D30-BGS-0004"]
    # the record here knows the sender's copy: 关联 + a history line naming both
    folder, linked = records[own_code]
    assert linked.relations == [{"原全宗号": "A001", "原档号": SHARED, "关系": LINKED}]
    assert linked.history[-1].action == LINK_ACTION and SHARED in linked.history[-1].detail
    assert [f.sha256 for f in linked.files] == [own.files[0].sha256]  # its files untouched
    # the county's answer now points at the city's own record of the notice
    answer = imported["A001-WS·2022-D30-BGS-0003"]
    assert answer.relations == [{"档号": own_code, "原档号": SHARED, "关系": "答复"}]

    # a second import (CLI and library) changes nothing: counts, files, ledger
    before = _snapshot(city)
    again = _cli("import", "--archive", city.root, pkg)
    assert again.exit_code == 0, again.output
    assert "已导入 0 件，已存在而跳过 4 件。" in again.output and "关联" not in again.output
    result = import_package(city, pkg)
    assert result.imported == [] and result.linked == [] and len(result.skipped) == 4
    assert (SHARED, own_code) in result.skipped
    assert _snapshot(city) == before and len(list(iter_records(city))) == 4


def test_original_code_is_shown_listed_and_searchable(county, city, tmp_path):
    pkg = export_package(county, tmp_path / "2022.zip", Selection()).path
    assert _cli("import", "--archive", city.root, pkg).exit_code == 0
    [(folder, rec)] = [(f, r) for f, r in iter_records(city) if r.original_code == "A001-WS·2022-D30-BGS-0004"]
    code = str(rec.archival_code)
    assert json.loads((folder / "record.json").read_text(encoding="utf-8"))["原档号"] == "A001-WS·2022-D30-BGS-0004"

    show = _cli("show", "--archive", city.root, code)
    assert show.exit_code == 0 and "原档号：A001-WS·2022-D30-BGS-0004" in show.output
    listed = _cli("list", "--archive", city.root)
    assert listed.exit_code == 0 and "原档号" in listed.output
    row = next(line for line in listed.output.splitlines() if code in line)
    assert "A001-WS·2022-D30-BGS-0004" in row

    found = _cli("search", "--archive", city.root, "--json", "原档号:A001-WS·2022-D30-BGS-0004")
    assert found.exit_code == 0, found.output
    assert {h["code"] for h in json.loads(found.output)["hits"]} == {code}
    # a leading part of a 档号 works as for 档号: every record from the county's 全宗
    by_fonds = _cli("search", "--archive", city.root, "--json", "--limit", "50", "原档号:A001")
    codes = {h["code"] for h in json.loads(by_fonds.output)["hits"]}
    # the three imported ones; not the city's own 收文 of the shared notice (it has no 原档号)
    assert codes == {str(r.archival_code) for _, r in iter_records(city) if r.origin == IMPORTED}
    assert len(codes) == 3


def test_same_number_title_and_author_links_without_the_same_bytes(county, tmp_path):
    """The city holds the county's notice as a scan (other bytes) filed under its 文号, 题名 and
    责任者: it is the same document, linked, not a conflict."""
    city = Archive.init(tmp_path / "市局2", config("B001", "晋城市教育局"))
    try:
        _, src = by_code(county)["A001-WS·2022-D30-BGS-0001"]
        scan = tmp_path / "扫描件.txt"
        scan.write_text(f"{src.title}\n（扫描件）", encoding="utf-8")
        own = file_record(city, [(scan, "原件")], {"title": src.title, "author": src.author,
                                                   "doc_number": str(src.doc_number), "origin": "收文"})
        result = import_package(city, export_package(county, tmp_path / "p.zip", Selection()).path)
        assert result.linked == [("A001-WS·2022-D30-BGS-0001", str(own.archival_code), "文号、题名、责任者相同")]
        assert len(result.imported) == 3
    finally:
        city.close()


def test_original_code_is_not_settable_and_is_length_checked(city):
    with pytest.raises(WenshuError, match="不能直接修改“原档号”"):
        parse_assignments(["原档号=A001-WS·2022-D30-0048"])
    _, rec = next(iter_records(city))
    rec.original_code = "A" * 101
    with pytest.raises(WenshuError, match="原档号过长（101 字）.*请核对来源数据包"):
        rec.validate()
    # records imported before the field existed kept it in 原始来源: it is read from there
    old = rec.to_json()
    old.pop("原档号", None)
    old["原始来源"] = {"原全宗号": "A001", "原档号": "A001-WS·2022-D30-0048"}
    assert Record.from_json(old).original_code == "A001-WS·2022-D30-0048"
