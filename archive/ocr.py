"""Scans and photos of paper documents (扫描件) made searchable: OCRmyPDF with Tesseract's chi_sim.

Most documents a county bureau receives arrive on paper. A scanned PDF without a text layer, or
a .jpg/.png/.tif(f) photo of a page, is handed to OCRmyPDF (``ocrmypdf -l chi_sim --rotate-pages
--deskew --skip-text --output-type pdfa``) as a subprocess: it turns and straightens the pages,
leaves pages that already carry text alone, and writes a PDF/A with an invisible text layer. The
record keeps both: the original as 原件, the OCR'd PDF as 文字版; the metadata is read from the
OCR text by the same reader as for born-digital documents (archive.metadata).

Without the tools (ocrmypdf not installed, or Tesseract without chi_sim — ``chi-sim`` is the
Debian package's name, ``chi_sim`` the model's) the document is still filed, with the command
to install them in its history. Such a record — a scan with no 文字版 — is *waiting for OCR*
(待文字识别): the state is read from the record's files, so it cannot drift from them;
``wenshu check`` lists it (``check_pending``) and ``wenshu ocr`` completes it (``complete``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from archive.errors import WenshuError
from archive.extract import Text, active_limits, check_size, pdf_text

IMAGE_FORMATS = {"jpg", "jpeg", "png", "tif", "tiff"}
ROLE_ORIGINAL, ROLE_TEXT = "原件", "文字版"
INSTALL = "apt-get install ocrmypdf tesseract-ocr-chi-sim"
LANG = "chi_sim"
MIN_CHARS = 10  # fewer recognised CJK characters than this: nothing was read (blank page, not a document)

_PAGE_TIMEOUT = 600  # seconds per page; two shared cores can take minutes for one page
_A4_WIDTH_IN = 8.27
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef"
_NEAR = rf"{_CJK}0-9\[\]()“”\"'"  # what sits next to Chinese without a space: digits, brackets, quotes
_CJK_GAP = re.compile(rf"(?<=[{_CJK}]) +(?=[{_NEAR}])|(?<=[{_NEAR}]) +(?=[{_CJK}])")
_BRACKET_RUN = re.compile(r"([\]】〕）)］])[\]】〕）)］]+|([\[【〔（(［])[\[【〔（(［]+")  # 2022]】: one bracket read twice


# -- what needs OCR ---------------------------------------------------------------------------


def is_image(path: Path) -> bool:
    return Path(path).suffix.lower().lstrip(".") in IMAGE_FORMATS


def image_frames(path: Path) -> int:
    """Pages in an image file (a multi-page TIFF has several); WenshuError when it is no image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.verify()
        with Image.open(path) as im:
            return max(1, getattr(im, "n_frames", 1))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise WenshuError(f"{Path(path).name} 不是有效的图像文件（已损坏或格式不对：{e}）。") from None


