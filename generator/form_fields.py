"""Template manifests (模板清单) and field validation (字段校验).

A manifest (``NAME.yaml`` next to ``NAME.docx``) says what a template is for and which fields
it takes: name, Chinese label, type, required, default, help. Values arrive from YAML/JSON,
``--set 字段=值`` or a spreadsheet row, keyed by field name or by Chinese label; every check
happens before a number is allocated, and every message names the field by its Chinese label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import yaml

from archive.elements import parse_date as read_date
from archive.errors import WenshuError
from generator.body import parse_body
from generator.title import Title

TYPES = {"text": "文字", "multiline": "多行文字", "body": "正文", "date": "日期", "list": "列表",
         "number": "数字", "choice": "选项", "attachments": "附件"}
KINDS = ("notice", "letter", "plain")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: str = "text"
    required: bool = False
    default: object = None
    help: str = ""
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    split: str = ""  # extra separators for a list given as one line (e.g. "，、" for organ names)

    @property
    def limit(self) -> int:
        if self.max_length:
            return self.max_length
        return {"text": 200, "multiline": 5000, "body": 30000, "list": 2000}.get(self.type, 200)


@dataclass(frozen=True)
class Manifest:
    name: str
    label: str
    purpose: str
    kind: str  # layout checked by layout-check: notice (文件格式) | letter (信函格式) | plain
    numbering: str  # "文号" | "编号" | ""
    doc_type: str  # 文种
    fields: tuple[Field, ...]
    prefix_hint: tuple[str, ...] = ()  # prefer a 机关代字 containing one of these
    serial_series: str = ""
    filename: str = ""  # file name pattern for documents without a 文号, e.g. "承诺书-{serial}-{name}"
    source: str = ""
    qr: str = ""  # what the template's QR slot holds, e.g. "WSP|{campaign}|{serial}" (generator.qrslot)

    def field(self, key: str) -> Field | None:
        key = str(key).strip()
        for f in self.fields:
            if key in (f.name, f.label):
                return f
        return None

    @classmethod
    def load(cls, path: Path) -> "Manifest":
        path = Path(path)
        data = read_yaml(path, f"模板缺少清单文件 {path.name}（应与 .docx 放在一起，列出模板的字段）。",
                         f"模板清单 {path.name}")
        return cls.from_dict(data, source=path.name)

    @classmethod
    def from_dict(cls, data, source: str = "清单") -> "Manifest":
        if not isinstance(data, dict):
            raise WenshuError(f"模板清单 {source} 应为一个映射（name、label、fields …）。")
        fields, seen = [], set()
        raw_fields = data.get("fields") or []
        if not isinstance(raw_fields, list):
            raise WenshuError(f"模板清单 {source}：fields 应为列表。")
        for i, f in enumerate(raw_fields, 1):
            if not isinstance(f, dict) or not f.get("name"):
                raise WenshuError(f"模板清单 {source}：第 {i} 个字段缺少 name。")
            name = str(f["name"])
            ftype = str(f.get("type", "text"))
            if ftype not in TYPES:
                raise WenshuError(f"模板清单 {source}：字段 {name} 的类型“{ftype}”未知，可用：{'、'.join(TYPES)}。")
            if name in seen:
                raise WenshuError(f"模板清单 {source}：字段 {name} 重复。")
            seen.add(name)
            fields.append(Field(name, str(f.get("label") or name), ftype, bool(f.get("required", False)),
                                f.get("default"), str(f.get("help", "")), f.get("max_length"),
                                tuple(str(c) for c in f.get("choices") or ()), str(f.get("split", ""))))
        kind = str(data.get("kind", "plain"))
        if kind not in KINDS:
            raise WenshuError(f"模板清单 {source}：kind 应为 {'、'.join(KINDS)} 之一。")
        return cls(str(data.get("name") or Path(source).stem), str(data.get("label", "")),
                   str(data.get("purpose", "")), kind, str(data.get("numbering", "")),
                   str(data.get("doc_type", "")), tuple(fields), tuple(data.get("prefix_hint") or ()),
                   str(data.get("serial_series", "")), str(data.get("filename", "")), source,
                   str(data.get("qr", "")))

    # -- values ------------------------------------------------------------------------------------

    def normalise_keys(self, raw: dict, where: str = "", ignore_unknown: bool = False) -> dict:
        """Map Chinese labels to field names; unknown keys are an error (a typo must not vanish)."""
        out, unknown = {}, []
        for key, value in raw.items():
            f = self.field(key)
            if f is None:
                unknown.append(str(key))
            else:
                out[f.name] = value
        if unknown and not ignore_unknown:
            known = "、".join(f"{f.name}（{f.label}）" for f in self.fields)
            raise WenshuError(f"{where}模板 {self.name} 没有字段：{'、'.join(unknown)}。可用的字段：{known}。")
        return out

    def validate(self, raw: dict, where: str = "") -> dict:
        """Typed, checked values for every field (defaults filled in). Every missing or invalid
        field is reported in one error, so a clerk fixes the data file once, not once per field."""
        values, errors = self.check(raw)
        if errors:
            raise WenshuError(where + "；".join(m.strip().rstrip("。") for m in errors.values()) + "。")
        return values

    def check(self, raw: dict) -> tuple[dict, dict[str, str]]:
        """(values of the fields that are fine, {field name: message} for the others) — the form
        shows each message beside its field, ``validate`` all of them at once."""
        values, errors = {}, {}
        for f in self.fields:
            value = raw.get(f.name)
            if _is_empty(value):
                value = f.default
            if _is_empty(value):
                if f.required:
                    errors[f.name] = f"缺少必填字段“{f.label}”。{f.help}".strip()
                values[f.name] = [] if f.type in ("list", "attachments", "body") else None
                continue
            try:
                values[f.name] = convert(f, value)
            except WenshuError as e:
                errors[f.name] = str(e)
        return values, errors


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (isinstance(value, (list, dict)) and not value)


def _text(f: Field, value, where: str, multiline: bool = False) -> str:
    if isinstance(value, (dict, list)):
        raise WenshuError(f"{where}字段“{f.label}”应为文字，现在是 {type(value).__name__}。")
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a spreadsheet cell holding 13800000000 or 2022 comes back as a float
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    bad = _CONTROL.search(text)
    if bad or (not multiline and "\n" in text.strip()):
        what = f"控制字符 U+{ord(bad.group()):04X}" if bad else "换行"
        raise WenshuError(f"{where}字段“{f.label}”含有不能写入文档的{what}，请删除后重试。")
    text = text.strip() if not multiline else text.strip("\n")
    if len(text) > f.limit:
        raise WenshuError(f"{where}字段“{f.label}”太长：{len(text)} 字，最多 {f.limit} 字。")
    return text


def parse_date(value, label: str = "日期", where: str = "") -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    d = read_date(text)  # archive/elements.py: the one date parser
    if d is not None:
        return d
    raise WenshuError(f"{where}字段“{label}”的日期“{text}”不正确：应写成 2022-03-25 或 2022年3月25日。")


def convert(f: Field, value, where: str = ""):
    if f.type == "text" and f.name == "title":  # a newline the clerk typed is a forced line break (标题回行)
        return Title.typed(_text(f, value, where, multiline=True))
    if f.type == "text":
        return _text(f, value, where)
    if f.type == "multiline":
        return _text(f, value, where, multiline=True)
    if f.type == "body":
        text = _text(f, value, where, multiline=True)
        blocks = parse_body(text)
        if not blocks:
            raise WenshuError(f"{where}字段“{f.label}”是空的。")
        return blocks
    if f.type == "date":
        return parse_date(value, f.label, where)
    if f.type == "number":
        try:
            number = int(str(value).strip())
        except ValueError:
            raise WenshuError(f"{where}字段“{f.label}”应为整数，现在是“{value}”。") from None
        if number < 0:
            raise WenshuError(f"{where}字段“{f.label}”不能为负数。")
        return number
    if f.type == "choice":
        text = _text(f, value, where)
        if text not in f.choices:
            raise WenshuError(f"{where}字段“{f.label}”只能是：{'、'.join(f.choices)}；现在是“{text}”。")
        return text
    if f.type == "list":
        items = value if isinstance(value, list) else re.split(rf"[\n{re.escape(f.split)}]", str(value))
        out = [_text(f, item, where) for item in items if not _is_empty(item)]
        if sum(map(len, out)) > f.limit:
            raise WenshuError(f"{where}字段“{f.label}”太长，最多 {f.limit} 字。")
        return out
    if f.type == "attachments":
        return _attachments(f, value, where)
    raise AssertionError(f.type)


ATTACH_SUFFIXES = (".docx", ".xlsx", ".pdf")  # existing files a document can carry as 附件


def _attachments(f: Field, value, where: str) -> list[dict]:
    """Each 附件 is written out (标题 + 正文, printed after the document) or an existing file
    (``督查方案.docx``, or ``{文件: …, 标题: …}``): listed in 附件说明 by its title (the file's stem
    unless given) and filed with the record as 附件. The file's path is resolved by the caller."""
    items = value if isinstance(value, list) else [value]
    out = []
    for i, item in enumerate(items, 1):
        if isinstance(item, str) and item.strip().lower().endswith(ATTACH_SUFFIXES):
            item = {"file": item}
        if not isinstance(item, dict):
            raise WenshuError(f"{where}“{f.label}”第 {i} 项应包含 标题（title）和 正文（body），"
                              f"或是一个 {'/'.join(ATTACH_SUFFIXES)} 文件（如 督查方案.docx）。")
        file = item.get("file", item.get("文件"))
        title = item.get("title", item.get("标题"))
        tf = Field("title", f"{f.label}{i}的标题", required=True, max_length=100)
        if not _is_empty(file):
            out.append(_attachment_file(f, i, str(file).strip(), title, tf, where))
            continue
        body = item.get("body", item.get("正文"))
        bf = Field("body", f"{f.label}{i}的正文", "body", required=True)
        if _is_empty(title):
            raise WenshuError(f"{where}缺少“{tf.label}”。")
        if _is_empty(body):
            raise WenshuError(f"{where}“{bf.label}”是空的。")
        out.append({"title": convert(tf, title, where), "blocks": convert(bf, body, where)})
    return out


