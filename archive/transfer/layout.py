"""The shape of a transfer package (移交数据包) and the digests that seal it (DESIGN §9).

One place for the names inside the bag so that export, verify and import agree, and for the
SM3 digest (国密杂凑算法), which hashlib only has when OpenSSL provides it.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from pathlib import Path

from archive.errors import WenshuError

DATA = "data"
README = "说明文件.txt"
CATALOG_XML = "文件目录.xml"
CATALOG_XLSX = "归档文件目录.xlsx"
RECORDS_DIR = "电子档案"
OTHER_DIR = "其他"
GAPS_XML = "缺号说明.xml"  # 其他/缺号说明.xml: why a 件号 in a series is not in the package
METADATA_XML = "元数据.xml"

ALLOWED_FORMATS = ("docx", "pdf", "ofd", "txt")  # content formats a receiver accepts (DA/T 70 3-3)
DIGESTS = ("sha256", "sm3")
DIGEST_LABELS = {"sha256": "SHA-256", "sm3": "SM3"}
RECORD_COUNT_TAG = "Record-Count"  # bag-info.txt: number of 件, checked against the catalog


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
