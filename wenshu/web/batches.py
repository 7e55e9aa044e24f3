"""批量 pages (文书/档案员): upload a roster (.xlsx/.csv) for a template, see how its columns matched
the template's fields, which matched nothing, and every row with a problem — before anything is
issued — then 生成 runs ``generator.batch.run_batch`` (the function under ``wenshu batch``) in the
background worker (wenshu/web/tasks.py) while the page polls a progress bar; at the end the
combined print PDFs (one per 学校) and a zip of the documents are offered.

The check takes no number: it reads the roster with generator/roster.py and validates each row
with ``generator.service.prepare``, the same two steps run_batch takes before its first number.

Working files. Each upload gets a folder .wenshu/batches/<id> (the id is the upload's time,
nothing else is accepted as one: anything else is 404). The roster copy lives only until its
batch ends; what stays is what the task page offers — the combined PDFs and the zip — for
DOWNLOADS_KEPT after the batch ended (the documents themselves are filed in the archive, so
nothing is lost when the folder goes). A failed batch keeps nothing; a roster checked but never
generated is removed after UNCHECKED_KEPT. The sweep runs whenever the 批量 page is opened, so a
server with no scheduler still cleans up.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from archive.errors import WenshuError
from wenshu.web import tasks
from wenshu.web.audit import log
from wenshu.web.settings import archive  # one Archive per thread
from wenshu.web.views import require

UPLOADS = "batches"  # under .wenshu/: one folder per uploaded roster, its outputs beside it
COMMON_TYPES = ("list", "body", "multiline", "date")  # fields offered as 公共数据 (the same in every copy)
ROSTER_SUFFIXES = (".xlsx", ".xlsm", ".csv")
MAX_ROWS_SHOWN = 200
_TOKEN = re.compile(r"\d{8}-\d{6}-\d{6}")
_TOKEN_TIME = "%Y%m%d-%H%M%S-%f"
DOWNLOADS_KEPT = timedelta(days=7)  # a finished batch's combined PDFs and zip are offered this long
UNCHECKED_KEPT = timedelta(days=1)  # an uploaded roster that was checked but never generated


def _template(name):
    from generator.service import resolve_template

    try:
        return resolve_template(name or "pledge", archive())
    except WenshuError:
        raise Http404("没有这个模板") from None


def _folder(token: str) -> Path:
    if not _TOKEN.fullmatch(token or ""):
        raise Http404("没有这份名册")
    d = archive().state_dir / UPLOADS / token
    if not d.is_dir():
        raise Http404("没有这份名册")
    return d


def sweep(arch) -> None:
    """Remove the working folders no page offers any more (see the module's docstring)."""
    from django.utils import timezone

    from wenshu.web.models import BatchTask

    base = arch.state_dir / UPLOADS
    if not base.is_dir():
        return
    tasks_by_dir = {Path(t.out_dir).parent.name: t for t in BatchTask.objects.exclude(out_dir="")}
    now, aware_now = datetime.now(), timezone.now()
    for folder in base.iterdir():
        if not (folder.is_dir() and _TOKEN.fullmatch(folder.name)):
            continue
        t = tasks_by_dir.get(folder.name)
        if t is None:
            stale = now - datetime.strptime(folder.name, _TOKEN_TIME) > UNCHECKED_KEPT
        elif t.running:
            stale = False
        else:
            stale = t.state != "done" or aware_now - t.updated > DOWNLOADS_KEPT
        if stale:
            shutil.rmtree(folder, ignore_errors=True)


def _offered_until(task):
    """When a finished batch's downloads go (None while they are not offered); ``updated`` is
    when the task ended (tasks._run sets it)."""
    return task.updated + DOWNLOADS_KEPT if task.state == "done" and Path(task.out_dir).is_dir() else None


def _common_fields(template):
    return [f for f in template.manifest.fields if f.type in COMMON_TYPES]


def _common(template, data) -> dict:
    return {f.name: data.get(f"common_{f.name}", "").strip() for f in _common_fields(template)
            if data.get(f"common_{f.name}", "").strip()}


def inspect(arch, template, path: Path, common: dict, allow_duplicates: bool = False) -> dict:
    """The report the page shows before 生成: column → field, unmatched columns, missing columns,
    duplicated people, bad rows with why, and how many rows would be produced. Takes no number."""
    from generator.batch import _check_columns, roster_warnings
    from generator.roster import duplicates, read_roster
    from generator.service import prepare

    m = template.manifest
    out = {"columns": [], "unmatched": [], "fatal": "", "warnings": [], "duplicates": [], "bad": [], "good": 0}
    try:
        common = m.normalise_keys(common, "公共数据：")
        roster = read_roster(path, m, set(common))
        _check_columns(template, roster, common)
    except WenshuError as e:
        out["fatal"] = str(e)
        return out
    labels = {f.name: f.label for f in m.fields}
    out["columns"] = [(h, labels.get(name, name)) for h, name in roster.columns.items()]
    out["unmatched"] = list(roster.unmatched)
    out["warnings"] = roster_warnings(template, roster)
    out["duplicates"] = [(who, rows) for who, rows in duplicates(roster.rows)]
    for n, row in roster.rows:
        cells = {k: v for k, v in row.items() if str(v).strip()}
        if not cells:
            out["bad"].append((n, "空行，已跳过。"))
            continue
        try:
            prepare(template, {**common, **m.normalise_keys(cells, f"第 {n} 行：", ignore_unknown=True)},
                    None, f"第 {n} 行：")
            out["good"] += 1
        except WenshuError as e:
            out["bad"].append((n, str(e).removeprefix(f"第 {n} 行：")))
    if out["duplicates"] and not allow_duplicates:
        out["blocked"] = "名册中有重复的人：" + "；".join(f"{w}在第 {'、'.join(map(str, r))} 行" for w, r in out["duplicates"])
    return out


@require("issue")
def batch(request):
    """GET: the upload form for a template; POST: keep the roster, show the matching report."""
    from generator.template import list_templates
    from wenshu.web.models import BatchTask

    template = _template(request.POST.get("template") or request.GET.get("template"))
    sweep(archive())
    ctx = {"template": template, "templates": list_templates(archive()), "fields": _common_fields(template),
           "values": {}, "tasks": [tasks.settle(t) for t in BatchTask.objects.all()[:10]], "errors": {}}
    if request.method != "POST":
        return render(request, "web/batch.html", ctx)
    ctx["values"] = {f"common_{f.name}": request.POST.get(f"common_{f.name}", "") for f in ctx["fields"]}
    upload = request.FILES.get("roster")
    if upload is None:
        ctx["errors"]["roster"] = "请选择“名册”文件（.xlsx 或 .csv）。"
    elif Path(upload.name).suffix.lower() not in ROSTER_SUFFIXES:
        ctx["errors"]["roster"] = f"“名册”{upload.name} 应为 .xlsx 或 .csv 文件。"
    if ctx["errors"]:
        return render(request, "web/batch.html", ctx, status=400)
    from archive.fsutil import safe_name

    token = f"{datetime.now():%Y%m%d-%H%M%S-%f}"
    folder = archive().state_dir / UPLOADS / token
    folder.mkdir(parents=True)
    path = folder / safe_name(Path(upload.name).name)
    with open(path, "wb") as f:
        for chunk in upload.chunks():
            f.write(chunk)
    allow = request.POST.get("allow_duplicates") == "1"
    report = inspect(archive(), template, path, _common(template, request.POST), allow)
    log(request, "upload", upload.name, f"批量名册（{template.label}）：{report['good']} 行可生成，"
                                        f"{len(report['bad'])} 行有问题；未匹配的列：{'、'.join(report['unmatched']) or '无'}")
    ctx.update(report=report, token=token, roster_name=upload.name, allow=allow, bad=report["bad"][:MAX_ROWS_SHOWN])
    return render(request, "web/batch.html", ctx)


@require_POST
@require("issue")
def batch_run(request):
    """生成: checked again (the roster is the one kept), then handed to the background worker."""
    from wenshu.web.models import BatchTask

    template = _template(request.POST.get("template"))
    folder = _folder(request.POST.get("token", ""))
    path = next((p for p in folder.iterdir() if p.suffix.lower() in ROSTER_SUFFIXES), None)
    if path is None:
        raise Http404("没有这份名册")
    common = _common(template, request.POST)
    allow = request.POST.get("allow_duplicates") == "1"
    report = inspect(archive(), template, path, common, allow)
    if report["fatal"] or report.get("blocked") or not report["good"]:
        return render(request, "web/error.html", {"title": "不能生成", "message": report["fatal"] or report.get(
            "blocked") or "名册中没有可生成的行。未生成任何文件，未占用编号。"}, status=400)
    t = BatchTask.objects.create(template=template.name, template_label=template.label, roster=path.name,
                                 source=str(path), common=json.dumps(common, ensure_ascii=False),
                                 allow_duplicates=allow, out_dir=str(folder / "out"),
                                 username=request.user.get_username(), total=report["good"])
    tasks.start(t, _work)
    log(request, "batch", f"{template.label}：{path.name}", f"任务 {t.pk}；{report['good']} 行")
    return redirect("batch_task", pk=t.pk)


def _work(task, progress):
    """In the worker thread: run_batch over the kept roster, then the zip of what was produced."""
    from generator import pdf as pdfmod
    from generator.batch import run_batch
    from wenshu.indexing import index_filed

    arch = archive()
    out = Path(task.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    try:
        report = run_batch(arch, task.template, Path(task.source), json.loads(task.common or "{}"),
                           pdf=pdfmod.available(), allow_duplicates=task.allow_duplicates, combine_dir=out,
                           on_filed=index_filed, progress=progress)
    except BaseException:
        shutil.rmtree(out.parent, ignore_errors=True)  # a failed batch offers nothing
        raise
    finally:
        Path(task.source).unlink(missing_ok=True)  # the roster copy is done with either way
    progress("打包", 0, 1)
    zip_path = out / f"{task.template_label or task.template}-{len(report.produced)}份.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as z:
        for p in report.produced:
            for f in p.files:
                z.write(f, f.name)
    result = {"produced": len(report.produced), "errors": [(e.row, e.message.removeprefix(f"第 {e.row} 行：")) for e in report.errors],
              "combined": [str(c.relative_to(out)) for c in report.combined], "zip": zip_path.name,
              "warnings": report.warnings, "pdf_note": report.pdf_note, "index_note": report.index_note,
              "records": [(str(p.archival_code or ""), p.number, p.title, p.files[0].stem if p.files else "") for p in report.produced[:MAX_ROWS_SHOWN]]}
    return result, ""


def _task(pk):
    from wenshu.web.models import BatchTask

    return tasks.settled(BatchTask, pk)


@require_GET
@require("issue")
def batch_task(request, pk):
    t = _task(pk)
    result = tasks.result_of(t)
    return render(request, "web/batch_task.html", {"t": t, "r": result, "until": _offered_until(t),
                                                   "kept_days": DOWNLOADS_KEPT.days})


@require_GET
@require("issue")
def batch_status(request, pk):
    t = _task(pk)
    return JsonResponse({"state": t.state, "label": t.get_state_display(), "stage": t.stage, "done": t.done,
                         "total": t.total, "percent": t.percent, "running": t.running})


@require_GET
@require("issue")
def batch_download(request, pk, name):
    """A combined PDF or the zip — only a name the task's result lists."""
    t = _task(pk)
    result = tasks.result_of(t)
    if t.state != "done" or name not in [*result.get("combined", []), result.get("zip")]:
        raise Http404("没有这个文件")
    path = Path(t.out_dir) / name
    if not path.is_file():
        raise Http404("没有这个文件")
    log(request, "download", f"批量任务 {t.pk}/{name}", t.roster)
    resp = FileResponse(open(path, "rb"), as_attachment=True, filename=Path(name).name)
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(Path(name).name)}"
    return resp
