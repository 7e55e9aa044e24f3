"""click's own messages in Chinese (缺少选项、用法、显示此帮助并退出 …).

click writes its messages through ``gettext`` — each of its modules does
``from gettext import gettext as _`` (and ``ngettext``) at import. Measured on click 8.x: a
translation installed with ``gettext.install`` or a ``textdomain`` does not reach them without
a compiled .mo file on disk; rebinding ``_`` and ``ngettext`` in click's modules does, at once and
for this process only. ``install()`` does that; ``tidy`` turns click's English punctuation in a
composed message (``Missing option '--fonds'.``) into Chinese (缺少选项“--fonds”。).
"""

from __future__ import annotations

import importlib
import re

MESSAGES = {
    "Aborted!": "已中止！",
    "deprecated": "已弃用",
    "Missing command.": "缺少子命令。",
    "Options": "选项",
    "Positional arguments": "位置参数",
    "Commands": "命令",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}": "弃用警告：命令 {name!r} 已弃用。{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}": "弃用警告：{param_type} {name!r} 已弃用。{extra_message}",
    "Value must be an iterable.": "取值应为一组值。",
    "env var: {var}": "环境变量：{var}",
    "default: {default}": "默认：{default}",
    "(dynamic)": "（动态）",
    "Name '{name}' defined twice": "名称“{name}”定义了两次",
    "Do you want to continue?": "要继续吗？",
    "Confirm the action without prompting.": "不提示，直接确认。",
    "%(prog)s, version %(version)s": "%(prog)s，版本 %(version)s",
    "Show the version and exit.": "显示版本并退出。",
    "Show this message and exit.": "显示此帮助并退出。",
    "Missing argument": "缺少参数",
    "unknown error": "未知错误",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的取值不正确：{message}",
    "Missing option": "缺少选项",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "可用“{command} {option}”查看帮助。",
    "Missing parameter": "缺少参数",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Invalid value: {message}": "取值不正确：{message}",
    "Missing {param_type}": "缺少{param_type}",
    "Usage:": "用法:",
    "Invalid start character for option ({option})": "选项的开头字符不正确（{option}）",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带取值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Press any key to continue...": "按任意键继续……",
    "Repeat for confirmation": "再输入一次以确认",
    "Error: The two entered values do not match.": "错误：两次输入的不一致。",
    "Error: invalid input": "错误：输入无效",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} 不是是/否值。可用：{states}",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是目录。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不可执行。",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{editor}: Editing failed": "{editor}：编辑失败",
    "{editor}: Editing failed: {e}": "{editor}：编辑失败：{e}",
}
PLURALS = {  # (singular, plural) → one Chinese text (Chinese has no plural)
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"): "多余的参数（{args}）",
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."): "需要 {nargs} 个值，却给了 {len} 个。",
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"): "是不是要用 {possibilities}？",
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."): "选项 {name!r} 需要 {nargs} 个取值。",
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."): "{value!r} 不是可选值 {choices} 之一。",
    ("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}."):
        "{value!r} 不符合格式 {formats}。",
    ("{len_type} values are required, but {len_value} was given.",
     "{len_type} values are required, but {len_value} were given."): "需要 {len_type} 个值，却给了 {len_value} 个。",
}
TYPE_NAMES = {"StringParamType": "文本", "IntParamType": "整数", "IntRange": "整数范围", "FloatParamType": "数",
              "FloatRange": "数值范围", "BoolParamType": "是/否", "DateTime": "日期时间", "File": "文件名"}
MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types", "_termui_impl",
           "shell_completion", "utils")
OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]..."


def gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    text = PLURALS.get((singular, plural))
    if text is None:
        return singular if n == 1 else plural
    return text  # click formats with both placeholders given; one Chinese text uses one


def install() -> None:
    """Rebind click's message functions to the Chinese ones (idempotent)."""
    import click

    for name in MODULES:
        try:
            mod = importlib.import_module(f"click.{name}")
        except ImportError:  # e.g. _winconsole elsewhere
            continue
        if hasattr(mod, "_"):
            mod._ = gettext
        if hasattr(mod, "ngettext"):
            mod.ngettext = ngettext
    for cls_name, label in TYPE_NAMES.items():
        cls = getattr(click.types, cls_name, None)
        if cls is not None:
            cls.name = label


def tidy(message: str) -> str:
    """Chinese punctuation in a message click composed: '--fonds' → “--fonds”, a final . → 。"""
    message = re.sub(r"\s?'([^'\n]+)'\s?", r"“\1”", message).replace("”,“", "”、“")
    message = re.sub(r"(?<=[\u3000-\u9fff”）])\.(\s|$)", r"。\1", message)
    return re.sub(r"\.$", "。", message) if re.search(r"[\u4e00-\u9fff]", message) else message


def localize(command) -> None:
    """Usage lines in Chinese ([选项], 命令 [参数]...) for a command and its subcommands."""
    import click

    if getattr(command, "_zh", False):
        return
    command._zh = True
    if command.options_metavar == "[OPTIONS]":
        command.options_metavar = OPTIONS_METAVAR
    if isinstance(command, click.Group):
        if command.subcommand_metavar.startswith("COMMAND"):
            command.subcommand_metavar = SUBCOMMAND_METAVAR
        for sub in getattr(command, "commands", {}).values():
            localize(sub)
