"""Chinese text analysis (中文分词) for the index: character grams for recall, words for ranking.

whoosh's default analyzer turns a run of Chinese characters into ONE token, so 课后服务 would
never be found inside 学校课后服务基本满足学生需要 (DESIGN §7). Each searchable field is instead
one bag of terms with weights and no positions (``GRAMS``):

* **grams** — every pair of adjacent Chinese characters (and, for titles, every character),
  plus ASCII runs ("5+2", "2022", "gb/t") and their pieces. A number is a term only whole
  (195 does not find 1950年); spaces between Chinese characters are dropped first (李 斌). A query run of Chinese is found
  through its bigrams whatever jieba did to the text around it; a single character is a
  prefix over the bigrams.
* **words** — rjieba (jieba-rs) segmentation with the 公文 domain dictionary shipped as
  ``indexer/dict.txt``. A two-character word IS a bigram, so only words of three or more
  characters (课后服务, 校外培训机构, 师德师风) add terms: a query rewards the documents where
  its words stand as words, not only as adjacent characters, for ~9% more postings (148 on
  1,728 per 3,000-character text).

Positions are not indexed: a word field with character spans held over a quarter of all postings
(666 of ~2,450 per 3,000-character text) and a third of the indexing time (profiled: 18.2 → 11.4
ms a document without it), and served only highlights, now cut from the stored text
(indexer/search.py).
Index and query go through the same functions here, so they always segment alike.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from pathlib import Path

from whoosh.analysis import Token, Tokenizer
from whoosh.fields import FieldType
from whoosh.formats import Existence

# Full-width ASCII (Ｆ１…) → ASCII, ideographic space → space, A–Z → a–z: one character for
# one character, so offsets into the folded text are offsets into the original.
_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FOLD[0x3000] = 0x20
_FOLD.update({c: c + 32 for c in range(ord("A"), ord("Z") + 1)})
for _c in range(0xFF21, 0xFF3B):  # Ａ–Ｚ straight to a–z
    _FOLD[_c] = _c - 0xFEE0 + 32


def fold(text: str) -> str:
    return text.translate(_FOLD)


@functools.cache
def _cjk_spaced() -> re.Pattern:
    return re.compile("(?<=[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])[ \t\xa0]+"
                      "(?=[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")


def squeeze(folded: str) -> str:
    """Spaces between two Chinese characters dropped (李 斌 → 李斌): names in lists are padded
    to align (副组长：李 斌), titles spaced out (通 知); the text is indexed as read aloud.
    Line breaks stay: they end a paragraph, not a word. (Compiled on first use: a query without
    spaces never pays the ~5 ms of a CJK character class.)"""
    if " " not in folded and "\t" not in folded and "\xa0" not in folded:
        return folded
    return _cjk_spaced().sub("", folded)


_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_IS_WORD = re.compile(rf"[0-9a-z{_CJK}]|^\+$")
_CJK_RUN = re.compile(f"[{_CJK}]+")
# An ASCII run keeps the symbols that join numbers and codes (5+2, 9704-2012, gb/t, 3.5%).
_ASCII_RUN = re.compile(r"[0-9a-z](?:[0-9a-z+\-_./#%&]*[0-9a-z%])?")
_ALNUM = re.compile(r"[0-9a-z]+")
_DIGITS_OR_LETTERS = re.compile(r"[0-9]+|[a-z]+")
_MAX_SUB = 8  # alphanumeric pieces up to this length are indexed with all their substrings

DICT_PATH = Path(__file__).with_name("dict.txt")  # package data, see pyproject
_dict_loaded = False


def _segmenter():
    """rjieba with the domain dictionary (领域词典) added once per process (~1 ms)."""
    global _dict_loaded
    import rjieba

    if not _dict_loaded:
        text = DICT_PATH.read_text(encoding="utf-8")
        for line in text.splitlines():
            parts = line.split()
            if parts and not parts[0].startswith("#"):
                freq = int(parts[1]) if len(parts) > 1 else None
                rjieba.add_word(parts[0], freq, parts[2] if len(parts) > 2 else None)
        _dict_loaded = True
    return rjieba


def word_spans(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) of every searchable word; punctuation and spaces dropped, "+" kept."""
    folded = fold(text)
    return [t for t in _segmenter().tokenize(folded) if _IS_WORD.search(t[0])]


def query_words(text: str) -> list[str]:
    return [w for w, _s, _e in word_spans(text)]


_LONG_WORD = re.compile(f"[{_CJK}]{{3,}}")


def long_words(text: str) -> list[str]:
    """The words of three or more Chinese characters, with repeats: the word terms that are
    not also bigrams. ``cut`` (no spans) is the fast path of the segmenter."""
    return [w for w in _segmenter().cut(squeeze(fold(text))) if len(w) >= 3 and _LONG_WORD.fullmatch(w)]


