"""Export to a higher authority (移交): selected records as one zipped BagIt bag (DESIGN §9).

The package is built in a staging folder beside the output (same file system), bagged with
``bagit``, zipped with UTF-8 names in NFC, and renamed into place only when complete, so an
interrupted export never leaves a file that looks like a package. Every file is checked
against its record.json sha256 while it is copied: a damaged archive is not exported as if
it were sound.
"""

from __future__ import annotations

import getpass
import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

import bagit

from archive.archival_code import ArchivalCode, Retention, item_series
from archive.errors import WenshuError
from archive.filing import filing_lock, save_record
from archive.fsutil import fsync_dir
from archive.record import IMPORTED, HistoryEntry, Record
from archive.registry import VOID
from archive.store import Archive
from archive.transfer import catalog, metadata_xml
from archive.transfer.layout import (ALLOWED_FORMATS, CATALOG_XLSX, CATALOG_XML, DATA, DIGEST_LABELS, DIGESTS,
                                     GAPS_XML, METADATA_XML, OTHER_DIR, README, RECORD_COUNT_TAG, RECORDS_DIR,
                                     new_hasher, nfc, scratch_base, unsafe_name, xml_text)

Progress = Callable[[str, int, int], None]
_STORED = {"docx", "xlsx", "pdf", "ofd", "zip", "jpg", "png"}  # already compressed


def _retention(value) -> Retention:
    # Retention.parse(str(member)) fails on Python 3.11 (str gives "Retention.YEARS_30").
    return value if isinstance(value, Retention) else Retention.parse(value)


QueryCodes = Callable[[Archive, str], set]  # full-text query → 档号 of the records it finds


@dataclass
class Selection:
    """Which records go into the package; empty fields select everything."""

    year: int | None = None
    retention: Retention | None = None
    org: str | None = None
    case: str | None = None
    query: str | None = None
    include_classified: bool = False

    def describe(self) -> str:
        parts = []
        if self.year:
            parts.append(f"年度 {self.year}")
        if self.retention:
            parts.append(f"保管期限 {_retention(self.retention).label}")
        if self.org:
            parts.append(f"机构 {self.org}")
        if self.case:
            parts.append(f"案件 {self.case}")
        if self.query:
            parts.append(f"检索“{self.query}”")
        parts.append("含密级文件" if self.include_classified else "不含密级文件")
        return "，".join(parts)


@dataclass
class ExportResult:
    path: Path
    records: int
    files: int
    payload_bytes: int
    skipped_classified: int
    digests: list[str]
    unexplained_gaps: list[str] = field(default_factory=list)
    other_formats: list[str] = field(default_factory=list)  # files the receiver's 格式检测 will reject
    incomplete: list[str] = field(default_factory=list)  # "档号：缺 责任者、日期" — 必填著录项目 missing
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"数据包": str(self.path), "件数": self.records, "文件数": self.files,
                "数据量字节": self.payload_bytes, "未导出密级件数": self.skipped_classified,
                "摘要算法": [DIGEST_LABELS[d] for d in self.digests],
                "未说明的缺号": self.unexplained_gaps, "非通用格式文件": self.other_formats,
                "缺必填项": self.incomplete,
                "用时秒": round(self.seconds, 3)}


def iter_archive_records(archive: Archive, year: int | None = None) -> Iterator[tuple[Path, Record]]:
    """Every record with its folder. A record.json that cannot be read stops the export (the
    package could otherwise silently miss a record the selection covers) — unless it lies in
    another 年度 folder than the one asked for."""
    from archive.filing import iter_records

    errors: list = []
    records = list(iter_records(archive, errors))
    errors = [(folder, msg) for folder, msg in errors if not year or Path(folder).parent.name == str(year)]
    if errors:
        listed = "；".join(f"{folder}：{msg}" for folder, msg in errors[:5])
        raise WenshuError(f"档案库中有 {len(errors)} 件记录的 record.json 无法读取（{listed}），"
                          "未生成数据包。请先运行 wenshu check 修复。")
    return iter(records)


