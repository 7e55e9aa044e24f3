"""Writes the tour's input documents (the .docx and .xlsx files README's Tour names) into this folder.

Why a script: the binary files in docs/examples/ are shipped, but they are made here from text anyone
can read, so a reviewer can see what is in them. Run: `python docs/examples/make_examples.py`.
`python3 make_examples.py --damage 2022年度移交.zip bad.zip` copies a transfer package with one byte of
one document changed (the tour's `wenshu verify bad.zip`); it needs only the standard library.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def damage(package: str, out: str) -> None:
    """A package as a bad disc or a tampered copy delivers it: the first record's first .docx has one
    byte changed, everything else (the manifests too) as it was."""
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        victim = next(n for n in src.namelist() if n.startswith("电子档案/") and n.endswith(".docx"))
        for info in src.infolist():
            data = src.read(info)
            if info.filename == victim:
                middle = len(data) // 2
                data = data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:]
            dst.writestr(info, data)


def write_docx(name: str, *lines: str) -> None:
    """A document as it reaches a clerk's desk (typed in Word): one paragraph per line."""
    from docx import Document

    doc = Document()
    doc.core_properties.author = ""
    for line in lines:
        doc.add_paragraph(line)
    doc.save(HERE / name)


def main() -> None:
    import openpyxl

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
    # Dropped into the archive's 收件箱/ while `wenshu watch` runs.
    write_docx("长治市教育局来文.docx", "长治市教育局文件", "长教字〔2022〕21号",
               "关于开展校外培训“隐形变异”问题专项治理的通知", "各县（区）教育局：",
               "为严防校外培训“隐形变异”，现决定开展专项治理，有关事项通知如下。",
               "一、重点查处以“家政服务”“住家家教”等名义开展的学科类培训。",
               "长治市教育局", "2022年6月8日")
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
    if sys.argv[1:2] == ["--damage"]:
        damage(sys.argv[2], sys.argv[3])
    else:
        main()