def scanned_pages(path: Path, first: bool = False) -> list[int]:
    """0-based numbers of the PDF's pages that are images without text — the pages OCR is for
    (``first``: stop at the first one). A page with neither (a deliberate blank page of a
    born-digital PDF) is not a scan."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            return []
        out = []
        for i, page in enumerate(reader.pages):
            if (page.extract_text() or "").strip():
                continue
            if _has_image(page):
                out.append(i)
                if first:
                    break
        return out
    except Exception:  # an unreadable PDF is reported by extract_text, not here
        return []


def _has_image(page) -> bool:
    try:
        xobjects = page["/Resources"].get_object().get("/XObject")
    except (KeyError, AttributeError, TypeError):
        return False
    if not xobjects:
        return False
    for ref in xobjects.get_object().values():
        obj = ref.get_object()
        if obj.get("/Subtype") == "/Image" or obj.get("/Subtype") == "/Form":
            return True
    return False


def needs_ocr(path: Path) -> bool:
    path = Path(path)
    if is_image(path):
        return True
    return path.suffix.lower() == ".pdf" and bool(scanned_pages(path, first=True))


def tools_missing() -> str:
    """Why OCR cannot run on this machine (Chinese, with the install command), or "" when it can."""
    if not shutil.which("ocrmypdf"):
        return f"本机未安装 OCRmyPDF，无法识别扫描件中的文字。请安装：{INSTALL}"
    tesseract = shutil.which("tesseract")
    if not tesseract:
        return f"本机未安装 Tesseract，无法识别扫描件中的文字。请安装：{INSTALL}"
    try:
        out = subprocess.run([tesseract, "--list-langs"], capture_output=True, text=True, timeout=60)
        langs = set((out.stdout + out.stderr).split())
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"无法运行 Tesseract（{e}）。请检查安装：{INSTALL}"
    if LANG not in langs:
        return (f"Tesseract 缺少简体中文模型 {LANG}（Debian 软件包名是 tesseract-ocr-chi-sim，"
                f"语言代码是 chi_sim），无法识别中文扫描件。请安装：{INSTALL}")
    return ""


# -- running OCRmyPDF -------------------------------------------------------------------------


def text_name(original: Path) -> str:
    """The 文字版 file's name beside its original: 通知.jpg → 通知（文字版）.pdf."""
    return f"{Path(original).stem}（{ROLE_TEXT}）.pdf"


def ocr_to_pdf(src: Path, dest: Path, rotate: bool = True) -> None:
    """OCR ``src`` (scanned PDF or image) into the PDF/A ``dest``; WenshuError with the reason."""
    src, dest = Path(src), Path(dest)
    name = src.name
    missing = tools_missing()
    if missing:
        raise WenshuError(missing)
    check_size(src)
    args = ["ocrmypdf", "-l", LANG, *(["--rotate-pages"] if rotate else []), "--deskew", "--skip-text",
            "--output-type", "pdfa", "--optimize", "0", "--tesseract-timeout", str(_PAGE_TIMEOUT), "--quiet"]
    with tempfile.TemporaryDirectory(prefix="wenshu-ocr-") as tmp:
        pages = 1
        if is_image(src):
            pages = image_frames(src)
            src, dpi = _image_input(src, Path(tmp))
            args += ["--image-dpi", str(dpi)]
        else:
            from archive.extract import pdf_pages

            pages = max(1, pdf_pages(src))
        timeout = _PAGE_TIMEOUT * pages
        try:
            # TMPDIR: OCRmyPDF's work files go to our temporary folder and go with it
            run = subprocess.run([*args, str(src), str(dest)], capture_output=True, text=True, timeout=timeout,
                                 env={**os.environ, "TMPDIR": tmp})
        except subprocess.TimeoutExpired:
            raise WenshuError(f"识别 {name} 的文字超时（{timeout} 秒），文件可能过大或已损坏。") from None
    if "took too long" in (run.stderr or ""):  # OCRmyPDF then writes the page without text, exit code 0
        raise WenshuError(f"识别 {name} 的文字超时（Tesseract 每页超过 {_PAGE_TIMEOUT} 秒），"
                          "本机可能过于繁忙，请稍后重试。")
    if run.returncode != 0 or not dest.is_file():
        raise WenshuError(f"OCRmyPDF 无法识别 {name}：{_reason(run.returncode, run.stderr)}")


_EXIT = {2: "输入文件不是有效的 PDF 或图像", 4: "生成的 PDF 无效", 5: "无法写入输出文件",
         8: "PDF 已加密（需要密码），请提供未加密的版本", 10: "无法转换为 PDF/A（请检查 Ghostscript 是否已安装）"}


def _reason(code: int, stderr: str) -> str:
    tail = " ".join((stderr or "").strip().splitlines()[-2:])[:300]
    return f"{_EXIT.get(code, f'退出码 {code}')}" + (f"（{tail}）" if tail else "")


