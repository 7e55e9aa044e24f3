"""Charts for the 督查报告, drawn with matplotlib (Agg, no display) in the project's Chinese fonts.

The labels use the fonts the PDFs use (Fandol 黑体 first, Noto Sans CJK SC after): a chart whose
Chinese falls back to boxes is worse than none, so a missing font is an error, not a warning.
"""

from __future__ import annotations

from pathlib import Path

from archive.errors import WenshuError

FONT_FILES = (
    Path("/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol/FandolHei-Regular.otf"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)


def chinese_font():
    """A matplotlib FontProperties for Chinese labels, found on disk or through fontconfig."""
    from matplotlib.font_manager import FontProperties

    for f in FONT_FILES:
        if f.exists():
            return FontProperties(fname=str(f))
    import subprocess

    try:
        out = subprocess.run(["fc-match", "-f", "%{file}", "Noto Sans CJK SC:lang=zh-cn"], capture_output=True,
                             text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    if out and Path(out).exists() and ("CJK" in out or "Fandol" in out):
        return FontProperties(fname=out)
    raise WenshuError("找不到中文字体（Fandol 或 Noto Sans CJK），无法绘制督查报告的图表。"
                      "请安装 fonts-noto-cjk 或 texlive-lang-chinese。")


def bar_chart(path: Path, title: str, counts: dict[str, int], *, unit: str = "条") -> Path:
    """A horizontal bar chart of counts, each bar labelled with its number."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = chinese_font()
    labels, values = list(counts), [counts[k] for k in counts]
    fig, ax = plt.subplots(figsize=(6.0, 0.55 * max(len(labels), 2) + 1.0), dpi=150)
    try:
        bars = ax.barh(range(len(labels)), values, color="#4a6fa5")
        ax.set_yticks(range(len(labels)))
        ax.set_yticklabels(labels, fontproperties=font, fontsize=10)
        ax.invert_yaxis()
        ax.set_title(title, fontproperties=font, fontsize=12)
        top = max(values or [1])
        ax.set_xlim(0, top * 1.2 + 0.5)
        ax.xaxis.get_major_locator().set_params(integer=True)
        for b, v in zip(bars, values):
            ax.text(b.get_width() + top * 0.02 + 0.05, b.get_y() + b.get_height() / 2, f"{v}{unit}",
                    va="center", fontproperties=font, fontsize=9)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path
