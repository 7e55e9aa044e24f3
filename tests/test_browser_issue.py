"""拟文/发文 and the 文号 ledger in a real browser (Debian chromium via Playwright, against
``wenshu serve`` on waitress): issue a notice with an uploaded 附件, two clerks pressing 发文
at once, reserve then issue a reserved number. Screenshots go to docs/img/web-issue-*.png."""

from __future__ import annotations

import re
import threading

import pytest

from tests.conftest import write_docx
from tests.test_browser_web import browser, login, server, shot  # noqa: F401  (fixtures)

TITLE = "关于做好2022年暑期安全工作的通知"
BODY = "一、高度重视。\n各校要落实安全责任。\n（一）加强排查。\n1.每周排查一次。"
NUMBER = re.compile(r"高教字〔2022〕(\d+)号")


def fill(page, title, base):
    page.goto(base + "/issue/notice/")
    page.fill("#id_title", title)
    page.fill("#id_recipients", "各乡镇中心学校")
    page.fill("#id_body", BODY)
    page.fill("#id_date", "2022-06-20")


def numbers_on(page) -> set[int]:
    return {int(n) for n in NUMBER.findall(page.inner_text("main"))} - {8, 9}  # 8, 9: filed by build_archive


def test_issue_a_notice_with_an_uploaded_attachment(server, browser, tmp_path):
    from generator import pdf

    if not pdf.available():
        pytest.skip("没有 LibreOffice（soffice），无法生成 PDF")
    base, root, codes = server
    ctx, page = login(browser, base, "文书乙")
    page.goto(base + "/issue/")
    shot(page, "issue-choose")
    page.click("text=通知（红头文件）")
    page.click("button[value=issue]")  # empty form: every required field marked
    assert "缺少必填字段“标题”" in page.inner_text("#field-title")
    assert "正文" in page.inner_text("#field-body .field-error")
    shot(page, "issue-errors")
    fill(page, TITLE, base)
    plan = write_docx(tmp_path / "安全检查方案.docx", ["暑期安全检查方案", "一、检查范围。"])
    page.set_input_files("input[name=attach_files]", str(plan))
    assert "一级标题" in page.inner_text("#outline-body") and "二级标题" in page.inner_text("#outline-body")
    shot(page, "issue-form")
    page.click("button[value=issue]")
    page.wait_for_url(re.compile(r".*/record/.*"), timeout=180_000)
    assert TITLE in page.content() and numbers_on(page)
    assert "安全检查方案.docx" in page.content()
    page.locator("figure img").last.scroll_into_view_if_needed()  # the page previews load lazily
    page.wait_for_function("() => [...document.querySelectorAll('figure img')].every(i => i.complete && i.naturalWidth > 0)")
    shot(page, "issue-record")
    with page.expect_download() as dl:
        page.click("a.download:text-matches('\\.pdf$')")
    assert open(dl.value.path(), "rb").read(5) == b"%PDF-"
    ctx.close()


def test_two_clerks_pressing_issue_together_get_consecutive_numbers(server, browser):
    from generator import pdf

    if not pdf.available():
        pytest.skip("没有 LibreOffice（soffice），无法生成 PDF")
    base, root, codes = server
    pages = []
    for who in ("文书乙", "档案员甲"):
        ctx, page = login(browser, base, who)
        fill(page, f"关于{who}同时发文的通知", base)
        pages.append((ctx, page))
    for _, page in pages:
        page.click("button[value=issue]", no_wait_after=True)
    got = []
    for ctx, page in pages:
        page.wait_for_url(re.compile(r".*/record/.*"), timeout=240_000)
        got.append(max(numbers_on(page)))
    assert len(set(got)) == 2 and abs(got[0] - got[1]) == 1
    for ctx, _ in pages:
        ctx.close()


def test_reserve_then_issue_the_reserved_number(server, browser):
    from generator import pdf

    base, root, codes = server
    ctx, page = login(browser, base, "档案员甲")
    page.goto(base + "/numbers/?prefix=高教字&year=2022")
    page.fill("input[name=count]", "1")
    page.fill("form[action$='/reserve/'] input[name=reason]", "留给年度总结")
    page.click("form[action$='/reserve/'] button")
    page.wait_for_load_state()
    row = page.locator("#ledger tr", has_text="预留").first
    reserved = NUMBER.search(row.inner_text()).group(0)
    assert "留给年度总结" in row.inner_text()
    shot(page, "issue-numbers")
    if not pdf.available():
        pytest.skip("没有 LibreOffice（soffice），无法生成 PDF")
    fill(page, "关于2022年工作总结的通知", base)
    page.select_option("#id_number", reserved)
    page.click("button[value=issue]")
    page.wait_for_url(re.compile(r".*/record/.*"), timeout=180_000)
    assert reserved in page.inner_text("main")
    page.goto(base + "/numbers/?prefix=高教字&year=2022")
    assert "预留" not in page.locator("#ledger tr", has_text=reserved).inner_text()
    ctx.close()


def test_preview_in_the_browser_takes_no_number(server, browser):
    """预览 gives the PDF with the number as it will be; the 文号 ledger is the same afterwards."""
    from generator import pdf

    if not pdf.available():
        pytest.skip("没有 LibreOffice（soffice），无法生成 PDF")
    base, root, codes = server
    ctx, page = login(browser, base, "档案员甲")
    page.goto(base + "/numbers/?prefix=高教字&year=2022")
    before = page.inner_text("#ledger")
    fill(page, "关于预览不占文号的通知", base)
    pdf_answer = lambda r: r.request.method == "POST" and "/issue/" in r.url  # noqa: E731 — opens in a new tab
    with ctx.expect_event("response", pdf_answer, timeout=180_000) as answer:
        page.click("button[value=preview]")
    assert answer.value.status == 200 and answer.value.headers["content-type"] == "application/pdf"
    page.goto(base + "/numbers/?prefix=高教字&year=2022")
    assert page.inner_text("#ledger") == before
    ctx.close()