def _image_input(src: Path, tmp: Path) -> tuple[Path, int]:
    """The image as OCRmyPDF takes it, and its resolution. A photo often records no DPI (or 72):
    the page is then taken as A4 wide, which is what a 公文 is. Transparency, which img2pdf
    refuses, is flattened onto white."""
    from PIL import Image

    with Image.open(src) as im:
        dpi = im.info.get("dpi", (0, 0))[0] or 0
        if not 100 <= float(dpi) <= 1200:
            dpi = max(72, round(im.width / _A4_WIDTH_IN))
        if im.mode in ("RGBA", "LA", "P") and (im.mode != "P" or "transparency" in im.info):
            flat = Image.new("RGB", im.size, "white")
            flat.paste(im.convert("RGBA"), mask=im.convert("RGBA").split()[-1])
            src = tmp / "input.png"
            flat.save(src)
    return src, int(round(float(dpi)))


def clean_ocr_text(text: str) -> str:
    """What OCR gets wrong where the structure tells the right answer. Tesseract's chi_sim puts
    spaces between characters it read as separate words (Chinese has none, and a 题名 with spaces
    would not match what a clerk types); it reads the closing ” as “ or as a straight quote —
    in a line of Chinese, double quotes come in pairs, opening then closing."""
    text = _BRACKET_RUN.sub(lambda m: m.group(1) or m.group(2), text)
    return "\n".join(_pair_quotes(_CJK_GAP.sub("", line.strip())) for line in text.split("\n"))


_DQ = re.compile(r'[“”"]')

# What Tesseract's chi_sim reads instead of the right character where the structure says which
# one it must be. 〇 (ling) and O and 0 look alike: among Arabic digits it is 0, among Chinese
# numerals of a year (二〇二二年) it is 〇. A 文号's 〔〕 come out as ( [ 【 C L 工 { | J 丁 ] ) 】 …:
# 代字 + bracket + year + bracket + number + 号 is a 文号 whatever the brackets were read as.
_ZERO_LIKE = "OoΟо〇"
_ARABIC_RUN = re.compile(rf"(?<![A-Za-z])[0-9{_ZERO_LIKE}]*[0-9][0-9{_ZERO_LIKE}]*(?![A-Za-z])")
_CN_YEAR = re.compile(rf"[一二三四五六七八九〇0{_ZERO_LIKE}]{{4}}(?=\s*年)")
_OPEN_LIKE = r"\[【〔（(［{「『〈<|lICL工匚"  # 工 匚: an L or a [ read as the CJK character it resembles
_CLOSE_LIKE = r"\]】〕）)］}」』〉>|lIJ丁"
_DOCNO_LIKE = re.compile(rf"(?<=[\u4e00-\u9fff])\s*[{_OPEN_LIKE}]\s*([12][09{_ZERO_LIKE}][0-9{_ZERO_LIKE}]{{2}})\s*"
                         rf"[{_CLOSE_LIKE}]\s*([0-9{_ZERO_LIKE}]{{1,5}})\s*号")


