"""``wenshu verify``: the DA/T 70-2018 四性检测 of a transfer package.

Fixity comes from bagit (every payload and tag file against its manifest, missing and
unexpected files named one by one); SM3 manifests, which bagit does not read, are checked
here. On top of that the package is read as an archive would read it: the catalogue, the
record folders and each 元数据.xml must agree; 档号 must be well formed, unique and
continuous (or the gap explained); contents must be open formats and unencrypted.
Every check always appears in the report, as 通过, 不通过 or 未检测 with the reason.
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import bagit

from archive.archival_code import ArchivalCode, Retention
from archive.config import CLASSIFICATIONS
from archive.errors import WenshuError
from archive.transfer import catalog, metadata_xml
from archive.limits import Limits
from archive.transfer.digest import DIGEST_LABELS, file_digests
from archive.transfer.names import (ALLOWED_FORMATS, BAG, CARRIER, CARRIER_NAMES, CARRIER_ROOT, CATALOG_XSD, DATA, GAPS_XML, HANDOVER_DIR, LAYOUT_LABELS, METADATA_MAX_CHARS, METADATA_XML, METADATA_XSD, OLD_BAG, OLD_NAMES, OTHER_DIR, RECORD_COUNT_TAG, RECORDS_DIR, REGISTER_DOCX, REGISTER_XML, REPORT_TXT, RULES_TXT, Names, inside, nfc, unsafe_name)
from archive.transfer.xmlsafe import UNSAFE_CHARS
from archive.transfer.contents import check_content_file, virus_scan
from archive.transfer.fixity import carrier_manifest, is_manifest
from archive.transfer.fixity import read_manifest as read_manifest_lines
from archive.transfer.package import FAIL, PASS, SKIP, OpenedPackage, Report, open_package, volume_folders
from archive.transfer.registercheck import check_register, check_volume_set, fixity_threads, hash_all

_LABELS = {r.label for r in Retention}
_REQUIRED = ("档号", "全宗号", "年度", "保管期限", "件号", "题名", "责任者", "日期")
# 档发〔2012〕7号 allows these encodings for the catalogue; wenshu writes UTF-8 or GB18030.
_XML_DECL = re.compile(rb"^<\?xml[^>]*encoding=[\"'](UTF-8|GB18030|GB2312)[\"']", re.I)


@dataclass
class PackageRecord:
    folder: Path  # absolute, inside the unpacked bag
    location: str  # relative to the carrier root, e.g. 电子档案/2022/A001-WS·2022-D30-BGS-0001
    meta: dict | None  # parsed 元数据.xml (record.json shape); None when unreadable
    row: catalog.CatalogRow | None = None


def _iso_ok(text: str) -> bool:
    try:
        date.fromisoformat(text)
        return True
    except ValueError:
        return False


_CARRIER_NAMES_OF_CHECKS = {
    "bagit_structure": "载体结构检测（说明文件.TXT、文件目录.XML、电子档案/、其他/、数字摘要清单）",
    "payload_oxum": "总字节数与文件数相符性检测（登记表）",
}


def _new_report(source: str) -> Report:
    r = Report(source)
    for prop, key, name in (
        ("真实性", "fixity", "固化信息有效性检测（电子文件数字摘要）"),
        ("真实性", "tag_fixity", "归档信息包真实性检测（标签文件摘要）"),
        ("真实性", "archival_code", "档号规范性检测（格式与唯一性）"),
        ("真实性", "data_format", "元数据项数据类型、格式检测"),
        ("真实性", "value_domain", "设定值域的元数据项值域符合度检测（保管期限、密级）"),
        ("真实性", "plausibility", "元数据项数据值合理性检测"),
        ("真实性", "duplicates", "元数据项数据重复性检测（文号）"),
        ("真实性", "length", "元数据项数据长度检测"),
        ("真实性", "special_chars", "元数据项数据包含特殊字符检测"),
        ("真实性", "content_link", "元数据与内容关联真实性检测（文件名、大小、摘要）"),
        ("真实性", "catalog_metadata", "文件目录与元数据一致性检测"),
        ("真实性", "register", "归档信息包真实性检测（登记表的件数、数据量、数字摘要与数据包相符）"),
        ("完整性", "package_readable", "数据包完整读取检测（压缩包结构与 CRC）"),
        ("完整性", "bagit_structure", "BagIt 结构检测（bagit.txt、bag-info.txt、清单）"),
        ("完整性", "completeness", "电子文件齐全性检测（缺失文件、多余文件）"),
        ("完整性", "payload_oxum", "总字节数与文件数相符性检测（Payload-Oxum）"),
        ("完整性", "record_count", "电子文件数据总件数检测"),
        ("完整性", "catalog_records", "文件目录与电子档案对应检测"),
        ("完整性", "required", "必填著录项目检测"),
        ("完整性", "process_info", "过程信息完整性检测（业务行为记录）"),
        ("完整性", "continuity", "连续性元数据项检测（件号）"),
        ("可用性", "xml_readable", "信息包中元数据的可读性检测（XML）"),
        ("可用性", "catalog_xlsx", "归档文件目录（xlsx）可读性检测"),
        ("可用性", "formats", "内容数据格式检测（docx、pdf、ofd、txt）"),
        ("可用性", "no_encryption", "内容数据格式合规性检测（无加密）"),
        ("安全性", "zip_safety", "数据包安全性检测（无加密、通用压缩、安全路径）"),
        ("安全性", "non_archive_files", "载体内非档案文件检测"),
        ("安全性", "virus", "病毒检测"),
    ):
        r.add(prop, key, name)
    return r


def _skip(report: Report, keys, why: str) -> None:
    for c in report.checks:
        if c.key in keys and c.status == PASS:
            c.status = SKIP
            c.details.append(why)


def verify_package(path: Path, processes: int = 1, limits: Limits | None = None,
                   unpack_to: list[Path] | None = None, own_export: bool = False) -> Report:
    """``limits``: the unpacking limits (``Limits()`` when no archive is involved); ``unpack_to``:
    folders to unpack in, before the package's own folder (see package.open_package);
    ``own_export``: the export's own check, run before the 登记表 exists. A folder of carriers
    载体1 … 载体n is checked carrier by carrier and as one transfer."""
    limits = limits or Limits()
    vols = volume_folders(Path(path))
    if vols:
        reports = []
        for v in vols:
            with open_package(v, limits, unpack_to) as pkg:
                reports.append(inspect(pkg, processes, limits, own_export)[0])
        return check_volume_set(Path(path), vols, reports, _new_report)
    with open_package(path, limits, unpack_to) as pkg:
        report, _ = inspect(pkg, processes, limits, own_export)
    return report


@contextmanager
def _quiet_bagit():
    """bagit logs every mismatch in English on stderr; the report already says it in Chinese."""
    log = logging.getLogger("bagit")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(level)


def inspect(pkg: OpenedPackage, processes: int = 1, limits: Limits | None = None, own_export: bool = False
            ) -> tuple[Report, list[PackageRecord]]:
    report = _new_report(str(pkg.source))
    if pkg.layout:
        report.facts["结构"] = LAYOUT_LABELS[pkg.layout]
    if pkg.layout == CARRIER:
        for key, name in _CARRIER_NAMES_OF_CHECKS.items():
            report.get(key).name = name
    for p in pkg.zip_problems:
        report.get("zip_safety").fail(p)
    if not pkg.is_zip:
        _skip(report, {"zip_safety"}, "数据包是未压缩的目录")
        report.get("package_readable").details.append("数据包是未压缩的目录")
    if pkg.error:
        report.get("package_readable").fail(pkg.error)
        _skip(report, {c.key for c in report.checks}, "数据包无法打开，未检测")
        return report, []
    if pkg.layout == CARRIER:
        manifest = _carrier_checks(report, pkg.bag, processes)
        croot, prefix = pkg.bag, ""
        _skip(report, {"tag_fixity"}, "载体结构没有 BagIt 标签文件；清单之外的固化信息由登记表的数字摘要核对")
    else:
        with _quiet_bagit():
            manifest = _bag_checks(report, pkg.bag, processes)
        croot, prefix = pkg.bag / DATA, f"{DATA}/"
    names = OLD_NAMES if pkg.layout == OLD_BAG else CARRIER_NAMES
    records = _content_checks(report, pkg.bag, croot, prefix, names, manifest, limits or Limits(), pkg.layout)
    check_register(report, croot, prefix, manifest, pkg.layout, own_export)
    virus_scan(report, pkg.bag)
    return report, records


# -- BagIt ---------------------------------------------------------------------------------

def _read_manifest(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) == 2:
            out[nfc(parts[1].lstrip("*"))] = parts[0].lower()
    return out


def _bag_checks(report: Report, root: Path, processes: int) -> dict[str, dict[str, str]]:
    """→ manifest entries: NFC path → {algorithm: digest}."""
    fixity, tagfix, struct = report.get("fixity"), report.get("tag_fixity"), report.get("bagit_structure")
    oxum, complete = report.get("payload_oxum"), report.get("completeness")
    try:
        bag = bagit.Bag(str(root))
        bag._validate_structure()
        bag._validate_bagittxt()
    except bagit.BagError as e:
        struct.fail(f"不是有效的 BagIt 数据包：{e}")
        _skip(report, {"fixity", "tag_fixity", "payload_oxum", "completeness"}, "BagIt 结构无效，未检测")
        return {}
    for key in ("Source-Organization", "Bagging-Date", "Payload-Oxum"):
        if key not in bag.info:
            struct.fail(f"bag-info.txt 缺少 {key}")
    entries = {nfc(p): dict(h) for p, h in bag.entries.items()}
    for alg in ("sm3",):
        for kind in ("manifest", "tagmanifest"):
            f = root / f"{kind}-{alg}.txt"
            if f.is_file():
                for p, d in _read_manifest(f).items():
                    if p.startswith("/") or "\\" in p or ".." in p.split("/") or not inside(root, root / p):
                        # bagit refuses such paths in its own manifests; the SM3 ones are read here
                        struct.fail(f"{f.name} 中的路径 {p!r} 指向数据包之外，未读取")
                        continue
                    entries.setdefault(p, {})[alg] = d
    report.facts["摘要算法"] = sorted({DIGEST_LABELS.get(a, a) for h in entries.values() for a in h})
    report.facts["导出时间"] = str(bag.info.get("Bagging-Date", ""))
    report.facts["移交单位"] = str(bag.info.get("Source-Organization", ""))
    payload = [nfc(p) for p in bag.payload_files()]
    total = sum((root / p).stat().st_size for p in payload)
    report.facts.update({"载荷文件数": len(payload), "数据量字节": total})
    value = str(bag.info.get("Payload-Oxum", ""))
    if "." in value and all(x.isdigit() for x in value.split(".", 1)):
        want_bytes, want_files = (int(x) for x in value.split(".", 1))
        if (want_bytes, want_files) != (total, len(payload)):
            oxum.fail(f"bag-info.txt 记载 {want_files} 个文件、{want_bytes} 字节，"
                      f"实际为 {len(payload)} 个文件、{total} 字节")
    else:
        oxum.fail(f"bag-info.txt 的 Payload-Oxum “{value}” 缺失或格式不正确")
    missing, unexpected = bag.compare_manifests_with_fs()
    missing = {nfc(p) for p in missing}
    for p in sorted(missing):
        complete.fail(f"{p}：清单中有，数据包中缺失")
    for p in sorted(nfc(p) for p in unexpected):
        complete.fail(f"{p}：数据包中有，清单中没有（多余文件）")
    try:
        bag._validate_entries(processes)
    except bagit.BagValidationError as e:
        for d in e.details:
            if isinstance(d, bagit.ChecksumMismatch) and nfc(d.path) not in missing:
                target = fixity if nfc(d.path).startswith(DATA + "/") else tagfix
                target.fail(f"{nfc(d.path)}：{DIGEST_LABELS.get(d.algorithm, d.algorithm)} 摘要与清单不符"
                            f"（清单 {d.expected[:16]}…，实际 {str(d.found)[:16]}…），文件已被改动或损坏")
    for p, hashes in sorted(entries.items()):
        if "sm3" in hashes and p not in missing and (root / p).is_file():
            found = file_digests(root / p, ["sm3"])["sm3"]
            if found != hashes["sm3"]:
                target = fixity if p.startswith(DATA + "/") else tagfix
                target.fail(f"{p}：SM3 摘要与清单不符（清单 {hashes['sm3'][:16]}…，实际 {found[:16]}…），"
                            "文件已被改动或损坏")
    report.facts["bag_info"] = {k: v for k, v in bag.info.items()}
    return entries


# -- content ---------------------------------------------------------------------------------

def _content_checks(report: Report, root: Path, data: Path, prefix: str, names: Names, manifest: dict,
                    limits: Limits, layout: str) -> list[PackageRecord]:
    """``data``: the carrier root (``root`` itself, or data/ of a bag); ``prefix``: how paths under it
    are named in the report and the manifests ("" or "data/")."""
    g = report.get
    xml, rows_c, count = g("xml_readable"), g("catalog_records"), g("record_count")
    rows, attrs = [], {}
    cat_path = data / names.catalog
    cat_rel = prefix + names.catalog
    if not cat_path.is_file():
        rows_c.fail(f"缺少 {cat_rel}")
    elif cat_path.stat().st_size > limits.max_part_bytes:
        xml.fail(f"{cat_rel}：有 {cat_path.stat().st_size} 字节，超过上限 {limits.max_part_mb} MB"
                 "（wenshu.toml [limits] max_part_mb），未读取")
    else:
        raw = cat_path.read_bytes()
        if not _XML_DECL.match(raw):
            xml.fail(f"{cat_rel}：缺少编码声明（应为 UTF-8、GB18030 或 GB2312）")
        try:
            attrs, rows = catalog.parse_catalog_xml(raw, cat_rel)
            _schema_check(xml, raw, cat_rel)
        except WenshuError as e:
            xml.fail(str(e))
    report.facts.update({"全宗号": attrs.get("全宗号", ""), "全宗名称": attrs.get("全宗名称", "")})
    report.facts["文件目录属性"] = dict(attrs)
    gaps = {}
    if (data / names.gaps).is_file():
        try:
            gaps = catalog.parse_gaps_xml((data / names.gaps).read_bytes(), prefix + names.gaps)
        except WenshuError as e:
            xml.fail(str(e))
    report.facts["缺号说明"] = gaps

    records = []
    base = data / RECORDS_DIR
    for folder in sorted(p for p in base.glob("*/*") if p.is_dir()) if base.is_dir() else []:
        loc = nfc(folder.relative_to(data).as_posix())
        meta_path = folder / METADATA_XML
        meta = None
        if not meta_path.is_file():
            g("required").fail(f"{loc}：缺少 {METADATA_XML}")
        elif meta_path.stat().st_size > limits.max_part_bytes:
            xml.fail(f"{loc}/{METADATA_XML}：有 {meta_path.stat().st_size} 字节，超过元数据文件的上限 "
                     f"{limits.max_part_mb} MB（wenshu.toml [limits] max_part_mb），未读取")
        else:
            raw = meta_path.read_bytes()
            if not _XML_DECL.match(raw):
                xml.fail(f"{loc}/{METADATA_XML}：缺少编码声明（应为 UTF-8、GB18030 或 GB2312）")
            try:
                meta = metadata_xml.parse(raw, f"{loc}/{METADATA_XML}")
            except WenshuError as e:
                xml.fail(str(e))
        records.append(PackageRecord(folder, loc, meta))
    report.facts["件数"] = len(records)

    by_loc = {r.location: r for r in records}
    seqs = []
    for row in rows:
        seqs.append(row.seq)
        rec = by_loc.get(nfc(row.location))
        if rec is None:
            rows_c.fail(f"文件目录第 {row.seq} 条（{row.code}）：{row.location} 在数据包中不存在")
        else:
            rec.row = row
    for rec in records:
        if rec.row is None:
            rows_c.fail(f"{rec.location}：文件目录中没有对应的 <文件> 条目")
    if seqs != list(range(1, len(seqs) + 1)):
        rows_c.fail("文件目录的顺序号应从 1 起连续编排")
    claimed = {"文件目录条目": len(rows), "电子档案文件夹": len(records)}
    if attrs.get("件数", "").isdigit():
        claimed["文件目录 件数 属性"] = int(attrs["件数"])
    info = report.facts.get("bag_info", {})
    if str(info.get(RECORD_COUNT_TAG, "")).isdigit():
        claimed[f"bag-info.txt {RECORD_COUNT_TAG}"] = int(info[RECORD_COUNT_TAG])
    if len(set(claimed.values())) > 1:
        count.fail("件数不一致：" + "，".join(f"{k} {v}" for k, v in claimed.items()))

    _record_checks(report, records, manifest, prefix)
    _catalog_vs_metadata(report, records, rows)
    _continuity(report, records, gaps, prefix + names.gaps)
    _xlsx(report, data / names.xlsx, len(rows), prefix + names.xlsx)
    _carrier(report, root, records, layout, names)
    report.facts["档号"] = sorted(r.meta["档号"] for r in records if r.meta)
    return records


def _schema_check(check, raw: bytes, source: str) -> None:
    """文件目录 against the XSD wenshu ships (never one the package brings: that could allow anything)."""
    from lxml import etree

    xsd = catalog.schema("catalog")
    doc = etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True))
    if not xsd.validate(doc):
        for err in list(xsd.error_log)[:5]:
            check.fail(f"{source} 第 {err.line} 行不符合模式 {CATALOG_XSD}：{err.message}")


def _record_checks(report: Report, records: list[PackageRecord], manifest: dict, prefix: str) -> None:
    g = report.get
    codes, numbers = Counter(), Counter()
    today = date.today()
    for rec in records:
        m, loc, where = rec.meta, rec.location, f"{rec.location}/{METADATA_XML}"
        if m is None:
            continue
        missing = [k for k in _REQUIRED if not str(m.get(k, "")).strip()]
        if missing:
            g("required").fail(f"{where}：必填项 {'、'.join(missing)} 为空")
        if not m["文件"]:
            g("required").fail(f"{where}：没有登记任何电子文件")
        if not m["历史"]:
            g("process_info").fail(f"{where}：没有业务行为（历史）记录")
        try:
            code = ArchivalCode.parse(m["档号"])
            if str(code) != m["档号"]:
                g("archival_code").fail(f"{where}：档号“{m['档号']}”不是规范写法，应为“{code}”")
        except WenshuError as e:
            code = None
            g("archival_code").fail(f"{where}：{e}")
        codes[m["档号"]] += 1
        if m["档号"] != rec.folder.name:
            g("archival_code").fail(f"{loc}：文件夹名与元数据中的档号“{m['档号']}”不一致")
        if code is not None:
            parts = {"全宗号": code.fonds, "年度": str(code.year), "保管期限": code.retention.label,
                     "机构": code.org, "件号": f"{code.item:04d}"}
            for k, v in parts.items():
                if m.get(k, "") != v:
                    g("plausibility").fail(f"{where}：{k}“{m.get(k, '')}”与档号中的“{v}”不一致")
            if rec.folder.parent.name != str(code.year):
                g("plausibility").fail(f"{loc}：所在年度文件夹 {rec.folder.parent.name} 与档号年度 {code.year} 不一致")
        if not re.fullmatch(r"\d{4}", m.get("年度", "")):
            g("data_format").fail(f"{where}：年度“{m.get('年度', '')}”应为 4 位数字")
        if not re.fullmatch(r"\d{4}", m.get("件号", "")):
            g("data_format").fail(f"{where}：件号“{m.get('件号', '')}”应为 4 位数字")
        for k in ("日期", "时限"):
            if m.get(k) and not _iso_ok(m[k]):
                g("data_format").fail(f"{where}：{k}“{m[k]}”应为 8 位数字 YYYYMMDD 的有效日期")
        if m.get("日期") and _iso_ok(m["日期"]) and date.fromisoformat(m["日期"]) > today:
            g("plausibility").fail(f"{where}：日期 {m['日期']} 晚于今天")
        if m.get("保管期限") not in _LABELS:
            g("value_domain").fail(f"{where}：保管期限“{m.get('保管期限')}”不在值域（永久、定期30年、定期10年）内")
        if m.get("密级") not in CLASSIFICATIONS:
            g("value_domain").fail(f"{where}：密级“{m.get('密级')}”不在值域（空、秘密、机密、绝密）内")
        if m.get("文号"):
            numbers[(m["文号"], m.get("责任者", ""))] += 1
        for key, limit in METADATA_MAX_CHARS.items():
            if len(m.get(key, "")) > limit:
                g("length").fail(f"{where}：{key}长 {len(m[key])} 字，超过 {limit} 字")
        for key in ("题名", "责任者", "文号", "文种", *(("主送", "抄送", "关键词"))):
            values = m.get(key, "")
            for v in values if isinstance(values, list) else [values]:
                bad = UNSAFE_CHARS.search(v)
                if bad:
                    g("special_chars").fail(f"{where}：{key}“{UNSAFE_CHARS.sub('�', v)[:40]}”含不可见或控制字符 "
                                            f"U+{ord(bad.group()):04X}")
        _file_checks(report, rec, manifest, prefix)
    for c, n in sorted(codes.items()):
        if n > 1:
            g("archival_code").fail(f"档号 {c} 重复出现 {n} 次")
    for (number, author), n in sorted(numbers.items()):
        if n > 1:
            g("duplicates").fail(f"文号 {number}（{author}）在 {n} 件中重复出现")


def _file_checks(report: Report, rec: PackageRecord, manifest: dict, prefix: str) -> None:
    g = report.get
    listed = set()
    folder_ok = None  # the record folder resolves inside the package (no link on the way): once per record
    for f in rec.meta["文件"]:
        name = nfc(f["名称"])
        why = unsafe_name(name)
        if why:
            # never joined to the record folder: "../../srv/共享/victim.txt" would reach the receiver's files
            g("content_link").fail(f"{rec.location}/{METADATA_XML}：计算机文件名 {name!r} 不是记录文件夹内的普通文件名"
                                   f"（{why}），此文件未检测，数据包不能导入")
            continue
        listed.add(name)
        path = rec.folder / name
        rel = f"{prefix}{rec.location}/{name}"
        # a plain name (checked above) that is no link stays in the folder; the folder itself is checked once
        if folder_ok is None and path.exists():
            folder_ok = inside(rec.folder.parent.parent.parent, rec.folder)
        if path.is_symlink() or (path.exists() and not folder_ok):
            g("content_link").fail(f"{rel}：是符号链接或指向记录文件夹之外，不能作为档案文件")
            continue
        if not path.is_file():
            g("content_link").fail(f"{rel}：元数据中登记了此文件，但数据包中没有")
            continue
        size = path.stat().st_size
        if size != f["大小"]:
            g("content_link").fail(f"{rel}：实际大小 {size} 字节，元数据登记 {f['大小']} 字节")
        for alg, want in f["摘要"].items():
            have = manifest.get(rel, {}).get(alg)
            if have and have != want:
                g("content_link").fail(f"{rel}：元数据中的 {DIGEST_LABELS[alg]} 摘要与清单不一致")
        ext = path.suffix.lower().lstrip(".")
        if ext not in ALLOWED_FORMATS:
            g("formats").fail(f"{rel}：格式 .{ext} 不在允许的格式（{'、'.join(ALLOWED_FORMATS)}）之内")
            continue
        check_content_file(report, path, ext, rel)
    for p in sorted(rec.folder.iterdir()):
        if p.name != METADATA_XML and nfc(p.name) not in listed:
            g("content_link").fail(f"{prefix}{rec.location}/{nfc(p.name)}：元数据中没有登记此文件")


def _catalog_vs_metadata(report: Report, records: list[PackageRecord], rows) -> None:
    g = report.get
    seen = Counter(row.code for row in rows)
    for code, n in seen.items():
        if n > 1:
            g("archival_code").fail(f"文件目录中档号 {code} 重复出现 {n} 次")
    for row in rows:
        try:
            ArchivalCode.parse(row.code)
        except WenshuError as e:
            g("archival_code").fail(f"文件目录第 {row.seq} 条：{e}")
        if row.ymd and not (len(row.ymd) == 8 and row.ymd.isdigit() and _iso_ok(metadata_xml._date(row.ymd))):
            g("data_format").fail(f"文件目录第 {row.seq} 条（{row.code}）：日期“{row.ymd}”应为 8 位数字 YYYYMMDD")
        if row.classification not in CLASSIFICATIONS:
            g("value_domain").fail(f"文件目录第 {row.seq} 条（{row.code}）：密级“{row.classification}”不在值域内")
    for rec in records:
        if rec.row is None or rec.meta is None:
            continue
        m, row = rec.meta, rec.row
        meta_ymd = m["日期"].replace("-", "") if _iso_ok(m["日期"]) else m["日期"]
        pairs = (("档号", row.code, m["档号"]), ("文号", row.doc_number, m["文号"]),
                 ("责任者", row.author, m["责任者"]), ("题名", row.title, m["题名"]),
                 ("日期", row.ymd, meta_ymd), ("密级", row.classification, m["密级"]),
                 ("页数", str(row.pages), str(m["页数"])))
        for label, a, b in pairs:
            if a != b:
                g("catalog_metadata").fail(f"文件目录第 {row.seq} 条 {row.code} 的{label}“{a}”与元数据“{b}”不一致")


def _continuity(report: Report, records: list[PackageRecord], gaps: dict[str, str], gaps_rel: str) -> None:
    cont = report.get("continuity")
    series: dict[tuple, list[int]] = {}
    for rec in records:
        try:
            c = ArchivalCode.parse(rec.meta["档号"]) if rec.meta else None
        except WenshuError:
            continue
        if c:
            series.setdefault((c.fonds, c.year, c.retention, c.org), []).append(c.item)
    explained = 0
    for (fonds, year, retention, org), items in sorted(series.items()):
        have = set(items)
        for item in range(1, max(items) + 1):
            if item in have:
                continue
            code = str(ArchivalCode(fonds, year, retention, org, item))
            if code in gaps:
                explained += 1
            else:
                cont.fail(f"缺件号 {code}，{gaps_rel} 中没有说明原因")
    if explained:
        cont.details.append(f"有 {explained} 个缺号已在 {GAPS_XML} 中说明原因")


def _xlsx(report: Report, path: Path, n_rows: int, rel: str) -> None:
    c = report.get("catalog_xlsx")
    if not path.is_file():
        c.fail(f"缺少 {rel}")
        return
    try:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        found = 0
        for ws in wb.worksheets:  # rows below the two title rows and the header row
            found += max(0, (ws.max_row or 0) - 3) if ws["A1"].value == "归档文件目录" else 0
        wb.close()
    except Exception as e:  # any parse failure means the spreadsheet cannot be read
        c.fail(f"{rel} 无法读取：{e}")
        return
    if found != n_rows:
        c.fail(f"{rel} 有 {found} 条，文件目录有 {n_rows} 条")


_OTHER_FILES = (CATALOG_XSD, METADATA_XSD, RULES_TXT, f"{HANDOVER_DIR}/{REGISTER_XML}",
                f"{HANDOVER_DIR}/{REGISTER_DOCX}", f"{HANDOVER_DIR}/{REPORT_TXT}")


def _carrier(report: Report, root: Path, records: list[PackageRecord], layout: str, names: Names) -> None:
    """载体内非档案文件检测: every file is a record's file, its 元数据.xml, or one of the carrier's own."""
    c = report.get("non_archive_files")
    prefix = "" if layout == CARRIER else f"{DATA}/"
    own = [names.readme, names.catalog, names.xlsx, names.gaps]
    if layout != OLD_BAG:
        own += [f"{OTHER_DIR}/{n}" for n in _OTHER_FILES]
    allowed = {prefix + n for n in own}
    for rec in records:
        allowed.add(f"{prefix}{rec.location}/{METADATA_XML}")
        for f in (rec.meta or {}).get("文件", []):
            allowed.add(f"{prefix}{rec.location}/{nfc(f['名称'])}")
    if layout == CARRIER:
        for p in sorted(root.iterdir()):
            if nfc(p.name) not in CARRIER_ROOT:
                c.fail(f"{nfc(p.name)}：不是载体结构的组成部分（根目录只应有 {'、'.join(CARRIER_ROOT)}）")
    for p in sorted(root.rglob("*")):
        rel = nfc(p.relative_to(root).as_posix())
        if p.is_dir():
            continue
        if layout == CARRIER:
            if "/" in rel and rel not in allowed and not is_manifest(rel):
                c.fail(f"{rel}：不是档案文件（文件目录和元数据中都没有登记）")
        elif "/" not in rel:
            if not (rel in ("bagit.txt", "bag-info.txt") or re.fullmatch(r"(tag)?manifest-\w+\.txt", rel)):
                c.fail(f"{rel}：不是 BagIt 标签文件，也不是档案文件")
        elif rel not in allowed:
            c.fail(f"{rel}：不是档案文件（文件目录和元数据中都没有登记）")


# -- the carrier's own manifests ---------------------------------------------------------------

def _carrier_checks(report: Report, root: Path, processes: int) -> dict[str, dict[str, str]]:
    """其他/manifest-sha256.txt (and -sm3) against every file of the carrier: missing, unexpected and
    changed files named one by one. → NFC path → {algorithm: digest}."""
    struct, fixity, complete = report.get("bagit_structure"), report.get("fixity"), report.get("completeness")
    for name in CARRIER_ROOT:
        if not (root / name).exists():
            struct.fail(f"载体根目录缺少 {name}")
    entries: dict[str, dict[str, str]] = {}
    for alg in ("sha256", "sm3"):
        rel = carrier_manifest(alg)
        path = root / rel
        if not path.is_file():
            if alg == "sha256":
                struct.fail(f"缺少数字摘要清单 {rel}")
            continue
        seen = set()
        parents: dict[str, bool] = {}  # resolving each of 10,000 paths costs more than hashing them
        for p, d in read_manifest_lines(path):
            parent = p.rpartition("/")[0]
            if parent not in parents:
                parents[parent] = inside(root, root / parent)
            if (p.startswith("/") or "\\" in p or ".." in p.split("/") or not parents[parent]
                    or (root / p).is_symlink()):
                struct.fail(f"{rel} 中的路径 {p!r} 指向数据包之外，未读取")
                continue
            if p in seen:
                struct.fail(f"{rel} 中 {p} 出现了不止一次")
            seen.add(p)
            entries.setdefault(p, {})[alg] = d
    if "sha256" not in {a for h in entries.values() for a in h} and not (root / carrier_manifest("sha256")).is_file():
        _skip(report, {"fixity", "completeness"}, "没有数字摘要清单，未检测")
        return {}
    on_disk = {nfc(p.relative_to(root).as_posix()): p for p in root.rglob("*") if p.is_file()}
    on_disk = {rel: p for rel, p in on_disk.items() if not is_manifest(rel)}
    missing = sorted(set(entries) - set(on_disk))
    for p in missing:
        complete.fail(f"{p}：清单中有，数据包中缺失")
    for p in sorted(set(on_disk) - set(entries)):
        complete.fail(f"{p}：数据包中有，清单中没有（多余文件）")
    todo = [(p, on_disk[p], sorted(entries[p])) for p in sorted(set(entries) & set(on_disk))]
    for p, found in hash_all(todo, fixity_threads(processes)):
        for alg, want in sorted(entries[p].items()):
            if found[alg] != want:
                fixity.fail(f"{p}：{DIGEST_LABELS.get(alg, alg)} 摘要与清单不符（清单 {want[:16]}…，"
                            f"实际 {found[alg][:16]}…），文件已被改动或损坏")
    report.facts["摘要算法"] = sorted({DIGEST_LABELS.get(a, a) for h in entries.values() for a in h})
    report.facts.update({"载荷文件数": len(on_disk), "数据量字节": sum(on_disk[p].stat().st_size for p in on_disk)})
    return entries


__all__ = ["verify_package", "inspect", "PackageRecord", "PASS", "FAIL", "SKIP"]
