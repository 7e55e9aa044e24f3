"""The checks that read the 登记表 and tie the carriers of one transfer together.

``check_register``: the 登记表 (其他/交接信息/电子档案移交与接收登记表.xml) states, for this carrier,
the 件数, the number of files and bytes and the 电子档案数字摘要; all four are recomputed from the
package (DA/T 70 1-14 归档信息包真实性, 2-1/2-2 总件数 and 总字节数). ``check_volume_set``: an export
split over carriers 载体1 … 载体n is one transfer — every carrier present once, one 移交批次, 档号
unique across them, and a 件号 that one carrier says is "在第 k 个载体" really there.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from archive.errors import WenshuError
from archive.transfer import register
from archive.transfer.fixity import seal_digest, sealed
from archive.transfer.digest import DIGEST_LABELS, file_digests
from archive.transfer.names import DATA, HANDOVER_DIR, OLD_BAG, OTHER_DIR, REGISTER_XML
from archive.transfer.package import FAIL, PASS, SKIP, PROPERTIES, Report


def fixity_threads(processes: int) -> int:
    """hashlib lets go of the GIL on large blocks: two threads keep two cores hashing."""
    return max(processes, min(4, os.cpu_count() or 1))


def hash_all(todo: list[tuple[str, Path, list[str]]], threads: int):
    """(name, path, algorithms) → yields (name, {alg: hex}) in the order given."""
    def one(item):
        name, path, algs = item
        return name, file_digests(path, algs)

    if threads <= 1 or len(todo) < 8:
        yield from map(one, todo)
        return
    with ThreadPoolExecutor(threads) as ex:
        yield from ex.map(one, todo, chunksize=16)


def check_register(report: Report, croot: Path, prefix: str, manifest: dict, layout: str, own_export: bool) -> None:
    c = report.get("register")
    rel = f"{OTHER_DIR}/{HANDOVER_DIR}/{REGISTER_XML}"
    if layout == OLD_BAG:
        c.status = SKIP
        c.details.append("旧版 wenshu 数据包没有登记表")
        return
    path = croot / rel
    if not path.is_file():
        if own_export:
            c.status = SKIP
            c.details.append("导出时的自检在登记表生成之前进行，登记表的检验结果即依据本报告填写")
        else:
            c.fail(f"缺少 {prefix}{rel}（《电子档案移交与接收登记表》）")
        _skip_oxum(report, layout, "没有登记表，未检测")
        return
    try:
        reg = register.parse(path.read_bytes(), prefix + rel)
    except WenshuError as e:
        c.fail(str(e))
        _skip_oxum(report, layout, "登记表无法读取，未检测")
        return
    report.facts["登记表"] = {"件数": reg["件数"], "字节": reg["字节"], "载体总数": reg["载体总数"], "批次": reg["批次"]}
    attrs = report.facts.get("文件目录属性", {})
    seq = int(attrs["载体序号"]) if str(attrs.get("载体序号", "")).isdigit() else 1
    row = next((v for v in reg["载体"] if v.seq == seq), None)
    if row is None:
        c.fail(f"登记表中没有第 {seq} 个载体的数字摘要")
        return
    entries = {p[len(prefix):]: h for p, h in manifest.items() if p.startswith(prefix)}
    sealed_paths = [p for p in entries if sealed(p)]
    for alg, want in sorted(row.digests.items()):
        have = seal_digest({p: h.get(alg, "") for p, h in entries.items()}, alg)
        if have != want:
            c.fail(f"登记表所载第 {seq} 个载体的 {DIGEST_LABELS[alg]} 电子档案数字摘要 {want[:16]}… 与数据包不符"
                   f"（按清单计算为 {have[:16]}…）：数据包在填表后被改动")
    if row.records != report.facts.get("件数"):
        c.fail(f"登记表记载第 {seq} 个载体 {row.records} 件，数据包中有 {report.facts.get('件数')} 件")
    size = sum((croot / p).stat().st_size for p in sealed_paths if (croot / p).is_file())
    oxum = report.get("payload_oxum") if layout != OLD_BAG and not prefix else c
    if (row.files, row.size) != (len(sealed_paths), size):
        oxum.fail(f"登记表记载第 {seq} 个载体 {row.files} 个文件、{row.size} 字节，"
                  f"数据包中为 {len(sealed_paths)} 个文件、{size} 字节（不含 {OTHER_DIR}/{HANDOVER_DIR}/ 与清单）")
    if reg["卷数"] != 0:
        c.fail(f"登记表记载 {reg['卷数']} 卷，本数据包按件整理，应为 0 卷")
    if reg["载体总数"] == 1:
        if (reg["件数"], reg["字节"]) != (row.records, row.size):
            c.fail(f"登记表合计 {reg['件数']} 件、{reg['字节']} 字节，与载体信息 {row.records} 件、{row.size} 字节不一致")
    if reg["GB"] != register.gb(reg["字节"]):
        c.fail(f"登记表的移交数据量“{reg['GB']} GB”与其字节数 {reg['字节']}（{register.gb(reg['字节'])} GB）不符")


def _skip_oxum(report: Report, layout: str, why: str) -> None:
    c = report.get("payload_oxum")
    if layout != OLD_BAG and report.facts.get("结构", "").startswith("载体") and c.status == PASS:
        c.status = SKIP
        c.details.append(why)


def check_volume_set(root: Path, vols: list[Path], reports: list[Report], new_report) -> Report:
    """One report for the whole transfer: each carrier's findings under its name, plus the checks
    only the whole set can make."""
    out = new_report(str(root))
    out.add("完整性", "volumes", "分载体移交完整性检测（载体序号、移交批次、跨载体档号与件号）")
    said: dict[str, dict[str, list[str]]] = {}  # check → detail → the carriers that said it
    for vol, rep in zip(vols, reports):
        for c in rep.checks:
            target = out.get(c.key)
            target.name = c.name
            if c.status == FAIL:
                target.status = FAIL
            elif c.status == SKIP and target.status == PASS:
                target.status = SKIP
            for d in c.details:
                said.setdefault(c.key, {}).setdefault(d, []).append(vol.name)
    for key, details in said.items():
        for d, where in details.items():
            out.get(key).details.append(f"各载体：{d}" if len(where) == len(vols) > 1 else f"{'、'.join(where)}：{d}")
    v = out.get("volumes")
    seqs, batches, where = [], set(), {}
    for vol, rep in zip(vols, reports):
        attrs = rep.facts.get("文件目录属性", {})
        seqs.append(int(attrs.get("载体序号", "0") or 0) if str(attrs.get("载体序号", "")).isdigit() else 0)
        batches.add(attrs.get("移交批次", ""))
        totals = {int(attrs["载体总数"])} if str(attrs.get("载体总数", "")).isdigit() else set()
        if totals != {len(vols)}:
            v.fail(f"{vol.name}：文件目录记载载体总数 {attrs.get('载体总数', '（无）')}，实有 {len(vols)} 个载体")
        for code in rep.facts.get("档号", []):
            if code in where:
                v.fail(f"档号 {code} 同时出现在 {where[code]} 与 {vol.name}")
            where.setdefault(code, vol.name)
    if sorted(seqs) != list(range(1, len(vols) + 1)):
        v.fail(f"载体序号为 {sorted(seqs)}，应为 1 至 {len(vols)} 各一个")
    if len(batches) > 1:
        v.fail(f"各载体的移交批次不一致：{'、'.join(sorted(batches))}，不是同一次移交")
    for vol, rep in zip(vols, reports):
        for code, why in rep.facts.get("缺号说明", {}).items():
            if why.startswith("在本次移交的第") and code not in where:
                v.fail(f"{vol.name} 说明 {code} {why.split('（')[0]}，但各载体中都没有该件")
    registers = [rep.facts.get("登记表") for rep in reports]
    if all(registers):
        total_records = sum(len(rep.facts.get("档号", [])) for rep in reports)
        for vol, reg in zip(vols, registers):
            if reg["件数"] != total_records:
                v.fail(f"{vol.name} 的登记表合计 {reg['件数']} 件，各载体实有 {total_records} 件")
    n = sum(len(rep.facts.get("档号", [])) for rep in reports)
    out.facts.update({"结构": f"{len(vols)} 个载体（{reports[0].facts.get('结构', '')}）", "件数": n,
                      "全宗号": reports[0].facts.get("全宗号", ""), "全宗名称": reports[0].facts.get("全宗名称", ""),
                      "载荷文件数": sum(r.facts.get("载荷文件数", 0) for r in reports),
                      "数据量字节": sum(r.facts.get("数据量字节", 0) for r in reports),
                      "摘要算法": reports[0].facts.get("摘要算法", []),
                      "载体": [f"{vol.name}：{'通过' if rep.ok else '不通过'}" for vol, rep in zip(vols, reports)]})
    out.checks.sort(key=lambda c: PROPERTIES.index(c.prop))
    return out


__all__ = ["check_register", "check_volume_set", "hash_all", "fixity_threads", "DATA"]
