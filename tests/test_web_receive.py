"""收文登记, 案件/督办 and 移交 pages through Django's test client over a real archive: validation
messages naming the field, each role's refusals, clearance in cases and transfer previews, the
background export with its DA/T 70 report, and uploaded packages with unsafe names refused."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest

pytest.importorskip("django", reason="Django 未安装（pip install 'Django>=4.2'）")

from tests.conftest import write_docx
from tests.web_helpers import CASE, PASSWORD, django_site, logged_in

CASE2 = "督2022-002"
RECEIVED_TITLE = "关于报送课后服务整改情况的报告"
MORE_USERS = {"档案员戊": ("档案员", "")}  # an archivist cleared for nothing classified


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The web tests' archive (or the one this process's Django already serves), plus an overdue
    整改 case holding a 机密 record."""
    from archive.filing import file_record
    from wenshu.indexing import index_filed
    from wenshu.web import accounts

    archive, _ = django_site(tmp_path_factory)
    for name, (role, clearance) in MORE_USERS.items():
        try:
            accounts.add_user(name, PASSWORD, role, clearance)
        except Exception:  # created by another module of this process
            pass
    desk = tmp_path_factory.mktemp("desk")
    deadline = date.today() - timedelta(days=12)
    notice = write_docx(desk / "整改通知书.docx", ["高教督函〔2022〕7号", "关于限期整改课后服务问题的通知书",
                                                 "城关小学：", f"请于{deadline:%Y年%m月%d日}前完成整改并报告。"])
    filed = [file_record(archive, [(notice, "正本")], {
        "title": "关于限期整改课后服务问题的通知书", "doc_number": "高教督函〔2022〕7号", "author": "高平市教育局",
        "date": "2022-05-10", "doc_type": "通知", "recipients": "城关小学", "case": CASE2,
        "deadline": deadline.isoformat()}, org="JJK")]
    secret = write_docx(desk / "机密情况.docx", ["关于城关小学问题线索的情况说明", "机密内容"])
    filed.append(file_record(archive, [(secret, "正本")], {
        "title": "关于城关小学问题线索的情况说明", "author": "高平市教育局", "date": "2022-05-12",
        "doc_type": "报告", "classification": "机密", "case": CASE2}, org="JJK"))
    loose = write_docx(desk / "函.docx", ["关于课后服务经费的函", "经费另行下达。"])
    filed.append(file_record(archive, [(loose, "正本")], {
        "title": "关于课后服务经费的函", "author": "高平市教育局", "date": "2022-05-20", "doc_type": "函"}, org="JJK"))
    index_filed(archive, [archive.root / r.relative_folder() / f.name for r in filed for f in r.files])
    return archive, {"notice": str(filed[0].archival_code), "secret": str(filed[1].archival_code),
                     "loose": str(filed[2].archival_code)}, desk


_clients: dict = {}


def client(name):
    if name not in _clients:
        _clients[name] = logged_in(name)
    return _clients[name]


def html(resp) -> str:
    return resp.content.decode("utf-8")


def errors(resp) -> list[str]:
    import re

    return re.findall(r'class="(?:field-)?error"[^>]*>([^<]*)<', html(resp))


def received_docx(desk: Path, name="来文.docx", body="我校已按要求开展课后服务。") -> Path:
    return write_docx(desk / name, ["城关小学", "城关校字〔2022〕3号", "关于报送课后服务情况的报告",
                                    "高平市教育局：", body, "城关小学", "2022年5月28日"])


def upload(c, path: Path):
    with open(path, "rb") as f:
        return c.post("/receive/upload/", {"files": f})


def review_key(resp) -> str:
    assert resp.status_code == 302, html(resp)[:500]
    return resp["Location"].strip("/").split("/")[-1]


