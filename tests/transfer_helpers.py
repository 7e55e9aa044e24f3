"""Builders for the transfer tests: real archives with real .docx/.pdf records, and zip surgery."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import docx
import pypdf

from archive.config import ArchiveConfig
from archive.filing import file_record, iter_records
from archive.store import Archive

SUBJECTS = ("校外培训机构专项检查", "课后服务工作", "住家家教排查", "双减督导整改", "暑期安全教育",
            "作业管理专项督查", "隐形变异培训治理", "学科类培训收费监管")


def config(fonds: str = "A001", name: str = "高平市教育局") -> ArchiveConfig:
    return ArchiveConfig.from_dict({
        "fonds": {"code": fonds, "name": name},
        "organ": {"name": name},
        "prefixes": [{"code": "高教字"}],
        "departments": {"BGS": "办公室", "JJK": "基础教育科"},
        "defaults": {"retention": "D30"},
    })


def make_docx(path: Path, text: str) -> Path:
    d = docx.Document()
    d.add_heading(text.split("\n")[0], level=1)
    for para in text.split("\n")[1:] or [text]:
        d.add_paragraph(para)
    d.save(path)
    return path


def make_pdf(path: Path, title: str, password: str | None = None) -> Path:
    w = pypdf.PdfWriter()
    w.add_blank_page(595, 842)
    w.add_metadata({"/Title": title})
    if password:
        w.encrypt(password)
    with open(path, "wb") as f:
        w.write(f)
    return path


def add_records(archive: Archive, work: Path, n: int, *, prefix: str = "高教字", year: int = 2022,
                author: str = "高平市教育局", org: str = "BGS", classified: tuple[int, ...] = (),
                case_every: int = 0, pdf: bool = True) -> list:
    """File ``n`` records through file_record (the way wenshu itself files them)."""
    work.mkdir(parents=True, exist_ok=True)
    records = []
    for i in range(1, n + 1):
        subject = SUBJECTS[i % len(SUBJECTS)]
        title = f"关于开展{subject}的通知（{author}第{i}号）"
        number = f"{prefix}〔{year}〕{i}号"
        src = work / f"{number}.docx"
        make_docx(src, f"{title}\n{author}决定开展{subject}。请各校认真落实“双减”要求。编号{author}-{i}。")
        files = [(src, "正本")]
        if pdf:
            files.append((make_pdf(work / f"{number}.pdf", f"{author}-{title}"), "版式文件"))
        fields = {"title": title, "author": author, "date": f"{year}-03-{(i % 27) + 1:02d}", "doc_number": number,
                  "doc_type": "通知", "recipients": ["各中小学", "各幼儿园"], "cc": ["市教育局"],
                  "keywords": ["双减", subject], "extra": {"承办人": "王芳", "备注": f"第{i}件"},
                  "classification": "秘密" if i in classified else ""}
        if case_every and i % case_every == 0:
            fields["case"] = "督2022-01"
        records.append(file_record(archive, files, fields, org=org))
    shutil.rmtree(work)
    return records


def by_code(archive: Archive) -> dict:
    return {str(r.archival_code): (folder, r) for folder, r in iter_records(archive)}


def rewrite_zip(src: Path, dst: Path, *, drop: set[str] = frozenset(), replace: dict[str, bytes] | None = None,
                add: dict[str, bytes] | None = None) -> Path:
    """Copy a zip entry by entry, leaving out, replacing or adding entries (a tamperer's tools)."""
    replace, add = replace or {}, add or {}
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zi.infolist():
            if info.filename in drop:
                continue
            zo.writestr(info.filename, replace.get(info.filename, zi.read(info.filename)))
        for name, data in add.items():
            zo.writestr(name, data)
    return dst


def read_entry(pkg: Path, name: str) -> bytes:
    with zipfile.ZipFile(pkg) as z:
        return z.read(name)


def entry_names(pkg: Path) -> list[str]:
    with zipfile.ZipFile(pkg) as z:
        return z.namelist()


def rebag(pkg: Path, dst: Path, edit) -> Path:
    """Unpack, let ``edit(work)`` tamper with the package, regenerate every manifest (a careful forger
    who knows BagIt, or sha256sum for a carrier's 其他/manifest-sha256.txt), zip again."""
    import bagit

    work = dst.parent / (dst.stem + "-work")
    with zipfile.ZipFile(pkg) as z:
        z.extractall(work)
    edit(work)
    if (work / "bagit.txt").exists():
        for extra in ("manifest-sm3.txt", "tagmanifest-sm3.txt"):
            (work / extra).unlink(missing_ok=True)
        bagit.Bag(str(work)).save(manifests=True)
    else:
        reseal_carrier(work)
    with zipfile.ZipFile(dst, "w") as z:
        for p in sorted(work.rglob("*")):
            if p.is_file():
                z.write(p, p.relative_to(work).as_posix())
    shutil.rmtree(work)
    return dst


def reseal_carrier(root: Path) -> None:
    """What a forger with sha256sum does after editing a carrier: 其他/manifest-sha256.txt made anew
    over every file (the SM3 manifest dropped). The 登记表's digest is left as it was."""
    import hashlib

    (root / "其他" / "manifest-sm3.txt").unlink(missing_ok=True)
    lines = []
    for p in sorted(root.rglob("*"), key=lambda p: p.relative_to(root).as_posix()):
        rel = p.relative_to(root).as_posix()
        if p.is_file() and rel != "其他/manifest-sha256.txt":
            lines.append(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {rel}\n")
    (root / "其他" / "manifest-sha256.txt").write_text("".join(lines), encoding="utf-8")


def raw_zip(entries: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip written byte by byte: (name, data as stored, method 0/8, crc32, declared uncompressed
    size) — so a test can declare sizes that the data does not have, as a bomb-maker does."""
    import struct

    out, central = bytearray(), bytearray()
    for name, data, method, crc, size in entries:
        raw, offset = name.encode("utf-8"), len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, method, 0, 0x21, crc, len(data), size, len(raw), 0)
        out += raw + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, method, 0, 0x21, crc, len(data),
                               size, len(raw), 0, 0, 0, 0, 0o644 << 16, offset)
        central += raw
    start = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), start, 0)
    return bytes(out)


def zip_entries(pkg: Path) -> list[tuple[str, bytes, int, int, int]]:
    """A package's entries in raw_zip form (stored), to rebuild it with extra hostile entries."""
    import zlib

    with zipfile.ZipFile(pkg) as z:
        out = []
        for i in z.infolist():
            data = z.read(i)
            out.append((i.filename, data, 0, zlib.crc32(data), len(data)))
        return out


def zero_bomb(size: int) -> tuple[bytes, int]:
    """Deflate data that inflates to ``size`` zero bytes (a multiple of 1 MiB) and its CRC, made in a
    fraction of the time compressing that much would take: with a full flush after every MiB, each
    MiB compresses to the same bytes."""
    import zlib

    mib = bytes(1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(mib) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(mib) + c.flush(zlib.Z_FULL_FLUSH)
    n = size >> 20
    data = first + again * (n - 1) + c.flush()
    crc = 0
    for _ in range(n):
        crc = zlib.crc32(mib, crc)
    return data, crc