def select_records(archive: Archive, sel: Selection, query_codes: QueryCodes | None = None
                   ) -> tuple[list[tuple[Path, Record]], int, list[Record]]:
    """→ (chosen, number of classified records left out, every record in the archive).

    ``query_codes(archive, query)`` resolves ``sel.query`` to 档号 through the full-text index."""
    if sel.query and query_codes is None:
        raise WenshuError("按 --query 选择记录需要全文检索；请改用 --year / --retention / --org / --case。")
    codes = query_codes(archive, sel.query) if sel.query else None
    retention = _retention(sel.retention) if sel.retention else None
    everything, chosen, skipped = [], [], 0
    for folder, rec in iter_archive_records(archive, sel.year):
        everything.append(rec)
        c = rec.archival_code
        if ((sel.year and c.year != sel.year) or (retention and c.retention != retention)
                or (sel.org and c.org != sel.org) or (sel.case and rec.case != sel.case)
                or (codes is not None and str(c) not in codes)):
            continue
        if rec.classification and not sel.include_classified:
            skipped += 1
            continue
        chosen.append((folder, rec))
    chosen.sort(key=lambda fr: fr[1].archival_code)
    return chosen, skipped, everything


def _copy_checked(src: Path, dst: Path, rec: Record, expect, algs: list[str]) -> dict[str, str]:
    """Copy one record file, hashing on the way; refuse a file that differs from its record.json."""
    if not src.is_file():
        raise WenshuError(f"记录 {rec.archival_code} 的文件 {src} 不存在，档案库不完整，未生成数据包。"
                          "请先运行 wenshu check 查明原因。")
    hashers = {a: new_hasher(a) for a in algs}
    size = 0
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        while block := fi.read(1 << 20):
            size += len(block)
            fo.write(block)
            for h in hashers.values():
                h.update(block)
    digests = {a: h.hexdigest() for a, h in hashers.items()}
    if digests["sha256"] != expect.sha256 or size != expect.size:
        raise WenshuError(f"{src} 与 record.json 中登记的摘要或大小不符（记录 {rec.archival_code}），"
                          "文件可能已被改动或损坏，未生成数据包。请运行 wenshu check 核对。")
    return digests


def package_names(rec: Record) -> dict[str, str]:
    """Record file name → its name in the package: NFC, without the characters a package may not
    carry (an old record.json may still hold a control character), and a plain name that the
    receiver's verify accepts. Two names that become one stop the export."""
    out: dict[str, str] = {}
    for f in rec.files:
        name = nfc(xml_text(f.name))
        why = unsafe_name(name)
        if why:
            raise WenshuError(f"记录 {rec.archival_code} 的文件名 {f.name!r} 不能放入数据包（{why}），未生成数据包。"
                              "请先把该文件改为普通文件名。")
        if name in out.values():
            raise WenshuError(f"记录 {rec.archival_code} 有两个文件在去掉控制字符后同名（{name}），未生成数据包。")
        out[f.name] = name
    return out


def _gaps(archive: Archive, chosen: list[Record], everything: list[Record], sel: Selection) -> tuple[list, list]:
    """Explain every 件号 below the highest one exported in each series that is not in the package."""
    by_code = {str(r.archival_code): r for r in everything}
    series: dict[tuple, set[int]] = {}
    for r in chosen:
        c = r.archival_code
        series.setdefault((c.fonds, c.year, c.retention, c.org), set()).add(c.item)
    explained, unexplained = [], []
    for (fonds, year, retention, org), items in sorted(series.items()):
        ledger = {e.seq: e for e in archive.registry.entries(year=year, kind="item")
                  if e.series == item_series(retention.value, org)}
        for item in range(1, max(items)):
            if item in items:
                continue
            code = str(ArchivalCode(fonds, year, retention, org, item))
            rec = by_code.get(code)
            entry = ledger.get(item)
            if rec is not None and rec.classification and not sel.include_classified:
                explained.append((code, f"密级文件（{rec.classification}），未随本数据包移交"))
            elif rec is not None:
                explained.append((code, f"不在本次导出范围（{sel.describe()}）"))
            elif entry is not None and entry.status == VOID:
                explained.append((code, f"件号已作废：{entry.reason or '未写原因'}"))
            else:
                unexplained.append(code)
    return explained, unexplained


