"""`wenshu index migrate`: an archive's full-text index moved from whoosh into PostgreSQL, checked,
and the archive then searched, rebuilt and written through the server's index by the same
commands. Skips, saying why, where no PostgreSQL server can be started."""

from __future__ import annotations

import json

from click.testing import CliRunner

from tests.pg_helpers import pg_cluster, use_server  # noqa: F401 — pg_cluster is a fixture
from tests.test_index import add_record
from wenshu.cli import main


def run(*args):
    return CliRunner().invoke(main, [*args], catch_exceptions=False)


def test_migrate_moves_the_index_checks_it_and_switches_the_archive(archive, pg_cluster):  # noqa: F811
    for i in range(1, 6):
        add_record(archive, i, f"关于第{i}所学校课后服务的通知", f"第{i}所学校课后服务基本满足学生需要。")
    root = str(archive.root)
    assert run("index", "rebuild", "--archive", root).exit_code == 0  # the whoosh index the office has
    use_server(archive, pg_cluster.new_database("mig"))
    before = run("search", "课后服务", "--json", "--archive", root)
    whoosh_hits = json.loads(before.output)["total"]

    out = run("index", "migrate", "--archive", root)
    assert out.exit_code == 0, out.output
    assert "5 个文件" in out.output and "原 whoosh 索引 5 个" in out.output
    archive.__dict__.pop("config", None)
    assert archive.config.search_engine == "postgres"
    assert not (archive.index_dir / "state.json").exists()  # the stale whoosh index is gone

    after = json.loads(run("search", "课后服务", "--json", "--archive", root).output)
    assert after["total"] == whoosh_hits == 5
    st = json.loads(run("index", "status", "--json", "--archive", root).output)
    assert st["documents"] == 5 and st["size_bytes"] > 0 and "wenshu_docs" in st["path"]

    add_record(archive, 6, "关于第6所学校课后服务的通知", "新增的一件。")  # written while nobody watched
    assert json.loads(run("search", "新增的一件", "--json", "--archive", root).output)["total"] == 0
    from indexer.index import ArchiveIndex

    assert ArchiveIndex(archive).reconcile()["new"] >= 1
    assert json.loads(run("search", "新增的一件", "--json", "--archive", root).output)["total"] == 1

    again = run("index", "migrate", "--archive", root)  # idempotent: rebuilt and checked again
    assert again.exit_code == 0 and "6 个文件" in again.output
    assert archive.config_path.read_text(encoding="utf-8").count("[search]") == 1


def test_migrate_without_a_server_says_what_to_set_and_changes_nothing(archive):
    add_record(archive, 1, "关于课后服务的通知", "正文")
    before = archive.config_path.read_bytes()
    out = CliRunner().invoke(main, ["index", "migrate", "--archive", str(archive.root)])
    assert out.exit_code != 0 and "[server]" in out.output and "database" in out.output
    assert archive.config_path.read_bytes() == before


def test_postgres_engine_needs_a_server_in_wenshu_toml(archive):
    text = archive.config_path.read_text(encoding="utf-8")
    archive.config_path.write_text(text + '\n[search]\nengine = "postgres"\n', encoding="utf-8")
    out = CliRunner().invoke(main, ["search", "课后服务", "--archive", str(archive.root)])
    assert out.exit_code != 0 and "search.engine" in out.output and "[server]" in out.output
