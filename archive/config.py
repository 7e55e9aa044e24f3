"""wenshu.toml — an archive's configuration: 全宗, issuing organ, 机关代字, 机构代码, defaults.

The file is written once by ``wenshu init`` with Chinese comments, then edited by hand by
whoever runs the office, so loading it validates every key and names the one that is wrong.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from archive.archival_code import _FONDS, _ORG, Retention
from archive.docnumber import DocNumber
from archive.errors import WenshuError
from archive.limits import Limits

CONFIG_NAME = "wenshu.toml"
CLASSIFICATIONS = ("", "秘密", "机密", "绝密")  # 密级; "" means not classified


@dataclass(frozen=True)
class Prefix:
    """One 机关代字 and the counter it draws from.

    Several 代字 that name the same ``counter`` share one sequence per year (大流水);
    by default each has its own (小流水).
    """

    code: str
    purpose: str = ""
    counter: str = ""

    @property
    def series(self) -> str:
        return self.counter or self.code


@dataclass(frozen=True)
class ArchiveConfig:
    fonds_code: str  # 全宗号
    fonds_name: str  # 全宗名称
    organ_name: str  # 发文机关全称
    organ_mark: str  # 发文机关标志, e.g. 高平市教育局文件
    prefixes: tuple[Prefix, ...] = ()
    departments: dict[str, str] = field(default_factory=dict)  # 机构(问题)代码 → 名称
    retention: Retention = Retention.YEARS_30
    classification: str = ""
    extra: dict = field(default_factory=dict)  # sections later features read (e.g. registry URL)

    @property
    def database(self) -> str | None:
        """[server] database: the postgresql:// URL of the office server, or None (SQLite in the folder)."""
        return (self.extra.get("server") or {}).get("database") or None

    @property
    def search_engine(self) -> str:
        """[search] engine: "whoosh" (the index in .wenshu/, the default) or "postgres" (the index
        in the office server's database, for archives several machines search or millions of records)."""
        return (self.extra.get("search") or {}).get("engine") or "whoosh"

    @property
    def search_table(self) -> str:
        """[search] table: the index's table in that database (several archives may share one)."""
        return (self.extra.get("search") or {}).get("table") or "wenshu_docs"

    @property
    def limits(self) -> Limits:
        """[limits]: validated at load time, so a bad value is reported before any work starts."""
        return Limits.from_section(self.extra.get("limits"))

    def prefix(self, code: str) -> Prefix:
        for p in self.prefixes:
            if p.code == code:
                return p
        known = "、".join(p.code for p in self.prefixes) or "（尚未配置）"
        raise WenshuError(
            f"未知的机关代字“{code}”。本档案库已配置的机关代字：{known}。"
            f"如需新增，请在 {CONFIG_NAME} 中添加一个 [[prefixes]] 条目。"
        )

    @classmethod
    def load(cls, path: Path) -> "ArchiveConfig":
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise WenshuError(f"找不到配置文件 {path}。") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise WenshuError(f"配置文件 {path} 无法解析：{e}。请检查引号和括号是否成对。") from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: dict, source: str = CONFIG_NAME) -> "ArchiveConfig":
        def section(name: str, label: str) -> dict:
            value = data.get(name, {})
            if not isinstance(value, dict):
                raise WenshuError(f"{source}：[{name}]（{label}）应为一个表。")
            return value

        def text(sec: dict, secname: str, key: str, label: str, required: bool = True) -> str:
            value = sec.get(key, "")
            if not isinstance(value, str):
                raise WenshuError(f"{source}：{secname}.{key}（{label}）应为文字，现在是 {value!r}。")
            value = value.strip()
            if required and not value:
                raise WenshuError(f"{source}：缺少 {secname}.{key}（{label}）。")
            return value

        fonds = section("fonds", "全宗")
        organ = section("organ", "发文机关")
        fonds_code = text(fonds, "fonds", "code", "全宗号")
        if not _FONDS.fullmatch(fonds_code):
            raise WenshuError(f"{source}：fonds.code（全宗号）“{fonds_code}”应为 1–10 位字母或数字，如 A001。")
        fonds_name = text(fonds, "fonds", "name", "全宗名称")
        organ_name = text(organ, "organ", "name", "发文机关全称", required=False) or fonds_name
        organ_mark = text(organ, "organ", "mark", "发文机关标志", required=False) or f"{organ_name}文件"

        raw_prefixes = data.get("prefixes", [])
        if not isinstance(raw_prefixes, list):
            raise WenshuError(f"{source}：prefixes（机关代字）应写成 [[prefixes]] 条目。")
        prefixes, seen = [], set()
        for i, entry in enumerate(raw_prefixes, 1):
            where = f"第 {i} 个 [[prefixes]]"
            if not isinstance(entry, dict):
                raise WenshuError(f"{source}：{where} 应为一个表。")
            code = text(entry, where, "code", "机关代字")
            try:
                DocNumber(code, 2000, 1)
            except WenshuError:
                raise WenshuError(f"{source}：{where} 的 code（机关代字）“{code}”应为汉字，如“高教字”。") from None
            if code in seen:
                raise WenshuError(f"{source}：机关代字“{code}”重复配置。")
            seen.add(code)
            prefixes.append(Prefix(code, text(entry, where, "purpose", "用途", required=False),
                                   text(entry, where, "counter", "计数器", required=False)))

        departments = section("departments", "机构（问题）代码")
        for code, name in departments.items():
            if not _ORG.fullmatch(code):
                raise WenshuError(f"{source}：departments 中的机构代码“{code}”应为 1–10 位字母或数字，如 BGS。")
            if not isinstance(name, str) or not name.strip():
                raise WenshuError(f"{source}：departments.{code}（机构名称）应为非空文字。")

        defaults = section("defaults", "默认值")
        try:
            retention = Retention.parse(defaults.get("retention", "D30"))
        except WenshuError as e:
            raise WenshuError(f"{source}：defaults.retention（默认保管期限）：{e}") from None
        classification = text(defaults, "defaults", "classification", "默认密级", required=False)
        if classification not in CLASSIFICATIONS:
            raise WenshuError(f"{source}：defaults.classification（默认密级）应为空、秘密、机密或绝密。")

        Limits.from_section(data.get("limits"), source)
        _check_server(section("server", "数据库服务器"), source)
        _check_search(section("search", "全文检索"), section("server", "数据库服务器"), source)
        known = {"fonds", "organ", "prefixes", "departments", "defaults"}
        return cls(fonds_code, fonds_name, organ_name, organ_mark, tuple(prefixes),
                   dict(departments), retention, classification,
                   {k: v for k, v in data.items() if k not in known})

    def to_toml(self) -> str:
        """The file ``wenshu init`` writes: every key commented in Chinese for the person who edits it."""
        q = lambda s: json.dumps(s, ensure_ascii=False)  # a TOML basic string
        lines = [
            "# wenshu 档案库配置。修改后运行任一 wenshu 命令即会检查；出错时会指出是哪一项。",
            "",
            "[fonds]  # 全宗",
            f"code = {q(self.fonds_code)}  # 全宗号（档号的第一段）",
            f"name = {q(self.fonds_name)}  # 全宗名称",
            "",
            "[organ]  # 发文机关",
            f"name = {q(self.organ_name)}  # 发文机关全称（署名）",
            f"mark = {q(self.organ_mark)}  # 发文机关标志（红头）",
            "",
            "# 机关代字：每个代字每年一个流水号（小流水）；几个代字填同一个 counter 则共用一个流水号（大流水）。",
        ]
        for p in self.prefixes:
            lines += ["[[prefixes]]", f"code = {q(p.code)}", f"purpose = {q(p.purpose)}"]
            if p.counter:
                lines.append(f"counter = {q(p.counter)}")
            lines.append("")
        lines.append("[departments]  # 机构（问题）代码 = 名称，用于档号")
        lines += [f"{code} = {q(name)}" for code, name in self.departments.items()]
        lines += [
            "",
            "[defaults]",
            f"retention = {q(self.retention.value)}  # 默认保管期限：Y 永久 / D30 定期30年 / D10 定期10年",
            f"classification = {q(self.classification)}  # 默认密级：空、秘密、机密、绝密",
            "",
        ]
        return "\n".join(lines)


