"""Search benchmark (issue 5): build archives of synthesised records from the corpora's real
paragraphs, index them, and time a fixed query mix with highlighted top-10 and the cold start
of ``wenshu search``.

    .venv/bin/python bench/search.py                     # 10,000 and 100,000 records
    .venv/bin/python bench/search.py --records 10000 --chars 3000 --queries 300
    .venv/bin/python bench/search.py --clerk [--code ../main]   # 文号/令号 as clerks type them

Each record is a folder ``<年度>/<档号> <题名>/`` with record.json and a 正文.txt of about
``--chars`` characters drawn from real paragraphs (govcn-policy-2019 and lawrefbook); titles
are real titles, 文号 are unique. The build is ``ArchiveIndex.rebuild()`` from disk: walking,
hashing, reading record.json and the text, analysis and commit all count.
Prints figures; asserts nothing (tests never assert wall-clock times).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if "--code" in sys.argv:  # measure another checkout's code with this script (before/after a change)
    ROOT = Path(sys.argv[sys.argv.index("--code") + 1]).resolve()
sys.path.insert(0, str(ROOT))
# ../shared/corpus beside the checkout; WENSHU_CORPUS for a checkout elsewhere (a git worktree)
CORPUS = Path(os.environ.get("WENSHU_CORPUS") or Path(__file__).resolve().parents[1].parent / "shared" / "corpus")

PREFIXES = ["国发", "国办发", "国函", "国办函", "高教字", "高教发", "高教督函", "晋教基", "教基", "教督"]
AUTHORS = ["国务院", "国务院办公厅", "教育部", "高平市教育局", "晋城市教育局", "山西省教育厅", "高平市人民政府"]
TYPES = ["通知", "意见", "决定", "批复", "复函", "函", "报告", "通报"]


def load_corpus():
    paragraphs, titles = [], []
    for line in (CORPUS / "govcn-policy-2019" / "ge_policy_raw20190217.jsonl").read_text("utf-8").splitlines():
        d = json.loads(line)
        titles.append(d["title"])
        paragraphs += [p for p in d["text"].splitlines() if len(p) >= 20]
    for p in sorted((CORPUS / "lawrefbook-regulations").rglob("*.md")):
        if p.name == "_index.md":
            continue
        titles.append(re.sub(r"\(\d{4}-\d{2}-\d{2}\)$", "", p.stem))
        body = p.read_text("utf-8").split("<!-- INFO END -->")[-1]
        paragraphs += [ln for ln in body.splitlines() if len(ln) >= 20 and not ln.startswith("#")]
    return paragraphs, titles


def synthesise(root: Path, n: int, chars: int, seed: int = 7, write: bool = True) -> list[dict]:
    from archive.archival_code import ArchivalCode, Retention
    from archive.docnumber import DocNumber
    from archive.record import Record
    from archive.store import Archive
    from tests.conftest import make_config

    paragraphs, titles = load_corpus()
    rng = random.Random(seed)
    archive = Archive.init(root, make_config()) if write else None
    items: dict[int, int] = {}
    seqs: dict[tuple, int] = {}
    truth = []
    for i in range(n):
        day = date(2015, 1, 1) + timedelta(days=rng.randrange(3650))
        items[day.year] = items.get(day.year, 0) + 1
        prefix = rng.choice(PREFIXES)
        seqs[(prefix, day.year)] = seqs.get((prefix, day.year), 0) + 1
        title = rng.choice(titles)
        kind = next((t for t in TYPES if title.endswith(t)), rng.choice(TYPES))
        item = items[day.year]
        org = "BGS" if item <= 9999 else "JJK"
        rec = Record(ArchivalCode("A001", day.year, Retention.YEARS_30, org, (item - 1) % 9999 + 1), title,
                     author=rng.choice(AUTHORS), date=day, doc_type=kind,
                     doc_number=DocNumber(prefix, day.year, seqs[(prefix, day.year)]))
        body, size = [], 0
        while size < chars:
            p = rng.choice(paragraphs)
            body.append(p)
            size += len(p)
        if write:
            folder = root / str(day.year) / rec.folder_name
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "record.json").write_text(rec.dumps(), encoding="utf-8")
            (folder / "正文.txt").write_text("\n".join(body), encoding="utf-8")
        elif i >= 2000:
            break
        if i < 2000:
            truth.append({"docnum": str(rec.doc_number), "title": title, "body": body, "year": day.year, "kind": kind})
    if archive is not None:
        archive.close()
    return truth


def query_mix(truth: list[dict], count: int, seed: int = 11) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    from indexer.analysis import query_words

    out = []
    kinds = ["1 word", "2 words", "3 words", "phrase", "文号", "filtered"]
    for i in range(count):
        t = rng.choice(truth)
        kind = kinds[i % len(kinds)]
        para = rng.choice(t["body"])
        words = [w for w in query_words(para) if len(w) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", w)]
        if kind == "文号":
            dn = t["docnum"]
            q = rng.choice([dn, dn.replace("〔", "[").replace("〕", "]"), dn.replace("〔", "（").replace("〕", "）")])
        elif kind == "phrase":
            start = rng.randrange(max(1, len(para) - 8))
            q = '"' + re.sub(r"[\W_]", "", para[start:start + 6]) + '"'
        elif kind == "filtered":
            q = f"{rng.choice(words) if words else '通知'} 年度:{t['year']} 类型:{t['kind']}"
        else:
            n = {"1 word": 1, "2 words": 2, "3 words": 3}[kind]
            q = " ".join(rng.sample(words, min(n, len(words)))) if words else "通知"
        out.append((kind, q))
    return out


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run(n: int, chars: int, queries: int, keep: Path | None, reuse: str = "", engine: str = "whoosh",
        database: str = "", seed: int = 11) -> None:
    """``engine`` postgres-alone: no whoosh index (at a million records it would take some 60 GB
    and hours beside PostgreSQL's), and the mix without its facet pass."""
    from archive.store import Archive
    from indexer.index import ArchiveIndex
    from indexer.search import search

    base = keep or Path(tempfile.mkdtemp(prefix="wenshu-bench-"))
    root = base / f"archive-{n}"
    t0 = time.perf_counter()
    if reuse and root.exists():  # the records of an earlier --keep run (same seed, same truth)
        truth = synthesise(root, n, chars, write=False)
    else:
        if root.exists():
            shutil.rmtree(root)
        truth = synthesise(root, n, chars)
    t_gen = time.perf_counter() - t0
    archive = Archive(root)
    ai = ArchiveIndex(archive, notify=lambda m: None)
    print(f"\n== {n:,} records, ~{chars} chars of text each (synthesised in {t_gen:.0f} s) ==", flush=True)
    mix = query_mix(truth, queries, seed)
    if engine == "postgres-alone":
        postgres(ai, mix, truth, database, reuse == "index", facets=False)
        return
    if reuse != "index":
        t0 = time.perf_counter()
        summary = ai.rebuild()
        t_build = time.perf_counter() - t0
        print(f"index build (rebuild from disk, 2 processes, chunked segments): {summary['files']:,} files in "
              f"{t_build:.1f} s = {summary['files'] / t_build:.0f} records/s")
    st = ai.status()
    summary = {"files": st["documents"]}
    print(f"index size: {st['size_bytes'] / 1048576:.0f} MB in {st['segments']} segments "
          f"({st['size_bytes'] / max(1, summary['files']) / 1024:.1f} KB/record)")

    query_figures(lambda q, **kw: search(ai, q, **kw), mix, truth)
    if engine == "postgres":
        postgres(ai, mix, truth, database, reuse == "index")

    wenshu = str(Path(sys.executable).with_name("wenshu"))
    runs = []
    for q in ("课后服务", "国务院 通知 年度:2019"):
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run([wenshu, "search", q, "--archive", str(root)], check=True, capture_output=True)
            runs.append(time.perf_counter() - t0)
    print(f"`wenshu search` cold start (new process, whole command, facets when few): "
          f"median {statistics.median(runs):.2f} s, max {max(runs):.2f} s")
    if not keep:
        shutil.rmtree(base, ignore_errors=True)


def query_figures(ask, mix, truth, with_facets: bool = True) -> None:
    for kind, q in mix[:12]:  # warm the OS cache and the engine's caches
        ask(q)
    passes = (("query mix, highlighted top-10", False), ("same mix with facet counts", True))
    for label, facets in passes if with_facets else passes[:1]:
        times: dict[str, list[float]] = {}
        found = 0
        for kind, q in mix:
            t0 = time.perf_counter()
            res = ask(q, facets=facets)
            times.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)
            found += bool(res.hits)
        everything = [x for v in times.values() for x in v]
        print(f"{label}: {len(mix)} queries, p50 {pct(everything, 50):.0f} ms, p95 {pct(everything, 95):.0f} ms, "
              f"max {max(everything):.0f} ms; {found} with hits")
        for kind, v in times.items():
            print(f"    {kind:9s} p50 {pct(v, 50):6.1f} ms  p95 {pct(v, 95):6.1f} ms")
    docnum_hits = sum(ask(t["docnum"]).hits[0].docnum == t["docnum"] for t in truth[:50])
    print(f"文号 known-item check: {docnum_hits}/50 at rank 1")


