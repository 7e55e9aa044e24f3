"""No character alone on a paragraph's last line (不留单字行) for the numbered items of a form.

A clause of 55 characters set in 28-character lines with a two-character indent leaves one
character on its third line. The fix offices use is 缩字: set that paragraph a little tighter so
the character goes back up. This module predicts the lines from the grid (3号, −0.25 pt spacing,
156 mm) and gives the character spacing (w:spacing, twentieths of a point) that avoids the lone
character, at most 1 pt tighter; otherwise the paragraph is left as it is.
"""

from __future__ import annotations

from generator.title import CLOSING

SIZE = 16.0  # 3号
BASE = -0.25  # the grid's spacing (pt)
LINE_PT = 8845 / 20  # 版心 width
INDENT_PT = 640 / 20  # 首行缩进两字
MAX_TIGHTEN = 1.0  # pt per character


def _advance(ch: str, spacing: float) -> float:
    return (SIZE / 2 if ch.isascii() else SIZE) + spacing


def line_lengths(text: str, spacing: float = BASE, indent: float = INDENT_PT) -> list[int]:
    """Characters per line as LibreOffice fills them: greedy, a closing mark never starts a line."""
    lines, count, used, room = [], 0, 0.0, LINE_PT - indent
    for i, ch in enumerate(text):
        w = _advance(ch, spacing)
        if i and text[i - 1].isascii() != ch.isascii():
            w += SIZE * 0.21  # autoSpaceDE between Chinese and Western characters
        if used + w > room + 0.01 and count:
            if ch in CLOSING and count > 1:  # 避头: the previous character goes down with it
                lines.append(count - 1)
                count, used = 1, _advance(text[i - 1], spacing)
            else:
                lines.append(count)
                count, used = 0, 0.0
            room = LINE_PT
        count += 1
        used += w
    if count:
        lines.append(count)
    return lines


def spacing_for(text: str) -> int | None:
    """w:spacing for a paragraph whose last line would hold a single character, else None."""
    lines = line_lengths(text)
    if len(lines) < 2 or lines[-1] != 1:
        return None
    steps = int(MAX_TIGHTEN * 20)
    for extra in range(1, steps + 1):
        if len(line_lengths(text, BASE - extra / 20)) < len(lines):
            return round(BASE * 20) - extra - 1  # one twentieth more, for the model's rounding
    return None


class Item(str):
    """A list item as typed, with the spacing it is printed at (``spacing`` None: the grid's)."""

    spacing: int | None = None

    @classmethod
    def fitted(cls, text: str, prefix: str) -> "Item":
        item = cls(text)
        item.spacing = spacing_for(prefix + text)
        return item

    def __reduce__(self):  # batch workers get values through pickle
        return (_item, (str(self), self.spacing))


def _item(text: str, spacing: int | None) -> Item:
    item = Item(text)
    item.spacing = spacing
    return item


def fitted_items(items: list[str]) -> list[Item]:
    """Numbered items (1．…) as the templates print them, each without a lone last character."""
    return [Item.fitted(str(x), f"{i}．") for i, x in enumerate(items, 1)]
