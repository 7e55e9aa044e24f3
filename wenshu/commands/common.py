"""What every command shares: finding the archive, printing tables and JSON."""

from __future__ import annotations

import errno
import json
import os
import sys
from datetime import date

import click

from archive.errors import WenshuError
from archive.store import ENV_VAR, Archive


def archive_option(f):
    return click.option("--archive", "archive_dir", envvar=ENV_VAR, type=click.Path(file_okay=False),
                        help=f"档案库目录（默认：环境变量 {ENV_VAR}，或当前目录及其上级）。")(f)


def json_option(f):
    return click.option("--json", "as_json", is_flag=True, help="以 JSON 输出，供脚本使用。")(f)


def open_archive(archive_dir: str | None) -> Archive:
    """The archive, with its wenshu.toml [limits] in force for every file this process reads."""
    from archive.extract import use_limits

    archive = Archive.find(archive_dir)
    use_limits(archive.config.limits)
    return archive


def echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str))


def print_table(columns: list[str], rows: list[list], title: str | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for i, c in enumerate(columns):
        table.add_column(c, overflow="fold", no_wrap=(i == 0))
    for r in rows:
        table.add_row(*[str(v) for v in r])
    Console(file=sys.stdout, width=None if sys.stdout.isatty() else 160).print(table)


def parse_date(value: str | None, field: str = "--date") -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise WenshuError(f"{field} 的日期“{value}”不正确：应写成 2022-03-25 这样的格式。") from None


def year_of(year: int | None, when: str | None) -> int:
    """The year a number belongs to: the document's 成文日期, else --year, else this year."""
    d = parse_date(when)
    if d and year and d.year != year:
        raise WenshuError(f"--year {year} 与 --date {when} 的年份不一致。")
    return d.year if d else (year or date.today().year)


def os_error_message(e: OSError) -> str:
    """What a user reads when the disk refuses (full, read-only, no permission, a file gone):
    which file, and what to do — instead of an OSError traceback."""
    code = e.errno
    names = [n for n in (e.filename, e.filename2) if n not in (None, "")]
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EROFS) and e.filename2:
        names = [e.filename2]  # a copy: the file being written is the one the disk refuses
    where = "、".join(os.fsdecode(n) if isinstance(n, bytes) else str(n) for n in names)
    target = f" {where}" if where else ""
    if code == errno.ENOSPC or code == errno.EDQUOT:
        what = "磁盘空间不足" if code == errno.ENOSPC else "磁盘配额已用完"
        return (f"{what}，无法写入{target or '档案库'}。本次操作未完成；请清理磁盘（或把档案库移到空间更大的磁盘）后重试，"
                "然后运行 wenshu check 检查档案库。")
    if code == errno.EROFS:
        return (f"{where or '档案库'}所在的磁盘是只读的，无法写入。请把它重新挂载为可写（或把档案库复制到可写的磁盘）后重试。")
    if code in (errno.EACCES, errno.EPERM):
        return (f"没有权限读写{target or '所需的文件'}（{e.strerror}）。请让运行 wenshu 的用户对它有读写权限"
                "（Linux：用 ls -l 查看，chmod u+w 或 chown 修复；Windows：取消“只读”属性或检查共享权限）后重试。")
    if code == errno.ENOENT:
        return f"找不到{target or '所需的文件'}（可能在操作过程中被删除或移走）。请重试；如果反复出现，请运行 wenshu check。"
    if isinstance(e, InterruptedError):
        return "操作被中断，请重试。"
    name = errno.errorcode.get(code, "") if code else ""
    return f"读写{target or '文件'}时出错：{e.strerror or e}{f'（{name}）' if name else ''}。请检查磁盘和文件后重试。"
