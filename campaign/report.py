"""The 督查报告: an upward 报告 to 晋城市教育局 (with 签发人), written from the campaign's records.

Every number in the text, the tables and the charts comes from ``figures`` — computed from the
tables at the moment the report is made, never typed. The 公文 layout (版头 with 签发人, 标题, 主送,
署名, 成文日期, 版记) is the generator's ``notice`` template in its 上行文 form, rendered by the
``render`` the shell passes in (``wenshu.campaign_docs``; campaign does not import generator,
DESIGN §2); the tables and the chart images are then put where the body marks them (a line
``［表1］`` / ``［图1］``), so the text and the layout stay the generator's. Beside the .docx go the
three ledgers as .xlsx.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from campaign.clues import RESULTS, SOURCES, list_clues
from campaign.rectify import CLOSED, OPEN, cases, items, overdue, reports
from campaign.store import Campaign, CampaignStore, day, text

UNVERIFIED = "未核查"
MISSING_NAMED = 30  # up to this many teachers who have not signed are named in the text; more go to the ledger


def pledge_coverage(store: CampaignStore, campaign: Campaign) -> dict | None:
    """The pledge helper's ``campaign.pledges.coverage``; None while that module or its tables are absent."""
    try:
        from campaign.pledges import coverage
    except ImportError:
        return None
    try:
        found = coverage(store, campaign)
    except sqlite3.OperationalError:  # the pledge tables are created by the first pledge command
        return None
    return found if found and found.get("教师") else None


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "0.0%"


@dataclass
class Figures:
    """What the report states, each counted from the records."""
    as_of: date
    schools: int
    institutions: int
    clues: int
    by_source: dict[str, int]
    by_category: dict[str, int]
    by_result: dict[str, int]
    founded_by_category: dict[str, int]
    cases: list[dict]
    cases_open: int
    cases_closed: int
    cases_overdue: int
    items: int
    items_closed: int
    items_overdue: int
    items_reported: int
    reminders: int
    overdue_list: list[dict] = field(default_factory=list)
    pledges: dict | None = None

    @property
    def verified(self) -> int:
        return self.clues - self.by_result.get(UNVERIFIED, 0)

    @property
    def completion(self) -> str:
        return pct(self.items_closed, self.items)


def figures(store: CampaignStore, campaign: Campaign, as_of: date) -> Figures:
    clues = list_clues(store, campaign)
    all_cases, all_items = cases(store, campaign), items(store, campaign)
    late = overdue(store, campaign, as_of)
    late_cases = {i.case_id for i, _ in late}
    units = store.units(campaign)
    src, cat, res = Counter(c.source for c in clues), Counter(c.category for c in clues), \
        Counter(c.result or UNVERIFIED for c in clues)
    founded = Counter(c.category for c in clues if c.result in ("属实", "部分属实"))
    per_case = []
    for k in all_cases:
        mine = [i for i in all_items if i.case_id == k.id]
        per_case.append({"督办案件": k.id, "单位": k.unit, "立案日期": k.opened, "整改事项": len(mine),
                         "已销号": sum(i.status == CLOSED for i in mine),
                         "逾期": sum(1 for i, _ in late if i.case_id == k.id),
                         "状态": "已销号" if k.status == CLOSED else ("逾期" if k.id in late_cases else "整改中")})
    return Figures(
        as_of=as_of,
        schools=sum(u.kind == "学校" for u in units), institutions=sum(u.kind == "校外培训机构" for u in units),
        clues=len(clues),
        by_source={s: src[s] for s in SOURCES if src[s]},
        by_category={k: cat[k] for k in campaign.categories},
        by_result={r: res[r] for r in (*RESULTS, UNVERIFIED) if res[r]},
        founded_by_category={k: founded[k] for k in campaign.categories},
        cases=per_case,
        cases_open=sum(k.status == OPEN for k in all_cases), cases_closed=sum(k.status == CLOSED for k in all_cases),
        cases_overdue=len(late_cases),
        items=len(all_items), items_closed=sum(i.status == CLOSED for i in all_items), items_overdue=len(late),
        items_reported=sum(1 for i in all_items if reports(store, i.id)),
        reminders=sum(i.reminders for i in all_items),
        overdue_list=[{"整改编号": i.id, "单位": i.unit, "问题": i.problem, "截止日期": i.deadline,
                       "逾期天数": d, "催办次数": i.reminders} for i, d in late],
        pledges=pledge_coverage(store, campaign))


