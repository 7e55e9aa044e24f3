"""批量 and 新增机关代字 through Django's test client over the shared web archive: the matching
report names the unmatched column and the bad row before anything is issued (no number taken),
reading roles are refused, a batch of 3 runs through the background task and its zip holds the 3
documents; the 机关代字 form refuses bad input naming the field and writes a good one to wenshu.toml."""

from __future__ import annotations

import csv
import io
import time
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("django", reason="Django 未安装（pip install 'Django>=4.2'）")

from tests.web_helpers import django_site, logged_in

CLAUSES = "不在校外培训机构兼职。\n不组织学生有偿补课。"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return django_site(tmp_path_factory)[0]


client = logged_in


def roster(rows, header=("姓名", "学校", "学科", "备注")) -> io.BytesIO:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    f = io.BytesIO(buf.getvalue().encode("utf-8-sig"))
    f.name = "教师名册.csv"
    return f


def ledger(archive):
    return [(e.label, e.status) for e in archive.registry.entries()]


def upload(c, rows, **extra):
    return c.post("/batch/", {"template": "pledge", "roster": roster(rows), "common_clauses": CLAUSES, **extra})


def test_matching_report_names_unmatched_column_and_bad_row_before_anything_is_issued(site):
    from wenshu.web.models import BatchTask

    before, tasks_before = ledger(site), BatchTask.objects.count()
    r = upload(client("文书乙"), [["王芳", "一中", "数学", "班主任"], ["", "二中", "语文", ""], ["李强", "二中", "英语", ""]])
    page = r.content.decode()
    assert r.status_code == 200
    assert "<td>姓名</td><td>姓名</td>" in page and "<td>学科</td><td>学科</td>" in page
    assert "列 备注 没有对应的字段" in page  # the unmatched column, named
    assert "第 3 行" in page and "缺少必填字段“姓名”" in page  # the bad row and why
    assert "可生成 2 份" in page and "未占用编号" in page
    assert ledger(site) == before and BatchTask.objects.count() == tasks_before  # nothing taken, nothing started


def test_missing_required_column_and_wrong_file_are_reported(site):
    c = client("文书乙")
    r = c.post("/batch/", {"template": "pledge", "roster": roster([["一中", "数学"]], header=("学校", "学科")),
                           "common_clauses": CLAUSES})
    assert "缺少必填列：姓名（name）" in r.content.decode() and 'id="batch-run"' not in r.content.decode()
    bad = io.BytesIO(b"x")
    bad.name = "名册.doc"
    r = c.post("/batch/", {"template": "pledge", "roster": bad})
    assert r.status_code == 400 and "“名册”名册.doc 应为 .xlsx 或 .csv 文件" in r.content.decode()
    r = c.post("/batch/", {"template": "pledge"})
    assert r.status_code == 400 and "请选择“名册”文件" in r.content.decode()


@pytest.mark.parametrize("user", ["领导丙", "查阅丁"])
def test_reading_roles_are_refused(site, user):
    before = ledger(site)
    c = client(user)
    for r in (c.get("/batch/"), upload(c, [["王芳", "一中", "数学", ""]]),
              c.post("/batch/run/", {"template": "pledge", "token": "20220101-000000-000000"}),
              c.post("/numbers-prefix/", {"code": "高教函"})):
        assert r.status_code == 403 and "无权操作" in r.content.decode()
    assert ledger(site) == before and "高教函" not in site.config_path.read_text(encoding="utf-8")


