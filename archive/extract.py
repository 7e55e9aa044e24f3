"""Plain text of a document file (正文提取), for reading a received document's metadata and for the index.

One function, ``extract_text``, for every format an office hands around: .docx (the body in
reading order — paragraphs, tables and text boxes, without headers and footers, whose page
numbers would only add noise), .pdf (the text layer, via pypdf), .txt/.md (UTF-8, else the
GB18030 that Chinese Windows still writes), .ofd (the national fixed-layout format, archive.ofd,
recognised by its structure whatever its name), .doc/.wps via LibreOffice when it is installed,
and scans (.jpg .png .tif …), which have no text of their own until OCR (archive.ocr).

Anything unreadable — a broken ZIP, an empty file, an encrypted PDF, an unknown extension —
raises WenshuError naming the file, so callers never file or index a document they could not read.

Received files are untrusted (docs/security.md): a file over ``limits.max_file_mb`` is refused
(``check_size``), the XML parts of a .docx/.ofd are read as a stream with a byte counter
(``limits.max_part_mb``; the size a ZIP declares is never trusted) and without lxml's huge_tree, a
.txt is decoded as a stream, and the text stops at ``limits.max_text_chars`` — the returned
``Text`` then carries a ``note`` for the record's history. Control and bidi characters are taken
out (archive.cleaning) before the text reaches anyone.
"""

from __future__ import annotations

import codecs
import os
import shutil
import subprocess
import tempfile
import zipfile
import zlib
from pathlib import Path


class _LazyEtree:
    """lxml.etree imported on first use: every command sets this module's limits when it opens
    its archive (``use_limits``), and ``wenshu number`` should not pay for an XML parser."""

    def __getattr__(self, name):
        from lxml import etree as real

        return getattr(real, name)


etree = _LazyEtree()
from archive.cleaning import clean_text
from archive.errors import WenshuError
from archive.limits import MB, Limits
from archive.ooxml import Package

TEXT_FORMATS = {"txt", "md"}
CONVERTED_FORMATS = {"doc", "wps", "rtf", "odt"}
IMAGE_FORMATS = {"jpg", "jpeg", "png", "tif", "tiff"}  # scans, OCR'd by archive.ocr
SUPPORTED_FORMATS = {"docx", "pdf", "ofd"} | TEXT_FORMATS | CONVERTED_FORMATS | IMAGE_FORMATS

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_P, _T, _TAB, _BR, _CR = (f"{{{_W}}}{n}" for n in ("p", "t", "tab", "br", "cr"))
_TXBX = f"{{{_W}}}txbxContent"
_DEL = f"{{{_W}}}del"
_FALLBACK = f"{{{_MC}}}Fallback"
_TC, _TR = f"{{{_W}}}tc", f"{{{_W}}}tr"

_CONVERT_TIMEOUT = 120

_process_limits: Limits | None = None


def use_limits(limits: Limits | None) -> None:
    """The limits of the archive this process works for (set when a command opens its archive),
    used by every read that is not given its own."""
    global _process_limits
    _process_limits = limits


def active_limits(limits: Limits | None = None) -> Limits:
    return limits or _process_limits or Limits()


class Text(str):
    """Extracted text; ``note`` is non-empty when it was cut at ``limits.max_text_chars``."""

    note = ""

    def __reduce__(self):  # stored in the index as a plain str, not as this class
        return (str, (str(self),))


def _text(text: str, limits: Limits, path: Path, cut: bool = False) -> Text:
    text = clean_text(text, multiline=True)
    cap = limits.max_text_chars
    out = Text(text[:cap] if len(text) > cap else text)
    if cut or len(text) > cap:
        out.note = (f"{path.name} 的正文超过提取文字上限 limits.max_text_chars（{cap} 字），"
                    f"只读取并索引了前 {cap} 字")
    return out