def _fmt(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _list(counts: dict[str, int], unit: str = "条") -> str:
    return "、".join(f"{k}{v}{unit}" for k, v in counts.items() if v) or "无"


def body_text(campaign: Campaign, f: Figures) -> str:
    """The report's body: numbers from ``f`` only; ［表n］/［图n］ mark where tables and charts go."""
    p = [f"根据晋城市教育局工作部署，我局自{_fmt(campaign.start)}起开展{campaign.name}，"
         f"现将截至{_fmt(f.as_of)}的工作情况报告如下。",
         "一、基本情况",
         f"本次督查范围内共有学校{f.schools}所、校外培训机构{f.institutions}个，分"
         + "、".join(ph.name for ph in campaign.phases) + f"{len(campaign.phases)}个阶段推进。"
         if campaign.phases else f"本次督查范围内共有学校{f.schools}所、校外培训机构{f.institutions}个。",
         "二、问题线索受理和核查情况",
         f"共受理问题线索{f.clues}条，其中{_list(f.by_source)}。已核查{f.verified}条，"
         f"核查结果为{_list(f.by_result)}。",
         "［图1］",
         "按督查内容分类的线索及核查属实（含部分属实）情况见表1。",
         "［表1］",
         "三、整改督办情况",
         f"对核查属实的问题，共立督办案件{len(f.cases)}件，下发整改事项{f.items}项，"
         f"收到整改报告涉及整改事项{f.items_reported}项；经复查销号{f.items_closed}项，整改完成率{f.completion}。"
         f"已销号案件{f.cases_closed}件，未销号{f.cases_open}件，其中存在逾期事项的{f.cases_overdue}件；"
         f"逾期未完成整改事项{f.items_overdue}项，累计催办{f.reminders}次。各案件情况见表2。",
         "［表2］"]
    if f.overdue_list:
        p.append("逾期未完成的整改事项：" + "；".join(
            f"{o['单位']}“{o['问题']}”（{o['整改编号']}，逾期{o['逾期天数']}天，催办{o['催办次数']}次）"
            for o in f.overdue_list) + "。")
    p.append("四、“双减”工作承诺书签订情况")
    if f.pledges:
        pl = f.pledges
        p.append(f"全市应签订承诺书教师{pl['教师']}人，已签订{pl['已签']}人，未签订{pl['未签']}人，"
                 f"覆盖率{pct(pl['已签'], pl['教师'])}。各学校情况见表3。")
        missing = [(x["学校"], x["未签名单"]) for x in pl["学校"] if x["未签名单"]]
        if missing and pl["未签"] <= MISSING_NAMED:
            p.append("未签订承诺书的教师：" + "；".join(f"{sch}{'、'.join(names)}" for sch, names in missing) + "。")
        elif missing:
            p.append(f"未签订承诺书的{pl['未签']}名教师名单见《承诺书签订情况》台账。")
        p.append("［表3］")
    else:
        p.append("承诺书签订情况尚未登记。")
    p += ["五、下一步工作",
          "（一）对未销号的整改事项继续跟踪督办，逾期未完成整改的依规严肃处理。",
          "（二）对承诺书未全覆盖的学校督促补签，做到不漏一校、不掉一人。",
          "（三）健全问题线索受理、核查、整改、复查销号闭环机制，巩固“双减”工作成果。",
          "特此报告。"]
    return "\n".join(p)


def tables(f: Figures) -> dict[str, tuple[str, list[str], list[list]]]:
    t = {"［表1］": ("表1  问题线索按督查内容分类情况", ["督查内容", "线索数（条）", "属实及部分属实（条）"],
                   [[k, f.by_category[k], f.founded_by_category[k]] for k in f.by_category]
                   + [["合计", f.clues, sum(f.founded_by_category.values())]]),
         "［表2］": ("表2  督办案件整改情况", ["督办案件", "单位", "整改事项", "已销号", "逾期", "状态"],
                   [[c["督办案件"], c["单位"], c["整改事项"], c["已销号"], c["逾期"], c["状态"]] for c in f.cases]
                   + [["合计", f"{len(f.cases)}件", f.items, f.items_closed, f.items_overdue, ""]])}
    if f.pledges:
        pl = f.pledges
        t["［表3］"] = ("表3  “双减”工作承诺书签订情况", ["学校", "教师（人）", "已签（人）", "未签（人）", "覆盖率"],
                      [[s["学校"], s["教师"], s["已签"], s["未签"], pct(s["已签"], s["教师"])] for s in pl["学校"]]
                      + [["合计", pl["教师"], pl["已签"], pl["未签"], pct(pl["已签"], pl["教师"])]])
    return t


@dataclass
class Report:
    docx: Path
    ledgers: list[Path]
    charts: list[Path]
    figures: Figures


def make_report(store: CampaignStore, campaign: Campaign, out_dir: Path, *, as_of, signer: str, render,
                number: str = "") -> Report:
    """Write the report .docx, its charts and the ledgers into ``out_dir``.

    ``render(data, number, out_dir, stem)`` renders the ``notice`` template's data as a .docx and
    returns its path (numbering and filing stay the clerk's choice: the report is a draft to sign)."""
    from campaign.charts import bar_chart

    as_of = day(as_of, "统计截止日期")
    signer = text(signer, "签发人")
    f = figures(store, campaign, as_of)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    organ = store.archive.config.organ_name
    data = {"title": f"{organ}关于{campaign.name}工作情况的报告", "recipients": "晋城市教育局",
            "body": body_text(campaign, f), "signer": signer, "date": as_of.isoformat()}
    docx = render(data, number, out, "督查报告")
    charts = [bar_chart(out / "图1-问题线索来源.png", "问题线索来源分布", f.by_source)]
    _place(docx, tables(f), {"［图1］": ("图1  问题线索来源分布", charts[0])})
    return Report(docx, write_ledgers(store, campaign, out, as_of), charts, f)


def write_ledgers(store: CampaignStore, campaign: Campaign, out: Path, as_of: date) -> list[Path]:
    from campaign.ledger import export_clues, export_items

    done = [out / "线索台账.xlsx", out / "整改台账.xlsx"]
    export_clues(store, campaign, done[0])
    export_items(store, campaign, done[1], as_of)
    cov = pledge_coverage(store, campaign)
    if cov:
        from campaign.ledger import _write_sheet

        path = out / "承诺书签订情况.xlsx"
        _write_sheet(path, "承诺书签订情况", f"{campaign.name} 承诺书签订情况",
                     ["学校", "教师", "已签", "未签", "覆盖率", "未签名单"], [28, 8, 8, 8, 10, 60],
                     [[s["学校"], str(s["教师"]), str(s["已签"]), str(s["未签"]), pct(s["已签"], s["教师"]),
                       "、".join(s["未签名单"])] for s in cov["学校"]])
        done.append(path)
    return done


def _place(path: Path, tables_: dict, images: dict) -> None:
    """Replace each marker paragraph by its table or picture (with its caption above or below)."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    d = Document(str(path))

    def style(run, size=12, bold=False):
        run.font.size, run.font.bold = Pt(size), bold
        run.font.name = "仿宋_GB2312"
        run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "仿宋_GB2312")

    def caption(text_, anchor):
        p = d.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        style(p.add_run(text_), 14, bold=True)
        anchor.addnext(p._p)
        return p._p

    for para in list(d.paragraphs):
        key = para.text.strip()
        if key in tables_:
            title, header, rows = tables_[key]
            at = caption(title, para._p)
            t = d.add_table(rows=1 + len(rows), cols=len(header))
            t.style = "Table Grid"
            t.alignment = WD_TABLE_ALIGNMENT.CENTER
            for r, values in enumerate([header, *rows]):
                for cidx, v in enumerate(values):
                    cell = t.cell(r, cidx)
                    cell.text = ""
                    cp = cell.paragraphs[0]
                    cp.alignment = WD_ALIGN_PARAGRAPH.CENTER
                    cp.paragraph_format.line_spacing, cp.paragraph_format.first_line_indent = 1.0, Cm(0)
                    style(cp.add_run(str(v)), 12, bold=r == 0)
            at.addnext(t._tbl)
            para._p.getparent().remove(para._p)
        elif key in images:
            title, image = images[key]
            p = d.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            pf = p.paragraph_format  # the body's exact line spacing would clip the picture to one line
            pf.line_spacing, pf.first_line_indent, pf.space_before = 1.0, Cm(0), Pt(6)
            p.add_run().add_picture(str(image), width=Cm(13))
            para._p.addnext(p._p)
            caption(title, p._p)
            para._p.getparent().remove(para._p)
    d.save(str(path))
