"""The web app through Django's test client over a real archive (SQLite in .wenshu/, the real
whoosh index, real PDFs): every page, each role, 密级 clearance, file URLs, CSRF, cookies, the
access log."""

from __future__ import annotations

import io
import re
from urllib.parse import quote

import pytest

pytest.importorskip("django", reason="Django 未安装（pip install 'Django>=4.2'）")

from tests.web_helpers import (django_site, CASE, LETTER_DN, NOTICE_DN, NOTICE_PHRASE, PASSWORD, SECRET_DN, SECRET_WORD, USERS,
                               build_archive)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return django_site(tmp_path_factory)


_logged_in: dict = {}


def client(name=None, fresh=False, **kw):
    """A client logged in through the login page (axes needs the request); one per user is kept,
    since each login costs a real password hash."""
    from django.test import Client

    if name and not fresh and not kw and name in _logged_in:
        return _logged_in[name]
    c = Client(**kw)
    if name:
        assert _login(c, name)
        if not fresh and not kw:
            _logged_in[name] = c
    return c


def _login(c, name):
    r = c.post("/login/", {"username": name, "password": PASSWORD})
    return r.status_code == 302


def log_rows(**filt):
    from wenshu.web.models import AccessLog

    return list(AccessLog.objects.filter(**filt))


def html(resp) -> str:
    return resp.content.decode("utf-8")


def results(resp) -> str:
    """The results part of a search page (hits, facets, total) — not the echoed query."""
    page = html(resp)
    return page[page.find('<div class="results">'):] if '<div class="results">' in page else ""


SECRET_TITLE = "关于2022年中考考务工作的通知"


def total(resp) -> int:
    m = re.search(r"找到 (?:约 )?<strong>(\d+)</strong> 件", html(resp))
    return int(m.group(1)) if m else 0


# -- login, sessions, cookies ---------------------------------------------------------------------

def test_pages_need_a_login(site):
    archive, codes = site
    c = client()
    for url in ("/", f"/record/{codes['notice']}/", f"/record/{codes['notice']}/file/0/", "/audit/", "/users/"):
        r = c.get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/"), url
    assert "登录" in html(c.get("/login/"))


def test_login_sets_an_httponly_samesite_session_cookie_that_expires(site):
    from django.test import Client

    c = Client()
    r = c.post("/login/", {"username": "查阅丁", "password": PASSWORD})
    assert r.status_code == 302
    cookie = r.cookies["wenshu_session"]
    assert cookie["httponly"] is True and cookie["samesite"] == "Lax"
    from django.conf import settings

    assert settings.SESSION_COOKIE_AGE <= 24 * 3600 and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert log_rows(action="login", username="查阅丁")


def test_wrong_password_is_refused_and_logged(site):
    r = client().post("/login/", {"username": "领导丙", "password": "不对的密码"})
    assert r.status_code == 200 and "用户名或密码不正确" in html(r)
    assert log_rows(action="login_failed", username="领导丙")


def test_failed_logins_lock_the_account(site):
    from wenshu.web import accounts
    from wenshu.web.settings import FAILURE_LIMIT

    accounts.add_user("锁定测试", PASSWORD, "查阅")
    for _ in range(FAILURE_LIMIT):
        client().post("/login/", {"username": "锁定测试", "password": "错误密码错误密码"})
    r = client().post("/login/", {"username": "锁定测试", "password": PASSWORD})  # right password, too late
    assert r.status_code == 429 and "已被锁定" in html(r)
    assert "_auth_user_id" not in client().session


def test_disabled_user_cannot_log_in_and_loses_the_session(site):
    from wenshu.web import accounts

    accounts.add_user("停用测试", PASSWORD, "查阅")
    c = client("停用测试", fresh=True)
    assert c.get("/").status_code == 200
    accounts.set_active("停用测试", False)
    assert c.get("/").status_code == 302  # the open session ended
    assert client().post("/login/", {"username": "停用测试", "password": PASSWORD}).status_code == 200


