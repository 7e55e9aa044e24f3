"""The carrier a 档案馆 receives (档发〔2012〕7号): opened as a receiver would, its catalogue valid
against the shipped XSD, every file in the manifests, the 登记表's figures those of the package,
volumes that verify alone and together, and every kind of tampering caught on this layout too."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from lxml import etree

from archive.errors import WenshuError
from archive.filing import iter_records
from archive.store import Archive
from archive.transfer import metadata_xml, register
from archive.transfer.export import Selection, export_package
from archive.transfer.importer import import_package
from archive.transfer.package import FAIL, PASS, SKIP
from archive.transfer.verify import verify_package
from transfer_helpers import add_records, by_code, config, read_entry, reseal_carrier, rewrite_zip
from wenshu.cli import main

OLD_PACKAGE = Path(__file__).parent / "data" / "wenshu-23deb6c-bag.zip"  # written by wenshu before issue 18
REC = "电子档案/2022/A001-WS·2022-D30-BGS-0002"
DOCX = f"{REC}/高教字〔2022〕2号.docx"
REGISTER = "其他/交接信息/电子档案移交与接收登记表.xml"
OTHER = {"归档文件目录.xlsx", "缺号说明.xml", "文件目录.xsd", "元数据.xsd", "档号与命名规则.txt", "manifest-sha256.txt",
         "交接信息"}


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("county")
    a = Archive.init(tmp / "县局档案库", config())
    add_records(a, tmp / "src", 6, classified=(3,), case_every=2)
    add_records(a, tmp / "src23", 2, year=2023, pdf=False, author="高平市教育局办公室")
    yield a
    a.close()


@pytest.fixture(scope="module")
def year_2022(county, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "2022年度移交"
    result = export_package(county, out, Selection(year=2022), actor="张三")
    return out, result


def _failed(report) -> dict[str, list[str]]:
    return {c.key: c.details for c in report.checks if c.status == FAIL}


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _manifest(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, rel = line.split("  ", 1)
        out[rel] = digest
    return out


def _sealed_digest(manifest: Path) -> str:
    """What the receiver runs: grep -v '  其他/交接信息/' 其他/manifest-sha256.txt | sha256sum."""
    lines = [line for line in manifest.read_text(encoding="utf-8").splitlines(keepends=True)
             if "  其他/交接信息/" not in line]
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


# -- opened as a receiver would ----------------------------------------------------------------

def test_year_export_opened_as_a_receiver_would(year_2022, county):
    out, result = year_2022
    assert sorted(os.listdir(out)) == sorted(["说明文件.TXT", "文件目录.XML", "电子档案", "其他"])
    assert set(os.listdir(out / "其他")) == OTHER
    assert sorted(os.listdir(out / "其他" / "交接信息")) == sorted(
        ["电子档案移交与接收登记表.docx", "电子档案移交与接收登记表.xml", "四性检测报告.txt"])
    assert os.listdir(out / "电子档案") == ["2022"]  # the 2023 records stay home
    folders = sorted(os.listdir(out / "电子档案" / "2022"))
    assert folders == [f"A001-WS·2022-D30-BGS-000{i}" for i in (1, 2, 4, 5, 6)]  # 3 is classified
    assert sorted(os.listdir(out / REC)) == ["元数据.xml", "高教字〔2022〕2号.docx", "高教字〔2022〕2号.pdf"]
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no staging left behind
    folder, rec = by_code(county)["A001-WS·2022-D30-BGS-0002"]
    assert (out / DOCX).read_bytes() == (folder / "高教字〔2022〕2号.docx").read_bytes()
    readme = (out / "说明文件.TXT").read_text(encoding="utf-8")
    for text in ("载体顺序号：第 1 个，共 1 个", "制作人：张三", "本载体件数：5", "未导出的密级文件：1 件",
                 "阅读环境", "文件目录.XML 编码：UTF-8"):
        assert text in readme
    rules = (out / "其他" / "档号与命名规则.txt").read_text(encoding="utf-8")
    assert "全宗号-WS·年度-保管期限代码-机构（问题）代码-件号" in rules and "A001-WS·2022-D30-BGS-0001" in rules
    gaps = (out / "其他" / "缺号说明.xml").read_text(encoding="utf-8")
    assert "A001-WS·2022-D30-BGS-0003" in gaps and "密级" in gaps
    report = (out / "其他" / "交接信息" / "四性检测报告.txt").read_text(encoding="utf-8")
    assert "结论：通过" in report and "结构：载体结构" in report and "一、真实性" in report
    assert result.check_failed == [] and result.layout == "carrier" and result.volumes == [out]


def test_standard_tools_check_the_carrier(year_2022):
    out, result = year_2022
    if not shutil.which("sha256sum"):
        pytest.skip("本机没有 sha256sum")
    run = subprocess.run(["sha256sum", "-c", "--quiet", "其他/manifest-sha256.txt"], cwd=out, capture_output=True)
    assert run.returncode == 0, run.stdout + run.stderr
    grep = subprocess.run("grep -v '  其他/交接信息/' 其他/manifest-sha256.txt | sha256sum", shell=True, cwd=out,
                          capture_output=True, text=True)
    assert grep.stdout.split()[0] == result.register.volumes[0].digests["sha256"] == _sealed_digest(
        out / "其他" / "manifest-sha256.txt")


@pytest.mark.parametrize("encoding, declared", [("utf-8", "UTF-8"), ("gb18030", "GB18030")])
def test_catalog_validates_against_the_shipped_xsd_in_both_encodings(county, tmp_path, encoding, declared):
    out = export_package(county, tmp_path / "p", Selection(year=2022), encoding=encoding).path
    raw = (out / "文件目录.XML").read_bytes()
    assert raw.startswith(f"<?xml version='1.0' encoding='{declared}'?>".encode())
    if encoding == "gb18030":
        assert "高平市教育局".encode("gb18030") in raw and "高平市教育局".encode("utf-8") not in raw
        (out / "说明文件.TXT").read_bytes().decode("gb18030")
    schema = etree.XMLSchema(etree.parse(str(out / "其他" / "文件目录.xsd")))
    doc = etree.fromstring(raw)
    assert schema.validate(doc), schema.error_log
    rows = doc.findall("文件")
    assert [r.findtext("档号") for r in rows][0] == "A001-WS·2022-D30-BGS-0001"
    assert rows[0].findtext("电子档案名称") == "电子档案/2022/A001-WS·2022-D30-BGS-0001"
    assert rows[0].findtext("题名").startswith("关于开展")  # names and titles stay Chinese
    meta_schema = etree.XMLSchema(etree.parse(str(out / "其他" / "元数据.xsd")))
    for meta in out.glob("电子档案/*/*/元数据.xml"):
        assert meta_schema.validate(etree.parse(str(meta))), (meta, meta_schema.error_log)
    # the schema can fail: a row without its 档号 does not validate
    del_code = etree.fromstring(raw)
    first = del_code.find("文件")
    first.remove(first.find("档号"))
    assert not schema.validate(del_code)
    report = verify_package(out)
    assert report.ok, report.text()


def test_every_file_of_the_carrier_is_in_the_manifests(county, tmp_path):
    out = export_package(county, tmp_path / "p", Selection(), digest="sm3").path
    files = _files(out)
    for alg in ("sha256", "sm3"):
        m = _manifest(out / "其他" / f"manifest-{alg}.txt")
        assert set(m) == files - {"其他/manifest-sha256.txt", "其他/manifest-sm3.txt"}
        assert list(m) == sorted(m)
        for rel, digest in m.items():
            assert hashlib.new(alg, (out / rel).read_bytes()).hexdigest() == digest if alg == "sha256" else len(digest) == 64
    assert {"其他/交接信息/电子档案移交与接收登记表.docx", REGISTER, "说明文件.TXT", "文件目录.XML"} <= files


def test_register_figures_are_the_packages(year_2022):
    out, result = year_2022
    reg = register.parse((out / REGISTER).read_bytes(), REGISTER)
    folders = [p for p in (out / "电子档案").glob("*/*") if p.is_dir()]
    rows = etree.parse(str(out / "文件目录.XML")).getroot().findall("文件")
    assert reg["件数"] == len(folders) == len(rows) == 5
    assert reg["卷数"] == 0
    sealed = [rel for rel in _manifest(out / "其他" / "manifest-sha256.txt") if not rel.startswith("其他/交接信息/")]
    size = sum((out / rel).stat().st_size for rel in sealed)
    assert reg["字节"] == size and reg["GB"] == f"{size / 1e9:.3f}"
    (vol,) = reg["载体"]
    assert vol.files == len(sealed) and vol.size == size and vol.records == 5
    assert vol.digests == {"sha256": _sealed_digest(out / "其他" / "manifest-sha256.txt")}
    assert '算法="SHA-256"' in (out / REGISTER).read_text(encoding="utf-8")
    report = verify_package(out)
    assert reg["检验"] == {"准确性检验": "通过", "完整性检验": "通过", "可用性检验": "通过", "安全性检验": "通过",
                           "载体外观检验": ""}
    assert report.get("register").status == PASS and report.get("payload_oxum").status == PASS
    # the .docx: the same figures, in the 登记表's rows, signatures and seals left blank
    table = docx.Document(str(out / "其他" / "交接信息" / "电子档案移交与接收登记表.docx")).tables[0]
    cells = {r.cells[0].text: [c.text for c in r.cells[1:]] for r in table.rows}
    assert cells["移交电子档案数量"][0] == "5 件，0 卷"
    assert cells["移交数据量"][0] == f"{size / 1e9:.3f} GB（{size} 字节）"
    assert vol.digests["sha256"] in cells["电子档案数字摘要"][0] and "SHA-256" in cells["电子档案数字摘要"][0]
    assert cells["完整性检验"] == ["通过", ""]
    assert cells["载体起止顺序号"][0] == "1–1"
    for blank in ("填表人（签名）", "审核人（签名）", "单位（印章）", "日期", "载体外观检验"):
        assert cells[blank] == ["", ""], blank


def test_zip_is_the_same_layout_and_online(county, tmp_path):
    out = export_package(county, tmp_path / "移交.zip", Selection(year=2022)).path
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert all(i.flag_bits & 0x800 for i in z.infolist())
    assert {n.split("/")[0] for n in names} == {"说明文件.TXT", "文件目录.XML", "电子档案", "其他"}
    reg = register.parse(read_entry(out, REGISTER), REGISTER)
    assert "<载体起止顺序号>在线</载体起止顺序号>" in read_entry(out, REGISTER).decode()
    assert reg["件数"] == 5
    report = verify_package(out)
    assert report.ok, report.text()
    assert report.facts["结构"].startswith("载体结构")


# -- volumes -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def volumes(county, tmp_path_factory):
    out = tmp_path_factory.mktemp("vols") / "分卷移交"
    result = export_package(county, out, Selection(include_classified=True), volume_size="250K")
    return out, result


def test_volume_split_export_verifies_volume_by_volume_and_as_a_whole(volumes):
    out, result = volumes
    vols = sorted(os.listdir(out))
    assert vols == ["载体1", "载体2", "载体3"] and result.records == 8  # 8 records of ~45 KB in 250 KB carriers
    seen = []
    for i, name in enumerate(vols, 1):
        v = out / name
        assert sum(p.stat().st_size for p in v.rglob("*") if p.is_file()) <= 250_000
        assert sorted(os.listdir(v)) == sorted(["说明文件.TXT", "文件目录.XML", "电子档案", "其他"])
        assert f"载体顺序号：第 {i} 个，共 3 个" in (v / "说明文件.TXT").read_text(encoding="utf-8")
        root = etree.parse(str(v / "文件目录.XML")).getroot()
        assert (root.get("载体序号"), root.get("载体总数")) == (str(i), "3")
        codes = [r.findtext("档号") for r in root.findall("文件")]
        assert codes == sorted(p.name for p in v.glob("电子档案/*/*"))
        seen += codes
        report = verify_package(v)  # each carrier alone
        assert report.ok, report.text()
        reg = register.parse((v / REGISTER).read_bytes(), REGISTER)
        assert reg["件数"] == 8 and reg["载体总数"] == 3 and [x.seq for x in reg["载体"]] == [1, 2, 3]
    assert len(seen) == len(set(seen)) == 8
    whole = verify_package(out)
    assert whole.ok, whole.text()
    assert whole.facts["件数"] == 8 and whole.get("volumes").status == PASS
    assert "3 个载体" in whole.text()


def test_a_missing_or_foreign_volume_fails_the_whole(volumes, tmp_path):
    out, _ = volumes
    two = tmp_path / "缺一个"
    shutil.copytree(out, two)
    shutil.rmtree(two / "载体2")
    failed = _failed(verify_package(two))
    assert any("载体总数 3，实有 2 个载体" in d for d in failed["volumes"])
    assert any("但各载体中都没有该件" in d for d in failed["volumes"])
    assert verify_package(two / "载体1").ok  # the carrier itself is sound


def test_volume_set_imports_as_one_transfer(volumes, tmp_path):
    out, _ = volumes
    city = Archive.init(tmp_path / "市局", config("B001", "晋城市教育局"))
    result = import_package(city, out)
    assert len(result.imported) == 8 and "3 个载体" in result.layout
    assert len(list(iter_records(city))) == 8
    assert import_package(city, out).imported == []
    city.close()


def test_volume_options_refused_before_anything_is_written(county, tmp_path):
    for kw in ({"volume_size": "700M", "zip_output": True}, {"volume_size": "700M", "bagit": True}):
        with pytest.raises(WenshuError, match="--volume-size 只用于文件夹输出"):
            export_package(county, tmp_path / "x", Selection(), **kw)
    with pytest.raises(WenshuError, match="--volume-size “七百兆”无法识别"):
        export_package(county, tmp_path / "x", Selection(), volume_size="七百兆")
    with pytest.raises(WenshuError, match="放不进不超过 1000 字节的载体"):
        export_package(county, tmp_path / "x", Selection(), volume_size="1K")
    assert os.listdir(tmp_path) == []


# -- three layouts in ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["carrier-folder", "carrier-zip", "bag-zip", "old-bag"])
def test_verify_and_import_read_every_layout_and_say_which(county, tmp_path, kind):
    if kind == "old-bag":
        pkg, label = OLD_PACKAGE, "旧版"
    else:
        name = "p.zip" if kind.endswith("zip") else "p"
        pkg = export_package(county, tmp_path / name, Selection(year=2022), bagit=kind == "bag-zip").path
        label = "BagIt 数据包（载体结构在 data/ 内）" if kind == "bag-zip" else "载体结构"
    report = verify_package(pkg)
    assert report.ok, report.text()
    assert label in report.facts["结构"] and f"结构：{report.facts['结构']}" in report.text()
    if kind == "old-bag":
        assert report.get("register").status == SKIP
    res = CliRunner().invoke(main, ["verify", str(pkg)])
    assert res.exit_code == 0 and label in res.output
    city = Archive.init(tmp_path / "市局", config("B001", "晋城市教育局"))
    result = import_package(city, pkg)
    assert label in result.layout
    assert len(result.imported) == (2 if kind == "old-bag" else 5)
    res = CliRunner().invoke(main, ["import", "--archive", str(city.root), str(pkg)])
    assert res.exit_code == 0 and label in res.output and "已存在而跳过" in res.output
    city.close()


# -- tampering on the carrier -------------------------------------------------------------------

@pytest.fixture(scope="module")
def package(county, tmp_path_factory):
    return export_package(county, tmp_path_factory.mktemp("good") / "good.zip", Selection(year=2022),
                          digest="sm3").path


def test_good_carrier_passes_and_skips_only_what_it_cannot_have(package):
    report = verify_package(package)
    statuses = {c.key: c.status for c in report.checks}
    assert statuses.pop("virus") in (PASS, SKIP)
    assert statuses.pop("tag_fixity") == SKIP  # a carrier has no BagIt tag files
    assert set(statuses.values()) == {PASS}, report.text()


def test_flipped_byte(package, tmp_path):
    data = bytearray(read_entry(package, DOCX))
    data[len(data) // 2] ^= 0x01
    failed = _failed(verify_package(rewrite_zip(package, tmp_path / "bad.zip", replace={DOCX: bytes(data)})))
    assert any(d.startswith(f"{DOCX}：SHA-256 摘要与清单不符") and "已被改动" in d for d in failed["fixity"])
    assert any(d.startswith(f"{DOCX}：SM3 摘要与清单不符") for d in failed["fixity"])
    assert "completeness" not in failed


def test_deleted_file(package, tmp_path):
    failed = _failed(verify_package(rewrite_zip(package, tmp_path / "bad.zip", drop={DOCX})))
    assert f"{DOCX}：清单中有，数据包中缺失" in failed["completeness"]
    assert any(DOCX in d and "数据包中没有" in d for d in failed["content_link"])
    assert any("个文件" in d for d in failed["payload_oxum"])  # the 登记表's file count no longer holds
    assert "fixity" not in failed


def test_added_file(package, tmp_path):
    extra = f"{REC}/说明.exe"
    failed = _failed(verify_package(rewrite_zip(package, tmp_path / "bad.zip", add={extra: b"MZ\x90\x00",
                                                                                     "autorun.inf": b"[autorun]"})))
    assert f"{extra}：数据包中有，清单中没有（多余文件）" in failed["completeness"]
    assert any(extra in d for d in failed["non_archive_files"])
    assert any(d.startswith("autorun.inf：不是载体结构的组成部分") for d in failed["non_archive_files"])


def test_edited_catalog_even_with_a_fresh_manifest(package, tmp_path):
    raw = read_entry(package, "文件目录.XML").decode()
    edited = raw.replace("关于开展", "关于暂停", 1).encode()
    failed = _failed(verify_package(rewrite_zip(package, tmp_path / "bad.zip", replace={"文件目录.XML": edited})))
    assert any(d.startswith("文件目录.XML：SHA-256 摘要与清单不符") for d in failed["fixity"])
    assert any("题名“关于暂停" in d for d in failed["catalog_metadata"])

    def edit(work):  # the forger also remakes 其他/manifest-sha256.txt with sha256sum
        (work / "文件目录.XML").write_bytes(edited)

    from transfer_helpers import rebag

    failed = _failed(verify_package(rebag(package, tmp_path / "forged.zip", edit)))
    assert "fixity" not in failed and "completeness" not in failed
    assert any("电子档案数字摘要" in d and "填表后被改动" in d for d in failed["register"])  # the 登记表 holds
    assert any("题名“关于暂停" in d for d in failed["catalog_metadata"])


def test_truncated(package, tmp_path):
    data = package.read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: len(data) // 2])
    report = verify_package(cut)
    assert not report.ok and "截断" in report.get("package_readable").details[0]
    folder = tmp_path / "folder"
    with zipfile.ZipFile(package) as z:
        z.extractall(folder)
    doc = folder / DOCX
    doc.write_bytes(doc.read_bytes()[:1000])  # a file cut short on the disc
    failed = _failed(verify_package(folder))
    assert any(d.startswith(f"{DOCX}：SHA-256 摘要与清单不符") for d in failed["fixity"])
    assert any(DOCX in d and "实际大小 1000 字节" in d for d in failed["content_link"])


def test_renamed(package, tmp_path):
    folder = tmp_path / "folder"
    with zipfile.ZipFile(package) as z:
        z.extractall(folder)
    (folder / DOCX).rename(folder / REC / "改名.docx")
    failed = _failed(verify_package(folder))
    assert f"{DOCX}：清单中有，数据包中缺失" in failed["completeness"]
    assert f"{REC}/改名.docx：数据包中有，清单中没有（多余文件）" in failed["completeness"]
    assert any("改名.docx" in d and "没有登记" in d for d in failed["content_link"])
    record = folder / "电子档案" / "2022" / "A001-WS·2022-D30-BGS-0004"
    record.rename(record.with_name("A001-WS·2022-D30-BGS-0009"))  # a record folder renamed
    failed = _failed(verify_package(folder))
    assert any("文件夹名与元数据中的档号" in d for d in failed["archival_code"])


def test_deleted_register_and_manifest_are_named(package, tmp_path):
    failed = _failed(verify_package(rewrite_zip(package, tmp_path / "a.zip", drop={REGISTER})))
    assert any(REGISTER in d for d in failed["completeness"]) and any("缺少" in d for d in failed["register"])
    failed = _failed(verify_package(rewrite_zip(package, tmp_path / "b.zip", drop={"其他/manifest-sha256.txt"})))
    assert "缺少数字摘要清单 其他/manifest-sha256.txt" in failed["bagit_structure"]


def test_bag_manifest_path_outside_is_refused(county, tmp_path):
    bag = export_package(county, tmp_path / "b.zip", Selection(year=2022), bagit=True).path
    bad = rewrite_zip(bag, tmp_path / "m.zip", replace={
        "manifest-sha256.txt": read_entry(bag, "manifest-sha256.txt") + b"0" * 64 + b"  ../../etc/passwd\n"})
    assert verify_package(bad).get("bagit_structure").status == FAIL
    carrier_dir = tmp_path / "c"
    export_package(county, carrier_dir, Selection(year=2022))
    with open(carrier_dir / "其他" / "manifest-sha256.txt", "a", encoding="utf-8") as f:
        f.write("0" * 64 + "  ../../etc/passwd\n")
    assert any("指向数据包之外" in d for d in _failed(verify_package(carrier_dir))["bagit_structure"])


# -- the command line ---------------------------------------------------------------------------

def test_cli_export_prints_layout_register_and_self_check(county, tmp_path):
    runner = CliRunner()
    out = tmp_path / "光盘"
    res = runner.invoke(main, ["export", "--archive", str(county.root), "--year", "2022", "--volume-size", "250K",
                               "--encoding", "gb18030", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "结构：载体结构" in res.output and "个载体" in res.output
    assert "登记表：5 件，0 卷" in res.output and "自检（四性检测）：通过" in res.output
    assert (out / "载体1" / "文件目录.XML").read_bytes().startswith(b"<?xml version='1.0' encoding='GB18030'?>")
    res = runner.invoke(main, ["verify", str(out)])
    assert res.exit_code == 0 and "结论：通过" in res.output
    res = runner.invoke(main, ["export", "--archive", str(county.root), "--year", "2022", "--zip", "--bagit",
                               "-o", str(tmp_path / "机器.zip")])
    assert res.exit_code == 0 and "BagIt" in res.output and (tmp_path / "机器.zip").is_file()
    res = runner.invoke(main, ["export", "--archive", str(county.root), "--zip", "--volume-size", "1G",
                               "-o", str(tmp_path / "x.zip")])
    assert res.exit_code != 0 and "错误：--volume-size 只用于文件夹输出" in res.output


def test_metadata_parses_back_from_the_carrier(year_2022, county):
    out, _ = year_2022
    meta = metadata_xml.parse((out / REC / "元数据.xml").read_bytes(), "x")
    _, rec = by_code(county)["A001-WS·2022-D30-BGS-0002"]
    assert meta["题名"] == rec.title and [f["sha256"] for f in meta["文件"]] == [f.sha256 for f in rec.files]
    assert meta["当前位置"] == REC
