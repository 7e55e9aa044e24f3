"""Transfer packages are parsed as hostile: a package from another county cannot pull the
receiver's files in, fill its memory or disk, smuggle a second copy of a file, or plant a formula
in the 归档文件目录 — and what held before (zip-slip, links in the zip, XXE, billion laughs) holds."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.errors import WenshuError
from archive.filing import iter_records
from archive.limits import Limits
from archive.store import Archive
from archive.transfer.export import Selection, export_package
from archive.transfer.importer import import_package
from archive.transfer.digest import new_hasher
from archive.transfer.names import METADATA_MAX_CHARS, MAX_AUTHOR_CHARS, MAX_TITLE_CHARS, unsafe_name
from archive.transfer.package import FAIL, open_package
from archive.transfer.verify import verify_package
from transfer_helpers import (add_records, by_code, config, entry_names, raw_zip, read_entry, rebag, rewrite_zip,
                              zero_bomb, zip_entries)
from wenshu.cli import main

REC = "电子档案/2022/A001-WS·2022-D30-BGS-0002"
DOCX_NAME = "高教字〔2022〕2号.docx"
DOCX = f"{REC}/{DOCX_NAME}"


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pkg")
    a = Archive.init(tmp / "档案库", config())
    add_records(a, tmp / "src", 3)
    out = export_package(a, tmp / "good.zip", Selection()).path
    a.close()
    return out


@pytest.fixture
def receiver(tmp_path):
    a = Archive.init(tmp_path / "市局" / "档案库", config("B001", "晋城市教育局"))
    yield a
    a.close()


@pytest.fixture
def victim(tmp_path):
    """A file of the receiving office, outside any archive (/srv/共享/victim.txt in the issue)."""
    p = tmp_path / "srv" / "共享" / "victim.txt"
    p.parent.mkdir(parents=True)
    p.write_text("市局内部名单：张三 李四\n", encoding="utf-8")
    return p


def _tree(root: Path) -> dict:
    """Every file under ``root`` with its digest: what must not change."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _failed(report) -> dict[str, list[str]]:
    return {c.key: c.details for c in report.checks if c.status == FAIL}


def _point_at(victim: Path, name: str):
    """The forger's edit of issue 12 item 3: a record's <计算机文件名> names the receiver's file,
    with its size and digest; the real document is taken out and the manifests are resealed."""
    def edit(work: Path):
        folder = work / REC
        (folder / DOCX_NAME).unlink()
        meta = folder / "元数据.xml"
        text = meta.read_text(encoding="utf-8")
        digest = hashlib.sha256(victim.read_bytes()).hexdigest()
        pattern = (rf"<计算机文件名>{re.escape(DOCX_NAME)}</计算机文件名>\s*<计算机文件大小>\d+</计算机文件大小>"
                   r"(.*?)<数字摘要 算法=\"SHA-256\">[0-9a-f]+</数字摘要>")
        text, n = re.subn(pattern, lambda m: f"<计算机文件名>{name}</计算机文件名><计算机文件大小>"
                          f"{victim.stat().st_size}</计算机文件大小>{m.group(1)}"
                          f"<数字摘要 算法=\"SHA-256\">{digest}</数字摘要>", text, flags=re.S)
        assert n == 1
        meta.write_text(text, encoding="utf-8")
    return edit


def _names(victim: Path) -> list[str]:
    return [str(victim), "../" * 30 + str(victim).lstrip("/"), "..\\..\\..\\victim.txt", "C:\\srv\\victim.txt",
            "C:victim.txt", "子目录/victim.txt"]


@pytest.mark.parametrize("which", range(6), ids=["absolute", "dotdot", "backslash", "drive", "drive-relative",
                                                  "separator"])
def test_file_name_reaching_out_of_the_record_fails_verify_and_import(package, receiver, victim, tmp_path, which):
    name = _names(victim)[which]
    bad = rebag(package, tmp_path / "bad.zip", _point_at(victim, name))
    report = verify_package(bad)
    assert not report.ok
    assert "结论：不通过" in report.text()
    details = _failed(report)["content_link"]
    assert any(repr(name) in d and "不是记录文件夹内的普通文件名" in d for d in details), details
    before, victim_before = _tree(receiver.root), _tree(victim.parent)
    with pytest.raises(WenshuError, match="未导入任何记录"):
        import_package(receiver, bad, actor="李四")
    assert _tree(receiver.root) == before and list(iter_records(receiver)) == []
    assert _tree(victim.parent) == victim_before  # the receiver's file is where it was, unchanged


