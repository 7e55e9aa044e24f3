"""The campaign's own data, in the archive's registry database (DESIGN §14).

Documents (the 方案, 督办函, 整改报告 …) stay records in the archive; what the office keeps *about*
the work — the units in scope, the clue ledger, 核查, 督办 cases, 整改 items, 复查 and 催办 — lives in
tables beside the number ledger in ``.wenshu/registry.sqlite``. One file is backed up and exported
with the archive, and every change runs in the registry's ``BEGIN IMMEDIATE`` transaction: a refused
input leaves nothing half-written, and two clerks registering clues at once never get the same
台账编号. The tables are created the first time a campaign command opens the archive.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from datetime import date, datetime

from archive.cleaning import clean_text
from archive.errors import WenshuError
from archive.store import Archive

SCHEMA_VERSION = 1
UNIT_KINDS = ("学校", "校外培训机构")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS campaigns (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, plan TEXT NOT NULL DEFAULT '',
    start TEXT NOT NULL, end TEXT NOT NULL, categories TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS campaign_phases (
    campaign INTEGER NOT NULL REFERENCES campaigns(id), ord INTEGER NOT NULL, name TEXT NOT NULL,
    start TEXT NOT NULL, end TEXT NOT NULL, PRIMARY KEY (campaign, ord));
CREATE TABLE IF NOT EXISTS campaign_units (
    campaign INTEGER NOT NULL REFERENCES campaigns(id), name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('学校', '校外培训机构')), PRIMARY KEY (campaign, name));
CREATE TABLE IF NOT EXISTS campaign_counters (
    series TEXT NOT NULL, year INTEGER NOT NULL, last INTEGER NOT NULL, PRIMARY KEY (series, year));
CREATE TABLE IF NOT EXISTS clues (
    id TEXT PRIMARY KEY, campaign INTEGER NOT NULL REFERENCES campaigns(id),
    source TEXT NOT NULL, received TEXT NOT NULL, unit TEXT NOT NULL, persons TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL, content TEXT NOT NULL, registrar TEXT NOT NULL,
    verifier TEXT NOT NULL DEFAULT '', verified TEXT NOT NULL DEFAULT '', result TEXT NOT NULL DEFAULT '',
    finding TEXT NOT NULL DEFAULT '', handling TEXT NOT NULL DEFAULT '', case_id TEXT NOT NULL DEFAULT '',
    feedback_date TEXT NOT NULL DEFAULT '', feedback_to TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '', created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rectify_cases (
    id TEXT PRIMARY KEY, campaign INTEGER NOT NULL REFERENCES campaigns(id), unit TEXT NOT NULL,
    opened TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('open', 'closed')), closed TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS rectify_items (
    id TEXT PRIMARY KEY, case_id TEXT NOT NULL REFERENCES rectify_cases(id), clue TEXT NOT NULL REFERENCES clues(id),
    problem TEXT NOT NULL, unit TEXT NOT NULL, person TEXT NOT NULL DEFAULT '', issued TEXT NOT NULL,
    workdays INTEGER NOT NULL, deadline TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    reviewer TEXT NOT NULL DEFAULT '', reviewed TEXT NOT NULL DEFAULT '', evidence TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS rectify_reports (
    item TEXT NOT NULL REFERENCES rectify_items(id), record TEXT NOT NULL, linked TEXT NOT NULL,
    PRIMARY KEY (item, record));
CREATE TABLE IF NOT EXISTS campaign_events (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, subject TEXT NOT NULL, action TEXT NOT NULL,
    who TEXT NOT NULL DEFAULT '', day TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '');
"""

