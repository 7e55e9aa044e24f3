"""著录项 by their Chinese names, as clerks type them in ``--set 题名=…``, mapped to Record attributes.

One table so that ``wenshu file --set``, ``wenshu edit --set`` and the batch importers agree on
what 责任者 or 主送 means and how a typed value becomes a date, a list or a 文号.
"""

from __future__ import annotations

import re

from archive.elements import LABELS, LIST_ATTRS as LIST_FIELDS, MAX_CHARS, NAMES, split_value  # noqa: F401  (re-exported)
from archive.errors import WenshuError

# Not editable through --set: they are the record's identity or derived.
RESERVED = {"档号": "档号由系统分配；要改变保管期限或机构，请用 --set 保管期限=… 或 --set 机构=…",
            "件号": "件号由编号登记簿分配，不能手工修改", "文件": "文件清单由归档时计算，不能手工修改",
            "历史": "历史记录只能追加，不能手工修改", "年度": "年度由档号决定，不能手工修改",
            "原档号": "原档号是移交接收时记下的移交方档号，不能手工修改"}


def parse_assignments(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["题名=关于…", "主送=各中小学"]`` → ``{"题名": "关于…", …}`` (Chinese keys, validated names)."""
    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise WenshuError(f"--set “{item}” 格式不对：应写成 字段=值，如 --set 题名=关于…的通知。")
        key, value = item.split("=", 1)
        key = key.strip()
        if key in RESERVED:
            raise WenshuError(f"不能直接修改“{key}”：{RESERVED[key]}。")
        if key not in NAMES and key not in ("保管期限", "机构"):
            known = "、".join(v for v in dict.fromkeys(LABELS.values()) if v not in RESERVED) + "、保管期限、机构"
            raise WenshuError(f"不认识的字段“{key}”。可用的字段：{known}。")
        out[key] = value.strip()
    return out


def to_attributes(assignments: dict[str, str]) -> dict:
    """Chinese names → Record attribute names with typed values (lists split, relations parsed)."""
    out: dict = {}
    for key, value in assignments.items():
        if key in ("保管期限", "机构"):
            continue
        attr = NAMES[key]
        if attr in LIST_FIELDS:
            out[attr] = split_value(attr, value)
        elif attr == "relations":
            out[attr] = [_relation(v) for v in re.split(r"[，,；;]\s*", value) if v.strip()]
        elif attr == "pages":
            if not re.fullmatch(r"\d+", value):
                raise WenshuError(f"页数“{value}”应为整数。")
            out[attr] = int(value)
        else:
            out[attr] = value
    return out


def _relation(text: str) -> dict:
    """``高教督函〔2022〕3号`` or ``A001-WS·2022-D30-0003`` (optionally ``关系:…``)."""
    from archive.archival_code import ArchivalCode
    from archive.docnumber import DocNumber

    text = text.strip()
    kind = "相关"
    if ":" in text or "：" in text:
        kind, text = re.split(r"[:：]", text, maxsplit=1)
        kind, text = kind.strip(), text.strip()
    try:
        return {"档号": str(ArchivalCode.parse(text)), "关系": kind}
    except WenshuError:
        return {"文号": DocNumber.normalize(text), "关系": kind}