def test_cli_verify_names_the_bad_file_name(package, victim, tmp_path):
    bad = rebag(package, tmp_path / "bad.zip", _point_at(victim, str(victim)))
    res = CliRunner().invoke(main, ["verify", str(bad)])
    assert res.exit_code == 1 and "结论：不通过" in res.output and str(victim) in res.output


def test_plain_name_rules():
    assert unsafe_name("高教字〔2022〕2号.docx") == "" and unsafe_name("关于 A&B 的通知（定稿）.pdf") == ""
    for bad in ("/etc/passwd", "../x.pdf", "..", ".", "", "a\\b.pdf", "C:x.pdf", "a:b", "a\x00b", "a\nb",
                "x\u202efdp.exe"):
        assert unsafe_name(bad), bad


def test_a_link_inside_a_record_folder_of_an_unzipped_package_is_refused(package, receiver, victim, tmp_path):
    """An unzipped bag (a folder) may hold links, which zip extraction never creates."""
    bag = tmp_path / "bag"
    with zipfile.ZipFile(package) as z:
        z.extractall(bag)
    target = bag / DOCX
    target.unlink()
    target.symlink_to(victim)
    report = verify_package(bag)
    assert not report.ok
    assert any("符号链接" in d and DOCX_NAME in d for d in _failed(report)["zip_safety"])
    before = _tree(receiver.root)
    with pytest.raises(WenshuError, match="未导入任何记录"):
        import_package(receiver, bag)
    assert _tree(receiver.root) == before


# -- zip bombs and limits --------------------------------------------------------------------

def _with_entry(package: Path, dst: Path, name: str, data: bytes, crc: int, size: int, method: int = 8) -> Path:
    dst.write_bytes(raw_zip([*zip_entries(package), (name, data, method, crc, size)]))
    return dst


_MEASURE = """
import json, resource, sys
from pathlib import Path
from archive.limits import Limits
from archive.transfer.verify import verify_package
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
report = verify_package(Path(sys.argv[1]))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"ok": report.ok, "failed": {c.key: c.details for c in report.checks if c.status == "不通过"},
                  "rss_delta_kb": peak - base}, ensure_ascii=False))
"""


def test_one_gib_entry_bomb_is_stopped_with_memory_bounded(package, tmp_path):
    """Issue 12 item 4: a ~1 MB package entry that inflates to 1 GiB. Run in a fresh process so the
    peak RSS is this verify's alone."""
    data, crc = zero_bomb(1 << 30)
    bomb = _with_entry(package, tmp_path / "bomb.zip", "其他/附件.txt", data, crc, 1 << 30)
    assert bomb.stat().st_size < 5 << 20
    shm_before = set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()
    run = subprocess.run([sys.executable, "-c", _MEASURE, str(bomb)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}, timeout=600)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert not out["ok"]
    assert any("压缩比" in d and "附件.txt" in d and "已停止解压" in d for d in out["failed"]["zip_safety"])
    assert out["rss_delta_kb"] < 64 * 1024, out  # 64 MiB: nothing of the GiB was held in memory
    assert not [n for n in set(os.listdir("/dev/shm")) - shm_before if "wenshu" in n] if shm_before else True
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".wenshu-unpack-")]  # cleaned up


