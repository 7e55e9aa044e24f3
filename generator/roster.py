"""Reading a roster (名册) the way offices keep them: a title row or two above the header, headers
written 姓 名 or 任教学科, the list on the second sheet, the same teacher twice.

Columns are matched to fields by name, Chinese label or a common synonym; the header is the first
row (on the first sheet that has one) whose cells name fields; every column that matches no field
is named in a warning before anything is issued, so a 任教学科 column is never silently dropped.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from archive.errors import WenshuError

# Header words offices use for a field, beyond its name and label.
SYNONYMS = {
    "name": ("姓名", "教师姓名", "名字", "承诺人", "承诺人姓名"),
    "school": ("学校", "学校名称", "单位", "工作单位", "所在学校", "任教学校", "单位名称"),
    "subject": ("学科", "任教学科", "所教学科", "任教科目", "科目", "教学科目"),
    "date": ("日期", "承诺日期", "签订日期"),
    "title": ("标题", "题目"),
}
HEADER_SEARCH_ROWS = 10  # title rows above the header: at most this many


def _key(text) -> str:
    """A header cell as compared: no spaces (姓 名), no marks (姓名*, 学校：), case-folded."""
    return "".join(str(text).split()).strip("*＊:：()（）").casefold()


@dataclass
class Roster:
    source: str
    sheet: str
    rows: list[tuple[int, dict]]  # (spreadsheet row number, {field name: value})
    columns: dict[str, str] = field(default_factory=dict)  # header as written → field name
    unmatched: list[str] = field(default_factory=list)  # headers that map to no field


def column_field(manifest, header: str) -> str | None:
    f = manifest.field(header)
    if f:
        return f.name
    key = _key(header)
    for fl in manifest.fields:
        if key in {_key(fl.name), _key(fl.label), *(_key(s) for s in SYNONYMS.get(fl.name, ()))}:
            return fl.name
    return None


def read_tables(path: Path) -> list[tuple[str, list[list]]]:
    """(sheet name, rows of cells) of a .csv or every sheet of an .xlsx."""
    path = Path(path)
    if not path.exists():
        raise WenshuError(f"找不到名册文件 {path}。")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        raw = path.read_bytes()
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise WenshuError(f"名册 {path.name} 的编码无法识别，请另存为 UTF-8 编码的 CSV。")
        return [(path.stem, list(csv.reader(text.splitlines())))]
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as e:  # openpyxl raises many kinds on a broken file
            raise WenshuError(f"名册 {path.name} 无法读取：{e}") from None
        try:
            return [(ws.title, [["" if c is None else c for c in row] for row in ws.iter_rows(values_only=True)])
                    for ws in wb.worksheets]
        finally:
            wb.close()
    raise WenshuError(f"名册 {path.name} 应为 .xlsx 或 .csv 文件。")


def _header_row(manifest, table: list[list], needed: set[str]) -> int | None:
    for i, row in enumerate(table[:HEADER_SEARCH_ROWS]):
        names = {column_field(manifest, c) for c in row if str(c).strip()} - {None}
        if len(names) >= 2 or (names and needed <= names):
            return i
    return None


def read_roster(path: Path, manifest, given: set[str] = frozenset()) -> Roster:
    """The roster's data rows keyed by field name; ``given`` are fields supplied for every row."""
    path = Path(path)
    tables = read_tables(path)
    needed = {f.name for f in manifest.fields if f.required and f.default is None} - set(given)
    for sheet, table in tables:
        at = _header_row(manifest, table, needed)
        if at is None:
            continue
        header = [str(c).strip() for c in table[at]]
        columns = {h: column_field(manifest, h) for h in header if h}
        rows = []
        for n, row in enumerate(table[at + 1:], at + 2):
            cells = {}
            for h, v in zip(header, row):
                name = columns.get(h) if h else None
                if name and (name not in cells or not str(cells[name]).strip()):
                    cells[name] = v
            rows.append((n, cells))
        while rows and not any(str(v).strip() for v in rows[-1][1].values()):
            rows.pop()  # trailing blank lines of a spreadsheet are not rows
        return Roster(path.name, sheet, rows, {h: c for h, c in columns.items() if c},
                      [h for h, c in columns.items() if c is None])
    first = next((r for _, t in tables for r in t if any(str(c).strip() for c in r)), [])
    found = "、".join(str(c).strip() for c in first if str(c).strip()) or "（空）"
    labels = "、".join(f.label for f in manifest.fields if f.type not in ("body", "attachments"))
    raise WenshuError(f"名册 {path.name} 中没有找到表头行（前 {HEADER_SEARCH_ROWS} 行中没有一行写着字段名）。"
                      f"找到的第一行是：{found}。表头应包含：{labels}。")


def duplicates(rows: list[tuple[int, dict]], keys: tuple[str, ...] = ("name", "school")) -> list[tuple[str, list[int]]]:
    """(who, row numbers) for every person listed more than once (same 姓名 + 学校)."""
    seen: dict[tuple, list[int]] = {}
    for n, cells in rows:
        key = tuple(_key(cells.get(k, "")) for k in keys)
        if all(key):
            seen.setdefault(key, []).append(n)
    out = []
    for n_list in seen.values():
        if len(n_list) > 1:
            cells = dict(rows[[r for r, _ in rows].index(n_list[0])][1])
            who = str(cells.get(keys[0], "")).strip() + "".join(f"（{str(cells.get(k, '')).strip()}）" for k in keys[1:])
            out.append((who, n_list))
    return out
