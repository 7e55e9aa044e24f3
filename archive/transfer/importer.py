"""``wenshu import``: receive a transfer package (移交接收) into this archive.

The package is verified first (the full 四性检测) and refused if any check fails. Every record
is then filed through ``file_record`` — so it gets a 档号 of *this* archive and a 件号 from
this registry — with the sender's 全宗号 and 档号 kept in ``source`` (原全宗号, 原档号) and the
sender's history kept in front of the 移交接收 entry. Nothing is overwritten: a record whose
sender 全宗号+档号 is already here with the same files is skipped (so a second import of the
same package changes nothing); the same 档号 with different files stops the import before
anything is written.

Exchange (互通): a document both archives hold — the county's notice the city filed as 收文, the
same bytes of its 正本, or the same 文号 + 题名 from the same 责任者 — is *linked*, not filed a
second time and not a reason to refuse the package: the record here gets a 关联 (关系 同一文件,
原全宗号, 原档号) and a history line, the report names both 档号, and the link itself is what a
second import recognises.
"""

from __future__ import annotations

import getpass
import re
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from archive.archival_code import Retention
from archive.errors import WenshuError
from archive.docnumber import DocNumber
from archive.filing import OnFiled, file_record, find_by_sha256, find_records, iter_records, save_record
from archive.changes import Change, report as report_change
from archive.record import IMPORTED, HistoryEntry, Record
from archive.limits import Limits
from archive.store import Archive
from archive.transfer.names import inside, nfc, unsafe_name
from archive.transfer.package import open_package, volume_folders
from archive.transfer.registercheck import check_volume_set
from archive.transfer.verify import PackageRecord, _new_report, inspect

_RETENTION_BY_LABEL = {r.label: r.value for r in Retention}
LINKED = "同一文件"  # 关系 of the 关联 a record here gets when a package brings the same document
LINK_ACTION = "移交接收关联"


@dataclass
class ImportResult:
    package: str
    sender_fonds: str
    imported: list[tuple[str, str]] = field(default_factory=list)  # (sender 档号, new 档号)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (sender 档号, 档号 already here)
    linked: list[tuple[str, str, str]] = field(default_factory=list)  # (sender 档号, 档号 here, why)
    index_note: str = ""
    layout: str = ""  # which layout was read (载体结构, BagIt, 旧版, or n 个载体)

    def as_dict(self) -> dict:
        return {"数据包": self.package, "结构": self.layout, "来源全宗号": self.sender_fonds,
                "导入": [{"原档号": a, "档号": b} for a, b in self.imported],
                "已存在未导入": [{"原档号": a, "档号": b} for a, b in self.skipped],
                "关联已有": [{"原档号": a, "档号": b, "依据": why} for a, b, why in self.linked],
                "索引": self.index_note}


def _failed_summary(report) -> str:
    lines = []
    for c in report.failed:
        lines.append(f"  [{c.prop}] {c.name}")
        lines += [f"      - {d}" for d in c.details[:3]]
        if len(c.details) > 3:
            lines.append(f"      … 另有 {len(c.details) - 3} 条")
    return "\n".join(lines)


class _Here:
    """What this archive holds, read once: by the sender's (全宗号, 档号) — records imported
    before, and the links of earlier exchanges — and by 档号 and 文号 + 题名 + 责任者."""

    def __init__(self, archive: Archive):
        self.imported: dict[tuple[str, str], Record] = {}
        self.links: dict[tuple[str, str], Record] = {}
        self.by_code: dict[str, tuple[Path, Record]] = {}
        self.by_number: dict[tuple[str, str, str], tuple[Path, Record]] = {}
        for folder, r in iter_records(archive):
            src = r.source or {}
            if src.get("原全宗号") and r.original_code:
                self.imported[(src["原全宗号"], r.original_code)] = r
            self.imported.setdefault((r.archival_code.fonds, str(r.archival_code)), r)
            for rel in r.relations:
                if rel.get("关系") == LINKED and rel.get("原全宗号") and rel.get("原档号"):
                    self.links.setdefault((rel["原全宗号"], rel["原档号"]), r)
            self.by_code[str(r.archival_code)] = (folder, r)
            if r.doc_number and not r.withdrawn:
                self.by_number.setdefault(_same_document(str(r.doc_number), r.title, r.author), (folder, r))