def test_a_batch_of_three_completes_through_the_task_and_its_zip_holds_three(site):
    from generator import pdf
    from wenshu.web.models import AccessLog, BatchTask

    c = client("文书乙")
    page = upload(c, [["赵一", "一中", "数学", ""], ["钱二", "一中", "语文", ""], ["孙三", "二中", "英语", ""]]).content.decode()
    token = page.split('name="token" value="')[1].split('"')[0]
    r = c.post("/batch/run/", {"template": "pledge", "token": token, "common_clauses": CLAUSES})
    assert r.status_code == 302
    t = BatchTask.objects.get(pk=int(r["Location"].rstrip("/").split("/")[-1]))
    deadline = time.monotonic() + 600  # a guard against a hung task, not a measurement
    while t.running and time.monotonic() < deadline:
        time.sleep(0.5)
        t.refresh_from_db()
    assert t.state == "done", t.error
    status = c.get(f"/batch/task/{t.pk}/status/").json()
    assert status["state"] == "done" and status["percent"] == 100
    page = c.get(r["Location"]).content.decode()
    assert "已生成并归档 3 份" in page and "赵一" in page
    z = zipfile.ZipFile(io.BytesIO(b"".join(c.get(f"/batch/task/{t.pk}/file/承诺书-3份.zip").streaming_content)))
    names = z.namelist()
    assert len([n for n in names if n.endswith(".docx")]) == 3 and any("孙三" in n for n in names)
    if pdf.available():
        assert len([n for n in names if n.endswith(".pdf")]) == 3
        assert "承诺书合并打印/一中.pdf" in page and "承诺书合并打印/二中.pdf" in page
        body = b"".join(c.get(f"/batch/task/{t.pk}/file/承诺书合并打印/一中.pdf").streaming_content)
        assert body.startswith(b"%PDF")
    assert c.get(f"/batch/task/{t.pk}/file/../../wenshu.toml").status_code == 404
    # the batch ended: its roster copy is gone, only what the page offers stays, and says how long
    folder = Path(t.out_dir).parent
    assert not Path(t.source).exists()
    kept = {p.relative_to(folder / "out").as_posix() for p in folder.rglob("*") if p.is_file()}
    assert kept == {"承诺书-3份.zip", *(["承诺书合并打印/一中.pdf", "承诺书合并打印/二中.pdf"] if pdf.available() else [])}
    assert "保留到" in page and "7 天" in page
    assert AccessLog.objects.filter(action="batch", username="文书乙").exists()
    labels = {a.action_label for a in AccessLog.objects.filter(action__in=("batch", "upload"))}
    assert "批量生成" in labels


def test_add_prefix_form_validates_and_writes_wenshu_toml(site):
    from archive.config import ArchiveConfig
    from wenshu.web.models import AccessLog

    c = client("档案员甲")
    before = site.config_path.read_text(encoding="utf-8")
    for form, message in (({"code": ""}, "请填写“机关代字”"), ({"code": "1高"}, "机关代字“1高”不正确：应为汉字"),
                          ({"code": "高教字"}, "“机关代字”“高教字”已经配置过了"),
                          ({"code": "高教研", "counter": "不存在"}, "“计数器”“不存在”不是已有的流水号")):
        r = c.post("/numbers-prefix/", form, follow=True)
        assert message in r.content.decode(), form
    assert site.config_path.read_text(encoding="utf-8") == before  # nothing written
    assert "新增机关代字" not in client("文书乙").get("/numbers/").content.decode()  # 档案员 only
    assert client("文书乙").post("/numbers-prefix/", {"code": "高教研"}).status_code == 403
    r = c.post("/numbers-prefix/", {"code": "高教研", "purpose": "教研室文件", "counter": "高教字"}, follow=True)
    assert "已新增机关代字：高教研" in r.content.decode()
    config = ArchiveConfig.load(site.config_path)
    assert config.prefix("高教研").series == "高教字" and config.prefix("高教研").purpose == "教研室文件"
    assert before.rstrip() in site.config_path.read_text(encoding="utf-8")  # the office's comments stay
    assert "<option>高教研</option>" in c.get("/numbers/").content.decode()
    assert AccessLog.objects.filter(action="prefix_add", object="高教研").exists()


