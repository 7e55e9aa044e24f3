"""file_record: 档号, all-or-nothing filing, refusing bad input with nothing half-filed."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

import archive.filing as filing
from archive.errors import WenshuError
from archive.filing import file_record, find_record, iter_records, staging_leftovers
from archive.registry import ISSUED, VOID
from tests.conftest import write_docx


def _docx(path, *paragraphs):
    return write_docx(path, paragraphs or ("关于测试的通知",))


def _state(archive):
    """Everything filing may touch: the files under the root, and the 件号 ledger."""
    files = sorted(str(p.relative_to(archive.root)) for p in archive.root.rglob("*")
                   if ".wenshu" not in p.parts or p.parent.name == "staging")
    return files, [(e.series, e.year, e.seq, e.status) for e in archive.registry.entries(kind="item")]


def test_archival_code_form_and_continuity(archive, tmp_path):
    codes = []
    for i in range(3):
        p = _docx(tmp_path / f"{i}.docx", f"文件{i}")
        r = file_record(archive, [(p, "正本")], {"title": f"关于第{i}件事的通知", "date": date(2022, 3, 25 + i)},
                        org="BGS")
        codes.append(str(r.archival_code))
    assert codes == ["A001-WS·2022-D30-BGS-0001", "A001-WS·2022-D30-BGS-0002", "A001-WS·2022-D30-BGS-0003"]
    p = _docx(tmp_path / "y.docx", "永久")
    r = file_record(archive, [(p, "正本")], {"title": "永久保管的文件", "date": "2022-05-01"}, retention="Y")
    assert str(r.archival_code) == "A001-WS·2022-Y-0001"  # own series, 机构代码 omitted with its hyphen
    p = _docx(tmp_path / "n.docx", "无日期")
    r = file_record(archive, [(p, "正本")], {"title": "无日期的文件"})
    assert r.archival_code.year == date.today().year
    folder = archive.root / "2022" / "A001-WS·2022-D30-BGS-0002 关于第1件事的通知"
    data = json.loads((folder / "record.json").read_text(encoding="utf-8"))
    assert data["档号"] == "A001-WS·2022-D30-BGS-0002" and data["件号"] == 2
    assert data["文件"][0]["名称"] == "1.docx" and data["文件"][0]["角色"] == "正本"
    assert data["历史"][0]["动作"] == "归档"
    assert list(data) == sorted(data)
    assert (folder / "1.docx").read_bytes() == (tmp_path / "1.docx").read_bytes()
    assert (tmp_path / "1.docx").exists()  # copied, not moved
    assert [e.status for e in archive.registry.entries(kind="item")] == [ISSUED] * 5
    assert not archive.registry.gaps(kind="item")


def test_move_removes_source_only_after_filing(archive, tmp_path):
    p = _docx(tmp_path / "m.docx")
    r = file_record(archive, [(p, "原件")], {"title": "移入的文件", "date": "2021-01-02"}, move=True)
    assert not p.exists()
    folder, rec = find_record(archive, str(r.archival_code))
    assert (folder / "m.docx").is_file() and rec.title == "移入的文件"


def test_find_record_by_any_spelling_of_the_doc_number(archive, tmp_path):
    n = archive.registry.issue(archive.prefix("高教字"), 2022, "关于做好寒假期间安全工作的通知")
    p = _docx(tmp_path / "a.docx")
    r = file_record(archive, [(p, "正本")], {"title": "关于做好寒假期间安全工作的通知", "date": "2022-01-10",
                                             "doc_number": "高教字[2022]1号"})
    assert r.doc_number == n
    assert archive.registry.find(n).record == str(r.archival_code)  # the ledger links 文号 → 档号
    for key in ("高教字〔2022〕1号", "高教字（２０２２）1", "高教字【2022】第1号", str(r.archival_code)):
        assert find_record(archive, key)[1].archival_code == r.archival_code
    with pytest.raises(WenshuError, match="没有档号或文号"):
        find_record(archive, "高教字〔2022〕99号")


def test_find_record_by_archival_code_reads_only_its_folder_and_still_finds_a_renamed_one(archive, tmp_path,
                                                                                      monkeypatch):
    records = [file_record(archive, [(_docx(tmp_path / f"{i}.docx", f"第{i}份"), "正本")],
                           {"title": f"关于第{i}项工作的通知", "date": "2022-03-01"}) for i in range(5)]
    loads = []
    real_load = filing.Record.load
    monkeypatch.setattr(filing.Record, "load", lambda path: loads.append(path) or real_load(path))
    folder, rec = find_record(archive, str(records[3].archival_code))
    assert rec.archival_code == records[3].archival_code and len(loads) == 1  # not one read per record
    renamed = folder.with_name("手工改名的文件夹")
    folder.rename(renamed)
    assert find_record(archive, str(records[3].archival_code))[0] == renamed
    with pytest.raises(WenshuError, match="没有档号或文号"):
        find_record(archive, str(records[3].archival_code).rsplit("-", 1)[0] + "-0099")


def test_filings_in_a_row_do_not_reread_the_year_and_still_refuse_a_duplicate(archive, tmp_path, monkeypatch):
    files = [_docx(tmp_path / f"{i}.docx", f"第{i}份通知的正文") for i in range(6)]
    for i in range(4):
        file_record(archive, [(files[i], "正本")], {"title": f"关于第{i}项工作的通知", "date": "2022-03-01"})
    reads = []
    real = filing._record_digests
    monkeypatch.setattr(filing, "_record_digests", lambda folder, prev: reads.append(folder) or real(folder, prev))
    file_record(archive, [(files[4], "正本")], {"title": "关于第4项工作的通知", "date": "2022-03-01"})
    assert len(reads) <= 1  # the new record's own folder, not the four before it
    with pytest.raises(WenshuError, match="已在档案库中"):  # the record filed just before is known
        file_record(archive, [(tmp_path / "4.docx", "正本")], {"title": "重复", "date": "2022-03-02"})
    shutil.copyfile(files[1], tmp_path / "副本.docx")
    with pytest.raises(WenshuError, match="已在档案库中"):
        file_record(archive, [(tmp_path / "副本.docx", "正本")], {"title": "重复", "date": "2022-03-02"})


def test_failure_in_the_middle_leaves_nothing_and_voids_the_item_number(archive, tmp_path, monkeypatch):
    a, b = _docx(tmp_path / "a.docx"), _docx(tmp_path / "b.docx", "第二个")
    n = archive.registry.issue(archive.prefix("高教字"), 2022, "关于失败的通知")
    before = _state(archive)
    calls = []
    real_read = filing.read_verified

    def copy_then_fail(src, expect=None, copy_to=None):
        if copy_to is not None:
            calls.append(src)
            if len(calls) == 2:
                raise OSError(28, "No space left on device")
        return real_read(src, expect=expect, copy_to=copy_to)

    monkeypatch.setattr(filing, "read_verified", copy_then_fail)
    with pytest.raises(OSError):
        file_record(archive, [(a, "正本"), (b, "附件")],
                    {"title": "关于失败的通知", "date": "2022-02-02", "doc_number": str(n)}, move=True)
    files, ledger = _state(archive)
    assert files == before[0]  # no record folder, no staging leftover
    assert not staging_leftovers(archive)
    assert a.exists() and b.exists()  # move=True never loses a source on failure
    (item,) = archive.registry.entries(kind="item")
    assert item.status == VOID and "No space left" in item.reason and "归档失败" in item.reason
    assert archive.registry.find(n).record == ""
    monkeypatch.undo()
    r = file_record(archive, [(a, "正本")], {"title": "关于失败的通知", "date": "2022-02-02"})
    assert r.archival_code.item == 2  # the voided 件号 is never reused
    (gap,) = archive.registry.gaps(kind="item")
    assert "作废" in gap.explanation and "No space left" in gap.explanation


def test_failure_after_the_rename_takes_the_record_back(archive, tmp_path, monkeypatch):
    n = archive.registry.issue(archive.prefix("高教字"), 2022, "关于的通知")
    p = _docx(tmp_path / "a.docx")

    def broken(*args, **kw):
        raise WenshuError("登记簿写入失败")

    monkeypatch.setattr(archive.registry, "attach_record", broken)
    with pytest.raises(WenshuError, match="登记簿写入失败"):
        file_record(archive, [(p, "正本")], {"title": "关于的通知", "date": "2022-02-02", "doc_number": str(n)})
    assert list(iter_records(archive)) == []
    assert not (archive.root / "2022").exists() or not any((archive.root / "2022").iterdir())
    assert archive.registry.entries(kind="item")[0].status == VOID


def test_same_file_twice_is_refused_with_the_existing_code(archive, tmp_path):
    p = _docx(tmp_path / "a.docx")
    r = file_record(archive, [(p, "正本")], {"title": "第一次", "date": "2022-01-01"})
    copy = tmp_path / "副本.docx"
    shutil.copy(p, copy)
    before = _state(archive)
    with pytest.raises(WenshuError, match=f"副本.docx 已在档案库中（档号 {r.archival_code}"):
        file_record(archive, [(copy, "正本")], {"title": "第二次", "date": "2022-01-01"})
    assert _state(archive) == before



def test_duplicates_are_found_across_years_and_a_record_deleted_by_hand_frees_its_file(archive, tmp_path):
    p = _docx(tmp_path / "a.docx")
    r = file_record(archive, [(p, "正本")], {"title": "去年的", "date": "2021-12-30"})
    file_record(archive, [(_docx(tmp_path / "b.docx", "另一份"), "正本")], {"title": "今年的", "date": "2022-01-05"})
    with pytest.raises(WenshuError, match=str(r.archival_code)):
        file_record(archive, [(p, "正本")], {"title": "又一次", "date": "2022-02-01"})
    folder, _ = find_record(archive, str(r.archival_code))
    shutil.rmtree(folder)  # a clerk deletes the record in the file manager
    again = file_record(archive, [(p, "正本")], {"title": "重新归档", "date": "2022-02-01"})
    assert again.title == "重新归档"

def _refused(archive, files, fields, match, **kw):
    before = _state(archive)
    with pytest.raises(WenshuError, match=match):
        file_record(archive, files, fields, **kw)
    assert _state(archive) == before  # nothing half-filed, no 件号 burned


def test_bad_input_changes_nothing(archive, tmp_path):
    ok = _docx(tmp_path / "ok.docx")
    (tmp_path / "空.docx").write_bytes(b"")
    _refused(archive, [(tmp_path / "空.docx", "正本")], {"title": "空"}, "空.docx 是空文件")
    _refused(archive, [(tmp_path / "无.docx", "正本")], {"title": "无"}, "找不到文件")
    _refused(archive, [(tmp_path, "正本")], {"title": "目录"}, "不是文件")
    _refused(archive, [(ok, "正本")], {"title": "长" * 2000}, "题名过长（2000 字）")
    _refused(archive, [(ok, "正本")], {"title": "  "}, "题名不能为空")
    _refused(archive, [(ok, "正本")], {"title": "密", "classification": "内部"}, "密级")
    _refused(archive, [(ok, "正本")], {"title": "日期", "date": "2022-13-45"}, "日期")
    _refused(archive, [(ok, "正本")], {"title": "期限"}, "保管期限", retention="D20")
    _refused(archive, [(ok, "正本")], {"title": "机构"}, "机构代码“XYZ”未在", org="XYZ")
    _refused(archive, [(ok, "正本"), (ok, "副本")], {"title": "两次"}, "重复")
    r = file_record(archive, [(ok, "正本")], {"title": "正常", "date": "2022-01-01"})
    inside = next(archive.root.glob("2022/*/ok.docx"))
    _refused(archive, [(inside, "正本")], {"title": "库内"}, "位于档案库内部")
    _refused(archive, [(archive.config_path, "正本")], {"title": "配置"}, "位于档案库内部")
    assert r.archival_code.item == 1


def test_names_full_of_illegal_characters_and_long_titles_are_made_safe(archive, tmp_path):
    p = _docx(tmp_path / 'a\\b:c*d?e"f<g>h|i.docx')
    title = '关于\\/:*?"<>|的通知' + "很长" * 200
    r = file_record(archive, [(p, "正本")], {"title": title, "date": "2022-01-01"})
    folder, rec = find_record(archive, str(r.archival_code))
    assert rec.title == title  # the title itself is kept whole in record.json
    assert len(folder.name.encode()) <= 150 and not set('\\/:*?"<>|') & set(folder.name)
    assert folder.name.startswith("A001-WS·2022-D30-0001 关于_________的通知")
    assert rec.files[0].name == "a_b_c_d_e_f_g_h_i.docx" and (folder / rec.files[0].name).is_file()


def test_iter_records_reports_broken_record_json(archive, tmp_path):
    for i in range(2):
        file_record(archive, [(_docx(tmp_path / f"{i}.docx", str(i)), "正本")], {"title": f"件{i}", "date": "2022-01-01"})
    broken = next((archive.root / "2022").glob("*0002*"))
    (broken / "record.json").write_text("{not json", encoding="utf-8")
    errors = []
    assert [r.title for _, r in iter_records(archive, errors)] == ["件0"]
    assert errors and errors[0][0] == broken and "不是有效的 JSON" in errors[0][1]


def test_two_files_with_one_name_get_distinct_names(archive, tmp_path):
    (tmp_path / "x").mkdir()
    a = _docx(tmp_path / "通知.docx", "甲")
    b = _docx(tmp_path / "x" / "通知.docx", "乙")
    r = file_record(archive, [(a, "正本"), (b, "附件")], {"title": "同名", "date": "2022-01-01"})
    assert [f.name for f in r.files] == ["通知.docx", "通知（2）.docx"]


def _file_many(root, paths):
    """Child process: file each path, reporting the 档号 or the refusal."""
    from archive.errors import WenshuError
    from archive.filing import file_record
    from archive.store import Archive

    a = Archive(root)
    out = []
    for p in paths:
        try:
            r = file_record(a, [(Path(p), "原件")], {"title": Path(p).stem, "date": "2022-06-01"})
            out.append(str(r.archival_code))
        except WenshuError as e:
            out.append("refused:" + str(e))
    a.close()
    return out


def test_two_processes_filing_at_once(archive, tmp_path):
    import multiprocessing

    (tmp_path / "src").mkdir()
    own = [[str(_txt(tmp_path / "src" / f"{w}-{i}.txt")) for i in range(12)] for w in "ab"]
    shared = [str(_txt(tmp_path / "src" / f"shared-{i}.txt")) for i in range(5)]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        results = pool.starmap(_file_many, [(str(archive.root), own[0] + shared), (str(archive.root), shared + own[1])])
    codes = [c for r in results for c in r if not c.startswith("refused:")]
    refused = [c for r in results for c in r if c.startswith("refused:")]
    assert len(codes) == 29 and len(set(codes)) == 29  # every document once, no 档号 twice
    assert len(refused) == 5 and all("已在档案库中" in c for c in refused)
    assert sorted(int(c[-4:]) for c in codes) == list(range(1, 30))  # 件号 continuous
    assert len(list(iter_records(archive))) == 29


def _txt(path):
    path.write_text(f"{path.stem}\n正文", encoding="utf-8")
    return path


def test_an_issued_number_already_filed_is_not_filed_again(archive, tmp_path):
    n = archive.registry.issue(archive.prefix("高教字"), 2022, "关于寒假安全的通知")
    r = file_record(archive, [(_docx(tmp_path / "a.docx", "甲"), "正本")],
                    {"title": "关于寒假安全的通知", "doc_number": str(n), "date": "2022-01-10"})
    before = _state(archive)
    with pytest.raises(WenshuError, match=f"文号 高教字〔2022〕1号 已归档为 {r.archival_code}"):
        file_record(archive, [(_docx(tmp_path / "b.docx", "乙"), "正本")],
                    {"title": "关于寒假安全的通知", "doc_number": "高教字〔2022〕1号", "date": "2022-01-10"})
    assert _state(archive) == before
    # once that record is gone (deleted by hand), the number can be filed again to repair it
    shutil.rmtree(find_record(archive, str(r.archival_code))[0])
    r2 = file_record(archive, [(_docx(tmp_path / "b.docx", "乙"), "正本")],
                     {"title": "关于寒假安全的通知", "doc_number": "高教字〔2022〕1号", "date": "2022-01-10"})
    assert archive.registry.find(n).record == str(r2.archival_code)
