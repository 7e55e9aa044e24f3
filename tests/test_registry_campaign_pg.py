"""The campaign's data on the office server: the campaign tests that read through the store (not the
SQLite file) run again with the registry in PostgreSQL, including two clerks registering at once."""

import pytest

from archive.store import Archive
from tests.conftest import make_config
from tests.pg_helpers import pg_cluster, use_server  # noqa: F401 — pg_cluster is a fixture
from tests.test_campaign import (  # noqa: F401 — collected here again, on PostgreSQL
    test_cli_campaign_clue_rectify,
    test_ledger_xlsx_reads_back_as_text,
    test_overdue_items_with_days_overdue_and_reminders,
    test_second_founded_clue_joins_the_units_open_case,
    test_six_clues_three_founded_open_three_cases_with_items,
    test_two_clerks_registering_at_once_never_share_a_number,
)


@pytest.fixture
def archive(tmp_path, pg_cluster):
    a = Archive.init(tmp_path / "档案库", make_config())
    use_server(a, pg_cluster.new_database())
    yield a
    a.close()


def test_campaign_tables_are_in_the_server_not_the_folder(archive):
    from campaign.store import CampaignStore
    from tests.test_campaign import new_campaign

    new_campaign(archive)
    tables = archive.registry._pg.tables()
    assert {"campaigns", "clues", "rectify_items"} <= tables
    import sqlite3

    conn = sqlite3.connect(archive.state_dir / "registry.sqlite")
    local = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert "campaigns" not in local
    assert CampaignStore(archive).get().name == "“双减”政策落实督查专项行动"
