"""Opening a received package and the shape of a 四性检测 report (DA/T 70-2018).

A zip is unpacked into a temporary folder (checking CRCs, refusing encrypted entries and
paths that climb out), so that verify and import both look at exactly the bytes they
verified. A package that cannot even be opened yields a report that says why, instead of
a traceback.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterator

from archive.errors import WenshuError
from archive.limits import MB, Limits
from archive.transfer.names import (BAG, CARRIER, CATALOG_XML, DATA, OLD_BAG, OLD_CATALOG_XML, README, VOLUME_PREFIX, inside, nfc)
from archive.transfer.scratch import unpack_dir
from archive.transfer.xmlsafe import CONTROL_CHARS

PROPERTIES = ("真实性", "完整性", "可用性", "安全性")
PASS, FAIL, SKIP = "通过", "不通过", "未检测"
_MAX_TEXT_DETAILS = 20


@dataclass
class Check:
    prop: str  # one of PROPERTIES
    key: str  # stable English id for scripts
    name: str  # DA/T 70 item name, Chinese
    status: str = PASS
    details: list[str] = field(default_factory=list)

    def fail(self, detail: str) -> None:
        self.status = FAIL
        self.details.append(detail)

    def as_dict(self) -> dict:
        return {"性": self.prop, "检测项": self.name, "代码": self.key, "结果": self.status, "说明": self.details}


@dataclass
class Report:
    package: str
    checks: list[Check] = field(default_factory=list)
    facts: dict = field(default_factory=dict)

    def add(self, prop: str, key: str, name: str) -> Check:
        c = Check(prop, key, name)
        self.checks.append(c)
        return c

    def get(self, key: str) -> Check:
        return next(c for c in self.checks if c.key == key)

    @property
    def ok(self) -> bool:
        return all(c.status != FAIL for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == FAIL]

    def as_dict(self) -> dict:
        return {"数据包": self.package, "结论": PASS if self.ok else FAIL, "概况": self.facts,
                "检测项": {p: [c.as_dict() for c in self.checks if c.prop == p] for p in PROPERTIES}}

    def text(self) -> str:
        f = self.facts
        lines = ["电子档案四性检测报告（DA/T 70-2018）", f"数据包：{self.package}"]
        if f.get("结构"):
            lines.append(f"结构：{f['结构']}")
        if f:
            lines.append(f"全宗：{f.get('全宗号', '')} {f.get('全宗名称', '')}　件数：{f.get('件数', '')}　"
                         f"载荷文件数：{f.get('载荷文件数', '')}　数据量：{f.get('数据量字节', '')} 字节　"
                         f"摘要算法：{'、'.join(f.get('摘要算法', []))}")
        n_fail = len(self.failed)
        lines.append(f"结论：{PASS}" if self.ok else f"结论：{FAIL}（{n_fail} 项不通过）")
        for i, prop in enumerate(PROPERTIES):
            lines += ["", f"{'一二三四'[i]}、{prop}"]
            for c in (c for c in self.checks if c.prop == prop):
                lines.append(f"  [{c.status}] {c.name}")
                for d in c.details[:_MAX_TEXT_DETAILS]:
                    lines.append(f"      - {d}")
                if len(c.details) > _MAX_TEXT_DETAILS:
                    lines.append(f"      … 另有 {len(c.details) - _MAX_TEXT_DETAILS} 条，见 --json 或 --report")
        return "\n".join(lines) + "\n"


@dataclass
class OpenedPackage:
    source: Path
    bag: Path | None  # the folder holding the package (carrier root or bag), None when it could not be opened
    zip_problems: list[str]  # encrypted entries, non-public compression, unsafe names
    error: str = ""  # why the package could not be opened at all
    is_zip: bool = True
    layout: str = ""  # CARRIER, BAG or OLD_BAG (layout.LAYOUT_LABELS)


def _entry_name(info: zipfile.ZipInfo) -> str:
    """A name without the UTF-8 flag was decoded as cp437 by zipfile; zips made on a Chinese
    Windows hold GBK there, so recover UTF-8 or GB18030 rather than show mojibake."""
    name = info.filename
    if not info.flag_bits & 0x800 and not name.isascii():
        raw = name.encode("cp437", errors="replace")
        for enc in ("utf-8", "gb18030"):
            try:
                name = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
    return nfc(name)


def _unsafe(name: str) -> bool:
    p = PurePosixPath(name)
    return name.startswith("/") or "\\" in name or ".." in p.parts or (len(name) > 1 and name[1] == ":")


class _LimitExceeded(Exception):
    """A package bigger than wenshu.toml [limits] allows: unpacking stops at once."""


_RATIO_FLOOR = 1 << 20  # the ratio counts only past 1 MiB: a small XML file may well compress 300:1


def _limit_message(key: str, limit, found: str, limits: Limits) -> str:
    return (f"{found}，超过上限 {limit}（wenshu.toml [limits] {key}：{Limits.LABELS[key]}），已停止解压。"
            "这可能是“压缩炸弹”；如确属正常的大数据包，请调高该上限后重试。")


def _copy_limited(src, out, info: zipfile.ZipInfo, name: str, limits: Limits, total: list[int]) -> None:
    """Stream one entry with a running byte count — the sizes in the zip's headers are the
    sender's word, so what counts is what the decompressor actually yields. (zipfile also stops an
    entry at its declared size and then fails its CRC, so the declared checks in _extract bound the
    ratio; this count holds the size limits whatever the headers say.)"""
    per_entry = limits.package_max_entry_mb * MB
    overall = limits.package_max_mb * MB
    written = 0
    while block := src.read(1 << 20):
        written += len(block)
        total[0] += len(block)
        compressed = max(info.compress_size, 1)
        if written > per_entry:
            raise _LimitExceeded(_limit_message("package_max_entry_mb", f"{limits.package_max_entry_mb} MB",
                                                f"压缩包内 {name} 解压后超过 {limits.package_max_entry_mb} MB", limits))
        if written > _RATIO_FLOOR and written / compressed > limits.package_max_ratio:
            raise _LimitExceeded(_limit_message("package_max_ratio", limits.package_max_ratio,
                                                f"压缩包内 {name} 的压缩比超过 {limits.package_max_ratio}:1"
                                                f"（{compressed} 字节解压出 {written} 字节以上）", limits))
        if total[0] > overall:
            raise _LimitExceeded(_limit_message("package_max_mb", f"{limits.package_max_mb} MB",
                                                f"数据包解压后的总大小超过 {limits.package_max_mb} MB", limits))
        out.write(block)


def _extract(zf: zipfile.ZipFile, dest: Path, problems: list[str], limits: Limits) -> str:
    infos = zf.infolist()
    if len(infos) > limits.package_max_entries:
        raise _LimitExceeded(_limit_message("package_max_entries", limits.package_max_entries,
                                            f"数据包内有 {len(infos)} 个条目", limits))
    for info in infos:  # the declared sizes first: a bomb that admits its size stops before any byte
        if info.file_size > _RATIO_FLOOR and info.file_size / max(info.compress_size, 1) > limits.package_max_ratio:
            raise _LimitExceeded(_limit_message("package_max_ratio", limits.package_max_ratio,
                                                f"压缩包内 {_entry_name(info)} 登记的压缩比超过 {limits.package_max_ratio}:1"
                                                f"（{info.compress_size} 字节登记为解压后 {info.file_size} 字节）", limits))
        if info.file_size > limits.package_max_entry_mb * MB:
            raise _LimitExceeded(_limit_message("package_max_entry_mb", f"{limits.package_max_entry_mb} MB",
                                                f"压缩包内 {_entry_name(info)} 登记的大小为 {info.file_size} 字节",
                                                limits))
    if sum(i.file_size for i in infos) > limits.package_max_mb * MB:
        raise _LimitExceeded(_limit_message("package_max_mb", f"{limits.package_max_mb} MB",
                                            f"数据包登记的解压总大小为 {sum(i.file_size for i in infos)} 字节", limits))
    seen: set[str] = set()
    total = [0]
    for info in infos:
        name = _entry_name(info)
        if info.flag_bits & 0x1:
            problems.append(f"压缩包内 {name} 已加密（移交数据包不得加密）")
            continue
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            problems.append(f"压缩包内 {name} 使用了非通用压缩算法（方法 {info.compress_type}），只允许存储或 Deflate")
            continue
        if _unsafe(name) or CONTROL_CHARS.search(name):
            problems.append(f"压缩包内的路径 {name!r} 不安全（绝对路径、含 .. 或控制字符），已拒绝解压")
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            problems.append(f"压缩包内 {name} 是符号链接，已拒绝解压")
            continue
        key = name.rstrip("/")
        if key in seen:
            # zipfile would silently let the last one win: which copy was verified, which imported?
            problems.append(f"压缩包内 {key} 出现了不止一次（重名条目），无法确定哪一个是移交的文件")
            continue
        seen.add(key)
        target = dest / name
        if not inside(dest, target.parent if not info.is_dir() else target):
            problems.append(f"压缩包内的路径 {name} 指向解压目录之外，已拒绝解压")
            continue
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir():
            problems.append(f"压缩包内 {key} 既是文件又是目录（重名条目）")
            continue
        try:
            with zf.open(info) as src, open(target, "wb") as out:
                _copy_limited(src, out, info, name, limits, total)
        except (zipfile.BadZipFile, zlib.error, EOFError) as e:
            return f"压缩包内 {name} 已损坏，无法完整解压（{e}）；数据包可能在传输中被截断或改动。"
    return ""


def _unsafe_entries(root: Path) -> list[str]:
    """An unzipped package (a folder) is read as it lies: any link or special file in it is refused,
    since verify would otherwise hash, and import file, whatever the link points to."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for n in [*dirnames, *filenames]:
            p = Path(dirpath) / n
            rel = nfc(p.relative_to(root).as_posix())
            if p.is_symlink():
                out.append(f"数据包目录内 {rel} 是符号链接，不能作为档案文件")
            elif not (p.is_dir() or p.is_file()):
                out.append(f"数据包目录内 {rel} 不是普通文件（设备、管道或套接字）")
            elif p.is_file() and os.stat(p, follow_symlinks=False).st_nlink > 1:
                out.append(f"数据包目录内 {rel} 有多个硬链接，不能确定它属于数据包")
    return out


