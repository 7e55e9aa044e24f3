"""What is inside a record's files: the format it claims, and no encryption (DA/T 70 3-3, 3-8),
plus the virus scan (4-2) when the machine has a scanner. Read-only; results go into the report."""

from __future__ import annotations

import codecs
import shutil
import subprocess
import zipfile
from pathlib import Path

from archive.transfer.package import SKIP, Report

_MAGIC = {"pdf": (b"%PDF-",), "docx": (b"PK\x03\x04",), "ofd": (b"PK\x03\x04",)}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted Office file is an OLE container, not a zip


def check_content_file(report: Report, path: Path, ext: str, rel: str) -> None:
    fmt, enc = report.get("formats"), report.get("no_encryption")
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(_OLE) and ext in ("docx", "ofd"):
        enc.fail(f"{rel}：是加密的 Office 文档（或伪装成 .{ext} 的旧格式文件）")
        return
    magic = _MAGIC.get(ext)
    if magic and not head.startswith(magic):
        fmt.fail(f"{rel}：内容不是 .{ext} 格式（文件头不符）")
        return
    if ext == "pdf":
        if _contains(path, b"/Encrypt"):
            enc.fail(f"{rel}：PDF 已加密（含 /Encrypt）")
    elif ext in ("docx", "ofd"):
        try:
            with zipfile.ZipFile(path) as z:
                infos = z.infolist()
        except zipfile.BadZipFile:
            fmt.fail(f"{rel}：.{ext} 文件已损坏，无法打开")
            return
        if any(i.flag_bits & 1 for i in infos):
            enc.fail(f"{rel}：.{ext} 内部文件已加密")
        names = {i.filename for i in infos}
        if ext == "docx" and "[Content_Types].xml" not in names:
            fmt.fail(f"{rel}：不是有效的 .docx（缺少 [Content_Types].xml）")
        if ext == "ofd" and "OFD.xml" not in names:
            fmt.fail(f"{rel}：不是有效的 .ofd（缺少 OFD.xml）")
    elif ext == "txt":
        if _contains(path, b"\x00"):
            fmt.fail(f"{rel}：不是纯文本文件")
        elif not any(_decodes(path, enc_name) for enc_name in ("utf-8", "gb18030")):
            fmt.fail(f"{rel}：文本编码既不是 UTF-8 也不是 GB18030")


# A file in a package may be gigabytes (up to [limits] package_max_entry_mb): read in blocks, never whole.
_BLOCK = 1 << 20


def _contains(path: Path, needle: bytes) -> bool:
    tail = b""
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            if needle in tail + block:
                return True
            tail = block[-(len(needle) - 1):] if len(needle) > 1 else b""
    return False


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as f:
            while block := f.read(_BLOCK):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def virus_scan(report: Report, root: Path) -> None:
    c = report.get("virus")
    scanner = shutil.which("clamscan")
    if not scanner:
        c.status = SKIP
        c.details.append("本机未安装 ClamAV（clamscan），未做病毒检测；请用单位的杀毒软件扫描数据包")
        return
    run = subprocess.run([scanner, "-r", "--no-summary", "--infected", str(root)], capture_output=True, text=True)
    if run.returncode == 1:
        for line in run.stdout.splitlines():
            c.fail(line.replace(str(root) + "/", ""))
    elif run.returncode != 0:
        c.status = SKIP
        c.details.append(f"clamscan 运行失败：{run.stderr.strip()[:200]}")
