"""The small archive the web tests serve: a notice with its PDF, a 机密 notice, a letter that
cites the notice and shares its case — filed with the archive's own filing and indexed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import make_config, write_docx

NOTICE_DN, SECRET_DN, LETTER_DN = "高教字〔2022〕8号", "高教字〔2022〕9号", "高教督函〔2022〕3号"
NOTICE_PHRASE = "课后服务工作要做到全覆盖"
SECRET_WORD = "绝不外传的考场安排"
PASSWORD = "Wenshu-测试-2022"
CASE = "督2022-001"
# username → (role, clearance)
USERS = {"档案员甲": ("档案员", "绝密"), "文书乙": ("文书", "机密"), "领导丙": ("领导", "秘密"), "查阅丁": ("查阅", "")}


def _pdf_of(docx: Path, out: Path) -> Path:
    from generator import pdf

    if not pdf.available():
        pytest.skip("没有 LibreOffice（soffice），无法为网页测试生成 PDF")
    return pdf.convert([docx], out)[0]


def build_archive(root: Path):
    """(archive, {"notice": 档号, "secret": 档号, "letter": 档号}) — every record indexed."""
    from archive.filing import file_record
    from archive.store import Archive
    from wenshu.indexing import index_filed

    archive = Archive.init(root, make_config())
    desk = root.parent / (root.name + "-desk")
    desk.mkdir(parents=True, exist_ok=True)
    notice = write_docx(desk / f"{NOTICE_DN}.docx", [
        "高平市教育局文件", NOTICE_DN, "关于进一步做好课后服务工作的通知", "各乡镇中心学校：",
        f"为落实“双减”要求，{NOTICE_PHRASE}，各校应于2022年4月1日前报送方案。",
        "一、提高认识。", "二、规范管理。<script>alert(1)</script>", "高平市教育局", "2022年3月25日"])
    codes = {}
    rec = file_record(archive, [(notice, "正本"), (_pdf_of(notice, desk / "pdf"), "版式文件")], {
        "title": "关于进一步做好课后服务工作的通知", "doc_number": NOTICE_DN, "author": "高平市教育局",
        "date": "2022-03-25", "doc_type": "通知", "recipients": "各乡镇中心学校", "case": CASE}, org="BGS")
    codes["notice"] = str(rec.archival_code)
    secret = write_docx(desk / f"{SECRET_DN}.docx", [
        "机密", SECRET_DN, "关于2022年中考考务工作的通知", f"本件内容为{SECRET_WORD}，课后服务时间另行通知。"])
    secret_pdf = _pdf_of(secret, desk / "pdf")
    rec = file_record(archive, [(secret, "正本"), (secret_pdf, "版式文件")], {
        "title": "关于2022年中考考务工作的通知", "doc_number": SECRET_DN, "author": "高平市教育局",
        "date": "2022-04-02", "doc_type": "通知", "classification": "机密"}, org="BGS")
    codes["secret"] = str(rec.archival_code)
    letter = write_docx(desk / "督办函.docx", [
        LETTER_DN, "关于督促落实课后服务工作的函", f"根据{NOTICE_DN}要求，请你校于2022年4月15日前整改。"])
    rec = file_record(archive, [(letter, "正本")], {
        "title": "关于督促落实课后服务工作的函", "doc_number": LETTER_DN, "author": "高平市教育局",
        "date": "2022-04-05", "doc_type": "函", "case": CASE}, org="JJK")
    codes["letter"] = str(rec.archival_code)
    from archive.filing import iter_records

    paths = [folder / f.name for folder, r in iter_records(archive) for f in r.files]
    index_filed(archive, paths)
    shutil.rmtree(desk, ignore_errors=True)
    return archive, codes


_SITE: dict = {}


def django_site(tmp_path_factory):
    """The one archive Django serves in this test process, shared by every test-client module:
    Django is configured once per process (wenshu/web/settings.setup), so a second module with an
    archive of its own could only skip. Built, set up and given the USERS on first use."""
    if not _SITE:
        from wenshu.web import accounts
        from wenshu.web.settings import setup

        archive, codes = build_archive(tmp_path_factory.mktemp("web") / "档案库")
        setup(archive.root)
        for name, (role, clearance) in USERS.items():
            accounts.add_user(name, PASSWORD, role, clearance)
        _SITE.update(archive=archive, codes=codes)
    return _SITE["archive"], _SITE["codes"]


def logged_in(name: str):
    """A Django test client logged in as ``name`` through the login page (axes needs the request)."""
    from django.test import Client

    c = Client()
    assert c.post("/login/", {"username": name, "password": PASSWORD}).status_code == 302
    return c
