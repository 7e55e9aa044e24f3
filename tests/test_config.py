import pytest

from archive.config import ArchiveConfig
from archive.errors import WenshuError
from archive.store import Archive
from tests.conftest import make_config


def test_written_file_reads_back(tmp_path):
    a = Archive.init(tmp_path / "a", make_config())
    assert a.config == make_config()
    assert a.config.prefix("高教发").series == "高教字"  # 大流水: shares the counter


@pytest.mark.parametrize("change,key", [
    ({"fonds": {"name": "x"}}, "fonds.code"),
    ({"fonds": {"code": "A-1", "name": "x"}}, "fonds.code"),
    ({"prefixes": [{"code": "高教〔字"}]}, "code（机关代字）"),
    ({"prefixes": [{"code": "高教字"}, {"code": "高教字"}]}, "重复"),
    ({"defaults": {"retention": "D20"}}, "defaults.retention"),
    ({"defaults": {"classification": "内部"}}, "defaults.classification"),
    ({"departments": {"办公室": "BGS"}}, "departments"),
])
def test_validation_names_the_key(change, key):
    with pytest.raises(WenshuError) as e:
        make_config(**change)
    assert key in str(e.value)


def test_broken_toml_is_reported_with_the_file(tmp_path):
    a = Archive.init(tmp_path / "a", make_config())
    a.config_path.write_text('[fonds\ncode = "A001"', encoding="utf-8")
    with pytest.raises(WenshuError, match="wenshu.toml 无法解析"):
        ArchiveConfig.load(a.config_path)
