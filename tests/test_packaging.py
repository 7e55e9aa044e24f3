"""A non-editable ``pip install .`` must carry the templates, the dictionary and the font map."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_carries_package_data(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{r.stderr[-2000:]}")
    (wheel,) = tmp_path.glob("wenshu-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    needed = {f"templates/{t}.{ext}" for t in ("notice", "supervision_letter", "rectification_notice", "pledge")
              for ext in ("docx", "yaml")}
    needed |= {"indexer/dict.txt", "generator/fonts.conf", "wenshu/cli.py",
               "archive/transfer/schemas/catalog.xsd", "archive/transfer/schemas/metadata.xsd",
               "wenshu/web/templates/web/base.html", "wenshu/web/templates/web/search.html",
               "wenshu/web/static/web/style.css", "wenshu/web/migrations/0001_initial.py"}
    assert needed <= names, f"missing from the wheel: {sorted(needed - names)}"
    assert not any(n.startswith("tests/") for n in names)
