"""OCR of real scans: per-field accuracy and pages per minute (issue 17, "must show").

    .venv/bin/python bench/ocr.py [--count 30] [--start 0] [--dpi 110] [--keep DIR] [--watch | --watch-only]

Takes ``count`` documents of ../shared/corpus/govcn-policy-2019 (文号, 题名, 成文日期 and body
from the State Council's own pages; tests/test_ocr.py covers the gaoping 红头 sample), sets
each as a one-page 公文 (red-header line, 文号, 题名, body, 发文机关, 成文日期) in a PDF through
LibreOffice, renders it
with pdftoppm and makes it look scanned (rotation of 2–3°, blur, noise, grey paper, JPEG; every
7th upside down, every 5th with a phone photo's perspective). Each is then filed with
``wenshu file``'s library path (OCRmyPDF chi_sim + metadata reading) and indexed; reported: the
share of 文号, 题名 and 成文日期 read right, the share found by an 8-character body phrase, and
pages per minute of OCR + metadata reading. ``--watch`` also times a live watcher: a 3-page
scan dropped into 收件箱/ until it is searchable, and a .docx dropped right after it (it must not
wait for the scan). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.docnumber import DocNumber  # noqa: E402
from archive.errors import WenshuError  # noqa: E402
from archive.receive import receive  # noqa: E402
from archive.store import Archive  # noqa: E402
from tests.conftest import CORPUS, make_config  # noqa: E402
from tests.ocr_helpers import render_pages, scanned_jpeg, text_pdf  # noqa: E402


def documents(count: int, start: int = 0) -> list[dict]:
    out = []
    path = CORPUS / "govcn-policy-2019" / "ge_policy_raw20190217.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        try:
            dn = DocNumber.parse(d["doc_number"])
        except WenshuError:
            continue  # 国令第707号 and the like: not the 代字〔年〕N号 shape this measures
        y, m, dd = map(int, re.findall(r"\d+", d["written_date_page"]))
        body = [p.strip() for p in d["text"].splitlines() if len(p.strip()) > 20][:3]
        body = [p[:110] for p in body]
        out.append({"title": d["title"], "docnum": str(dn), "author": d["issuing_body"], "date": date(y, m, dd),
                    "body": body})
        if len(out) >= start + count:
            break
    return out[start:]


def phrase(body: list[str]) -> str:
    """An 8-character run of Chinese from the middle of the first paragraph."""
    runs = re.findall(r"[\u4e00-\u9fff]{8,}", body[0])
    run = max(runs, key=len) if runs else body[0][:8]
    mid = max(0, len(run) // 2 - 4)
    return run[mid:mid + 8]


def watch_drop(work: Path) -> None:
    """The watcher's drop-to-searchable time for a 3-page scan (a live watcher, real observer):
    the scan is moved into 收件箱/, a .docx right after it; timed until ``indexer.search`` finds
    a phrase of the scan's third page in its record, and the .docx's phrase in its own."""
    import os
    import shutil

    import docx

    from indexer.index import ArchiveIndex
    from indexer.search import search
    from tests.ocr_helpers import scanned_pdf
    from tests.watch_helpers import NOTICE
    from watch.watcher import Watcher

    body = [f"{'一二三四五六七八九十'[i % 10]}、各校要按照要求做好第{i + 1}项工作，认真落实责任，按时报送进展情况。"
            for i in range(16)]
    scan = scanned_pdf([*NOTICE[:-2], *body, "本通知自印发之日起施行。", *NOTICE[-2:]], work, pages=3)
    note = work / "另一份通知.docx"
    d = docx.Document()
    for line in ["高平市教育局文件", "高教字〔2022〕9号", "关于开展校园安全检查的通知", "各中小学：",
                 "请于本月底前完成校园安全隐患排查。", "高平市教育局", "2022年7月1日"]:
        d.add_paragraph(line)
    d.save(note)
    archive = Archive.init(work / "监视档案库", make_config())
    w = Watcher(archive)
    w.start()
    w.wait_ready(120)

    def found(phrase: str) -> bool:
        idx = ArchiveIndex(archive, notify=lambda m: None)
        try:
            return bool(search(idx, phrase, limit=5).hits)
        finally:
            idx.close()

    try:
        t0 = time.perf_counter()
        os.replace(shutil.copy(scan, work / "staged.pdf"), archive.inbox / scan.name)
        os.replace(shutil.copy(note, work / "staged.docx"), archive.inbox / note.name)
        times: dict[str, float] = {}
        while len(times) < 2 and time.perf_counter() - t0 < 1800:
            for what, phrase in (("docx", "安全隐患排查"), ("scan", "本通知自印发之日起施行")):
                if what not in times and found(phrase):
                    times[what] = time.perf_counter() - t0
            time.sleep(0.2)
    finally:
        w.stop()
    print(f"监视：3 页扫描件放入收件箱到可检索 {times.get('scan', float('nan')):.1f} 秒"
          f"（{3 / times['scan'] * 60:.1f} 页/分钟）；" if "scan" in times else "监视：3 页扫描件 30 分钟内未能检索；",
          f"其后放入的 .docx 到可检索 {times.get('docx', float('nan')):.1f} 秒（不等扫描件识别完）")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=30)
    ap.add_argument("--start", type=int, default=0, help="skip this many documents (to split a run)")
    ap.add_argument("--dpi", type=int, default=110)
    ap.add_argument("--keep", type=Path)
    ap.add_argument("--watch", action="store_true", help="also time the watcher with a 3-page scan")
    ap.add_argument("--watch-only", action="store_true")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="wenshu-bench-ocr-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.watch or args.watch_only:
        watch_drop(work)
        if args.watch_only:
            return
    archive = Archive.init(work / "档案库", make_config())
    docs = documents(args.count, args.start)
    right = {"文号": 0, "题名": 0, "成文日期": 0, "检索": 0}
    pages, seconds, failed = 0, 0.0, []
    for i, d in enumerate(docs, start=args.start):
        lines = [f"{d['author']}文件", d["docnum"], d["title"], *d["body"], d["author"],
                 f"{d['date'].year}年{d['date'].month}月{d['date'].day}日"]
        pdf = text_pdf(lines, work / f"doc{i}.pdf")
        png = render_pages(pdf, work / f"png{i}", dpi=args.dpi, first=1, last=1)[0]
        jpg = scanned_jpeg(png, work / f"扫描{i}.jpg", seed=i, upside_down=(i % 7 == 6), perspective=(i % 5 == 4))
        t0 = time.perf_counter()
        try:
            r = receive(archive, [jpg])
        except WenshuError as e:
            failed.append((i, str(e)))
            print(f"{i}: 未归档：{e}", flush=True)
            continue
        seconds += time.perf_counter() - t0
        pages += 1
        ok = (str(r.doc_number or "") == d["docnum"], r.title == d["title"], r.date == d["date"])
        for k, v in zip(("文号", "题名", "成文日期"), ok):
            right[k] += v
        from wenshu.indexing import index_filed

        index_filed(archive, [archive.root / r.relative_folder() / f.name for f in r.files])
        from indexer.index import ArchiveIndex
        from indexer.search import search

        idx = ArchiveIndex(archive)
        try:
            found = str(r.archival_code) in {h.code for h in search(idx, phrase(d["body"]), limit=50).hits}
        finally:
            idx.close()
        right["检索"] += found
        print(f"{i}: {'✓' if ok[0] else '✗'}文号 {'✓' if ok[1] else '✗'}题名 {'✓' if ok[2] else '✗'}日期 "
              f"{'✓' if found else '✗'}检索 {time.perf_counter() - t0:.0f}s  {r.doc_number} {r.title[:30]}", flush=True)
    n = len(docs)
    print(f"\n{n} 份扫描件（{args.dpi} dpi），{len(failed)} 份未归档")
    for k, v in right.items():
        print(f"  {k}：{v}/{n} = {v / n:.0%}")
    if seconds:
        print(f"  OCR + 著录项识别：{pages} 页 / {seconds:.0f} 秒 = {pages / seconds * 60:.2f} 页/分钟")


if __name__ == "__main__":
    main()
