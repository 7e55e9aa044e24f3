"""How many of the 60 gov.cn policy documents have 文号, 题名 and 成文日期 read right.

    .venv/bin/python bench/extract_corpus.py

Each document of ../shared/corpus/govcn-policy-2019 is written as an office lays it out (the
same writer the tests use), then read back from the .docx and from a PDF that LibreOffice
prints. The tests assert the .docx figure on all 60 and the PDF figure on the first 15 (to
keep the suite short); this script prints both on all 60, and lists every miss.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.extract import extract_text  # noqa: E402
from archive.metadata import read_metadata  # noqa: E402
from tests.conftest import CORPUS  # noqa: E402
from tests.test_extract_corpus import _score, office_docx  # noqa: E402


def main() -> None:
    src = CORPUS / "govcn-policy-2019" / "ge_policy_raw20190217.jsonl"
    rows = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        docs = []
        for row in rows:
            path = tmp / f"{row['id']:02d}.docx"
            office_docx(row, path)
            docs.append(path)
        t = time.perf_counter()
        subprocess.run(["soffice", f"-env:UserInstallation={(tmp / 'profile').as_uri()}", "--headless",
                        "--convert-to", "pdf", "--outdir", str(tmp), *map(str, docs)], check=True,
                       capture_output=True, timeout=900)
        print(f"LibreOffice printed {len(docs)} PDFs in {time.perf_counter() - t:.1f} s")
        for kind in ("docx", "pdf"):
            right, misses, t = 0, [], time.perf_counter()
            for row in rows:
                meta = read_metadata(extract_text(tmp / f"{row['id']:02d}.{kind}"))
                checks = _score(meta, row)
                right += all(checks)
                if not all(checks):
                    misses.append(f"  #{row['id']} 文号/题名/日期 {checks}: {meta.doc_number} | {meta.title} | {meta.date}"
                                  f"  (corpus: {row['doc_number']} | {row['title']} | {row['written_date_page']})")
            ms = (time.perf_counter() - t) / len(rows) * 1000
            print(f".{kind}: {right}/{len(rows)} right ({ms:.0f} ms per document to extract and read)")
            print("\n".join(misses))


if __name__ == "__main__":
    main()
