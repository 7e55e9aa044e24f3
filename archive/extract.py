"""Plain text of a document file (正文提取), for reading a received document's metadata and for the index.

One function, ``extract_text``, for every format an office hands around: .docx (the body in
reading order — paragraphs, tables and text boxes, without headers and footers, whose page
numbers would only add noise), .pdf (the text layer, via pypdf), .txt/.md (UTF-8, else the
GB18030 that Chinese Windows still writes), .ofd (the national fixed-layout format: a ZIP of
XML pages, read directly), and .doc/.wps via LibreOffice when it is installed.

Anything unreadable — a broken ZIP, an empty file, an encrypted PDF, an unknown extension —
raises WenshuError naming the file, so callers never file or index a document they could not read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from lxml import etree

from archive.errors import WenshuError

TEXT_FORMATS = {"txt", "md"}
CONVERTED_FORMATS = {"doc", "wps", "rtf", "odt"}
SUPPORTED_FORMATS = {"docx", "pdf", "ofd"} | TEXT_FORMATS | CONVERTED_FORMATS

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_P, _T, _TAB, _BR, _CR = (f"{{{_W}}}{n}" for n in ("p", "t", "tab", "br", "cr"))
_TXBX = f"{{{_W}}}txbxContent"
_DEL = f"{{{_W}}}del"
_FALLBACK = f"{{{_MC}}}Fallback"
_TC, _TR = f"{{{_W}}}tc", f"{{{_W}}}tr"

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
_CONVERT_TIMEOUT = 120


def extract_text(path: Path) -> str:
    """The document's text, one paragraph per line."""
    path = Path(path)
    if not path.is_file():
        raise WenshuError(f"找不到文件 {path}。")
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in SUPPORTED_FORMATS:
        known = "、".join(sorted(SUPPORTED_FORMATS))
        raise WenshuError(f"不支持的文件类型“{path.suffix or '（无扩展名）'}”：{path.name}。可识别的类型：{known}。")
    if path.stat().st_size == 0:
        raise WenshuError(f"{path.name} 是空文件（0 字节），无法读取。")
    if fmt == "docx":
        return docx_text(path)
    if fmt == "pdf":
        return pdf_text(path)
    if fmt == "ofd":
        return ofd_text(path)
    if fmt in TEXT_FORMATS:
        return plain_text(path)
    return converted_text(path)


# -- .docx ----------------------------------------------------------------------------------


_STRICT_W = b"http://purl.oclc.org/ooxml/wordprocessingml/main"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _main_part(z: zipfile.ZipFile) -> str:
    """The main document part named by the package relationships (usually word/document.xml)."""
    try:
        rels = etree.fromstring(z.read("_rels/.rels"), _PARSER)
    except (KeyError, etree.XMLSyntaxError):
        return "word/document.xml"
    for rel in rels:
        if str(rel.get("Type", "")).endswith("/officeDocument"):
            return str(rel.get("Target", "")).lstrip("/") or "word/document.xml"
    return "word/document.xml"


def docx_text(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as z:
            xml = z.read(_main_part(z))
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, zipfile.LargeZipFile) as e:
        with open(path, "rb") as f:
            if f.read(8) == _OLE:  # Word saves a password-protected .docx as an encrypted compound file
                raise WenshuError(f"{path.name} 是加密的 Word 文档（需要密码才能打开），无法读取。"
                                  "请提供未加密的版本。") from None
        raise WenshuError(f"{path.name} 不是有效的 Word 文档（.docx 文件已损坏或格式不对：{e}）。") from None
    except RuntimeError as e:  # an encrypted ZIP member
        raise WenshuError(f"{path.name} 无法读取（{e}），可能是加密的文档。") from None
    # Strict OOXML (ISO 29500 strict) uses another namespace for the same elements.
    xml = xml.replace(_STRICT_W, _W.encode())
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError as e:
        raise WenshuError(f"{path.name} 的正文（word/document.xml）已损坏：{e}。") from None
    body = root.find(f"{{{_W}}}body")
    lines: list[str] = []
    if body is not None:
        _walk(body, lines)
    return "\n".join(lines)


def _walk(node, lines: list[str]) -> None:
    """Paragraphs in document order; a table row becomes one line with cells separated by tabs."""
    for child in node:
        tag = child.tag
        if tag == _P:
            _paragraph(child, lines)
        elif tag == _TR:
            cells = []
            for tc in child.iter(_TC):
                sub: list[str] = []
                _walk(tc, sub)
                cells.append(" ".join(s for s in sub if s))
            row = "\t".join(cells).strip()
            if row:
                lines.append(row)
        elif tag in (_FALLBACK, _DEL) or not isinstance(tag, str):
            continue  # VML duplicate of a text box; deleted text; comments/PIs
        else:
            _walk(child, lines)


def _paragraph(p, lines: list[str]) -> None:
    """A paragraph's own text; text boxes anchored in it come out as their own lines first."""
    parts: list[str] = []
    boxes: list[str] = []

    def visit(el):
        for c in el:
            tag = c.tag
            if not isinstance(tag, str) or tag in (_FALLBACK, _DEL):
                continue
            if tag == _TXBX:
                _walk(c, boxes)
            elif tag == _T:
                parts.append(c.text or "")
            elif tag == _TAB:
                parts.append("\t")
            elif tag in (_BR, _CR):
                parts.append("\n")
            else:
                visit(c)

    visit(p)
    lines.extend(boxes)
    text = "".join(parts).strip()
    if text:
        lines.append(text)