def _progress(t0: float):
    def show(i: int, total: int) -> None:
        if i % 100_000 == 0 or i == total:
            print(f"    {i:,} of {total:,} files read and inserted, {time.perf_counter() - t0:.0f} s", flush=True)
    return show


def postgres(ai, mix, truth, database: str = "", reuse: bool = False, facets: bool = True) -> None:
    """The same records into the PostgreSQL engine (indexer/pg_engine/) by its rebuild (walking,
    reading and analysis on 2 processes, inserts and the GIN indexes count); then the same mix.
    Without ``database`` a throw-away durable cluster (tests/pg_helpers.py) serves it; with it and
    ``reuse``, a table ``bench_docs`` an earlier run built there is queried as it is."""
    from indexer.bulk import documents, walk
    from indexer.pg_engine import PgEngine, schema
    from indexer.search import search

    cluster = None
    if not database:
        from tests.pg_helpers import remove, start_cluster

        cluster, why = start_cluster(durable=True)
        if cluster is None:
            print(f"PostgreSQL: {why}")
            return
        database = cluster.url()
    try:
        engine = PgEngine(database, "bench_docs")
        with engine.reader() as r:
            files = r.doc_count() if reuse else 0
        if not files:
            t0 = time.perf_counter()
            files = engine.rebuild_rows(documents(ai, walk(ai.root), None, [], [], _progress(t0),
                                                  shape=schema.row))  # as PgArchiveIndex.rebuild
            t_build = time.perf_counter() - t0
            print(f"PostgreSQL index build (as PgArchiveIndex.rebuild: walk; read and analyse on 2 processes; "
                  f"insert, GIN): {files:,} files in {t_build:.1f} s = {files / t_build:.0f} records/s", flush=True)
        with engine.pool.connection() as conn:
            size = conn.execute("SELECT pg_total_relation_size('bench_docs')").fetchone()[0]
        print(f"PostgreSQL table + indexes: {files:,} files, {size / 1048576:.0f} MB ({size / max(1, files) / 1024:.1f} KB/record)",
              flush=True)
        query_figures(lambda q, **kw: search(None, q, engine=engine, **kw), mix, truth, facets)
        engine.close()
    finally:
        if cluster is not None:
            remove(cluster)


