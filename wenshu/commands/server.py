"""``wenshu server migrate|check`` — the office server (PostgreSQL) behind several clerks' machines
(archive/server.py; the web tables: wenshu/web/dbmove.py)."""

from __future__ import annotations

import click

from archive.errors import WenshuError
from wenshu.commands.common import archive_option, echo_json, json_option, open_archive, print_table


@click.group("server")
def server():
    """数据库服务器（PostgreSQL）：迁移本地登记簿和网页数据、检查服务器。"""


@server.command("migrate")
@archive_option
@json_option
def migrate(archive_dir, as_json):
    """把本地编号登记簿和网页数据复制到 [server] database，逐行核对后把本地文件标记为已迁移。可重复运行。"""
    from archive.server import migrate as run
    from wenshu.web.dbmove import move_web_tables

    a = open_archive(archive_dir)
    result = run(a)
    counts = {**result.counts, **move_web_tables(a)}
    if as_json:
        echo_json({"数据库": result.database, "此前已迁移": result.already_moved,
                   "核对": {t: {"本地": m, "服务器上找到": f} for t, (m, f) in counts.items()}})
        return
    print_table(["表", "本地行数", "服务器上找到"], [[t, m, f] for t, (m, f) in counts.items()],
                title=f"已迁移到 {result.database}，逐行核对无误")
    click.echo("本地 registry.sqlite 已保留并标记为已迁移，此后只读。")


@server.command("check")
@archive_option
@json_option
def check(archive_dir, as_json):
    """检查数据库服务器：连接、表结构版本、时钟、权限、档案库文件夹与全宗。"""
    from archive.server import check as run

    findings = run(open_archive(archive_dir))
    if as_json:
        echo_json([{"项目": f.item, "正常": f.ok, "说明": f.detail} for f in findings])
    else:
        print_table(["项目", "结果", "说明"], [[f.item, "正常" if f.ok else "有问题", f.detail] for f in findings])
    if not all(f.ok for f in findings):
        raise WenshuError("数据库服务器检查未通过，见上表。")
