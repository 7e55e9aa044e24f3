"""wenshu campaign / clue / rectify: the 督查专项行动, its 问题线索台账 and 整改 to 销号 (DESIGN §14).

Each command is a few lines over ``campaign``; the library refuses bad input with the message."""

from __future__ import annotations

from pathlib import Path

import click

from archive.errors import WenshuError
from wenshu.commands.common import archive_option, echo_json, json_option, open_archive, parse_date, print_table

_campaign = click.option("--campaign", "campaign_name", help="专项行动名称（档案库中只有一个时可省略）。")


def _open(archive_dir, campaign_name=None, need_campaign=True):
    from campaign.store import CampaignStore

    store = CampaignStore(open_archive(archive_dir))
    return store, (store.get(campaign_name) if need_campaign else None)


# -- campaign ---------------------------------------------------------------------------------

@click.group()
def campaign():
    """专项行动：方案、期间与阶段、督查内容、督查范围内的单位。"""


@campaign.command("new")
@click.option("--name", required=True, help="专项行动名称，如 “双减”政策落实督查专项行动。")
@click.option("--start", required=True, help="起始日期，如 2022-03-25。")
@click.option("--end", required=True, help="结束日期，如 2022-06-30。")
@click.option("--category", "categories", multiple=True, required=True, help="督查内容（问题类别），可多次使用。")
@click.option("--phase", "phases", multiple=True, metavar="名称:起始:结束",
              help="阶段，如 县级核查:2022-04-16:2022-06-15，可多次使用。")
@click.option("--plan", default="", help="方案文件的档号或文号（须已归档）。")
@archive_option
def campaign_new(name, start, end, categories, phases, plan, archive_dir):
    """新建专项行动。"""
    parsed = []
    for p in phases:
        parts = p.rsplit(":", 2)
        if len(parts) != 3:
            raise WenshuError(f"--phase “{p}” 应写成 名称:起始日期:结束日期，如 县级核查:2022-04-16:2022-06-15。")
        parsed.append(tuple(parts))
    store, _ = _open(archive_dir, need_campaign=False)
    c = store.create(name, start, end, list(categories), parsed, plan=plan)
    click.echo(f"已新建专项行动“{c.name}”：{c.start}—{c.end}，督查内容 {len(c.categories)} 项，阶段 {len(c.phases)} 个"
               + (f"，方案 {c.plan}" if c.plan else "") + "。")


@campaign.command("show")
@_campaign
@click.option("--as-of", "as_of", help="按这一天判断逾期（默认今天）。")
@json_option
@archive_option
def campaign_show(campaign_name, as_of, as_json, archive_dir):
    """专项行动概况：单位、线索、督办案件、整改事项。"""
    from campaign.summary import summary

    store, c = _open(archive_dir, campaign_name)
    s = summary(store, c, parse_date(as_of, "--as-of"))
    if as_json:
        echo_json(s)
        return
    click.echo(f"{c.name}（{c.start}—{c.end}）" + (f"　方案：{c.plan}" if c.plan else ""))
    for p in c.phases:
        click.echo(f"　阶段：{p.name} {p.start}—{p.end}")
    click.echo("督查内容：" + "；".join(c.categories))
    u, k, i = s["单位"], s["督办案件"], s["整改事项"]
    click.echo(f"单位：学校 {u['学校']} 所，校外培训机构 {u['校外培训机构']} 家")
    click.echo(f"线索 {s['线索']['总数']} 条：" + "，".join(f"{a} {n}" for a, n in s["线索"]["按来源"].items()))
    click.echo("核查结果：" + ("，".join(f"{a} {n}" for a, n in s["线索"]["按核查结果"].items()) or "无"))
    click.echo(f"督办案件 {k['总数']} 件（未销号 {k['未销号']}，已销号 {k['已销号']}）；"
               f"整改事项 {i['总数']} 项（已销号 {i['已销号']}，逾期 {i['逾期']}，催办 {i['催办次数']} 次）")


@campaign.command("letters")
@click.argument("case_id")
@_campaign
@click.option("--date", "on", required=True, help="成文日期，如 2022-04-29。")
@click.option("--report-to", "report_to", default="高平市教育局教育督导室", show_default=True, help="整改报告报送对象。")
@click.option("--contact", default="", help="联系人及电话。")
@click.option("--pdf", is_flag=True, help="同时生成 PDF（需要 LibreOffice）。")
@archive_option
def campaign_letters(case_id, campaign_name, on, report_to, contact, pdf, archive_dir):
    """为督办案件生成督办函和整改通知书（问题、时限取自案件），编号并归入案件。"""
    from campaign.letters import issue_letters
    from wenshu.campaign_docs import maker

    store, c = _open(archive_dir, campaign_name)
    for d in issue_letters(store, c, case_id, on=on, report_to=report_to, contact=contact,
                           make=maker(store.archive, pdf=pdf)):
        click.echo(f"已发{d.kind} {d.number}：{d.title}（档号 {d.archival_code}，归入案件 {case_id}）")