@pytest.mark.parametrize("limits, found", [
    (Limits(package_max_entry_mb=1), "package_max_entry_mb"),
    (Limits(package_max_mb=2), "package_max_mb"),
    (Limits(package_max_entries=5), "package_max_entries"),
    (Limits(package_max_ratio=3), "package_max_ratio"),
])
def test_each_unpacking_limit_stops_verify_and_import(package, receiver, tmp_path, limits, found):
    if found == "package_max_ratio":  # 3 MiB of zeros: ratio ~1000
        data, crc = zero_bomb(3 << 20)
        big = _with_entry(package, tmp_path / "big.zip", "其他/附件.txt", data, crc, 3 << 20)
    else:  # 3 MiB that does not compress, stored: over 1 MB per entry, over 2 MB in all
        data = os.urandom(3 << 20)
        big = _with_entry(package, tmp_path / "big.zip", "其他/附件.txt", data, zlib.crc32(data), len(data), 0)
    assert verify_package(big).ok is False  # (the extra file is unregistered anyway)
    report = verify_package(big, limits=limits)
    details = _failed(report)["zip_safety"]
    assert any(found in d and "已停止解压" in d for d in details), details
    assert "超出解压上限" in report.get("package_readable").details[0]
    before = _tree(receiver.root)
    with pytest.raises(WenshuError) as e:
        import_package(receiver, big, limits=limits)
    assert found in str(e.value) and "未导入任何记录" in str(e.value)
    assert _tree(receiver.root) == before
    assert not [p for p in receiver.root.parent.iterdir() if p.name.startswith(".wenshu-unpack-")]


def test_the_archive_limits_from_wenshu_toml_apply_to_import(package, tmp_path):
    a = Archive.init(tmp_path / "市局2", config("B001", "晋城市教育局"))
    cfg_text = a.config_path.read_text(encoding="utf-8") + "\n[limits]\npackage_max_entries = 4\n"
    a.config_path.write_text(cfg_text, encoding="utf-8")
    a = Archive(a.root)
    with pytest.raises(WenshuError, match="package_max_entries"):
        import_package(a, package)
    a.close()


def test_declared_sizes_are_not_trusted(package, tmp_path):
    """An entry that declares 10 bytes but inflates to 64 MiB passes every declared check; unpacking
    stops at the first bytes beyond what was declared and nothing big is written."""
    data, crc = zero_bomb(64 << 20)
    liar = _with_entry(package, tmp_path / "liar.zip", "其他/附件.txt", data, crc, 10)
    report = verify_package(liar)
    assert not report.ok
    assert "附件.txt 已损坏" in report.get("package_readable").details[0]
    assert not any(p.stat().st_size > 1 << 20 for p in tmp_path.rglob("*") if p.is_file() and p != liar)


def test_unpacking_goes_to_disk_beside_the_package_or_the_archive_not_to_ram(package, receiver, tmp_path):
    with open_package(package) as pkg:
        assert pkg.bag.resolve().is_relative_to(package.parent.resolve())
        assert os.stat(pkg.bag).st_dev == os.stat(package.parent).st_dev
        assert not str(pkg.bag.resolve()).startswith("/dev/shm")
    with open_package(package, unpack_to=[receiver.root.parent]) as pkg:
        assert pkg.bag.resolve().parent == receiver.root.parent.resolve()
    with open_package(package, unpack_to=[Path("/dev/shm")]) as pkg:  # a RAM folder is passed over
        assert not str(pkg.bag.resolve()).startswith("/dev/shm")


# -- duplicate entries -----------------------------------------------------------------------

def test_duplicate_entry_names_fail_verify_and_import(package, receiver, tmp_path):
    entries = zip_entries(package)
    dup = next(e for e in entries if e[0] == DOCX)
    bad = tmp_path / "dup.zip"
    bad.write_bytes(raw_zip([*entries, dup]))
    with zipfile.ZipFile(bad) as z:
        assert [n for n in z.namelist() if n == DOCX] == [DOCX, DOCX]
    report = verify_package(bad)
    assert not report.ok
    assert any(DOCX in d and "重名条目" in d for d in _failed(report)["zip_safety"])
    before = _tree(receiver.root)
    with pytest.raises(WenshuError, match="未导入任何记录"):
        import_package(receiver, bad)
    assert _tree(receiver.root) == before


# -- what held before: keep it holding -------------------------------------------------------

@pytest.mark.parametrize("name", ["../../escape.txt", "data/../../escape.txt", "..\\..\\escape.txt", "ABS"])
def test_zip_slip_entries_are_refused(package, tmp_path, name):
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    if name == "ABS":
        name = str(tmp_path / "abs-escape.txt")
    bad = rewrite_zip(package, deep / "slip.zip", add={name: b"escaped"})
    report = verify_package(bad)
    assert not report.ok
    assert any("不安全" in d for d in _failed(report)["zip_safety"])
    assert not [p for p in tmp_path.rglob("*escape.txt")]