def _attachment_file(f: Field, i: int, file: str, title, tf: Field, where: str) -> dict:
    path = Path(file)
    if path.suffix.lower() not in ATTACH_SUFFIXES:
        raise WenshuError(f"{where}“{f.label}”第 {i} 项 {file}：只能附 {'/'.join(ATTACH_SUFFIXES)} 文件。")
    title = path.stem if _is_empty(title) else title
    return {"title": convert(tf, title, where), "blocks": [], "file": file}


def read_yaml(path: Path, missing: str, what: str):
    """A YAML (or JSON) file's content; WenshuError ``missing`` when absent, naming ``what`` when unreadable."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WenshuError(missing) from None
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise WenshuError(f"{what} 无法解析：{e}") from None


def read_data_file(path: Path) -> dict:
    """Field values from a YAML or JSON file (JSON is YAML)."""
    path = Path(path)
    data = read_yaml(path, f"找不到数据文件 {path}。", f"数据文件 {path.name}")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise WenshuError(f"数据文件 {path.name} 应为“字段: 值”的映射。")
    return data


def parse_sets(items: list[str] | tuple[str, ...]) -> dict:
    out = {}
    for item in items:
        if "=" not in item:
            raise WenshuError(f"--set “{item}” 应写成 字段=值。")
        key, value = item.split("=", 1)
        out[key.strip()] = value.replace("\\n", "\n")
    return out
