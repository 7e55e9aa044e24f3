from __future__ import annotations

from pathlib import Path

import click

from archive.config import ArchiveConfig
from archive.store import Archive


@click.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--name", required=True, help="全宗名称 / 发文机关全称，如 高平市教育局。")
@click.option("--fonds", required=True, help="全宗号，如 A001。")
@click.option("--prefix", "prefixes", multiple=True, help="机关代字，可多次给出，如 --prefix 高教字。")
@click.option("--mark", default="", help="发文机关标志（默认：机关名称 + 文件）。")
@click.option("--department", "departments", multiple=True, metavar="代码=名称",
              help="机构（问题）代码，如 --department BGS=办公室。")
def init(directory, name, fonds, prefixes, mark, departments):
    """新建档案库：写入 wenshu.toml，建立收件箱和编号登记簿。"""
    depts = {}
    for item in departments:
        code, _, label = item.partition("=")
        depts[code.strip()] = label.strip()
    config = ArchiveConfig.from_dict({
        "fonds": {"code": fonds, "name": name},
        "organ": {"name": name, "mark": mark},
        "prefixes": [{"code": p} for p in prefixes],
        "departments": depts,
    }, source="命令行参数")
    archive = Archive.init(Path(directory), config)
    click.echo(f"已新建档案库：{archive.root}")
    click.echo(f"  全宗：{config.fonds_code} {config.fonds_name}")
    click.echo(f"  机关代字：{'、'.join(p.code for p in config.prefixes) or '（无，可在 wenshu.toml 中添加）'}")
    click.echo(f"  配置文件：{archive.config_path}")
