"""The web app in a real browser: Debian's chromium driven by Playwright, against ``wenshu serve``
(waitress) on a free port. Saves a screenshot of each page to docs/img/."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.web_helpers import NOTICE_DN, NOTICE_PHRASE, PASSWORD, SECRET_WORD, USERS, build_archive

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "docs" / "img"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--lang=zh-CN"]
# The browser's own words — date pickers' 年/月/日, the validation bubbles (请填写此字段。) — come
# from its UI language: on Linux chromium takes it from LANGUAGE (--lang is for Windows/macOS)
# and needs Debian's chromium-l10n for zh-CN.pak. The contexts' locale="zh-CN" sets the rest
# (navigator.language, Accept-Language, Intl).
CHROMIUM_ENV = {"LANGUAGE": "zh_CN:zh"}
ZH_PAK = Path("/usr/lib/chromium/locales/zh-CN.pak")


def _env():
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"没有 {CHROMIUM}（Debian 的 chromium 包），跳过浏览器测试：sudo apt-get install chromium")
    pytest.importorskip("playwright.sync_api", reason="没有 Playwright（pip install 'playwright>=1.40'）")
    pytest.importorskip("django", reason="Django 未安装")
    archive, codes = build_archive(tmp_path_factory.mktemp("browser") / "档案库")
    root = archive.root
    archive.close()
    for name, (role, clearance) in USERS.items():
        args = ["user", "add", name, "--role", role, "--password-stdin", "--archive", str(root)]
        if clearance:
            args += ["--clearance", clearance]
        r = subprocess.run([sys.executable, "-m", "wenshu", *args], input=PASSWORD + "\n", capture_output=True,
                           text=True, env=_env(), timeout=120)
        assert r.returncode == 0, r.stderr
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "wenshu", "serve", "--archive", str(root), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/login/", timeout=5).close()
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("wenshu serve 未能启动：" + proc.communicate()[1][-2000:])
            time.sleep(0.3)
    yield base, root, codes
    proc.terminate()
    proc.communicate(timeout=20)


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env={**os.environ, **CHROMIUM_ENV})
        yield b
        b.close()


def login(browser, base, name):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="zh-CN")
    page = ctx.new_page()
    page.goto(base + "/")
    assert "/login/" in page.url
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    return ctx, page


def search(page, text):
    page.fill("input[name=q]", text)
    with page.expect_navigation():
        page.press("input[name=q]", "Enter")


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"web-{name}.png"), full_page=True)


def test_login_search_open_record_see_pages_download_pdf(server, browser):
    base, root, codes = server
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(base + "/login/")
    shot(page, "login")
    ctx.close()
    ctx, page = login(browser, base, "文书乙")
    search(page, "高教字[2022]8号")
    page.wait_for_selector(".hitlist li")
    first = page.locator(".hitlist li a.title").first
    assert first.inner_text() == "关于进一步做好课后服务工作的通知"
    assert "q=" in page.url  # the search is a URL one can bookmark
    search(page, f'"{NOTICE_PHRASE}"')
    page.wait_for_selector(".hitlist li mark")
    assert NOTICE_PHRASE in page.locator(".hitlist li mark").all_inner_texts()
    search(page, "课后服务")
    page.wait_for_selector(".facets")
    assert "找到 3 件" in page.locator(".total").inner_text()  # 文书乙 is cleared for 机密
    shot(page, "search")
    page.locator(".hitlist li a.title", has_text="关于进一步做好课后服务工作的通知").click()
    page.wait_for_selector(".pages img")
    assert page.locator("h1").inner_text() == "关于进一步做好课后服务工作的通知"
    img = page.locator(".pages img").first
    img.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    assert img.evaluate("img => img.naturalWidth") > 500
    shot(page, "record")
    with page.expect_download() as dl:
        page.locator("a.download", has_text=f"{NOTICE_DN}.pdf").click()
    download = dl.value
    folder = next((root / "2022").glob(codes["notice"] + " *"))
    assert download.suggested_filename == f"{NOTICE_DN}.pdf"
    assert Path(download.path()).read_bytes() == (folder / f"{NOTICE_DN}.pdf").read_bytes()
    ctx.close()


def test_user_without_clearance_cannot_reach_the_secret_record(server, browser):
    base, root, codes = server
    ctx, page = login(browser, base, "查阅丁")
    page.goto(base + "/?q=" + quote(SECRET_WORD))
    assert "没有找到匹配的文件" in page.content()
    assert "找到 0 件" in page.locator(".total").inner_text()
    page.goto(base + "/?q=" + quote("课后服务"))
    assert "找到 2 件" in page.locator(".total").inner_text()
    assert "中考考务" not in page.content()
    resp = page.goto(f"{base}/record/{quote(codes['secret'])}/")
    assert resp.status == 404 and "没有这个页面或文件" in page.content()
    shot(page, "not-found")
    resp = page.goto(f"{base}/record/{quote(codes['secret'])}/file/1/")
    assert resp is None or resp.status == 404
    ctx.close()
    ctx, page = login(browser, base, "档案员甲")  # the archivist with 绝密 finds it
    page.goto(base + "/?q=" + quote(SECRET_WORD))
    assert page.locator(".hitlist li a.title").first.inner_text() == "关于2022年中考考务工作的通知"
    page.goto(base + "/audit/")
    rows = page.locator("table.grid tbody tr")
    assert rows.count() > 5
    assert re.search("查阅丁.*检索", page.locator("table.grid").inner_text())
    shot(page, "audit")
    ctx.close()


def test_the_browser_speaks_chinese_in_its_own_widgets(server, browser):
    """What the browser draws itself — the 必填 bubble of the login form, the 年/月/日 of a date
    picker — is in Chinese, as on the office's PCs (the screenshots show the same)."""
    if not ZH_PAK.exists():
        pytest.skip(f"没有 {ZH_PAK}（Debian 的 chromium-l10n 包），浏览器自带的提示是英文：sudo apt-get install chromium-l10n")
    base, root, codes = server
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = ctx.new_page()
    page.goto(base + "/login/")
    page.click("button[type=submit]")  # nothing typed: the browser's own bubble, and no request
    assert "/login/" in page.url
    assert page.eval_on_selector("input[name=username]", "e => e.validationMessage") == "请填写此字段。"
    assert page.evaluate("() => navigator.language") == "zh-CN"
    ctx.close()
    ctx, page = login(browser, base, "查阅丁")
    page.fill("input[name=from]", "2022-03-01")  # the picker takes the date as the office types it
    assert page.eval_on_selector("input[name=from]", "e => e.value") == "2022-03-01"
    assert page.eval_on_selector("input[name=to]", "e => new Intl.DateTimeFormat().resolvedOptions().locale") == "zh-CN"
    ctx.close()
