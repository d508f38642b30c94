"""Backups and point-in-time restore of the local cluster with pgBackRest: the restore drill (issue 12).

Real commands on a throwaway cluster: write, back up, write more, restore to a time in between -> exactly the
rows that existed then.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import psycopg

from geo_data.cluster import MANAGED_CONF, LocalCluster
from geo_data.db import database_url
from tests.db.cluster_drill import gridcommand, local_clusters


def _write(url: str, ids: range) -> None:
    """Each row in its own transaction (committed, i.e. acknowledged, one after the other)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS drill (id int PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())")
        for i in ids:
            conn.execute("INSERT INTO drill (id) VALUES (%s)", (i,))


def _ids(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM drill ORDER BY id")]


def _server_now(url: str) -> str:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT clock_timestamp()::text").fetchone()
    assert row is not None
    return str(row[0])


def test_restore_to_a_time_between_writes_gives_exactly_the_rows_of_then() -> None:
    with local_clusters() as settings:
        data = settings.data_dir
        gridcommand(data, "db", "start")
        url = database_url(settings, start=False)
        _write(url, range(1, 11))
        out = gridcommand(data, "db", "backup").stdout
        assert "(full) done" in out
        time.sleep(1.0)  # pgBackRest times backups to the second: a target needs a second of distance
        _write(url, range(11, 21))
        between = _server_now(url)
        time.sleep(0.02)
        _write(url, range(21, 31))
        assert _ids(url) == list(range(1, 31))
        for to, reason in (("2020-01-01 08:00", "before the end of the oldest backup"),
                           ("2999-01-01 08:00", "in the future"), ("yesterday", "is not a time")):
            refused = gridcommand(data, "db", "restore", "--to", to, "--yes", check=False)
            assert refused.returncode == 2, refused.stderr
            assert "--to:" in refused.stderr and reason in refused.stderr, refused.stderr
        assert _ids(url) == list(range(1, 31))  # a refused restore touches nothing

        gridcommand(data, "db", "restore", "--to", between, "--yes")

        assert _ids(url) == list(range(1, 21))
        with psycopg.connect(url, autocommit=True) as conn:
            assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (False,)
            conn.execute("INSERT INTO drill (id) VALUES (31)")  # a primary again: it takes writes
            assert conn.execute("SHOW archive_mode").fetchone() == ("on",)
        listed = gridcommand(data, "db", "backups").stdout
        assert listed.count(" full ") == 1, listed


def test_incremental_backup_and_restore_to_the_end_keep_every_row() -> None:
    with local_clusters() as settings:
        data = settings.data_dir
        gridcommand(data, "db", "start")
        url = database_url(settings, start=False)
        _write(url, range(1, 6))
        no_backup = gridcommand(data, "db", "restore", "--yes", check=False)
        assert no_backup.returncode == 2 and "no backup" in no_backup.stderr
        gridcommand(data, "db", "backup", "--type", "full")
        _write(url, range(6, 11))
        assert "(incr) done" in gridcommand(data, "db", "backup", "--type", "incr").stdout
        _write(url, range(11, 16))  # only in the archived WAL

        listed = gridcommand(data, "db", "backups").stdout
        assert " full " in listed and " incr " in listed, listed

        gridcommand(data, "db", "restore", "--yes")
        assert _ids(url) == list(range(1, 16))


def test_backup_commands_are_for_the_local_cluster_only(tmp_path: Path) -> None:
    for args in (("db", "backup"), ("db", "backups"), ("db", "restore", "--yes"), ("db", "standby"),
                 ("db", "promote")):
        proc = gridcommand(tmp_path / "data", *args, check=False, DATABASE_URL="postgresql://u@db.example/gc")
        assert proc.returncode == 2
        assert "DATABASE_URL is set" in proc.stderr and "local cluster only" in proc.stderr
    assert not (tmp_path / "data" / "pg").exists()


def test_db_start_turns_archiving_on_for_a_cluster_made_before_it_with_one_restart() -> None:
    with local_clusters() as settings:
        data = settings.data_dir
        old = LocalCluster(data)
        old.start()  # as the code before issue 12 started it (and as the test suite's fixtures still do)
        conf = old.pgdata / "postgresql.conf"
        conf.write_text(conf.read_text(encoding="utf-8").replace(f"include_if_exists = '{MANAGED_CONF}'", ""),
                        encoding="utf-8")
        (old.pgdata / "pg_hba.conf").write_text("local all all trust\n", encoding="utf-8")
        old.restart()
        url = old.url()
        _write(url, range(1, 4))

        def archive_mode_and_start() -> tuple[str, object]:
            with psycopg.connect(url) as conn:
                row = conn.execute("SELECT current_setting('archive_mode'), pg_postmaster_start_time()").fetchone()
            assert row is not None
            return row[0], row[1]

        mode, started = archive_mode_and_start()
        assert mode == "off"
        assert gridcommand(data, "db", "start").stdout.strip() == "already running"
        mode, restarted = archive_mode_and_start()
        assert mode == "on" and restarted != started  # restarted once to read archive_mode
        gridcommand(data, "db", "start")
        assert archive_mode_and_start()[1] == restarted  # and only once
        assert "(full) done" in gridcommand(data, "db", "backup").stdout
        assert _ids(url) == [1, 2, 3]


def test_db_start_refuses_the_repository_of_another_cluster() -> None:
    with local_clusters() as settings:
        data = settings.data_dir
        gridcommand(data, "db", "start")
        gridcommand(data, "db", "stop")
        shutil.rmtree(data / "pg")  # a new cluster beside the old one's backups
        refused = gridcommand(data, "db", "start", check=False)
        assert refused.returncode == 2
        assert "belongs to another cluster" in refused.stderr and "GRIDCOMMAND_BACKUP_REPO_DIR" in refused.stderr
        gridcommand(data, "db", "start", GRIDCOMMAND_BACKUP_REPO_DIR=str(data / "backup-new"))
        assert "(full) done" in gridcommand(data, "db", "backup", GRIDCOMMAND_BACKUP_REPO_DIR=str(data / "backup-new")).stdout
