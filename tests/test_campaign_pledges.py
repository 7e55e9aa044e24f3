"""承诺书全覆盖 (issue 16): a campaign's roster, pledges printed with a QR code, the signed pages
scanned back the way a school's scanner makes them, coverage per school."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from PIL import Image, ImageFilter

from archive.errors import WenshuError
from archive.record import Record
from campaign import qr
from campaign.pledges import coverage, teachers, unmatched_pages
from campaign.scan import scan
from campaign.store import CampaignStore
from generator import qrslot
from generator.template import load_template
from wenshu.cli import main
from wenshu.pledging import import_roster_file, issue_pledges

SCHOOLS = ["高平市第一中学", "高平市北诗中学"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "芳明强丽军华敏静磊洋"
MISSING = {(SCHOOLS[0], 5), (SCHOOLS[1], 12)}  # (school, roster position) whose signed page never comes back

pytestmark = pytest.mark.skipif(subprocess.run(["which", "pdftoppm"], capture_output=True).returncode != 0,
                                reason="pdftoppm (poppler-utils) is not installed")


def roster_xlsx(path: Path, extra: list[tuple] = ()) -> Path:
    """2 schools × 20 teachers the way an office keeps them: a title row above the header, 姓 名."""
    wb = Workbook()
    ws = wb.active
    ws.append(["2022年“双减”承诺书签订教师名册"])
    ws.append(["姓 名", "学校", "任教学科", "工号"])
    for s, school in enumerate(SCHOOLS):
        for i in range(20):
            ws.append([SURNAMES[i] + GIVEN[(i + s) % 10] + ("" if s == 0 else "华"), school, "数学语文英语"[i % 3 * 2:][:2],
                       1000 * (s + 1) + i])
    for row in extra:
        ws.append(list(row))
    wb.save(path)
    return path


def name_at(school: str, i: int) -> str:
    s = SCHOOLS.index(school)
    return SURNAMES[i] + GIVEN[(i + s) % 10] + ("" if s == 0 else "华")


def snapshot(archive) -> dict:
    conn = sqlite3.connect(archive.state_dir / "registry.sqlite")
    try:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: conn.execute(f"SELECT * FROM {n}").fetchall() for n in names}
    finally:
        conn.close()


def archive_files(archive) -> set[str]:
    return {str(p.relative_to(archive.root)) for p in archive.root.rglob("*") if p.is_file()
            and "index" not in p.parts and p.suffix != ".sqlite-wal" and "log" not in p.parts}


def scanned(page: Path, rng: random.Random, *, upside_down: bool = False) -> Image.Image:
    """A printed page as a school's scanner returns it: a few degrees askew, soft, grey, JPEG."""
    im = Image.open(page).convert("L")
    im = im.rotate(rng.uniform(-3, 3) + (180 if upside_down else 0), expand=True, fillcolor=235,
                   resample=Image.BICUBIC)
    return im.filter(ImageFilter.GaussianBlur(0.9)).point(lambda v: min(255, int(v * 0.9) + 12))


def jpeg(im: Image.Image, path: Path) -> Path:
    im.save(path, "JPEG", quality=45)
    return path


@pytest.fixture(scope="module")
def issued(tmp_path_factory):
    from archive.store import Archive
    from tests.conftest import make_config

    tmp = tmp_path_factory.mktemp("pledges")
    archive = Archive.init(tmp / "档案库", make_config())
    store = CampaignStore(archive)
    camp = store.create("“双减”政策落实督查专项行动", "2022-03-25", "2022-06-30", ["在职教师违规补课"])
    store.add_units(camp, [(s, "学校") for s in SCHOOLS] + [("高平市启智培训学校", "校外培训机构")])
    got = import_roster_file(store, camp, roster_xlsx(tmp / "教师名册.xlsx"))
    assert got == {"导入人数": 40, "按学校": {SCHOOLS[0]: 20, SCHOOLS[1]: 20}}
    report = issue_pledges(store, camp, when="2022-04-01", combine_dir=tmp / "打印")
    assert not report.errors and len(report.produced) == 40
    yield archive, store, camp, report, tmp
    archive.close()


