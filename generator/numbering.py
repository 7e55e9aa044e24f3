"""The one numbering plan of ``wenshu new`` and ``wenshu batch``: which series a document takes its
number from (a 文号 under the 机关代字, or a template's 编号), what a preview shows, and how a taken
number is given up when the work fails — so one document and a batch of 3,000 are numbered alike."""

from __future__ import annotations

from datetime import date

from archive.docnumber import DocNumber
from generator.template import Template


def serial_series(template: Template) -> str:
    """The item series a form's 编号 is drawn from (e.g. 承诺书编号), on the same ledger as 文号."""
    return template.manifest.serial_series or f"{template.manifest.name}编号"


def format_serial(year: int, seq: int) -> str:
    return f"{year}-{seq:04d}"


def _title(template: Template, values: dict) -> str:
    return values.get("title") or template.manifest.label


def _serial_title(template: Template, values: dict) -> str:
    return f"{_title(template, values)}（{values.get('name') or ''}）"


def preview(archive, template: Template, rows: list[dict], prefix: str | None) -> list[tuple[str, str]]:
    """(文号, 编号) each row would get, read with ``peek_items`` and taken from nobody."""
    from generator.service import choose_prefix

    m, reg = template.manifest, archive.registry
    if m.numbering not in ("文号", "编号"):
        return [("", "")] * len(rows)
    wanted: dict[tuple, int] = {}
    keys = []
    for values in rows:
        p = choose_prefix(archive, template, prefix) if m.numbering == "文号" else None
        key = (p.series if p else serial_series(template), values["date"].year, p.code if p else "")
        wanted[key] = wanted.get(key, 0) + 1
        keys.append(key)
    free = {key: iter(reg.peek_items(key[0], key[1], count)) for key, count in wanted.items()}
    out = []
    for series, year, code in keys:
        seq = next(free[(series, year, code)])
        out.append((str(DocNumber(code, year, seq)), "") if code else ("", format_serial(year, seq)))
    return out


def take(archive, template: Template, values: dict, prefix: str | None) -> tuple[str, str]:
    """(文号, 编号) issued for this document now: committed before the work so two clerks never
    render the same number; ``give_up`` voids it if the work then fails."""
    from generator.service import choose_prefix

    m, reg = template.manifest, archive.registry
    year = (values.get("date") or date.today()).year
    if m.numbering == "文号":
        return str(reg.issue(choose_prefix(archive, template, prefix), year, _title(template, values))), ""
    if m.numbering == "编号":
        return "", format_serial(year, reg.allocate_item(serial_series(template), year,
                                                        title=_serial_title(template, values)))
    return "", ""


def failure(error: BaseException) -> str:
    """Why a taken number was voided, as the ledger says it."""
    return (f"生成或归档失败，自动作废：{error}" if str(error) else
            f"生成或归档中断（{type(error).__name__}），自动作废")


def give_up(archive, template: Template, taken: tuple[str, str], reason: str) -> None:
    """Void a number ``take`` gave, with the reason, so the ledger shows why it is missing."""
    number, serial = taken
    if number:
        archive.registry.void(DocNumber.parse(number), reason)
    elif serial:
        year, seq = serial.split("-")
        archive.registry.void_item(serial_series(template), int(year), int(seq), reason)
