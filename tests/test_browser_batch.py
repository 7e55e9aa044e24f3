"""批量 in a real browser (Debian chromium via Playwright, against ``wenshu serve`` on waitress):
upload a roster with one bad row and one unmatched column, see both before anything is issued,
generate, follow the progress bar the page polls, download the combined print PDF of a school.
Screenshots go to docs/img/web-batch-*.png."""

from __future__ import annotations

import pytest

from tests.test_browser_web import browser, login, server, shot  # noqa: F401  (fixtures)

TEACHERS = [("王芳", "高平一中", "数学"), ("李强", "高平一中", "语文"), ("张敏", "高平二中", "英语"),
            ("刘洋", "高平二中", "物理"), ("陈静", "高平三中", "化学"), ("杨帆", "高平三中", "生物")]


def write_roster(path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["2022年教师“双减”承诺书名册"])  # a title row above the header, as offices keep them
    ws.append(["姓 名", "学校", "任教学科", "联系电话"])  # 联系电话 matches no field
    for i, (name, school, subject) in enumerate(TEACHERS):
        ws.append([name, school, subject, f"1390000000{i}"])
        if i == 2:
            ws.append(["", "高平二中", "音乐", "13900000099"])  # the bad row: no 姓名 (row 6)
    wb.save(path)
    return path


def test_upload_a_roster_see_problems_generate_and_download_the_combined_pdf(server, browser, tmp_path):
    from generator import pdf

    base, root, codes = server
    ctx, page = login(browser, base, "文书乙")
    page.click("nav >> text=批量")
    assert "批量生成：承诺书" in page.inner_text("h1")
    page.set_input_files("input[name=roster]", str(write_roster(tmp_path / "教师名册.xlsx")))
    page.fill("#id_common_clauses", "不在校外培训机构兼职。\n不组织、不参与有偿补课。\n不布置超量作业。")
    shot(page, "batch-upload")
    page.click("#batch-upload button[type=submit]")
    report = page.inner_text("#batch-report")
    assert "联系电话" in page.inner_text("#columns .bad") and "没有对应的字段" in report
    assert "第 6 行" in page.inner_text("#bad-rows") and "缺少必填字段“姓名”" in page.inner_text("#bad-rows")
    assert f"可生成 {len(TEACHERS)} 份" in report and "未占用编号" in report
    shot(page, "batch-report")
    page.click("#batch-run button")
    page.wait_for_url("**/batch/task/*/")
    # the bar moves as the task reports (or the task ended first and the page already shows its end)
    page.wait_for_function("""() => { const b = document.querySelector('#batch-progress');
        return !b || +b.getAttribute('aria-valuenow') > 0; }""", timeout=600_000)
    if page.locator("#batch-progress").count():
        shot(page, "batch-progress")
    page.wait_for_selector("#batch-done", timeout=600_000)  # the page's own polling reloads it at the end
    done = page.inner_text("#batch-done")
    assert f"已生成并归档 {len(TEACHERS)} 份" in done and "第 6 行\t缺少必填字段“姓名”" in done  # listed as not made
    shot(page, "batch-done")
    if not pdf.available():
        pytest.skip("没有 LibreOffice（soffice），没有合并打印的 PDF")
    assert len(page.locator("#combined a").all()) == 3  # one per 学校
    with page.expect_download() as dl:
        page.click("#combined a:text('高平二中.pdf')")
    data = open(dl.value.path(), "rb").read()
    assert data.startswith(b"%PDF-")
    from pypdf import PdfReader

    (tmp_path / "二中.pdf").write_bytes(data)
    text = "".join("".join(p.extract_text().split()) for p in PdfReader(tmp_path / "二中.pdf").pages)
    assert "张敏" in text and "刘洋" in text and "王芳" not in text
    with page.expect_download() as dl:
        page.click("#zip")
    import zipfile

    assert len([n for n in zipfile.ZipFile(dl.value.path()).namelist() if n.endswith(".docx")]) == len(TEACHERS)
    ctx.close()


def test_archivist_adds_a_prefix_on_the_numbers_page(server, browser):
    base, root, codes = server
    ctx, page = login(browser, base, "档案员甲")
    page.goto(base + "/numbers/")
    page.fill("#add-prefix input[name=code]", "高教字")
    page.click("#add-prefix button")
    assert "“机关代字”“高教字”已经配置过了" in page.inner_text("main")
    page.fill("#add-prefix input[name=code]", "高教研")
    page.fill("#add-prefix input[name=purpose]", "教研室文件")
    page.click("#add-prefix button")
    assert "已新增机关代字：高教研" in page.inner_text("main")
    assert "高教研" in page.locator("select[name=prefix]").inner_text()
    assert 'code = "高教研"' in (root / "wenshu.toml").read_text(encoding="utf-8")
    shot(page, "batch-prefix")
    ctx.close()
