"""收文登记, 案件/督办 and 移交 in a real browser (Debian's chromium through Playwright) against
``wenshu serve`` (waitress): file an uploaded received PDF after correcting its 题名, see an
overdue 整改 on the cases page, build, verify and download a package and check it with
``wenshu verify``. Screenshots go to docs/img/web-receive-*, web-cases-*, web-transfer-*."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta

import pytest

from tests.conftest import write_docx
from tests.web_helpers import CASE
from tests.test_browser_web import SHOTS, _env, browser, login, server  # noqa: F401  (fixtures)

CASE2 = "督2022-002"
CORRECTED = "关于报送城关小学课后服务整改情况的报告"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"web-{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def extra(server, tmp_path_factory):
    """A received PDF on the clerk's desk and an overdue 整改 case in the served archive."""
    from archive.filing import file_record
    from archive.store import Archive
    from generator import pdf
    from wenshu.indexing import index_filed

    if not pdf.available():
        pytest.skip("没有 LibreOffice（soffice），无法生成收文 PDF")
    base, root, codes = server
    desk = tmp_path_factory.mktemp("desk")
    received = write_docx(desk / "城关小学来文.docx", [
        "城关小学", "城关校字〔2022〕5号", "关于报送课后服务情况的报吿", "高平市教育局：",
        "我校已按贵局要求全面开展课后服务，现将有关情况报告如下。", "城关小学", "2022年5月28日"])
    received_pdf = pdf.convert([received], desk / "pdf")[0]
    archive = Archive(root)
    deadline = date.today() - timedelta(days=9)
    notice = write_docx(desk / "整改通知书.docx", ["高教督函〔2022〕7号", "关于限期整改课后服务问题的通知书",
                                                 "城关小学：", f"请于{deadline:%Y年%m月%d日}前完成整改并报告。"])
    rec = file_record(archive, [(notice, "正本")], {
        "title": "关于限期整改课后服务问题的通知书", "doc_number": "高教督函〔2022〕7号", "author": "高平市教育局",
        "date": "2022-05-10", "doc_type": "通知", "recipients": "城关小学", "case": CASE2,
        "deadline": deadline.isoformat()}, org="JJK")
    index_filed(archive, [root / rec.relative_folder() / f.name for f in rec.files])
    archive.close()
    return base, root, received_pdf


def test_file_an_uploaded_received_pdf_after_correcting_its_title(extra, browser):  # noqa: F811
    base, root, received_pdf = extra
    ctx, page = login(browser, base, "文书乙")
    page.click("nav >> text=收文登记")
    page.wait_for_selector("input[name=files]")
    shot(page, "receive-list")
    page.set_input_files("input[name=files]", str(received_pdf))
    with page.expect_navigation():
        page.click("text=上传并识别")
    assert page.input_value("input[name=文号]") == "城关校字〔2022〕5号"
    assert page.input_value("input[name=成文日期]") == "2022-05-28"
    assert page.input_value("input[name=题名]") == "关于报送课后服务情况的报吿"  # the typo as sent
    img = page.locator(".pages img").first
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    assert img.evaluate("img => img.naturalWidth") > 500
    page.fill("input[name=题名]", "")
    with page.expect_navigation():
        page.click("text=登记并归档")
    assert "题名：必填" in page.locator(".field-error").first.inner_text()
    page.fill("input[name=题名]", CORRECTED)
    page.fill("input[name=案件]", CASE)
    shot(page, "receive-review")
    with page.expect_navigation():
        page.click("text=登记并归档")
    assert "/record/" in page.url
    assert page.locator("h1").inner_text() == CORRECTED
    meta = page.locator("table.kv").inner_text()
    assert f"收文{date.today().year}-" in meta and "城关校字〔2022〕5号" in meta
    assert "已登记收文" in page.locator(".messages").inner_text()
    assert "报告" in meta  # 文种 from the corrected 题名
    shot(page, "receive-filed")
    ctx.close()


def test_see_an_overdue_rectification_on_the_cases_page(extra, browser):  # noqa: F811
    base, root, _ = extra
    ctx, page = login(browser, base, "查阅丁")
    page.click("nav >> text=案件督办")
    row = page.locator("table.overdue tr", has_text="高教督函〔2022〕7号")
    assert "逾期 9 天" in row.inner_text()
    shot(page, "cases-list")
    with page.expect_navigation():
        row.locator("a", has_text=CASE2).click()
    assert page.locator("h1").inner_text() == f"案件 {CASE2}"
    assert "逾期 9 天" in page.locator("[role=alert]").inner_text()
    assert "城关小学" in page.locator(".timeline").inner_text()
    shot(page, "cases-case")
    ctx.close()


def test_build_verify_download_a_package_and_check_it_with_wenshu_verify(extra, browser, tmp_path):  # noqa: F811
    base, root, _ = extra
    ctx, page = login(browser, base, "档案员甲")
    page.click("nav >> text=移交")
    page.fill("input[name=年度]", "2022")
    page.check("input[name=含密级]")
    with page.expect_navigation():
        page.click("text=预览")
    assert "关于进一步做好课后服务工作的通知" in page.locator("table.included").inner_text()
    shot(page, "transfer-preview")
    with page.expect_navigation():
        page.click("button:has-text('生成数据包')")
    page.wait_for_selector("h2.verdict", timeout=300_000)
    assert "四性检测（DA/T 70-2018）：通过" in page.locator("h2.verdict").inner_text()
    shot(page, "transfer-report")
    with page.expect_download() as dl:
        page.click("a.download")
    saved = tmp_path / dl.value.suggested_filename
    dl.value.save_as(saved)
    assert saved.suffix == ".zip" and saved.stat().st_size > 0
    r = subprocess.run([sys.executable, "-m", "wenshu", "verify", str(saved)], capture_output=True, text=True,
                       env=_env(), timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "结论：通过" in r.stdout
    ctx.close()
