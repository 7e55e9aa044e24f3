"""Documents fit to send (issue 13): real texts from ../shared/corpus through every built-in template,
to PDF, read back. What a clerk typed must all be on the printed page, in order.

The corpus texts are State Council documents (govcn-policy-2019) and administrative regulations
(lawrefbook-regulations). All documents of one module are converted with one LibreOffice start.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generator import pdf as pdfmod
from generator.pdfcheck import check_pdf, lost_characters
from tests.conftest import corpus_path, make_config
from generator.render import render_document
from generator.service import prepare
from generator.template import load_template

pytestmark = pytest.mark.skipif(not pdfmod.available(), reason="LibreOffice（soffice）未安装")

DATE_LINE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")
MAX_BODY = 2400  # characters per text: long enough for several pages, short enough for one test run


def _clip(lines: list[str], limit: int = MAX_BODY) -> list[str]:
    out, total = [], 0
    for line in lines:
        if total + len(line) > limit and out:
            break
        out.append(line)
        total += len(line)
    return out


def govcn_notices(n: int = 12) -> list[dict]:
    """State Council documents as a clerk would type them into the notice template: 标题, 主送, 正文,
    and for a 印发 notice the 印发-ed text as its 附件."""
    path = corpus_path("govcn-policy-2019", "ge_policy_raw20190217.jsonl")
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        lines = [x.strip() for x in d["text"].split("\n") if x.strip()]
        head = next((i for i, x in enumerate(lines[:5]) if x.endswith("：")), None)
        if head is None:
            continue
        rest = lines[head + 1:]
        end = next((i for i, x in enumerate(rest) if DATE_LINE.match(x)), len(rest))
        body = rest[:end - 1] if end < len(rest) else rest  # the line before the date is the 署名
        after = [x for x in rest[end + 1:] if not x.startswith("（此件")]
        data = {"标题": d["title"], "主送机关": lines[head].rstrip("："), "正文": "\n".join(_clip(body)),
                "成文日期": "2019-01-27", "抄送机关": "市委办公室，市人大常委会办公室，市政协办公室"}
        m = re.search(r"《(.+?)》", d["title"]) or re.search(r"印发(.+?)的通知", d["title"])
        if m and len(after) > 2:
            data["附件"] = [{"标题": m.group(1), "正文": "\n".join(_clip(after[1:], 1600))}]
        out.append(data)
        if len(out) >= n:
            break
    return out


def regulations(n: int) -> list[tuple[str, list[str]]]:
    """(title, 条 paragraphs) of administrative regulations."""
    folder = corpus_path("lawrefbook-regulations", "行政法规")
    out = []
    for f in sorted(folder.glob("*.md"))[:200:7]:
        text = f.read_text(encoding="utf-8")
        if "<!-- INFO END -->" not in text:
            continue
        title = text.splitlines()[0].lstrip("# ").strip()
        paras = [x.strip() for x in text.split("<!-- INFO END -->", 1)[1].splitlines()
                 if x.strip() and not x.startswith("#")]
        if len(paras) >= 8 and 4 <= len(title) <= 40:
            out.append((title, paras))
        if len(out) >= n:
            break
    return out


def regulation_documents() -> list[tuple[str, dict]]:
    out = []
    for i, (title, paras) in enumerate(regulations(12)):
        kind = ("rectification_notice", "supervision_letter", "pledge")[i % 3]
        if kind == "pledge":
            data = {"姓名": "王芳", "学校": "高平市第一中学", "学科": "数学", "日期": "2022-09-01",
                    "正文": paras[0], "承诺条款": _clip(paras[1:8], 1500)}
        else:
            data = {"标题": f"关于落实《{title}》有关问题限期整改的通知", "正文": "\n".join(_clip(paras[:4], 900)),
                    "存在的问题": _clip(paras[4:8], 800), "整改要求": "\n".join(_clip(paras[8:11], 700)),
                    "成文日期": "2022-04-06", "抄送机关": "市市场监督管理局"}
            if kind == "rectification_notice":
                data.update({"整改单位": "高平市启航培训学校", "整改时限": "2022-04-30", "报告对象": "市教育局基础教育科"})
            else:
                data["发现的问题"], data["督办事项"] = data.pop("存在的问题"), data.pop("整改要求")
                data.update({"标题": data["标题"].replace("限期整改的通知", "的督办函"), "被督办单位": "高平市启航培训学校",
                             "办理时限": "2022-04-15", "报送对象": "市教育局基础教育科", "联系人及电话": "李明 0356-5221234"})
        out.append((kind, data))
    return out


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """Every built-in template with real texts: (template, data, RenderedDocument, pdf path)."""
    out = tmp_path_factory.mktemp("real")
    cfg = make_config()
    jobs = [("notice", d) for d in govcn_notices()] + regulation_documents()
    docs = []
    for i, (name, data) in enumerate(jobs):
        template = load_template(name)
        serial = "2022-0001" if name == "pledge" else ""
        number = "" if serial else f"国发〔2019〕{i + 1}号"
        docs.append(render_document(template, prepare(template, data), number, out, config=cfg, serial=serial,
                                    stem=f"{i:02d}-{name}"))
    pdfs = pdfmod.convert([d.docx for d in docs], out / "pdf")
    return [(name, data, doc, p) for (name, data), doc, p in zip(jobs, docs, pdfs)]


def test_enough_real_texts_for_every_template(real):
    assert len(real) >= 20
    assert {name for name, *_ in real} == {"notice", "rectification_notice", "supervision_letter", "pledge"}
    assert any("附件" in data for name, data, *_ in real if name == "notice")


def test_every_character_of_the_docx_is_in_the_pdf_in_order(real):
    lost = {}
    for name, data, doc, pdf in real:
        missing = lost_characters(doc.docx, pdf)
        if missing:
            lost[f"{name}: {data.get('标题', data.get('姓名'))}"] = [str(x) for x in missing]
    assert not lost, f"{sum(map(len, lost.values()))} 处漏字：{lost}"


def test_layout_check_pdf_names_lost_characters(tmp_path, real):
    """The checker reads the .docx against the PDF: a PDF of another text is reported as missing text."""
    _, _, doc, pdf = real[0]
    _, _, other_doc, _ = real[1]
    assert not [d for d in check_pdf(pdf, "notice", doc.docx) if d.where == "全文"]
    found = [d for d in check_pdf(pdf, "notice", other_doc.docx) if d.where == "全文"]
    assert found and "少了" in found[0].message
