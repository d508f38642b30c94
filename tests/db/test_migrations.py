"""Migrations: the squashed chain upgrades onto the baseline without losing data and gives the schema a fresh
database has; applied migrations are verified; every function and trigger has one source that migrate applies.

The chain that was squashed into ``000_baseline`` is kept as it landed in ``tests/db/squashed_migrations/``
(``050_job_queue`` is still a live migration and is read from ``geo_data/migrations/``).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from geo_data import migrator
from geo_data.db import connect
from geo_data.errors import SchemaError
from geo_data.migrator import migrate
from tests.db.dispatch_scenario import COUNTY, add_enterprise, add_team, build

SQUASHED_DIR = Path(__file__).with_name("squashed_migrations")
ROOT = Path(__file__).resolve().parents[2]
PG_DUMP = shutil.which("pg_dump") or "/usr/lib/postgresql/15/bin/pg_dump"


@pytest.fixture
def new_db(admin_url: str) -> Iterator[Any]:
    """A factory of empty databases (dropped at the end of the test)."""
    names: list[str] = []

    def make() -> str:
        name = f"gcmig_{os.getpid()}_{secrets.token_hex(3)}"
        with psycopg.connect(admin_url, autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        names.append(name)
        info = conninfo_to_dict(admin_url)
        info["dbname"] = name
        return make_conninfo(**info)

    yield make
    with psycopg.connect(admin_url, autocommit=True) as c:
        for name in names:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run_squashed_chain(url: str) -> None:
    """What ``gridcommand db migrate`` did before the squash: each file once, in order, its checksum recorded."""
    files = sorted([*SQUASHED_DIR.glob("*.sql"), migrator.MIGRATIONS_DIR / "050_job_queue.sql"], key=lambda p: p.name)
    assert len(files) == len(migrator.SQUASHED) + 1
    with connect(url, autocommit=True) as c:
        c.execute("CREATE TABLE schema_migrations (version text PRIMARY KEY, checksum text NOT NULL,"
                  " applied_at timestamptz NOT NULL DEFAULT now())")
        for path in files:
            sql = migrator.SqlFile(path.stem, path.read_text(encoding="utf-8"))
            with c.transaction():
                c.execute(sql.text.encode())
                c.execute("INSERT INTO schema_migrations VALUES (%s, %s)", (sql.name, sql.checksum))


def _schema_dump(url: str) -> str:
    """``pg_dump --schema-only``, without what differs between any two dumps (comments, settings, the restrict key)."""
    out = subprocess.run([PG_DUMP, "--schema-only", "--no-owner", "--no-privileges", url],
                         capture_output=True, text=True, check=True).stdout
    keep = [line for line in out.splitlines()
            if line.strip() and not line.startswith(("--", "SET ", "SELECT pg_catalog.set_config", "\\restrict",
                                                     "\\unrestrict"))]
    return "\n".join(keep)


def _county_data(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the county's work is in (the job queue's aside), in a stable order."""
    with psycopg.connect(url) as c:
        tables = [r[0] for r in c.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'procrastinate%'"
            " AND tablename NOT IN ('schema_migrations', 'schema_objects', 'spatial_ref_sys') ORDER BY 1")]
        return {t: sorted(tuple(str(v) for v in r) for r in c.execute(f'SELECT * FROM "{t}"'))  # noqa: S608
                for t in tables}


