"""Signed pledges back from the schools' scanners: one multi-page PDF, one multi-page TIFF, or a
folder of page images.

Every page's code is read first (campaign.qr) and the whole scan is checked before anything is
attached: a page of another campaign (or a code this campaign never issued) refuses the scan,
naming the page, because filing it here would count a signature for the wrong 专项行动. Then each
matched page is attached to its pledge as 签字扫描件 (archive.lifecycle.attach); a pledge already
signed — the same sheet fed twice, or scanned again next week — is counted once; a page without a
readable code is kept with a thumbnail under ``.wenshu/campaign/<id>/未识别/`` and listed, so a
clerk can look at it and attach it by hand.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from archive.changes import gathered
from archive.errors import WenshuError
from campaign import qr
from campaign.store import Campaign, CampaignStore, now

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp")
DPI = 200  # a PDF page is read at this resolution (the code's modules are ~0.7 mm)
THUMB_PX = 240


@dataclass
class Page:
    source: str  # file name as the clerk gave it
    number: int  # 1-based page of that source
    image: Path  # the page as an image, for reading and for the unmatched list
    original: Path  # what is attached: the page's own PDF or the image file
    code: qr.Code | None = None
    other: str = ""  # a code that is not a wenshu pledge code


@dataclass
class ScanReport:
    pages: int = 0
    matched: list[dict] = field(default_factory=list)  # {页, 编号, 姓名, 学校, 档号}
    duplicates: list[dict] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)
    index_note: str = ""

    def as_dict(self) -> dict:
        return {"页数": self.pages, "已匹配": len(self.matched), "重复": len(self.duplicates),
                "无法识别": len(self.unmatched), "匹配": self.matched, "重复页": self.duplicates,
                "无法识别页": self.unmatched}


def _pages(path: Path, tmp: Path) -> list[Page]:
    path = Path(path)
    if not path.exists():
        raise WenshuError(f"找不到扫描文件 {path}。")
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES + (".pdf",))
        if not files:
            raise WenshuError(f"文件夹 {path} 中没有扫描件（.pdf 或 {'、'.join(IMAGE_SUFFIXES)} 图像）。")
        return [p for f in files for p in _pages(f, tmp)]
    suffix = path.suffix.lower()
    if suffix in (".tif", ".tiff"):
        return _tiff_pages(path, tmp)
    if suffix in IMAGE_SUFFIXES:
        return [Page(path.name, 1, path, path)]
    if suffix != ".pdf":
        raise WenshuError(f"{path.name}：扫描件应为 PDF 或图像（{'、'.join(IMAGE_SUFFIXES)}）。")
    from pypdf import PdfReader, PdfWriter

    try:
        reader = PdfReader(str(path))
        count = len(reader.pages)
    except Exception as e:  # pypdf raises many kinds on a broken file
        raise WenshuError(f"{path.name} 不是可读取的 PDF（{e}）。") from None
    out = _scratch(tmp)
    # PGM, not PNG: the page image is read once and thrown away, and PNG compression was most of
    # pdftoppm's time (8.6 s against 1.1 s for ten pages, bench/campaign.py).
    done = subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", str(path), str(out / "p")],
                          capture_output=True, text=True)
    images = sorted(out.glob("p-*.pgm"), key=lambda p: int(p.stem.split("-")[-1]))
    if done.returncode or len(images) != count:
        raise WenshuError(f"{path.name} 无法逐页转为图像（pdftoppm：{done.stderr.strip()[:200]}）。")
    pages = []
    for i, (page, image) in enumerate(zip(reader.pages, images), 1):
        single = out / f"page-{i}.pdf"
        w = PdfWriter()
        w.add_page(page)
        with open(single, "wb") as f:
            w.write(f)
        pages.append(Page(path.name, i, image, single))
    return pages


def _scratch(tmp: Path) -> Path:
    """A new folder under ``tmp`` for one source file's page images."""
    out = tmp / f"{len(list(tmp.iterdir()))}"
    out.mkdir()
    return out


def _tiff_pages(path: Path, tmp: Path) -> list[Page]:
    """A TIFF as office scanners make it: one file, many pages (frames), read page by page. Each
    frame is kept as a one-page TIFF, the file attached to its pledge (a single-frame TIFF is
    attached as it came)."""
    from PIL import Image, ImageSequence

    try:
        with Image.open(path) as im:
            if getattr(im, "n_frames", 1) == 1:
                return [Page(path.name, 1, path, path)]
            out = _scratch(tmp)
            pages = []
            for i, frame in enumerate(ImageSequence.Iterator(im), 1):
                single = out / f"page-{i}.tif"
                frame.copy().save(single, "TIFF", compression="tiff_deflate")
                pages.append(Page(path.name, i, single, single))
            return pages
    except OSError as e:  # Pillow's UnidentifiedImageError, a truncated frame
        raise WenshuError(f"{path.name} 不是可读取的 TIFF 图像（{e}）。") from None