def _same_document(number: str, title: str, author: str) -> tuple[str, str, str]:
    """The key under which two archives' copies of one 公文 meet: its 文号 (any spelling), its
    题名 and its 责任者, with runs of white space as filing makes them."""
    def norm(t):
        return re.sub(r"\s+", " ", t or "").strip()
    return DocNumber.normalize(number), norm(title), norm(author)


def _main_digests(files: list[dict]) -> set[str]:
    """The sha256 of what a record *is* (正本, 原件, 版式文件): a shared 附件 alone does not make
    two records the same document."""
    main = {f["sha256"] for f in files if f.get("角色") != "附件"}
    return main or {f["sha256"] for f in files}


def _links(archive: Archive, here: _Here, todo: list[PackageRecord]) -> tuple[dict, list[str]]:
    """sender 档号 → (folder, record here, why) for each package record this archive already
    holds; and the conflicts: main files held by two different records here."""
    main = {rec.meta["档号"]: _main_digests(rec.meta["文件"]) for rec in todo}
    holders = find_by_sha256(archive, set().union(*main.values())) if main else {}
    links, conflicts = {}, []
    for rec in todo:
        m = rec.meta
        codes = sorted({holders[s].archival_code for s in main[m["档号"]] if s in holders})
        if len(codes) == 1 and codes[0] in here.by_code:
            links[m["档号"]] = (*here.by_code[codes[0]], "文件 sha256 相同")
        elif len(codes) > 1:
            conflicts.append(f"{m['档号']} 的文件分别已在档案库的 {'、'.join(codes)} 中，无法确定对应哪一件")
        elif m["文号"] and (hit := here.by_number.get(_same_document(m["文号"], m["题名"], m["责任者"]))):
            links[m["档号"]] = (*hit, "文号、题名、责任者相同")
    return links, conflicts


def _link(folder: Path, record: Record, m: dict, why: str, package: str, actor: str) -> None:
    """The record here remembers that the sender's record is this one."""
    record.relations.append({"原全宗号": m["全宗号"], "原档号": m["档号"], "关系": LINKED})
    record.history.append(HistoryEntry(LINK_ACTION, f"数据包 {package} 中 {m['全宗号']} 的 {m['档号']} "
                                       f"与本件为同一文件（{why}），未重复导入", actor=actor))
    save_record(folder, record)


def _fields(archive: Archive, m: dict, sender_name: str, package: str) -> tuple[dict, str, str]:
    """元数据.xml (record.json shape) → file_record fields, retention code, 机构 code."""
    own_fonds = archive.config.fonds_code
    case = m["案件"]
    if case and m["全宗号"] != own_fonds:
        case = f"{m['全宗号']}/{case}"  # two counties may use the same case id
    source = {"原全宗号": m["全宗号"], "原全宗名称": sender_name or m.get("全宗名称", ""),
              "原档号": m["档号"], "原来源": m["来源"], "数据包": package}
    if m["案件"]:
        source["原案件"] = m["案件"]
    if m["原始来源"]:
        source["前序来源"] = m["原始来源"]
    fields = {"title": m["题名"], "author": m["责任者"], "date": m["日期"], "doc_number": m["文号"],
              "doc_type": m["文种"], "classification": m["密级"], "pages": m["页数"],
              "recipients": list(m["主送"]), "cc": list(m["抄送"]), "keywords": list(m["关键词"]),
              "case": case, "relations": [dict(r) for r in m["关联"]], "deadline": m["时限"],
              "origin": IMPORTED, "source": source, "template": m["模板"], "extra": dict(m["其他"])}
    org = m["机构"] if m["机构"] in archive.config.departments else ""
    return fields, _RETENTION_BY_LABEL[m["保管期限"]], org


