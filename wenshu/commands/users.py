"""``wenshu user add|list|passwd|disable|enable`` — the web app's accounts, for the 档案员 at the
command line (the same functions the web pages use: wenshu.web.accounts)."""

from __future__ import annotations

import sys

import click

from archive.errors import WenshuError
from wenshu.commands.common import archive_option, echo_json, json_option, open_archive, print_table

from wenshu.web.access import CLEARANCE_LABEL, ROLES

CLEARANCES = tuple(c for c in CLEARANCE_LABEL if c)


def _setup(archive_dir):
    from wenshu.web.settings import setup

    return setup(open_archive(archive_dir).root)


def _password(password, from_stdin, confirm=True) -> str:
    if password is not None and from_stdin:
        raise WenshuError("--password 与 --password-stdin 只能用一个。")
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if password is not None:
        return password
    return click.prompt("密码", hide_input=True, confirmation_prompt="再输入一次" if confirm else False)


def password_options(f):
    f = click.option("--password-stdin", "from_stdin", is_flag=True, help="从标准输入读一行作为密码（供脚本使用）。")(f)
    return click.option("--password", help="密码（会留在命令历史里；交互使用时省略此项，按提示输入）。")(f)


@click.group("user")
def user():
    """网页版的用户：新增、列出、改密码、停用。"""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="角色：文书、档案员、领导、查阅。")
@click.option("--clearance", type=click.Choice(CLEARANCES), default=None,
              help="可见密级：秘密、机密、绝密；不给出时只能看非密文件。")
@click.option("--department", default="", help="机构（问题）代码，如 BGS。")
@password_options
@archive_option
def add(username, role, clearance, department, password, from_stdin, archive_dir):
    """新增用户，如：wenshu user add 张三 --role 文书 --clearance 机密 --department BGS"""
    from wenshu.web import accounts

    arch = _setup(archive_dir)
    if department and department not in arch.config.departments:
        known = "、".join(arch.config.departments) or "（wenshu.toml 中未设机构）"
        raise WenshuError(f"机构代码“{department}”不在 wenshu.toml 中：已有 {known}。")
    acc = accounts.add_user(username, _password(password, from_stdin), role, clearance or "", department)
    click.echo(f"已新增用户 {acc.username}：角色 {acc.role}，可见密级 {acc.clearance or '无（仅非密）'}"
               + (f"，机构 {acc.department}" if acc.department else "") + "。")


@user.command("list")
@archive_option
@json_option
def list_(archive_dir, as_json):
    """列出所有用户。"""
    from dataclasses import asdict

    from wenshu.web import accounts

    _setup(archive_dir)
    rows = accounts.list_users()
    if as_json:
        echo_json([asdict(a) for a in rows])
        return
    if not rows:
        click.echo("还没有任何用户。用 wenshu user add 用户名 --role 档案员 新增。")
        return
    print_table(["用户名", "角色", "可见密级", "机构", "状态", "最近登录"],
                [[a.username, a.role, a.clearance or "无", a.department or "—", "启用" if a.active else "已停用",
                  a.last_login or "—"] for a in rows])


@user.command("passwd")
@click.argument("username")
@password_options
@archive_option
def passwd(username, password, from_stdin, archive_dir):
    """修改用户的密码。"""
    from wenshu.web import accounts

    _setup(archive_dir)
    accounts.set_password(username, _password(password, from_stdin))
    click.echo(f"已修改 {username} 的密码。")


@user.command("disable")
@click.argument("username")
@archive_option
def disable(username, archive_dir):
    """停用用户：不能再登录，已登录的会话立即结束；日志保留。"""
    from wenshu.web import accounts

    _setup(archive_dir)
    accounts.set_active(username, False)
    click.echo(f"已停用用户 {username}。")


@user.command("enable")
@click.argument("username")
@archive_option
def enable(username, archive_dir):
    """重新启用已停用的用户。"""
    from wenshu.web import accounts

    _setup(archive_dir)
    accounts.set_active(username, True)
    click.echo(f"已启用用户 {username}。")
