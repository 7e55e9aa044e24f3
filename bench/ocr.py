"""OCR of real scans: per-field accuracy and pages per minute (issue 17, "must show").

    .venv/bin/python bench/ocr.py [--count 30] [--start 0] [--dpi 110] [--keep DIR]

Takes ``count`` documents of ../shared/corpus/govcn-policy-2019 (文号, 题名, 成文日期 and body
from the State Council's own pages; tests/test_ocr.py covers the gaoping 红头 sample), sets
each as a one-page 公文 (red-header line, 文号, 题名, body, 发文机关, 成文日期) in a PDF through
LibreOffice, renders it
with pdftoppm and makes it look scanned (rotation of 2–3°, blur, noise, grey paper, JPEG; every
7th upside down, every 5th with a phone photo's perspective). Each is then filed with
``wenshu file``'s library path (OCRmyPDF chi_sim + metadata reading) and indexed; reported: the
share of 文号, 题名 and 成文日期 read right, the share found by an 8-character body phrase, and
pages per minute of OCR + metadata reading. Prints figures; asserts nothing.
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=30)
    ap.add_argument("--start", type=int, default=0, help="skip this many documents (to split a run)")
    ap.add_argument("--dpi", type=int, default=110)
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="wenshu-bench-ocr-"))
    work.mkdir(parents=True, exist_ok=True)
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