def _readme(archive: Archive, sel: Selection, recs: list[Record], n_files: int, size: int,
            skipped: int, algs: list[str], actor: str, now: str) -> str:
    cfg = archive.config
    years: dict[tuple, int] = {}
    for r in recs:
        key = (r.year, r.retention.label)
        years[key] = years.get(key, 0) + 1
    lines = [
        "电子档案移交说明文件",
        "",
        f"全宗号：{cfg.fonds_code}",
        f"全宗名称：{cfg.fonds_name}",
        f"移交单位：{cfg.organ_name}",
        f"导出人：{actor}",
        f"导出时间：{now}",
        f"选择条件：{sel.describe()}",
        f"件数：{len(recs)}",
        *[f"  {y} 年度 {label}：{n} 件" for (y, label), n in sorted(years.items())],
        f"未导出的密级文件：{skipped} 件",
        f"电子文件数：{n_files}",
        f"数据量：{size} 字节（{size / 1e6:.3f} MB，{size / 1e9:.3f} GB）",
        f"数字摘要算法：{'、'.join(DIGEST_LABELS[a] for a in algs)}（见 manifest-*.txt）",
        "",
        "目录结构：",
        f"  {CATALOG_XML}  文件目录（每件一个 <文件>）",
        f"  {CATALOG_XLSX}  归档文件目录（DA/T 22，可打印）",
        f"  {RECORDS_DIR}/<年度>/<档号>/  电子文件及其 {METADATA_XML}（DA/T 46 元数据）",
        f"  {OTHER_DIR}/{GAPS_XML}  未随本包移交的件号及原因",
        "",
        "阅读环境：.docx 可用 WPS Office、Microsoft Word 或 LibreOffice 打开；.pdf 可用任一 PDF 阅读器打开。",
        f"生成软件：wenshu {_version()}；数据包为 BagIt 格式（RFC 8493），可用 wenshu verify 或 bagit.py --validate 校验。",
        "",
    ]
    return "\n".join(lines)


def _write_manifest(bag: Path, alg: str, entries: list[tuple[str, str]], prefix: str) -> None:
    with open(bag / f"{prefix}-{alg}.txt", "w", encoding="utf-8", newline="\n") as f:
        for rel, hexd in sorted(entries):
            f.write(f"{hexd}  {rel}\n")


def _tag_entries(bag: Path, alg: str) -> list[tuple[str, str]]:
    out = []
    for p in sorted(bag.iterdir()):
        if p.is_file() and not p.name.startswith("tagmanifest-"):
            h = new_hasher(alg)
            h.update(p.read_bytes())
            out.append((p.name, h.hexdigest()))
    return out


class _Utf8Name(zipfile.ZipInfo):
    """Every entry carries the UTF-8 name flag (bit 11), not only the non-ASCII ones as zipfile
    does, so that unzip tools on a Chinese-locale Windows never guess GBK for any of them."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("utf-8"), self.flag_bits | 0x800


def _zip(bag: Path, out_tmp: Path, progress: Progress | None) -> None:
    paths = sorted(p for p in bag.rglob("*") if p.is_file())
    stamp = time.localtime()[:6]
    with zipfile.ZipFile(out_tmp, "w", allowZip64=True) as zf:
        for i, p in enumerate(paths, 1):
            arc = nfc(p.relative_to(bag).as_posix())
            info = _Utf8Name(arc, date_time=stamp)
            info.external_attr = 0o644 << 16
            info.compress_type = (zipfile.ZIP_STORED if p.suffix.lower().lstrip(".") in _STORED
                                  else zipfile.ZIP_DEFLATED)
            info.file_size = p.stat().st_size
            with open(p, "rb") as src, zf.open(info, "w", force_zip64=info.file_size > 2**31) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            if progress and i % 500 == 0:
                progress("打包", i, len(paths))
    with open(out_tmp, "rb+") as f:
        os.fsync(f.fileno())


def _log(archive: Archive, entry: dict) -> None:
    """One line per export in .wenshu/log/export.log: which package left the archive, when, by whom,
    and the digest of its tag manifest, which identifies the package's content."""
    archive.log_dir.mkdir(parents=True, exist_ok=True)
    with open(archive.log_dir / "export.log", "a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")


