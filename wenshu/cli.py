"""The ``wenshu`` command. Subcommands load lazily so that ``wenshu search`` does not pay
for importing the document generator, and the other way round."""

from __future__ import annotations

import importlib
import sys

import click

import wenshu.indexing  # noqa: F401  registers the index as the archive's one change subscriber
from archive.errors import WenshuError
from wenshu import __version__, click_zh

# name → "module:function"; the order is the order of ``wenshu --help``.
COMMANDS = {
    "init": "wenshu.commands.setup:init",
    "number": "wenshu.commands.number:number",
    "templates": "wenshu.commands.generate:templates",
    "template": "wenshu.commands.generate:template",
    "new": "wenshu.commands.generate:new",
    "batch": "wenshu.commands.generate:batch",
    "layout-check": "wenshu.commands.generate:layout_check",
    "file": "wenshu.commands.records:file_",
    "show": "wenshu.commands.records:show",
    "list": "wenshu.commands.records:list_",
    "edit": "wenshu.commands.records:edit",
    "case": "wenshu.commands.records:case",
    "revise": "wenshu.commands.lifecycle:revise",
    "restore": "wenshu.commands.lifecycle:restore",
    "versions": "wenshu.commands.lifecycle:versions",
    "final": "wenshu.commands.lifecycle:final",
    "withdraw": "wenshu.commands.lifecycle:withdraw",
    "attach": "wenshu.commands.lifecycle:attach",
    "check": "wenshu.commands.records:check",
    "ocr": "wenshu.commands.ocr:ocr",
    "watch": "wenshu.commands.watch:watch",
    "search": "wenshu.commands.search:search",
    "index": "wenshu.commands.search:index",
    "export": "wenshu.commands.transfer:export",
    "verify": "wenshu.commands.transfer:verify",
    "import": "wenshu.commands.transfer:import_",
    "campaign": "wenshu.commands.campaign:campaign",
    "clue": "wenshu.commands.campaign:clue",
    "rectify": "wenshu.commands.campaign:rectify",
    "pledge": "wenshu.commands.pledge:pledge",
    "serve": "wenshu.commands.serve:serve",
    "user": "wenshu.commands.users:user",
    "server": "wenshu.commands.server:server",
}


click_zh.install()


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name].split(":")
        command = getattr(importlib.import_module(module), attr)
        click_zh.localize(command)
        return command

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """click's standalone handling, with its composed messages in Chinese punctuation."""
        click_zh.localize(self)
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as e:
            composed = e.format_message
            e.format_message = lambda: click_zh.tidy(composed())
            e.show()
            sys.exit(e.exit_code)
        except click.exceptions.Abort:
            click.echo(click_zh.gettext("Aborted!"), err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except WenshuError as e:
            click.echo(f"错误：{e}", err=True)
            sys.exit(e.exit_code)
        except OSError as e:  # disk full, read-only, no permission: a message naming the file
            from wenshu.commands.common import os_error_message

            click.echo(f"错误：{os_error_message(e)}", err=True)
            sys.exit(1)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wenshu")
def main():
    """wenshu 文书：公文的生成、编号、归档、检索与移交。"""