def test_pledges_belong_to_the_campaign_and_the_teacher(issued):
    archive, store, camp, report, _ = issued
    rows = store.query("SELECT serial, school, name, staff_id, record FROM pledges ORDER BY serial")
    assert len(rows) == 40 and len({r[4] for r in rows}) == 40
    serial, school, name, staff, code = rows[0]
    rec = Record.load(next(p.files[0].parent for p in report.produced if p.archival_code == code))
    assert rec.author == name  # the teacher is the 责任者
    assert rec.extra["专项行动"] == camp.name and rec.extra["编号"] == serial and rec.extra["工号"] == staff
    assert {f.role for f in rec.files} == {"正本", "版式文件"}
    # the printed page carries the code of (campaign, serial), and the serial in text under it
    pdf = next(f for f in rec.files if f.name.endswith(".pdf"))
    folder = next(p.files[0].parent for p in report.produced if p.archival_code == code)
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", "-singlefile", str(folder / pdf.name),
                    str(folder.parent / "look")], check=True)
    page = Image.open(folder.parent / "look.png")
    assert [qr.parse(t) for t in qr.read_codes(page)] == [qr.Code(camp.name, serial)]
    assert load_template("pledge").manifest.qr == qr.CODE  # what is printed is what the scan reads
    text = subprocess.run(["pdftotext", "-layout", str(folder / pdf.name), "-"], capture_output=True, text=True).stdout
    assert f"编号：{serial}" in text and name in text
    assert rec.pages == 1  # the code sits in the top margin: the pledge still fits its page
    (folder.parent / "look.png").unlink()