def _county_scenario(url: str) -> None:
    """A county at work: townships, a team, enterprises, a done visit, alerts on an incident, a user, the audit."""
    from geo_data import audit

    with connect(url) as c:
        build(c)
        ent, _ = add_enterprise(c, name="升级测试餐馆", lng=120.02, lat=30.02)
        add_enterprise(c, name="升级测试超市", lng=120.07, lat=30.07)
        team = add_team(c, name="升级测试中队", township="339901001", lng=120.01, lat=30.01, qualifications=["gt_city"])
        c.execute(
            "INSERT INTO visits (county_code, township_code, enterprise_id, team_id, visit_date, lead_department,"
            " departments, geom, h3_r7, h3_r8, h3_r9)"
            " SELECT county_code, township_code, id, %s, DATE '2026-11-20', 'gt_city', '{gt_city}', geom,"
            " h3_r7, h3_r8, h3_r9 FROM enterprises WHERE id = %s", (team, ent))
        inc = c.execute(
            "INSERT INTO incidents (county_code, township_code, type_code, severity, first_seen, last_seen,"
            " enterprise_id, geom, h3_r7, h3_r8, h3_r9, sla_due_at)"
            " SELECT county_code, township_code, 'gt_vending', 'high', TIMESTAMPTZ '2026-11-21 10:00+08',"
            " TIMESTAMPTZ '2026-11-21 10:05+08', id, geom, h3_r7, h3_r8, h3_r9, TIMESTAMPTZ '2026-11-21 12:00+08'"
            " FROM enterprises WHERE id = %s RETURNING id", (ent,)).fetchone()["id"]
        for n in range(2):
            c.execute(
                "INSERT INTO alerts (county_code, township_code, source, source_id, source_kind, type_code,"
                " observed_at, severity, enterprise_id, incident_id, geom, h3_r7, h3_r8, h3_r9)"
                " SELECT county_code, township_code, 'cam', %s, 'ai_camera', 'gt_vending',"
                " TIMESTAMPTZ '2026-11-21 10:00+08' + %s * interval '5 minutes', 'high', id, %s, geom,"
                " h3_r7, h3_r8, h3_r9 FROM enterprises WHERE id = %s", (f"up-{n}", n, inc, ent))
        c.execute("INSERT INTO users (username, password_hash, role, county_code) VALUES ('upgrade_op', 'x',"
                  " 'county_operator', %s)", (COUNTY,))
        audit.record(c, actor="upgrade_op", action="test.upgrade")
        c.commit()


def test_the_squashed_chain_upgrades_onto_the_baseline_with_its_data_and_the_schema_of_a_fresh_database(
        new_db: Any) -> None:
    old, fresh = new_db(), new_db()
    _run_squashed_chain(old)
    _county_scenario(old)
    before = _county_data(old)
    assert before["coverage_touch"] and before["enterprise_counts"] and before["audit_log"]

    applied = migrate(old)
    assert applied[0].startswith("000_baseline (adopted")
    later = [m.name for m in migrator.migrations() if m.name not in ("000_baseline", "050_job_queue")]
    assert applied[1:len(later) + 1] == later
    assert all(a.startswith(("functions/", "triggers/")) for a in applied[len(later) + 1:])
    assert migrate(old) == []
    migrate(fresh)

    assert _schema_dump(old) == _schema_dump(fresh)
    assert _county_data(old) == before
    reference = ("SELECT code, name, name_en FROM roles ORDER BY code",
                 "SELECT county_code, risk, credit, max_visits FROM quota_matrix ORDER BY risk, credit")
    with psycopg.connect(fresh) as c, psycopg.connect(old) as o:  # the reference rows a fresh database starts with
        assert [o.execute(q).fetchall() for q in reference] == [c.execute(q).fetchall() for q in reference]
    # the upgraded database keeps working: a visit of the second enterprise reaches its pre-aggregates
    with connect(old) as c:
        c.execute(
            "INSERT INTO visits (county_code, township_code, enterprise_id, visit_date, lead_department, departments,"
            " geom, h3_r7, h3_r8, h3_r9) SELECT county_code, township_code, id, DATE '2026-11-22', 'gt_env',"
            " '{gt_env}', geom, h3_r7, h3_r8, h3_r9 FROM enterprises WHERE name = '升级测试超市'")
        touched = c.execute("SELECT departments FROM coverage_touch t JOIN enterprises e ON e.id = t.enterprise_id"
                            " WHERE e.name = '升级测试超市'").fetchall()
        c.commit()
    assert [r["departments"] for r in touched] == [["gt_env"]]


def test_a_database_migrated_while_261_and_262_lacked_their_gist_indexes_gets_them(new_db: Any) -> None:
    old, fresh = new_db(), new_db()
    _run_squashed_chain(old)
    with connect(old, autocommit=True) as c:  # the state the earlier texts (before baedb38, 037ade9) left
        c.execute("DROP INDEX evidence_files_geom_gix")
        c.execute("DROP INDEX field_steps_geom_gix")
        for version, earlier in migrator._SQUASHED_EARLIER.items():
            c.execute("UPDATE schema_migrations SET checksum = %s WHERE version = %s", (next(iter(earlier)), version))
    migrate(old)
    migrate(fresh)
    assert _schema_dump(old) == _schema_dump(fresh)


