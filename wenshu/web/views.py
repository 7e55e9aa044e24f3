"""The pages. Each view is a few lines over library functions: indexer.search for 检索,
wenshu.web.records for a record and its files, wenshu.web.access for who may see what, and
wenshu.web.audit for the log. A record the user may not see is answered exactly like a record
that does not exist (404)."""

from __future__ import annotations

import mimetypes
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from archive.archival_code import Retention
from wenshu.web import access, records, searching
from wenshu.web.audit import log
from wenshu.web.settings import FAILURE_LIMIT, LOCKOUT, archive

_index = None


def index():
    """One ArchiveIndex per process: it keeps a whoosh searcher per thread and refreshes it
    after each commit, so the app sees what the CLI or the watcher filed."""
    global _index
    if _index is None:
        from indexer.index import ArchiveIndex

        _index = ArchiveIndex(archive(), notify=lambda m: None)
    return _index


def context(request):
    user = request.user
    return {"role": access.role_of(user), "clearance": access.clearance_of(user),
            "can_audit": access.can(user, "audit"), "can_issue": access.can(user, "issue"), "fonds_name": archive().config.fonds_name,
            # part 2 nav (收文登记, 案件, 移交)
            "can_receive": access.can(user, "file"), "can_cases": access.can(user, "cases"),
            "can_transfer": access.can(user, "export")}


def csrf_failure(request, reason=""):
    return render(request, "web/error.html", {"title": "请求被拒绝",
                                              "message": "表单已过期或缺少安全令牌（CSRF）。请刷新页面后重试。"},
                  status=403)


