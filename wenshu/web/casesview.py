"""案件/督办 pages: the cases (archive/cases.py) with their overdue 整改, a case's timeline — what
was sent to whom and what came back, in date order — and linking a document to a case (the same
edit as ``wenshu edit KEY --set 案件=…``). The campaign's 督办 items (campaign/rectify.py) are
shown read-only beside them when the archive has a campaign.

Clearance holds here as everywhere: a record above the user's clearance is not in any timeline,
count or overdue list, and a case made only of such records does not exist for the user.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from archive.errors import WenshuError
from archive.record import RECEIVED
from wenshu.web import access
from wenshu.web.audit import log
from wenshu.web.settings import archive  # one Archive per thread
from wenshu.web.views import require


def _visible_cases(user):
    """archive.cases.Case objects holding only the records ``user`` may see (empty cases dropped)."""
    from archive.cases import Case, cases

    out = []
    for c in cases(archive()):
        recs = [r for r in c.records if access.visible(user, r.classification)]
        if recs:
            out.append(Case(c.id, recs))
    return out


def _direction(r) -> str:
    """收 for what came in (收文, reports from the units), 发 for what the office sent."""
    from archive.cases import REPORT_TYPES

    return "收" if r.origin == RECEIVED or r.doc_type in REPORT_TYPES else "发"


def campaign_items(today: date) -> dict:
    """The campaign's rectification cases and overdue items, read-only; {} when there is no campaign."""
    a = archive()
    have = {n for (n,) in a.registry.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "campaigns" not in have or "rectify_items" not in have:
        return {}
    from campaign import rectify
    from campaign.store import CampaignStore

    store = CampaignStore(a)
    out = {"overdue": [], "cases": []}
    for camp in store.campaigns():
        out["cases"] += [dict(c.as_dict(), 专项=camp.name) for c in rectify.cases(store, camp)]
        out["overdue"] += [dict(i.as_dict(today), 专项=camp.name) for i, _ in rectify.overdue(store, camp, today)]
    return out


@require_GET
@require("cases")
def case_list(request):
    today = date.today()
    cs = _visible_cases(request.user)
    rows, late = [], []
    for c in cs:
        over = c.overdue(today)
        rows.append({"c": c, "n": len(c.records), "overdue": len(over)})
        late += [{"case": c.id, "o": o} for o in over]
    late.sort(key=lambda x: -x["o"].days)
    log(request, "view", "案件列表", f"{len(rows)} 个案件，{len(late)} 项逾期")
    return render(request, "web/cases.html", {"rows": rows, "late": late, "today": today,
                                              "campaign": campaign_items(today),
                                              "can_link": access.can(request.user, "link_case")})


@require_GET
@require("cases")
def case_page(request, case_id):
    today = date.today()
    c = next((c for c in _visible_cases(request.user) if c.id == case_id), None)
    if c is None:
        raise Http404("没有这个案件。")
    timeline = []
    for r in c.records:
        d = _direction(r)
        timeline.append({"r": r, "code": str(r.archival_code), "dir": d,
                         "to": "、".join(r.recipients) if d == "发" else "", "from": r.author if d == "收" else ""})
    log(request, "view", f"案件 {c.id}", f"{len(c.records)} 件")
    return render(request, "web/case.html", {
        "c": c, "timeline": timeline, "overdue": c.overdue(today), "today": today,
        "sent": [t for t in timeline if t["dir"] == "发"], "came": [t for t in timeline if t["dir"] == "收"],
        "can_link": access.can(request.user, "link_case")})


@require_POST
@require("link_case")
def case_link(request):
    """Put a document (档号 or 文号) into a case, the same edit as ``wenshu edit … --set 案件=…``."""
    from archive.editing import edit_record
    from archive.filing import find_records

    key, case_id = request.POST.get("文件", "").strip(), request.POST.get("案件", "").strip()
    back = request.POST.get("back") or ""
    errors = []
    if not key:
        errors.append("文件：请填写要关联的文件的档号或文号。")
    if not case_id:
        errors.append("案件：请填写案件编号，如 督2022-001。")
    found = []
    if key:
        try:
            found = [(f, r) for f, r in find_records(archive(), key) if access.visible(request.user, r.classification)]
        except WenshuError as e:
            errors.append(f"文件：{e}")
        if not found and not errors:
            errors.append(f"文件：没有档号或文号为“{key}”的文件。")
        elif len(found) > 1:
            errors.append(f"文件：“{key}”对应 {len(found)} 件文件，请改填档号。")
    if not errors:
        rec = found[0][1]
        try:
            new = edit_record(archive(), str(rec.archival_code), {"案件": case_id}, actor=request.user.get_username())
        except WenshuError as e:
            errors.append(f"案件：{e}")
        else:
            log(request, "case_link", str(new.archival_code), f"案件：{rec.case or '（无）'} → {case_id}")
            messages.success(request, f"已将 {new.archival_code}（{new.title}）归入案件 {case_id}。")
            return redirect("case", case_id=case_id)
    for e in errors:
        messages.error(request, e)
    return redirect("case", case_id=back) if back else redirect("cases")
