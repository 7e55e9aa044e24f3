"""What every command shares: finding the archive, printing tables and JSON."""

from __future__ import annotations

import json
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