def test_symlink_entry_in_the_zip_is_refused(package, victim, tmp_path):
    info = zipfile.ZipInfo(f"{REC}/link.txt")
    info.external_attr = (0o120777 << 16)
    bad = tmp_path / "link.zip"
    with zipfile.ZipFile(package) as zi, zipfile.ZipFile(bad, "w") as zo:
        for i in zi.infolist():
            zo.writestr(i.filename, zi.read(i.filename))
        zo.writestr(info, str(victim))
    report = verify_package(bad)
    assert any("符号链接" in d for d in _failed(report)["zip_safety"])


def test_manifest_paths_outside_the_bag_are_refused(package, victim, tmp_path):
    sha = hashlib.sha256(victim.read_bytes()).hexdigest()
    bad = rewrite_zip(package, tmp_path / "m.zip", replace={
        "其他/manifest-sha256.txt": read_entry(package, "其他/manifest-sha256.txt") + f"{sha}  ../../{victim.name}\n".encode()})
    report = verify_package(bad)
    assert not report.ok and report.get("bagit_structure").status == FAIL


def test_sm3_manifest_path_outside_the_bag_is_not_read(tmp_path, victim):
    """bagit does not read manifest-sm3.txt; wenshu does, and must not follow a path out of the bag
    (``../../dev/zero`` would hang the check, any other path reads the receiver's file)."""
    a = Archive.init(tmp_path / "县", config())
    add_records(a, tmp_path / "src", 1, pdf=False)
    pkg = export_package(a, tmp_path / "sm3.zip", Selection(), digest="sm3").path
    a.close()
    h = new_hasher("sm3")
    h.update(victim.read_bytes())
    rel = "../" * 30 + str(victim).lstrip("/")
    manifest = read_entry(pkg, "其他/manifest-sm3.txt") + f"{h.hexdigest()}  {rel}\n".encode()
    tags = {}
    for tag in {"tagmanifest-sha256.txt", "tagmanifest-sm3.txt"} & set(entry_names(pkg)):  # a bag's: resealed
        alg = "sm3" if "sm3" in tag else "sha256"
        lines = []
        for line in read_entry(pkg, tag).decode("utf-8").splitlines():
            digest, path = line.split(None, 1)
            if path == "manifest-sm3.txt":
                hh = new_hasher(alg)
                hh.update(manifest)
                digest = hh.hexdigest()
            lines.append(f"{digest}  {path}")
        tags[tag] = ("\n".join(lines) + "\n").encode()
    bad = rewrite_zip(pkg, tmp_path / "bad.zip", replace={"其他/manifest-sm3.txt": manifest, **tags})
    report = verify_package(bad)
    assert not report.ok
    assert any(repr(rel) in d and "指向数据包之外" in d for d in _failed(report)["bagit_structure"])


def test_xxe_in_metadata_is_not_resolved(package, receiver, victim, tmp_path):
    def edit(work):
        meta = work / REC / "元数据.xml"
        text = meta.read_text(encoding="utf-8")
        text = text.replace("<电子文件元数据", f'<!DOCTYPE 电子文件元数据 [<!ENTITY x SYSTEM "file://{victim}">]>\n<电子文件元数据', 1)
        text = re.sub(r"<题名>[^<]*</题名>", "<题名>&x;</题名>", text, count=1)
        meta.write_text(text, encoding="utf-8")

    bad = rebag(package, tmp_path / "xxe.zip", edit)
    report = verify_package(bad)
    assert not report.ok  # the title is empty (entity not expanded) and differs from the catalogue
    assert "张三" not in report.text()
    with pytest.raises(WenshuError):
        import_package(receiver, bad)
    assert not any("张三" in r.title for _, r in iter_records(receiver))