# -- pledge coverage (campaign.pledges, campaign.scan): the roster, one pledge per teacher, pages not matched --
_SCHEMA += """
CREATE TABLE IF NOT EXISTS campaign_teachers (
    campaign INTEGER NOT NULL REFERENCES campaigns(id), school TEXT NOT NULL, name TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '', staff_id TEXT NOT NULL DEFAULT '', PRIMARY KEY (campaign, school, name, staff_id));
CREATE TABLE IF NOT EXISTS pledges (
    serial TEXT PRIMARY KEY, campaign INTEGER NOT NULL REFERENCES campaigns(id), school TEXT NOT NULL,
    name TEXT NOT NULL, staff_id TEXT NOT NULL DEFAULT '', record TEXT NOT NULL, issued TEXT NOT NULL,
    scan TEXT NOT NULL DEFAULT '', scanned TEXT NOT NULL DEFAULT '', scan_source TEXT NOT NULL DEFAULT '',
    UNIQUE (campaign, school, name, staff_id));
CREATE TABLE IF NOT EXISTS pledge_unmatched (
    id INTEGER PRIMARY KEY, campaign INTEGER NOT NULL REFERENCES campaigns(id), school TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL, page INTEGER NOT NULL, reason TEXT NOT NULL, image TEXT NOT NULL, thumb TEXT NOT NULL,
    at TEXT NOT NULL);
"""
_TABLES = re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", _SCHEMA)


def now() -> str:
    return datetime.now().isoformat(timespec="seconds")


def text(value, label: str, *, required: bool = True) -> str:
    """A clerk's input cleaned of control/bidi characters; empty refused when required, naming the field."""
    v = clean_text(str(value or "")).strip()
    if required and not v:
        raise WenshuError(f"“{label}”不能为空，未做任何更改。")
    return v


def day(value, label: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise WenshuError(f"“{label}”的日期“{value}”不正确：应写成 2022-04-29 这样的格式，未做任何更改。") from None


@dataclass(frozen=True)
class Phase:
    name: str
    start: date
    end: date


@dataclass(frozen=True)
class Unit:
    name: str
    kind: str


@dataclass
class Campaign:
    id: int
    name: str
    plan: str  # 档号 of the 方案 record, "" if not filed yet
    start: date
    end: date
    categories: list[str]
    phases: list[Phase] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"名称": self.name, "方案档号": self.plan, "起始日期": self.start.isoformat(),
                "结束日期": self.end.isoformat(), "督查内容": self.categories,
                "阶段": [{"名称": p.name, "起始日期": p.start.isoformat(), "结束日期": p.end.isoformat()}
                       for p in self.phases]}


