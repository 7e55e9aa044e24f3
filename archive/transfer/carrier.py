"""Writing one carrier (载体) of an export: the files a 档案馆 expects, each hashed as it is written.

A carrier is what one disc, one disk or one zip holds (《电子档案移交与接收办法》 档发〔2012〕7号):
说明文件.TXT, 文件目录.XML, 电子档案/<年度>/<档号>/, and 其他/ with the 归档文件目录, the XSDs,
the 档号 and naming rules, the 缺号说明, the manifests and the 交接信息 (登记表, 四性检测报告).
Digests are taken while the bytes go to disk, so sealing a carrier never reads it twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from archive.errors import WenshuError
from archive.record import Record
from archive.transfer import catalog
from archive.transfer.fixity import carrier_manifest, manifest_text, write_text
from archive.transfer.digest import DIGEST_LABELS, new_hasher
from archive.transfer.names import CATALOG_XSD, METADATA_XML, METADATA_XSD, OTHER_DIR, RECORDS_DIR, RULES_TXT


@dataclass
class CarrierWriter:
    root: Path  # the carrier root (a volume folder, or data/ of a bag)
    algs: list[str]
    entries: dict[str, dict[str, str]] = field(default_factory=dict)  # carrier path → {alg: hex}
    sizes: dict[str, int] = field(default_factory=dict)

    def _note(self, rel: str, hashers: dict, size: int) -> None:
        self.entries[rel] = {a: h.hexdigest() for a, h in hashers.items()}
        self.sizes[rel] = size

    def put_bytes(self, rel: str, data: bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        hashers = {a: new_hasher(a) for a in self.algs}
        for h in hashers.values():
            h.update(data)
        self._note(rel, hashers, len(data))

    def put_written(self, rel: str) -> None:
        """A file a library wrote (openpyxl, python-docx): hashed once, after the fact."""
        hashers = {a: new_hasher(a) for a in self.algs}
        size = 0
        with open(self.root / rel, "rb") as f:
            while block := f.read(1 << 20):
                size += len(block)
                for h in hashers.values():
                    h.update(block)
        self._note(rel, hashers, size)

    def copy_checked(self, rel: str, src: Path, rec: Record, expect) -> dict[str, str]:
        """Copy one record file, hashing on the way; refuse a file that differs from its record.json."""
        if not src.is_file():
            raise WenshuError(f"记录 {rec.archival_code} 的文件 {src} 不存在，档案库不完整，未生成数据包。"
                              "请先运行 wenshu check 查明原因。")
        dst = self.root / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        hashers = {a: new_hasher(a) for a in self.algs}
        size = 0
        with open(src, "rb") as fi, open(dst, "wb") as fo:
            while block := fi.read(1 << 20):
                size += len(block)
                fo.write(block)
                for h in hashers.values():
                    h.update(block)
        self._note(rel, hashers, size)
        if self.entries[rel]["sha256"] != expect.sha256 or size != expect.size:
            raise WenshuError(f"{src} 与 record.json 中登记的摘要或大小不符（记录 {rec.archival_code}），"
                              "文件可能已被改动或损坏，未生成数据包。请运行 wenshu check 核对。")
        return self.entries[rel]

    def write_manifests(self) -> None:
        """其他/manifest-<alg>.txt over every file written so far (the manifests never list themselves)."""
        for alg in self.algs:
            write_text(self.root / carrier_manifest(alg),
                       manifest_text({p: h[alg] for p, h in self.entries.items()}))

    @property
    def total(self) -> int:
        return sum(self.sizes.values())


def put_schemas(w: CarrierWriter) -> None:
    w.put_bytes(f"{OTHER_DIR}/{CATALOG_XSD}", catalog.schema_path("catalog").read_bytes())
    w.put_bytes(f"{OTHER_DIR}/{METADATA_XSD}", catalog.schema_path("metadata").read_bytes())


def rules_text(fonds: str, fonds_name: str, departments: dict[str, str], example: str) -> str:
    """其他/档号与命名规则.txt: how the 档号 and the names on the carrier are made, for a receiver
    who does not run wenshu."""
    depts = "、".join(f"{k}（{v}）" for k, v in sorted(departments.items())) or "（未设机构代码）"
    return "\n".join([
        "档号编制与文件命名规则",
        "",
        f"全宗：{fonds} {fonds_name}",
        "",
        "一、档号（DA/T 22-2015《归档文件整理规则》）",
        "  结构：全宗号-WS·年度-保管期限代码-机构（问题）代码-件号",
        f"  示例：{example}",
        "  WS：文书档案门类代码；年度：4 位数字；",
        "  保管期限代码：Y（永久）、D30（定期30年）、D10（定期10年）；",
        f"  机构（问题）代码：{depts}；",
        "  件号：4 位数字，在同一全宗、年度、保管期限、机构内从 0001 起连续编号；",
        f"  未随本载体移交的件号及原因见 {OTHER_DIR}/缺号说明.xml。",
        "",
        "二、分类与排列",
        f"  {RECORDS_DIR}/<年度>/<档号>/：按年度分文件夹，每件一个以档号命名的文件夹；",
        "  文件目录.XML 与 归档文件目录.xlsx 按档号排列，顺序号从 1 起连续。",
        "",
        "三、文件命名与封装",
        "  每件文件夹内为该件的全部电子文件（正本、版式文件、附件等），保留原文件名（中文，Unicode NFC），不转写为拼音；",
        f"  {METADATA_XML}：该件的元数据（DA/T 46-2009 元素，模式见 {OTHER_DIR}/{METADATA_XSD}），",
        "  其中登记每个计算机文件的名称、大小、格式与数字摘要；",
        f"  文件目录.XML 的模式见 {OTHER_DIR}/{CATALOG_XSD}。",
        "  电子文件未加密、未压缩移交。",
        "",
        "四、固化信息",
        f"  {OTHER_DIR}/manifest-sha256.txt（选用 SM3 时另有 manifest-sm3.txt）列出载体上除清单本身外的每个文件的数字摘要，",
        "  格式与 sha256sum 相同，可在载体根目录运行 sha256sum -c 其他/manifest-sha256.txt 核对。",
        "",
    ])


def readme_text(*, fonds: str, fonds_name: str, organ: str, actor: str, now: str, selection: str,
                records: list[Record], n_files: int, payload: int, skipped: int, algs: list[str],
                volume: tuple[int, int, str] | None, encoding: str, version: str, bag: bool) -> str:
    """说明文件.TXT: the carrier's parameters and number, custodian, producer, checker, and what is
    needed to read it (档发〔2012〕7号)."""
    years: dict[tuple, int] = {}
    for r in records:
        key = (r.year, r.retention.label)
        years[key] = years.get(key, 0) + 1
    seq, total, batch = volume or (1, 1, "")
    lines = [
        "电子档案移交说明文件",
        "",
        f"载体编号：{batch}-{seq}" if batch else f"载体编号：{seq}",
        f"载体顺序号：第 {seq} 个，共 {total} 个",
        f"移交批次：{batch}" if batch else None,
        f"全宗号：{fonds}",
        f"全宗名称：{fonds_name}",
        f"移交单位（保管单位）：{organ}",
        f"制作人：{actor}",
        f"制作时间：{now}",
        "检验人：（由移交单位填写）；自动检测结果见 其他/交接信息/四性检测报告.txt",
        f"选择条件：{selection}",
        f"本载体件数：{len(records)}",
        *[f"  {y} 年度 {label}：{n} 件" for (y, label), n in sorted(years.items())],
        f"未导出的密级文件：{skipped} 件",
        f"本载体电子文件数：{n_files}",
        f"本载体电子文件数据量：{payload} 字节（{payload / 1e9:.3f} GB）",
        f"数字摘要算法：{'、'.join(DIGEST_LABELS[a] for a in algs)}",
        f"文件目录.XML 编码：{catalog.ENCODINGS[encoding]}",
        "",
        "目录结构：",
        "  说明文件.TXT        本文件",
        "  文件目录.XML        文件目录（每件一个 <文件>）",
        f"  {RECORDS_DIR}/<年度>/<档号>/   电子文件及其 {METADATA_XML}（DA/T 46 元数据）",
        f"  {OTHER_DIR}/               归档文件目录.xlsx、缺号说明.xml、{CATALOG_XSD}、{METADATA_XSD}、{RULES_TXT}、",
        "                      manifest-*.txt（数字摘要清单）、交接信息/（登记表、四性检测报告）",
        "",
        "阅读环境：",
        "  软件：.docx 可用 WPS Office、Microsoft Word 或 LibreOffice 打开；.pdf 可用任一 PDF 阅读器打开；",
        "        .xml/.TXT 可用任一文本编辑器打开；.xlsx 可用 WPS 表格、Excel 或 LibreOffice 打开。",
        "  硬件：能读取本载体（光盘、硬盘或网络）的通用计算机，无特殊要求。",
        f"生成软件：wenshu {version}；可用 wenshu verify 做四性检测（DA/T 70-2018），"
        + ("数据包为 BagIt 格式（RFC 8493），也可用 bagit.py --validate 校验。" if bag
           else "或在本目录运行 sha256sum -c 其他/manifest-sha256.txt 核对数字摘要。"),
        "",
    ]
    return "\n".join(x for x in lines if x is not None)