def test_upload_shows_what_was_read_and_files_with_a_registration_number(site):
    archive, _, desk = site
    from wenshu.web.models import AccessLog

    c = client("文书乙")
    key = review_key(upload(c, received_docx(desk)))
    page = html(c.get(f"/receive/{key}/"))
    assert 'value="城关校字〔2022〕3号"' in page and 'value="关于报送课后服务情况的报告"' in page
    assert 'value="2022-05-28"' in page
    values = {"文号": "城关校字〔2022〕3号", "题名": RECEIVED_TITLE, "责任者": "城关小学", "成文日期": "2022-05-28",
              "主送": "高平市教育局", "文种": "报告", "案件": CASE}
    r = c.post(f"/receive/{key}/", values)
    assert r.status_code == 302 and r["Location"].startswith("/record/")
    record_page = html(c.get(r["Location"]))
    assert RECEIVED_TITLE in record_page
    number = f"收文{date.today().year}-"
    assert "收文编号" in record_page and number in record_page
    code = r["Location"].split("/")[2]
    from urllib.parse import unquote

    entries = [e for e in archive.registry.entries(kind="item") if e.series == "收文" and e.record == unquote(code)]
    assert len(entries) == 1
    assert AccessLog.objects.filter(action="receive", object=unquote(code)).exists()
    assert AccessLog.objects.filter(action="upload", object="来文.docx").exists()
    assert c.get(f"/receive/{key}/").status_code == 404  # filed: no longer waiting


def test_each_invalid_field_is_named_in_chinese(site):
    _, _, desk = site
    c = client("文书乙")
    key = review_key(upload(c, received_docx(desk, "待改.docx", "待改的来文。")))
    r = c.post(f"/receive/{key}/", {"题名": "", "文号": "不是文号", "成文日期": "2022-13-45", "密级": "绝密",
                                     "保管期限": "五年"})
    assert r.status_code == 400
    page = html(r)
    for msg in ("题名：必填", "文号：“不是文号”", "成文日期：“2022-13-45”不是日期", "密级：“绝密”超出您的可见密级",
                "保管期限：“五年”无效"):
        assert msg in page, msg
    assert c.get(f"/receive/{key}/").status_code == 200  # nothing filed
    r = c.post("/receive/upload/", {})
    assert r.status_code == 400 and "收文文件：请选择至少一个文件" in html(r)


def test_unread_fields_are_flagged_and_shown_first(site):
    import re

    from archive.metadata import DocMeta
    from archive.registration import review_fields

    read = review_fields(DocMeta(doc_number="高教字〔2022〕8号", title="关于课后服务的通知"))
    assert [(f.label, f.flag) for f in read] == [("责任者", "待核对"), ("成文日期", "日期待核"), ("主送", "待核对"),
                                                 ("文种", "待核对"), ("文号", ""), ("题名", "")]
    _, _, desk = site
    c = client("文书乙")
    plain = write_docx(desk / "便条.docx", ["关于课后服务的通知", "请于下周一前回复。"])
    key = review_key(upload(c, plain))
    page = html(c.get(f"/receive/{key}/"))
    rows = re.findall(r'<tr class="(flagged|)">\s*<th><label[^>]*>([^<]+)</label>', page)
    flags = [bool(f) for f, _ in rows]
    assert flags == sorted(flags, reverse=True) and any(flags) and not all(flags)  # flagged ones first
    assert "日期待核" in page
    assert c.post(f"/receive/{key}/discard/").status_code == 302
    assert c.get(f"/receive/{key}/").status_code == 404


def test_inbox_failures_are_listed_with_their_reason_and_can_be_filed(site):
    archive, _, desk = site
    from archive.inbox import set_aside

    archive.inbox.mkdir(exist_ok=True)
    src = received_docx(archive.inbox, "扫描失败.docx", "自查情况如下。")
    target = set_aside(archive, src, "未能识别题名（测试）")
    c = client("文书乙")
    page = html(c.get("/receive/"))
    assert "扫描失败.docx" in page and "未能识别题名（测试）" in page
    import re

    key = re.search(r'/receive/(f[0-9a-f]{24})/', page).group(1)
    r = c.post(f"/receive/{key}/", {"题名": "关于课后服务自查的报告", "文号": "城关校字〔2022〕4号"})
    assert r.status_code == 302, errors(r)
    from urllib.parse import unquote

    from archive.filing import find_record

    assert find_record(archive, unquote(r["Location"].split("/")[2]))[1].doc_type == "报告"  # from the 题名
    assert not target.exists() and not Path(str(target) + ".未能归档原因.txt").exists()


