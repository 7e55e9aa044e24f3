"""Sample field values and a render helper shared by the generator, layout and PDF tests."""

from __future__ import annotations

from pathlib import Path

from generator.render import render_document
from generator.service import prepare
from generator.template import load_template

PARA = "各学校要高度重视，认真组织，切实把各项工作落到实处，确保取得实效，并及时报送工作进展情况。"


def long_body(paragraphs: int) -> str:
    return "\n".join([
        "为深入贯彻落实“双减”工作要求，进一步规范校外培训行为，现将有关事项通知如下。",
        "一、总体要求。" + PARA,
        "（一）加强组织领导。" + PARA,
        "1.建立工作台账。" + PARA,
        "（1）每月更新一次。",
        *[PARA * 2] * paragraphs,
    ])


NOTICE = {
    "标题": "关于印发《高平市校外培训机构专项治理方案》的通知",
    "主送机关": "各乡镇中心学校，市直各学校",
    "正文": long_body(3),
    "附件": [{"标题": "高平市校外培训机构专项治理方案", "正文": "一、工作目标\n" + PARA + "\n二、工作措施\n（一）开展排查。" + PARA}],
    "附注": "此件公开发布",
    "抄送机关": "市委办公室，市政府办公室",
    "成文日期": "2022-03-25",
}
LETTER = {
    "标题": "关于督促整改校外培训违规问题的函",
    "被督办单位": "高平市启航培训学校",
    "正文": "近期，我局在专项检查中发现你单位存在违规开展学科类培训等问题，现函告如下。",
    "发现的问题": ["周末组织义务教育阶段学生学科类培训", "未公示收费标准"],
    "督办事项": "（一）立即停止违规培训活动。\n（二）全面清退违规收取的费用。",
    "办理时限": "2022-04-15",
    "报送对象": "市教育局基础教育科",
    "联系人及电话": "李明 0356-5221234",
    "抄送机关": "市市场监督管理局",
    "成文日期": "2022-03-28",
    "案件": "2022-督-003",
}
RECTIFICATION = {
    "标题": "关于高平市启航培训学校限期整改的通知",
    "整改单位": "高平市启航培训学校",
    "正文": "根据《高平市教育局关于督促整改校外培训违规问题的函》，经复查，你单位仍存在以下问题。",
    "存在的问题": ["仍在周末组织学科类培训", "收费未纳入监管账户"],
    "整改要求": "（一）立即停止违规培训。\n（二）按规定办理资金监管。",
    "整改时限": "2022-04-30",
    "报告对象": "市教育局基础教育科",
    "依据文号": "高教督函〔2022〕3号",
    "案件": "2022-督-003",
    "抄送机关": "市市场监督管理局",
    "成文日期": "2022-04-06",
}
PLEDGE = {"姓名": "王芳", "学校": "高平市第一中学", "学科": "数学",
          "承诺条款": ["不组织、不参与有偿补课", "不向学生推荐校外培训机构", "严格控制作业总量和时长"],
          "日期": "2022-09-01"}
SAMPLES = {"notice": NOTICE, "supervision_letter": LETTER, "rectification_notice": RECTIFICATION, "pledge": PLEDGE}


def render(name: str, out: Path, config, data: dict | None = None, number: str = "高教字〔2022〕8号",
           pdf: bool = False, **over):
    """Render a built-in template without numbering or filing (the library function the CLI wraps)."""
    template = load_template(name)
    values = prepare(template, {**(data if data is not None else SAMPLES[name]), **over})
    serial = "2022-0001" if template.manifest.numbering == "编号" else ""
    return render_document(template, values, "" if serial else number, out, config=config,
                           serial=serial, pdf=pdf)