def import_package(archive: Archive, path: Path, actor: str | None = None,
                   progress: Callable[[str, int, int], None] | None = None,
                   on_filed: OnFiled | None = None, limits: Limits | None = None) -> ImportResult:
    """``limits``: unpacking limits, by default the archive's wenshu.toml [limits]. The package is
    unpacked beside the archive folder — on its disk, never in RAM, and outside the archive, from
    where filing would refuse to take the files."""
    path = Path(path)
    actor = actor or getpass.getuser()
    limits = limits or archive.config.limits
    vols = volume_folders(path)
    with ExitStack() as stack:
        # a transfer split over carriers 载体1 … 载体n is checked as one and imported as one
        opened = [stack.enter_context(open_package(p, limits, [archive.root.resolve().parent])) for p in vols or [path]]
        inspected = [inspect(pkg, limits=limits) for pkg in opened]
        report = (check_volume_set(path, vols, [r for r, _ in inspected], _new_report) if vols
                  else inspected[0][0])
        records = [rec for _, recs in inspected for rec in recs]
        if not report.ok:
            raise WenshuError(f"数据包 {path.name} 未通过四性检测，未导入任何记录：\n{_failed_summary(report)}\n"
                              f"可运行 wenshu verify {path} 查看完整报告。")
        _check_file_names(path, records)
        result = ImportResult(str(path), report.facts.get("全宗号", ""), layout=report.facts.get("结构", ""))
        sender_name = report.facts.get("全宗名称", "")
        here = _Here(archive)
        todo: list[PackageRecord] = []
        conflicts = []
        for rec in sorted(records, key=lambda r: r.meta["档号"]):
            m = rec.meta
            key = (m["全宗号"], m["档号"])
            done = here.imported.get(key) or here.links.get(key)
            if done is None:
                todo.append(rec)
            elif key in here.links or {f.sha256 for f in done.files} == {f["sha256"] for f in m["文件"]}:
                result.skipped.append((m["档号"], str(done.archival_code)))
            else:
                conflicts.append(f"{m['全宗号']} 的 {m['档号']} 已导入为 {done.archival_code}，但文件内容不同")
        links, link_conflicts = _links(archive, here, todo)
        conflicts += link_conflicts
        todo = [rec for rec in todo if rec.meta["档号"] not in links]
        digests = {f["sha256"]: rec.meta["档号"] for rec in todo for f in rec.meta["文件"]}
        for sha, holder in find_by_sha256(archive, set(digests)).items():
            conflicts.append(f"{digests[sha]} 的文件已在档案库中（档号 {holder.archival_code}，题名：{holder.title}）")
        conflicts += _number_conflicts(archive, todo)
        if conflicts:
            raise WenshuError("数据包中有与档案库现有记录冲突的文件，未导入任何记录（不会覆盖已有记录）：\n"
                              + "\n".join(f"  - {c}" for c in conflicts[:20])
                              + ("\n  …" if len(conflicts) > 20 else ""))
        # sender 档号 → 档号 here, for relations: earlier imports and links from the same sender count too
        new_codes = {code: str(r.archival_code) for (fonds, code), r in here.imported.items()
                     if fonds == result.sender_fonds and r.original_code == code}
        new_codes.update({code: str(r.archival_code) for (fonds, code), r in here.links.items()
                          if fonds == result.sender_fonds})
        linked_folders = []
        for rec in sorted(records, key=lambda r: r.meta["档号"]):
            if rec.meta["档号"] in links:
                folder, record, why = links[rec.meta["档号"]]
                _link(folder, record, rec.meta, why, path.name, actor)
                new_codes[rec.meta["档号"]] = str(record.archival_code)
                linked_folders.append(folder)
                result.linked.append((rec.meta["档号"], str(record.archival_code), why))
        filed: list[tuple[Path, Record]] = []
        for i, rec in enumerate(todo, 1):
            m = rec.meta
            fields, retention, org = _fields(archive, m, sender_name, path.name)
            files = [(rec.folder / nfc(f["名称"]), f["角色"]) for f in m["文件"]]
            try:
                record = file_record(archive, files, fields, retention=retention, org=org,
                                     action="移交接收", actor=actor)
            except WenshuError as e:
                # What is filed stays filed (and findable); a second run skips it and goes on.
                _remap_relations(filed, new_codes)
                note = _index(on_filed, archive, filed) if filed else ""
                done = f"已导入 {len(filed)} 件（{note}）；" if filed else ""
                raise WenshuError(f"导入 {m['档号']} 时出错：{e}（{done}重新运行 wenshu import 会跳过已导入的记录）") from None
            folder = archive.root / str(record.year) / record.folder_name
            sender_history = [HistoryEntry.from_json(h) for h in m["历史"]]
            record.history = [*sender_history, *record.history]
            record.original_code = m["档号"]
            save_record(folder, record)
            new_codes[m["档号"]] = str(record.archival_code)
            filed.append((folder, record))
            result.imported.append((m["档号"], str(record.archival_code)))
            if progress and i % 100 == 0:
                progress("导入", i, len(todo))
    _remap_relations(filed, new_codes)
    result.index_note = _index(on_filed, archive, filed)
    if linked_folders:
        notes = report_change(archive, Change(records=linked_folders))
        result.index_note += "".join(f"；{n}" for n in notes)
    return result


