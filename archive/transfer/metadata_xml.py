"""元数据.xml — one record's metadata as DA/T 46-2009 elements, for a receiver without wenshu.

The element names are the Chinese ones of DA/T 46 (文件实体 / 机构人员实体 / 业务实体 / 实体关系),
so an archivist can read the file and another system can map it. It also carries everything
``wenshu import`` needs to rebuild the record, so the package is self-sufficient: ``parse``
returns a dict in the shape of record.json (``Record.from_json`` accepts it) plus the package
facts (全宗名称, 当前位置, digests per file).
"""

from __future__ import annotations

import json
from datetime import date

from lxml import etree

from archive.errors import WenshuError
from archive.record import Record
from archive.transfer.digest import DIGEST_LABELS
from archive.transfer.xmlsafe import parse_xml, xml_text

SCHEME = "DA/T 46-2009 文书类电子文件元数据方案"
_LABEL_TO_ALG = {v: k for k, v in DIGEST_LABELS.items()}


def ymd(d: date | None) -> str:
    return d.strftime("%Y%m%d") if d else ""


def _sub(parent, tag: str, text=None, **attrs):
    # xml_text: a title read long ago with a control character in it must not stop the export
    el = etree.SubElement(parent, tag, **{k: xml_text(v) for k, v in attrs.items()})
    if text is not None and text != "":
        el.text = xml_text(text)
    return el


def _items(parent, tag: str, mapping: dict):
    """A free-form dict (原始来源, 其他, 关联) as <项 名称=…> children; non-text values as JSON."""
    el = _sub(parent, tag)
    for key, value in mapping.items():
        if isinstance(value, str):
            _sub(el, "项", value, 名称=str(key))
        else:
            _sub(el, "项", json.dumps(value, ensure_ascii=False), 名称=str(key), 类型="json")
    return el


def _read_items(el) -> dict:
    out = {}
    if el is None:
        return out
    for item in el.findall("项"):
        text = item.text or ""
        out[item.get("名称", "")] = json.loads(text) if item.get("类型") == "json" else text
    return out


def to_xml(record: Record, *, fonds_name: str, location: str, digests: dict[str, dict[str, str]],
           history_extra=()) -> bytes:
    """``digests``: file name → {algorithm: hex}; ``history_extra``: entries only the package carries
    (the 移交 act itself), so the archive's own record.json is not rewritten by an export."""
    code = record.archival_code
    root = etree.Element("电子文件元数据", 元数据方案=SCHEME)
    doc = _sub(root, "文件实体")
    _sub(doc, "聚合层次", "文件")
    src = _sub(doc, "来源")
    _sub(src, "全宗名称", fonds_name)
    _sub(src, "立档单位名称", fonds_name)
    _sub(src, "来源方式", record.origin)
    _items(src, "原始来源", record.source)
    dh = _sub(doc, "档号", 代码=str(code))
    _sub(dh, "全宗号", code.fonds)
    _sub(dh, "年度", code.year)
    _sub(dh, "保管期限", code.retention.label)
    _sub(dh, "机构或问题", code.org)
    _sub(dh, "室编件号", f"{code.item:04d}")
    desc = _sub(doc, "内容描述")
    _sub(desc, "题名", record.title)
    for kw in record.keywords:
        _sub(desc, "关键词", kw)
    _sub(desc, "文件编号", str(record.doc_number or ""))
    _sub(desc, "责任者", record.author)
    _sub(desc, "日期", ymd(record.date))
    _sub(desc, "文种", record.doc_type)
    for r in record.recipients:
        _sub(desc, "主送", r)
    for r in record.cc:
        _sub(desc, "抄送", r)
    _sub(desc, "密级", record.classification)
    _sub(desc, "办理时限", ymd(record.deadline))
    form = _sub(doc, "形式特征")
    _sub(form, "文件组合类型", "组合文件" if len(record.files) > 1 else "单件")
    _sub(form, "件数", 1)
    _sub(form, "页数", record.pages)
    _sub(form, "语种", "汉语")
    _sub(_sub(doc, "存储位置"), "当前位置", location)
    for f in record.files:
        cf = _sub(doc, "计算机文件", 角色=f.role)
        _sub(cf, "计算机文件名", f.name)
        _sub(cf, "计算机文件大小", f.size)
        _sub(_sub(cf, "格式信息"), "格式名称", f.format)
        for alg, hexd in sorted(digests.get(f.name, {"sha256": f.sha256}).items()):
            _sub(cf, "数字摘要", hexd, 算法=DIGEST_LABELS[alg])
    _sub(doc, "附注", record.extra.get("备注", "") if isinstance(record.extra.get("备注", ""), str) else "")
    ext = _sub(doc, "扩展信息")
    _sub(ext, "模板", record.template)
    _items(ext, "其他", record.extra)

    person = _sub(root, "机构人员实体")
    _sub(person, "机构人员类型", "单位")
    _sub(person, "机构人员名称", record.author)

    biz = _sub(root, "业务实体块")
    for h in [*record.history, *history_extra]:
        b = _sub(biz, "业务实体")
        _sub(b, "业务行为", h.action)
        _sub(b, "行为时间", h.at)
        _sub(b, "行为描述", h.detail)
        _sub(b, "行为人", h.actor)

    rel = _sub(root, "实体关系")
    if record.case:
        _sub(rel, "关系", record.case, 类型="案件")
    for r in record.relations:
        _items(rel, "关系", r).set("类型", "关联")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _text(parent, path: str, source: str, required: bool = True) -> str:
    el = parent.find(path)
    if el is None:
        if required:
            raise WenshuError(f"{source} 缺少元素 <{path}>。")
        return ""
    return (el.text or "").strip()