def write_config_text(archive, text: str) -> "ArchiveConfig":
    """Replace the archive's wenshu.toml by ``text`` (what a page or a command adds to the file the
    office wrote, comments kept), only once it loads as ``ArchiveConfig`` would load it: a bad value
    changes nothing. The Archive reads the new file next time. → the new configuration."""
    from archive.fsutil import atomic_write_text

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise WenshuError(f"{archive.config_path.name} 无法自动修改（{e}）。请手工修改。") from None
    config = ArchiveConfig.from_dict(data, source=str(archive.config_path))
    atomic_write_text(archive.config_path, text)
    archive.__dict__.pop("config", None)
    return config


SEARCH_ENGINES = ("whoosh", "postgres")
SEARCH_TABLE = re.compile(r"[a-z_][a-z0-9_]{0,50}")


def _check_search(search: dict, server: dict, source: str) -> None:
    """[search] engine = "whoosh" | "postgres", table = "wenshu_docs" (postgres only)."""
    unknown = set(search) - {"engine", "table"}
    if unknown:
        raise WenshuError(f"{source}：[search] 中有未知的设置 {'、'.join(sorted(unknown))}（只支持 engine 和 table）。")
    engine = search.get("engine", "whoosh")
    if engine not in SEARCH_ENGINES:
        raise WenshuError(f"{source}：search.engine（检索引擎）应为 \"whoosh\"（本机索引）或 \"postgres\""
                          f"（数据库服务器），现在是“{engine}”。")
    if engine == "postgres" and not str(server.get("database") or "").strip():
        raise WenshuError(f"{source}：search.engine = \"postgres\" 需要数据库服务器：请在 [server] 中填写 "
                          "database = \"postgresql://用户@主机/库名\"。")
    table = search.get("table", "wenshu_docs")
    if not isinstance(table, str) or not SEARCH_TABLE.fullmatch(table):
        raise WenshuError(f"{source}：search.table（索引表名）“{table}”不正确：应为小写字母、数字和下划线，"
                          "以字母开头，如 \"wenshu_docs\"。")