def _ends_with_directory(path: Path) -> bool:
    """The end-of-central-directory record must close the file. zipfile alone is fooled by a
    package cut short: it finds the directory of a stored .docx inside and reads that instead."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        f.seek(max(0, size - 65557))
        tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    return at >= 0 and at + 22 + int.from_bytes(tail[at + 20:at + 22], "little") == len(tail)


def find_root(root: Path) -> tuple[Path | None, str]:
    """The folder holding the package and its layout: a carrier (文件目录.XML at its root), a bag
    wrapping a carrier (data/文件目录.XML), or a bag written by wenshu before issue 18
    (data/文件目录.xml) — at ``root`` or in its only subfolder (a zip made of a folder)."""
    def layout(p: Path) -> str | None:
        if (p / "bagit.txt").is_file():
            return OLD_BAG if (p / DATA / OLD_CATALOG_XML).is_file() and not (p / DATA / CATALOG_XML).is_file() else BAG
        if (p / CATALOG_XML).is_file() or (p / README).is_file():
            return CARRIER
        return None

    found = layout(root)
    if found:
        return root, found
    subs = [p for p in root.iterdir() if p.is_dir() and not p.is_symlink()]
    if len(subs) == 1 and layout(subs[0]):
        return subs[0], layout(subs[0])
    return None, ""


def volume_folders(root: Path) -> list[Path]:
    """The carriers of an export split into volumes (载体1 … 载体n), or [] when ``root`` is not such a set."""
    if not root.is_dir() or find_root(root)[1] == CARRIER or (root / "bagit.txt").exists():
        return []
    vols = [p for p in root.iterdir() if p.is_dir() and re.fullmatch(rf"{VOLUME_PREFIX}\d+", p.name)]
    if not vols or not all((p / CATALOG_XML).is_file() for p in vols):
        return []
    return sorted(vols, key=lambda p: int(p.name[len(VOLUME_PREFIX):]))


_NOT_A_PACKAGE = "既没有 文件目录.XML（载体结构）也没有 bagit.txt（BagIt），不是移交数据包。"


@contextmanager
def open_package(path: Path, limits: Limits | None = None, unpack_to: list[Path] | None = None
                 ) -> Iterator[OpenedPackage]:
    """Yield the package unpacked in a temp folder (or the folder itself for an unzipped bag).

    ``limits`` bound the unpacking (``Limits()`` outside an archive); the temp folder goes in the
    first usable of ``unpack_to`` (the receiving archive's own disk), else beside the package —
    never in RAM (/dev/shm, tmpfs), where a big package would take the machine's memory."""
    path = Path(path)
    limits = limits or Limits()
    if not path.exists():
        raise WenshuError(f"找不到数据包 {path}。")
    if path.is_dir():
        bag, layout = find_root(path)
        problems = _unsafe_entries(path)
        error = "" if bag else f"{path} 中{_NOT_A_PACKAGE}"
        if problems and not error:  # reading on would follow the link (a FIFO would even hang the check)
            error = f"{path} 中有符号链接或特殊文件，其他项目未检测（见“数据包安全性检测”）。"
        yield OpenedPackage(path, bag if not error else None, problems, error, False, layout)
        return
    tmp = None
    try:
        problems: list[str] = []
        try:
            if not _ends_with_directory(path):
                raise zipfile.BadZipFile("文件末尾没有 zip 中央目录")
            with zipfile.ZipFile(path) as zf:
                base = unpack_dir([*(unpack_to or []), path.absolute().parent])
                tmp = Path(tempfile.mkdtemp(prefix=".wenshu-unpack-", dir=base))
                error = _extract(zf, tmp, problems, limits)
        except _LimitExceeded as e:
            problems.append(str(e))
            error = f"{path.name} 超出解压上限，已停止解压，其他项目未检测（原因见“数据包安全性检测”）。"
        except (zipfile.BadZipFile, EOFError, zlib.error) as e:
            error = (f"{path.name} 不是完整的 zip 文件（{e}）：数据包可能在传输或拷贝中被截断、损坏，"
                     "请向移交单位索取完整的数据包。")
        except OSError as e:
            raise WenshuError(f"解压数据包 {path.name} 时出错：{e}（临时目录空间不足？）。") from None
        bag, layout = None, ""
        if not error and tmp is not None:
            bag, layout = find_root(tmp)
            if bag is None:
                error = f"{path.name} 中{_NOT_A_PACKAGE}"
        yield OpenedPackage(path, bag, problems, error, True, layout)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