def test_every_post_without_a_csrf_token_is_refused(site):
    c = client(enforce_csrf_checks=True)
    r = c.post("/login/", {"username": "查阅丁", "password": PASSWORD})
    assert r.status_code == 403 and "CSRF" in html(r)
    c = client(enforce_csrf_checks=True)
    c.get("/login/")
    token = c.cookies["csrftoken"].value
    assert c.post("/login/", {"username": "查阅丁", "password": PASSWORD, "csrfmiddlewaretoken": token}).status_code == 302
    assert c.post("/logout/").status_code == 403
    assert c.get("/").status_code == 200  # still logged in: the forged logout did nothing
    token = c.cookies["csrftoken"].value
    assert c.post("/logout/", HTTP_X_CSRFTOKEN=token).status_code == 302
    assert c.get("/").status_code == 302


# -- search and clearance -------------------------------------------------------------------------

def test_search_by_docnum_and_phrase_with_highlights(site):
    archive, codes = site
    c = client("查阅丁")
    r = c.get("/", {"q": "高教字[2022]8号"})
    assert r.status_code == 200 and total(r) >= 1
    first = re.search(r'<a class="title" href="([^"]+)">([^<]+)</a>', html(r))
    assert first.group(2) == "关于进一步做好课后服务工作的通知"
    assert first.group(1) == f"/record/{quote(codes['notice'])}/"
    r = c.get("/", {"q": f'"{NOTICE_PHRASE}"'})
    assert total(r) == 1 and f"<mark>{NOTICE_PHRASE}</mark>" in html(r)


def test_snippets_escape_document_text(site):
    r = client("查阅丁").get("/", {"q": "规范管理"})
    page = html(r)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page and "<mark>规范管理</mark>" in page


def test_record_above_clearance_is_absent_from_hits_totals_and_facets(site):
    reader, archivist = client("查阅丁"), client("档案员甲")
    for q in ("课后服务", SECRET_WORD, "高教字〔2022〕9号", "年度:2022", "密级:机密"):
        assert SECRET_TITLE in results(archivist.get("/", {"q": q})), q
        assert SECRET_TITLE not in results(reader.get("/", {"q": q})), q
    # other web test modules share this archive and add records (some 机密): the reader, who holds no
    # clearance, sees exactly the 档案员's hits less the classified ones
    def hidden(q):
        return sum(total(archivist.get("/", {"q": f"{q} 密级:{m}"})) for m in ("秘密", "机密", "绝密"))

    seen, r = archivist.get("/", {"q": "课后服务"}), reader.get("/", {"q": "课后服务"})
    assert total(seen) >= 3 and hidden("课后服务") >= 1 and total(r) == total(seen) - hidden("课后服务")

    def notices(resp):
        facet = re.search(r"<h3>文种</h3>\s*<ul>(.*?)</ul>", html(resp), re.S).group(1)
        return int(re.search(r">通知</a> <span class=\"n\">(\d+)</span>", facet).group(1))

    assert notices(r) == notices(seen) - hidden("课后服务 文种:通知")  # the 机密 通知 is not counted
    assert total(reader.get("/", {"year": "2022"})) == total(archivist.get("/", {"year": "2022"})) - hidden("年度:2022")


@pytest.mark.parametrize("typed", [
    "课后服务 OR 密级:机密", "课后服务) OR (密级:机密", '"课后服务', "( 课后服务", "-幼儿园 OR 考务",
    "NOT NOT 密级:机密", f"{SECRET_WORD}", "文号:高教字〔2022〕9号", "档号:A001-WS·2022-D30-BGS-0002"])
def test_nothing_typed_gets_out_from_under_the_clearance(site, typed):
    archive, codes = site
    r = client("查阅丁").get("/", {"q": typed})
    assert r.status_code == 200
    assert SECRET_TITLE not in results(r) and SECRET_DN not in results(r) and codes["secret"] not in results(r)
    if typed in (SECRET_WORD, "文号:高教字〔2022〕9号", "档号:A001-WS·2022-D30-BGS-0002"):
        assert SECRET_TITLE in results(client("档案员甲").get("/", {"q": typed}))  # the query does find it


def test_clearance_levels_per_role(site):
    archive, codes = site
    url = f"/record/{codes['secret']}/"
    assert client("档案员甲").get(url).status_code == 200  # 绝密 ≥ 机密
    assert client("文书乙").get(url).status_code == 200  # 机密
    assert client("领导丙").get(url).status_code == 404  # 秘密 < 机密
    assert client("查阅丁").get(url).status_code == 404