@campaign.command("report")
@_campaign
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), help="输出文件夹。")
@click.option("--as-of", "as_of", required=True, help="统计截止日期（报告的成文日期）。")
@click.option("--signer", required=True, help="签发人。")
@click.option("--number", default="", help="报告的文号，如 高教字〔2022〕20号。")
@click.option("--pdf", is_flag=True, help="同时生成 PDF（需要 LibreOffice）。")
@json_option
@archive_option
def campaign_report(campaign_name, out_dir, as_of, signer, number, pdf, as_json, archive_dir):
    """由台账数据生成督查报告（.docx，上行文格式）和线索、整改、承诺书台账（.xlsx）。"""
    from dataclasses import asdict

    from wenshu.campaign_docs import report

    store, c = _open(archive_dir, campaign_name)
    r, made = report(store, c, out_dir, as_of=as_of, signer=signer, number=number, pdf=pdf)
    f = r.figures
    if as_json:
        echo_json({"报告": str(r.docx), "PDF": str(made or ""), "台账": [str(p) for p in r.ledgers],
                   "数据": {**asdict(r.figures), "as_of": str(f.as_of)}})
        return
    click.echo(f"督查报告：{r.docx}" + (f"（PDF：{made}）" if made else ""))
    click.echo(f"线索 {f.clues} 条，督办案件 {len(f.cases)} 件，整改事项 {f.items} 项（已销号 {f.items_closed}，"
               f"完成率 {f.completion}，逾期 {f.items_overdue}）")
    click.echo("台账：" + "、".join(p.name for p in r.ledgers))


@campaign.command("units")
@_campaign
@click.option("--import", "source", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="从 .xlsx 或 .csv 导入单位名单（表头：单位名称、类型）。")
@click.option("--add", "name", help="登记一个单位。")
@click.option("--kind", type=click.Choice(["学校", "校外培训机构"]), default="学校", help="--add 的单位类型。")
@json_option
@archive_option
def campaign_units(campaign_name, source, name, kind, as_json, archive_dir):
    """督查范围内的学校和校外培训机构：导入、登记、列出。"""
    from campaign.store import read_units

    store, c = _open(archive_dir, campaign_name)
    if source:
        n = store.add_units(c, read_units(source), where=source.name)
        click.echo(f"已从 {source.name} 导入单位：新增 {n} 个。")
    if name:
        n = store.add_units(c, [(name, kind)])
        click.echo(f"已登记{kind}“{name}”。" if n else f"“{name}”已在范围内，未做更改。")
    if source or name:
        return
    units = store.units(c)
    if as_json:
        echo_json([{"名称": x.name, "类型": x.kind} for x in units])
    elif not units:
        click.echo("还没有单位，请用 wenshu campaign units --import 名单.xlsx 导入。")
    else:
        print_table(["单位", "类型"], [[x.name, x.kind] for x in units], title=f"{c.name} 督查范围")


# -- clue -------------------------------------------------------------------------------------

@click.group()
def clue():
    """问题线索台账：登记、列出、核查、导出。"""


@clue.command("add")
@_campaign
@click.option("--source", required=True, help="来源：举报电话、信箱、调查问卷、教师座谈、督查发现、上级转办。")
@click.option("--received", required=True, help="收到日期，如 2022-04-18。")
@click.option("--unit", required=True, help="涉及单位（须在督查范围内）。")
@click.option("--person", "persons", default="", help="涉及人员。")
@click.option("--category", required=True, help="问题类别（本专项行动的督查内容之一）。")
@click.option("--content", required=True, help="问题描述。")
@click.option("--by", "registrar", required=True, help="登记人。")
@click.option("--note", default="", help="备注。")
@archive_option
def clue_add(campaign_name, source, received, unit, persons, category, content, registrar, note, archive_dir):
    """登记一条问题线索。"""
    from campaign.clues import add_clue

    store, c = _open(archive_dir, campaign_name)
    x = add_clue(store, c, source=source, received=received, unit=unit, persons=persons, category=category,
                 content=content, registrar=registrar, note=note)
    click.echo(f"已登记线索 {x.id}：{x.source}，{x.unit}，{x.category}。")