def _version() -> str:
    try:
        return importlib.metadata.version("wenshu")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _record_export(archive: Archive, chosen: list[tuple[Path, Record]], entry: HistoryEntry) -> None:
    """The archive's own records say when and where they were handed over (DA/T 46 业务实体),
    not only the package's copy of their metadata."""
    with filing_lock(archive):
        for folder, _ in chosen:
            record = Record.load(folder)
            record.history.append(entry)
            save_record(folder, record)


def export_package(archive: Archive, out: Path, sel: Selection | None = None, digest: str = "sha256",
                   actor: str | None = None, progress: Progress | None = None,
                   query_codes: QueryCodes | None = None) -> ExportResult:
    started = time.perf_counter()
    sel = sel or Selection()
    out = Path(out).absolute()
    if digest not in DIGESTS:
        raise WenshuError(f"--digest “{digest}”不支持：可选 sha256 或 sm3。")
    if out.exists():
        raise WenshuError(f"{out} 已存在，未做任何更改。请换一个文件名或先移走原文件。")
    if not out.parent.is_dir():
        raise WenshuError(f"输出目录 {out.parent} 不存在。")
    algs = ["sha256"] + (["sm3"] if digest == "sm3" else [])
    chosen, skipped, everything = select_records(archive, sel, query_codes)
    if not chosen:
        extra = f"（另有 {skipped} 件密级文件未选，可加 --include-classified）" if skipped else ""
        raise WenshuError(f"没有符合条件（{sel.describe()}）的记录{extra}，未生成数据包。")
    actor = actor or getpass.getuser()
    now = datetime.now().isoformat(timespec="seconds")
    cfg = archive.config
    need = sum(f.size for _, r in chosen for f in r.files)
    tmp = Path(tempfile.mkdtemp(dir=scratch_base(need), prefix="wenshu-export-"))
    out_tmp = out.parent / f".{out.name}.{os.getpid()}.part"
    try:
        bag = tmp / "bag"
        (bag / RECORDS_DIR).mkdir(parents=True)
        rows, sm3_entries, other_formats, incomplete, size, n_files = [], [], [], [], 0, 0
        moved = HistoryEntry("移交", f"导出至数据包 {out.name}（{sel.describe()}）", now, actor)
        for i, (folder, rec) in enumerate(chosen, 1):
            code = rec.archival_code
            loc = f"{RECORDS_DIR}/{code.year}/{code}"
            dest = bag / loc
            dest.mkdir(parents=True)
            digests = {}
            names = package_names(rec)
            for f in rec.files:
                name = names[f.name]
                if name == METADATA_XML:
                    raise WenshuError(f"记录 {code} 有一个名为 {METADATA_XML} 的文件，与数据包的元数据文件重名。")
                digests[name] = _copy_checked(folder / f.name, dest / name, rec, f, algs)
                size += f.size
                n_files += 1
                if Path(name).suffix.lower().lstrip(".") not in ALLOWED_FORMATS:
                    other_formats.append(f"{loc}/{name}")
                sm3_entries += [(f"{DATA}/{loc}/{name}", digests[name].get("sm3", ""))]
            rec.files = [type(f)(names[f.name], f.size, f.sha256, f.format, f.role) for f in rec.files]
            xml = metadata_xml.to_xml(rec, fonds_name=cfg.fonds_name, location=loc, digests=digests,
                                      history_extra=[moved])
            (dest / METADATA_XML).write_bytes(xml)
            note = rec.extra.get("备注", "") if isinstance(rec.extra.get("备注", ""), str) else ""
            if not note and rec.origin == IMPORTED and rec.source:
                note = f"原档号 {rec.source.get('原档号', '')}"
            missing = [label for label, value in (("责任者", rec.author), ("日期", rec.date)) if not value]
            if missing:
                incomplete.append(f"{code}：缺 {'、'.join(missing)}")
            rows.append(catalog.CatalogRow(i, str(code), str(rec.doc_number or ""), rec.author, rec.title,
                                           metadata_xml.ymd(rec.date), rec.classification, rec.pages, loc, note))
            if progress and i % 200 == 0:
                progress("复制", i, len(chosen))
        recs = [r for _, r in chosen]
        explained, unexplained = _gaps(archive, recs, everything, sel)
        (bag / OTHER_DIR).mkdir()
        (bag / OTHER_DIR / GAPS_XML).write_bytes(catalog.gaps_xml(explained))
        (bag / CATALOG_XML).write_bytes(catalog.catalog_xml(rows, cfg.fonds_code, cfg.fonds_name))
        groups: dict[tuple, list] = {}
        for row, rec in zip(rows, recs):
            groups.setdefault((rec.year, rec.retention.label), []).append(row)
        catalog.catalog_xlsx(bag / CATALOG_XLSX, [(str(y), label, rs) for (y, label), rs in sorted(groups.items())],
                             cfg.fonds_name)
        (bag / README).write_text(xml_text(_readme(archive, sel, recs, n_files, size, skipped, algs, actor, now)),
                                  encoding="utf-8")
        if progress:
            progress("计算摘要", 0, 1)
        bag_info = {"Source-Organization": cfg.organ_name, "External-Identifier": out.stem,
                    "Internal-Sender-Identifier": cfg.fonds_code,
                    "Internal-Sender-Description": f"{cfg.fonds_name} 电子档案移交：{sel.describe()}",
                    "Bag-Software-Agent": f"wenshu {_version()} (bagit {bagit.VERSION})",
                    RECORD_COUNT_TAG: str(len(chosen))}
        # one line per tag: a newline in a value (a --query, an organ name) would forge another tag
        bag_info = {k: xml_text(v).replace("\r", " ").replace("\n", " ") for k, v in bag_info.items()}
        bagit.make_bag(str(bag), bag_info, checksums=["sha256"])
        if "sm3" in algs:
            for extra in (CATALOG_XML, CATALOG_XLSX, README, f"{OTHER_DIR}/{GAPS_XML}",
                          *(f"{row.location}/{METADATA_XML}" for row in rows)):
                h = new_hasher("sm3")
                h.update((bag / DATA / extra).read_bytes())
                sm3_entries.append((f"{DATA}/{extra}", h.hexdigest()))
            _write_manifest(bag, "sm3", sm3_entries, "manifest")
            _write_manifest(bag, "sha256", _tag_entries(bag, "sha256"), "tagmanifest")
            _write_manifest(bag, "sm3", _tag_entries(bag, "sm3"), "tagmanifest")
        seal = hashlib.sha256((bag / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
        _zip(bag, out_tmp, progress)
        if out.exists():
            raise WenshuError(f"{out} 在导出过程中被创建，未覆盖。")
        os.replace(out_tmp, out)
        fsync_dir(out.parent)
        _log(archive, {"时间": now, "操作人": actor, "数据包": str(out), "选择条件": sel.describe(),
                       "件数": len(chosen), "未导出密级件数": skipped, "摘要算法": [DIGEST_LABELS[a] for a in algs],
                       "tagmanifest-sha256": seal})
        _record_export(archive, chosen, moved)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if out_tmp.exists():
            out_tmp.unlink()
    return ExportResult(out, len(chosen), n_files, size, skipped, algs, unexplained, other_formats,
                        incomplete, time.perf_counter() - started)