def gram_terms(text: str, unigrams: bool = True) -> list[str]:
    """The gram terms of a text, with repeats (index side counts them).

    Without ``unigrams`` (the body) a character is indexed alone only where it ends a run;
    everywhere else it starts a bigram, so a prefix query over the grams still finds every
    single character, at a third fewer postings than indexing all unigrams.
    """
    folded = squeeze(fold(text))
    out: list[str] = []
    for m in _CJK_RUN.finditer(folded):
        run = m.group()
        if unigrams:
            out.extend(run)
        else:
            out.append(run[-1])
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
    for m in _ASCII_RUN.finditer(folded):
        run = m.group()
        pieces = _ALNUM.findall(run)
        if len(pieces) > 1:
            out.append(run)
        for piece in pieces:
            runs = _DIGITS_OR_LETTERS.findall(piece)
            if len(runs) > 1:  # a4, gb9704: the piece itself, then its number and its letters
                out.append(piece)
            for sub in runs:
                if sub[0].isdigit() or len(sub) > _MAX_SUB:  # numbers whole: 195 is not in 1950
                    out.append(sub)
                else:  # letters are typed in part (gb in gbt)
                    n = len(sub)
                    out.extend(sub[i:j] for i in range(n) for j in range(i + 1, n + 1))
    return out


def query_grams(text: str) -> list[list[str]]:
    """For a query string: per run, the gram terms that pin it down.

    A Chinese run of up to 6 characters needs all its bigrams; a longer one is covered by
    non-overlapping bigrams (plus the last one), which halves the terms at almost no loss of
    precision on text that long; one character is its unigram; an ASCII run is itself.
    """
    def pinning(run: str) -> list[str]:
        if len(run) <= 6:  # short: every bigram, so 公厅关于 does not match 公厅…关于
            return _bigrams(run)
        starts = list(range(0, len(run) - 1, 2))
        if starts[-1] != len(run) - 2:
            starts.append(len(run) - 2)
        return [run[i:i + 2] for i in starts]

    return _query_runs(text, pinning)


def phrase_grams(text: str) -> list[str]:
    """Every overlapping bigram of each Chinese run (a lone character: itself) and every ASCII
    run, in order: a document holding all of them holds the phrase, give or take a repeat."""
    return [t for terms in _query_runs(text, _bigrams) for t in terms]


def _bigrams(run: str) -> list[str]:
    return [run[i:i + 2] for i in range(len(run) - 1)]


def _query_runs(text: str, chinese_terms) -> list[list[str]]:
    """The terms of each run of a query in order: ``chinese_terms(run)`` for a Chinese run of two
    or more characters, the lone character for one, the run itself for ASCII."""
    folded = fold(text)
    runs: list[tuple[int, list[str]]] = []
    for m in _CJK_RUN.finditer(folded):
        run = m.group()
        if len(run) == 1:
            # before digits/letters (第3条) the character ends its run in the text too, where it
            # is indexed alone; otherwise it can only be found as the start of a bigram
            nxt = folded[m.end():m.end() + 1]
            runs.append((m.start(), [run] if nxt and re.match(r"[0-9a-z]", nxt) else [PREFIX_MARK + run]))
        else:
            runs.append((m.start(), chinese_terms(run)))
    for m in _ASCII_RUN.finditer(folded):
        runs.append((m.start(), [m.group()]))
    return [terms for _pos, terms in sorted(runs)]


PART_SEP = "\x1f"
PREFIX_MARK = "*"  # in query_grams: "*X" = a lone character, to be found as a prefix of bigrams
PART_WEIGHTS = (3.0, 2.0, 1.0)  # 题名, short fields (责任者, 文种, 案件 …), text


class GramTokenizer(Tokenizer):
    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for i, g in enumerate(gram_terms(value) if tokenize else [value]):
            t.text = g
            t.boost = 1.0
            t.stopped = False
            if positions:
                t.pos = start_pos + i
            yield t


class GRAMS(FieldType):
    """Bag of character bigrams (+ unigrams when asked), ASCII runs and long words, weighted."""

    def __init__(self, field_boost=1.0, unigrams=True):
        self.unigrams = unigrams
        self.analyzer = GramTokenizer()
        # weights (frequency × part weight) live in the postings' weight array, which is all
        # BM25 reads; whoosh's Frequency format would store each frequency a second time
        self.format = Existence(field_boost=field_boost)
        self.vector = None
        self.scorable = True
        self.stored = False
        self.unique = False
        self.multitoken_query = "and"
        self.spelling = False
        self.column_type = None

    def index(self, value, **kwargs):
        """``value`` may be several parts joined by PART_SEP, each with its weight in PART_WEIGHTS
        (题名, short fields, text): a title hit then outscores a body hit in plain BM25, with no
        extra clause per query word."""
        fb = self.format.field_boost
        parts = value.split(PART_SEP)
        freqs: Counter = Counter()
        weights: Counter = Counter()
        for part, wt in zip(parts, PART_WEIGHTS[-len(parts):] if len(parts) > 1 else (1.0,)):
            c = Counter(gram_terms(part, self.unigrams))
            c.update(long_words(part))
            freqs.update(c)
            if wt != 1.0:
                weights.update({g: n * (wt - 1.0) for g, n in c.items()})
        for g, n in freqs.items():
            yield g.encode("utf-8"), n, (n + weights.get(g, 0.0)) * fb, b""