def check_size(path: Path, limits: Limits | None = None) -> int:
    """The file's size; WenshuError when it is over ``limits.max_file_mb`` (a received file,
    one in the inbox, a file given to ``wenshu file``) — checked before anything reads it."""
    limits = active_limits(limits)
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise WenshuError(f"找不到文件 {path}。") from None
    if size > limits.max_file_bytes:
        raise WenshuError(f"{path.name} 大小为 {size / MB:.1f} MB，超过单个文件大小上限 limits.max_file_mb"
                          f"（{limits.max_file_mb} MB），不予读取和归档。如确需归档，请在 wenshu.toml 的 [limits] "
                          f"中调高 max_file_mb。")
    return size


def extract_text(path: Path, limits: Limits | None = None) -> Text:
    """The document's text, one paragraph per line, at most ``limits.max_text_chars`` characters."""
    path = Path(path)
    limits = active_limits(limits)
    if not path.is_file():
        raise WenshuError(f"找不到文件 {path}。")
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in SUPPORTED_FORMATS:
        from archive.ofd import is_ofd

        if is_ofd(path):  # an OFD is known by its structure: 通知.zip, attachment.bin
            check_size(path, limits)
            return ofd_text(path, limits)
        known = "、".join(sorted(SUPPORTED_FORMATS))
        raise WenshuError(f"不支持的文件类型“{path.suffix or '（无扩展名）'}”：{path.name}。可识别的类型：{known}。")
    if check_size(path, limits) == 0:
        raise WenshuError(f"{path.name} 是空文件（0 字节），无法读取。")
    if fmt == "docx":
        return docx_text(path, limits)
    if fmt == "pdf":
        return pdf_text(path, limits)
    if fmt == "ofd":
        return ofd_text(path, limits)
    if fmt in IMAGE_FORMATS:
        return image_text(path, limits)
    if fmt in TEXT_FORMATS:
        return plain_text(path, limits)
    return converted_text(path, limits)


# -- .docx ----------------------------------------------------------------------------------


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def docx_text(path: Path, limits: Limits | None = None) -> Text:
    limits = active_limits(limits)
    path = Path(path)
    try:
        with Package(path, limits) as pkg:
            lines, cut = _stream_body(pkg, limits)
    except WenshuError:
        raise
    except etree.XMLSyntaxError as e:
        raise WenshuError(f"{path.name} 的正文（word/document.xml）已损坏或超出解析限制：{e}。") from None
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, zipfile.LargeZipFile, zlib.error) as e:
        with open(path, "rb") as f:
            if f.read(8) == _OLE:  # Word saves a password-protected .docx as an encrypted compound file
                raise WenshuError(f"{path.name} 是加密的 Word 文档（需要密码才能打开），无法读取。"
                                  "请提供未加密的版本。") from None
        raise WenshuError(f"{path.name} 不是有效的 Word 文档（.docx 文件已损坏或格式不对：{e}）。") from None
    except RuntimeError as e:  # an encrypted ZIP member
        raise WenshuError(f"{path.name} 无法读取（{e}），可能是加密的文档。") from None
    return _text("\n".join(lines), limits, path, cut)


def _stream_body(pkg: Package, limits: Limits) -> tuple[list[str], bool]:
    """The body's lines; reading stops once ``max_text_chars`` are in hand (True: the text was cut)."""
    lines: list[str] = []
    chars, cap = 0, limits.max_text_chars
    for el in pkg.body_blocks():
        before = len(lines)
        _block(el, lines)
        chars += sum(len(s) + 1 for s in lines[before:])
        if chars > cap:
            return lines, True
    return lines, False


def _walk(node, lines: list[str]) -> None:
    """Paragraphs in document order; a table row becomes one line with cells separated by tabs."""
    for child in node:
        _block(child, lines)


def _block(child, lines: list[str]) -> None:
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
        return  # VML duplicate of a text box; deleted text; comments/PIs
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


