"""文号 ledger pages: the registry's entries per 机关代字 and 年度, its gaps with their
explanations, and the forms to reserve, void and register offline numbers. Every change is a
call on ``archive.registry.Registry`` (as ``wenshu number`` makes) and a line in the access log."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse

from archive.docnumber import DocNumber
from archive.errors import WenshuError
from archive.registry import STATUS_LABELS
from wenshu.web import access
from wenshu.web.audit import log
from wenshu.web.issuing import archive
from wenshu.web.views import require


def _year(text, default):
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


@require("issue")
def ledger(request):
    arch = archive()
    prefixes = [p.code for p in arch.config.prefixes]
    prefix = request.GET.get("prefix") or (prefixes[0] if prefixes else "")
    year = _year(request.GET.get("year"), date.today().year)
    reg = arch.registry
    rows = [{"e": e, "status": STATUS_LABELS.get(e.status, e.status)} for e in reg.entries(prefix or None, year)]
    gaps = [g for g in reg.gaps(year) if not prefix or g.label.startswith(prefix)]
    return render(request, "web/numbers.html", {
        "prefixes": prefixes, "prefix": prefix, "year": year, "rows": rows, "gaps": gaps,
        "errors": request.session.pop("numbers_errors", {}), "can_add_prefix": access.can(request.user, "edit"),
        "prefix_form": request.session.pop("prefix_form", {})})


def _back(request, prefix, year, errors=None):
    if errors:
        request.session["numbers_errors"] = errors
    return redirect(reverse("numbers") + f"?prefix={prefix}&year={year}")


@require("issue")
def change(request, what):
    """reserve / void / offline — a POST from the ledger page; problems come back beside the field."""
    if request.method != "POST" or what not in ("reserve", "void", "offline"):
        return redirect("numbers")
    arch, post = archive(), request.POST
    prefix, year = post.get("prefix", ""), _year(post.get("year"), date.today().year)
    reg, who = arch.registry, request.user.get_username()
    try:
        if what == "reserve":
            try:
                count = int(post.get("count", ""))
            except ValueError:
                return _back(request, prefix, year, {"count": "“预留个数”应为整数。"})
            if not post.get("reason", "").strip():
                return _back(request, prefix, year, {"reason": "请填写“预留原因”。"})
            taken = reg.reserve(arch.config.prefix(prefix), year, count, post["reason"].strip(), holder=who)
            detail = "、".join(map(str, taken))
        else:
            text, reason = post.get("number", "").strip(), post.get("reason", "").strip()
            try:
                number = DocNumber.parse(text)
            except WenshuError as e:
                return _back(request, prefix, year, {f"{what}_number": f"“文号”{text or '（空）'}不正确：{e}"})
            if not reason:
                return _back(request, prefix, year, {f"{what}_reason": "请填写“原因”。"})
            if what == "void":
                reg.void(number, f"{reason}（{who}）")
            else:
                reg.offline(arch.config.prefix(number.prefix), number, f"{reason}（{who}）", post.get("title", ""))
            detail = str(number)
    except WenshuError as e:
        return _back(request, prefix, year, {what: str(e)})
    log(request, f"number_{what}", detail, post.get("reason", ""))
    messages.info(request, {"reserve": "已预留", "void": "已作废", "offline": "已登记线下文号"}[what] + f"：{detail}")
    return _back(request, prefix, year)


@require("edit")
def add_prefix(request):
    """新增机关代字 (档案员): written to wenshu.toml by archive/prefixes.add_prefix, which validates
    the whole file first; a problem comes back beside the field it names."""
    from archive.prefixes import PrefixError, add_prefix as add

    if request.method != "POST":
        return redirect("numbers")
    post, year = request.POST, date.today().year
    form = {k: post.get(k, "") for k in ("code", "purpose", "counter")}
    try:
        p = add(archive(), form["code"], form["purpose"], form["counter"])
    except PrefixError as e:
        request.session["prefix_form"] = form
        return _back(request, post.get("prefix", ""), year, {f"prefix_{e.field}": str(e)})
    except WenshuError as e:
        request.session["prefix_form"] = form
        return _back(request, post.get("prefix", ""), year, {"prefix_机关代字": str(e)})
    log(request, "prefix_add", p.code, f"用途：{p.purpose or '无'}；计数器：{p.counter or '单独编号'}")
    messages.info(request, f"已新增机关代字：{p.code}")
    return _back(request, p.code, year)
