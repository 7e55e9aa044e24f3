"""Writes the tour's input documents (the .docx and .xlsx files README's Tour names) into this folder.

Why a script: the binary files in docs/examples/ are shipped, but they are made here from text anyone
can read, so a reviewer can see what is in them. Run: `python docs/examples/make_examples.py`.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
from docx import Document

HERE = Path(__file__).resolve().parent


def write_docx(name: str, *lines: str) -> None:
    """A document as it reaches a clerk's desk (typed in Word): one paragraph per line."""
    doc = Document()
    doc.core_properties.author = ""
    for line in lines:
        doc.add_paragraph(line)
    doc.save(HERE / name)


def main() -> None:
    write_docx("晋城市教育局通知.docx", "晋城市教育局文件", "晋市教字［2022］第15号",
               "关于进一步规范校外培训", "机构管理的通知", "各县（市、区）教育局：",
               "为进一步规范校外培训机构管理，现就有关事项通知如下。",
               "一、全面排查。各地要对辖区内校外培训机构逐一排查，建立台账。",
               "二、从严审批。不再审批新的面向义务教育阶段学生的学科类校外培训机构。",
               "晋城市教育局", "二〇二二年三月十日", "抄送：晋城市人民政府办公室。")
    # The same notice as the city bureau re-sent it: a corrected deadline in 二、.
    write_docx("晋城市教育局通知（更正）.docx", "晋城市教育局文件", "晋市教字［2022］第15号",
               "关于进一步规范校外培训", "机构管理的通知", "各县（市、区）教育局：",
               "为进一步规范校外培训机构管理，现就有关事项通知如下。",
               "一、全面排查。各地要对辖区内校外培训机构逐一排查，于4月15日前建立台账。",
               "二、从严审批。不再审批新的面向义务教育阶段学生的学科类校外培训机构。",
               "晋城市教育局", "二〇二二年三月十日", "抄送：晋城市人民政府办公室。")
    # Two documents typed in Word outside wenshu, under numbers taken with `wenshu number issue`.
    write_docx("课后服务通知.docx", "高平市教育局文件", "高教字〔2022〕1号", "关于做好课后服务工作的通知",
               "各乡镇中心学校，市直各学校：", "为落实“双减”要求，现就做好课后服务工作通知如下。",
               "高平市教育局", "2022年3月25日")
    write_docx("师德师风通知.docx", "高平市教育局文件", "高教字〔2022〕2号", "关于开展师德师风专项检查的通知",
               "各乡镇中心学校，市直各学校：", "为严肃查处在职教师有偿补课问题，决定开展师德师风专项检查。",
               "高平市教育局", "2022年3月28日")
    write_docx("举报.docx", "关于高平市启航培训学校违规开展学科类培训的举报",
               "有家长反映，该校在周末组织初中数学、英语学科类培训……", "2022年3月20日")
    write_docx("承诺书签字扫描.docx", "教师拒绝有偿补课承诺书（签字页）", "承诺人：王芳", "2022年9月1日")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "名册"
    ws.append(["姓名", "学校", "学科"])
    surnames, given = "王李张刘陈杨赵黄周吴", ("芳", "伟", "静", "敏", "强", "丽")
    for i in range(30):
        ws.append([surnames[i % 10] + given[i % 6] + ("" if i < 10 else "二三"[i // 10 - 1]),
                   f"高平市第{'一二三四五'[i % 5]}中学", ("语文", "数学", "英语")[i % 3]])
    wb.save(HERE / "教师名册.xlsx")


if __name__ == "__main__":
    main()
