"""What a transfer package's XML may carry and how its XML is read: characters no receiver
accepts are dropped on writing, and XML from elsewhere is parsed without entities or network."""

from __future__ import annotations

import re

from archive.errors import WenshuError

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