def _date(text: str) -> str:
    """YYYYMMDD → ISO; anything else is returned as written, for the verifier to report."""
    if len(text) == 8 and text.isdigit():
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
        except ValueError:
            pass
    return text


def parse(data: bytes, source: str) -> dict:
    """元数据.xml → a record.json-shaped dict (plus 全宗名称, 当前位置 and 摘要 per file).

    Raises WenshuError naming the file and the element for anything malformed or missing."""
    root = parse_xml(data, source, "电子文件元数据")
    doc = root.find("文件实体")
    if doc is None:
        raise WenshuError(f"{source} 缺少元素 <文件实体>。")
    dh = doc.find("档号")
    if dh is None:
        raise WenshuError(f"{source} 缺少元素 <档号>。")
    files = []
    for i, cf in enumerate(doc.findall("计算机文件"), 1):
        where = f"{source} 第 {i} 个 <计算机文件>"
        size = _text(cf, "计算机文件大小", where)
        if not size.isdigit():
            raise WenshuError(f"{where} 的 <计算机文件大小>“{size}”应为字节数。")
        digests = {}
        for d in cf.findall("数字摘要"):
            alg = _LABEL_TO_ALG.get(d.get("算法", ""))
            if not alg:
                raise WenshuError(f"{where} 的 <数字摘要> 算法“{d.get('算法', '')}”不认识（应为 SHA-256 或 SM3）。")
            digests[alg] = (d.text or "").strip().lower()
        if "sha256" not in digests:
            raise WenshuError(f"{where} 缺少 SHA-256 <数字摘要>。")
        files.append({"名称": _text(cf, "计算机文件名", where), "大小": int(size), "sha256": digests["sha256"],
                      "格式": _text(cf, "格式信息/格式名称", where, required=False),
                      "角色": cf.get("角色", ""), "摘要": digests})
    desc = doc.find("内容描述")
    if desc is None:
        raise WenshuError(f"{source} 缺少元素 <内容描述>。")
    pages = _text(doc, "形式特征/页数", source, required=False) or "0"
    if not pages.isdigit():
        raise WenshuError(f"{source} 的 <页数>“{pages}”应为整数。")
    rel = root.find("实体关系")
    case, relations = "", []
    if rel is not None:
        for r in rel.findall("关系"):
            if r.get("类型") == "案件":
                case = (r.text or "").strip()
            else:
                relations.append(_read_items(r))
    return {
        "档号": dh.get("代码", ""),
        "全宗号": _text(dh, "全宗号", source),
        "年度": _text(dh, "年度", source),
        "保管期限": _text(dh, "保管期限", source),
        "机构": _text(dh, "机构或问题", source, required=False),
        "件号": _text(dh, "室编件号", source),
        "题名": _text(desc, "题名", source),
        "关键词": [(k.text or "").strip() for k in desc.findall("关键词")],
        "文号": _text(desc, "文件编号", source, required=False),
        "责任者": _text(desc, "责任者", source, required=False),
        "日期": _date(_text(desc, "日期", source, required=False)),
        "文种": _text(desc, "文种", source, required=False),
        "主送": [(k.text or "").strip() for k in desc.findall("主送")],
        "抄送": [(k.text or "").strip() for k in desc.findall("抄送")],
        "密级": _text(desc, "密级", source, required=False),
        "时限": _date(_text(desc, "办理时限", source, required=False)),
        "页数": int(pages),
        "来源": _text(doc, "来源/来源方式", source, required=False),
        "原始来源": _read_items(doc.find("来源/原始来源")),
        "模板": _text(doc, "扩展信息/模板", source, required=False),
        "其他": _read_items(doc.find("扩展信息/其他")),
        "案件": case,
        "关联": relations,
        "文件": files,
        "历史": [{"动作": _text(b, "业务行为", source, required=False),
                  "时间": _text(b, "行为时间", source, required=False),
                  "说明": _text(b, "行为描述", source, required=False),
                  "操作人": _text(b, "行为人", source, required=False)}
                 for b in root.findall("业务实体块/业务实体")],
        "全宗名称": _text(doc, "来源/全宗名称", source, required=False),
        "当前位置": _text(doc, "存储位置/当前位置", source, required=False),
    }
