"""``wenshu check``: the registry, the records and the files audited against each other (四性检测, in small).

The records on disk are the truth for content, the registry for which numbers exist; this
module looks for every way they can drift apart — a file deleted or changed behind wenshu's
back, a record.json broken or removed, a 文号 issued that no record carries, a record carrying a
文号 the registry never issued, two records with one 文号 or 档号, an unexplained gap in the
件号, a document that can no longer be read — and reports each in Chinese, with where it is.

Other parts of wenshu (the search index) contribute checks as functions ``(archive) ->
list[Problem]`` that the command passes in, so this module imports none of them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable

from archive.archival_code import ArchivalCode
from archive.docnumber import DocNumber
from archive.errors import WenshuError
from archive.extract import CONVERTED_FORMATS, extract_text
from archive.filing import RECORD_JSON, UNDATED, iter_records, record_folders, staging_leftovers
from archive.record import ISSUED_HERE, Record, sha256_file
from archive.registry import ISSUED, VOID
from archive.store import Archive

# kinds, and the heading each is reported under
KINDS = {
    "missing_file": "文件缺失",
    "changed_file": "文件被改动（sha256 不符）",
    "unlisted_file": "未登记的文件",
    "broken_record": "record.json 损坏或缺失",
    "misplaced_record": "档号与所在文件夹不符",
    "duplicate_code": "档号重复",
    "duplicate_number": "文号重复",
    "number_without_record": "已发文号没有对应的档案",
    "number_unknown": "文号未在编号登记簿中登记",
    "item_without_record": "件号已分配但没有对应的档案",
    "item_unknown": "档号的件号未在登记簿中登记",
    "item_gap": "件号空号未说明",
    "unreadable": "文件无法读取",
    "staging_leftover": "归档中断留下的临时文件夹",
    "undated": "成文日期待核（归档时未能识别）",
    "version_missing": "文件旧版本的副本缺失",
}


@dataclass
class Problem:
    kind: str
    message: str  # Chinese, says what and where
    where: str = ""  # 档号, 文号 or path

    @property
    def label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    def as_dict(self) -> dict:
        return {"类别": self.label, "代码": self.kind, "说明": self.message, "位置": self.where}


@dataclass
class Report:
    problems: list[Problem]
    records: int
    files: int
    notes: list[str]  # things that are fine but worth saying (explained gaps …)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"正常": self.ok, "档案件数": self.records, "文件数": self.files,
                "问题": [p.as_dict() for p in self.problems], "说明": self.notes}

    def text(self) -> str:
        lines = [f"检查了 {self.records} 件档案、{self.files} 个文件。"]
        if self.ok:
            lines.append("未发现问题。")
        else:
            lines.append(f"发现 {len(self.problems)} 个问题：")
            groups: dict[str, list[Problem]] = defaultdict(list)
            for p in self.problems:
                groups[p.label].append(p)
            for label, items in groups.items():
                lines.append(f"【{label}】{len(items)} 项")
                lines += [f"  - {p.message}" for p in items]
        if self.notes:
            lines.append("说明：")
            lines += [f"  - {n}" for n in self.notes]
        return "\n".join(lines)


def check(archive: Archive, *, read_documents: bool = True, convert: bool = False,
          extra_checks: Iterable[Callable[[Archive], list[Problem]]] = ()) -> Report:
    """Audit the whole archive. ``read_documents`` extracts every file's text (finds unreadable
    ones); ``convert`` also runs LibreOffice on .doc/.wps files, which is slow."""
    problems: list[Problem] = []
    notes: list[str] = []
    errors: list = []
    records: list[tuple[Path, Record]] = list(iter_records(archive, errors))
    for folder, msg in errors:
        rel = folder.relative_to(archive.root)
        problems.append(Problem("broken_record", f"{rel}：{msg}", str(rel)))
    files = 0

    for folder, r in records:
        code = str(r.archival_code)
        rel = folder.relative_to(archive.root)
        if not folder.name.startswith(code + " ") and folder.name != code or folder.parent.name != str(r.year):
            problems.append(Problem("misplaced_record", f"{rel} 中的 record.json 写的档号是 {code}，与文件夹名不符"
                                                        "（文件夹被手工改名或移动过？）", code))
        listed = set()
        for f in r.files:
            files += 1
            listed.add(f.name)
            path = folder / f.name
            if not path.is_file():
                problems.append(Problem("missing_file", f"{code}（{r.title}）缺少文件 {f.name}", code))
                continue
            if path.stat().st_size != f.size or sha256_file(path) != f.sha256:
                problems.append(Problem("changed_file", f"{code}（{r.title}）的文件 {f.name} 与登记的版本不同"
                                                        f"（sha256 不符，改动时没有监视程序在运行）。接受为新版本："
                                                        f"wenshu revise {code} {f.name}；恢复登记的版本："
                                                        f"wenshu restore {code} {f.name}", code))
                continue
            if read_documents and (convert or f.format not in CONVERTED_FORMATS):
                try:
                    extract_text(path)
                except WenshuError as e:
                    problems.append(Problem("unreadable", f"{code} 的 {f.name} 无法读取：{e}", code))
        for extra in sorted(p.name for p in folder.iterdir()):
            if extra not in listed and extra != RECORD_JSON and not extra.startswith(".tmp-"):
                problems.append(Problem("unlisted_file", f"{code} 的文件夹中有未登记的文件 {extra}", code))

    for folder, r in records:  # received undated: filed under the filing year, to be checked
        if r.date is None and UNDATED in r.extra:
            problems.append(Problem("undated", f"{r.archival_code}（{r.title}）的成文日期未能识别，年度暂按归档年度 "
                                               f"{r.year}；核实后请用 wenshu edit {r.archival_code} --set 日期=… 补录",
                                    str(r.archival_code)))

    # duplicates
    by_code: dict[str, list[Path]] = defaultdict(list)
    by_number: dict[str, list[str]] = defaultdict(list)
    for folder, r in records:
        by_code[str(r.archival_code)].append(folder)
        if r.doc_number:
            by_number[DocNumber.normalize(str(r.doc_number))].append(str(r.archival_code))
    for code, folders in by_code.items():
        if len(folders) > 1:
            where = "；".join(str(f.relative_to(archive.root)) for f in folders)
            problems.append(Problem("duplicate_code", f"档号 {code} 出现在 {len(folders)} 个文件夹中：{where}", code))
    for number, codes in by_number.items():
        if len(codes) > 1:
            problems.append(Problem("duplicate_number", f"文号 {number} 同时属于 {'、'.join(codes)}", number))

    # registry ↔ records
    registry = archive.registry
    codes = set(by_code)
    for e in registry.entries(kind="number"):
        if e.status != ISSUED:
            continue
        label = e.label
        if label not in by_number:
            why = ((f"（登记簿记为 {e.record}，但该档案不存在）" if e.record not in codes
                    else f"（登记簿记为 {e.record}，但该档案的文号已不是它）") if e.record else "")
            problems.append(Problem("number_without_record",
                                    f"{label}（{e.title or '无题名'}）已发文，但档案库中没有带这个文号的档案{why}。"
                                    "如文件尚未归档，请用 wenshu file --set 文号=… 归档", label))
    for folder, r in records:
        if r.origin == ISSUED_HERE and isinstance(r.doc_number, DocNumber):
            entry = registry.find(r.doc_number)
            if entry is None:
                problems.append(Problem("number_unknown", f"{r.archival_code}（{r.title}）的文号 {r.doc_number} "
                                                          "未在编号登记簿中登记（可用 wenshu number offline 补登）",
                                        str(r.archival_code)))
            elif entry.status != ISSUED and not (r.withdrawn and entry.status == VOID):  # 撤销: voided with it
                problems.append(Problem("number_unknown", f"{r.archival_code} 的文号 {r.doc_number} 在登记簿中的状态是"
                                                          f"“{entry.as_dict()['status_label']}”，不是已发文",
                                        str(r.archival_code)))

    items = {(e.series, e.year, e.seq): e for e in registry.entries(kind="item")}
    for folder, r in records:
        c = r.archival_code
        e = items.get((_series(c), c.year, c.item))
        if e is None or e.status != ISSUED:
            state = "未登记" if e is None else f"已{e.as_dict()['status_label']}（{e.reason}）"
            problems.append(Problem("item_unknown", f"{c}（{r.title}）的件号在登记簿中{state}", str(c)))
    for (series, year, seq), e in items.items():
        if e.status == ISSUED:
            code = _code(archive, series, year, seq)
            if code and code not in codes:
                problems.append(Problem("item_without_record", f"件号 {code} 已分配（{e.title}），"
                                                                "但档案库中没有这份档案（文件夹被删除或移走？）", code))
    for gap in registry.gaps(kind="item"):
        if gap.explanation == "未说明":
            problems.append(Problem("item_gap", f"{gap.label} 是空号，登记簿中没有说明", gap.label))
        else:
            notes.append(f"空号 {_code(archive, gap.series, gap.year, gap.seq) or gap.label}：{gap.explanation}")

    for leftover in staging_leftovers(archive):
        problems.append(Problem("staging_leftover", f"{leftover.relative_to(archive.root)}：一次归档被中断时留下，"
                                                    "其中的文件未归档；核实后可删除", str(leftover)))
    for extra_check in extra_checks:
        problems.extend(extra_check(archive))
    return Report(problems, len(records) + len(errors), files, notes)


def repair(archive: Archive) -> list[str]:
    """What a filing killed half-way (power cut, SIGKILL) leaves behind, put right: its staging
    folder removed (the sources were only copied, never moved before the end) and its 件号 voided
    with the reason, so the ledger explains the gap. Runs under the filing lock, so no filing in
    progress is mistaken for an interrupted one. Returns what was done, in Chinese."""
    import shutil

    from archive.filing import filing_lock

    done = []
    with filing_lock(archive):
        for leftover in staging_leftovers(archive):
            shutil.rmtree(leftover, ignore_errors=True)
            done.append(f"已删除中断归档留下的临时文件夹 {leftover.name}")
        codes = {str(r.archival_code) for _, r in iter_records(archive)}
        folders = {f.name.split(" ")[0] for f in record_folders(archive)}
        for e in archive.registry.entries(kind="item"):
            code = _code(archive, e.series, e.year, e.seq)
            if e.status == ISSUED and code and code not in codes and code not in folders:
                archive.registry.void_item(e.series, e.year, e.seq,
                                           f"归档未完成（进程中断），由 wenshu check --fix 作废（原题名：{e.title}）")
                done.append(f"件号 {code} 已分配但归档未完成，已作废并注明原因")
    return done


def _series(code: ArchivalCode) -> str:
    from archive.archival_code import item_series

    return item_series(code.retention.value, code.org)


def _code(archive: Archive, series: str, year: int, seq: int) -> str:
    """The 档号 a 件号 ledger row stands for (series ``件号/D30/BGS``)."""
    parts = series.split("/")
    try:
        return str(ArchivalCode(archive.config.fonds_code, year, parts[1], parts[2] if len(parts) > 2 else "", seq))
    except (WenshuError, IndexError):
        return ""


__all__ = ["check", "repair", "Problem", "Report", "KINDS", "asdict", "record_folders"]
