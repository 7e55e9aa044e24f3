"""wenshu verify: every kind of damage or tampering is caught, named, and sorted under the right 性.

These run on the BagIt layout (``--bagit``, the carrier inside data/), where a forger can reseal the
bag with the bagit library; tests/test_carrier.py runs the tamper cases on the default carrier."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import bagit
import pytest
from click.testing import CliRunner

from archive.store import Archive
from archive.transfer.export import Selection, export_package
from archive.transfer.package import FAIL, PASS, SKIP
from archive.transfer.verify import verify_package
from transfer_helpers import add_records, config, make_pdf, read_entry, rewrite_zip
from wenshu.cli import main

REC = "data/电子档案/2022/A001-WS·2022-D30-BGS-0002"
DOCX = f"{REC}/高教字〔2022〕2号.docx"


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("verify")
    a = Archive.init(tmp / "档案库", config())
    add_records(a, tmp / "src", 4)
    out = export_package(a, tmp / "good.zip", Selection(), digest="sm3", bagit=True).path
    a.close()
    return out


def _failed(report) -> dict[str, list[str]]:
    return {c.key: c.details for c in report.checks if c.status == FAIL}


def _rebag(pkg: Path, dst: Path, edit) -> Path:
    """Unpack, let ``edit`` change the payload, regenerate every manifest (a careful forger), zip again."""
    work = dst.parent / (dst.stem + "-work")
    with zipfile.ZipFile(pkg) as z:
        z.extractall(work)
    edit(work)
    for extra in ("manifest-sm3.txt", "tagmanifest-sm3.txt"):
        (work / extra).unlink()
    bagit.Bag(str(work)).save(manifests=True)
    with zipfile.ZipFile(dst, "w") as z:
        for p in sorted(work.rglob("*")):
            if p.is_file():
                z.write(p, p.relative_to(work).as_posix())
    shutil.rmtree(work)
    return dst


def test_good_package_passes_every_check(package):
    report = verify_package(package)
    assert report.ok, report.text()
    statuses = {c.key: c.status for c in report.checks}
    assert statuses.pop("virus") in (PASS, SKIP)
    assert set(statuses.values()) == {PASS}
    assert report.facts["件数"] == 4 and report.facts["全宗号"] == "A001"
    assert [c.prop for c in report.checks][0] == "真实性"


def test_flipped_byte_in_a_document(package, tmp_path):
    data = bytearray(read_entry(package, DOCX))
    data[len(data) // 2] ^= 0x01
    bad = rewrite_zip(package, tmp_path / "bad.zip", replace={DOCX: bytes(data)})
    failed = _failed(verify_package(bad))
    assert any(DOCX in d and "SHA-256 摘要与清单不符" in d and "已被改动" in d for d in failed["fixity"])
    assert any(DOCX in d and "SM3" in d for d in failed["fixity"])  # the SM3 manifest is checked too
    assert "completeness" not in failed and "payload_oxum" not in failed


def test_deleted_file(package, tmp_path):
    bad = rewrite_zip(package, tmp_path / "bad.zip", drop={DOCX})
    failed = _failed(verify_package(bad))
    assert f"{DOCX}：清单中有，数据包中缺失" in failed["completeness"]
    assert any("实际为 21 个文件" in d for d in failed["payload_oxum"])
    assert any(DOCX in d and "数据包中没有" in d for d in failed["content_link"])
    assert "fixity" not in failed  # a missing file is reported as missing, not as changed


def test_added_file(package, tmp_path):
    extra = f"{REC}/说明.exe"
    bad = rewrite_zip(package, tmp_path / "bad.zip", add={extra: b"MZ\x90\x00"})
    failed = _failed(verify_package(bad))
    assert f"{extra}：数据包中有，清单中没有（多余文件）" in failed["completeness"]
    assert any(extra in d for d in failed["non_archive_files"])
    assert any(extra in d and "没有登记" in d for d in failed["content_link"])


def test_edited_catalog_xml(package, tmp_path):
    raw = read_entry(package, "data/文件目录.XML").decode()
    edited = raw.replace("关于开展", "关于暂停", 1).encode()
    bad = rewrite_zip(package, tmp_path / "bad.zip", replace={"data/文件目录.XML": edited})
    failed = _failed(verify_package(bad))
    assert any(d.startswith("data/文件目录.XML：SHA-256 摘要与清单不符") for d in failed["fixity"])
    assert any("题名“关于暂停" in d and "与元数据" in d for d in failed["catalog_metadata"])


def test_catalog_row_removed_even_with_fresh_manifests(package, tmp_path):
    def drop_row(work):
        from lxml import etree

        path = work / "data" / "文件目录.XML"
        root = etree.fromstring(path.read_bytes())
        root.remove(root.findall("文件")[1])
        path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))

    bad = _rebag(package, tmp_path / "bad.zip", drop_row)
    failed = _failed(verify_package(bad))
    assert "fixity" not in failed  # the forger fixed the manifests ...
    assert f"{REC.removeprefix('data/')}：文件目录中没有对应的 <文件> 条目" in failed["catalog_records"]  # ... still caught
    assert any("文件目录条目 3" in d and "电子档案文件夹 4" in d for d in failed["record_count"])
    assert "文件目录的顺序号应从 1 起连续编排" in failed["catalog_records"]


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.67, 0.999])
def test_truncated_zip(package, tmp_path, keep):
    data = package.read_bytes()
    bad = tmp_path / "cut.zip"
    bad.write_bytes(data[: int(len(data) * keep)])
    report = verify_package(bad)
    assert not report.ok
    assert "截断" in report.get("package_readable").details[0]
    assert report.get("fixity").status == SKIP
    res = CliRunner().invoke(main, ["verify", str(bad)])
    assert res.exit_code == 1 and "结论：不通过" in res.output and "截断" in res.output


def test_corrupt_entry_is_named(package, tmp_path):
    data = bytearray(package.read_bytes())
    with zipfile.ZipFile(package) as z:
        info = z.getinfo(DOCX)
    # a byte inside the stored docx data: the zip still opens, its CRC no longer matches
    pos = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 100
    data[pos] ^= 0xFF
    bad = tmp_path / "crc.zip"
    bad.write_bytes(bytes(data))
    report = verify_package(bad)
    assert DOCX in report.get("package_readable").details[0]


def test_gap_in_item_numbers_without_explanation(package, tmp_path):
    def remove_record(work):
        from lxml import etree

        shutil.rmtree(work / REC)
        path = work / "data" / "文件目录.XML"
        root = etree.fromstring(path.read_bytes())
        root.remove(root.findall("文件")[1])
        for i, row in enumerate(root.findall("文件"), 1):
            row.find("顺序号").text = str(i)
        root.set("件数", "3")
        path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
        info = (work / "bag-info.txt").read_text(encoding="utf-8").replace("Record-Count: 4", "Record-Count: 3")
        (work / "bag-info.txt").write_text(info, encoding="utf-8")

    bad = _rebag(package, tmp_path / "bad.zip", remove_record)
    failed = _failed(verify_package(bad))
    assert list(failed) == ["register", "continuity", "catalog_xlsx"]  # the 登记表 no longer matches either
    assert any("电子档案数字摘要" in d and "填表后被改动" in d for d in failed["register"])
    assert failed["continuity"] == ["缺件号 A001-WS·2022-D30-BGS-0002，data/其他/缺号说明.xml 中没有说明原因"]


def test_values_out_of_domain_and_encrypted_pdf(package, tmp_path):
    def edit(work):
        meta = work / REC / "元数据.xml"
        meta.write_bytes(meta.read_bytes().replace(b"<\xe5\xaf\x86\xe7\xba\xa7/>", "<密级>内部</密级>".encode())
                         .replace("定期30年".encode(), "长期".encode()))
        pdf = work / REC / "高教字〔2022〕2号.pdf"
        make_pdf(pdf, "加密", password="secret")
        text = meta.read_text(encoding="utf-8")
        import hashlib
        import re

        digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
        size = pdf.stat().st_size
        text = re.sub(r"(<计算机文件名>高教字〔2022〕2号\.pdf</计算机文件名>\s*<计算机文件大小>)\d+",
                      rf"\g<1>{size}", text)
        text = re.sub(r'(高教字〔2022〕2号\.pdf</计算机文件名>.*?<数字摘要 算法="SHA-256">)[0-9a-f]+',
                      rf"\g<1>{digest}", text, flags=re.S)
        text = re.sub(r'(高教字〔2022〕2号\.pdf</计算机文件名>.*?)<数字摘要 算法="SM3">[0-9a-f]+</数字摘要>',
                      r"\g<1>", text, flags=re.S)
        meta.write_text(text, encoding="utf-8")

    bad = _rebag(package, tmp_path / "bad.zip", edit)
    failed = _failed(verify_package(bad))
    assert any("密级“内部”不在值域" in d for d in failed["value_domain"])
    assert any("保管期限“长期”不在值域" in d for d in failed["value_domain"])
    assert any("PDF 已加密" in d for d in failed["no_encryption"])
    assert any("密级“”与元数据“内部”不一致" in d for d in failed["catalog_metadata"])


def test_verify_json_and_exit_code(package, tmp_path):
    bad = rewrite_zip(package, tmp_path / "bad.zip", drop={DOCX})
    res = CliRunner().invoke(main, ["verify", str(bad), "--json", "--report", str(tmp_path / "r.json")])
    assert res.exit_code == 1
    data = json.loads(res.output)
    assert data["结论"] == "不通过"
    completeness = next(c for c in data["检测项"]["完整性"] if c["代码"] == "completeness")
    assert completeness["结果"] == "不通过" and any(DOCX in d for d in completeness["说明"])
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8")) == data


def test_unzipped_bag_folder_is_accepted(package, tmp_path):
    with zipfile.ZipFile(package) as z:
        z.extractall(tmp_path / "bag")
    report = verify_package(tmp_path / "bag")
    assert report.ok, report.text()
    assert report.get("zip_safety").status == SKIP


def test_encrypted_entry_in_the_package_is_refused(package, tmp_path):
    data = bytearray(package.read_bytes())
    name = DOCX.encode()
    with zipfile.ZipFile(package) as z:
        info = z.getinfo(DOCX)
    data[info.header_offset + 6] |= 0x01  # local header: general purpose flag, bit 0 = encrypted
    with zipfile.ZipFile(package) as z:
        pos = z.start_dir  # walk the central directory to this entry's record
    while data[pos + 46:pos + 46 + len(name)] != name:
        n, m, k = (int.from_bytes(data[pos + o:pos + o + 2], "little") for o in (28, 30, 32))
        pos += 46 + n + m + k
    data[pos + 8] |= 0x01  # central directory: the same flag
    bad = tmp_path / "enc.zip"
    bad.write_bytes(bytes(data))
    failed = _failed(verify_package(bad))
    assert f"压缩包内 {DOCX} 已加密（移交数据包不得加密）" in failed["zip_safety"]
    assert f"{DOCX}：清单中有，数据包中缺失" in failed["completeness"]  # it was not unpacked


def test_bad_date_and_code_forms_in_the_catalog(package, tmp_path):
    def edit(work):
        path = work / "data" / "文件目录.XML"
        text = path.read_text(encoding="utf-8")
        text = text.replace("<日期>20220303</日期>", "<日期>2022-3-3</日期>", 1)
        text = text.replace("<档号>A001-WS·2022-D30-BGS-0004</档号>", "<档号>A001-WS.2022-D30-BGS-0004</档号>", 1)
        path.write_text(text, encoding="utf-8")

    failed = _failed(verify_package(_rebag(package, tmp_path / "bad.zip", edit)))
    assert any("日期“2022-3-3”应为 8 位数字 YYYYMMDD" in d for d in failed["data_format"])
    assert any("档号“A001-WS.2022-D30-BGS-0004”格式不正确" in d for d in failed["archival_code"])
    assert any("日期“2022-3-3”与元数据“20220303”不一致" in d for d in failed["catalog_metadata"])


def test_duplicate_record_under_another_folder(package, tmp_path):
    def edit(work):
        shutil.copytree(work / REC, work / "data/电子档案/2022/A001-WS·2022-D30-BGS-0005")

    failed = _failed(verify_package(_rebag(package, tmp_path / "bad.zip", edit)))
    assert "档号 A001-WS·2022-D30-BGS-0002 重复出现 2 次" in failed["archival_code"]
    assert any("文件夹名与元数据中的档号“A001-WS·2022-D30-BGS-0002”不一致" in d for d in failed["archival_code"])
    assert any("文号 高教字〔2022〕2号（高平市教育局）在 2 件中重复出现" in d for d in failed["duplicates"])
    assert "电子档案/2022/A001-WS·2022-D30-BGS-0005：文件目录中没有对应的 <文件> 条目" in failed["catalog_records"]


def test_length_and_invisible_characters(package, tmp_path):
    def edit(work):
        meta = work / REC / "元数据.xml"
        text = meta.read_text(encoding="utf-8")
        text = text.replace("<责任者>高平市教育局</责任者>", "<责任者>高平市教育局\u200b</责任者>", 1)
        text = text.replace("<文种>通知</文种>", f"<文种>{'通知' * 11}</文种>", 1)
        meta.write_text(text, encoding="utf-8")

    failed = _failed(verify_package(_rebag(package, tmp_path / "bad.zip", edit)))
    assert any("责任者“高平市教育局�”含不可见或控制字符 U+200B" in d for d in failed["special_chars"])
    assert any("文种长 22 字，超过 20 字" in d for d in failed["length"])


def test_gbk_names_without_utf8_flag_are_read_back(package, tmp_path):
    """A package re-zipped on a Chinese Windows: GBK names, no UTF-8 flag."""
    work = tmp_path / "w"
    with zipfile.ZipFile(package) as z:
        z.extractall(work)
    entries = []
    for p in sorted(work.rglob("*")):
        if p.is_file():
            entries.append((p.relative_to(work).as_posix().encode("gb18030"), p.read_bytes()))
    bad = tmp_path / "gbk.zip"
    bad.write_bytes(_raw_zip(entries))
    report = verify_package(bad)
    assert report.ok, report.text()


def _raw_zip(entries: list[tuple[bytes, bytes]]) -> bytes:
    """A stored zip with names as given bytes and general-purpose flag 0 (no UTF-8 flag)."""
    import struct
    import zlib

    out, central = bytearray(), bytearray()
    for name, data in entries:
        crc, offset = zlib.crc32(data), len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, crc, len(data), len(data), len(name), 0)
        out += name + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0x21, crc, len(data), len(data),
                               len(name), 0, 0, 0, 0, 0, offset)
        central += name
    start = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), start, 0)
    return bytes(out)