# -- what clerks type: 文号 and 令号 as cited (issue 11) ------------------------------------------

_HEADER_ORDER = re.compile(r"(\d{4}年\d{1,2}月\d{1,2}日)\s*((?:中华人民共和国)?[\u4e00-\u9fff、]+?令第(\d+)号)(?:发布|公布)")


def clerk_queries(seed: int = 11, regulations: int = 36) -> tuple[list[tuple[str, str]], list[Path]]:
    """(query, the file it must find first) and the files to file: all 60 govcn-policy-2019
    documents, queried by their 文号 as gov.cn prints it; and ``regulations`` lawrefbook
    regulations (a fixed sample of those whose latest 令号 no other file's header carries),
    queried by that 令号 as printed (中华人民共和国国务院令第195号) and as cited without the
    country (国务院令第195号). Every lawrefbook file is filed, so the sample is found among 700."""
    tmp = Path(tempfile.mkdtemp(prefix="wenshu-clerk-src-"))
    queries, files, others = [], [], []
    for i, line in enumerate((CORPUS / "govcn-policy-2019" / "ge_policy_raw20190217.jsonl").read_text("utf-8").splitlines()):
        d = json.loads(line)
        path = tmp / f"govcn-{i:02d}.txt"
        path.write_text(d["text"], encoding="utf-8")
        files.append(path)
        queries.append((d["doc_number"], path.name))
        m = re.fullmatch(r"(.+)〔(\d{4})〕(\d+)号", d["doc_number"])
        if m:  # as clerks also type it: square brackets, and without the year
            others.append((f"{m[1]}[{m[2]}]{m[3]}号", path.name))
            others.append((f"{m[1]}{m[3]}号", path.name))
    latest, count = {}, {}
    for p in sorted((CORPUS / "lawrefbook-regulations").rglob("*.md")):
        if p.name == "_index.md":
            continue
        files.append(p)
        header = p.read_text("utf-8").split("<!-- INFO END -->")[0]
        orders = _HEADER_ORDER.findall(header)
        for _d, printed, _n in orders:
            short = printed.replace("中华人民共和国", "")
            count[short] = count.get(short, 0) + 1
        if orders:
            latest[p] = orders[-1][1]
    unique = [p for p, printed in latest.items() if count[printed.replace("中华人民共和国", "")] == 1]
    for p in random.Random(seed).sample(unique, min(regulations, len(unique))):
        printed = latest[p]
        queries += [(printed, p.name), (printed.replace("中华人民共和国", ""), p.name)]
        if printed.endswith(tuple(f"国务院令第{n}号" for n in re.findall(r"\d+", printed))):
            others.append((re.sub(r".*国务院令", "国令", printed), p.name))  # as gov.cn prints it
    return queries, files, others