def test_roles_refused(site):
    for name in ("领导丙", "查阅丁"):
        c = client(name)
        for url in ("/receive/", "/transfer/", "/transfer/task/1/"):
            assert c.get(url).status_code == 403, (name, url)
        for url in ("/receive/upload/", "/transfer/build/", "/transfer/verify/", "/transfer/import/", "/cases/link/"):
            assert c.post(url, {"文件": "x", "案件": "y"}).status_code == 403, (name, url)
        assert c.get("/cases/").status_code == 200  # reading cases is for everyone
    c = client("文书乙")  # files 收文, but exports and imports nothing
    assert c.get("/transfer/").status_code == 403
    assert c.post("/transfer/import/").status_code == 403
    assert c.get("/").content.count("移交".encode()) == 0
    from django.test import Client

    assert Client().get("/receive/").status_code == 302  # not logged in: to the login page


def test_cases_page_shows_overdue_and_hides_what_the_user_may_not_see(site):
    _, codes, _ = site
    c = client("查阅丁")
    page = html(c.get("/cases/"))
    assert CASE2 in page and "逾期 12 天" in page
    case = html(c.get(f"/cases/{CASE2}/"))
    assert "关于限期整改课后服务问题的通知书" in case and "城关小学" in case
    assert "关于城关小学问题线索的情况说明" not in case  # 机密, above 查阅丁's clearance
    assert "关于城关小学问题线索的情况说明" in html(client("文书乙").get(f"/cases/{CASE2}/"))
    assert c.get("/cases/没有的案件/").status_code == 404


def test_link_a_document_to_a_case(site):
    archive, codes, _ = site
    from archive.filing import find_record
    from wenshu.web.models import AccessLog

    c = client("文书乙")
    r = c.post("/cases/link/", {"文件": "", "案件": ""})
    msgs = html(c.get("/cases/"))
    assert "文件：请填写" in msgs and "案件：请填写案件编号" in msgs
    r = c.post("/cases/link/", {"文件": codes["loose"], "案件": CASE2, "back": CASE2})
    from urllib.parse import unquote

    assert r.status_code == 302 and unquote(r["Location"]) == f"/cases/{CASE2}/"
    assert find_record(archive, codes["loose"])[1].case == CASE2
    assert "关于课后服务经费的函" in html(c.get(f"/cases/{CASE2}/"))
    assert AccessLog.objects.filter(action="case_link", object=codes["loose"]).exists()


def wait(pk: int, limit: float = 240):
    from wenshu.web.models import TransferTask

    end = time.monotonic() + limit
    while True:
        t = TransferTask.objects.get(pk=pk)
        if t.state in ("done", "failed") or time.monotonic() > end:
            return t
        time.sleep(0.2)


def test_transfer_preview_validation_and_clearance(site):
    _, codes, _ = site
    c = client("档案员甲")
    r = c.get("/transfer/", {"年度": "22x", "保管期限": "五年", "机构": "b-gs"})
    assert r.status_code == 400
    for msg in ("年度：“22x”应为四位年份", "保管期限：“五年”无效", "机构：“B-GS”应为机构"):
        assert msg in html(r), msg
    page = html(c.get("/transfer/", {"年度": "2022"}))
    assert "不导出" in page and "未勾选“含密级文件”" in page and codes["secret"] in page
    low = html(client("档案员戊").get("/transfer/", {"年度": "2022", "含密级": "1"}))
    assert codes["secret"] not in low and "关于城关小学问题线索的情况说明" not in low
    assert "密级高于您可见密级的文件" in low


def test_build_verify_download_a_package(site):
    c = client("档案员甲")
    r = c.post("/transfer/build/", {"年度": "2022", "机构": "JJK"})
    assert r.status_code == 302
    pk = int(r["Location"].rstrip("/").split("/")[-1])
    t = wait(pk)
    assert t.state == "done", t.error
    assert "检索" not in t.selection  # nothing typed, nothing hidden from a 绝密 archivist: no query
    page = html(c.get(f"/transfer/task/{pk}/"))
    assert "四性检测（DA/T 70-2018）：通过" in page
    resp = c.get(f"/transfer/task/{pk}/download/")
    data = b"".join(resp.streaming_content)
    assert data == Path(t.source).read_bytes() and zipfile.is_zipfile(io.BytesIO(data))
    from wenshu.web.models import AccessLog

    assert AccessLog.objects.filter(action="export").exists()
    assert AccessLog.objects.filter(action="pkg_download").exists()


def _evil_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("A001-2022/说明文件.txt", "x")
        z.writestr("../../逃出来的文件.txt", "escaped")
    return buf.getvalue()