def mend_ocr_text(text: str) -> tuple[str, list[tuple[str, str, str]]]:
    """The OCR text with look-alike characters put right where the structure leaves one reading
    (〇/O/0; a 文号's brackets), and the changes made as (kind, read, mended) — kind 文号 or 数字 —
    so that a field they decided can be marked 待核对 (``review_marks``). Spaces inside words and
    doubled brackets were mended before (``clean_ocr_text``). The 文号 is rebuilt in the form
    archive.docnumber.DocNumber reads and only where DocNumber accepts the result."""
    from archive.docnumber import DocNumber

    changes: list[tuple[str, str, str]] = []

    def digits(m: re.Match) -> str:
        new = re.sub(f"[{_ZERO_LIKE}]", "0", m.group(0))
        if new != m.group(0) and len(new) > 1:
            changes.append(("数字", m.group(0), new))
            return new
        return m.group(0)

    def cn_year(m: re.Match) -> str:
        old = m.group(0)
        if not re.search("[一二三四五六七八九]", old) or re.search("[0-9]{2}", old):
            return old
        new = re.sub(f"[0{_ZERO_LIKE}]", "〇", old)
        if new[1] == "〇" and new[0] != "二":  # a 公文's year is 一九xx or 二〇xx: the second figure tells the first
            new = "二" + new[1:]
        elif new[1] == "九" and new[0] != "一":
            new = "一" + new[1:]
        if new != old:
            changes.append(("数字", old, new))
        return new

    def docno(m: re.Match) -> str:
        year, num = (re.sub(f"[{_ZERO_LIKE}]", "0", g) for g in m.groups())
        new = f"〔{year}〕{int(num)}号"
        start = m.start()
        word = re.search(r"[\u4e00-\u9fff]{1,12}$", m.string[max(0, start - 12):start])
        probe = (word.group(0) if word else "") + new
        try:
            ok = bool(DocNumber.parse(probe))
        except Exception:
            ok = False
        if not ok or m.group(0) == new:
            return m.group(0)
        changes.append(("文号", (word.group(0) if word else "") + m.group(0), probe))
        return new

    text = _DOCNO_LIKE.sub(docno, text)
    text = _ARABIC_RUN.sub(digits, text)
    text = _CN_YEAR.sub(cn_year, text)
    return text, changes


REVIEW = "待核对"  # key in record.json 其他: fields read from OCR text that mending decided
_REVIEWED = (("doc_number", "文号"), ("date", "成文日期"))


def review_marks(cleaned: str, mended: str, changes: list[tuple[str, str, str]]) -> dict[str, dict[str, str]]:
    """The fields whose reading the mending changed: 著录项 → {值, 说明}. Stored in record.json
    其他 → 待核对 (beside 日期待核) and listed by ``wenshu check`` while the field still holds
    that value; a clerk's ``wenshu edit`` to another value ends the mark."""
    if not changes:
        return {}
    before, after = read_scan_metadata(cleaned), read_scan_metadata(mended)
    out = {}
    for attr, label in _REVIEWED:
        new, old = getattr(after, attr, None), getattr(before, attr, None)
        if not new or str(new) == str(old or ""):
            continue
        seen = [f"“{a}”→“{b}”" for kind, a, b in changes if (kind == "数字") == (attr == "date")][:3]
        out[label] = {"值": _value(new), "说明": f"由 OCR 文字更正得出（{'，'.join(seen) or '字形相近的字符'}），请对照原件核对；"
                                             f"如有误，用 wenshu edit 档号 --set {label if attr != 'date' else '日期'}=… 更正"}
    return out


def _value(v) -> str:
    return v.isoformat() if hasattr(v, "isoformat") else str(v)


def record_review(record) -> dict[str, str]:
    """The 待核对 marks of a record still in force: field → note (a field edited since is done)."""
    marks = record.extra.get(REVIEW) if isinstance(record.extra, dict) else None
    if not isinstance(marks, dict):
        return {}
    current = {"文号": record.doc_number, "成文日期": record.date}
    out = {}
    for label, mark in marks.items():
        if isinstance(mark, dict) and current.get(label) is not None and _value(current[label]) == mark.get("值"):
            out[label] = str(mark.get("说明", ""))
    return out


def check_review(archive) -> list:
    """For ``wenshu check``: fields read from OCR text that must be checked against the original."""
    from archive.checking import KINDS, Problem
    from archive.filing import iter_records

    KINDS.setdefault("ocr_review", "OCR 识别待核对的著录项")
    out = []
    for _, r in iter_records(archive):
        for label, note in record_review(r).items():
            out.append(Problem("ocr_review", f"{r.archival_code}（{r.title}）的{label}“{record_review_value(r, label)}”待核对：{note}",
                               str(r.archival_code)))
    return out


def record_review_value(record, label: str) -> str:
    return _value(record.doc_number if label == "文号" else record.date)


