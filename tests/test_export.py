"""wenshu export: a BagIt package a receiver can check with standard tools, catalogues included."""

from __future__ import annotations

import hashlib
import json
import os
import unicodedata
import zipfile

import bagit
import pytest
from click.testing import CliRunner
from lxml import etree
from openpyxl import load_workbook

from archive.errors import WenshuError
from archive.store import Archive
from archive.transfer import metadata_xml
from archive.transfer.export import Selection, export_package
from archive.transfer.digest import _Sm3Fallback, new_hasher
from archive.transfer.verify import verify_package
from transfer_helpers import add_records, by_code, config, entry_names, read_entry
from wenshu.cli import main
from wenshu.indexing import query_codes


@pytest.fixture
def filled(tmp_path):
    a = Archive.init(tmp_path / "县局档案库", config())
    add_records(a, tmp_path / "src", 5, classified=(3,), case_every=2)
    yield a
    a.close()


def _unzip(pkg, dest):
    with zipfile.ZipFile(pkg) as z:
        z.extractall(dest)
    return dest


def test_bagit_package_is_a_valid_bag_with_the_carrier_inside_and_chinese_names(filled, tmp_path):
    out = tmp_path / "移交" / "2022年度移交.zip"
    out.parent.mkdir()
    result = export_package(filled, out, Selection(year=2022), actor="张三", bagit=True)

    assert result.records == 4 and result.skipped_classified == 1 and result.files == 8
    assert sorted(os.listdir(out.parent)) == ["2022年度移交.zip"]  # no staging or .part left behind
    with zipfile.ZipFile(out) as z:
        infos = z.infolist()
    assert all(i.flag_bits & 0x800 for i in infos)  # UTF-8 name flag on every entry
    assert all(unicodedata.is_normalized("NFC", i.filename) for i in infos)
    names = [i.filename for i in infos]
    for tag in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt",
                "data/说明文件.TXT", "data/文件目录.XML", "data/其他/归档文件目录.xlsx", "data/其他/缺号说明.xml",
                "data/其他/交接信息/电子档案移交与接收登记表.docx", "data/其他/交接信息/四性检测报告.txt"):
        assert tag in names
    assert "data/电子档案/2022/A001-WS·2022-D30-BGS-0001/高教字〔2022〕1号.docx" in names

    # The bagit library itself (what a receiver runs) accepts the unpacked bag.
    bag = bagit.Bag(str(_unzip(out, tmp_path / "unpacked")))
    bag.validate()
    assert bag.info["Source-Organization"] == "高平市教育局"
    # 8 documents + 4 元数据.xml + 说明文件, 文件目录, xlsx, 缺号说明, 2 XSDs, rules + 登记表 ×2, report
    assert bag.info["Payload-Oxum"].endswith(".22")
    assert "Bagging-Date" in bag.info

    # Files are byte-identical with the archive's.
    records = by_code(filled)
    for code in ("A001-WS·2022-D30-BGS-0001", "A001-WS·2022-D30-BGS-0005"):
        folder, rec = records[code]
        for f in rec.files:
            packed = read_entry(out, f"data/电子档案/2022/{code}/{f.name}")
            assert packed == (folder / f.name).read_bytes()

    log = [json.loads(line) for line in (filled.log_dir / "export.log").read_text(encoding="utf-8").splitlines()]
    assert log[-1]["数据包"] == str(out) and log[-1]["件数"] == 4 and log[-1]["操作人"] == "张三"
    assert log[-1]["电子档案数字摘要-sha256"] == [result.register.volumes[0].digests["sha256"]]
    assert log[-1]["结构"] == "bagit"

    readme = read_entry(out, "data/说明文件.TXT").decode("utf-8")
    for text in ("全宗号：A001", "制作人：张三", "件数：4", "未导出的密级文件：1 件", "SHA-256", "选择条件：年度 2022"):
        assert text in readme


