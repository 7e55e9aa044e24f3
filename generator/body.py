"""正文 structure: clerks mark headings the way they write them, with 一、 （一） 1. （1）.

The four 层次序数 of GB/T 9704 §7.3.3 become levels 1–4 (黑体 / 楷体 / 仿宋 / 仿宋); every other
line is a paragraph indented two characters. A level-1 or level-2 line that goes on after its
heading sentence (“（一）加强领导。各校要……”) keeps only the heading sentence in the heading
font, the way offices set it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

_CN_NUM = "一二三四五六七八九十百零〇"
_LEVELS = (
    (1, re.compile(rf"^[{_CN_NUM}]+、")),
    (2, re.compile(rf"^[（(][{_CN_NUM}]+[）)]")),
    (4, re.compile(r"^[（(]\d+[）)]")),
    (3, re.compile(r"^\d+[.．](?!\d)")),
)
_SENTENCE_END = re.compile(r"[。！？；]")
_SPACES = " \t\u3000\xa0"
KEEP_CHARS = 56  # a last paragraph of up to two lines goes with the 署名 whole; a longer one is split by generator.fill


@dataclass(frozen=True)
class Block:
    """One paragraph of 正文: ``level`` 0 is an ordinary paragraph; ``head`` is the part in the heading font.

    The page-fill pass (generator.fill) sets the last three: ``keep`` keeps the paragraph on the page
    of the 署名 that follows; a paragraph split at a page end is a ``spread`` part (its last line
    justified to the full width, as it was inside the paragraph) and a ``cont`` part (续行: no
    first-line indent, kept with the 署名)."""

    level: int
    head: str
    rest: str
    keep: bool = False
    spread: bool = False
    cont: bool = False

    @property
    def text(self) -> str:
        return self.head + self.rest


def level_of(line: str) -> int:
    for level, pattern in _LEVELS:
        if pattern.match(line):
            return level
    return 0


def parse_body(text: str) -> list[Block]:
    """Split plain text into blocks; blank lines only separate paragraphs."""
    blocks = []
    for raw in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip(_SPACES)
        if not line:
            continue
        level = level_of(line)
        if level in (1, 2):
            m = _SENTENCE_END.search(line)
            if m and m.end() < len(line):
                blocks.append(Block(level, line[: m.end()], line[m.end():]))
                continue
            blocks.append(Block(level, line, ""))
        elif level:
            blocks.append(Block(level, line, ""))
        else:
            blocks.append(Block(0, "", line))
    if blocks and len(blocks[-1].text) <= KEEP_CHARS:
        blocks[-1] = replace(blocks[-1], keep=True)
    return blocks