def test_scans_back_match_count_once_and_list_the_unreadable(issued):
    archive, store, camp, report, tmp = issued
    rng = random.Random(16)
    pages = {}
    for pdf in report.combined:
        out = tmp / "页" / pdf.stem
        out.mkdir(parents=True)
        subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", str(pdf), str(out / "p")], check=True)
        pages[pdf.stem] = sorted(out.glob("p-*.png"), key=lambda p: int(p.stem.split("-")[1]))
    # school 1: a folder of JPEGs, one page upside down, one page fed twice
    folder = tmp / "扫描" / SCHOOLS[0]
    folder.mkdir(parents=True)
    for i, p in enumerate(pages[SCHOOLS[0]]):
        if (SCHOOLS[0], i) in MISSING:
            continue
        jpeg(scanned(p, rng, upside_down=i == 3), folder / f"scan{i:03d}.jpg")
    jpeg(scanned(pages[SCHOOLS[0]][7], rng), folder / "scan999.jpg")
    # school 2: one multi-page PDF from its scanner, with a blank page in the middle
    images = [scanned(p, rng) for i, p in enumerate(pages[SCHOOLS[1]]) if (SCHOOLS[1], i) not in MISSING]
    blank = Image.new("L", images[0].size, 238).filter(ImageFilter.GaussianBlur(1))
    images.insert(10, blank)
    multi = tmp / "扫描" / f"{SCHOOLS[1]}.pdf"
    images[0].save(multi, "PDF", resolution=150, save_all=True, append_images=images[1:])

    one = scan(store, camp, folder, school=SCHOOLS[0])
    assert (one.pages, len(one.matched), len(one.duplicates), len(one.unmatched)) == (20, 19, 1, 0)
    assert one.duplicates[0]["姓名"] == name_at(SCHOOLS[0], 7)
    two = scan(store, camp, multi, school=SCHOOLS[1])
    assert (two.pages, len(two.matched), len(two.duplicates), len(two.unmatched)) == (20, 19, 0, 1)
    assert two.unmatched[0]["页"] == 11 and two.unmatched[0]["原因"] == "未识别到二维码"
    # each matched page is its pledge's 签字扫描件, and the record is the teacher's
    for m in one.matched + two.matched:
        rec = _record(archive, m["档号"])
        assert rec.author == m["姓名"] and [f.role for f in rec.files].count("签字扫描件") == 1
    kept = unmatched_pages(store, camp)
    assert len(kept) == 1 and kept[0]["学校"] == SCHOOLS[1]
    thumb = Image.open(archive.root / kept[0]["缩略图"])
    assert max(thumb.size) <= 240 and (archive.root / kept[0]["图像"]).exists()

    cov = coverage(store, camp)
    assert (cov["教师"], cov["已签"], cov["未签"], cov["无法识别页"], cov["覆盖率"], cov["全覆盖"]) == (40, 38, 2, 1, 95.0, False)
    per = {s["学校"]: s for s in cov["学校"]}
    assert [per[s]["未签名单"] for s in SCHOOLS] == [[f"{name_at(s, i)}（{1000 * (SCHOOLS.index(s) + 1) + i}）"]
                                                  for s, i in sorted(MISSING, key=lambda m: SCHOOLS.index(m[0]))]
    assert (per[SCHOOLS[1]]["已签"], per[SCHOOLS[1]]["无法识别页"], per[SCHOOLS[1]]["覆盖率"]) == (19, 1, 95.0)

    # the same PDF scanned again next week: nothing counted twice, nothing attached again
    again = scan(store, camp, multi, school=SCHOOLS[1])
    assert (len(again.matched), len(again.duplicates)) == (0, 19)
    assert coverage(store, camp)["已签"] == 38

    # the CLI reads the same figures
    res = CliRunner().invoke(main, ["pledge", "coverage", "--json", "--archive", str(archive.root)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["已签"] == 38
    res = CliRunner().invoke(main, ["pledge", "coverage", "--archive", str(archive.root)])
    assert "覆盖率 95.0%" in res.output and name_at(SCHOOLS[1], 12) in res.output

    # the 督查报告 states the same figures, counted here from the teachers' pledge records
    from docx import Document

    from wenshu.campaign_docs import report as campaign_report

    records = [_record(archive, p.archival_code) for p in report.produced]
    signed = [r for r in records if any(f.role == "签字扫描件" for f in r.files)]
    unsigned = {r.author for r in records} - {r.author for r in signed}
    r, _ = campaign_report(store, camp, tmp / "报告", as_of=date(2022, 5, 20), signer="张三", number="高教字〔2022〕20号")
    text = "\n".join(p.text for p in Document(str(r.docx)).paragraphs)
    total, done = len(records), len(signed)
    assert (total, done, unsigned) == (40, 38, {name_at(s, i) for s, i in MISSING})
    assert f"全市应签订承诺书教师{total}人，已签订{done}人，未签订{total - done}人，覆盖率95.0%" in text
    order = [x["学校"] for x in cov["学校"]]  # the schools in the order of 表3
    gone = sorted(MISSING, key=lambda m: order.index(m[0]))
    assert ("未签订承诺书的教师：" + "；".join(f"{s}{name_at(s, i)}（{1000 * (SCHOOLS.index(s) + 1) + i}）" for s, i in gone)
            + "。") in text


def _record(archive, code: str) -> Record:
    from archive.filing import find_record

    return find_record(archive, code)[1]


def test_multi_frame_tiff_is_read_page_by_page(issued):
    """One TIFF, many pages, as office scanners make it: every frame read, matched and attached
    on its own (a campaign of its own, so the order of the tests does not matter)."""
    archive, store, _, _, tmp = issued
    camp = store.create("承诺书补签", "2022-06-01", "2022-06-30", ["在职教师违规补课"])
    store.add_units(camp, [(SCHOOLS[0], "学校")])
    (tmp / "补签名册.csv").write_text(f"姓名,学校,学科,工号\n冯雪,{SCHOOLS[0]},物理,1201\n"
                                   f"褚亮,{SCHOOLS[0]},化学,1202\n", encoding="utf-8")
    import_roster_file(store, camp, tmp / "补签名册.csv")
    issued_ = issue_pledges(store, camp, when="2022-06-02", combine_dir=tmp / "补签打印")
    (printed,) = issued_.combined
    out = tmp / "补签页"
    out.mkdir()
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", str(printed), str(out / "p")], check=True)
    rng = random.Random(5)
    frames = [scanned(p, rng, upside_down=n == 1) for n, p in enumerate(sorted(out.glob("p-*.png")))]
    frames.insert(1, Image.new("L", frames[0].size, 240))  # a blank sheet between the two
    tiff = tmp / "扫描" / "补签.tif"
    tiff.parent.mkdir(exist_ok=True)
    frames[0].save(tiff, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    assert Image.open(tiff).n_frames == 3

    got = scan(store, camp, tiff)
    assert (got.pages, len(got.matched), len(got.unmatched)) == (3, 2, 1)
    assert [(m["页"], m["姓名"]) for m in got.matched] == [(1, "冯雪"), (3, "褚亮")]
    assert got.unmatched[0]["页"] == 2 and got.unmatched[0]["来源"] == "补签.tif"
    for m in got.matched:  # each pledge holds its own page, one frame, not the whole file
        rec = _record(archive, m["档号"])
        (page,) = [f for f in rec.files if f.role == "签字扫描件"]
        assert Image.open(_folder(archive, m["档号"]) / page.name).n_frames == 1
    assert coverage(store, camp)["覆盖率"] == 100.0


def _folder(archive, code: str) -> Path:
    from archive.filing import find_record

    return find_record(archive, code)[0]


def test_scan_of_another_campaigns_pledge_is_refused(issued):
    archive, store, camp, report, tmp = issued
    other = store.create("校外培训机构专项治理", "2022-05-01", "2022-08-31", ["隐形变异培训"])
    store.add_units(other, [(SCHOOLS[0], "学校")])
    (tmp / "另一名册.csv").write_text(f"姓名,学校,学科,工号\n郑敏,{SCHOOLS[0]},物理,1099\n", encoding="utf-8")
    import_roster_file(store, other, tmp / "另一名册.csv")
    issue_pledges(store, other, when="2022-05-05", pdf=False)
    (serial,) = store.query("SELECT serial FROM pledges WHERE campaign = ?", (other.id,))[0]
    folder = tmp / "错放"
    folder.mkdir()
    for n, text in ((1, qr.payload(other.name, serial)), (2, qr.payload(camp.name, "2099-0001"))):
        page = Image.new("L", (1240, 1754), 255)
        page.paste(Image.open(__import__("io").BytesIO(qrslot.png(text))).convert("L"), (900, 80))
        jpeg(page, folder / f"{n}.jpg")
    before, files = snapshot(archive), archive_files(archive)
    with pytest.raises(WenshuError) as e:
        scan(store, camp, folder)
    msg = str(e.value)
    assert f"1.jpg是专项行动“{other.name}”的承诺书（编号 {serial}）" in msg
    assert "2.jpg的编号 2099-0001 不是本档案库" in msg and "未做任何更改" in msg
    assert snapshot(archive) == before and archive_files(archive) == files


def test_roster_with_a_teacher_in_two_schools_is_refused(issued, tmp_path):
    archive, store, camp, _, _ = issued
    before = snapshot(archive)
    bad = tmp_path / "名册.csv"
    bad.write_text(f"姓名,学校,学科,工号\n钱进,{SCHOOLS[0]},数学,3001\n孙丽,{SCHOOLS[1]},语文,3002\n"
                   f"钱进,{SCHOOLS[1]},数学,3001\n{name_at(SCHOOLS[0], 2)},{SCHOOLS[1]},数学,1002\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["pledge", "roster", "--import", str(bad), "--campaign", camp.name,
                                    "--archive", str(archive.root)])
    assert res.exit_code != 0
    assert f"钱进（工号 3001）同时在 2 所学校：第 2 行（{SCHOOLS[0]}）、第 4 行（{SCHOOLS[1]}）" in res.output
    assert (f"{name_at(SCHOOLS[0], 2)}（工号 1002）同时在 2 所学校：已导入的名册（{SCHOOLS[0]}）、"
            f"第 5 行（{SCHOOLS[1]}）") in res.output
    assert "未做任何更改" in res.output and snapshot(archive) == before
    out_of_scope = tmp_path / "名册2.csv"
    out_of_scope.write_text("姓名,学校\n钱进,高平市三甲中学\n", encoding="utf-8")
    with pytest.raises(WenshuError, match="第 2 行（钱进）的学校“高平市三甲中学”不在专项行动的督查范围内.*高平市第一中学"):
        import_roster_file(store, camp, out_of_scope)
    assert snapshot(archive) == before and len(teachers(store, camp)) == 40
