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
from click.testing import CliRunner

from generator import pdf as pdfmod
from generator.pdfcheck import check_pdf, lost_characters
from tests.conftest import corpus_path, make_config
from wenshu.cli import main
from generator.fill import keep_tail
from generator.render import build_context, render_document, render_docx
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
    for i, ((name, _), doc) in enumerate(zip(jobs, docs)):  # the page-fill pass of render.to_pdf, per document
        template = load_template(name)
        ctx = build_context(template, doc.values, cfg, doc.number if name != "pledge" else "", "")
        _, pdfs[i] = keep_tail(template, ctx, doc.docx, pdfs[i], lambda c: render_docx(template, c, doc.docx),
                               lambda: pdfmod.convert([doc.docx], out / f"pdf{i}")[0])
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


# -- page fill: a short 印发 notice -----------------------------------------------------------------

SHORT_NOTICE = {
    "标题": "关于印发《高平市2022年校外培训机构专项督查行动方案》的通知",
    "主送机关": "各乡镇中心学校，市直各学校，各民办学校，校外培训机构，局机关各股室",
    "正文": "现将《高平市2022年校外培训机构专项督查行动方案》印发给你们，请结合实际认真贯彻落实。"
            "各单位要高度重视，明确专人负责，于每月底前将工作进展报送市教育局基础教育股。",
    "附件": [{"标题": "高平市2022年校外培训机构专项督查行动方案",
              "正文": "一、工作目标\n全面排查校外培训机构办学行为，规范收费和退费管理，切实减轻学生负担。\n"
                      "二、工作措施\n（一）开展排查。各乡镇中心学校对辖区内校外培训机构逐一排查，建立台账。\n"
                      "（二）集中整治。对排查发现的问题限期整改，逾期未整改的依法查处。"}],
    "抄送机关": "市委办公室，市政府办公室",
    "成文日期": "2022-03-25",
}


def page_one_free_slots(pdf) -> tuple[bool, int]:
    """(whether page 1 carries a line of 正文 after the 主送, free body line slots left on page 1)."""
    import pdfplumber

    from generator.pdf import MM

    with pdfplumber.open(str(pdf)) as doc:
        page = doc.pages[0]
        lines: dict[int, str] = {}
        for c in sorted(page.chars, key=lambda c: (round(c["bottom"]), c["x0"])):
            if c["bottom"] / MM < 262.5 and c["text"].strip():
                lines[round(c["bottom"])] = lines.get(round(c["bottom"]), "") + c["text"]
        texts = [lines[k] for k in sorted(lines)]
        last_bottom = max(lines) / MM
    after = texts[next(i for i, t in enumerate(texts) if t.endswith("：")) + 1:]
    return bool(after), int((262 - last_bottom) // (579 / 56.6929))


@pytest.fixture(scope="module")
def short_notice(tmp_path_factory):
    from tests.generator_helpers import render

    return render("notice", tmp_path_factory.mktemp("short"), make_config(), data=SHORT_NOTICE, pdf=True)


def test_short_notice_carries_its_text_on_page_one(short_notice):
    has_body, _ = page_one_free_slots(short_notice.pdf)
    assert has_body, "第 1 页只有版头、标题和主送，正文全部挤到了第 2 页"
    from generator.fill import page_lines, signature_alone

    pages = page_lines(short_notice.pdf)
    assert signature_alone(pages) is None  # the 署名 page has 正文 above it
    date_page = next(i for i, p in enumerate(pages) if "2022年3月25日" in "".join("".join(p).split()))
    assert any(line.endswith("。") and not line.startswith("附件") for line in pages[date_page])


def test_short_notice_passes_layout_check_with_pdf(short_notice):
    result = CliRunner().invoke(main, ["layout-check", "--pdf", str(short_notice.docx)])
    assert result.exit_code == 0, result.output
    assert not lost_characters(short_notice.docx, short_notice.pdf)


def test_real_notices_use_page_one(real):
    for name, data, doc, pdf in real:
        if name != "notice":
            continue
        has_body, free = page_one_free_slots(pdf)
        assert has_body or free < 3, f"{data['标题']}：第 1 页空着 {free} 行却没有正文"


# -- title line breaking (标题回行) -------------------------------------------------------------------


def real_titles() -> list[str]:
    path = corpus_path("govcn-policy-2019", "ge_policy_raw20190217.jsonl")
    titles = [json.loads(line)["title"] for line in path.read_text(encoding="utf-8").splitlines()]
    titles += [f"关于印发《{t}》的通知" for t, _ in regulations(30)]
    titles += [SHORT_NOTICE["标题"], "国务院关于2018年度国家科学技术奖励的决定"]
    return titles


def test_titles_break_between_words_balanced(tmp_path):
    import rjieba

    from generator.title import LINE_WIDTH, OPENING, Title, width

    titles = real_titles()
    assert len(titles) >= 60
    broken = 0
    for title in titles:
        lines = Title.typed(title).lines
        assert "".join(lines) == title
        words = set()
        at = 0
        for w in rjieba.cut(title):
            at += len(w)
            words.add(at)
        ends = [sum(map(len, lines[:i + 1])) for i in range(len(lines) - 1)]
        broken += bool(ends)
        for line in lines:
            assert width(line) <= LINE_WIDTH, (title, lines)
            assert len(line) >= 2, f"单字成行：{lines}"
            assert line[-1] not in OPENING or line is lines[-1], lines
        assert all(e in words for e in ends), f"在词中回行：{lines}"
        if len(lines) == 2:
            assert width(lines[0]) >= width(lines[1]), f"应为梯形（上长下短）：{lines}"
    assert broken >= 30


def test_a_typed_newline_forces_the_break():
    from generator.form_fields import Field, convert

    title = convert(Field("title", "标题"), "关于印发\n《高平市校外培训机构专项治理方案》的通知")
    assert title == "关于印发《高平市校外培训机构专项治理方案》的通知" and title.lines[0] == "关于印发"


def test_printed_title_lines_are_the_chosen_ones(real):
    from generator.fill import page_lines

    for name, data, doc, pdf in real:
        if name != "notice":
            continue
        first = ["".join(x.split()) for x in page_lines(pdf)[0]]
        for line in doc.values["title"].lines:
            assert "".join(line.split()) in first, (line, first[:6])


# -- values printed the official way, dates, document properties ----------------------------------


def _text_of(path) -> str:
    import docx

    return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)


