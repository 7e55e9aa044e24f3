"""Web app benchmark (issue 20): server time of the 检索 page (highlighted top 10 with facets)
and of the 文件详情 page (page images cached), through the real stack — ``wenshu serve``
(waitress → Django → indexer) in its own process, requests over HTTP on 127.0.0.1.

    .venv/bin/python bench/web.py                         # 10,000 records
    .venv/bin/python bench/web.py --records 100000 --keep /tmp/wenshu-web-bench
    .venv/bin/python bench/web.py --records 100000 --archive /work/bench/k100/archive-100000

``--archive`` serves an archive bench/search.py built and kept (``--keep``) with the same
``--records``: the two users and the 50 PDFs are added the first time (the PDFs' records
re-indexed), nothing is rebuilt.

Records are bench/search.py's synthesised ones (real titles and paragraphs from the corpora);
50 of them also get a PDF (made once by LibreOffice) so the record page shows page images.
Times are measured by the client around each request, so they include HTTP on localhost; the
page images are fetched once first (the cache is then warm, as for a second reader).
Prints figures; asserts nothing.

Measured 2026-12-02 on the shared 2-core machine (load average 8–12 from other work, so
these are upper bounds), 10,000 records of ~3,000 characters, 300 queries:
检索 page p50 144 ms, p95 383 ms (the same with the NOT 密级 clauses of a user without
clearance: p50 146, p95 382); the library alone at that moment, facets on: p50 236, p95 949 ms
(facets off: p50 62, p95 136) — the facet count dominates, the app adds tens of milliseconds.
文件详情 page with cached page images p50 51 ms, p95 65 ms; a page image rendered by pdftoppm
p50 24 ms, served from the cache p50 29 ms.

Measured 2026-12-03 at 100,000 records (``--archive`` over bench/search.py's kept archive, facets
from cached arrays, load average 4.6–6.2 on the 2 cores): 检索 page p50 172 ms, p95 404 ms (no
clearance: p50 141, p95 379); the library at that load: facets on p95 357 ms, off p95 428 ms — the
query itself, not the facets, is now the cost. 文件详情 page p50 82 ms, p95 128 ms. Again at load
average 2.2: 检索 page p50 78 ms, p95 183 ms (no clearance: p50 73, p95 182); 文件详情 p50 40 ms,
p95 48 ms; the library: facets off p95 145 ms, on p95 183 ms (before facets.py: 130 and 1,473 ms).
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.search import CORPUS, pct, query_mix, synthesise  # noqa: E402

PASSWORD = "Bench-密码-2022"
WITH_PDF = 50


def wenshu(*args, stdin=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "wenshu", *args], input=stdin, capture_output=True, text=True,
                          env=env, check=True)


def add_pdfs(root: Path, count: int) -> list[str]:
    """Put one LibreOffice PDF into ``count`` records (listed in their record.json); their 档号."""
    from archive.filing import iter_records
    from archive.record import RecordFile
    from generator import pdf
    from tests.conftest import write_docx

    desk = Path(tempfile.mkdtemp(prefix="wenshu-web-bench-"))
    try:
        docx = write_docx(desk / "正文.docx", ["高平市教育局文件", "关于进一步做好课后服务工作的通知"] +
                          ["为落实“双减”要求，各校要做好课后服务工作。" * 8] * 30)
        made = pdf.convert([docx], desk)[0]
        codes = []
        for folder, rec in iter_records(_archive(root)):
            if len(codes) == count:
                break
            shutil.copyfile(made, folder / "版式文件.pdf")
            rec.files.append(RecordFile.of(folder / "版式文件.pdf", "版式文件"))
            rec.save(folder)
            codes.append(str(rec.archival_code))
        return codes
    finally:
        shutil.rmtree(desk, ignore_errors=True)


def _archive(root):
    from archive.store import Archive

    return Archive(root)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Session:
    """A browser's cookie jar over urllib: logs in through the login form (CSRF and all)."""

    def __init__(self, base: str, user: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.open = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar)).open
        self.open(base + "/login/").read()
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        data = urllib.parse.urlencode({"username": user, "password": PASSWORD, "csrfmiddlewaretoken": token}).encode()
        req = urllib.request.Request(base + "/login/", data=data, headers={"Referer": base + "/login/"})
        self.open(req).read()
        assert any(c.name == "wenshu_session" for c in self.jar), "login failed"

    def get(self, path: str) -> tuple[float, bytes]:
        t0 = time.perf_counter()
        with self.open(self.base + path) as resp:
            body = resp.read()
        return (time.perf_counter() - t0) * 1000, body


def _pdf_codes(root: Path) -> list[str]:
    return [m.group(0) for m in (re.search(r"A001-WS·\S+", p.parent.name) for p in
                                 root.glob("*/*/版式文件.pdf")) if m][:WITH_PDF]