@clue.command("list")
@_campaign
@click.option("--source", help="只列这一来源。")
@click.option("--result", help="只列这一核查结果（属实、部分属实、不属实、无法核实、未核查）。")
@click.option("--unit", help="只列涉及这一单位的。")
@click.option("--category", help="只列这一问题类别。")
@json_option
@archive_option
def clue_list(campaign_name, source, result, unit, category, as_json, archive_dir):
    """列出问题线索。"""
    from campaign.clues import list_clues

    store, c = _open(archive_dir, campaign_name)
    rows = list_clues(store, c, source=source, result=result, unit=unit, category=category)
    if as_json:
        echo_json([x.as_dict() for x in rows])
        return
    if not rows:
        click.echo("没有符合条件的线索。")
        return
    print_table(["台账编号", "来源", "收到", "涉及单位", "类别", "核查结果", "处理", "督办案件"],
                [[x.id, x.source, x.received, x.unit, x.category, x.result or "未核查", x.handling, x.case_id]
                 for x in rows], title=f"{c.name} 问题线索台账")


@clue.command("verify")
@click.argument("clue_id")
@click.option("--by", "verifier", required=True, help="核查人。")
@click.option("--date", "on", required=True, help="核查日期。")
@click.option("--result", required=True, help="核查结果：属实、部分属实、不属实、无法核实。")
@click.option("--finding", default="", help="核查情况。")
@click.option("--handling", help="处理方式：整改、问责、不予处理（默认属实者整改，其余不予处理）。")
@click.option("--problem", "problems", multiple=True, help="需整改的问题，每项一个整改事项，可多次使用。")
@click.option("--person", default="", help="整改责任人。")
@click.option("--days", "workdays", type=int, default=15, show_default=True, help="整改时限（工作日）。")
@click.option("--issued", help="整改下发日期（默认核查日期）。")
@archive_option
def clue_verify(clue_id, verifier, on, result, finding, handling, problems, person, workdays, issued, archive_dir):
    """记录核查结果；属实并整改的，立督办案件并下发整改事项。"""
    from campaign.clues import verify_clue
    from campaign.rectify import clue_items

    store, _ = _open(archive_dir, need_campaign=False)
    x = verify_clue(store, clue_id, verifier=verifier, on=on, result=result, finding=finding, handling=handling,
                    problems=list(problems), person=person, workdays=workdays, issued=issued)
    click.echo(f"线索 {x.id} 已核查：{x.result}，{x.handling}。")
    if x.case_id:
        click.echo(f"督办案件 {x.case_id}：")
        for i in clue_items(store, x.id):
            click.echo(f"　{i.id} {i.problem}　责任单位 {i.unit}　时限 {i.workdays}个工作日（截止 {i.deadline}）")


@clue.command("import")
@click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@_campaign
@click.option("--by", "registrar", default="", help="表中没有登记人时记为此人。")
@archive_option
def clue_import(path, campaign_name, registrar, archive_dir):
    """从 .xlsx 线索台账导入线索（全部导入或一条不导入）。"""
    from campaign.clues import import_clues

    store, c = _open(archive_dir, campaign_name)
    ids = import_clues(store, c, path, registrar=registrar)
    click.echo(f"已从 {path.name} 导入线索 {len(ids)} 条：{ids[0]}—{ids[-1]}。")


@clue.command("feedback")
@click.argument("clue_id")
@click.option("--date", "on", required=True, help="反馈日期。")
@click.option("--to", "to", required=True, help="反馈对象，如 举报人（电话回访）、晋城市教育局。")
@click.option("--note", default="", help="备注。")
@archive_option
def clue_feedback(clue_id, on, to, note, archive_dir):
    """登记向举报人或转办机关反馈核查处理结果。"""
    from campaign.clues import record_feedback

    store, _ = _open(archive_dir, need_campaign=False)
    x = record_feedback(store, clue_id, on=on, to=to, note=note)
    click.echo(f"线索 {x.id} 已于 {x.feedback_date} 反馈{x.feedback_to}。")


@clue.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@_campaign
@archive_option
def clue_export(path, campaign_name, archive_dir):
    """把问题线索台账导出为 .xlsx。"""
    from campaign.ledger import export_clues

    if path.suffix.lower() != ".xlsx":
        raise WenshuError(f"{path} 应以 .xlsx 结尾。")
    store, c = _open(archive_dir, campaign_name)
    n = export_clues(store, c, path)
    click.echo(f"已导出问题线索台账 {n} 条：{path}")


# -- rectify ----------------------------------------------------------------------------------

@click.group()
def rectify():
    """整改事项：列出、复查销号、催办。"""


