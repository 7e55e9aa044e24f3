"""``wenshu serve`` — the office's web app over an archive (DESIGN §13)."""

from __future__ import annotations

import click

from wenshu.commands.common import archive_option, open_archive


@click.command("serve")
@archive_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="监听地址；只在本机使用时保持默认，办公室服务器上用 0.0.0.0。")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="端口。")
def serve(archive_dir, host, port):
    """启动网页版（检索、文件详情、审计日志），用浏览器访问。"""
    from wenshu.web import accounts
    from wenshu.web.server import application, serve as run

    archive = open_archive(archive_dir)
    app = application(archive.root)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"wenshu 网页版：档案库 {archive.root}")
    if accounts.count() == 0:
        click.echo("提示：还没有任何用户，无法登录。请先新建一个档案员账户，例如：\n"
                   f"  wenshu user add 张三 --role 档案员 --clearance 绝密 --archive \"{archive.root}\"")
    click.echo(f"请用浏览器打开 http://{shown}:{port}/ （按 Ctrl+C 停止）")
    run(app, host, port)
