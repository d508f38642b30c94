"""The embedded cluster and the migrated schema, against the real PostGIS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from geo_data.cluster import LocalCluster
from geo_data.migrator import migrate

TABLES = {"counties", "townships", "h3_cells", "departments", "inspection_items", "industries", "enterprises",
          "teams", "inspectors", "team_positions", "inspection_tasks", "visits", "alert_types", "alerts",
          "incidents", "dispatches", "dispatch_events", "roles", "users", "api_tokens", "audit_log"}


def test_migrations_create_tables_and_are_recorded_once(conn: psycopg.Connection, db_url: str) -> None:
    names = {r["table_name"] for r in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
    assert TABLES <= names
    before = conn.execute("SELECT count(*) AS n FROM schema_migrations").fetchone()["n"]
    assert migrate(db_url) == []  # second run applies nothing
    assert conn.execute("SELECT count(*) AS n FROM schema_migrations").fetchone()["n"] == before


def test_geometries_have_gist_and_h3_columns_btree(conn: psycopg.Connection) -> None:
    geo = conn.execute(
        "SELECT f_table_name AS t, f_geometry_column AS c, srid FROM geometry_columns").fetchall()
    assert geo and all(g["srid"] == 4326 for g in geo)
    idx = conn.execute("SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public'").fetchall()
    # Alerts and incidents are found by county and time, incident, enterprise and res-9 cell, never by their
    # point; their coarser cells are reached through the res-9 cells (migration 253: fewer indexes to write per
    # alert).
    by_res9_only = {("alerts", "geom"), ("incidents", "geom"), ("alerts", "h3_r7"), ("alerts", "h3_r8"),
                    ("incidents", "h3_r7"), ("incidents", "h3_r8")}
    for g in geo:
        if g["c"] in {"label_point", "scan_geom"} or (g["t"], g["c"]) in by_res9_only:  # never searched spatially
            continue
        assert any(i["tablename"] == g["t"] and "gist" in i["indexdef"] and f"({g['c']})" in i["indexdef"].replace(chr(34), "")
                   for i in idx), f"no GiST index on {g['t']}.{g['c']}"
    h3_cols = conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
        " AND column_name ~ '^h3_r[789]$'").fetchall()
    assert len(h3_cols) >= 15
    for c in h3_cols:
        if (c["table_name"], c["column_name"]) in by_res9_only:
            continue
        assert any(i["tablename"] == c["table_name"] and "btree" in i["indexdef"]
                   and f"({c['column_name']})" in i["indexdef"] for i in idx), c


def test_constraints_refuse_bad_rows(conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute("INSERT INTO counties (code, name, geom) VALUES ('12', 'x',"
                     " ST_Multi(ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))', 4326)))")
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute("INSERT INTO townships (code, county_code, name, geom) VALUES ('999999001', '999999', 'x',"
                     " ST_Multi(ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))', 4326)))")
    uniques = {r["indexdef"] for r in conn.execute(
        "SELECT indexdef FROM pg_indexes WHERE indexdef LIKE 'CREATE UNIQUE%'")}
    assert any("enterprises" in u and "county_code, uscc" in u for u in uniques)
    assert any("alerts" in u and "source, source_id" in u for u in uniques)


def test_audit_log_is_append_only(conn: psycopg.Connection) -> None:
    from geo_data import audit

    audit.record(conn, actor="t", action="test.append")
    with pytest.raises(psycopg.errors.RaiseException):
        conn.execute("UPDATE audit_log SET actor = 'x'")
    with pytest.raises(psycopg.errors.RaiseException):
        conn.execute("DELETE FROM audit_log")


def test_cluster_starts_is_reused_and_stops(tmp_path: Path) -> None:
    """A second private cluster in a temp dir: start, reuse, stop, and the server never runs as root."""
    cluster = LocalCluster(tmp_path / "data")
    assert cluster.status() == "absent"
    try:
        assert cluster.start() is True
        assert cluster.status() == "running"
        assert cluster.start() is False  # reused
        with psycopg.connect(cluster.url()) as c:
            assert c.execute("SELECT 1").fetchone() == (1,)
            pid = c.execute("SELECT pg_backend_pid()").fetchone()[0]
            owner_uid = os.stat(f"/proc/{pid}").st_uid
        if os.geteuid() == 0:
            assert owner_uid != 0, "the server must not run as root"
        assert (cluster.socket_dir / ".s.PGSQL.5432").exists()
    finally:
        assert cluster.stop() is True
    assert cluster.status() == "stopped"
    assert cluster.stop() is False


def test_cli_db_commands_use_database_url(db_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": db_url}
    gc = [sys.executable, "-m", "cli"]
    out = subprocess.run([*gc, "db", "url"], capture_output=True, text=True, env=env, check=True).stdout.strip()
    assert out == db_url
    out = subprocess.run([*gc, "db", "migrate"], capture_output=True, text=True, env=env, check=True).stdout
    assert "schema is current" in out
