"""Breaking the 2号 title into lines (标题回行), GB/T 9704 §7.3.1: 回行时要做到词意完整，排列对称，
长短适宜，间距恰当，标题排列应当使用梯形或菱形.

Left to LibreOffice or Word, a title fills its first line and breaks wherever the 20th character
falls ("…督查专项行动方" / "案》的通知", one character alone on the last line). Here the breaks are
chosen: only between words (rjieba, plus the 公文 words below that rjieba splits), never after an
opening 《 “ （ or before a closing mark, never a line of one character, and among those the most
balanced lines with the upper ones longer (梯形) or the middle one longest (菱形). A newline the
clerk typed is a forced break; each part is then broken the same way.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations

LINE_WIDTH = 20.0  # 2号 characters in the 156 mm 版心 (22 pt − 0.25 pt spacing: 20.3 fit)
EXTRA_LINE = 40.0  # cost of a line more than the title needs
OPENING = "《“‘（(〔【［「『"
CLOSING = "》”’）)〕】］」』，、。：；！？,.;:!?"
# 公文 words rjieba splits into shorter ones; a title must not break inside them. Copied from the
# project's search dictionary (indexer/dict.txt): generator does not import indexer.
DOMAIN_WORDS = (
    "双减", "课后服务", "校外培训", "校外培训机构", "学科类培训", "非学科类培训", "隐形变异", "住家家教",
    "众筹私教", "一对一家教", "督办函", "整改通知书", "整改通知", "整改报告", "师德师风", "有偿补课",
    "违规补课", "作业管理", "睡眠管理", "手机管理", "读物管理", "体质管理", "五项管理", "课后延时服务",
    "义务教育", "义务教育阶段", "中小学", "中小学生", "幼儿园", "教育局", "教育行政部门", "督学",
    "责任督学", "教育督导", "专项督导", "督导检查", "专项治理", "专项整治", "办学许可证", "营业执照",
    "预收费", "资金监管", "白名单", "黑名单", "工作方案", "实施方案", "实施意见", "指导意见", "管理办法",
    "实施细则", "暂行办法", "暂行规定", "放管服", "双随机", "一公开", "营商环境", "小微企业", "融资担保",
    "国务院办公厅", "人民政府", "直属机构", "承诺书", "安全责任书", "家校共育", "专项行动", "督查专项行动",
    "职业教育", "科学技术", "公立医院", "绩效考核",
)


class Title(str):
    """A title as typed, without the newlines; ``lines`` are the lines it is printed in."""

    def __new__(cls, text: str, forced: tuple[int, ...] = ()):
        obj = super().__new__(cls, text)
        obj.forced = tuple(forced)
        return obj

    @classmethod
    def typed(cls, raw: str) -> "Title":
        """From the field value: each newline is a forced break."""
        parts = [p.strip() for p in str(raw).split("\n") if p.strip()]
        forced, at = [], 0
        for p in parts[:-1]:
            at += len(p)
            forced.append(at)
        return cls("".join(parts), tuple(forced))

    def __reduce__(self):  # batch workers get titles through pickle
        return (Title, (str(self), self.forced))

    @property
    def lines(self) -> list[str]:
        return break_title(str(self), self.forced)


def width(text: str) -> float:
    """In 2号 characters: a digit or Latin letter is half, and LibreOffice puts a quarter of space
    between Chinese and Western characters (autoSpaceDE; measured 4.7 pt at 22 pt)."""
    w = sum(0.5 if ch.isascii() else 1.0 for ch in text)
    return w + 0.25 * sum(1 for a, b in zip(text, text[1:]) if a.isascii() != b.isascii() and not (a + b).isspace())


@lru_cache(maxsize=4096)
def boundaries(text: str) -> frozenset[int]:
    """Positions between two words where a line may end."""
    import rjieba

    cuts, at = set(), 0
    for word in rjieba.cut(text):
        at += len(word)
        cuts.add(at)
    cuts.discard(len(text))
    for word in DOMAIN_WORDS:
        start = text.find(word)
        while start >= 0:
            cuts -= set(range(start + 1, start + len(word)))
            start = text.find(word, start + 1)
    return frozenset(i for i in cuts if text[i - 1] not in OPENING and text[i] not in CLOSING)


def _cost(lines: list[str], limit: float) -> float | None:
    widths = [width(x) for x in lines]
    if max(widths) > limit or min(len(x) for x in lines) < 2:
        return None
    mean = sum(widths) / len(widths)
    cost = sum((w - mean) ** 2 for w in widths)
    n = len(widths)
    trapezoid = all(widths[i] >= widths[i + 1] for i in range(n - 1))
    peak = widths.index(max(widths))
    diamond = n >= 3 and 0 < peak < n - 1 and all(widths[i] <= widths[i + 1] for i in range(peak)) and \
        all(widths[i] >= widths[i + 1] for i in range(peak, n - 1))
    if not (trapezoid or diamond):
        cost += 50 + 10 * sum(max(0.0, widths[i + 1] - widths[i]) for i in range(n - 1))
    return cost


def _split(text: str, cuts, limit: float) -> list[str] | None:
    cuts = sorted(cuts)
    least = max(2, -(-int(width(text) * 2) // int(limit * 2)))
    best, best_cost = None, None
    for n in range(least, least + 3):
        if best is not None and n > least + 1:
            break  # a third extra line is only for titles that cannot be set otherwise
        for combo in combinations(cuts, n - 1):
            bounds = (0, *combo, len(text))
            lines = [text[a:b] for a, b in zip(bounds, bounds[1:])]
            cost = _cost(lines, limit)
            if cost is not None:
                cost += EXTRA_LINE * (n - least)  # one more line only to get the 梯形/菱形
                if best_cost is None or cost < best_cost:
                    best, best_cost = lines, cost
    return best


def break_title(text: str, forced: tuple[int, ...] = (), limit: float = LINE_WIDTH) -> list[str]:
    """The title's lines: forced breaks first, then each part broken at words, balanced."""
    bounds = (0, *forced, len(text))
    out = []
    for part in (text[a:b] for a, b in zip(bounds, bounds[1:])):
        if width(part) <= limit:
            out.append(part)
            continue
        lines = _split(part, boundaries(part), limit)
        if lines is None:  # one very long word: any place outside the marks' rules will do
            lines = _split(part, [i for i in range(1, len(part))
                                  if part[i - 1] not in OPENING and part[i] not in CLOSING], limit)
        out += lines or [part]
    return out