@rectify.command("list")
@_campaign
@click.option("--overdue", "only_overdue", is_flag=True, help="只列逾期未销号的。")
@click.option("--open", "only_open", is_flag=True, help="只列未销号的。")
@click.option("--case", "case_id", help="只列这一督办案件的。")
@click.option("--as-of", "as_of", help="按这一天判断逾期（默认今天）。")
@json_option
@archive_option
def rectify_list(campaign_name, only_overdue, only_open, case_id, as_of, as_json, archive_dir):
    """列出整改事项，逾期的带逾期天数和催办次数。"""
    from datetime import date

    from campaign.rectify import items, overdue, reports

    store, c = _open(archive_dir, campaign_name)
    today = parse_date(as_of, "--as-of") or date.today()
    if only_overdue:
        rows = [i for i, _ in overdue(store, c, today) if not case_id or i.case_id == case_id]
    else:
        rows = items(store, c, case_id=case_id, status="open" if only_open else None)
    if as_json:
        echo_json([{**i.as_dict(today), "整改报告": reports(store, i.id)} for i in rows])
        return
    if not rows:
        click.echo("没有逾期的整改事项。" if only_overdue else "没有符合条件的整改事项。")
        return
    print_table(["整改编号", "督办案件", "问题", "责任单位", "责任人", "截止", "状态", "逾期天数", "催办"],
                [[i.id, i.case_id, i.problem, i.unit, i.person, i.deadline, "已销号" if i.status == "closed" else "未销号",
                  i.days_overdue(today) or "", i.reminders or ""] for i in rows], title=f"{c.name} 整改事项")


@rectify.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@_campaign
@click.option("--as-of", "as_of", help="按这一天计算逾期天数（默认今天）。")
@archive_option
def rectify_export(path, campaign_name, as_of, archive_dir):
    """把整改台账导出为 .xlsx。"""
    from campaign.ledger import export_items

    if path.suffix.lower() != ".xlsx":
        raise WenshuError(f"{path} 应以 .xlsx 结尾。")
    store, c = _open(archive_dir, campaign_name)
    n = export_items(store, c, path, parse_date(as_of, "--as-of"))
    click.echo(f"已导出整改台账 {n} 项：{path}")


@rectify.command("close")
@click.argument("item_id")
@click.option("--by", "reviewer", default="", help="复查人。")
@click.option("--date", "on", default="", help="复查日期。")
@click.option("--note", default="", help="复查情况（证据说明）。")
@click.option("--evidence", "files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="复查证据文件（照片、记录），可多次使用。")
@archive_option
def rectify_close(item_id, reviewer, on, note, files, archive_dir):
    """复查后销号：必须有复查人、复查日期和证据。"""
    from campaign.rectify import close_item

    store, _ = _open(archive_dir, need_campaign=False)
    i = close_item(store, item_id, reviewer=reviewer, on=on, note=note, files=list(files))
    click.echo(f"整改事项 {i.id} 已销号（复查人 {i.reviewer}，{i.reviewed}）。")


@rectify.command("report")
@click.argument("record")
@click.argument("item_ids", nargs=-1, required=True)
@archive_option
def rectify_report(record, item_ids, archive_dir):
    """把已归档的整改报告（档号或文号）关联到它回应的整改事项（销号仍须复查）。"""
    from campaign.rectify import link_report

    store, _ = _open(archive_dir, need_campaign=False)
    done = link_report(store, record, list(item_ids))
    click.echo(f"已把整改报告 {record} 关联到 {'、'.join(i.id for i in done)}；销号仍须复查。")


@rectify.command("remind")
@click.argument("item_id")
@click.option("--by", required=True, help="催办人。")
@click.option("--date", "on", required=True, help="催办日期。")
@click.option("--way", default="电话", show_default=True, help="催办方式：督办函、电话、短信、当面。")
@click.option("--note", default="", help="催办说明。")
@click.option("--letter", is_flag=True, help="生成一份催办函（编号、归入案件），计为一次督办函催办。")
@click.option("--report-to", "report_to", default="高平市教育局教育督导室", show_default=True, help="催办函的报送对象。")
@archive_option
def rectify_remind(item_id, by, on, way, note, letter, report_to, archive_dir):
    """登记一次催办（计入催办次数）；--letter 发催办函。"""
    from campaign.rectify import remind

    store, _ = _open(archive_dir, need_campaign=False)
    if letter:
        from campaign.letters import remind_by_letter
        from wenshu.campaign_docs import maker

        i, d = remind_by_letter(store, item_id, by=by, on=on, report_to=report_to, make=maker(store.archive))
        click.echo(f"已发催办函 {d.number}（档号 {d.archival_code}）催办 {i.id}（{i.unit}），这是第 {i.reminders} 次催办。")
        return
    i = remind(store, item_id, by=by, on=on, way=way, note=note)
    click.echo(f"已登记对 {i.id}（{i.unit}）的{way}催办，这是第 {i.reminders} 次。")