def _check_file_names(path: Path, records: list[PackageRecord]) -> None:
    """Verify has already reported any file name that is not plain; import checks again right before
    it joins names to folders, because what it files must be the package's bytes and nothing else."""
    bad = []
    for rec in records:
        for f in rec.meta["文件"]:
            name = nfc(f["名称"])  # as verify and the unpacked names are
            why = unsafe_name(name)
            target = rec.folder / name
            if not why and (target.is_symlink() or not target.is_file() or target.parent.resolve() != rec.folder.resolve()
                            or not inside(rec.folder, target)):
                why = "不是记录文件夹内的普通文件"
            if why:
                bad.append(f"{rec.location}：计算机文件名 {name!r}（{why}）")
    if bad:
        raise WenshuError(f"数据包 {path.name} 中有不安全的文件名，未导入任何记录：\n"
                          + "\n".join(f"  - {b}" for b in bad[:20]))


def _number_conflicts(archive: Archive, todo: list[PackageRecord]) -> list[str]:
    """A 文号 this archive's registry already issued to a filed record: file_record would refuse it
    half-way through the package, so it is found before anything is written."""
    out = []
    for rec in todo:
        try:
            number = DocNumber.parse(rec.meta["文号"]) if rec.meta["文号"] else None
        except WenshuError:
            continue
        entry = archive.registry.find(number) if number else None
        if entry is not None and entry.record and find_records(archive, entry.record):
            out.append(f"{rec.meta['档号']} 的文号 {number} 在本档案库已归档为 {entry.record}")
    return out


def _remap_relations(filed: list[tuple[Path, Record]], new_codes: dict[str, str]) -> None:
    """A relation to another record of the same package points to that record's new 档号."""
    for folder, record in filed:
        changed = False
        for rel in record.relations:
            old = rel.get("档号")
            if old in new_codes:
                rel["原档号"], rel["档号"] = old, new_codes[old]
                changed = True
        if changed:
            save_record(folder, record)


def _index(on_filed: OnFiled | None, archive: Archive, filed: list[tuple[Path, Record]]) -> str:
    if not filed:
        return "没有新记录，索引无需更新"
    if on_filed is None:
        return "未更新全文索引（可运行 wenshu index rebuild）"
    return on_filed(archive, [folder / f.name for folder, r in filed for f in r.files])
