"""发文 from the 拟文 form to the record page (with PDF): p50/p95 of the server time; and a
批量 of N rows through the 批量 pages, wall time end to end.

Runs in one process over a fresh small archive (tests/web_helpers.build_archive) with Django's
test client: each 发文 sample is the POST (validate → number → render .docx and PDF with
LibreOffice → file → index) plus the GET of the record page it redirects to. The batch is what a
clerk does on the page: upload the roster (the matching report comes back), press 生成 (the
background task in the server process renders, numbers, files, indexes and combines one print
PDF per 学校), poll the status the progress bar polls, and download a combined PDF — timed from
the upload to the last byte of that PDF.

    PYTHONPATH=. python bench/web_issue.py --count 10 --batch 1000
    PYTHONPATH=. python bench/web_issue.py --count 0 --batch 400   # the batch only, smaller

Measured 2026-12-03 on the shared 2-core machine, with other helpers' benches running beside it
(so slower than on an idle PC):
--batch 400: 184 s wall, 2.2 docs/s (生成 with PDF 127 s, 归档 25 s, 索引 25 s, 打包 2 s); a first
run 228 s. --batch 1000: 468 s wall, 2.1 docs/s (生成 345 s, 归档 73 s, 索引 36 s, 打包 4 s) — once
generator/pdf.convert started LibreOffice per ≤ 200 files: before, a 1,000-row batch failed
("LibreOffice 未能转换：…-0246…pdf"), as LibreOffice reads at most 253 command-line arguments.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CLAUSES = "不在校外培训机构兼职。\n不组织、不参与有偿补课。\n不布置超量作业。"
SCHOOLS = 10


def issue(c, count: int) -> None:
    times = []
    for i in range(count):
        t = time.perf_counter()
        r = c.post("/issue/notice/", {"action": "issue", "title": f"关于第{i + 1}次测试发文的通知",
                                      "body": "一、总体要求。\n各校要落实责任。", "date": "2022-06-20"})
        assert r.status_code == 302, r.content.decode()[:500]
        assert c.get(r["Location"]).status_code == 200
        times.append(time.perf_counter() - t)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    print(f"发文 form → record page (with PDF), {count} documents: "
          f"p50 {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")


def roster(n: int) -> io.BytesIO:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["姓名", "学校", "学科", "联系电话"])  # 联系电话 matches no field, as in real rosters
    for i in range(n):
        w.writerow([f"教师{i + 1:04d}", f"高平第{i % SCHOOLS + 1}中学", "数学", f"139{i:08d}"])
    f = io.BytesIO(buf.getvalue().encode("utf-8-sig"))
    f.name = "教师名册.csv"
    return f


def batch(c, n: int) -> None:
    from generator import pdf

    t0 = time.perf_counter()
    r = c.post("/batch/", {"template": "pledge", "roster": roster(n), "common_clauses": CLAUSES})
    page = r.content.decode()
    assert r.status_code == 200 and f"可生成 {n} 份" in page, page[:2000]
    token = page.split('name="token" value="')[1].split('"')[0]
    t_report = time.perf_counter() - t0
    r = c.post("/batch/run/", {"template": "pledge", "token": token, "common_clauses": CLAUSES})
    assert r.status_code == 302, r.content.decode()[:500]
    pk = int(r["Location"].rstrip("/").split("/")[-1])
    stages: dict[str, float] = {}  # when the status first showed each stage (to the second)
    while True:  # what the page's progress bar does (progress.js polls once a second)
        s = c.get(f"/batch/task/{pk}/status/").json()
        stages.setdefault(s["stage"] or "排队", time.perf_counter() - t0)
        if not s["running"]:
            break
        time.sleep(1)
    if s["state"] != "done":
        from wenshu.web.models import BatchTask

        sys.exit(f"批量 {n} rows through the page: the task ended {s['state']} after "
                 f"{time.perf_counter() - t0:.1f} s — {BatchTask.objects.get(pk=pk).error}")
    t_task = time.perf_counter() - t0
    page = c.get(r["Location"]).content.decode()
    assert f"已生成并归档 {n} 份" in page
    size = 0
    if pdf.available():
        body = b"".join(c.get(f"/batch/task/{pk}/file/承诺书合并打印/高平第1中学.pdf").streaming_content)
        assert body.startswith(b"%PDF")
        size = len(body)
    wall = time.perf_counter() - t0
    print(f"批量 {n} rows through the page (upload → report → 生成 in the background task → combined PDF"
          f"{' ready' if size else ' — no LibreOffice, no PDF'}): {wall:.1f} s wall "
          f"(matching report {t_report:.1f} s; task done at {t_task:.1f} s; {n / wall:.1f} docs/s; "
          f"{SCHOOLS} combined PDFs, the first {size / 1e6:.1f} MB)")
    marks = list(stages.items())
    print("  stages (first seen at): " + "; ".join(f"{stage} {at:.0f} s" for stage, at in marks))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=20, help="发文 samples (0: none)")
    ap.add_argument("--batch", type=int, default=1000, help="rows of the 批量 roster (0: none)")
    args = ap.parse_args()
    from tests.web_helpers import PASSWORD, build_archive

    tmp = Path(tempfile.mkdtemp(prefix="wenshu-bench-issue-"))
    archive, _ = build_archive(tmp / "档案库")
    from wenshu.web import accounts
    from wenshu.web.settings import setup

    setup(archive.root)
    accounts.add_user("文书乙", PASSWORD, "文书", "")
    from django.test import Client

    c = Client()
    assert c.post("/login/", {"username": "文书乙", "password": PASSWORD}).status_code == 302
    if args.count:
        issue(c, args.count)
    if args.batch:
        batch(c, args.batch)


if __name__ == "__main__":
    main()
