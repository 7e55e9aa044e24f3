"""The names inside a transfer package (移交数据包, DESIGN §9) and the checks on names read from one,
in one place so that export, verify and import agree."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from archive.elements import MAX_CHARS
from archive.transfer.xmlsafe import CONTROL_CHARS, UNSAFE_CHARS

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


def nfc(name: str) -> str:
    return unicodedata.normalize("NFC", name)