def _check_server(server: dict, source: str) -> None:
    """[server] database = "postgresql://用户@主机/库名": the password never goes in this file
    (wenshu.toml travels with the archive); libpq reads it from PGPASSWORD or ~/.pgpass."""
    from urllib.parse import urlsplit

    unknown = set(server) - {"database"}
    if unknown:
        raise WenshuError(f"{source}：[server] 中有未知的设置 {'、'.join(sorted(unknown))}（只支持 database）。")
    url = server.get("database", "")
    if not isinstance(url, str):
        raise WenshuError(f"{source}：server.database（数据库地址）应为文字，如 \"postgresql://wenshu@db.office/wenshu\"。")
    if not url.strip():
        return
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 — raises on a bad port
    except ValueError as e:
        raise WenshuError(f"{source}：server.database（数据库地址）“{url}”无法解析：{e}。") from None
    if parts.scheme not in ("postgresql", "postgres"):
        raise WenshuError(f"{source}：server.database（数据库地址）应以 postgresql:// 开头，现在是“{url}”。")
    if parts.password is not None or "password=" in parts.query:
        raise WenshuError(f"{source}：server.database（数据库地址）中含有密码。密码不要写进 {CONFIG_NAME}"
                          "（它随档案库复制和移交），请放在环境变量 PGPASSWORD 或 ~/.pgpass 中。")
    if not parts.path.strip("/"):
        raise WenshuError(f"{source}：server.database（数据库地址）“{url}”缺少数据库名，如 postgresql://wenshu@db.office/wenshu。")
