"""Generator speed: ms per notice (.docx, in-process), ms per document with PDF, and a 1,000-row
pledge batch end to end (validated, numbered, rendered, filed, indexed). Prints figures; asserts nothing.

    .venv/bin/python bench/generate.py [--rows 1000] [--pdf-docs 20]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from archive.config import ArchiveConfig  # noqa: E402
from archive.store import Archive  # noqa: E402
from generator import pdf as pdfmod  # noqa: E402
from generator.batch import convert_many, run_batch  # noqa: E402
from generator.render import build_context, render_docx  # noqa: E402
from generator.service import prepare  # noqa: E402
from generator.template import load_template  # noqa: E402
from wenshu.indexing import index_filed  # noqa: E402

CONFIG = {"fonds": {"code": "A001", "name": "高平市教育局"}, "organ": {"name": "高平市教育局"},
          "prefixes": [{"code": "高教字"}], "defaults": {"retention": "D30"}}
PARA = "各学校要高度重视，认真组织，切实把各项工作落到实处，确保取得实效，并及时报送工作进展情况。"
NOTICE = {"标题": "关于进一步规范校外培训行为的通知", "主送机关": "各乡镇中心学校，市直各学校",
          "正文": "\n".join(["一、总体要求。" + PARA, "（一）加强领导。" + PARA] + [PARA * 2] * 14),
          "抄送机关": "市委办公室，市政府办公室", "date": "2022-03-25"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--pdf-docs", type=int, default=20)
    ap.add_argument("--pdf-rows", type=int, default=0, help="also a pledge batch with --pdf of this many rows")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        archive = Archive.init(tmp / "档案库", ArchiveConfig.from_dict(CONFIG))
        notice = load_template("notice")
        values = prepare(notice, NOTICE)
        ctx = build_context(notice, values, archive.config, "高教字〔2022〕1号")
        render_docx(notice, ctx, tmp / "warm.docx")
        times = []
        for i in range(50):
            t0 = time.perf_counter()
            render_docx(notice, ctx, tmp / f"n{i}.docx")
            times.append((time.perf_counter() - t0) * 1000)
        print(f"notice .docx（进程内，已编译模板）：中位 {statistics.median(times):.1f} ms/份，"
              f"p95 {sorted(times)[int(len(times) * .95)]:.1f} ms")

        if pdfmod.available():
            from generator.render import render_document

            t0 = time.perf_counter()
            for i in range(3):
                render_document(notice, values, f"高教字〔2022〕{i + 1}号", tmp / "single", config=archive.config, pdf=True)
            print(f"notice 含 PDF（单份，两遍排版使版记落在版心底边）：{(time.perf_counter() - t0) / 3 * 1000:.0f} ms/份")
            files = [tmp / f"n{i}.docx" for i in range(args.pdf_docs)]
            t0 = time.perf_counter()
            convert_many(files, tmp / "pdf", workers=2)
            dt = time.perf_counter() - t0
            print(f"PDF 批量转换：{args.pdf_docs} 份 {dt:.1f} s，{args.pdf_docs / dt:.1f} 份/秒"
                  f"（{dt / args.pdf_docs * 1000:.0f} ms/份，2 个 LibreOffice 进程）")
        else:
            print("PDF：未安装 LibreOffice，跳过")

        roster = tmp / "roster.csv"
        with roster.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["姓名", "学校", "学科"])
            for i in range(args.rows):
                w.writerow([f"教师{i:04d}", f"高平市第{i % 20 + 1}中学", "语文"])
        common = {"承诺条款": ["不组织、不参与有偿补课", "不向学生推荐校外培训机构", "严格控制作业总量和时长"],
                  "date": "2022-09-01"}
        t0 = time.perf_counter()
        report = run_batch(archive, "pledge", roster, common, workers=2, on_filed=index_filed)
        dt = time.perf_counter() - t0
        print(f"承诺书批量 {args.rows} 行（校验、编号、生成、归档、编入全文索引）：{dt:.1f} s，"
              f"{len(report.produced)} 份，{len(report.errors)} 行出错，{dt / args.rows * 1000:.1f} ms/份")
        if args.pdf_rows and pdfmod.available():
            import inspect

            with roster.open("w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(["姓名", "学校", "学科"])
                for i in range(args.pdf_rows):
                    w.writerow([f"教员{i:04d}", f"高平市第{i % 20 + 1}中学", "语文"])
            extra = ({"combine_dir": tmp / "print"} if "combine_dir" in inspect.signature(run_batch).parameters else {})
            t0 = time.perf_counter()
            report = run_batch(archive, "pledge", roster, common, workers=2, pdf=True, file=False,
                               out_dir=tmp / "pdfbatch", **extra)
            dt = time.perf_counter() - t0
            print(f"承诺书批量含 PDF {args.pdf_rows} 行：{dt:.1f} s，{dt / args.pdf_rows * 1000:.0f} ms/份"
                  + (f"，合并打印 {len(report.combined)} 个 PDF" if getattr(report, "combined", None) else ""))
        archive.close()


if __name__ == "__main__":
    main()
