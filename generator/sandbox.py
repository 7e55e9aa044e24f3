"""Templates are data, not code (模板只是数据): the one Jinja environment every template renders in,
and the check that a user's template uses nothing but what a manifest-driven template needs.

A template can come from anyone — a school, a neighbouring county, a download — and Jinja is a
programming language: ``().__class__.__base__.__subclasses__()`` reaches ``os.system`` from a plain
``{% for %}``. Two fences, each enough alone:

- Rendering (built-in and user templates alike) happens in ``ImmutableSandboxedEnvironment``, which
  refuses underscore attributes, unsafe callables and mutation at run time, with only the filters,
  tests and globals below.
- Loading a user template walks its Jinja syntax tree and refuses anything beyond variables
  (``{{ 字段 }}``, ``{{ 项.属性 }}``), ``{% for 项 in 字段 %}`` and ``{% if %}``/``{% elif %}``/``{% else %}``:
  no calls except ``range`` over small numbers, no underscore names, no ``set``/``macro``/``include``,
  no filter outside ``FILTERS``, no multiplication that could blow a string up. The message names
  the offending tag as written in the document and the file.
"""

from __future__ import annotations

import re

from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from archive.errors import WenshuError

# What a 公文 template can reasonably want; ``safe`` is left out on purpose (it would switch off
# the escaping that keeps a value such as "</w:t>" from breaking the document), and so are the
# filters whose output size a template could choose (center, indent, wordwrap, format, …).
FILTERS = ("default", "d", "join", "length", "count", "upper", "lower", "trim", "replace", "first", "last",
           "string", "int", "capitalize", "title", "truncate")
TESTS = ("defined", "undefined", "none", "number", "string", "sameas", "eq", "ne", "even", "odd", "in")
MAX_CONST = 100  # the largest number a template may write (in range(), arithmetic): blank-line loops

_COMPARE_OPS = {"eq", "ne", "lt", "gt", "lteq", "gteq", "in", "notin"}
_TAG_NAMES = {"Assign": "set", "AssignBlock": "set", "Macro": "macro", "CallBlock": "call",
              "FilterBlock": "filter", "With": "with", "Include": "include", "Import": "import",
              "FromImport": "from … import", "Extends": "extends", "Block": "block", "ExprStmt": "do",
              "Scope": "scope", "ScopedEvalContextModifier": "autoescape", "EvalContextModifier": "autoescape"}
ALLOWED_HINT = ("模板只能使用字段占位符 {{ 字段名 }}、{{ 项.属性 }}，以及对清单字段的 {% for 项 in 字段 %}…{% endfor %}、"
                "{% if 字段 %}…{% else %}…{% endif %}")


class _Sandbox(ImmutableSandboxedEnvironment):
    def unsafe_undefined(self, obj, attribute):
        # Jinja's sandbox returns an Undefined that prints as "" and fails only when used further;
        # a template that touches an internal attribute is stopped at that point instead.
        raise SecurityError(f"不允许访问 {type(obj).__name__} 对象的属性“{attribute}”")


def environment(keep_trailing_newline: bool = False) -> ImmutableSandboxedEnvironment:
    """A fresh sandbox (docxtpl sets ``autoescape`` on the environment it is given, so none is shared)."""
    env = _Sandbox(autoescape=True, keep_trailing_newline=keep_trailing_newline)
    env.filters = {name: env.filters[name] for name in FILTERS}
    env.tests = {name: env.tests[name] for name in TESTS}
    env.globals = {"range": env.globals["range"]}  # the sandbox's range, capped at 100,000 items
    return env


class _Refused(Exception):
    def __init__(self, node: nodes.Node, reason: str, hint: str = ""):
        super().__init__(reason)
        self.lineno = getattr(node, "lineno", 1) or 1
        self.reason = reason
        self.hint = hint


def _int_const(node: nodes.Node) -> bool:
    return (isinstance(node, nodes.Const) and isinstance(node.value, int) and not isinstance(node.value, bool)
            and abs(node.value) <= MAX_CONST)