def clerk(keep: Path | None) -> None:
    """File the corpora as received records (``wenshu file``'s library function), index them and
    count the 文号/令号 queries whose first hit is their document, and those finding nothing."""
    from archive.errors import WenshuError
    from archive.receive import receive
    from archive.store import Archive
    from indexer.index import ArchiveIndex
    from indexer.search import search
    from tests.conftest import make_config

    queries, files, others = clerk_queries()
    base = keep or Path(tempfile.mkdtemp(prefix="wenshu-clerk-"))
    root = base / "clerk"
    if root.exists():
        shutil.rmtree(root)
    archive = Archive.init(root, make_config())
    t0 = time.perf_counter()
    refused = 0
    for p in files:
        try:
            receive(archive, [p])
        except WenshuError:
            refused += 1
    print(f"\n== 文号/令号 as clerks type them: {len(files)} files filed as 收文 ({refused} refused) "
          f"in {time.perf_counter() - t0:.0f} s; code from {ROOT} ==")
    ai = ArchiveIndex(archive, notify=lambda m: None)
    ai.rebuild()
    for label, mix in (("as printed (the issue's set)", queries), ("other spellings: [年], no year, 国令", others)):
        first = nothing = 0
        misses = []
        for q, name in mix:
            res = search(ai, q, limit=5)
            names = [Path(h.path).name for h in res.hits]
            top = bool(names) and (names[0] == name or names[0].startswith(Path(name).stem))
            first += top
            nothing += not res.hits
            if not top:
                misses.append((q, name, names[:1]))
        print(f"{label}: {len(mix)} queries: {first} at rank 1, {len(mix) - first} miss rank 1, "
              f"{nothing} of them find nothing")
        for q, name, got in misses[:12]:
            print(f"    miss: {q}  (want {name}; first: {got[0] if got else '没有找到'})")
    archive.close()
    if not keep:
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, action="append", help="archive size (repeatable); default 10000 and 100000")
    ap.add_argument("--chars", type=int, default=3000, help="characters of text per record")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--seed", type=int, default=11, help="of the query mix (another seed: queries never run before)")
    ap.add_argument("--keep", type=Path, help="build the archives here and keep them")
    ap.add_argument("--reuse", choices=["records", "index"], default="",
                    help="with --keep: reuse the kept records (and rebuild), or the kept index too (queries only)")
    ap.add_argument("--code", type=Path, help="measure the code of another checkout (e.g. the main branch)")
    ap.add_argument("--clerk", action="store_true", help="only the 文号/令号 queries on the corpora filed as 收文")
    ap.add_argument("--engine", choices=["whoosh", "postgres", "postgres-alone"], default="whoosh",
                    help="postgres: also the PostgreSQL engine, beside whoosh on the same records; "
                    "postgres-alone: only PostgreSQL, the query mix without facets (1,000,000 records)")
    ap.add_argument("--database", default="", help="with --engine postgres: a postgresql:// URL (default: a "
                    "throw-away cluster)")
    args = ap.parse_args()
    if not (CORPUS / "govcn-policy-2019").exists():
        sys.exit(f"语料不在 {CORPUS}，无法运行基准测试。")
    if args.clerk:
        clerk(args.keep)
        return
    for n in args.records or [10_000, 100_000]:
        run(n, args.chars, args.queries, args.keep, args.reuse, args.engine, args.database, args.seed)


if __name__ == "__main__":
    main()
