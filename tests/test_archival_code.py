import pytest

from archive.archival_code import ArchivalCode, Retention
from archive.errors import WenshuError


def test_form_per_da_t_22():
    code = ArchivalCode("A001", 2022, Retention.YEARS_30, "BGS", 1)
    assert str(code) == "A001-WS\u00b72022-D30-BGS-0001"
    assert str(ArchivalCode("A001", 2022, Retention.PERMANENT, "", 12)) == "A001-WS·2022-Y-0012"


def test_parse_round_trip():
    for text in ("A001-WS·2022-D30-BGS-0001", "A001-WS·2022-Y-0012", "Z9-WS·1999-D10-JJK-9999"):
        assert str(ArchivalCode.parse(text)) == text


@pytest.mark.parametrize("bad", ["A001-WS2022-D30-0001", "A001-WS·22-D30-0001", "A001-WS·2022-D20-0001",
                                 "A001-WS·2022-D30-1", "档号"])
def test_parse_rejects(bad):
    with pytest.raises(WenshuError, match="档号"):
        ArchivalCode.parse(bad)


def test_retention_accepts_chinese_names():
    assert Retention.parse("永久") is Retention.PERMANENT
    assert Retention.parse("定期30年") is Retention.YEARS_30
    with pytest.raises(WenshuError, match="保管期限"):
        Retention.parse("50年")


def test_item_series_per_retention_and_org():
    code = ArchivalCode.parse("A001-WS·2022-D30-BGS-0001")
    assert code.item_series == "件号/D30/BGS"
    assert ArchivalCode.parse("A001-WS·2022-Y-0001").item_series == "件号/Y"
    assert Retention.parse(Retention.YEARS_10) is Retention.YEARS_10