def _read(page: Page) -> None:
    from PIL import Image

    with Image.open(page.image) as im:
        im.load()
        texts = qr.read_codes(im)
    codes = [c for c in map(qr.parse, texts) if c]
    if codes:
        page.code = codes[0]
    elif texts:
        page.other = texts[0]


def scan(store: CampaignStore, campaign: Campaign, path: Path, *, school: str = "", actor: str = "",
         progress=None) -> ScanReport:
    tick = progress or (lambda stage, done, total: None)
    if school and school not in {u.name for u in store.units(campaign)}:
        raise WenshuError(f"“{school}”不在专项行动“{campaign.name}”的督查范围内，未做任何更改。")
    pledges = {s: (sch, n, rec, sc) for s, sch, n, rec, sc in store.query(
        "SELECT serial, school, name, record, scan FROM pledges WHERE campaign = ?", (campaign.id,))}
    report = ScanReport()
    with tempfile.TemporaryDirectory(prefix="wenshu-scan-") as tmp:
        pages = _pages(Path(path), Path(tmp))
        report.pages = len(pages)
        for i, p in enumerate(pages, 1):
            _read(p)
            tick("识别", i, len(pages))
        refused = []
        for p in pages:
            where = f"{p.source} 第 {p.number} 页" if p.original.name != p.source else p.source
            if p.code and p.code.campaign != campaign.name:
                refused.append(f"{where}是专项行动“{p.code.campaign}”的承诺书（编号 {p.code.serial}）")
            elif p.code and p.code.serial not in pledges:
                refused.append(f"{where}的编号 {p.code.serial} 不是本档案库为“{campaign.name}”生成的承诺书")
        if refused:
            raise WenshuError("；".join(refused[:10]) + (f"等 {len(refused)} 页" if len(refused) > 10 else "")
                              + f"，不属于专项行动“{campaign.name}”。请把这些页取出后再扫描；未做任何更改。")
        done: set[str] = {s for s, v in pledges.items() if v[3]}
        with gathered() as index_lines:  # one index update for the whole scan, not one per page
            _file_pages(store, campaign, pages, pledges, done, report, school, actor, tick)
        report.index_note = "；".join(index_lines)
    return report


def _file_pages(store, campaign, pages, pledges, done, report, school, actor, tick) -> None:
    """Each read page to its pledge (once), or to the unmatched list."""
    for i, p in enumerate(pages, 1):
        where = {"来源": p.source, "页": p.number}
        if not p.code:
            report.unmatched.append({**where, **_keep_unmatched(store, campaign, p, school)})
        elif p.code.serial in done:
            sch, name, rec, _ = pledges[p.code.serial]
            report.duplicates.append({**where, "编号": p.code.serial, "姓名": name, "学校": sch, "档号": rec})
        else:
            report.matched.append({**where, **_attach(store, p, pledges[p.code.serial], actor)})
            done.add(p.code.serial)
        tick("归档", i, len(pages))


def _attach(store: CampaignStore, page: Page, pledge: tuple, actor: str) -> dict:
    from archive.lifecycle import attach

    school, name, record, _ = pledge
    serial = page.code.serial
    named = page.image.parent / f"attach-{serial}" / f"签字扫描件-{serial}{page.original.suffix.lower()}"
    named.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(page.original, named)
    _, added, _ = attach(store.archive, record, [named], role="签字扫描件", actor=actor)
    with store.tx() as c:
        c.execute("UPDATE pledges SET scan = ?, scanned = ?, scan_source = ? WHERE serial = ?",
                  (added[0].name, now(), f"{page.source}#{page.number}", serial))
    return {"编号": serial, "姓名": name, "学校": school, "档号": record}


def _keep_unmatched(store: CampaignStore, campaign: Campaign, page: Page, school: str) -> dict:
    from PIL import Image

    folder = store.archive.state_dir / "campaign" / str(campaign.id) / "未识别"
    folder.mkdir(parents=True, exist_ok=True)
    (last,) = store.query("SELECT COALESCE(MAX(id), 0) FROM pledge_unmatched")[0]
    stem = f"{last + 1:05d}"
    image, thumb = folder / f"{stem}.jpg", folder / f"{stem}-缩略图.jpg"
    with Image.open(page.image) as im:
        im = im.convert("L")
        im.save(image, quality=85)
        im.thumbnail((THUMB_PX, THUMB_PX))
        im.save(thumb, quality=80)
    reason = f"二维码不是承诺书编号（{page.other[:40]}）" if page.other else "未识别到二维码"
    rel = lambda p: str(p.relative_to(store.archive.root))
    with store.tx() as c:
        c.execute("INSERT INTO pledge_unmatched (campaign, school, source, page, reason, image, thumb, at) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  (campaign.id, school, page.source, page.number, reason, rel(image), rel(thumb), now()))
    return {"原因": reason, "图像": rel(image), "缩略图": rel(thumb)}
