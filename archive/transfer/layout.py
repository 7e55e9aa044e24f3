"""The shape of a transfer package (移交数据包) and the digests that seal it (DESIGN §9).

One place for the names inside the bag so that export, verify and import agree, and for the
SM3 digest (国密杂凑算法), which hashlib only has when OpenSSL provides it.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from archive.errors import WenshuError
from archive.fields import MAX_CHARS

DATA = "data"
RECORDS_DIR = "电子档案"
OTHER_DIR = "其他"
GAPS_XML = "缺号说明.xml"  # 其他/缺号说明.xml: why a 件号 in a series is not in the package
METADATA_XML = "元数据.xml"

# The carrier of 《电子档案移交与接收办法》 (档发〔2012〕7号): what a 档案馆 expects at the root.
README = "说明文件.TXT"
CATALOG_XML = "文件目录.XML"
CATALOG_XLSX = "归档文件目录.xlsx"  # in 其他/
CARRIER_ROOT = (README, CATALOG_XML, RECORDS_DIR, OTHER_DIR)
HANDOVER_DIR = "交接信息"  # 其他/交接信息/: the 登记表 and the 四性检测报告, written after the check
REGISTER_DOCX = "电子档案移交与接收登记表.docx"
REGISTER_XML = "电子档案移交与接收登记表.xml"
REPORT_TXT = "四性检测报告.txt"
CATALOG_XSD = "文件目录.xsd"
METADATA_XSD = "元数据.xsd"
RULES_TXT = "档号与命名规则.txt"
VOLUME_PREFIX = "载体"  # 载体1, 载体2 … when an export is split into volumes

# What wenshu before issue 18 wrote: a bag whose data/ held these names.
OLD_README = "说明文件.txt"
OLD_CATALOG_XML = "文件目录.xml"

CARRIER, BAG, OLD_BAG = "carrier", "bagit", "bagit-old"
LAYOUT_LABELS = {CARRIER: "载体结构（档发〔2012〕7号：说明文件.TXT、文件目录.XML、电子档案/、其他/）",
                 BAG: "BagIt 数据包（载体结构在 data/ 内）",
                 OLD_BAG: "BagIt 数据包（wenshu 旧版结构：data/文件目录.xml）"}


@dataclass(frozen=True)
class Names:
    """Where one layout keeps the carrier's files, relative to the carrier root (the package root,
    or data/ of a bag)."""

    readme: str
    catalog: str
    xlsx: str
    gaps: str


CARRIER_NAMES = Names(README, CATALOG_XML, f"{OTHER_DIR}/{CATALOG_XLSX}", f"{OTHER_DIR}/{GAPS_XML}")
OLD_NAMES = Names(OLD_README, OLD_CATALOG_XML, CATALOG_XLSX, f"{OTHER_DIR}/{GAPS_XML}")

ALLOWED_FORMATS = ("docx", "pdf", "ofd", "txt")  # content formats a receiver accepts (DA/T 70 3-3)
DIGESTS = ("sha256", "sm3")
DIGEST_LABELS = {"sha256": "SHA-256", "sm3": "SM3"}
RECORD_COUNT_TAG = "Record-Count"  # bag-info.txt: number of 件, checked against the catalog

# Longest value, in characters, of a metadata element that a receiver's 数据长度检测 (DA/T 70) accepts;
# wenshu verify checks them, and editing can refuse a longer value before it is ever exported.
# The lengths a package's 元数据 may carry: the same maxima the Record enforces when a value is set
# (archive/fields.py), so what wenshu accepts the receiver's verify accepts.
MAX_TITLE_CHARS = MAX_CHARS["title"]  # 题名
MAX_AUTHOR_CHARS = MAX_CHARS["author"]  # 责任者
MAX_DOC_NUMBER_CHARS = MAX_CHARS["doc_number"]  # 文号 (文件编号)
MAX_DOC_TYPE_CHARS = MAX_CHARS["doc_type"]  # 文种
METADATA_MAX_CHARS = {"题名": MAX_TITLE_CHARS, "责任者": MAX_AUTHOR_CHARS, "文号": MAX_DOC_NUMBER_CHARS,
                      "文种": MAX_DOC_TYPE_CHARS}

# Characters a package's metadata never carries: those XML 1.0 forbids (C0 controls but tab, CR, LF;
# U+FFFE/FFFF; lone surrogates), DEL and the C1 controls, invisible and bidirectional controls
# (a right-to-left override makes "gpj.exe" look like "exe.jpg"), BOM, U+FFFD. verify reports them
# (元数据项数据包含特殊字符检测); the writers drop them, so an old record.json that still holds
# some cannot stop an export.
UNSAFE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2028\u2029"
                          "\u2066-\u2069\ufeff\ufffd\ufffe\uffff\ud800-\udfff]")


def xml_text(value) -> str:
    """``value`` as text that any XML 1.0 writer (lxml, openpyxl) accepts and verify passes."""
    return UNSAFE_CHARS.sub("", str(value))


CONTROL_CHARS = re.compile("[\x00-\x1f\x7f-\x9f]")


def unsafe_name(name: str) -> str:
    """Why ``name`` (a file name read from a package) is not a plain name inside its record folder,
    or "" when it is one. A package comes from elsewhere: its 元数据.xml may say
    ``../../../../srv/共享/victim.txt``, and joining that to the record folder would reach out."""
    if not name or name.strip() in (".", ".."):
        return "文件名为空或是 . / .."
    if "/" in name or "\\" in name:
        return "含路径分隔符（/ 或 \\）"
    if ".." in PurePosixPath(name).parts:
        return "含 .."
    if re.match(r"[A-Za-z]:", name) or ":" in name:
        return "含盘符或冒号（:）"
    if CONTROL_CHARS.search(name) or UNSAFE_CHARS.search(name):
        return "含控制字符或不可见字符"
    return ""


def inside(base: Path, path: Path) -> bool:
    """``path`` resolves (following any link) to a place inside ``base``."""
    try:
        return Path(path).resolve().is_relative_to(Path(base).resolve())
    except (OSError, RuntimeError):
        return False


_RAM_FS = {"tmpfs", "ramfs"}


def _on_ram(path: Path) -> bool:
    """``path`` lies on a RAM-backed file system (/dev/shm, a tmpfs /tmp): a package unpacked there
    would take memory, not disk."""
    try:
        mounts = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return False
    best, fstype = "", ""
    path = Path(path).resolve()
    while not path.exists() and path != path.parent:
        path = path.parent  # a folder still to be made lies on its nearest existing ancestor's disk
    target = str(path)
    for line in mounts:
        parts = line.split()
        if len(parts) >= 3:
            point = parts[1].replace("\\040", " ")
            if (target == point or target.startswith(point.rstrip("/") + "/")) and len(point) >= len(best):
                best, fstype = point, parts[2]
    return fstype in _RAM_FS


def unpack_dir(preferred: list[Path]) -> Path:
    """Where a received package is unpacked: the first of ``preferred`` (the archive's own disk, the
    package's folder) that is writable and on disk, not in RAM; then the system temp dir, then here."""
    for cand in [*preferred, Path(tempfile.gettempdir()), Path.cwd()]:
        cand = Path(cand)
        if _on_ram(cand):
            continue
        try:
            cand.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(cand, os.W_OK):
            return cand
    return Path(tempfile.gettempdir())


def parse_xml(data: bytes, source: str, root_tag: str | None = None):
    """The root element of one of the package's XML files, read without entities or network
    access (a package comes from elsewhere); WenshuError naming the file if it is not XML or,
    with ``root_tag``, not that document."""
    from lxml import etree  # only where an XML file is read

    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as e:
        raise WenshuError(f"{source} 不是格式正确的 XML：{e}") from None
    if root_tag and root.tag != root_tag:
        raise WenshuError(f"{source} 的根元素应为 <{root_tag}>，现在是 <{root.tag}>。")
    return root


def scratch_base(need_bytes: int) -> str | None:
    """Where to unpack or stage a package: RAM (/dev/shm) when it has room to spare, because
    creating thousands of small files is what costs time on a busy disk; else the system temp dir."""
    shm = "/dev/shm"
    try:
        st = os.statvfs(shm)
    except (OSError, AttributeError):
        return None
    free = st.f_bavail * st.f_frsize
    return shm if os.access(shm, os.W_OK) and free > 2 * need_bytes + (256 << 20) else None


def nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name)


