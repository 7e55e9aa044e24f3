"""拟文/发文 and the 文号 ledger through Django's test client over a real archive: field errors
beside each field naming its Chinese label, roles refused, a preview that takes no number, 发文
landing on the record page, reserving then issuing the reserved number."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("django", reason="Django 未安装（pip install 'Django>=4.2'）")

from tests.web_helpers import django_site, logged_in

NOTICE = {"title": "关于做好2022年暑期安全工作的通知", "recipients": "各乡镇中心学校",
          "body": "一、高度重视。\n各校要落实责任。\n（一）加强排查。\n1.每周一次。", "date": "2022-06-20"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return django_site(tmp_path_factory)[0]


client = logged_in


def ledger(archive):
    return [(e.label, e.status) for e in archive.registry.entries()]


def field_error(page: str, name: str) -> str:
    m = re.search(rf'id="field-{name}".*?<p class="error field-error">(.*?)</p>', page, re.S)
    return m.group(1) if m else ""


def pdf_text(data: bytes, tmp) -> str:
    import shutil
    import subprocess

    if not shutil.which("pdftotext"):
        pytest.skip("没有 pdftotext（poppler-utils）")
    (tmp / "p.pdf").write_bytes(data)
    out = subprocess.run(["pdftotext", str(tmp / "p.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(out.split())


def test_clerk_sees_templates_by_chinese_name(site):
    page = client("文书乙").get("/issue/").content.decode()
    assert "通知（红头文件）" in page and "/issue/notice/" in page


@pytest.mark.parametrize("user", ["领导丙", "查阅丁"])
@pytest.mark.parametrize("url", ["/issue/", "/issue/notice/", "/numbers/"])
def test_reading_roles_are_refused(site, user, url):
    c = client(user)
    r = c.get(url)
    assert r.status_code == 403 and "无权操作" in r.content.decode()
    before = ledger(site)
    r = c.post("/numbers/reserve/", {"prefix": "高教字", "year": "2022", "count": "1", "reason": "试"})
    assert r.status_code == 403 and ledger(site) == before


def test_every_invalid_field_is_marked_beside_it_with_its_label(site):
    before = ledger(site)
    r = client("文书乙").post("/issue/notice/", {"action": "issue", "title": "", "body": "",
                                                 "date": "2022-13-40", "copy_no": "abc", "urgency": "很急",
                                                 "attachments_title_1": "", "attachments_body_1": "只有正文"})
    page = r.content.decode()
    assert r.status_code == 200
    for name, label in [("title", "标题"), ("body", "正文"), ("date", "成文日期"), ("copy_no", "份号"),
                        ("urgency", "紧急程度"), ("attachments", "附件")]:
        assert label in field_error(page, name), name
    assert "6 处需要修改" in page
    assert ledger(site) == before  # nothing taken


def test_preview_allocates_nothing_and_issue_lands_on_the_record(site, tmp_path):
    from generator import pdf

    if not pdf.available():
        pytest.skip("没有 LibreOffice（soffice），无法生成 PDF")
    c = client("文书乙")
    before = ledger(site)
    r = c.post("/issue/notice/", dict(NOTICE, action="preview"))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    body = b"".join(r.streaming_content)
    assert body.startswith(b"%PDF")
    assert ledger(site) == before
    next_no = str(site.registry.peek(site.config.prefix("高教字"), 2022))
    text = pdf_text(body, tmp_path)
    assert f"{next_no}（预览）" in text and NOTICE["title"][:8] in text
    r = c.post("/issue/notice/", dict(NOTICE, action="issue"))
    assert r.status_code == 302 and r["Location"].startswith("/record/")
    page = c.get(r["Location"]).content.decode()
    assert next_no in page and NOTICE["title"] in page
    assert (next_no, "issued") in ledger(site)
    from wenshu.web.models import AccessLog

    assert AccessLog.objects.filter(action="issue", username="文书乙").exists()


def test_reserve_then_issue_the_reserved_number(site):
    from generator import pdf

    c = client("档案员甲")
    r = c.post("/numbers/reserve/", {"prefix": "高教字", "year": "2022", "count": "1", "reason": "留给年度总结"})
    assert r.status_code == 302
    reserved = [e.label for e in site.registry.entries() if e.status == "reserved"]
    assert len(reserved) == 1
    page = c.get("/numbers/?prefix=高教字&year=2022").content.decode()
    assert reserved[0] in page and "留给年度总结" in page and "档案员甲" in page
    form = c.get("/issue/notice/").content.decode()
    assert f"<option>{reserved[0]}</option>" in form
    if not pdf.available():
        pytest.skip("没有 LibreOffice（soffice），无法生成 PDF")
    r = c.post("/issue/notice/", dict(NOTICE, title="关于2022年工作总结的通知", action="issue", number=reserved[0]))
    assert r.status_code == 302
    assert site.registry.find(__import__("archive.docnumber").docnumber.DocNumber.parse(reserved[0])).status == "issued"


def test_ledger_forms_report_bad_fields_by_label(site):
    c = client("档案员甲")
    before = ledger(site)
    c.post("/numbers/reserve/", {"prefix": "高教字", "year": "2022", "count": "两个", "reason": "x"})
    assert "预留个数" in c.get("/numbers/").content.decode()
    c.post("/numbers/void/", {"prefix": "高教字", "year": "2022", "number": "乱写", "reason": "x"})
    assert "文号" in c.get("/numbers/").content.decode()
    c.post("/numbers/offline/", {"prefix": "高教字", "year": "2022", "number": "高教字〔2022〕50号", "reason": ""})
    assert "原因" in c.get("/numbers/").content.decode()
    assert ledger(site) == before
    c.post("/numbers/offline/", {"prefix": "高教字", "year": "2022", "number": "高教字〔2022〕50号",
                                 "reason": "纸质件已发", "title": "线下通知"})
    assert ("高教字〔2022〕50号", "offline") in ledger(site)


@pytest.mark.parametrize("user", ["领导丙", "查阅丁"])
def test_reading_roles_cannot_issue_preview_void_or_register_offline(site, user):
    """The POSTs behind every 发文 and 文号 form, not only the pages: refused, nothing taken."""
    c = client(user)
    before = ledger(site)
    for url, form in (("/issue/notice/", dict(NOTICE, action="issue")), ("/issue/notice/", dict(NOTICE, action="preview")),
                      ("/numbers/void/", {"prefix": "高教字", "year": "2022", "number": "高教字〔2022〕8号", "reason": "试"}),
                      ("/numbers/offline/", {"prefix": "高教字", "year": "2022", "number": "高教字〔2022〕60号",
                                             "reason": "试", "title": "线下"})):
        r = c.post(url, form)
        assert r.status_code == 403 and "无权操作" in r.content.decode(), url
    assert ledger(site) == before


def test_each_ledger_form_names_the_field_it_refuses(site):
    """reserve / void / offline: the message beside the field names its Chinese label; nothing taken."""
    c = client("档案员甲")
    before = ledger(site)
    for what, form, message in (
            ("reserve", {"count": "两个", "reason": "x"}, "“预留个数”应为整数。"),
            ("reserve", {"count": "1", "reason": " "}, "请填写“预留原因”。"),
            ("void", {"number": "乱写", "reason": "x"}, "“文号”乱写不正确"),
            ("void", {"number": "", "reason": "x"}, "“文号”（空）不正确"),
            ("void", {"number": "高教字〔2022〕8号", "reason": ""}, "请填写“原因”。"),
            ("offline", {"number": "高教字〔2022〕51号", "reason": ""}, "请填写“原因”。")):
        r = c.post(f"/numbers/{what}/", {"prefix": "高教字", "year": "2022", **form}, follow=True)
        assert message in r.content.decode(), (what, form)
    assert ledger(site) == before


@pytest.mark.parametrize("name", ["notice", "pledge", "rectification_notice", "supervision_letter"])
def test_each_templates_form_names_every_missing_required_field_by_its_label(site, name):
    """The 拟文 form of every shipped template: submitted empty, each required field is marked
    beside itself with its own Chinese label, and no number is taken."""
    from generator.service import resolve_template

    template = resolve_template(name, site)
    required = [f for f in template.manifest.fields if f.required and f.default in (None, "", [])]
    assert required, name
    before = ledger(site)
    r = client("文书乙").post(f"/issue/{name}/", {"action": "issue"})
    page = r.content.decode()
    assert r.status_code == 200
    for f in required:
        assert f.label in field_error(page, f.name), (name, f.name)
    assert ledger(site) == before