def _loop_attr(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.node.name == "loop"


class _Checker:
    def stmt(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.Template):
            self.body(node.body)
        elif isinstance(node, nodes.Output):
            for child in node.nodes:
                if not isinstance(child, nodes.TemplateData):
                    self.expr(child)
        elif isinstance(node, nodes.For):
            if node.recursive:
                raise _Refused(node, "使用了递归循环（recursive）", "recursive")
            self.target(node.target)
            self.expr(node.iter)
            if node.test is not None:
                self.expr(node.test)
            self.body(node.body)
            self.body(node.else_)
        elif isinstance(node, nodes.If):
            self.expr(node.test)
            self.body(node.body)
            for branch in node.elif_:
                self.stmt(branch)
            self.body(node.else_)
        else:
            tag = _TAG_NAMES.get(type(node).__name__, type(node).__name__)
            raise _Refused(node, f"使用了不允许的标签 {{% {tag} %}}", tag.split()[0])

    def body(self, items) -> None:
        for item in items or ():
            self.stmt(item)

    def target(self, node: nodes.Node) -> None:
        names = node.items if isinstance(node, nodes.Tuple) else [node]
        for n in names:
            if not isinstance(n, nodes.Name):
                raise _Refused(node, "循环变量只能是简单的名字")
            if n.name.startswith("_") and n.name != "_":
                raise _Refused(n, f"使用了以下划线开头的名字“{n.name}”", n.name)

    def expr(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.Const):
            if isinstance(node.value, (int, float)) and not isinstance(node.value, bool) and abs(node.value) > MAX_CONST:
                raise _Refused(node, f"数字 {node.value} 太大（模板中的数字不能超过 {MAX_CONST}）", str(node.value))
            if not isinstance(node.value, (str, int, float, bool, type(None))):
                raise _Refused(node, "使用了不允许的常量")
        elif isinstance(node, nodes.Name):
            if node.name.startswith("_") and node.name != "_":
                raise _Refused(node, f"使用了以下划线开头的名字“{node.name}”", node.name)
        elif isinstance(node, nodes.Getattr):
            if node.attr.startswith("_"):
                raise _Refused(node, f"访问了属性“{node.attr}”（以下划线开头的名字属于程序内部）", node.attr)
            self.expr(node.node)
        elif isinstance(node, nodes.Getitem):
            arg = node.arg
            if not (isinstance(arg, nodes.Const) and isinstance(arg.value, (str, int)) and not isinstance(arg.value, bool)):
                raise _Refused(node, "下标只能是写定的名字或数字", "[")
            if isinstance(arg.value, str) and arg.value.startswith("_"):
                raise _Refused(node, f"访问了属性“{arg.value}”（以下划线开头的名字属于程序内部）", arg.value)
            self.expr(node.node)
        elif isinstance(node, nodes.Compare):
            self.expr(node.expr)
            for op in node.ops:
                if op.op not in _COMPARE_OPS:
                    raise _Refused(node, f"使用了不允许的比较“{op.op}”")
                self.expr(op.expr)
        elif isinstance(node, (nodes.And, nodes.Or, nodes.Add, nodes.Sub, nodes.Concat, nodes.CondExpr,
                               nodes.Not, nodes.Neg, nodes.Pos, nodes.Tuple, nodes.List)):
            for child in node.iter_child_nodes():
                self.expr(child)
        elif isinstance(node, nodes.Mul):
            # docxtpl's {% hm %} writes "N * loop.length"; nothing else may multiply (a string times a number)
            for side in (node.left, node.right):
                if not (_int_const(side) or _loop_attr(side)):
                    raise _Refused(node, "乘法只能用于数字和 loop 的属性", "*")
        elif isinstance(node, nodes.Filter):
            if node.name not in FILTERS:
                raise _Refused(node, f"使用了不允许的过滤器“{node.name}”（允许的过滤器：{'、'.join(FILTERS)}）",
                               node.name)
            self.call_args(node)
            if node.node is not None:
                self.expr(node.node)
        elif isinstance(node, nodes.Test):
            if node.name not in TESTS:
                raise _Refused(node, f"使用了不允许的判断“is {node.name}”", node.name)
            self.call_args(node)
            self.expr(node.node)
        elif isinstance(node, nodes.Call):
            if not (isinstance(node.node, nodes.Name) and node.node.name == "range"):
                raise _Refused(node, f"调用了函数或方法（{_describe(node.node)}）；模板中不能调用函数", _describe(node.node))
            if node.kwargs or node.dyn_args or node.dyn_kwargs or not 1 <= len(node.args) <= 3:
                raise _Refused(node, "range() 只能写 1 到 3 个数字参数", "range")
            for arg in node.args:
                self.number(arg)
        else:
            raise _Refused(node, f"使用了不允许的表达式（{type(node).__name__}）")

    def call_args(self, node) -> None:
        if node.dyn_args or node.dyn_kwargs:
            raise _Refused(node, "过滤器参数不能用 * 或 ** 展开", node.name)
        for arg in [*node.args, *(k.value for k in node.kwargs)]:
            self.expr(arg)

    def number(self, node: nodes.Node) -> None:
        """range() arguments: small integers and names (a system value such as pad_lines), + and -."""
        if _int_const(node) or isinstance(node, nodes.Name) and not node.name.startswith("_") or _loop_attr(node):
            return
        if isinstance(node, (nodes.Add, nodes.Sub)):
            self.number(node.left)
            self.number(node.right)
            return
        if isinstance(node, nodes.Neg):
            self.number(node.node)
            return
        raise _Refused(node, f"range() 的参数只能是不超过 {MAX_CONST} 的整数和字段名", "range")


def _describe(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_describe(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return f"{_describe(node.node)}[{node.arg.value!r}]"
    if isinstance(node, nodes.Call):
        return f"{_describe(node.node)}()"
    return "…"


_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


def _tag_text(source: str, lineno: int, hint: str) -> str:
    """The tag as the author wrote it (XML markup removed), so the message can quote it."""
    lines = source.split("\n")
    near = "\n".join(lines[max(0, lineno - 1):lineno + 2])
    tags = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", t)) for t in _TAG.findall(near)]
    pick = next((t for t in tags if hint and hint in t), tags[0] if tags else "")
    return pick if len(pick) <= 200 else pick[:200] + "…"


def check_source(source: str, where: str) -> None:
    """Refuse a template source that goes beyond variables, for and if (WenshuError naming the tag).

    ``where`` names the file and part for the message; a Jinja syntax error propagates as such."""
    tree = environment().parse(source)
    try:
        _Checker().stmt(tree)
    except _Refused as e:
        tag = _tag_text(source, e.lineno, e.hint)
        raise WenshuError(f"{where}“{tag}”不被允许：{e.reason}。{ALLOWED_HINT}。") from None