class _Sm3Fallback:
    """SM3 over gmssl's compression function, fed block by block so big files need no big memory."""

    name = "sm3"

    def __init__(self):
        from gmssl import sm3  # noqa: F401  (imported here: only needed without OpenSSL SM3)

        self._sm3 = sm3
        self._v = list(sm3.IV)
        self._buf = b""
        self._len = 0

    def update(self, data: bytes) -> None:
        self._len += len(data)
        buf = self._buf + bytes(data)
        cut = len(buf) - len(buf) % 64
        for i in range(0, cut, 64):
            self._v = self._sm3.sm3_cf(self._v, buf[i:i + 64])
        self._buf = buf[cut:]

    def hexdigest(self) -> str:
        tail = self._buf + b"\x80"
        tail += b"\x00" * ((56 - len(tail)) % 64)
        tail += (self._len * 8).to_bytes(8, "big")
        v = list(self._v)
        for i in range(0, len(tail), 64):
            v = self._sm3.sm3_cf(v, tail[i:i + 64])
        return "".join(f"{x:08x}" for x in v)


def hashlib_has(alg: str) -> bool:
    try:
        hashlib.new(alg)
        return True
    except ValueError:
        return False


def new_hasher(alg: str, force_fallback: bool = False):
    if alg == "sm3" and (force_fallback or not hashlib_has("sm3")):
        try:
            return _Sm3Fallback()
        except ImportError:
            from archive.errors import WenshuError

            raise WenshuError("本机的 OpenSSL 不提供 SM3，也未安装 gmssl：请运行 pip install gmssl，"
                              "或改用 --digest sha256。") from None
    return hashlib.new(alg)


def file_digests(path: Path, algs: tuple[str, ...] | list[str], chunk: int = 1 << 20) -> dict[str, str]:
    hashers = {a: new_hasher(a) for a in algs}
    with open(path, "rb") as f:
        while block := f.read(chunk):
            for h in hashers.values():
                h.update(block)
    return {a: h.hexdigest() for a, h in hashers.items()}
