"""Reading an OOXML package (.docx, .xlsx) that may come from a stranger: the one place that opens
the ZIP, bounds it by ``[limits]`` and parses its parts with lxml.

Extraction, 收文 title reading, the layout checker and template validation all read
word/document.xml; each used to open the ZIP its own way, some with the bounds and some without.
Here every part is inflated through a byte counter (``limits.max_part_mb``; the size a ZIP declares
is the sender's word), parsed without entities, network or huge_tree, and a package with more
parts than any office document has is refused before a part is read. Errors stay zipfile/lxml
errors (or WenshuError for a bound): each caller words its own message for its own user.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from archive.errors import WenshuError
from archive.limits import Limits

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
STRICT_W_NS = "http://purl.oclc.org/ooxml/wordprocessingml/main"
_W = f"{{{W_NS}}}"
_BODY, _STRICT_BODY = f"{_W}body", f"{{{STRICT_W_NS}}}body"
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
XML_OPTIONS = dict(resolve_entities=False, no_network=True, huge_tree=False)
MAX_PARTS = 10_000  # a Word document has tens of parts; a package of thousands is built to hurt
_CHUNK = 1 << 16
_DOTX = "wordprocessingml.template.main+xml"


def _limits(limits: Limits | None) -> Limits:
    from archive.extract import active_limits  # the process's limits live with the text reader

    return active_limits(limits)


def _too_big(path: Path, name: str, limits: Limits) -> WenshuError:
    return WenshuError(f"{Path(path).name} 中的 {name} 解压后超过文档内单个 XML 部件上限 limits.max_part_mb"
                       f"（{limits.max_part_mb} MB），可能是恶意构造的压缩文件（压缩炸弹），不予读取。")


def iter_part(z: zipfile.ZipFile, name: str, path: Path, limits: Limits | None = None):
    """The bytes of member ``name`` in chunks, counted as they inflate."""
    limits = _limits(limits)
    total = 0
    with z.open(name) as f:
        while chunk := f.read(_CHUNK):
            total += len(chunk)
            if total > limits.max_part_bytes:
                raise _too_big(path, name, limits)
            yield chunk


def read_part(z: zipfile.ZipFile, name: str, path: Path, limits: Limits | None = None) -> bytes:
    return b"".join(iter_part(z, name, path, limits))


def parse_part(z: zipfile.ZipFile, name: str, path: Path, limits: Limits | None = None):
    """Member ``name`` as an lxml tree, fed to the safe parser as it inflates."""
    from lxml import etree

    parser = etree.XMLParser(**XML_OPTIONS)
    for chunk in iter_part(z, name, path, limits):
        parser.feed(chunk)
    return parser.close()


def unstrict(el) -> None:
    """Strict OOXML (ISO 29500) elements renamed into the transitional namespace every reader knows."""
    strict = f"{{{STRICT_W_NS}}}"
    for e in el.iter():
        if isinstance(e.tag, str) and e.tag.startswith(strict):
            e.tag = _W + e.tag[len(strict):]


def body_blocks(z: zipfile.ZipFile, name: str, path: Path, limits: Limits | None = None):
    """The body's top-level blocks in order, parsed as the part inflates; each block is dropped once
    the caller moves on, so memory holds one block, not the document."""
    from lxml import etree

    parser = etree.XMLPullParser(events=("end",), **XML_OPTIONS)
    for chunk in iter_part(z, name, path, limits):
        parser.feed(chunk)
        for _, el in parser.read_events():
            parent = el.getparent()
            if parent is None or parent.tag not in (_BODY, _STRICT_BODY):
                continue
            if parent.tag == _STRICT_BODY:
                unstrict(el)
            yield el
            el.clear()
            while el.getprevious() is not None:
                del parent[0]
    parser.close()


class Package:
    """An open .docx/.xlsx: ``with Package(path) as pkg: pkg.xml("word/styles.xml")``."""

    def __init__(self, path: Path, limits: Limits | None = None):
        self.path = Path(path)
        self.limits = _limits(limits)
        self.zip = zipfile.ZipFile(self.path)
        try:
            infos = self.zip.infolist()
            if len(infos) > MAX_PARTS:
                raise WenshuError(f"{self.path.name} 含 {len(infos)} 个部件，超过 {MAX_PARTS} 个，"
                                  "不像是正常的 Office 文档，已拒绝。")
            self.names = {i.filename for i in infos}
            self.infos = infos
        except BaseException:
            self.zip.close()
            raise

    def __enter__(self) -> "Package":
        return self

    def __exit__(self, *exc) -> None:
        self.zip.close()

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def read(self, name: str) -> bytes:
        return read_part(self.zip, name, self.path, self.limits)

    def text(self, name: str) -> str:
        return self.read(name).decode("utf-8")

    def xml(self, name: str, default=KeyError):
        """Part ``name`` parsed; ``default`` (when given) for a part the package lacks."""
        if default is not KeyError and name not in self.names:
            return default
        return parse_part(self.zip, name, self.path, self.limits)

    def oversized(self) -> list[zipfile.ZipInfo]:
        """Members that declare more than ``max_part_mb`` (for readers that load parts whole)."""
        return [i for i in self.infos if i.file_size > self.limits.max_part_bytes]

    def content_types(self) -> dict[str, str]:
        """PartName → ContentType of every Override in [Content_Types].xml."""
        root = self.xml("[Content_Types].xml")
        return {el.get("PartName", "").lstrip("/"): el.get("ContentType", "") for el in root.iter(f"{_CT}Override")}

    def is_word_template(self) -> bool:
        """A .dotx saved under another name: its main part says template.main+xml."""
        return any(_DOTX in ct for ct in self.content_types().values())

    def main_part(self) -> str:
        """The main document part named by the package relationships (usually word/document.xml)."""
        from lxml import etree

        try:
            rels = self.xml("_rels/.rels")
        except (KeyError, etree.XMLSyntaxError):
            return "word/document.xml"
        for rel in rels:
            if str(rel.get("Type", "")).endswith("/officeDocument"):
                return str(rel.get("Target", "")).lstrip("/") or "word/document.xml"
        return "word/document.xml"

    def related(self, part: str = "word/document.xml") -> dict[str, str]:
        """Relationship Id → member name for the parts ``part`` refers to (headers, footers …)."""
        folder, _, base = part.rpartition("/")
        rels = self.xml(f"{folder}/_rels/{base}.rels")
        out = {}
        for rel in rels:
            target = rel.get("Target", "")
            name = target.lstrip("/") if target.startswith("/") else f"{folder}/{target}".replace(f"{folder}/{folder}/", f"{folder}/")
            out[rel.get("Id")] = name
        return out

    def body_blocks(self, name: str | None = None):
        return body_blocks(self.zip, name or self.main_part(), self.path, self.limits)

    def paragraphs(self, name: str | None = None):
        """The body's paragraphs (w:p, tables' included) in order, streamed."""
        for block in self.body_blocks(name):
            yield from block.iter(f"{_W}p")


def paragraph_text(p) -> str:
    return "".join(t.text or "" for t in p.iter(f"{_W}t"))
