"""Export to a higher authority (移交): the carrier a 档案馆 receives (DESIGN §9).

By default the package root is the carrier of 《电子档案移交与接收办法》 (说明文件.TXT, 文件目录.XML,
电子档案/, 其他/), sealed by 其他/manifest-*.txt; ``bagit=True`` wraps the same carrier in a BagIt
bag for machine transfer. The output is a folder (split into volumes no larger than a disc when
asked, each volume a carrier of its own) or a zip with UTF-8 names in NFC. The package is built in
a staging folder and renamed into place only when complete, so an interrupted export never leaves
something that looks like a package. Every file is checked against its record.json sha256 while it
is copied, and the finished carrier goes through the same 四性检测 a receiver runs; the report and
the 登记表 filled from it travel in 其他/交接信息/.
"""

from __future__ import annotations

import getpass
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

from archive.archival_code import ArchivalCode, Retention, item_series
from archive.errors import WenshuError
from archive.filing import filing_lock, save_record
from archive.fsutil import fsync_dir
from archive.record import IMPORTED, HistoryEntry, Record
from archive.registry import VOID
from archive.store import Archive
from archive.transfer import catalog, metadata_xml, register
from archive.transfer.carrier import CarrierWriter, put_schemas, readme_text, rules_text
from archive.transfer.fixity import parse_size, seal_digest, sealed, write_bag
from archive.transfer.digest import DIGEST_LABELS, DIGESTS
from archive.transfer.names import (ALLOWED_FORMATS, BAG, CARRIER, CARRIER_NAMES, DATA, HANDOVER_DIR, METADATA_XML, OTHER_DIR, RECORD_COUNT_TAG, RECORDS_DIR, REGISTER_DOCX, REGISTER_XML, REPORT_TXT, RULES_TXT, VOLUME_PREFIX, nfc, unsafe_name)
from archive.transfer.scratch import scratch_base
from archive.transfer.xmlsafe import xml_text

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
    include_withdrawn: bool = False  # 撤销 records stay in the archive, out of a transfer unless asked

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
        if self.include_withdrawn:
            parts.append("含已撤销文件")
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
    layout: str = CARRIER
    volumes: list[Path] = field(default_factory=list)  # carrier roots as delivered (one unless split)
    register: "register.Register | None" = None
    check_failed: list[str] = field(default_factory=list)  # the export's own 四性检测: failed items
    check_seconds: float = 0.0  # of ``seconds``, the time the own 四性检测 took

    def as_dict(self) -> dict:
        reg = self.register
        return {"数据包": str(self.path), "结构": self.layout, "载体数": len(self.volumes) or 1,
                "件数": self.records, "文件数": self.files,
                "数据量字节": self.payload_bytes, "未导出密级件数": self.skipped_classified,
                "摘要算法": [DIGEST_LABELS[d] for d in self.digests],
                "未说明的缺号": self.unexplained_gaps, "非通用格式文件": self.other_formats,
                "缺必填项": self.incomplete, "自检不通过项": self.check_failed,
                "登记表": {"件数": reg.records, "卷数": 0, "数据量GB": register.gb(reg.size), "数据量字节": reg.size,
                           "数字摘要": [{"载体": v.seq, **{DIGEST_LABELS[a]: h for a, h in v.digests.items()}}
                                        for v in reg.volumes], "检验": reg.results} if reg else None,
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
        if rec.withdrawn and not sel.include_withdrawn:
            continue  # explained in the gaps file as 已撤销
        if rec.classification and not sel.include_classified:
            skipped += 1
            continue
        chosen.append((folder, rec))
    chosen.sort(key=lambda fr: fr[1].archival_code)
    return chosen, skipped, everything


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
            if rec is not None and rec.withdrawn and not sel.include_withdrawn:
                explained.append((code, f"已撤销（{rec.withdrawal.get('原因') or '未写原因'}），未随本数据包移交"))
            elif rec is not None and rec.classification and not sel.include_classified:
                explained.append((code, f"密级文件（{rec.classification}），未随本数据包移交"))
            elif rec is not None:
                explained.append((code, f"不在本次导出范围（{sel.describe()}）"))
            elif entry is not None and entry.status == VOID:
                explained.append((code, f"件号已作废：{entry.reason or '未写原因'}"))
            else:
                unexplained.append(code)
    return explained, unexplained


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




# -- one export ------------------------------------------------------------------------------

@dataclass
class _Rec:
    folder: Path
    record: Record  # with package names
    names: dict[str, str]
    original_files: list  # RecordFile as in the archive (names before package_names)
    meta: bytes = b""
    cost: int = 0  # bytes this record adds to a carrier (files, 元数据.xml, its catalogue and manifest lines)


_FIXED_RESERVE = 100 << 10  # 说明文件, XSDs, rules, xlsx, 登记表 (.docx ~40 KB), report, manifest lines: ~70 KB measured


def _prepare(chosen, cfg, algs: list[str], moved: HistoryEntry) -> list[_Rec]:
    out = []
    for folder, rec in chosen:
        code = rec.archival_code
        names = package_names(rec)
        for f in rec.files:
            if names[f.name] == METADATA_XML:
                raise WenshuError(f"记录 {code} 有一个名为 {METADATA_XML} 的文件，与数据包的元数据文件重名。")
        original = list(rec.files)
        rec.files = [type(f)(names[f.name], f.size, f.sha256, f.format, f.role) for f in rec.files]
        r = _Rec(folder, rec, names, original)
        r.cost = sum(f.size for f in rec.files) + 4096 + 300 * (len(rec.files) + 1) * len(algs)
        out.append(r)
    return out


def _split(recs: list[_Rec], limit: int | None, n_all: int) -> list[list[_Rec]]:
    """Records in 档号 order over carriers no larger than ``limit``: each carrier also lists every
    record of the others in its 缺号说明 (about 200 bytes each)."""
    if not limit:
        return [recs]
    budget = limit - _FIXED_RESERVE - 200 * n_all
    vols, cur, used = [], [], 0
    for r in recs:
        if r.cost > budget:
            raise WenshuError(f"记录 {r.record.archival_code} 约 {r.cost} 字节，放不进不超过 {limit} 字节的载体"
                              f"（每个载体另需约 {limit - budget} 字节存放目录与说明），未生成数据包。请加大 --volume-size。")
        if cur and used + r.cost > budget:
            vols.append(cur)
            cur, used = [], 0
        cur.append(r)
        used += r.cost
    return [*vols, cur] if cur else vols


def _write_volume(w: CarrierWriter, vol: list[_Rec], *, archive: Archive, sel: Selection, algs, encoding,
                  volume, explained, elsewhere, skipped, actor, now, moved, bag: bool, progress) -> dict:
    cfg = archive.config
    rows, other_formats, incomplete, payload, n_files = [], [], [], 0, 0
    for i, r in enumerate(vol, 1):
        rec, code = r.record, r.record.archival_code
        loc = f"{RECORDS_DIR}/{code.year}/{code}"
        digests = {}
        for f, orig in zip(rec.files, r.original_files):
            digests[f.name] = w.copy_checked(f"{loc}/{f.name}", r.folder / orig.name, rec, orig)
            payload += f.size
            n_files += 1
            if Path(f.name).suffix.lower().lstrip(".") not in ALLOWED_FORMATS:
                other_formats.append(f"{loc}/{f.name}")
        w.put_bytes(f"{loc}/{METADATA_XML}", metadata_xml.to_xml(rec, fonds_name=cfg.fonds_name, location=loc,
                                                                  digests=digests, history_extra=[moved]))
        note = rec.extra.get("备注", "") if isinstance(rec.extra.get("备注", ""), str) else ""
        if not note and rec.origin == IMPORTED and rec.source:
            note = f"原档号 {rec.source.get('原档号', '')}"
        missing = [label for label, value in (("责任者", rec.author), ("日期", rec.date)) if not value]
        if missing:
            incomplete.append(f"{code}：缺 {'、'.join(missing)}")
        rows.append(catalog.CatalogRow(i, str(code), str(rec.doc_number or ""), rec.author, rec.title,
                                       metadata_xml.ymd(rec.date), rec.classification, rec.pages, loc, note))
        if progress and i % 200 == 0:
            progress("复制", i, len(vol))
    recs = [r.record for r in vol]
    n = CARRIER_NAMES
    here = {str(r.archival_code) for r in recs}
    gaps = explained + [(c, why) for c, why in elsewhere if c not in here]
    w.put_bytes(n.gaps, catalog.gaps_xml(sorted(gaps)))
    w.put_bytes(n.catalog, catalog.catalog_xml(rows, cfg.fonds_code, cfg.fonds_name, encoding,
                                               volume if volume[1] > 1 else None))
    groups: dict[tuple, list] = {}
    for row, rec in zip(rows, recs):
        groups.setdefault((rec.year, rec.retention.label), []).append(row)
    (w.root / OTHER_DIR).mkdir(parents=True, exist_ok=True)
    catalog.catalog_xlsx(w.root / n.xlsx, [(str(y), label, rs) for (y, label), rs in sorted(groups.items())],
                         cfg.fonds_name)
    w.put_written(n.xlsx)
    put_schemas(w)
    w.put_bytes(f"{OTHER_DIR}/{RULES_TXT}",
                rules_text(cfg.fonds_code, cfg.fonds_name, cfg.departments, rows[0].code).encode("utf-8"))
    text = readme_text(fonds=cfg.fonds_code, fonds_name=cfg.fonds_name, organ=cfg.organ_name, actor=actor, now=now,
                       selection=sel.describe(), records=recs, n_files=n_files, payload=payload, skipped=skipped,
                       algs=algs, volume=volume if volume[1] > 1 else None, encoding=encoding, version=_version(),
                       bag=bag)
    w.put_bytes(n.readme, xml_text(text).encode("gb18030" if encoding == "gb18030" else "utf-8"))
    return {"rows": rows, "other_formats": other_formats, "incomplete": incomplete, "payload": payload,
            "files": n_files}


def _bag_info(cfg, out: Path, sel: Selection, n: int) -> dict:
    info = {"Source-Organization": cfg.organ_name, "External-Identifier": out.stem,
            "Internal-Sender-Identifier": cfg.fonds_code,
            "Internal-Sender-Description": f"{cfg.fonds_name} 电子档案移交：{sel.describe()}",
            "Bag-Software-Agent": f"wenshu {_version()}", RECORD_COUNT_TAG: str(n)}
    # one line per tag: a newline in a value (a --query, an organ name) would forge another tag
    return {k: xml_text(v).replace("\r", " ").replace("\n", " ") for k, v in info.items()}


def _seal(w: CarrierWriter, bag_root: Path | None, info: dict) -> None:
    if bag_root is None:
        w.write_manifests()
    else:
        write_bag(bag_root, w.entries, w.sizes, info)


def export_package(archive: Archive, out: Path, sel: Selection | None = None, digest: str = "sha256",
                   actor: str | None = None, progress: Progress | None = None,
                   query_codes: QueryCodes | None = None, *, bagit: bool = False, zip_output: bool | None = None,
                   volume_size: int | str | None = None, encoding: str = "utf-8") -> ExportResult:
    """``zip_output``: a zip file (default when ``out`` ends in .zip) or a folder; ``volume_size``
    (bytes or "4.7G"): split a folder export into carriers 载体1 … 载体n no larger than that."""
    from archive.transfer.verify import verify_package

    started = time.perf_counter()
    sel = sel or Selection()
    out = Path(out).absolute()
    zip_output = out.suffix.lower() == ".zip" if zip_output is None else zip_output
    limit = parse_size(volume_size) if volume_size else None
    if digest not in DIGESTS:
        raise WenshuError(f"--digest “{digest}”不支持：可选 sha256 或 sm3。")
    if encoding not in catalog.ENCODINGS:
        raise WenshuError(f"--encoding “{encoding}”不支持：可选 utf-8 或 gb18030。")
    if limit and (zip_output or bagit):
        raise WenshuError("--volume-size 只用于文件夹输出（刻录光盘或拷贝到硬盘）；zip 与 --bagit 数据包不分载体。")
    if out.exists():
        raise WenshuError(f"{out} 已存在，未做任何更改。请换一个名称或先移走原有的文件或文件夹。")
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
    moved = HistoryEntry("移交", f"导出至数据包 {out.name}（{sel.describe()}）", now, actor)
    recs = _prepare(chosen, cfg, algs, moved)
    vols = _split(recs, limit, len(recs))
    batch = f"{cfg.fonds_code}-{datetime.now():%Y%m%d%H%M%S}"
    explained, unexplained = _gaps(archive, [r for _, r in chosen], everything, sel)
    seq_of = {str(r.record.archival_code): k for k, vol in enumerate(vols, 1) for r in vol}
    elsewhere = [(c, f"在本次移交的第 {k} 个载体（共 {len(vols)} 个，移交批次 {batch}）") for c, k in seq_of.items()]
    need = sum(r.cost for r in recs)
    if zip_output:
        tmp = Path(tempfile.mkdtemp(dir=scratch_base(need), prefix="wenshu-export-"))
    else:
        tmp = out.parent / f".{out.name}.{os.getpid()}.part"
        tmp.mkdir()
    out_tmp = out.parent / f".{out.name}.{os.getpid()}.zip.part"
    result = ExportResult(out, len(recs), 0, 0, skipped, algs, unexplained, layout=BAG if bagit else CARRIER)
    try:
        staged = tmp / "pkg"
        written = []
        for k, vol in enumerate(vols, 1):
            root = staged / f"{VOLUME_PREFIX}{k}" if limit else staged
            bag_root = root if bagit else None
            w = CarrierWriter(root / DATA if bagit else root, algs)
            facts = _write_volume(w, vol, archive=archive, sel=sel, algs=algs, encoding=encoding,
                                  volume=(k, len(vols), batch), explained=explained, elsewhere=elsewhere,
                                  skipped=skipped, actor=actor, now=now, moved=moved, bag=bagit, progress=progress)
            info = _bag_info(cfg, out, sel, len(vol))
            _seal(w, bag_root, info)
            written.append((root, w, facts, info))
            result.files += facts["files"]
            result.payload_bytes += facts["payload"]
            result.other_formats += facts["other_formats"]
            result.incomplete += facts["incomplete"]
        if progress:
            progress("四性检测", 0, 1)
        checked = time.perf_counter()
        reports = [verify_package(root, limits=archive.config.limits, own_export=True) for root, *_ in written]
        result.check_seconds = time.perf_counter() - checked
        volumes = [register.Volume(k, len(vol), sum(1 for p in w.entries if sealed(p)),
                                   sum(s for p, s in w.sizes.items() if sealed(p)),
                                   {a: seal_digest({p: h[a] for p, h in w.entries.items()}, a) for a in algs})
                   for k, (vol, (_, w, _, _)) in enumerate(zip(vols, written), 1)]
        results = {label: ("不通过" if any(c.prop == prop and c.status == "不通过" for rep in reports for c in rep.checks)
                           else "通过") for label, prop in register.CHECKS}
        kind = ("在线（zip 文件，网络传输）" if zip_output else
                f"文件夹，可刻录光盘或拷贝至硬盘；{len(vols)} 个载体，每个不超过 {limit} 字节" if limit else
                "文件夹，可刻录光盘或拷贝至硬盘")
        years = sorted({r.record.year for r in recs})
        span = f"{years[0]}" if len(years) == 1 else f"{years[0]}–{years[-1]}"
        reg = register.Register(title=f"{cfg.fonds_name}{span}年度电子档案移交", sender=cfg.organ_name,
                                description=f"全宗 {cfg.fonds_code} {cfg.fonds_name}：{sel.describe()}；"
                                            f"文书档案 {len(recs)} 件，电子文件 {result.files} 个",
                                fonds=cfg.fonds_code, batch=batch, carrier_kind=kind, online=zip_output,
                                volumes=volumes, results=results, made_by=f"wenshu {_version()}（{now}）")
        result.register = reg
        result.check_failed = sorted({f"{c.prop}：{c.name}" for rep in reports for c in rep.failed})
        hand = f"{OTHER_DIR}/{HANDOVER_DIR}"
        for (root, w, facts, info), rep in zip(written, reports):
            w.put_bytes(f"{hand}/{REPORT_TXT}", rep.text().encode("utf-8"))
            w.put_bytes(f"{hand}/{REGISTER_XML}", register.to_xml(reg))
            register.to_docx(reg, w.root / hand / REGISTER_DOCX)
            w.put_written(f"{hand}/{REGISTER_DOCX}")
            _seal(w, root if bagit else None, info)
        if zip_output:
            _zip(staged, out_tmp, progress)
            if out.exists():
                raise WenshuError(f"{out} 在导出过程中被创建，未覆盖。")
            os.replace(out_tmp, out)
        else:
            if limit:
                for (root, w, _, _) in written:
                    if w.total > limit:  # the reserve is generous; this would be a bug, never a bad disc
                        raise WenshuError(f"{root.name} 有 {w.total} 字节，超过 --volume-size {limit} 字节，未生成数据包。")
            if out.exists():
                raise WenshuError(f"{out} 在导出过程中被创建，未覆盖。")
            os.replace(staged, out)
        fsync_dir(out.parent)
        result.volumes = [out / root.relative_to(staged) for root, *_ in written] if not zip_output else [out]
        seal = [v.digests["sha256"] for v in volumes]
        _log(archive, {"时间": now, "操作人": actor, "数据包": str(out), "选择条件": sel.describe(),
                       "件数": len(recs), "未导出密级件数": skipped, "摘要算法": [DIGEST_LABELS[a] for a in algs],
                       "结构": result.layout, "载体数": len(vols), "电子档案数字摘要-sha256": seal})
        _record_export(archive, chosen, moved)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if out_tmp.exists():
            out_tmp.unlink()
    result.seconds = time.perf_counter() - started
    return result