def test_package_with_dotdot_names_is_refused(site, tmp_path):
    archive, _, _ = site
    from django.core.files.uploadedfile import SimpleUploadedFile

    c = client("档案员甲")
    r = c.post("/transfer/verify/", {"package": SimpleUploadedFile("坏包.zip", _evil_zip())})
    t = wait(int(r["Location"].rstrip("/").split("/")[-1]))
    page = html(c.get(f"/transfer/task/{t.pk}/"))
    assert t.state == "done" and "四性检测（DA/T 70-2018）：不通过" in page
    r = c.post("/transfer/import/", {"package": SimpleUploadedFile("坏包.zip", _evil_zip())})
    t = wait(int(r["Location"].rstrip("/").split("/")[-1]))
    assert t.state == "failed" and "未导入任何记录" in t.error
    assert not any(p.name == "逃出来的文件.txt" for p in archive.root.parent.rglob("逃出来的文件.txt"))
    r = c.post("/transfer/verify/", {"package": SimpleUploadedFile("包.tar", b"x")})
    assert r.status_code == 400 and "数据包：包.tar 不是 .zip 文件" in html(r)


def test_campaign_rectification_items_overdue_are_listed_read_only(site):
    """Last in the module: the campaign files its own records into the archive."""
    archive, _, _ = site
    from campaign.rectify import overdue
    from tests.test_campaign import run_campaign
    from wenshu.web.settings import archive as served

    store, camp, _ = run_campaign(served())
    late = overdue(store, camp)
    assert late
    page = html(client("查阅丁").get("/cases/"))
    assert "专项督办：逾期整改事项" in page
    for item, days in late:
        assert item.id in page and f"逾期 {days} 天" in page


def test_reading_roles_cannot_file_discard_or_see_a_waiting_received_document(site):
    """A 收文 waiting for review: its page, its page images, filing it and discarding it are the
    filing roles' — the others are refused and it stays waiting."""
    _, _, desk = site
    key = review_key(upload(client("文书乙"), received_docx(desk, "待登记.docx", "请审阅。")))
    for name in ("领导丙", "查阅丁"):
        c = client(name)
        assert c.get(f"/receive/{key}/").status_code == 403
        assert c.get(f"/receive/{key}/page/1.png").status_code == 403
        assert c.post(f"/receive/{key}/", {"题名": "关于课后服务的报告"}).status_code == 403
        assert c.post(f"/receive/{key}/discard/").status_code == 403
    assert client("文书乙").get(f"/receive/{key}/").status_code == 200  # still waiting
    assert client("文书乙").post(f"/receive/{key}/discard/").status_code == 302


def test_transfer_forms_name_what_is_wrong(site):
    """导出: a bad 年度 sends the form back with the field named; 检测/导入 without a package or
    with a non-zip name: 400 naming 数据包; a build that matches nothing says so."""
    import io

    c = client("档案员甲")
    r = c.post("/transfer/build/", {"年度": "22x"}, follow=True)
    assert "年度：“22x”应为四位年份" in html(r)
    r = c.post("/transfer/build/", {"年度": "1990"})
    assert r.status_code == 400 and "没有符合条件的文件，未生成数据包" in html(r)
    for url in ("/transfer/verify/", "/transfer/import/"):
        r = c.post(url, {})
        assert r.status_code == 400 and "数据包：请选择一个 .zip 数据包文件" in html(r), url
        f = io.BytesIO(b"not a zip")
        f.name = "移交.rar"
        r = c.post(url, {"package": f})
        assert r.status_code == 400 and "数据包：移交.rar 不是 .zip 文件" in html(r), url


def test_clerks_and_readers_are_refused_a_transfer_task_and_its_download(site):
    from wenshu.web.models import TransferTask

    t = TransferTask.objects.create(kind="export", username="档案员甲", selection="2022", source="", state="done")
    for name in ("文书乙", "领导丙", "查阅丁"):
        c = client(name)
        assert c.get(f"/transfer/task/{t.pk}/").status_code == 403, name
        assert c.get(f"/transfer/task/{t.pk}/download/").status_code == 403, name
        assert c.post("/transfer/build/", {"年度": "2022"}).status_code == 403, name


def test_an_empty_received_file_is_refused_by_name(site):
    import io

    f = io.BytesIO(b"")
    f.name = "空白来文.pdf"
    r = client("文书乙").post("/receive/upload/", {"files": [f]})
    assert r.status_code == 400 and "收文文件：空白来文.pdf 是空文件，未上传。" in html(r)