def test_record_above_clearance_is_404_by_page_file_and_image_url(site):
    archive, codes = site
    c, code = client("查阅丁"), codes["secret"]
    missing = client("查阅丁").get("/record/A001-WS·2022-D30-BGS-0099/")
    for url in (f"/record/{code}/", f"/record/{code}/file/0/", f"/record/{code}/file/1/",
                f"/record/{code}/file/{quote(SECRET_DN)}.pdf", f"/record/{code}/page/1/1.png"):
        r = c.get(url)
        assert r.status_code == 404, url
        strip = lambda t: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", t)  # noqa: E731 (masked per response)
        assert strip(html(r)) == strip(html(missing))  # exactly what a record that does not exist gives
    assert not log_rows(username="查阅丁", object__startswith=code)


# -- record page and files ------------------------------------------------------------------------

def test_record_page_shows_metadata_files_case_citations_and_history(site):
    archive, codes = site
    page = html(client("查阅丁").get(f"/record/{codes['notice']}/"))
    for text in (codes["notice"], NOTICE_DN, "高平市教育局", "2022-03-25", "通知", "定期30年", "各乡镇中心学校",
                 CASE, f"{NOTICE_DN}.docx", f"{NOTICE_DN}.pdf", "归档"):
        assert text in page, text
    assert "同一案件" in page and "关于督促落实课后服务工作的函" in page
    assert "引用本件" in page and LETTER_DN in page  # the letter cites 8号 in its text
    assert re.search(rf'src="/record/{re.escape(quote(codes["notice"]))}/page/1/1.png"', page)
    letter = html(client("查阅丁").get(f"/record/{codes['letter']}/"))
    assert "本件引用" in letter and NOTICE_DN in letter