def test_catalog_xml_and_metadata_carry_the_records(filled, tmp_path):
    out = export_package(filled, tmp_path / "p.zip", Selection(year=2022)).path
    raw = read_entry(out, "文件目录.XML")
    assert raw.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(raw)
    rows = root.findall("文件")
    assert [r.findtext("顺序号") for r in rows] == ["1", "2", "3", "4"]
    first = rows[0]
    assert [c.tag for c in first] == ["顺序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数",
                                      "电子档案名称", "备注"]
    assert first.findtext("档号") == "A001-WS·2022-D30-BGS-0001"
    assert first.findtext("文号") == "高教字〔2022〕1号"
    assert first.findtext("日期") == "20220302"
    assert first.findtext("页数") == "1"
    assert "A001-WS·2022-D30-BGS-0003" not in raw.decode()  # the classified one stays out

    meta = metadata_xml.parse(read_entry(out, "电子档案/2022/A001-WS·2022-D30-BGS-0002/元数据.xml"), "x")
    folder, rec = by_code(filled)["A001-WS·2022-D30-BGS-0002"]
    assert meta["题名"] == rec.title and meta["责任者"] == "高平市教育局" and meta["日期"] == "2022-03-03"
    assert meta["保管期限"] == "定期30年" and meta["机构"] == "BGS" and meta["件号"] == "0002"
    assert meta["案件"] == "督2022-01" and meta["主送"] == ["各中小学", "各幼儿园"]
    assert meta["其他"] == {"承办人": "王芳", "备注": "第2件"}
    assert [f["sha256"] for f in meta["文件"]] == [f.sha256 for f in rec.files]
    actions = [h["动作"] for h in meta["历史"]]
    assert actions == ["归档", "移交"]  # the archive's history plus the transfer itself
    assert rec.history[-1].action == "移交" and "p.zip" in rec.history[-1].detail  # and the archive remembers it
    gaps = read_entry(out, "其他/缺号说明.xml").decode()
    assert "A001-WS·2022-D30-BGS-0003" in gaps and "密级" in gaps


def test_xlsx_catalog_is_printable(filled, tmp_path):
    out = export_package(filled, tmp_path / "p.zip", Selection()).path
    (tmp_path / "c.xlsx").write_bytes(read_entry(out, "其他/归档文件目录.xlsx"))
    wb = load_workbook(tmp_path / "c.xlsx")
    ws = wb["2022-定期30年"]
    assert ws["A1"].value == "归档文件目录"
    assert "全宗名称：高平市教育局" in ws["A2"].value and "年度：2022" in ws["A2"].value
    assert "保管期限：定期30年" in ws["A2"].value
    assert [c.value for c in ws[3]] == ["序号", "档号", "文号", "责任者", "题名", "日期", "密级", "页数", "备注"]
    assert ws["B4"].value == "A001-WS·2022-D30-BGS-0001" and ws["F4"].value == "20220302"
    assert ws.max_row == 3 + 4
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9  # A4
    assert ws.print_title_rows == "$3:$3"
    assert ws.column_dimensions["E"].width >= 40  # 题名 gets room for Chinese text
    assert ws.column_dimensions["B"].width >= len("A001-WS·2022-D30-BGS-0001")


def test_sm3_manifest_alongside_sha256(filled, tmp_path):
    out = export_package(filled, tmp_path / "p.zip", Selection(), digest="sm3").path
    names = entry_names(out)
    assert {"其他/manifest-sha256.txt", "其他/manifest-sm3.txt"} <= set(names)
    lines = read_entry(out, "其他/manifest-sm3.txt").decode().splitlines()
    assert len(lines) == 22 == len(names) - 2  # every file of the carrier but the two manifests
    for line in lines:
        digest, path = line.split("  ", 1)
        h = new_hasher("sm3")
        h.update(read_entry(out, path))
        assert h.hexdigest() == digest
    bag = export_package(filled, tmp_path / "b.zip", Selection(), digest="sm3", bagit=True).path
    assert {"manifest-sm3.txt", "tagmanifest-sha256.txt", "tagmanifest-sm3.txt"} <= set(entry_names(bag))
    assert "manifest-sm3.txt" in read_entry(bag, "tagmanifest-sha256.txt").decode()
    assert verify_package(bag).ok
    report = verify_package(out)
    assert report.ok, report.text()
    assert report.facts["摘要算法"] == ["SHA-256", "SM3"]


