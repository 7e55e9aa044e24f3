"""承诺书全覆盖 ("不漏一校、不掉一人"): the campaign's teacher roster, one pledge per teacher, coverage.

The roster is read like any batch roster (generator.roster, by the shell: wenshu/pledging.py);
a teacher is (学校, 姓名, 工号). The same 姓名 with the same 工号 under two schools is one person
listed twice, and the import is refused naming both rows — counting them twice would hide an
unsigned teacher. Pledges go through the batch machinery (generator.batch, driven by the shell: numbers, PDFs,
filing, voiding on failure); the record's 责任者 is the teacher, its 专项行动 field names the campaign and
puts the code on the page (campaign.qr); the ``pledges`` table ties serial → teacher → 档号.
"""

from __future__ import annotations

from pathlib import Path

from archive.errors import WenshuError
from campaign.store import Campaign, CampaignStore, now

DEFAULT_CLAUSES = ["不组织、不参与有偿补课，不在校外培训机构兼职取酬",
                   "不向学生和家长推荐、介绍校外培训机构",
                   "严格控制作业总量和时长，不布置重复性、惩罚性作业",
                   "不要求家长批改作业，不给家长布置或变相布置作业",
                   "认真参与课后服务，不利用课后服务时间讲新课"]
_MAX_NAMED = 10  # rows named in one message


def _cell(v) -> str:
    from archive.cleaning import clean_text

    if isinstance(v, float) and v.is_integer():
        v = int(v)  # a 工号 typed as a number comes back from openpyxl as 1001.0
    return clean_text(str(v if v is not None else "")).strip()


def teacher_rows(rows: list[tuple[int, dict]]) -> list[tuple[int, dict]]:
    """(row number, {name, school, subject, staff_id}) from a roster read by the shell (generator.roster)."""
    return [(n, {k: _cell(cells.get(k)) for k in ("name", "school", "subject", "staff_id")}) for n, cells in rows]


def import_roster(store: CampaignStore, campaign: Campaign, rows: list[tuple[int, dict]], source: str) -> dict:
    """Adds the roster's teachers (``rows`` as the roster reader gives them; ``source`` the file's
    name), all or none. Refused: a school not in scope, a row without 姓名, the same teacher twice
    (in one school or in two, this file or one imported before)."""
    path = Path(source)
    rows = [(n, r) for n, r in teacher_rows(rows) if any(r.values())]
    scope = {u.name for u in store.units(campaign)}
    problems = []
    for n, r in rows:
        if not r["name"]:
            problems.append(f"第 {n} 行没有姓名")
        elif not r["school"]:
            problems.append(f"第 {n} 行（{r['name']}）没有学校")
        elif r["school"] not in scope:
            problems.append(f"第 {n} 行（{r['name']}）的学校“{r['school']}”不在专项行动的督查范围内")
    if problems:
        raise _refused(path, problems, "督查范围内的单位：" + ("、".join(sorted(scope)) or "（尚未登记，请先用 wenshu campaign units 导入）"))
    seen: dict[tuple, list] = {}
    for n, school, name, staff in store.query(
            "SELECT 0, school, name, staff_id FROM campaign_teachers WHERE campaign = ?", (campaign.id,)):
        seen.setdefault((name, staff), []).append(("已导入", school))
    for n, r in rows:
        seen.setdefault((r["name"], r["staff_id"]), []).append((n, r["school"]))
    for (name, staff), where in seen.items():
        fresh = [w for w in where if w[0] != "已导入"]
        if len(where) < 2 or not fresh:
            continue
        schools = {s for _, s in where}
        said = "、".join(f"第 {n} 行（{s}）" if n != "已导入" else f"已导入的名册（{s}）" for n, s in where)
        who = name + (f"（工号 {staff}）" if staff else "")
        problems.append(f"{who}同时在 {len(schools)} 所学校：{said}" if len(schools) > 1 else f"{who}重复出现：{said}")
    if problems:
        raise _refused(path, problems, "一位教师只能属于一所学校、只签一份承诺书。")
    with store.tx() as c:
        for _, r in rows:
            c.execute("INSERT INTO campaign_teachers (campaign, school, name, subject, staff_id) VALUES (?, ?, ?, ?, ?)",
                      (campaign.id, r["school"], r["name"], r["subject"], r["staff_id"]))
        store.log(c, campaign.name, "导入教师名册", detail=f"{path.name}：{len(rows)} 人")
    per = {}
    for _, r in rows:
        per[r["school"]] = per.get(r["school"], 0) + 1
    return {"导入人数": len(rows), "按学校": per}


def _refused(path: Path, problems: list[str], hint: str) -> WenshuError:
    more = f"等 {len(problems)} 处" if len(problems) > _MAX_NAMED else ""
    return WenshuError(f"名册 {path.name}：{'；'.join(problems[:_MAX_NAMED])}{more}。{hint}未做任何更改。")