class CampaignStore:
    """Opened per command over an archive; the tables are created if absent."""

    def __init__(self, archive: Archive):
        self.archive = archive
        self.registry = archive.registry
        have = {n for (n,) in self.registry.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not set(_TABLES) <= have:
            with self.registry.transaction() as c:
                for stmt in filter(str.strip, _SCHEMA.split(";")):
                    c.execute(stmt)
                c.execute("INSERT INTO meta (key, value) VALUES ('campaign_schema_version', ?) "
                          "ON CONFLICT (key) DO NOTHING", (str(SCHEMA_VERSION),))

    def tx(self):
        return self.registry.transaction()

    def query(self, sql: str, args: tuple = ()) -> list[tuple]:
        return self.registry.query(sql, args)

    @staticmethod
    def next_number(c: sqlite3.Connection, series: str, year: int) -> int:
        """The next number of a series, advanced inside the caller's write transaction."""
        c.execute("INSERT INTO campaign_counters (series, year, last) VALUES (?, ?, 0) "
                  "ON CONFLICT (series, year) DO NOTHING", (series, year))
        (last,) = c.execute("SELECT last FROM campaign_counters WHERE series = ? AND year = ?",
                            (series, year)).fetchone()
        c.execute("UPDATE campaign_counters SET last = ? WHERE series = ? AND year = ?", (last + 1, series, year))
        return last + 1

    @staticmethod
    def log(c: sqlite3.Connection, subject: str, action: str, who: str = "", on: date | None = None,
            detail: str = "") -> None:
        c.execute("INSERT INTO campaign_events (at, subject, action, who, day, detail) VALUES (?, ?, ?, ?, ?, ?)",
                  (now(), subject, action, who, on.isoformat() if on else "", detail))

    def events(self, subject: str) -> list[dict]:
        rows = self.query("SELECT at, action, who, day, detail FROM campaign_events WHERE subject = ? ORDER BY id",
                          (subject,))
        return [{"时间": a, "动作": act, "人员": w, "日期": d, "说明": det} for a, act, w, d, det in rows]

    # -- campaigns ----------------------------------------------------------------------

    def create(self, name: str, start, end, categories: list[str], phases: list[tuple] = (),
               plan: str = "") -> Campaign:
        """A new 专项行动. ``plan`` (档号 or 文号 of its 方案) must be a record in the archive."""
        name = text(name, "专项行动名称")
        start, end = day(start, "起始日期"), day(end, "结束日期")
        if end < start:
            raise WenshuError(f"结束日期 {end} 早于起始日期 {start}，未做任何更改。")
        cats = [text(c, "督查内容") for c in categories]
        if not cats:
            raise WenshuError("至少要有一项督查内容（问题类别），未做任何更改。")
        if len(set(cats)) < len(cats):
            raise WenshuError("督查内容有重复项，未做任何更改。")
        parsed = []
        for i, ph in enumerate(phases, 1):
            pname, pstart, pend = ph
            p = Phase(text(pname, f"第 {i} 个阶段的名称"), day(pstart, f"阶段“{pname}”的起始日期"),
                      day(pend, f"阶段“{pname}”的结束日期"))
            if p.end < p.start or p.start < start or p.end > end:
                raise WenshuError(f"阶段“{p.name}”的日期 {p.start}—{p.end} 不在专项行动期间 {start}—{end} 内"
                                  "或起止颠倒，未做任何更改。")
            parsed.append(p)
        code = ""
        if plan and plan.strip():
            from archive.filing import find_record

            code = str(find_record(self.archive, plan.strip())[1].archival_code)
        with self.tx() as c:
            if c.execute("SELECT 1 FROM campaigns WHERE name = ?", (name,)).fetchone():
                raise WenshuError(f"已有名为“{name}”的专项行动，未做任何更改。")
            cur = c.execute("INSERT INTO campaigns (name, plan, start, end, categories, created) VALUES (?, ?, ?, ?, ?, ?)",
                            (name, code, start.isoformat(), end.isoformat(), json.dumps(cats, ensure_ascii=False), now()))
            cid = cur.lastrowid
            for i, p in enumerate(parsed):
                c.execute("INSERT INTO campaign_phases (campaign, ord, name, start, end) VALUES (?, ?, ?, ?, ?)",
                          (cid, i, p.name, p.start.isoformat(), p.end.isoformat()))
            self.log(c, name, "新建专项行动", detail=code)
        return self.get(name)

    def campaigns(self) -> list[Campaign]:
        return [self._load(row) for row in self.query(
            "SELECT id, name, plan, start, end, categories FROM campaigns ORDER BY id")]

    def _load(self, row) -> Campaign:
        cid, name, plan, start, end, cats = row
        phases = [Phase(n, date.fromisoformat(s), date.fromisoformat(e)) for n, s, e in self.query(
            "SELECT name, start, end FROM campaign_phases WHERE campaign = ? ORDER BY ord", (cid,))]
        return Campaign(cid, name, plan, date.fromisoformat(start), date.fromisoformat(end), json.loads(cats), phases)

    def get(self, name: str | None = None) -> Campaign:
        """The campaign by name; without a name, the only one there is."""
        all_ = self.campaigns()
        if not all_:
            raise WenshuError("档案库中还没有专项行动，请先用 wenshu campaign new 新建。")
        if not name:
            if len(all_) > 1:
                raise WenshuError("档案库中有多个专项行动，请用 --campaign 指定：" + "、".join(c.name for c in all_) + "。")
            return all_[0]
        for c in all_:
            if c.name == name.strip():
                return c
        raise WenshuError(f"没有名为“{name}”的专项行动。已有：" + "、".join(c.name for c in all_) + "。")

    # -- units in scope -------------------------------------------------------------------

    def add_units(self, campaign: Campaign, units: list[tuple[str, str]], where: str = "") -> int:
        """Add schools and institutions to the scope, all or none; returns how many were new.

        ``units`` are (name, kind) pairs; ``where`` names their file for the messages, and a bad
        row is named by its position (row 2 is the first after a header)."""
        seen: dict[str, int] = {}
        clean = []
        for i, (name, kind) in enumerate(units, 1):
            at = f"{where}第 {i + 1} 行" if where else f"第 {i} 个单位"
            n = clean_text(str(name or "")).strip()
            k = clean_text(str(kind or "")).strip()
            if not n and not k:
                continue
            if not n:
                raise WenshuError(f"{at}：单位名称为空，未做任何更改。")
            if k not in UNIT_KINDS:
                raise WenshuError(f"{at}：“{n}”的类型“{k}”不正确，应为 学校 或 校外培训机构，未做任何更改。")
            if n in seen:
                raise WenshuError(f"{at}：“{n}”与第 {seen[n]} 行重复，未做任何更改。")
            seen[n] = i + 1 if where else i
            clean.append((n, k))
        added = 0
        with self.tx() as c:
            for n, k in clean:
                row = c.execute("SELECT kind FROM campaign_units WHERE campaign = ? AND name = ?",
                                (campaign.id, n)).fetchone()
                if row and row[0] != k:
                    raise WenshuError(f"“{n}”已登记为{row[0]}，不能再登记为{k}，未做任何更改。")
                if not row:
                    c.execute("INSERT INTO campaign_units (campaign, name, kind) VALUES (?, ?, ?)",
                              (campaign.id, n, k))
                    added += 1
            if added:
                self.log(c, campaign.name, "登记单位", detail=f"{added} 个")
        return added

    def units(self, campaign: Campaign) -> list[Unit]:
        return [Unit(n, k) for n, k in self.query(
            "SELECT name, kind FROM campaign_units WHERE campaign = ? ORDER BY kind, name", (campaign.id,))]


def read_units(path) -> list[tuple[str, str]]:
    """(名称, 类型) rows of a units spreadsheet (.xlsx or .csv) with a header row naming the columns
    单位名称/名称/单位 and 类型/单位类型/类别."""
    from pathlib import Path

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        import csv

        raw = path.read_bytes()
        for enc in ("utf-8-sig", "gb18030"):
            try:
                rows = list(csv.reader(raw.decode(enc).splitlines()))
                break
            except UnicodeDecodeError:
                continue
        else:
            raise WenshuError(f"{path} 不是 UTF-8 或 GB18030 编码的 CSV 文件。")
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as e:  # openpyxl raises many kinds for a file that is not a workbook
            raise WenshuError(f"{path} 不是有效的 .xlsx 文件（{e}）。") from None
        rows = [["" if v is None else str(v) for v in r] for r in wb.worksheets[0].iter_rows(values_only=True)]
        wb.close()
    else:
        raise WenshuError(f"{path}：单位名单应为 .xlsx 或 .csv 文件。")
    if not rows:
        raise WenshuError(f"{path} 是空的。")
    header = [h.strip() for h in rows[0]]

    def col(names):
        for n in names:
            if n in header:
                return header.index(n)
        raise WenshuError(f"{path} 的表头中没有“{names[0]}”列（可用列名：{'、'.join(names)}）；"
                          f"现有表头：{'、'.join(h for h in header if h) or '（空）'}。")

    ni, ki = col(("单位名称", "名称", "单位")), col(("类型", "单位类型", "类别"))
    # blank rows stay (skipped by add_units) so that messages name the row the clerk sees
    return [(r[ni] if ni < len(r) else "", r[ki] if ki < len(r) else "") for r in rows[1:]]