@pytest.mark.parametrize("size", [0, 1, 55, 56, 63, 64, 65, 1000, 10_000])
def test_sm3_fallback_matches_openssl(size):
    if "sm3" not in hashlib.algorithms_available:
        pytest.skip("OpenSSL 无 SM3，无从比对")
    data = bytes((i * 7 + 3) % 256 for i in range(size))
    fb = _Sm3Fallback()
    fb.update(data[: size // 3])
    fb.update(data[size // 3:])
    assert fb.hexdigest() == hashlib.new("sm3", data).hexdigest()
    # the standard's own test vector ("abc")
    fb = _Sm3Fallback()
    fb.update(b"abc")
    assert fb.hexdigest() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_selection_filters_and_classified(filled, tmp_path):
    r = export_package(filled, tmp_path / "case.zip", Selection(case="督2022-01"))
    assert r.records == 2  # items 2 and 4; none is classified
    r = export_package(filled, tmp_path / "all.zip", Selection(include_classified=True))
    assert r.records == 5 and r.skipped_classified == 0
    assert "A001-WS·2022-D30-BGS-0003" in read_entry(r.path, "文件目录.XML").decode()
    with pytest.raises(WenshuError, match="没有符合条件"):
        export_package(filled, tmp_path / "none.zip", Selection(retention="Y"))
    with pytest.raises(WenshuError, match="没有符合条件"):
        export_package(filled, tmp_path / "none.zip", Selection(org="JJK"))
    assert not (tmp_path / "none.zip").exists()


def test_case_selection_explains_the_gaps(filled, tmp_path):
    out = export_package(filled, tmp_path / "case.zip", Selection(case="督2022-01")).path
    gaps = read_entry(out, "其他/缺号说明.xml").decode()
    assert "A001-WS·2022-D30-BGS-0001" in gaps and "不在本次导出范围" in gaps
    assert "A001-WS·2022-D30-BGS-0003" in gaps and "密级" in gaps
    report = verify_package(out)
    assert report.ok, report.text()


def test_damaged_archive_is_not_exported(filled, tmp_path):
    folder, rec = by_code(filled)["A001-WS·2022-D30-BGS-0002"]
    target = folder / rec.files[1].name
    target.write_bytes(target.read_bytes() + b"%tampered")
    out = tmp_path / "p.zip"
    with pytest.raises(WenshuError, match="摘要或大小不符") as e:
        export_package(filled, out, Selection())
    assert rec.files[1].name in str(e.value)
    assert sorted(os.listdir(tmp_path)) == ["县局档案库"]  # no package, no staging folder


def test_missing_required_metadata_is_announced_and_caught(filled, tmp_path):
    from archive.filing import file_record

    src = tmp_path / "来信.txt"
    src.write_text("反映某培训机构周末违规授课。", encoding="utf-8")
    file_record(filled, [(src, "原件")], {"title": "关于某培训机构违规授课的来信", "date": "2022-06-01"}, org="BGS")
    r = export_package(filled, tmp_path / "p.zip", Selection())
    assert r.incomplete == ["A001-WS·2022-D30-BGS-0006：缺 责任者"]
    required = verify_package(r.path).get("required")
    assert required.status == "不通过" and "必填项 责任者 为空" in required.details[0]


def test_existing_output_is_never_overwritten(filled, tmp_path):
    out = tmp_path / "p.zip"
    out.write_bytes(b"old")
    with pytest.raises(WenshuError, match="已存在"):
        export_package(filled, out, Selection())
    assert out.read_bytes() == b"old"


def test_cli_export_then_verify(filled, tmp_path):
    runner = CliRunner()
    out = tmp_path / "p.zip"
    res = runner.invoke(main, ["export", "--archive", str(filled.root), "--year", "2022", "--digest", "sm3",
                               "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "已导出 4 件" in res.output and "1 件密级文件未导出" in res.output
    res = runner.invoke(main, ["verify", str(out), "--report", str(tmp_path / "报告.txt")])
    assert res.exit_code == 0, res.output
    assert "结论：通过" in res.output and "一、真实性" in res.output and "四、安全性" in res.output
    assert (tmp_path / "报告.txt").read_text(encoding="utf-8") == res.output
    res = runner.invoke(main, ["verify", str(out), "--json"])
    data = json.loads(res.output)
    assert data["结论"] == "通过" and set(data["检测项"]) == {"真实性", "完整性", "可用性", "安全性"}
    res = runner.invoke(main, ["export", "--archive", str(filled.root), "--year", "1999", "-o", str(tmp_path / "n.zip")])
    assert res.exit_code != 0 and "错误：没有符合条件" in res.output


def test_query_selects_through_the_full_text_index(filled, tmp_path):
    index = pytest.importorskip("indexer.index")
    idx = index.ArchiveIndex(filled)
    idx.rebuild()
    idx.close()
    r = export_package(filled, tmp_path / "q.zip", Selection(query="住家家教"), query_codes=query_codes)
    assert r.records == 1
    assert "A001-WS·2022-D30-BGS-0002" in read_entry(r.path, "文件目录.XML").decode()
    assert verify_package(r.path).ok
    # the command takes the search language as arguments, as wenshu search and wenshu list do
    res = CliRunner().invoke(main, ["export", "--archive", str(filled.root), "-o", str(tmp_path / "c.zip"),
                                    "--json", "住家家教", "年度:2022"])
    assert res.exit_code == 0, res.output
    assert "A001-WS·2022-D30-BGS-0002" in read_entry(tmp_path / "c.zip", "文件目录.XML").decode()


def test_other_formats_are_announced_and_caught_by_verify(filled, tmp_path):
    from archive.filing import file_record

    (tmp_path / "in").mkdir()
    scan = tmp_path / "in" / "现场照片.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    note = tmp_path / "in" / "检查记录.txt"
    note.write_text("2022年5月6日现场检查记录：未发现违规培训。", encoding="utf-8")
    file_record(filled, [(note, "正本"), (scan, "附件")],
                {"title": "某某培训学校现场检查记录", "author": "高平市教育局", "date": "2022-05-06"}, org="BGS")
    r = export_package(filled, tmp_path / "p.zip", Selection())
    assert r.other_formats == ["电子档案/2022/A001-WS·2022-D30-BGS-0006/现场照片.png"]
    assert r.incomplete == []
    report = verify_package(r.path)
    formats = report.get("formats")
    assert formats.status == "不通过"
    assert formats.details == ["电子档案/2022/A001-WS·2022-D30-BGS-0006/现场照片.png：格式 .png 不在允许的格式"
                               "（docx、pdf、ofd、txt）之内"]
    assert r.check_failed and r.register.results["可用性检验"] == "不通过"  # the 登记表 says so too


def test_sm3_without_openssl_uses_the_pure_python_fallback(tmp_path, monkeypatch):
    from archive.transfer import digest as layout

    a = Archive.init(tmp_path / "库", config())
    add_records(a, tmp_path / "src", 1, pdf=False)
    monkeypatch.setattr(layout, "hashlib_has", lambda alg: alg != "sm3")
    assert isinstance(layout.new_hasher("sm3"), _Sm3Fallback)
    out = export_package(a, tmp_path / "p.zip", Selection(), digest="sm3").path
    report = verify_package(out)  # verified with the fallback too
    assert report.ok, report.text()
    monkeypatch.undo()
    for line in read_entry(out, "其他/manifest-sm3.txt").decode().splitlines():
        digest, path = line.split("  ", 1)
        if "sm3" in hashlib.algorithms_available:
            assert hashlib.new("sm3", read_entry(out, path)).hexdigest() == digest
    a.close()


def test_unreadable_record_json_stops_an_export_that_could_need_it(filled, tmp_path):
    folder, _ = by_code(filled)["A001-WS·2022-D30-BGS-0004"]
    (folder / "record.json").write_text("{ 不是 JSON", encoding="utf-8")
    with pytest.raises(WenshuError, match="1 件记录的 record.json 无法读取") as e:
        export_package(filled, tmp_path / "p.zip", Selection())
    assert folder.name in str(e.value)
    with pytest.raises(WenshuError, match="无法读取"):
        export_package(filled, tmp_path / "p.zip", Selection(year=2022))
    with pytest.raises(WenshuError, match="没有符合条件"):  # another year: the broken 2022 record is irrelevant
        export_package(filled, tmp_path / "p.zip", Selection(year=2023))
