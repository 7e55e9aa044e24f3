"""OFD (GB/T 33190, 版式文档), the national fixed-layout format more and more 公文 arrive in.

An OFD file is a ZIP: ``OFD.xml`` (DocBody → DocInfo with Title/Author/CreationDate, DocRoot) →
``Doc_0/Document.xml`` (pages, templates, resources) → ``Pages/Page_0/Content.xml`` (TextObject
with TextCode runs whose glyphs are placed by X/Y and DeltaX/DeltaY). It is recognised by that
structure, not by its name: a clerk's ``通知.zip`` or a mail gateway's ``attachment.bin`` that
holds an OFD.xml is an OFD.

The text is read with ofdkit (PyPI, pure Python, no dependencies, stdlib XML with DTDs refused)
when it is installed: it orders text by position on the page, resolves templates and composite
objects, and is maintained against real producers' files (Suwell, Foxit, e-invoices). Its part
size limit is set to this archive's ``limits.max_part_mb``. Without ofdkit the parts are parsed
here, through archive.extract's capped streaming reader, in content order.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path, PurePosixPath

from archive.errors import WenshuError
from archive.extract import Text, _text, active_limits, etree
from archive.ooxml import parse_part
from archive.limits import Limits


def ofd_entry(z: zipfile.ZipFile) -> str | None:
    """The name of the package's OFD.xml (case as stored), None when it has none."""
    for name in z.namelist():
        if name.lstrip("/").lower() == "ofd.xml":
            return name
    return None


def is_ofd(path: Path) -> bool:
    """True for a ZIP holding OFD.xml at its root, whatever the file is called."""
    try:
        with open(path, "rb") as f:
            if f.read(4) != b"PK\x03\x04":
                return False
        with zipfile.ZipFile(path) as z:
            return ofd_entry(z) is not None
    except (OSError, zipfile.BadZipFile, EOFError, ValueError):
        return False


def _invalid(path: Path, e) -> WenshuError:
    return WenshuError(f"{Path(path).name} 不是有效的 OFD 文件（已损坏或格式不对：{e}）。")


def ofd_text(path: Path, limits: Limits | None = None) -> Text:
    limits = active_limits(limits)
    path = Path(path)
    try:
        import ofdkit
        import ofdkit.package
    except ImportError:
        return _own_text(path, limits)
    ofdkit.package.MAX_PART_SIZE = limits.max_part_bytes  # this archive's limit, not ofdkit's 64 MiB
    try:
        with ofdkit.open(str(path)) as doc:
            # one paragraph per line, as from every other reader (ofdkit separates blocks by blank lines)
            text = "\n".join(line for line in doc.text("\n").splitlines() if line.strip())
    except ofdkit.OFDLimitError:
        raise WenshuError(f"{path.name} 中有部件解压后超过文档内单个 XML 部件上限 limits.max_part_mb"
                          f"（{limits.max_part_mb} MB），可能是恶意构造的压缩文件（压缩炸弹），不予读取。") from None
    except (ofdkit.OFDError, zipfile.BadZipFile, OSError, EOFError, zlib.error, ValueError, RuntimeError) as e:
        raise _invalid(path, e) from None
    return _text(text, limits, path)


def doc_info(path: Path, limits: Limits | None = None) -> dict[str, str]:
    """OFD.xml's DocInfo: 题名, 责任者, 创建日期, 关键词 (those present)."""
    limits = active_limits(limits)
    try:
        with zipfile.ZipFile(path) as z:
            entry = ofd_entry(z)
            if entry is None:
                return {}
            root = parse_part(z, entry, Path(path), limits)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, zlib.error, WenshuError, etree.XMLSyntaxError):
        return {}
    info = next((e for e in root.iter() if _local(e.tag) == "DocInfo"), None)
    if info is None:
        return {}
    out = {}
    for tag, label in (("Title", "题名"), ("Author", "责任者"), ("CreationDate", "创建日期")):
        el = next((e for e in info if _local(e.tag) == tag), None)
        if el is not None and (el.text or "").strip():
            out[label] = el.text.strip()
    words = [e.text.strip() for e in info.iter() if _local(e.tag) == "Keyword" and (e.text or "").strip()]
    if words:
        out["关键词"] = "、".join(words)
    return out


def with_doc_info(path: Path, meta):
    """Fill what the body text did not give from DocInfo: the 题名 and 责任者 a producer stored.
    The body wins where it has a value — DocInfo Title is often just the file's name."""
    info = doc_info(path)
    if info.get("题名") and not meta.title:
        from archive.metadata import doc_type_of

        meta.title = info["题名"]
        meta.doc_type = meta.doc_type or doc_type_of(meta.title)
    if info.get("责任者") and not meta.author:
        meta.author = info["责任者"]
    return meta


# -- without ofdkit: the parts read here --------------------------------------------------------


def _own_text(path: Path, limits: Limits) -> Text:
    """OFD.xml → DocRoot (Document.xml) → pages → TextObject/TextCode, in content order."""
    chars = 0
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())

            def load(name: str):
                return parse_part(z, name, path, limits)

            root = load(ofd_entry(z) or "OFD.xml")
            doc_roots = [e.text.strip().lstrip("/") for e in root.iter() if _local(e.tag) == "DocRoot" and e.text]
            lines: list[str] = []
            for doc_root in doc_roots:
                doc = load(doc_root)
                base = PurePosixPath(doc_root).parent
                for page in (e for e in doc.iter() if _local(e.tag) == "Page"):
                    loc = (page.get("BaseLoc") or "").lstrip("/")
                    name = loc if loc in names else str(base / loc)
                    if name not in names:
                        continue
                    for obj in (e for e in load(name).iter() if _local(e.tag) == "TextObject"):
                        text = "".join(c.text or "" for c in obj.iter() if _local(c.tag) == "TextCode").strip()
                        if text:
                            lines.append(text)
                            chars += len(text) + 1
                    if chars > limits.max_text_chars:
                        break
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, etree.XMLSyntaxError, zlib.error) as e:
        raise _invalid(path, e) from None
    return _text("\n".join(lines), limits, path)


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""