def pdf_text(path: Path, limits: Limits | None = None) -> Text:
    limits = active_limits(limits)
    budget = limits.max_text_chars
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
        # The text layer OCRmyPDF wrote is in reading order already, word by word; placed by position
        # (pdfplumber) the evenly spread glyphs of neighbouring words interleave (2022年 → 202年2).
        ocr_made = "ocrmypdf" in str((reader.metadata or {}).get("/Creator", "")).lower()
        pages = None if ocr_made else _layout_text(path, budget)
        if pages is None:
            pages = _until(((page.extract_text() or "").strip() for page in reader.pages), budget)
        if ocr_made:
            from archive.ocr import clean_ocr_text  # its spaces between Chinese words and its quotes mended

            pages = [clean_ocr_text(p) for p in pages]
    except WenshuError:
        raise
    except FileNotDecryptedError:
        raise WenshuError(f"{path.name} 是加密的 PDF（需要密码才能打开），无法读取。请提供未加密的版本。") from None
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError, IndexError) as e:
        raise WenshuError(f"{path.name} 不是有效的 PDF 文件（已损坏或格式不对：{e}）。") from None
    return _text("\n".join(p for p in pages if p), limits, path)


def _until(pages, budget: int) -> list[str]:
    """Pages until ``budget`` characters are in hand: the rest of a 3,000-page PDF is not read."""
    out, n = [], 0
    for text in pages:
        out.append(text)
        n += len(text) + 1
        if n > budget:
            break
    return out


def _layout_text(path: Path, budget: int) -> list[str] | None:
    """Page texts in reading order by position (pdfplumber). pypdf emits text in content-stream
    order, which puts CJK quotes set in a Latin font (“ ”) away from their words; None when
    pdfplumber is missing or fails, so the caller falls back to pypdf."""
    try:
        import pdfplumber
    except ImportError:
        return None
    try:
        with pdfplumber.open(str(path)) as pdf:
            return _until(((page.extract_text() or "").strip() for page in pdf.pages), budget)
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


def plain_text(path: Path, limits: Limits | None = None) -> Text:
    """Decoded as a stream and only up to ``max_text_chars``: a 100 MB .txt is not read whole."""
    limits = active_limits(limits)
    path = Path(path)
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text, cut = _decode_stream(path, enc, limits.max_text_chars)
        except UnicodeDecodeError:
            continue
        if text is None:
            break  # UTF-16 or binary masquerading as text
        return _text(text.replace("\r\n", "\n").replace("\r", "\n"), limits, path, cut)
    raise WenshuError(f"{path.name} 不是 UTF-8 或 GB18030 编码的文本文件，无法读取。请另存为 UTF-8 后重试。")


def _decode_stream(path: Path, encoding: str, cap: int) -> tuple[str | None, bool]:
    """(text, cut) — at most ``cap`` characters (+ one chunk); None when the text holds NUL."""
    decoder = codecs.getincrementaldecoder(encoding)()
    parts, n = [], 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            part = decoder.decode(chunk)
            if "\x00" in part:
                return None, False
            parts.append(part)
            n += len(part)
            if n > cap:
                return "".join(parts)[:cap], True
        tail = decoder.decode(b"", final=True)
    return "".join(parts) + tail, False


# -- .ofd (GB/T 33190): archive.ofd ------------------------------------------------------------


def ofd_text(path: Path, limits: Limits | None = None) -> Text:
    from archive.ofd import ofd_text as read

    return read(path, limits)


# -- images: scans without a text layer of their own ------------------------------------------


def image_text(path: Path, limits: Limits | None = None) -> Text:
    """A scan or photo has no text of its own (its OCR'd 文字版 PDF carries it, archive.ocr);
    it is read only to tell a good image from a broken one."""
    from archive.ocr import image_frames

    image_frames(path)
    return Text("")


# -- .doc / .wps via LibreOffice -------------------------------------------------------------


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


_MAGIC = {"doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"PK\x03\x04", b"{\\rtf"),
          "wps": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"PK\x03\x04"),
          "rtf": (b"{\\rtf",), "odt": (b"PK\x03\x04",)}


def converted_text(path: Path, limits: Limits | None = None) -> Text:
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
        return docx_text(out, limits)