def test_billion_laughs_in_the_catalogue_is_not_expanded(package, tmp_path):
    lol = "".join(f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 10))

    def edit(work):
        path = work / "文件目录.XML"
        text = path.read_text(encoding="utf-8")
        text = text.replace("<文件目录", f'<!DOCTYPE 文件目录 [<!ENTITY l0 "lol">{lol}]>\n<文件目录', 1)
        text = text.replace("<备注>第1件</备注>", "<备注>&l9;</备注>", 1)
        path.write_text(text, encoding="utf-8")

    run = subprocess.run([sys.executable, "-c", _MEASURE, str(rebag(package, tmp_path / "lol.zip", edit))],
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
                         timeout=600)
    out = json.loads(run.stdout)
    assert out["rss_delta_kb"] < 64 * 1024
    assert not out["ok"]


# -- what the writers write ------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x.example/x","点击查看")', "=cmd|' /C calc'!A0", "=1+2", "@SUM(A1)", "+1", "-1",
            "\t=1+2", "\r=1+2"]


def test_formula_like_titles_and_authors_are_text_cells_in_the_xlsx(tmp_path):
    """Issue 12 item 5: received documents titled like formulas, 责任者 "=1+2"."""
    from openpyxl import load_workbook

    from archive.cleaning import clean_text

    a = Archive.init(tmp_path / "县", config())
    recs = add_records(a, tmp_path / "src", len(FORMULAS), pdf=False)
    codes = by_code(a)
    for rec, formula in zip(recs, FORMULAS):
        folder, r = codes[str(rec.archival_code)]
        r.title = formula
        r.author = formula
        r.save(folder)
    pkg = export_package(a, tmp_path / "f.zip", Selection()).path
    a.close()
    (tmp_path / "x.xlsx").write_bytes(read_entry(pkg, "其他/归档文件目录.xlsx"))
    ws = load_workbook(tmp_path / "x.xlsx").worksheets[0]
    header = [c.value for c in ws[3]]
    for row, formula in zip(ws.iter_rows(min_row=4), FORMULAS):
        cells = {h: c for h, c in zip(header, row)}
        for col in ("题名", "责任者"):
            cell = cells[col]
            assert cell.data_type == "s", (col, formula, cell.data_type)
            # a leading tab/CR is already a space once the value enters a Record (archive/cleaning.py)
            assert cell.value == clean_text(formula), (cell.value, formula)
    assert verify_package(pkg).ok


def test_control_characters_in_an_old_record_do_not_stop_the_export(tmp_path):
    """Issue 12 item 7: a title with control characters already in record.json (written by an older
    wenshu) — `wenshu export --year 2022` succeeds and the package verifies."""
    a = Archive.init(tmp_path / "县", config())
    (rec,) = add_records(a, tmp_path / "src", 1)
    folder, r = by_code(a)[str(rec.archival_code)]
    data = json.loads((folder / "record.json").read_text(encoding="utf-8"))
    data["题名"] = "关于\x01控制\x1b[31m字符\x7f的通知"
    data["责任者"] = "高平市\u202e教育局"
    (folder / "record.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "p.zip"
    res = CliRunner().invoke(main, ["export", "--year", "2022", "-o", str(out), "--archive", str(a.root)])
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output
    report = verify_package(out)
    assert report.ok, report.text()
    xml = read_entry(out, f"电子档案/2022/{rec.archival_code}/元数据.xml").decode("utf-8")
    assert re.search(r"<题名>[^<]*</题名>", xml).group() == "<题名>关于控制字符的通知</题名>"  # the whole escape sequence goes (archive/cleaning.py)
    assert "<责任者>高平市教育局</责任者>" in xml
    a.close()


def test_length_limits_are_exported_constants_and_enforced_by_verify(package, tmp_path):
    assert METADATA_MAX_CHARS["题名"] == MAX_TITLE_CHARS and METADATA_MAX_CHARS["责任者"] == MAX_AUTHOR_CHARS

    def edit(work):
        meta = work / REC / "元数据.xml"
        text = meta.read_text(encoding="utf-8").replace("<责任者>高平市教育局</责任者>",
                                                        f"<责任者>{'局' * (MAX_AUTHOR_CHARS + 1)}</责任者>", 1)
        meta.write_text(text, encoding="utf-8")

    failed = _failed(verify_package(rebag(package, tmp_path / "long.zip", edit)))
    assert any(f"责任者长 {MAX_AUTHOR_CHARS + 1} 字，超过 {MAX_AUTHOR_CHARS} 字" in d for d in failed["length"])