def test_a_prefix_added_by_one_thread_is_seen_by_the_others(site):
    """The server keeps one Archive per thread (settings.archive): a 机关代字 added in a request on
    one thread is offered by a request on another thread that had read wenshu.toml before."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def numbers_page():  # a request on the pool's one thread: the same thread, the same Archive
        try:
            return client("文书乙").get("/numbers/").content.decode()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as other:
        assert "<option>高教规</option>" not in other.submit(numbers_page).result()  # read before the write
        r = client("档案员甲").post("/numbers-prefix/", {"code": "高教规", "purpose": "规范性文件"}, follow=True)
        assert "已新增机关代字：高教规" in r.content.decode()
        assert "<option>高教规</option>" in other.submit(numbers_page).result()
        # and the other way: written by a request on that thread, seen here
        def add():
            try:
                return client("档案员甲").post("/numbers-prefix/", {"code": "高教备"}, follow=True).content.decode()
            finally:
                connection.close()

        assert "已新增机关代字：高教备" in other.submit(add).result()
    assert "<option>高教备</option>" in client("文书乙").get("/numbers/").content.decode()


def test_working_files_go_when_their_downloads_are_no_longer_offered(site):
    """Opening the 批量 page sweeps: a finished batch's folder after DOWNLOADS_KEPT (its page then
    says the downloads were deleted, the files 404), a roster checked but never generated after a day."""
    import os
    from datetime import datetime, timedelta

    from django.utils import timezone

    from wenshu.web.batches import DOWNLOADS_KEPT, UNCHECKED_KEPT, UPLOADS
    from wenshu.web.models import BatchTask

    base = site.state_dir / UPLOADS
    c = client("文书乙")
    old_token = f"{datetime.now() - UNCHECKED_KEPT - timedelta(hours=1):%Y%m%d-%H%M%S-%f}"
    (base / old_token).mkdir(parents=True)
    (base / old_token / "名册.csv").write_text("姓名\n王芳\n", encoding="utf-8")
    fresh = upload(c, [["周五", "一中", "数学", ""]]).content.decode().split('name="token" value="')[1].split('"')[0]
    done_token = f"{datetime.now() - timedelta(days=8):%Y%m%d-%H%M%S-%f}"
    out = base / done_token / "out"
    out.mkdir(parents=True)
    (out / "承诺书-1份.zip").write_bytes(b"PK")
    t = BatchTask.objects.create(template="pledge", template_label="承诺书", roster="名册.csv", source="",
                                 out_dir=str(out), username="文书乙", state="done",
                                 result='{"produced": 1, "combined": [], "zip": "承诺书-1份.zip", "records": []}')
    assert "保留到" in c.get(f"/batch/task/{t.pk}/").content.decode()
    BatchTask.objects.filter(pk=t.pk).update(updated=timezone.now() - DOWNLOADS_KEPT - timedelta(hours=1))
    assert c.get("/batch/").status_code == 200  # the sweep
    assert not (base / old_token).exists() and not (base / done_token).exists()
    assert (base / fresh).is_dir()  # checked a moment ago: still waiting for 生成
    page = c.get(f"/batch/task/{t.pk}/").content.decode()
    assert 'id="expired"' in page and 'id="zip"' not in page
    assert c.get(f"/batch/task/{t.pk}/file/承诺书-1份.zip").status_code == 404


@pytest.mark.parametrize("token", ["../../wenshu.toml", "20220101-000000-000000/../..", "..", "abc",
                                   "20220101-000000-000000 ", "/etc/passwd", ""])
def test_a_batch_id_that_is_not_an_id_is_404(site, token):
    c = client("文书乙")
    r = c.post("/batch/run/", {"template": "pledge", "token": token, "common_clauses": CLAUSES})
    assert r.status_code == 404


@pytest.mark.parametrize("path", ["/batch/task/../status/", "/batch/task/abc/", "/batch/task/1.0/status/",
                                  "/batch/task/%2e%2e%2f/", "/batch/task/999999/", "/batch/task/999999/status/"])
def test_a_task_id_that_is_not_a_task_is_404(site, path):
    assert client("文书乙").get(path).status_code == 404


@pytest.mark.parametrize("user", ["领导丙", "查阅丁"])
def test_reading_roles_are_refused_a_batch_task_its_progress_and_its_files(site, user):
    from wenshu.web.models import BatchTask

    t = BatchTask.objects.create(template="pledge", template_label="承诺书", roster="名册.csv", source="",
                                 out_dir="", username="文书乙", state="done",
                                 result='{"produced": 0, "combined": [], "zip": "承诺书-0份.zip", "records": []}')
    c = client(user)
    for url in (f"/batch/task/{t.pk}/", f"/batch/task/{t.pk}/status/", f"/batch/task/{t.pk}/file/承诺书-0份.zip"):
        r = c.get(url)
        assert r.status_code == 403 and "无权操作" in r.content.decode(), url
