"""收文登记 pages: upload received documents (or take what the 收件箱 could not file), review what
wenshu read beside the page images, correct, file and register (archive/registration.py — the
same filing as ``wenshu file --set``).

An upload waits, until filed or discarded, in a staging folder OUTSIDE the archive (filing
refuses sources inside it, 收件箱 apart, and the watcher must not file it behind the clerk's
back). Items are addressed by an opaque key: ``u`` + a random hex for an upload, ``f`` + a hash
of the name for an entry of 收件箱/未能归档 — no name from a URL ever reaches the file system.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from types import SimpleNamespace

from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from archive.errors import WenshuError
from wenshu.web import access, records
from wenshu.web.audit import log
from wenshu.web.settings import archive  # one Archive per thread
from wenshu.web.views import require

META_JSON = "收文.json"
EXTRA_FIELDS = (("保管期限", ""), ("机构", ""), ("案件", ""), ("密级", ""))
_KEY = re.compile(r"^(u[0-9a-f]{32}|f[0-9a-f]{24})$")


def staging_dir() -> Path:
    a = archive()
    tag = hashlib.sha256(str(a.root.resolve()).encode()).hexdigest()[:12]
    d = Path(tempfile.gettempdir()) / f"wenshu-收文暂存-{tag}"
    d.mkdir(mode=0o700, exist_ok=True)
    return d


def safe_name(name: str) -> str:
    """An uploaded file's own name, reduced to a plain file name (no folders, no control characters)."""
    name = os.path.basename(str(name).replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip().lstrip(".")
    stem, suffix = os.path.splitext(name)
    return (stem[:80] or "收文") + suffix[:10].lower()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read(path: Path) -> dict:
    """What wenshu reads from the document, as the review form shows it."""
    from archive.receive import read_document
    from archive.registration import review_fields

    try:
        _, meta = read_document(path)
        fields, problem = review_fields(meta), ""
    except WenshuError as e:
        from archive.metadata import DocMeta

        fields, problem = review_fields(DocMeta()), str(e)
    return {"fields": [f.__dict__ for f in fields], "problem": problem, "sha256": _sha256(path)}


def failed_items() -> list[dict]:
    """收件箱/未能归档: each document with the reason the watcher wrote beside it."""
    from archive.inbox import REASON_SUFFIX, failed_dir

    d = failed_dir(archive())
    out = []
    if not d.is_dir():
        return out
    for p in sorted(d.iterdir()):
        if p.name.endswith(REASON_SUFFIX) or not p.is_file() or p.is_symlink():
            continue
        note = Path(str(p) + REASON_SUFFIX)
        reason = ""
        try:
            for line in note.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("未能归档的原因："):
                    reason = line.split("：", 1)[1]
        except OSError:
            pass
        key = "f" + hashlib.sha256(p.name.encode()).hexdigest()[:24]
        out.append({"key": key, "name": p.name, "path": p, "note": note, "reason": reason or "（没有说明）"})
    return out


def uploads() -> list[dict]:
    out = []
    for d in sorted(staging_dir().iterdir(), key=lambda d: d.stat().st_mtime):
        try:
            meta = json.loads((d / META_JSON).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        out.append({"key": "u" + d.name, "name": meta["name"], "by": meta.get("by", ""),
                    "path": d / meta["name"], "dir": d, "meta": meta})
    return out


def item(key: str) -> dict:
    if not _KEY.match(key or ""):
        raise Http404("没有这份收文。")
    if key[0] == "u":
        d = staging_dir() / key[1:]
        try:
            meta = json.loads((d / META_JSON).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise Http404("没有这份收文。") from None
        return {"key": key, "name": meta["name"], "path": d / meta["name"], "dir": d, "meta": meta,
                "by": meta.get("by", ""), "reason": ""}
    found = next((f for f in failed_items() if f["key"] == key), None)
    if found is None:
        raise Http404("没有这份收文。")
    cache = staging_dir() / ("f-" + key[1:] + ".json")
    try:
        meta = json.loads(cache.read_text(encoding="utf-8"))
        if meta.get("size") != found["path"].stat().st_size:
            raise ValueError("changed")
    except (OSError, ValueError):
        meta = dict(_read(found["path"]), name=found["name"], size=found["path"].stat().st_size)
        cache.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return dict(found, meta=meta)


@require_GET
@require("file")
def receive_list(request):
    from archive.registration import registered

    recent = registered(archive())[:20]
    return render(request, "web/receive.html", {"uploads": uploads(), "failed": failed_items(), "recent": recent,
                                                "max_mb": archive().config.limits.max_file_mb})


@require_POST
@require("file")
def receive_upload(request):
    files = request.FILES.getlist("files")
    if not files:
        return render(request, "web/receive.html", {"uploads": uploads(), "failed": failed_items(),
                                                    "upload_error": "收文文件：请选择至少一个文件。",
                                                    "max_mb": archive().config.limits.max_file_mb}, status=400)
    limit = archive().config.limits
    keys, errors = [], []
    for f in files:
        name = safe_name(f.name)
        if f.size > limit.max_file_bytes:
            errors.append(f"收文文件：{name} 有 {f.size / (1 << 20):,.1f} MB，超过上限 {limit.max_file_mb} MB，未上传。")
            continue
        if f.size == 0:
            errors.append(f"收文文件：{name} 是空文件，未上传。")
            continue
        token = uuid.uuid4().hex
        d = staging_dir() / token
        d.mkdir(mode=0o700)
        with open(d / name, "wb") as out:
            for chunk in f.chunks():
                out.write(chunk)
        meta = dict(_read(d / name), name=name, by=request.user.get_username())
        (d / META_JSON).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        log(request, "upload", name, f"{f.size} 字节；sha256 {meta['sha256']}")
        keys.append("u" + token)
    if errors:
        return render(request, "web/receive.html", {"uploads": uploads(), "failed": failed_items(),
                                                    "upload_error": "；".join(errors),
                                                    "max_mb": limit.max_file_mb}, status=400)
    return redirect("receive_item", key=keys[0]) if len(keys) == 1 else redirect("receive")


def _form_values(request, it) -> dict[str, str]:
    if request.method == "POST":
        from archive.registration import FIELDS

        labels = [lbl for lbl, _ in FIELDS] + [lbl for lbl, _ in EXTRA_FIELDS]
        return {lbl: request.POST.get(lbl, "").strip() for lbl in labels}
    values = {f["label"]: f["value"] for f in it["meta"]["fields"]}
    return values


@require_http_methods(["GET", "POST"])
@require("file")
def receive_item(request, key):
    from archive.registration import check_values, file_received

    it = item(key)
    values = _form_values(request, it)
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors = check_values(values, access.allowed_marks(request.user))
        if not errors:
            try:
                rec, number = file_received(archive(), it["path"], values,
                                            actor=request.user.get_username(), move=True)
            except WenshuError as e:
                errors["__all__"] = str(e)
            else:
                _cleanup(it)
                from wenshu.indexing import index_filed

                index_filed(archive(), [archive().root / rec.relative_folder() / f.name for f in rec.files])
                log(request, "receive", str(rec.archival_code), f"收文编号 {number}；{rec.title}；来自 {it['name']}")
                from django.contrib import messages

                messages.success(request, f"已登记收文 {number}，归档为 {rec.archival_code}。")
                return redirect("record", code=str(rec.archival_code))
    flags = {f["label"]: f["flag"] for f in it["meta"]["fields"]}
    order = [f["label"] for f in it["meta"]["fields"]]  # 待核对 first (archive.registration.review_fields)
    rows = [{"label": lbl, "value": values.get(lbl, ""), "flag": flags.get(lbl, ""), "error": errors.get(lbl, "")}
            for lbl in order]
    extra = [{"label": lbl, "value": values.get(lbl, "") or default, "error": errors.get(lbl, "")}
             for lbl, default in EXTRA_FIELDS]
    pages = records.page_count(it["path"]) if it["path"].suffix.lower() == ".pdf" else 0
    return render(request, "web/receive_item.html", {
        "it": it, "rows": rows, "extra": extra, "errors": errors, "general": errors.get("__all__", ""),
        "pages": range(1, pages + 1), "npages": pages, "show_pages": records.pdftoppm_available(),
        "marks": access.allowed_marks(request.user), "problem": it["meta"].get("problem", ""),
    }, status=400 if errors else 200)


def _cleanup(it: dict) -> None:
    if it["key"][0] == "u":
        shutil.rmtree(it["dir"], ignore_errors=True)
    else:
        for p in (it["note"], staging_dir() / ("f-" + it["key"][1:] + ".json")):
            try:
                p.unlink()
            except OSError:
                pass


@require_POST
@require("file")
def receive_discard(request, key):
    it = item(key)
    if key[0] != "u":
        raise Http404("未能归档的文件请修正后登记，不在网页上删除。")
    _cleanup(it)
    log(request, "discard", it["name"], "放弃登记，已删除上传的文件")
    return redirect("receive")


@require_GET
@require("file")
def receive_page(request, key, page):
    it = item(key)
    if it["path"].suffix.lower() != ".pdf" or page < 1:
        raise Http404("没有这一页。")
    try:
        png = records.page_png(archive(), it["path"], SimpleNamespace(sha256=it["meta"]["sha256"]), page)
    except records.NotFound:
        raise Http404("没有这一页。") from None
    resp = FileResponse(open(png, "rb"), content_type="image/png")
    resp["Cache-Control"] = "private, max-age=3600"
    return resp
