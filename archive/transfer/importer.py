"""``wenshu import``: receive a transfer package (移交接收) into this archive.

The package is verified first (the full 四性检测) and refused if any check fails. Every record
is then filed through ``file_record`` — so it gets a 档号 of *this* archive and a 件号 from
this registry — with the sender's 全宗号 and 档号 kept in ``source`` (原全宗号, 原档号) and the
sender's history kept in front of the 移交接收 entry. Nothing is overwritten: a record whose
sender 全宗号+档号 is already here with the same files is skipped (so a second import of the
same package changes nothing); the same 档号 with different files, or a file that is already
filed under another record, stops the import before anything is written.
"""

from __future__ import annotations

import getpass
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from archive.archival_code import Retention
from archive.errors import WenshuError
from archive.docnumber import DocNumber
from archive.filing import OnFiled, file_record, find_by_sha256, find_records, iter_records, save_record
from archive.record import IMPORTED, HistoryEntry, Record
from archive.limits import Limits
from archive.store import Archive
from archive.transfer.layout import inside, nfc, unsafe_name
from archive.transfer.package import open_package, volume_folders
from archive.transfer.registercheck import check_volume_set
from archive.transfer.verify import PackageRecord, _new_report, inspect

_RETENTION_BY_LABEL = {r.label: r.value for r in Retention}


@dataclass
class ImportResult:
    package: str
    sender_fonds: str
    imported: list[tuple[str, str]] = field(default_factory=list)  # (sender 档号, new 档号)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (sender 档号, 档号 already here)
    index_note: str = ""
    layout: str = ""  # which layout was read (载体结构, BagIt, 旧版, or n 个载体)

    def as_dict(self) -> dict:
        return {"数据包": self.package, "结构": self.layout, "来源全宗号": self.sender_fonds,
                "导入": [{"原档号": a, "档号": b} for a, b in self.imported],
                "已存在未导入": [{"原档号": a, "档号": b} for a, b in self.skipped],
                "索引": self.index_note}


def _failed_summary(report) -> str:
    lines = []
    for c in report.failed:
        lines.append(f"  [{c.prop}] {c.name}")
        lines += [f"      - {d}" for d in c.details[:3]]
        if len(c.details) > 3:
            lines.append(f"      … 另有 {len(c.details) - 3} 条")
    return "\n".join(lines)


def _existing(archive: Archive) -> dict[tuple[str, str], Record]:
    """(全宗号, 档号) as the sender knew it → the record that already holds it here."""
    out: dict[tuple[str, str], Record] = {}
    for _, r in iter_records(archive):
        src = r.source or {}
        if src.get("原全宗号") and src.get("原档号"):
            out[(src["原全宗号"], src["原档号"])] = r
        out.setdefault((r.archival_code.fonds, str(r.archival_code)), r)
    return out


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
        existing = _existing(archive)
        todo: list[PackageRecord] = []
        conflicts = []
        for rec in sorted(records, key=lambda r: r.meta["档号"]):
            m = rec.meta
            here = existing.get((m["全宗号"], m["档号"]))
            if here is None:
                todo.append(rec)
            elif {f.sha256 for f in here.files} == {f["sha256"] for f in m["文件"]}:
                result.skipped.append((m["档号"], str(here.archival_code)))
            else:
                conflicts.append(f"{m['全宗号']} 的 {m['档号']} 已导入为 {here.archival_code}，但文件内容不同")
        digests = {f["sha256"]: rec.meta["档号"] for rec in todo for f in rec.meta["文件"]}
        for sha, holder in find_by_sha256(archive, set(digests)).items():
            conflicts.append(f"{digests[sha]} 的文件已在档案库中（档号 {holder.archival_code}，题名：{holder.title}）")
        conflicts += _number_conflicts(archive, todo)
        if conflicts:
            raise WenshuError("数据包中有与档案库现有记录冲突的文件，未导入任何记录（不会覆盖已有记录）：\n"
                              + "\n".join(f"  - {c}" for c in conflicts[:20])
                              + ("\n  …" if len(conflicts) > 20 else ""))
        # sender 档号 → 档号 here, for relations: earlier imports from the same sender count too
        new_codes = {code: str(r.archival_code) for (fonds, code), r in existing.items()
                     if fonds == result.sender_fonds and (r.source or {}).get("原档号") == code}
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
            save_record(folder, record)
            new_codes[m["档号"]] = str(record.archival_code)
            filed.append((folder, record))
            result.imported.append((m["档号"], str(record.archival_code)))
            if progress and i % 100 == 0:
                progress("导入", i, len(todo))
    _remap_relations(filed, new_codes)
    result.index_note = _index(on_filed, archive, filed)
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
