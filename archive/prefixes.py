"""Adding a 机关代字 to wenshu.toml without editing the file by hand (the web app's 文号 page).

The new [[prefixes]] entry is appended, so the comments and layout the office wrote stay as they
are; the whole file is validated as ``ArchiveConfig`` would load it before it is replaced, so a
bad 代字 changes nothing. Errors name the field in Chinese.
"""

from __future__ import annotations

import json
import tomllib

from archive.config import ArchiveConfig, Prefix, write_config_text
from archive.docnumber import DocNumber
from archive.errors import WenshuError


class PrefixError(WenshuError):
    """A field of the new 代字 is wrong: ``field`` is its Chinese label."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def add_prefix(archive, code: str, purpose: str = "", counter: str = "") -> Prefix:
    """Append [[prefixes]] code/purpose/counter to the archive's wenshu.toml; → the new Prefix."""
    code, purpose, counter = (code or "").strip(), (purpose or "").strip(), (counter or "").strip()
    if not code:
        raise PrefixError("机关代字", "请填写“机关代字”，如“高教字”。")
    try:
        DocNumber(code, 2000, 1)
    except WenshuError as e:  # the one rule for a 代字: archive/docnumber.DocNumber
        raise PrefixError("机关代字", f"“机关代字”：{e}") from None
    config = ArchiveConfig.load(archive.config_path)
    if any(p.code == code for p in config.prefixes):
        raise PrefixError("机关代字", f"“机关代字”“{code}”已经配置过了。")
    if len(purpose) > 60:
        raise PrefixError("用途", f"“用途”最多 60 个字（现在 {len(purpose)} 个）。")
    if counter and counter != code and counter not in {p.series for p in config.prefixes}:
        known = "、".join(sorted({p.series for p in config.prefixes})) or "（无）"
        raise PrefixError("计数器", f"“计数器”“{counter}”不是已有的流水号（已有：{known}）；"
                                   "留空则此代字单独编号（小流水）。")
    q = lambda s: json.dumps(s, ensure_ascii=False)  # a TOML basic string
    entry = ["", "[[prefixes]]", f"code = {q(code)}", f"purpose = {q(purpose)}"]
    if counter and counter != code:
        entry.append(f"counter = {q(counter)}")
    text = archive.config_path.read_text(encoding="utf-8").rstrip("\n") + "\n" + "\n".join(entry) + "\n"
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:  # e.g. prefixes written as an inline array by hand
        raise PrefixError("机关代字", f"{archive.config_path.name} 的 prefixes 不是 [[prefixes]] 条目的写法，"
                                   f"无法自动追加（{e}）。请手工添加。") from None
    write_config_text(archive, text)  # the file as it will load, or nothing written
    return Prefix(code, purpose, counter if counter != code else "")