def prepare(root: Path) -> None:
    """An archive of bench/search.py made servable: the two users, and the PDFs of WITH_PDF
    records (re-indexed: the PDF and the record's metadata), unless an earlier run added them."""
    from indexer.index import ArchiveIndex

    if len(_pdf_codes(root)) < WITH_PDF:
        t0 = time.perf_counter()
        codes = add_pdfs(root, WITH_PDF)
        ai = ArchiveIndex(_archive(root), notify=lambda m: None)
        pdfs = list(root.glob("*/*/版式文件.pdf"))
        # one batch (one new segment, as a day's filing would make): the PDFs and their records
        ai.upsert_files(pdfs + [p.with_name("record.json") for p in pdfs], merge=False)
        ai.close()
        print(f"added a PDF to {len(codes)} records and re-indexed them in {time.perf_counter() - t0:.0f} s")
    for user, role, clearance in (("档案员", "档案员", ["--clearance", "绝密"]), ("查阅", "查阅", [])):
        try:
            wenshu("user", "add", user, "--role", role, *clearance, "--password-stdin", "--archive", str(root),
                   stdin=PASSWORD + "\n")
        except subprocess.CalledProcessError:
            pass  # added by an earlier run


def run(n: int, chars: int, queries: int, keep: Path | None, reuse: bool, archive: Path | None = None) -> None:
    from indexer.index import ArchiveIndex

    base_dir = keep or Path(tempfile.mkdtemp(prefix="wenshu-web-bench-"))
    root = archive or base_dir / f"archive-{n}"
    if archive:
        prepare(root)
        truth = synthesise(root, n, chars, write=False)
        pdf_codes = _pdf_codes(root)
    elif reuse and root.exists():
        truth = synthesise(root, n, chars, write=False)
        pdf_codes = _pdf_codes(root)
    else:
        if root.exists():
            shutil.rmtree(root)
        t0 = time.perf_counter()
        truth = synthesise(root, n, chars)
        pdf_codes = add_pdfs(root, WITH_PDF)
        ArchiveIndex(_archive(root), notify=lambda m: None).rebuild()
        print(f"built and indexed {n:,} records in {time.perf_counter() - t0:.0f} s")
        wenshu("user", "add", "档案员", "--role", "档案员", "--clearance", "绝密", "--password-stdin",
               "--archive", str(root), stdin=PASSWORD + "\n")
        wenshu("user", "add", "查阅", "--role", "查阅", "--password-stdin", "--archive", str(root),
               stdin=PASSWORD + "\n")
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "wenshu", "serve", "--archive", str(root), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(base + "/login/", timeout=5).close()
                break
            except OSError:
                time.sleep(0.3)
        print(f"\n== {n:,} records, ~{chars} chars each, wenshu serve (waitress, 4 threads) ==")
        mix = query_mix(truth, queries)
        for user in ("档案员", "查阅"):
            s = Session(base, user)
            for _, q in mix[:12]:  # warm the OS cache, whoosh's caches, the thread's searcher
                s.get("/?" + urllib.parse.urlencode({"q": q}))
            times, kinds, hits = [], {}, 0
            for kind, q in mix:
                ms, body = s.get("/?" + urllib.parse.urlencode({"q": q}))
                times.append(ms)
                kinds.setdefault(kind, []).append(ms)
                hits += b'class="hitlist"' in body and b"<li>" in body
            clause = "no clause (绝密)" if user == "档案员" else "with NOT 密级 clauses (no clearance)"
            print(f"检索 page as {user} [{clause}]: {len(mix)} queries, p50 {pct(times, 50):.0f} ms, "
                  f"p95 {pct(times, 95):.0f} ms, max {max(times):.0f} ms; {hits} with hits")
            for kind, v in kinds.items():
                print(f"    {kind:9s} p50 {pct(v, 50):6.1f} ms  p95 {pct(v, 95):6.1f} ms")
        s = Session(base, "查阅")
        srcs, render = [], []
        for code in pdf_codes:  # render every page image once
            _, body = s.get(f"/record/{urllib.parse.quote(code)}/")
            for src in re.findall(rb'src="(/record/[^"]+\.png)"', body):
                srcs.append(src.decode())
                render.append(s.get(srcs[-1])[0])
        first = [s.get(src)[0] for src in srcs[:50]]
        rec_times = []
        for _ in range(4):
            for code in pdf_codes:
                rec_times.append(s.get(f"/record/{urllib.parse.quote(code)}/")[0])
        print(f"文件详情 page (with PDF, images cached): {len(rec_times)} requests, p50 {pct(rec_times, 50):.0f} ms, "
              f"p95 {pct(rec_times, 95):.0f} ms, max {max(rec_times):.0f} ms")
        print(f"page image: first render (pdftoppm) p50 {pct(render, 50):.0f} ms over {len(render)} pages, "
              f"cached p50 {pct(first, 50):.0f} ms")
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    if not keep and not archive:
        shutil.rmtree(base_dir, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, action="append", help="archive size (repeatable); default 10000")
    ap.add_argument("--chars", type=int, default=3000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--keep", type=Path, help="build the archive here and keep it")
    ap.add_argument("--reuse", action="store_true", help="with --keep: serve the kept archive as it is")
    ap.add_argument("--archive", type=Path, help="serve this archive (bench/search.py --keep, same --records) "
                    "without rebuilding it")
    args = ap.parse_args()
    if not (CORPUS / "govcn-policy-2019").exists():
        sys.exit(f"语料不在 {CORPUS}，无法运行基准测试。")
    for n in args.records or [10_000]:
        run(n, args.chars, args.queries, args.keep, args.reuse, args.archive)


if __name__ == "__main__":
    main()
