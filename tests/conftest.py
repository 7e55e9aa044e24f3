"""Shared fixtures: every test builds its own archive in a temp dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.config import ArchiveConfig
from archive.store import Archive

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def corpus_path(*parts: str) -> Path:
    """A path in ../shared/corpus; skips the test with the reason when the corpus is absent."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"真实语料不在 {path}（仓库外的 ../shared/corpus/），跳过此测试")
    return path


def write_docx(path: Path, paragraphs) -> Path:
    """A Word file holding these paragraphs, as a clerk's office would save it."""
    from docx import Document

    d = Document()
    for p in paragraphs:
        d.add_paragraph(p)
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))
    return path


def make_config(**over) -> ArchiveConfig:
    data = {
        "fonds": {"code": "A001", "name": "高平市教育局"},
        "organ": {"name": "高平市教育局", "mark": "高平市教育局文件"},
        "prefixes": [{"code": "高教字", "purpose": "局发文件"},
                     {"code": "高教发", "purpose": "局发文件（与高教字共用流水号）", "counter": "高教字"},
                     {"code": "高教督函", "purpose": "督办函"}],
        "departments": {"BGS": "办公室", "JJK": "基础教育科"},
        "defaults": {"retention": "D30"},
    }
    data.update(over)
    return ArchiveConfig.from_dict(data)


@pytest.fixture
def archive(tmp_path) -> Archive:
    a = Archive.init(tmp_path / "档案库", make_config())
    yield a
    a.close()


@pytest.fixture
def watcher(archive):
    """A live watcher over ``archive`` (real observer), ready before the test starts."""
    from watch.watcher import Watcher

    w = Watcher(archive, stability=0.2, interval=3600)
    w.start()
    assert w.wait_ready(60)
    yield w
    w.stop()