def _pair_quotes(line: str) -> str:
    found = _DQ.findall(line)
    if not found or len(found) % 2 or not re.search(r"[\u4e00-\u9fff]", line):
        return line
    marks = iter("“”" * (len(found) // 2))
    return _DQ.sub(lambda m: next(marks), line)


def read_scan_metadata(text: str):
    """archive.metadata's reading of the OCR text, mended where OCR lost what the reader keys
    on: a 主送 line whose final colon was not read runs into the 题名 (关于…的通知各中小学…);
    the title then ends at the line that closes with its 文种, and the rest is the 主送."""
    from archive.metadata import _names, doc_type_of, read_metadata

    meta = read_metadata(text)
    title = meta.title
    if not title or doc_type_of(title):
        return meta
    acc = ""
    for line in (ln for ln in text.split("\n") if ln.strip()):
        if acc:
            acc += line
        elif title.startswith(line):
            acc = line
        else:
            continue
        if not title.startswith(acc) or acc == title:
            break
        if doc_type_of(acc):
            meta.title, meta.doc_type = acc, doc_type_of(acc)
            meta.recipients = meta.recipients or _names(title[len(acc):])
            break
    return meta


def ocr_scan(src: Path, dest: Path) -> Text:
    """OCR ``src`` into ``dest`` and return its text. Tesseract's orientation detection is made
    for Latin script and is often unsure of a Chinese page; a photo read upside down gives
    characters, but no 文号, no 成文日期, no title. An image whose reading has none of them is
    read once more turned by 180° (without orientation detection), and the better reading kept."""
    src, dest = Path(src), Path(dest)
    ocr_to_pdf(src, dest)
    text = pdf_text(dest, active_limits())
    if is_image(src) and not _score(text)[0]:
        with tempfile.TemporaryDirectory(prefix="wenshu-ocr-turned-") as tmp:
            turned = _turned(src, Path(tmp))
            again = Path(tmp) / dest.name
            ocr_to_pdf(turned, again, rotate=False)  # turned by us: OSD, unsure, must not turn it back
            second = pdf_text(again, active_limits())
            if _score(second) > _score(text):
                shutil.copyfile(again, dest)
    return read_text_layer(dest, src.name)


def _chinese_count(text: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fff]", text))


def _score(text: str) -> tuple[int, int]:
    """(metadata fields a reading gives — 文号, 成文日期, a title ending in its 文种 —, Chinese characters)."""
    from archive.metadata import doc_type_of

    meta = read_scan_metadata(clean_ocr_text(text))
    return (bool(meta.doc_number) + bool(meta.date) + bool(meta.title and doc_type_of(meta.title)),
            _chinese_count(text))


def _turned(src: Path, tmp: Path) -> Path:
    """The image (every page of a TIFF) turned by 180°, with its resolution."""
    from PIL import Image, ImageSequence

    out = tmp / ("turned" + src.suffix.lower())
    with Image.open(src) as im:
        dpi = im.info.get("dpi")
        frames = [f.copy().rotate(180) for f in ImageSequence.Iterator(im)]
    extra = {"dpi": dpi} if dpi else {}
    if out.suffix in (".jpg", ".jpeg"):
        extra["quality"] = 95  # one more JPEG generation, as little loss as it takes
    if len(frames) > 1:
        frames[0].save(out, save_all=True, append_images=frames[1:], **extra)
    else:
        frames[0].save(out, **extra)
    return out


def read_text_layer(pdf: Path, name: str) -> Text:
    """The OCR'd PDF's text, cleaned and mended (``mend_ocr_text``); ``review`` holds the fields
    the mending decided (待核对). WenshuError when OCR read (almost) nothing — a blank page, a
    photo of something that is not a document — so it is set aside rather than filed without content."""
    text = pdf_text(Path(pdf), active_limits())
    cleaned = clean_ocr_text(text)
    mended, changes = mend_ocr_text(cleaned)
    out = Text(mended)
    out.note = text.note
    out.review = review_marks(cleaned, mended, changes)
    if len(re.findall(r"[\u4e00-\u9fff]", out)) < MIN_CHARS:
        raise WenshuError(f"未能从 {name} 中识别出文字（可能是空白页、图像过于模糊，或拍的不是文件），未归档。"
                          "请重新扫描（建议 300 dpi、黑白或灰度）后再试。")
    return out


# -- filing a scan ----------------------------------------------------------------------------


@dataclass
class Scan:
    """A received scan ready to file: its files with roles, the text to read metadata from, and
    what the history should say (OCR done, or why not)."""

    files: list[tuple[Path, str]]
    text: str
    note: str
    pending: bool = False
    review: dict = field(default_factory=dict)  # 待核对 marks (review_marks), for record.json 其他

    def extra(self, overrides: dict) -> dict:
        """record.json 其他 entries for this scan: the 待核对 marks of fields not set by hand."""
        by_attr = {"文号": "doc_number", "成文日期": "date"}
        marks = {k: v for k, v in self.review.items() if by_attr.get(k) not in overrides}
        return {REVIEW: marks} if marks else {}


@contextmanager
def prepared(path: Path) -> Iterator[Scan | None]:
    """A scan OCR'd into a temporary 文字版 that lives as long as the ``with`` block (filing
    copies it into the record); None for a document that is not a scan."""
    path = Path(path)
    if not needs_ocr(path):
        yield None
        return
    if is_image(path):
        check_size(path)
        image_frames(path)
    missing = tools_missing()
    if missing:
        text = _own_text(path)
        yield Scan([(path, ROLE_ORIGINAL)], text, f"{path.name} 是扫描件，尚未进行文字识别（{missing}；"
                                                  f"安装后运行 wenshu ocr 补做）", pending=True)
        return
    with tempfile.TemporaryDirectory(prefix="wenshu-ocr-out-") as tmp:
        out = Path(tmp) / text_name(path)
        text = ocr_scan(path, out)
        note = f"已对扫描件进行文字识别（OCR，{LANG}），文字版：{out.name}"
        review = getattr(text, "review", {})
        if review:
            note += "；待核对：" + "、".join(review)
        yield Scan([(path, ROLE_ORIGINAL), (out, ROLE_TEXT)], text, note, review=review)


def _own_text(path: Path) -> str:
    """The text a scan already has without OCR (the text pages of a mixed PDF), else ""."""
    if is_image(path):
        return ""
    try:
        return pdf_text(path)
    except WenshuError:
        return ""


# -- records waiting for OCR (待文字识别) -------------------------------------------------------


def waiting(folder: Path, record) -> Path | None:
    """The original of a record that is a scan without its 文字版, else None."""
    if any(f.role == ROLE_TEXT for f in record.files):
        return None
    for f in record.files:
        if f.role == ROLE_ORIGINAL and (f.format in IMAGE_FORMATS or f.format == "pdf"):
            path = Path(folder) / f.name
            if path.is_file() and needs_ocr(path):
                return path
    return None


def pending_message(archive, record) -> str:
    """What ``wenshu file`` says about a record it filed without OCR, "" when there is nothing to say."""
    original = waiting(archive.root / record.relative_folder(), record)
    if original is None:
        return ""
    why = tools_missing() or "文字识别尚未完成"
    return f"{original.name} 是扫描件，已归档但尚未识别文字（内容暂不能检索）：{why}。安装后运行 wenshu ocr {record.archival_code}"


def pending_records(archive) -> list[tuple[Path, object, Path]]:
    from archive.filing import iter_records

    out = []
    for folder, record in iter_records(archive):
        original = waiting(folder, record)
        if original is not None:
            out.append((folder, record, original))
    return out


def check_pending(archive) -> list:
    """For ``wenshu check`` (its extra_checks): every scan still without a text layer."""
    from archive.checking import KINDS, Problem

    KINDS.setdefault("ocr_pending", "待文字识别（OCR）的扫描件")
    return [Problem("ocr_pending", f"{r.archival_code}（{r.title}）的 {original.name} 尚未进行文字识别，内容无法检索；"
                                   f"请运行 wenshu ocr {r.archival_code}", str(r.archival_code))
            for _, r, original in pending_records(archive)]


def complete(archive, key: str, actor: str = "") -> tuple[object, list[Path]]:
    """OCR a record waiting for it: the 文字版 is added beside the original, and the metadata
    fields the record does not have yet are read from the OCR text — what the clerk or the first
    reading set is kept. 题名 and 文号 go through ``wenshu edit``'s path (the folder is named by
    the 题名, the registry links the 文号; history with old → new). Returns the record and its
    files, to re-index."""
    from archive.editing import edit_record
    from archive.filing import filing_lock, find_record
    from archive.fsutil import fsync_dir
    from archive.record import HistoryEntry, Record, RecordFile

    folder, record = find_record(archive, key)
    code = str(record.archival_code)
    original = waiting(folder, record)
    if original is None:
        raise WenshuError(f"{code}（{record.title}）不需要文字识别：它不是扫描件，或已有文字版。")
    with tempfile.TemporaryDirectory(prefix="wenshu-ocr-out-") as tmp:
        out = Path(tmp) / text_name(original)
        text = ocr_scan(original, out)
        meta = read_scan_metadata(text)
        with filing_lock(archive):
            folder, _ = find_record(archive, code)
            record = Record.load(folder)  # as it is now, not as before the minutes of OCR
            if waiting(folder, record) is None:
                raise WenshuError(f"{code} 在识别期间已有了文字版，未作更改。")
            target, n = folder / out.name, 2
            while target.exists():
                target, n = folder / f"{Path(out.name).stem}（{n}）.pdf", n + 1
            shutil.copyfile(out, target)
            try:
                record.files.append(RecordFile.of(target, ROLE_TEXT))
                marks = {k: v for k, v in getattr(text, "review", {}).items()
                         if not (record.doc_number if k == "文号" else record.date)}
                if marks:  # only fields this reading fills (a value already there is kept)
                    record.extra = {**record.extra, REVIEW: {**record.extra.get(REVIEW, {}), **marks}}
                filled = []
                for attr, value in direct_fields(record, meta).items():
                    setattr(record, attr, value)
                    filled.append(LABELS[attr])
                detail = f"已进行文字识别（OCR，{LANG}），文字版：{target.name}"
                detail += (f"；补充著录项：{'、'.join(filled)}" if filled else "") + (f"；{text.note}" if text.note else "")
                record.history.append(HistoryEntry("文字识别", detail, actor=actor))
                record.validate()
                record.save(folder)
                fsync_dir(folder)
            except BaseException:
                target.unlink(missing_ok=True)
                raise
    sets = edited_fields(record, meta)
    if sets:
        try:
            edit_record(archive, code, sets, actor=actor or "wenshu ocr")
        except WenshuError:
            pass  # e.g. the 文号 read belongs to another record: the 文字版 is in, the clerk decides
    folder, record = find_record(archive, code)
    return record, [folder / f.name for f in record.files]


LABELS = {"author": "责任者", "date": "日期", "doc_type": "文种", "deadline": "时限", "recipients": "主送", "cc": "抄送"}


def direct_fields(record, meta) -> dict:
    """Fields the record lacks that OCR read and that nothing else depends on (set as read)."""
    return {attr: getattr(meta, attr) for attr in LABELS
            if getattr(meta, attr, None) and not getattr(record, attr)}


def edited_fields(record, meta) -> dict[str, str]:
    """``--set`` assignments for a missing 题名 or 文号. A 题名 that is only the file's name (set
    at filing because nothing was read) counts as missing."""
    out: dict[str, str] = {}
    stems = {Path(f.name).stem for f in record.files}
    if meta.title and (not record.title or record.title in stems):
        out["题名"] = meta.title
    if meta.doc_number and not record.doc_number:
        out["文号"] = str(meta.doc_number)
    return out