def test_an_edited_applied_migration_stops_migrate_naming_it(db_url: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    edited = tmp_path / "migrations"
    shutil.copytree(migrator.MIGRATIONS_DIR, edited)
    path = edited / "050_job_queue.sql"
    path.write_text(path.read_text(encoding="utf-8") + "\n-- a late edit\n", encoding="utf-8")
    monkeypatch.setattr(migrator, "MIGRATIONS_DIR", edited)
    with pytest.raises(SchemaError, match="migration 050_job_queue was changed after it was applied"):
        migrate(db_url)
    with pytest.raises(SchemaError, match="050_job_queue"):
        migrator.verify(db_url)
    monkeypatch.undo()
    assert migrate(db_url) == []
    migrator.verify(db_url)


def test_gridcommand_db_migrate_and_serve_refuse_a_database_whose_applied_migration_differs(new_db: Any) -> None:
    url = new_db()
    migrate(url)
    with connect(url, autocommit=True) as c:  # as if 000_baseline.sql had been edited after it ran here
        c.execute("UPDATE schema_migrations SET checksum = repeat('0', 64) WHERE version = '000_baseline'")
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    for args in (["db", "migrate"], ["serve", "--port", "1", "--no-worker"]):
        done = subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env,
                              cwd=ROOT, timeout=60)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert "migration 000_baseline was changed after it was applied" in done.stderr, args
        assert "Traceback" not in done.stderr


def test_an_unknown_or_partial_history_is_refused_before_anything_runs(new_db: Any) -> None:
    newer, partial = new_db(), new_db()
    migrate(newer)
    with connect(newer, autocommit=True) as c:
        c.execute("INSERT INTO schema_migrations (version, checksum) VALUES ('990_from_the_future', 'x')")
    with pytest.raises(SchemaError, match="990_from_the_future, which this version of GridCommand does not have"):
        migrate(newer)
    with connect(partial, autocommit=True) as c:
        c.execute("CREATE TABLE schema_migrations (version text PRIMARY KEY, checksum text NOT NULL,"
                  " applied_at timestamptz NOT NULL DEFAULT now())")
        c.execute("INSERT INTO schema_migrations (version, checksum) VALUES (%s, %s)",
                  ("000_extensions", migrator.SQUASHED["000_extensions"]))
    with pytest.raises(SchemaError, match=r"only part of the migrations squashed into 000_baseline \(missing: 001_core"):
        migrate(partial)
    with connect(partial) as c:
        assert c.execute("SELECT to_regclass('counties') AS t").fetchone()["t"] is None


def _defined(pattern: str, texts: dict[str, str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, text in texts.items():
        for m in re.finditer(pattern, text, re.IGNORECASE | re.MULTILINE):
            found.setdefault(m.group(1).lower(), []).append(name)
    return found


def test_every_function_and_trigger_has_exactly_one_source(conn: psycopg.Connection) -> None:
    texts = {s.name: s.text for s in migrator.schema_sources()}
    texts |= {m.name: m.text for m in migrator.migrations() if m.name != "050_job_queue"}  # the library's own
    functions = _defined(r"^CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(\w+)", texts)
    triggers = _defined(r"^CREATE\s+(?:OR\s+REPLACE\s+)?TRIGGER\s+(\w+)", texts)
    assert {n: f for n, f in functions.items() if f != [f"functions/{n}.sql"]} == {}
    assert {n: f for n, f in triggers.items() if len(f) != 1 or not f[0].startswith("triggers/")} == {}
    in_db = {r["proname"] for r in conn.execute(
        "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'public' AND p.proname NOT LIKE 'procrastinate%'"
        " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')")}
    assert in_db == set(functions)
    db_triggers = {r["tgname"]: r["tbl"] for r in conn.execute(
        "SELECT tgname, tgrelid::regclass::text AS tbl FROM pg_trigger WHERE NOT tgisinternal"
        " AND tgname NOT LIKE 'procrastinate%'")}
    assert set(db_triggers) == set(triggers)
    assert all(triggers[t] == [f"triggers/{tbl}.sql"] for t, tbl in db_triggers.items())


def test_a_changed_function_source_is_applied_by_the_next_migrate(db_url: str, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    sources = tmp_path / "schema"
    shutil.copytree(migrator.SCHEMA_DIR, sources)
    path = sources / "functions" / "audit_prune.sql"
    text = path.read_text(encoding="utf-8")
    assert "keep_days < 180" in text
    path.write_text(text.replace("keep_days < 180", "keep_days < 200"), encoding="utf-8")
    monkeypatch.setattr(migrator, "SCHEMA_DIR", sources)
    assert migrate(db_url) == ["functions/audit_prune.sql"]
    assert migrate(db_url) == []
    with connect(db_url) as c, pytest.raises(psycopg.errors.RaiseException, match="at least 180 days"):
        c.execute("SELECT audit_prune(190)")
    monkeypatch.undo()
    assert migrate(db_url) == ["functions/audit_prune.sql"]
    with connect(db_url) as c:
        assert c.execute("SELECT audit_prune(190) AS n").fetchone()["n"] == 0
