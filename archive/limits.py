"""Limits on untrusted input (收件箱, received files, transfer packages), from wenshu.toml ``[limits]``.

Every size that a stranger controls is bounded here, in one table, so that a zip bomb, a 640 MiB
document.xml or a 100 MB .txt is stopped with a message instead of exhausting the office PC.
The defaults fit what an education bureau receives (a scanned 整改报告 of a few hundred pages is
well under 200 MB) with room to spare; an office raises them in wenshu.toml if it must.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from archive.errors import WenshuError

MB = 1 << 20


@dataclass(frozen=True)
class Limits:
    max_file_mb: int = 200            # one received file (收文) or one file in the inbox
    max_text_chars: int = 2_000_000   # text extracted from one file; the rest is not indexed (noted)
    max_part_mb: int = 64             # one XML part of a .docx/.xlsx/.ofd read for text
    package_max_mb: int = 20_000      # a transfer package's total extracted size
    package_max_entries: int = 200_000
    package_max_entry_mb: int = 4_000
    package_max_ratio: int = 200      # uncompressed / compressed size of one zip entry

    LABELS = {
        "max_file_mb": "单个文件大小上限（MB）",
        "max_text_chars": "单个文件提取文字上限（字符）",
        "max_part_mb": "文档内单个 XML 部件上限（MB）",
        "package_max_mb": "数据包解压总大小上限（MB）",
        "package_max_entries": "数据包文件个数上限",
        "package_max_entry_mb": "数据包单个文件大小上限（MB）",
        "package_max_ratio": "数据包单个文件压缩比上限",
    }

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * MB

    @property
    def max_part_bytes(self) -> int:
        return self.max_part_mb * MB

    @classmethod
    def from_section(cls, section, source: str = "wenshu.toml") -> "Limits":
        if section is None:
            return cls()
        if not isinstance(section, dict):
            raise WenshuError(f"{source}：[limits]（安全上限）应为一个表。")
        known = {f.name for f in fields(cls)}
        values = {}
        for key, value in section.items():
            if key not in known:
                raise WenshuError(f"{source}：[limits] 中没有“{key}”这一项；可用的有：{'、'.join(sorted(known))}。")
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise WenshuError(f"{source}：limits.{key}（{cls.LABELS[key]}）应为正整数，现在是 {value!r}。")
            values[key] = value
        return cls(**values)