def teachers(store: CampaignStore, campaign: Campaign) -> list[dict]:
    return [{"学校": s, "姓名": n, "学科": sub, "工号": sid} for s, n, sub, sid in store.query(
        "SELECT school, name, subject, staff_id FROM campaign_teachers WHERE campaign = ? ORDER BY rowid",
        (campaign.id,))]


def pending(store: CampaignStore, campaign: Campaign, school: str | None = None) -> list[dict]:
    """The roster's teachers who have no pledge yet (a re-run after adding teachers issues only theirs)."""
    if school and school not in {u.name for u in store.units(campaign)}:
        raise WenshuError(f"“{school}”不在专项行动“{campaign.name}”的督查范围内。")
    have = {(s, n, i) for s, n, i in store.query(
        "SELECT school, name, staff_id FROM pledges WHERE campaign = ?", (campaign.id,))}
    todo = [t for t in teachers(store, campaign) if (t["学校"], t["姓名"], t["工号"]) not in have
            and (not school or t["学校"] == school)]
    if not todo:
        raise WenshuError("名册中的教师都已有承诺书，没有要生成的。" if have else
                          "还没有教师名册：请先用 wenshu pledge roster --import 导入。")
    return todo


def batch_values(campaign: Campaign, clauses: list[str] | None = None) -> dict:
    """The fields every pledge of the campaign shares: its 专项行动 (which prints the code) and the 条款."""
    return {"campaign": campaign.name, "clauses": list(clauses or DEFAULT_CLAUSES)}


def record_issued(store: CampaignStore, campaign: Campaign, records: list) -> int:
    """Ties each filed pledge (archive.record.Record) to its teacher: serial → 学校, 姓名, 工号 → 档号."""
    at = now()
    with store.tx() as c:
        for rec in records:
            x = rec.extra
            if x.get("专项行动") != campaign.name:
                raise WenshuError(f"{rec.archival_code} 不是专项行动“{campaign.name}”的承诺书。")
            c.execute("INSERT INTO pledges (serial, campaign, school, name, staff_id, record, issued) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (x["编号"], campaign.id, x["学校"], x["姓名"], str(x.get("工号", "")), str(rec.archival_code), at))
        store.log(c, campaign.name, "生成承诺书", detail=f"{len(records)} 份")
    return len(records)


def coverage(store: CampaignStore, campaign: Campaign) -> dict:
    """Per school and overall: teachers, signed (a scan attached), not signed (named), unmatched pages."""
    signed = {(s, n, i): sc for s, n, i, sc in store.query(
        "SELECT school, name, staff_id, scan FROM pledges WHERE campaign = ?", (campaign.id,))}
    issued = set(signed)
    unmatched: dict[str, int] = {}
    for (school, k) in store.query("SELECT school, COUNT(*) FROM pledge_unmatched WHERE campaign = ? GROUP BY school",
                                   (campaign.id,)):
        unmatched[school] = k
    schools: dict[str, dict] = {}
    for u in store.units(campaign):
        if u.kind == "学校":
            schools[u.name] = {"学校": u.name, "教师": 0, "已签": 0, "未签": 0, "未发放": 0, "无法识别页": 0,
                               "覆盖率": 0.0, "未签名单": []}
    for t in teachers(store, campaign):
        key = (t["学校"], t["姓名"], t["工号"])
        s = schools.setdefault(t["学校"], {"学校": t["学校"], "教师": 0, "已签": 0, "未签": 0, "未发放": 0,
                                         "无法识别页": 0, "覆盖率": 0.0, "未签名单": []})
        s["教师"] += 1
        if signed.get(key):
            s["已签"] += 1
        else:
            s["未签"] += 1
            s["未发放"] += key not in issued
            s["未签名单"].append(t["姓名"] + (f"（{t['工号']}）" if t["工号"] else ""))
    for name, k in unmatched.items():
        if name in schools:
            schools[name]["无法识别页"] = k
    for s in schools.values():
        s["覆盖率"] = round(100 * s["已签"] / s["教师"], 1) if s["教师"] else 0.0
    total = sum(s["教师"] for s in schools.values())
    done = sum(s["已签"] for s in schools.values())
    return {"专项行动": campaign.name, "教师": total, "已签": done, "未签": total - done,
            "无法识别页": sum(unmatched.values()), "覆盖率": round(100 * done / total, 1) if total else 0.0,
            "全覆盖": bool(total) and done == total, "学校": [s for s in schools.values() if s["教师"] or s["无法识别页"]]}


def unmatched_pages(store: CampaignStore, campaign: Campaign) -> list[dict]:
    return [{"序号": i, "学校": s, "来源": src, "页": p, "原因": r, "图像": img, "缩略图": th, "时间": at}
            for i, s, src, p, r, img, th, at in store.query(
                "SELECT id, school, source, page, reason, image, thumb, at FROM pledge_unmatched "
                "WHERE campaign = ? ORDER BY id", (campaign.id,))]
