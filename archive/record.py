"""A record (件) and its record.json — the source of truth for a document's metadata (DESIGN §6).

record.json is written for two readers: a person opening the folder in a file manager, and a
future wenshu. So its keys are the Chinese element names of DA/T 46 (档号, 文号, 题名, 责任者 …),
it is UTF-8 with sorted keys, and it is only ever replaced atomically. The Python side uses
English attribute names; the element table (archive.elements) is the one place that maps between the two.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from archive.archival_code import ArchivalCode, Retention
from archive.cleaning import clean_text, clean_tree, is_clean
from archive.config import CLASSIFICATIONS
from archive.docnumber import DocNumber
from archive.elements import BY_ATTR, ELEMENTS, Element
from archive.errors import WenshuError
from archive.fields import LABELS, MAX_CHARS
from archive.fsutil import atomic_write_text, safe_name

RECORD_JSON = "record.json"
FORMAT_VERSION = 1

# one-line text attributes of a Record, cleaned of control characters on construction
# The 著录项 a Record holds as attributes, written under their record.json key (archive.elements).
_ELEMENTS = tuple(e for e in ELEMENTS if e.attr)
_LISTS = ("names", "terms", "relations")


def _encode(e: Element, value):
    if e.kind in _LISTS:
        return list(value)
    if e.kind == "date":
        return value.isoformat() if value else ""
    if e.kind == "文号":
        return str(value) if value else ""
    return value


def _decode(e: Element, value):
    """A record.json value back into the attribute (an absent key keeps the dataclass default)."""
    if e.kind in _LISTS:
        return list(value)
    if e.kind == "int":
        return int(value or 0)
    if not value and e.kind in ("date", "文号"):
        return None
    if e.kind == "date":
        return date.fromisoformat(value)
    if e.kind == "文号":
        try:
            return DocNumber.parse(value)
        except WenshuError:
            return value  # a 文号 not of the 代字〔年〕N号 shape is kept as typed
    return value


_LINE_FIELDS = ("title", "author", "doc_type", "classification", "case", "origin", "template", "original_code")

# origin (来源)
ISSUED_HERE, RECEIVED, IMPORTED = "发文", "收文", "移交接收"


def is_withdrawn(record: "Record") -> bool:
    """For export and search: a withdrawn (撤销) record is left out unless asked for."""
    return record.withdrawn


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


@dataclass
class RecordFile:
    """One computer file of a record: the .docx 正本, its PDF, a received original …"""

    name: str
    size: int
    sha256: str
    format: str  # lower-case extension without dot: docx, pdf, txt, ofd …
    role: str = ""  # 正本 / 版式文件 / 原件 / 附件
    versions: list[dict] = field(default_factory=list)  # 版本 (archive.versions): the last is current

    @classmethod
    def of(cls, path: Path, role: str = "") -> "RecordFile":
        path = Path(path)
        return cls(path.name, path.stat().st_size, sha256_file(path), path.suffix.lower().lstrip("."), role)

    def to_json(self) -> dict:
        out = {"名称": self.name, "大小": self.size, "sha256": self.sha256, "格式": self.format, "角色": self.role}
        if self.versions:
            out["版本"] = [dict(v) for v in self.versions]
        return out

    @classmethod
    def from_json(cls, d: dict) -> "RecordFile":
        return cls(d["名称"], int(d["大小"]), d["sha256"], d.get("格式", ""), d.get("角色", ""),
                   [dict(v) for v in d.get("版本", [])])


@dataclass
class HistoryEntry:
    """业务实体 of DA/T 46: what was done to the record, when, by whom."""

    action: str  # 创建 / 归档 / 修改 / 导出 / 导入 …
    detail: str = ""
    at: str = field(default_factory=lambda: datetime.now().isoformat(timespec="seconds"))
    actor: str = ""

    def __post_init__(self):
        if not (is_clean(self.action) and is_clean(self.actor) and is_clean(self.detail, multiline=True)):
            self.action, self.actor = clean_text(self.action), clean_text(self.actor)
            self.detail = clean_text(self.detail, multiline=True)

    def to_json(self) -> dict:
        return {"时间": self.at, "动作": self.action, "说明": self.detail, "操作人": self.actor}

    @classmethod
    def from_json(cls, d: dict) -> "HistoryEntry":
        return cls(d.get("动作", ""), d.get("说明", ""), d.get("时间", ""), d.get("操作人", ""))


@dataclass
class Record:
    archival_code: ArchivalCode  # 档号
    title: str  # 题名
    author: str = ""  # 责任者 (发文机关)
    date: date | None = None  # 日期 (成文日期)
    doc_number: DocNumber | str | None = None  # 文号; a str when it is not of the 代字〔年〕N号 shape
    doc_type: str = ""  # 文种: 通知 / 函 / 意见 / 报告 …
    classification: str = ""  # 密级
    pages: int = 0  # 页数
    recipients: list[str] = field(default_factory=list)  # 主送
    cc: list[str] = field(default_factory=list)  # 抄送
    keywords: list[str] = field(default_factory=list)  # 关键词
    case: str = ""  # 案件
    relations: list[dict] = field(default_factory=list)  # 关联: [{"档号"|"文号": …, "关系": …}]
    deadline: date | None = None  # 整改时限 / 办理时限
    origin: str = ISSUED_HERE  # 来源: 发文 / 收文 / 移交接收
    source: dict = field(default_factory=dict)  # 原全宗号, 原全宗名称, 数据包 … of an imported record
    original_code: str = ""  # 原档号: the sender's 档号 (its 全宗号 first) of a record received by 移交接收
    template: str = ""  # the template a generated document came from
    extra: dict = field(default_factory=dict)  # other fields of the template (承诺人, 学校 …)
    files: list[RecordFile] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    final: bool = False  # 印发定稿: a change to its files is refused (archive.versions)
    withdrawal: dict = field(default_factory=dict)  # 撤销: {"原因", "时间", "操作人"} (archive.lifecycle)

    def __post_init__(self):
        """Metadata enters a Record only without control and bidi characters (archive.cleaning):
        whether read from a received document, typed with --set or loaded from an old record.json."""
        dn = self.doc_number
        try:  # one scan of everything in the usual, clean case
            joined = " ".join((self.title, self.author, self.doc_type, self.classification, self.case,
                               self.origin, self.template, self.original_code, dn if isinstance(dn, str) else "",
                               *self.recipients, *self.cc, *self.keywords))
        except TypeError:
            joined = None
        if joined is None or not is_clean(joined):
            for name in _LINE_FIELDS:
                value = getattr(self, name)
                if isinstance(value, str):
                    setattr(self, name, clean_text(value))
            if isinstance(dn, str):
                self.doc_number = clean_text(dn)
            for name in ("recipients", "cc", "keywords"):
                setattr(self, name, [clean_text(v) if isinstance(v, str) else v for v in getattr(self, name)])
        if self.relations:
            self.relations = clean_tree(self.relations)
        if self.source:
            self.source = clean_tree(self.source)
        if self.extra:
            self.extra = clean_tree(self.extra, multiline=True)

    # -- derived --------------------------------------------------------------------------

    @property
    def withdrawn(self) -> bool:
        """撤销: kept in the archive, out of search and export unless asked for."""
        return bool(self.withdrawal)

    @property
    def year(self) -> int:
        return self.archival_code.year

    @property
    def retention(self) -> Retention:
        return self.archival_code.retention

    @property
    def folder_name(self) -> str:
        """``<档号> <题名>``, safe on every OS, Chinese kept."""
        return safe_name(f"{self.archival_code} {self.title}", max_bytes=150)

    def relative_folder(self) -> Path:
        return Path(str(self.year)) / self.folder_name

    # -- validation -----------------------------------------------------------------------

    def validate(self) -> None:
        if not self.title or not self.title.strip():
            raise WenshuError("题名不能为空。")
        for name, limit in MAX_CHARS.items():
            value = getattr(self, name)
            for v in value if isinstance(value, list) else [value]:
                n = len(str(v or ""))
                if n > limit:
                    label = LABELS[name]
                    each = "每项" if isinstance(value, list) else ""
                    hint = ("请核对来源数据包" if name == "original_code"  # not editable: the sender's identity
                            else f"请缩短后重试（可用 --set {label}=… 指定）")
                    raise WenshuError(f"{label}过长（{n} 字）：{label}{each}最多 {limit} 字（移交数据包的元数据长度上限），"
                                      f"{hint}。")
        if self.classification not in CLASSIFICATIONS:
            raise WenshuError(f"密级“{self.classification}”不正确：应为空、秘密、机密或绝密。")

    # -- JSON -----------------------------------------------------------------------------

    def to_json(self) -> dict:
        dn = self.doc_number
        out = {
            "格式版本": FORMAT_VERSION,
            "档号": str(self.archival_code),
            "全宗号": self.archival_code.fonds,
            "年度": self.archival_code.year,
            "保管期限": self.archival_code.retention.value,
            "机构": self.archival_code.org,
            "件号": self.archival_code.item,
            **{e.key: _encode(e, getattr(self, e.attr)) for e in _ELEMENTS},
            "文号组成": ({"机关代字": dn.prefix, "年份": dn.year, "顺序号": dn.seq}
                       if isinstance(dn, DocNumber) else {}),
            "原始来源": dict(self.source),
            "模板": self.template,
            "其他": dict(self.extra),
            "文件": [f.to_json() for f in self.files],
            "历史": [h.to_json() for h in self.history],
        }
        # Attributes can be assigned after construction: what is written is cleaned again. 文件
        # names are not touched here: they name files on disk (made safe by fsutil.safe_name).
        files = out.pop("文件")
        multi = {k: clean_tree(out.pop(k), multiline=True) for k in ("历史", "其他")}
        if self.final:
            out["印发定稿"] = True
        if self.withdrawal:
            out["撤销"] = dict(self.withdrawal)
        if not self.original_code:  # only on received records: every other record.json stays as it was
            del out[BY_ATTR["original_code"].key]
        out = clean_tree(out)
        out.update(multi)
        out["文件"] = files
        return out

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, d: dict, source: str = RECORD_JSON) -> "Record":
        try:
            code = ArchivalCode.parse(d["档号"])
            d["题名"]  # the one element a record.json cannot lack
            if not d.get("原档号"):  # records imported before 原档号 was a field kept it in 原始来源 only
                d = {**d, "原档号": (d.get("原始来源") or {}).get("原档号", "")}
            return cls(
                archival_code=code,
                **{e.attr: _decode(e, d[e.key]) for e in _ELEMENTS if e.key in d},
                source=dict(d.get("原始来源", {})),
                template=d.get("模板", ""),
                extra=dict(d.get("其他", {})),
                files=[RecordFile.from_json(f) for f in d.get("文件", [])],
                history=[HistoryEntry.from_json(h) for h in d.get("历史", [])],
                final=bool(d.get("印发定稿", False)),
                withdrawal=dict(d.get("撤销") or {}),
            )
        except KeyError as e:
            raise WenshuError(f"{source} 缺少必填项 {e.args[0]}。") from None
        except (TypeError, ValueError, AttributeError) as e:
            raise WenshuError(f"{source} 内容不正确：{e}。") from None

    @classmethod
    def load(cls, folder_or_file: Path) -> "Record":
        path = Path(folder_or_file)
        if path.is_dir():
            path = path / RECORD_JSON
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise WenshuError(f"找不到 {path}。") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise WenshuError(f"{path} 不是有效的 JSON（{e}），请修正或从备份恢复。") from None
        if not isinstance(data, dict):
            raise WenshuError(f"{path} 的内容应为一个 JSON 对象。")
        return cls.from_json(data, source=str(path))

    def save(self, folder: Path) -> Path:
        path = Path(folder) / RECORD_JSON
        atomic_write_text(path, self.dumps())
        return path