def test_download_is_the_archived_file_and_is_logged(site):
    archive, codes = site
    folder = next((archive.root / "2022").glob(codes["notice"] + " *"))
    c = client("领导丙")
    r = c.get(f"/record/{codes['notice']}/file/1/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == (folder / f"{NOTICE_DN}.pdf").read_bytes()
    assert "attachment" in r["Content-Disposition"]
    r = c.get(f"/record/{codes['notice']}/file/{quote(NOTICE_DN)}.docx")
    assert b"".join(r.streaming_content) == (folder / f"{NOTICE_DN}.docx").read_bytes()
    rows = log_rows(username="领导丙", action="download")
    assert {row.object for row in rows} == {f"{codes['notice']}/{NOTICE_DN}.pdf", f"{codes['notice']}/{NOTICE_DN}.docx"}
    assert all(row.remote_addr == "127.0.0.1" for row in rows)


def test_page_images_are_rendered_once_and_cached(site):
    archive, codes = site
    r = client("查阅丁").get(f"/record/{codes['notice']}/page/1/1.png")
    assert r.status_code == 200 and r["Content-Type"] == "image/png"
    assert b"".join(r.streaming_content).startswith(b"\x89PNG")
    cached = list((archive.state_dir / "pages").glob("*/1.png"))
    assert cached
    before = cached[0].stat().st_mtime_ns
    client("查阅丁").get(f"/record/{codes['notice']}/page/1/1.png")
    assert cached[0].stat().st_mtime_ns == before
    assert client("查阅丁").get(f"/record/{codes['notice']}/page/1/99.png").status_code == 404
    assert client("查阅丁").get(f"/record/{codes['notice']}/page/0/1.png").status_code == 404  # .docx


@pytest.mark.parametrize("tail", [
    "file/../record.json", "file/%2e%2e/record.json", "file/..%2frecord.json", "file//etc/passwd",
    "file/%2Fetc%2Fpasswd", "file/record.json", "file/9/", "file/-1/", "file/督办函.docx",
    "file/" + quote(f"{SECRET_DN}.pdf"), "page/9/1.png"])
def test_file_urls_outside_the_record_are_refused(site, tail):
    archive, codes = site
    r = client("档案员甲").get(f"/record/{codes['notice']}/{tail}")
    assert r.status_code == 404, tail


def test_a_tampered_record_json_cannot_point_outside_its_folder(site, tmp_path):
    from wenshu.web import records

    archive, codes = site
    folder, rec = records.find(archive, codes["notice"])
    rec.files[0].name = "../../wenshu.toml"
    with pytest.raises(records.NotFound):
        records.file_of(folder, rec, 0)
    rec.files[0].name = str(archive.root / "wenshu.toml")
    with pytest.raises(records.NotFound):
        records.file_of(folder, rec, rec.files[0].name)


def test_unknown_record_is_404(site):
    c = client("档案员甲")
    assert c.get("/record/不是档号/").status_code == 404
    assert c.get("/record/A001-WS·2030-D30-BGS-0001/").status_code == 404


# -- access log -----------------------------------------------------------------------------------

def test_search_is_logged_with_its_query(site):
    client("文书乙").get("/", {"q": "整改", "year": "2022"})
    row = log_rows(username="文书乙", action="search")[0]
    assert row.object == "整改" and "year=2022" in row.detail and row.remote_addr == "127.0.0.1"


def test_audit_page_and_xlsx_are_for_the_archivist_only(site):
    from openpyxl import load_workbook

    for name in ("文书乙", "领导丙", "查阅丁"):
        assert client(name).get("/audit/").status_code == 403
        assert client(name).get("/audit/", {"format": "xlsx"}).status_code == 403
        assert client(name).get("/users/").status_code == 403
    c = client("档案员甲")
    client("查阅丁").get("/", {"q": "=HYPERLINK(\"http://x\")"})
    page = html(c.get("/audit/", {"user": "查阅丁", "action": "search"}))
    assert "检索" in page and "=HYPERLINK" in page and "文书乙" not in page
    r = c.get("/audit/", {"user": "查阅丁", "action": "search", "format": "xlsx"})
    assert r.status_code == 200 and "xlsx" in r["Content-Disposition"]
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("时间", "用户", "操作", "来源地址", "对象", "说明")
    assert any(row[4] == '=HYPERLINK("http://x")' for row in rows[1:])
    assert all(cell.data_type == "s" for row in ws.iter_rows(min_row=2) for cell in row if cell.value)
    assert {row[1] for row in rows[1:]} == {"查阅丁"}
    assert log_rows(username="档案员甲", action="audit_export")
    assert "查阅丁" in html(c.get("/users/"))


def test_access_log_rows_cannot_be_changed(site):
    from wenshu.web.models import AccessLog

    row = AccessLog.objects.first()
    row.detail = "改过"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    assert client("档案员甲").post("/audit/", {}).status_code in (403, 405)


def test_user_changes_are_logged(site):
    from wenshu.web import accounts

    accounts.add_user("日志测试", PASSWORD, "领导", "秘密", "BGS")
    accounts.set_password("日志测试", "另一个密码-2023")
    details = [r.detail for r in log_rows(action="user", object="日志测试")]
    assert any("新增用户" in d and "领导" in d for d in details) and "修改密码" in details


def test_account_rules(site):
    from archive.errors import WenshuError
    from wenshu.web import accounts

    with pytest.raises(WenshuError, match="角色"):
        accounts.add_user("坏角色", PASSWORD, "管理员")
    with pytest.raises(WenshuError, match="可见密级"):
        accounts.add_user("坏密级", PASSWORD, "查阅", "内部")
    with pytest.raises(WenshuError, match="太短"):
        accounts.add_user("短密码", "abc", "查阅")
    with pytest.raises(WenshuError, match="已经存在"):
        accounts.add_user("查阅丁", PASSWORD, "查阅")
    assert not [a for a in accounts.list_users() if a.username in ("坏角色", "坏密级", "短密码")]


def test_facets_count_retention_and_case_and_their_links_filter(site):
    """保管期限 and 案件 are counted like 年度/文种/机关 (issue 20), and each count opens that selection."""
    import html as htmllib

    reader = client("查阅丁")
    page = html(reader.get("/", {"q": "课后服务"}))
    for label in ("保管期限", "年度"):
        facet = re.search(rf"<h3>{label}</h3>\s*<ul>(.*?)</ul>", page, re.S)
        assert facet, label
        links = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a> <span class="n">(\d+)</span>', facet.group(1))
        assert links, label
        for url, value, n in links:
            assert total(reader.get("/" + htmllib.unescape(url))) == int(n), (label, value)