def test_typed_document_numbers_are_printed_with_hexagonal_brackets(tmp_path):
    from tests.generator_helpers import RECTIFICATION, render

    data = dict(RECTIFICATION, **{"依据文号": "高教督函[2022]1号", "案件": "督2022-北诗中学",
                                  "正文": "根据晋市教办字[2022]7号和晋市教办字（2022）第8号文件要求，经复查，你单位仍存在以下问题。"})
    doc = render("rectification_notice", tmp_path, make_config(), data=data)
    text = _text_of(doc.docx)
    assert "本通知依据高教督函〔2022〕1号作出。" in text
    assert "根据晋市教办字〔2022〕7号和晋市教办字〔2022〕8号文件要求" in text
    assert "[" not in text and "督2022-北诗中学" not in text  # the case id stays in the metadata
    assert doc.values["case"] == "督2022-北诗中学"


def test_dates_that_depend_on_each_other_are_checked():
    from archive.errors import WenshuError
    from generator.service import prepare
    from generator.template import load_template
    from tests.generator_helpers import NOTICE, RECTIFICATION

    rect = load_template("rectification_notice")
    with pytest.raises(WenshuError, match="“整改时限”（2022年4月1日）应晚于“成文日期”（2022年4月6日）"):
        prepare(rect, dict(RECTIFICATION, **{"整改时限": "2022-04-01"}))
    with pytest.raises(WenshuError, match="“印发日期”.*不能早于“成文日期”"):
        prepare(load_template("notice"), dict(NOTICE, **{"印发日期": "2022-03-24"}))
    assert prepare(load_template("notice"), dict(NOTICE, **{"印发日期": "2022-03-25"}))["print_date"].day == 25


def test_date_option_and_a_different_date_in_the_data_is_an_error():
    from archive.errors import WenshuError
    from generator.service import prepare
    from generator.template import load_template
    from tests.generator_helpers import NOTICE

    notice = load_template("notice")
    with pytest.raises(WenshuError, match=r"--date（2022-04-01）与数据中的“成文日期”（2022-03-25）不一致"):
        prepare(notice, NOTICE, when="2022-04-01")
    assert prepare(notice, NOTICE, when="2022年3月25日")["date"].isoformat() == "2022-03-25"
    assert prepare(notice, {k: v for k, v in NOTICE.items() if k != "成文日期"}, when="2022-04-01")["date"].month == 4


def test_document_properties_in_docx_and_pdf(short_notice, tmp_path):
    import docx
    from pypdf import PdfReader

    cp = docx.Document(str(short_notice.docx)).core_properties
    assert cp.title == SHORT_NOTICE["标题"] and cp.author == "高平市教育局"
    assert cp.subject == "高教字〔2022〕8号" and cp.category == "通知"
    assert cp.created.date().isoformat() == cp.modified.date().isoformat() == "2022-03-25"
    meta = PdfReader(str(short_notice.pdf)).metadata
    assert (meta.title, meta.author, meta.subject) == (SHORT_NOTICE["标题"], "高平市教育局", "高教字〔2022〕8号")

    from tests.generator_helpers import render

    pledge = docx.Document(str(render("pledge", tmp_path, make_config()).docx)).core_properties
    assert (pledge.title, pledge.author, pledge.subject, pledge.category) == ("教师“双减”工作承诺书", "王芳", "2022-0001", "承诺书")


# -- the checker agrees with the generator ------------------------------------------------------------


def test_layout_check_finds_nothing_in_what_wenshu_generated(real):
    from generator.layout_check import check

    for name, data, doc, pdf in real:
        kind = {"notice": "notice", "rectification_notice": "notice", "supervision_letter": "letter"}.get(name, "plain")
        assert check(doc.docx) == [], (name, data.get("标题"))
        # one pass only here (no padding run): the 版记 is not yet on the bottom edge, the rest must hold
        devs = [d for d in check_pdf(pdf, kind, doc.docx) if "版记末条分隔线" not in d.message]
        assert devs == [], (name, data.get("标题"), [str(d) for d in devs])


def test_real_notices_through_the_full_pdf_path_pass_layout_check(tmp_path):
    from tests.generator_helpers import render

    picked = [d for d in govcn_notices() if "附件" in d][:1] + govcn_notices(3)[1:3]
    files = []
    for i, data in enumerate(picked):
        doc = render("notice", tmp_path / str(i), make_config(), data=data, pdf=True)
        files.append(str(doc.docx))
    result = CliRunner().invoke(main, ["layout-check", "--pdf", *files])
    assert result.exit_code == 0, result.output
