"""移交 pages (档案员 only): choose what goes into a transfer package and see what is left out,
build it (archive/transfer/export.py) in the background worker (wenshu/web/tasks.py), read its
DA/T 70 四性检测 report (archive/transfer/verify.py), download it; check an uploaded package;
import one (archive/transfer/importer.py) — the same calls as ``wenshu export|verify|import``.

Clearance: a record above the user's 密级 clearance is in no preview, count or package the user
builds — the selection's query resolves to exactly the 档号 the user may see. Uploaded packages
are stored outside the archive and opened by the hardened package code under the archive's
[limits]; nothing in them is trusted before the check.
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from archive.errors import WenshuError
from wenshu.web import access, tasks
from wenshu.web.audit import log
from wenshu.web.settings import archive  # one Archive per thread
from wenshu.web.views import require

PREVIEW_ROWS = 200
OUT_DIR = "transfers"  # under .wenshu/: the packages the app built, downloadable from their task


class Choice:
    """The form: 年度 / 保管期限 / 机构 / 检索 / 含密级 / 含已撤销, with a Chinese message per bad field."""

    def __init__(self, data):
        self.year_text = (data.get("年度") or "").strip()
        self.retention_text = (data.get("保管期限") or "").strip()
        self.org = (data.get("机构") or "").strip().upper()
        self.query = (data.get("检索") or "").strip()
        self.classified = data.get("含密级") == "1"
        self.withdrawn = data.get("含已撤销") == "1"
        self.errors: dict[str, str] = {}
        self.year = self.retention = None
        if self.year_text:
            if re.fullmatch(r"\d{4}", self.year_text) and 1949 <= int(self.year_text) <= datetime.now().year:
                self.year = int(self.year_text)
            else:
                self.errors["年度"] = f"年度：“{self.year_text}”应为四位年份，如 2022。"
        if self.retention_text:
            from archive.archival_code import Retention

            try:
                self.retention = Retention.parse(self.retention_text)
            except WenshuError:
                self.errors["保管期限"] = f"保管期限：“{self.retention_text}”无效，应为 永久、定期30年 或 定期10年。"
        if self.org and not re.fullmatch(r"[A-Z0-9]{1,8}", self.org):
            self.errors["机构"] = f"机构：“{self.org}”应为机构（问题）代码，如 BGS。"
        if self.query:
            from indexer.query import parse

            try:
                parse(self.query)
            except WenshuError as e:
                self.errors["检索"] = f"检索：{e}"

    def as_dict(self) -> dict:
        return {"年度": self.year_text, "保管期限": self.retention_text, "机构": self.org, "检索": self.query,
                "含密级": "1" if self.classified else "", "含已撤销": "1" if self.withdrawn else ""}


def plan(user, ch: Choice):
    """→ (Selection, query_codes, included records, left-out records with why). The query the
    export runs resolves to the 档号 included here, so the package is exactly the preview."""
    from archive.transfer.export import Selection, select_records
    from wenshu.indexing import query_codes

    a = archive()
    wide = Selection(year=ch.year, retention=ch.retention, org=ch.org or None, query=ch.query or None,
                     include_classified=True, include_withdrawn=True)
    chosen, _, _ = select_records(a, wide, query_codes)
    included, left = [], []
    for folder, r in chosen:
        if not access.visible(user, r.classification):
            continue  # does not exist for this user: not listed, not counted, not exported
        if r.withdrawn and not ch.withdrawn:
            left.append((r, "已撤销"))
        elif r.classification and not ch.classified:
            left.append((r, f"密级 {r.classification}（未勾选“含密级文件”）"))
        else:
            included.append(r)
    codes = {str(r.archival_code) for r in included}
    query = ch.query or None
    if query is None and ch.classified and access.hidden_marks(user):
        # the selection alone would take every 密级: narrow it to what the user may see (the
        # text is what the package's 说明 and the records' history say about the choice)
        query = f"可见密级不高于{access.clearance_of(user) or '非密'}"
    sel = Selection(year=ch.year, retention=ch.retention, org=ch.org or None, query=query,
                    include_classified=ch.classified, include_withdrawn=ch.withdrawn)
    return sel, (lambda _a, _q: codes), included, left


@require_GET
@require("export")
def transfer(request):
    from wenshu.web.models import TransferTask

    ch = Choice(request.GET) if request.GET else None
    ctx = {"ch": ch, "form": ch.as_dict() if ch else {}, "errors": ch.errors if ch else {},
           "tasks": [tasks.settle(t) for t in TransferTask.objects.all()[:20]],
           "hidden": access.hidden_marks(request.user)}
    if ch and not ch.errors:
        try:
            _, _, included, left = plan(request.user, ch)
        except WenshuError as e:
            ctx["errors"], ctx["general"] = {"__all__": str(e)}, str(e)
        else:
            ctx.update(included=included[:PREVIEW_ROWS], n_included=len(included), left=left[:PREVIEW_ROWS],
                       n_left=len(left))
    return render(request, "web/transfer.html", ctx, status=400 if ctx["errors"] else 200)


def _out_path(kind: str) -> Path:
    d = archive().state_dir / OUT_DIR
    d.mkdir(exist_ok=True)
    return d / f"{archive().config.fonds_code}-{kind}-{datetime.now():%Y%m%d-%H%M%S-%f}.zip"


@require_POST
@require("export")
def transfer_build(request):
    from wenshu.web.models import TransferTask

    ch = Choice(request.POST)
    if ch.errors:
        return redirect(f"/transfer/?{_qs(ch)}")
    try:
        sel, codes, included, _ = plan(request.user, ch)
    except WenshuError as e:
        return render(request, "web/error.html", {"title": "无法导出", "message": str(e)}, status=400)
    if not included:
        return render(request, "web/error.html", {"title": "无法导出",
                                                  "message": "没有符合条件的文件，未生成数据包。"}, status=400)
    out = _out_path("移交")
    user = request.user.get_username()
    task = TransferTask.objects.create(kind="export", username=user, selection=sel.describe(), source=str(out),
                                       total=len(included))
    log(request, "export", out.name, f"{len(included)} 件；{sel.describe()}")

    def work(task, progress):
        from archive.transfer.export import export_package
        from archive.transfer.verify import verify_package

        result = export_package(archive(), out, sel, actor=user, progress=progress, query_codes=codes, zip_output=True)
        progress("四性检测（DA/T 70）", 0, 1)
        report = verify_package(out, limits=archive().config.limits)
        return {"导出": result.as_dict(), "检测": report.as_dict(), "通过": report.ok}, report.text()

    tasks.start(task, work)
    return redirect("transfer_task", pk=task.pk)


def _qs(ch: Choice) -> str:
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in ch.as_dict().items() if v})


def _saved_upload(request, field: str) -> Path:
    """The uploaded package, written outside the archive; refused before saving when too big or
    not a .zip (a folder package is checked with ``wenshu verify`` on the machine that holds it)."""
    f = request.FILES.get(field)
    if f is None:
        raise WenshuError("数据包：请选择一个 .zip 数据包文件。")
    if not f.name.lower().endswith(".zip"):
        raise WenshuError(f"数据包：{os.path.basename(f.name)} 不是 .zip 文件；网页只接受 zip 数据包。")
    limits = archive().config.limits
    if f.size > limits.package_max_mb * (1 << 20):
        raise WenshuError(f"数据包：{f.size / (1 << 20):,.0f} MB，超过上限 {limits.package_max_mb} MB（limits.package_max_mb）。")
    d = Path(tempfile.mkdtemp(prefix="wenshu-收到的数据包-"))
    path = d / "数据包.zip"
    with open(path, "wb") as out:
        for chunk in f.chunks():
            out.write(chunk)
    return path


def _upload_task(request, kind: str, work_of):
    from wenshu.web.models import TransferTask

    try:
        path = _saved_upload(request, "package")
    except WenshuError as e:
        return render(request, "web/error.html", {"title": "无法接收数据包", "message": str(e)}, status=400)
    name = os.path.basename(request.FILES["package"].name)
    task = TransferTask.objects.create(kind=kind, username=request.user.get_username(), source=str(path),
                                       selection=f"上传的数据包 {name}")
    log(request, kind, name, f"{request.FILES['package'].size} 字节")
    tasks.start(task, work_of(path, request.user.get_username()))
    return redirect("transfer_task", pk=task.pk)


@require_POST
@require("export")
def transfer_verify(request):
    def work_of(path, user):
        def work(task, progress):
            from archive.transfer.verify import verify_package

            progress("四性检测（DA/T 70）", 0, 1)
            try:
                report = verify_package(path, limits=archive().config.limits)
            finally:
                _remove(path)
            return {"检测": report.as_dict(), "通过": report.ok}, report.text()
        return work
    return _upload_task(request, "verify", work_of)


@require_POST
@require("import")
def transfer_import(request):
    def work_of(path, user):
        def work(task, progress):
            from archive.transfer.importer import import_package
            from wenshu.indexing import index_filed

            try:
                result = import_package(archive(), path, actor=user, progress=progress, on_filed=index_filed)
            finally:
                _remove(path)
            return {"导入": result.as_dict(), "通过": True}, ""
        return work
    return _upload_task(request, "import", work_of)


def _remove(path: Path) -> None:
    try:
        path.unlink()
        path.parent.rmdir()
    except OSError:
        pass


def _task(pk):
    from wenshu.web.models import TransferTask

    return tasks.settled(TransferTask, pk)


@require_GET
@require("export")
def transfer_task(request, pk):
    t = _task(pk)
    result = tasks.result_of(t)
    checks = []
    for prop, items in (result.get("检测", {}).get("检测项", {}) or {}).items():
        checks.append({"prop": prop, "items": items})
    built = t.kind == "export" and t.state == "done" and Path(t.source).is_file()
    return render(request, "web/transfer_task.html", {
        "t": t, "result": result, "checks": checks, "running": t.state in ("queued", "running"),
        "built": built, "name": Path(t.source).name, "summary": _rows(result.get("导出") or result.get("导入") or {}),
        "passed": result.get("通过")})


def _rows(summary: dict) -> list[tuple[str, str]]:
    """An export's or import's summary as label/text rows (lists joined, nested tables left out)."""
    out = []
    for k, v in summary.items():
        if k in ("数据包", "登记表") or isinstance(v, dict):
            continue
        if isinstance(v, list):
            v = "；".join(str(x) for x in v) or "无"
        out.append((k, str(v)))
    return out


@require_GET
@require("export")
def transfer_download(request, pk):
    t = _task(pk)
    path = Path(t.source)
    out_dir = (archive().state_dir / OUT_DIR).resolve()
    if t.kind != "export" or t.state != "done" or path.resolve().parent != out_dir or not path.is_file():
        raise Http404("没有这个数据包。")
    log(request, "pkg_download", path.name, t.selection)
    resp = FileResponse(open(path, "rb"), as_attachment=True, filename=path.name, content_type="application/zip")
    resp["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(path.name)
    return resp
