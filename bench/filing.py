"""Filing, metadata reading and audit speed of the records archive.

    .venv/bin/python bench/filing.py [--count 500]

Writes ``count`` office-style .docx documents (red mark, 文号, title, 主送, body, signature,
date), files each with ``wenshu file``'s library path (text extraction + metadata reading +
filing), then times ``wenshu check`` over the result. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from docx import Document  # noqa: E402

from archive.checking import check  # noqa: E402
from archive.receive import read_document, receive  # noqa: E402
from archive.store import Archive  # noqa: E402
from tests.conftest import make_config  # noqa: E402

BODY = "为切实做好校外培训机构治理工作，现就有关事项通知如下。" * 20


def write(path: Path, i: int) -> None:
    doc = Document()
    for line in ["晋城市教育局文件", f"晋市教字〔2022〕{i}号", f"关于第{i}批校外培训机构", "专项检查的通知",
                 "各县（市、区）教育局：", *[BODY] * 6, "晋城市教育局", "2022年3月10日",
                 "抄送：晋城市人民政府办公室。"]:
        doc.add_paragraph(line)
    doc.save(path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=500)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "in").mkdir()
        archive = Archive.init(tmp / "档案库", make_config())
        paths = []
        for i in range(1, args.count + 1):
            p = tmp / "in" / f"{i}.docx"
            write(p, i)
            paths.append(p)
        t = time.perf_counter()
        for p in paths[:50]:
            read_document(p)
        read_ms = (time.perf_counter() - t) / 50 * 1000
        times = []
        t0 = time.perf_counter()
        for p in paths:
            t = time.perf_counter()
            receive(archive, [p])
            times.append(time.perf_counter() - t)
        total = time.perf_counter() - t0
        t = time.perf_counter()
        report = check(archive)
        check_s = time.perf_counter() - t
        t = time.perf_counter()
        check(archive, read_documents=False)
        quick_s = time.perf_counter() - t
        first, last = statistics.mean(times[:50]) * 1000, statistics.mean(times[-50:]) * 1000
        times.sort()
        print(f"documents: {args.count}")
        print(f"extract + read metadata: {read_ms:.1f} ms/doc")
        print(f"wenshu file (extract, read, file): {args.count / total:.1f} docs/s; "
              f"p50 {statistics.median(times) * 1000:.1f} ms, p95 {times[int(len(times) * 0.95)] * 1000:.1f} ms, "
              f"first 50 avg {first:.1f} ms, last 50 avg {last:.1f} ms")
        print(f"wenshu check: {check_s:.2f} s ({report.records} records, ok={report.ok}); "
              f"--quick {quick_s:.2f} s")
        archive.close()


if __name__ == "__main__":
    main()
