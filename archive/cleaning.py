"""Invisible characters taken out of text that comes from outside (清洗), where it is read.

A received document's title, a file name in the inbox or a value typed with ``--set`` may carry
control characters (``\\x01``, a terminal escape ``\\x1b[31m``, DEL), C1 controls, bidi overrides
(U+202E turns ``txt.exe`` into ``exe.txt`` on screen) or lone surrogates from a file name that was
not UTF-8. None of them is part of a 公文: they break XML (openpyxl and lxml refuse them, so one such
title stopped every later export), forge lines in logs and terminals, and hide what a name says.
They are removed once, here, as text enters a Record or becomes a file name, so record.json and the
folders never hold them; what the transfer verifier counts as 不可见或控制字符 is removed too.
"""

from __future__ import annotations

import re
import unicodedata

# ECMA-48 escape sequences as a whole (CSI ``ESC [ … final``, OSC ``ESC ] … BEL/ST``, two-byte ESC x):
# removing only the ESC would leave "[31m" in the title.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]{0,512}(?:\x07|\x1b\\)|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]")
# Removed everywhere: C0 controls except \t \n \r (handled below), DEL, C1 controls, zero-width and
# bidi marks/overrides/isolates (U+200B–U+200F, U+202A–U+202E, U+2066–U+2069, U+061C), BOM,
# the replacement character, the non-characters U+FFFE/U+FFFF and lone surrogates.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e"
                        "\u2066-\u2069\ufeff\ufffd\ufffe\uffff\ud800-\udfff]")
_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029\x85]")
_SPACES = re.compile(r"[\t\n]+")
# Anything the steps below would change (one C-level scan: most values are already clean).
_DIRTY = {True: re.compile(_INVISIBLE.pattern[:-1] + "\r\u2028\u2029]"),
          False: re.compile(_INVISIBLE.pattern[:-1] + "\r\u2028\u2029\t\n]")}


def clean_text(value: str, multiline: bool = False) -> str:
    """``value`` without control, bidi and other invisible characters, NFC-normalised.

    ``multiline`` keeps tab and line feed (a document's body, a history note written over several
    lines); otherwise they become one space, since a 题名 or a 责任者 is one line."""
    if not value:
        return value if isinstance(value, str) else ""
    if is_clean(value, multiline):
        return value
    text = _ESCAPES.sub("", value) if ("\x1b" in value or "\x9b" in value) else value
    text = _LINE_BREAKS.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    if not multiline:
        text = _SPACES.sub(" ", text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return text


def is_clean(value, multiline: bool = False) -> bool:
    """Whether ``clean_text`` would leave ``value`` as it is (one C-level scan; most values are)."""
    if not isinstance(value, str):
        return False
    return _DIRTY[multiline].search(value) is None and (value.isascii() or unicodedata.is_normalized("NFC", value))


def clean_tree(value, multiline: bool = False):
    """Every string in a JSON-like value (dict keys too) cleaned; other values as they are."""
    if isinstance(value, str):
        return clean_text(value, multiline)
    if isinstance(value, list):
        return [clean_tree(v, multiline) for v in value]
    if isinstance(value, tuple):
        return tuple(clean_tree(v, multiline) for v in value)
    if isinstance(value, dict):
        return {clean_text(k) if isinstance(k, str) else k: clean_tree(v, multiline) for k, v in value.items()}
    return value


__all__ = ["clean_text", "clean_tree", "is_clean"]
