"""Export and verify throughput of a transfer package (移交数据包) of N records.

    .venv/bin/python bench/export.py [--records 10000] [--digest sha256|sm3] [--keep DIR]
                                     [--bagit] [--folder] [--volume-size 4.7G]

The default is the carrier (档发〔2012〕7号) in a zip; --folder writes it as a folder (split into
volumes with --volume-size), --bagit wraps it in a bag. Export time includes the export's own
四性检测, printed separately.

The archive is written directly (record.json + files) rather than through file_record, whose
duplicate check reads every record per filing; the files are
realistic in size (a ~25 KB .docx and a ~90 KB .pdf per record, each unique). Prints MB/s of
payload and records/s for export and for verify. Target: verify ≥ 100 MB/s of payload.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import sys
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import docx  # noqa: E402
import pypdf  # noqa: E402

from archive.archival_code import ArchivalCode, Retention  # noqa: E402
from archive.config import ArchiveConfig  # noqa: E402
from archive.record import HistoryEntry, Record, RecordFile  # noqa: E402
from archive.store import Archive  # noqa: E402
from archive.transfer.export import Selection, export_package  # noqa: E402
from archive.transfer.verify import verify_package  # noqa: E402
from wenshu.indexing import index_filed  # noqa: E402

SUBJECTS = ("校外培训机构专项检查", "课后服务工作", "住家家教排查", "双减督导整改", "暑期安全教育")


def _docx_template() -> dict[str, bytes]:
    buf = io.BytesIO()
    d = docx.Document()
    d.add_paragraph("PLACEHOLDER")
    d.save(buf)
    with zipfile.ZipFile(buf) as z:
        return {n: z.read(n) for n in z.namelist()}


def _docx(parts: dict[str, bytes], text: str, rnd: random.Random) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{text}第{k}段：{rnd.random()}</w:t></w:r></w:p>" for k in range(40))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            if name == "word/document.xml":
                data = data.replace(b"<w:p><w:r><w:t>PLACEHOLDER</w:t></w:r></w:p>", body.encode())
            z.writestr(name, data)
        z.writestr("word/media/image1.png", rnd.randbytes(18_000))  # the 印章 image of a real 公文
    return buf.getvalue()


def _pdf(title: str, rnd: random.Random) -> bytes:
    w = pypdf.PdfWriter()
    w.add_blank_page(595, 842)
    w.add_metadata({"/Title": title})
    w.add_attachment("seal.bin", rnd.randbytes(88_000))
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def build(root: Path, n: int) -> Archive:
    """Records written straight to disk: 件号 counted here (no registry fsync per record) in two
    机构 series, because one series holds at most 9,999 件."""
    cfg = ArchiveConfig.from_dict({"fonds": {"code": "A001", "name": "高平市教育局"},
                                   "prefixes": [{"code": "高教字"}],
                                   "departments": {"BGS": "办公室", "JJK": "基础教育科"}})
    archive = Archive.init(root, cfg)
    parts, rnd = _docx_template(), random.Random(7)
    for i in range(1, n + 1):
        title = f"关于开展{SUBJECTS[i % len(SUBJECTS)]}的通知（第{i}号）"
        code = ArchivalCode("A001", 2022, Retention.YEARS_30, ("BGS", "JJK")[i % 2], (i + 1) // 2)
        rec = Record(code, title, author="高平市教育局", date=date(2022, 1 + i % 12, 1 + i % 28),
                     doc_number=f"高教字〔2022〕{i}号", doc_type="通知", pages=2,
                     history=[HistoryEntry("归档", f"归档为 {code}")])
        folder = root / "2022" / rec.folder_name
        folder.mkdir(parents=True)
        for name, data, role in ((f"高教字〔2022〕{i}号.docx", _docx(parts, title, rnd), "正本"),
                                 (f"高教字〔2022〕{i}号.pdf", _pdf(title, rnd), "版式文件")):
            (folder / name).write_bytes(data)
            rec.files.append(RecordFile.of(folder / name, role))
        (folder / "record.json").write_text(rec.dumps(), encoding="utf-8")
        if i % 2000 == 0:
            print(f"  建库 {i}/{n}", flush=True)
    return archive


def _bench_import(work: Path, n: int) -> None:
    from archive.transfer.importer import import_package

    src = build(work / "导入样本", n)
    pkg = export_package(src, work / "样本.zip", Selection()).path
    cfg = ArchiveConfig.from_dict({"fonds": {"code": "B001", "name": "晋城市教育局"},
                                   "departments": {"BGS": "办公室", "JJK": "基础教育科"}})
    city = Archive.init(work / "接收库", cfg)
    t = time.perf_counter()
    result = import_package(city, pkg, on_filed=index_filed)
    ti = time.perf_counter() - t
    print(f"导入：{len(result.imported)} 件，{ti:.1f} s = {len(result.imported) / ti:.1f} 件/s（含校验与索引；{result.index_note}）")
    t = time.perf_counter()
    again = import_package(city, pkg)
    print(f"重复导入：跳过 {len(again.skipped)} 件，{time.perf_counter() - t:.1f} s")
    src.close()
    city.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--digest", choices=["sha256", "sm3"], default="sha256")
    ap.add_argument("--keep", type=Path, help="build in this folder and keep it")
    ap.add_argument("--bagit", action="store_true", help="wrap the carrier in a BagIt bag")
    ap.add_argument("--folder", action="store_true", help="a folder instead of a zip")
    ap.add_argument("--volume-size", help="split the folder into carriers no larger than this (e.g. 4.7G)")
    ap.add_argument("--import-sample", type=int, default=0,
                    help="also time wenshu import of a package of this many records into an empty archive")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="wenshu-bench-export-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        archive = build(work / "档案库", args.records)
        print(f"建库：{args.records} 件，{time.perf_counter() - t:.1f} s")
        out = work / ("移交" if args.folder or args.volume_size else "移交.zip")
        if out.exists():
            shutil.rmtree(out) if out.is_dir() else out.unlink()
        t = time.perf_counter()
        result = export_package(archive, out, Selection(), digest=args.digest, bagit=args.bagit,
                                zip_output=not (args.folder or args.volume_size), volume_size=args.volume_size)
        te = time.perf_counter() - t
        mb = result.payload_bytes / 1e6
        size = out.stat().st_size if out.is_file() else sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        tc = result.check_seconds
        print(f"导出：{result.records} 件，{result.files} 个文件，{mb:.1f} MB 电子文件，{len(result.volumes)} 个载体，"
              f"数据包 {size / 1e6:.1f} MB；{te:.1f} s = {mb / te:.1f} MB/s，{result.records / te:.0f} 件/s"
              f"（其中自检 {tc:.1f} s；不计自检 {mb / max(te - tc, 1e-9):.1f} MB/s）")
        t = time.perf_counter()
        report = verify_package(out)
        tv = time.perf_counter() - t
        payload = report.facts["数据量字节"] / 1e6
        print(f"校验：{'通过' if report.ok else '不通过'}；载荷 {payload:.1f} MB（含元数据与目录），{tv:.1f} s = "
              f"{payload / tv:.1f} MB/s，{report.facts['件数'] / tv:.0f} 件/s（目标 ≥ 100 MB/s）")
        if not report.ok:
            print(report.text())
        archive.close()
        if args.import_sample:
            _bench_import(work, args.import_sample)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"cpu={os.cpu_count()}")


if __name__ == "__main__":
    main()