def locked_out(request, credentials=None, *args, **kwargs):
    minutes = int(LOCKOUT.total_seconds() // 60)
    return render(request, "web/login.html", {"form": None, "locked": True, "error":
                  f"连续 {FAILURE_LIMIT} 次登录失败，该账户已被锁定 {minutes} 分钟，请稍后再试或联系档案员。"},
                  status=429)


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


def require(action):
    def wrap(view):
        @login_required
        def inner(request, *a, **kw):
            if not access.can(request.user, action):
                return render(request, "web/error.html", {"title": "无权操作",
                              "message": "您的角色不能进行此操作。"}, status=403)
            return view(request, *a, **kw)
        inner.__name__ = view.__name__
        inner.__doc__ = view.__doc__
        return inner
    return wrap


def snippet_html(snippet: str) -> str:
    """The library marks matches with <b>…</b>; everything else in the snippet is text from a
    document and is escaped — a received file's text never becomes markup."""
    out, rest = [], snippet
    while True:
        i = rest.find("<b>")
        j = rest.find("</b>", i + 3) if i >= 0 else -1
        if i < 0 or j < 0:
            out.append(escape(rest))
            break
        out.append(escape(rest[:i]) + "<mark>" + escape(rest[i + 3:j]) + "</mark>")
        rest = rest[j + 4:]
    return mark_safe("".join(out))


FACET_PARAM = {"年度": "year", "文种": "doctype", "机关": "author", "保管期限": "retention", "案件": "case"}


@require_GET
@require("search")
def search(request):
    form = searching.Form.from_get(request.GET)
    res = searching.run(index(), request.user, form) if form.active else None
    if form.active:
        outcome = f"{res.total} 件" if res is not None else "；".join(form.errors)
        log(request, "search", form.q, f"{outcome}；" + "&".join(f"{k}={v}" for k, v in form.params().items()))
    hits = []
    if res is not None:
        for h in res.hits:
            hits.append({"hit": h, "snippet": snippet_html(h.snippet)})
    facets = []
    if res is not None:
        for label, counts in res.facets.items():
            param = FACET_PARAM.get(label)
            if not param or not counts:
                continue
            current = getattr(form, param)
            facets.append({"label": label, "items": [
                {"value": k, "count": v, "on": str(k) == current,
                 "url": form.url(**{param: "" if str(k) == current else k, "page": ""})}
                for k, v in list(counts.items())[:12]]})
    pages = []
    if res is not None and res.pages > 1:
        lo, hi = max(1, res.page - 4), min(res.pages, res.page + 4)
        pages = [{"n": n, "url": form.url(page=n), "on": n == res.page} for n in range(lo, hi + 1)]
    return render(request, "web/search.html", {
        "form": form, "res": res, "hits": hits, "facets": facets, "pages": pages,
        "retentions": [{"value": v, "label": lbl, "on": form.retention == v,
                        "url": form.url(retention="" if form.retention == v else v, page="")}
                       for v, lbl in searching.RETENTIONS],
        "sort_urls": {"relevance": form.url(sort="", page=""), "date": form.url(sort="date", page="")},
        "prev_url": form.url(page=res.page - 1) if res is not None and res.page > 1 else "",
        "next_url": form.url(page=res.page + 1) if res is not None and res.page < res.pages else "",
    })


def _record_for(request, code):
    """The record, or 404 — the same 404 whether it does not exist or is above the user's clearance."""
    try:
        folder, record = records.find(archive(), code)
    except records.NotFound:
        raise Http404("没有这份文件。") from None
    if not access.visible(request.user, record.classification):
        raise Http404("没有这份文件。")
    return folder, record


@require_GET
@require("read")
def record(request, code):
    folder, rec = _record_for(request, code)
    log(request, "view", str(rec.archival_code), rec.title)
    files = []
    for i, f in enumerate(rec.files):
        try:
            path, _ = records.file_of(folder, rec, i)
        except records.NotFound:
            files.append({"i": i, "f": f, "missing": True})
            continue
        pages = records.page_count(path) if f.format == "pdf" else 0
        files.append({"i": i, "f": f, "missing": False, "pages": range(1, pages + 1), "npages": pages,
                      "name_url": quote(f.name)})
    links = records.related(index(), rec, lambda cls: access.visible(request.user, cls))
    return render(request, "web/record.html", {
        "rec": rec, "code": str(rec.archival_code), "files": files, "links": links,
        "retention": Retention(rec.retention).label, "show_pages": records.pdftoppm_available(),
        "history": list(reversed(rec.history)),
    })


def _send(request, path, entry, as_attachment):
    ctype = mimetypes.guess_type(entry.name)[0] or "application/octet-stream"
    resp = FileResponse(open(path, "rb"), as_attachment=as_attachment, filename=entry.name, content_type=ctype)
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Content-Security-Policy"] = "sandbox"  # a downloaded HTML or SVG never runs in the app's origin
    return resp


def _download(request, code, which):
    """A file of a record the user may see, by its position or its exact name in record.json."""
    folder, rec = _record_for(request, code)
    try:
        path, entry = records.file_of(folder, rec, which)
    except records.NotFound:
        raise Http404("没有这个文件。") from None
    log(request, "download", f"{rec.archival_code}/{entry.name}", entry.sha256)
    return _send(request, path, entry, True)


@require_GET
@require("download")
def file_by_index(request, code, index_):
    return _download(request, code, index_)


@require_GET
@require("download")
def file_by_name(request, code, name):
    return _download(request, code, name)


@require_GET
@require("read")
def page_image(request, code, index_, page):
    folder, rec = _record_for(request, code)
    try:
        path, entry = records.file_of(folder, rec, index_)
        if entry.format != "pdf" or page < 1:
            raise records.NotFound(page)
        png = records.page_png(archive(), path, entry, page)
    except records.NotFound:
        raise Http404("没有这一页。") from None
    if page == 1:
        log(request, "page", f"{rec.archival_code}/{entry.name}", "页面图像")
    resp = FileResponse(open(png, "rb"), content_type="image/png")
    resp["Cache-Control"] = "private, max-age=3600"
    return resp


@require_GET
@require("audit")
def audit(request):
    from wenshu.web.auditview import filtered, page_of

    rows, filt = filtered(request.GET)
    if request.GET.get("format") == "xlsx":
        from wenshu.web.auditview import xlsx

        log(request, "audit_export", "审计日志", "&".join(f"{k}={v}" for k, v in filt.items() if v))
        resp = HttpResponse(xlsx(rows), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        resp["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote("审计日志.xlsx")
        return resp
    page = page_of(rows, request.GET.get("page"))
    return render(request, "web/audit.html", {"page": page, "filt": filt, "actions": _actions(),
                                              "query": request.GET.urlencode()})


def _actions():
    from wenshu.web.models import AccessLog

    return list(AccessLog.ACTIONS.items())


@require_GET
@require("manage_users")
def users(request):
    from wenshu.web.accounts import list_users

    return render(request, "web/users.html", {"users": list_users()})


def forbidden(request, exception=None):
    return HttpResponseForbidden("禁止访问")


def not_found(request, exception=None):
    return render(request, "web/error.html", {"title": "找不到", "message": "没有这个页面或文件。"}, status=404)


def server_error(request):
    return render(request, "web/error.html", {"title": "出错了", "message": "服务器内部错误，已记录。请稍后重试。"},
                  status=500)
