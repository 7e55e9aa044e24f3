"""Every field's problem at once, keyed by field — for a form that marks each field beside it.

``Manifest.validate`` stops at the first problem (right for a data file read top to bottom); a
form shows them all. Each field goes through the same ``convert`` the CLI uses, so the messages
are the CLI's, naming the field's Chinese label.
"""

from __future__ import annotations

from archive.errors import WenshuError
from generator.form_fields import Manifest, _is_empty, convert


def field_errors(manifest: Manifest, raw: dict) -> dict[str, str]:
    """{field name: message} for every field of ``raw`` (keyed by name) that is missing or invalid."""
    errors = {}
    for f in manifest.fields:
        value = raw.get(f.name)
        if _is_empty(value):
            value = f.default
        if _is_empty(value):
            if f.required:
                errors[f.name] = f"缺少必填字段“{f.label}”。{f.help}".strip()
            continue
        try:
            convert(f, value)
        except WenshuError as e:
            errors[f.name] = str(e)
    return errors
