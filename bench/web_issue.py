"""发文 from the 拟文 form to the record page (with PDF): p50/p95 of the server time.

Runs in one process over a fresh small archive (tests/web_helpers.build_archive) with Django's
test client: each sample is the 发文 POST (validate → number → render .docx and PDF with
LibreOffice → file → index) plus the GET of the record page it redirects to.

    PYTHONPATH=. python bench/web_issue.py --count 10
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=20)
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
    times = []
    for i in range(args.count):
        t = time.perf_counter()
        r = c.post("/issue/notice/", {"action": "issue", "title": f"关于第{i + 1}次测试发文的通知",
                                      "body": "一、总体要求。\n各校要落实责任。", "date": "2022-06-20"})
        assert r.status_code == 302, r.content.decode()[:500]
        assert c.get(r["Location"]).status_code == 200
        times.append(time.perf_counter() - t)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    print(f"发文 form → record page (with PDF), {args.count} documents: "
          f"p50 {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")


if __name__ == "__main__":
    main()
