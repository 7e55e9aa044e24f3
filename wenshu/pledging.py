"""The shell's half of 承诺书全覆盖: ``campaign`` keeps the roster and coverage and never imports the
generator (DESIGN: shells → campaign, generator → archive), so reading a roster the way batch
rosters are read (generator.roster) and issuing the pledges through the batch machinery
(generator.batch) are joined here, under both the CLI and the tests.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from archive.errors import WenshuError


def import_roster_file(store, campaign, path: Path) -> dict:
    """A roster .xlsx/.csv (title rows, 姓 名 headers, 任教学科 …) into the campaign, all or none."""
    from campaign.pledges import import_roster
    from generator.roster import read_roster
    from generator.template import load_template

    roster = read_roster(Path(path), load_template("pledge").manifest)
    missing = [label for key, label in (("name", "姓名"), ("school", "学校")) if key not in roster.columns.values()]
    if missing:
        raise WenshuError(f"名册 {roster.source} 缺少“{'”“'.join(missing)}”列（找到的列：{'、'.join(roster.columns) or '（无）'}），"
                          "未做任何更改。")
    return import_roster(store, campaign, roster.rows, roster.source)


def issue_pledges(store, campaign, *, when: str | None = None, pdf: bool = True, clauses: list[str] | None = None,
                  school: str | None = None, workers: int | None = None, combine_dir: Path | None = None,
                  on_filed=None, progress=None):
    """A pledge (code and serial printed, the teacher its 责任者) for every teacher who has none yet;
    the batch report (its ``combined`` are the per-school PDFs for printing)."""
    from archive.record import Record
    from campaign.pledges import batch_values, pending, record_issued
    from generator.batch import run_batch

    todo = pending(store, campaign, school)
    with tempfile.TemporaryDirectory(prefix="wenshu-pledge-") as tmp:
        rows = Path(tmp) / "名册.csv"
        with open(rows, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["姓名", "学校", "学科", "工号"])
            w.writerows([t["姓名"], t["学校"], t["学科"], t["工号"]] for t in todo)
        report = run_batch(store.archive, "pledge", rows, batch_values(campaign, clauses), pdf=pdf, when=when,
                           workers=workers, strict=True, combine_dir=combine_dir if pdf else None,
                           combine_by="school" if pdf else None, on_filed=on_filed, progress=progress)
    record_issued(store, campaign, [Record.load(p.files[0].parent) for p in report.produced])
    return report