# -- .pdf -----------------------------------------------------------------------------------


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            # A PDF with only an owner password (printing/copying restricted) opens with "".
            try:
                ok = reader.decrypt("")
            except Exception:  # unsupported algorithm and the like
                ok = 0
            if not ok:
                raise WenshuError(f"{path.name} 是加密的 PDF（需要密码才能打开），无法读取。请提供未加密的版本。")
        pages = _layout_text(path)
        if pages is None:
            pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except WenshuError:
        raise
    except FileNotDecryptedError:
        raise WenshuError(f"{path.name} 是加密的 PDF（需要密码才能打开），无法读取。请提供未加密的版本。") from None
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError, IndexError) as e:
        raise WenshuError(f"{path.name} 不是有效的 PDF 文件（已损坏或格式不对：{e}）。") from None
    return "\n".join(p for p in pages if p)


def _layout_text(path: Path) -> list[str] | None:
    """Page texts in reading order by position (pdfplumber). pypdf emits text in content-stream
    order, which puts CJK quotes set in a Latin font (“ ”) away from their words; None when
    pdfplumber is missing or fails, so the caller falls back to pypdf."""
    try:
        import pdfplumber
    except ImportError:
        return None
    try:
        with pdfplumber.open(str(path)) as pdf:
            return [(page.extract_text() or "").strip() for page in pdf.pages]
    except Exception:  # pdfminer raises many types on odd files; pypdf gets the next try
        return None


def pdf_pages(path: Path) -> int:
    """Number of pages of a PDF (页数), 0 when it cannot be told."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            return 0
        return len(reader.pages)
    except Exception:
        return 0


# -- .txt / .md -----------------------------------------------------------------------------


def plain_text(path: Path) -> str:
    data = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break  # UTF-16 or binary masquerading as text
        return text.replace("\r\n", "\n").replace("\r", "\n")
    raise WenshuError(f"{path.name} 不是 UTF-8 或 GB18030 编码的文本文件，无法读取。请另存为 UTF-8 后重试。")


# -- .ofd (GB/T 33190) -----------------------------------------------------------------------


def ofd_text(path: Path) -> str:
    """OFD is a ZIP of XML: OFD.xml → DocRoot (Document.xml) → pages → TextObject/TextCode."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())

            def load(name: str):
                return etree.fromstring(z.read(name), _PARSER)

            root = load("OFD.xml")
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
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, etree.XMLSyntaxError) as e:
        raise WenshuError(f"{path.name} 不是有效的 OFD 文件（已损坏或格式不对：{e}）。") from None
    return "\n".join(lines)


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


# -- .doc / .wps via LibreOffice -------------------------------------------------------------


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


_MAGIC = {"doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"PK\x03\x04", b"{\\rtf"),
          "wps": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"PK\x03\x04"),
          "rtf": (b"{\\rtf",), "odt": (b"PK\x03\x04",)}


def converted_text(path: Path) -> str:
    fmt = path.suffix.lower().lstrip(".")
    with open(path, "rb") as f:
        head = f.read(8)
    if not head.startswith(_MAGIC.get(fmt, (b"",))):
        # LibreOffice would "open" anything as plain text; refuse what is not a Word/WPS file.
        raise WenshuError(f"{path.name} 不是有效的 .{fmt} 文件（文件头不对，可能已损坏或扩展名有误）。")
    exe = soffice()
    if not exe:
        raise WenshuError(
            f"无法读取 {path.name}：.{path.suffix.lower().lstrip('.')} 文件需要 LibreOffice 转换，但本机未安装 "
            "（请安装 LibreOffice，或将文件另存为 .docx 后重试）。"
        )
    with tempfile.TemporaryDirectory(prefix="wenshu-convert-") as tmp:
        tmp = Path(tmp)
        # Our own profile: a running LibreOffice (or another conversion) would otherwise block this one.
        profile = (tmp / "profile").as_uri()
        src = tmp / ("input" + path.suffix.lower())
        shutil.copyfile(path, src)
        cmd = [exe, f"-env:UserInstallation={profile}", "--headless", "--norestore",
               "--convert-to", "docx", "--outdir", str(tmp / "out"), str(src)]
        try:
            subprocess.run(cmd, capture_output=True, timeout=_CONVERT_TIMEOUT, check=False,
                           env={**os.environ, "HOME": str(tmp)})
        except subprocess.TimeoutExpired:
            raise WenshuError(f"用 LibreOffice 转换 {path.name} 超时（{_CONVERT_TIMEOUT} 秒），文件可能已损坏。") from None
        out = tmp / "out" / "input.docx"
        if not out.is_file() or out.stat().st_size == 0:
            raise WenshuError(f"LibreOffice 无法打开 {path.name}：文件可能已损坏，或不是 Word/WPS 文档。")
        return docx_text(out)
