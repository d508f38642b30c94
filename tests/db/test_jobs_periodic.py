"""Periodic jobs run once per tick for the whole cluster (two real ``gridcommand worker`` processes); SLA
escalation happens through them; the queue's schema is the installed library's."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from procrastinate.schema import SchemaManager
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from geo_data import jobs
from geo_data.alerts import AlertInput, ingest
from tests.db.dispatch_scenario import COUNTY, build
from tests.job_worker import job_worker, wait_for

EVERY_SECOND = {"GRIDCOMMAND_DISPATCH_ESCALATE_EVERY_S": "1"}


@pytest.fixture(scope="module", autouse=True)
def county(db_url: str) -> None:
    with psycopg.connect(db_url) as c:
        build(c)


def _ticks(conn: Any, task: str) -> list[dict[str, Any]]:
    """Jobs of a periodic task per tick (its ``timestamp`` argument)."""
    return conn.execute("SELECT (args->>'timestamp')::bigint AS tick, count(*) AS jobs,"
                        " count(*) FILTER (WHERE status = 'succeeded') AS succeeded"
                        " FROM procrastinate_jobs WHERE task_name = %s GROUP BY 1 ORDER BY 1", (task,)).fetchall()


def _overdue_incident(conn: Any) -> int:
    alert = AlertInput(source_id=f"sla-{secrets.token_hex(4)}", source_kind="sensor", type_code="gt_vending",
                       observed_at=datetime.now(UTC), lng=120.013, lat=30.013, severity="high")
    with conn.transaction():
        incident_id = ingest(conn, source="t-src", county_code=COUNTY, alerts=[alert])[0].incident_id
        conn.execute("UPDATE incidents SET sla_due_at = now() - interval '1 minute' WHERE id = %s", (incident_id,))
    return int(incident_id)


def test_two_workers_run_each_tick_of_a_periodic_job_once_and_escalate_overdue_incidents_once(
        conn: Any, db_url: str, tmp_path: Path) -> None:
    with job_worker(db_url, tmp_path, name="a", env=EVERY_SECOND) as a, \
            job_worker(db_url, tmp_path, name="b", env=EVERY_SECOND) as b:
        def logs() -> str:
            return a.log() + "\n----\n" + b.log()

        wait_for("both workers to register", lambda: conn.execute(
            "SELECT count(*) AS n FROM procrastinate_workers").fetchone()["n"] == 2, 30, logs=logs)
        first = datetime.now(UTC).timestamp()
        incident = _overdue_incident(conn)
        wait_for("the overdue incident to be escalated", lambda: conn.execute(
            "SELECT escalated FROM incidents WHERE id = %s", (incident,)).fetchone()["escalated"], 30, logs=logs)
        wait_for("four ticks of escalation since", lambda: sum(
            t["tick"] > first and t["succeeded"] for t in _ticks(conn, jobs.ESCALATE_OVERDUE)) >= 4, 30, logs=logs)

    ticks = _ticks(conn, jobs.ESCALATE_OVERDUE)
    assert ticks and all(t["jobs"] == 1 for t in ticks), ticks          # one job per tick, whatever the workers
    stalled = _ticks(conn, jobs.RETRY_STALLED)
    assert stalled and all(t["jobs"] == 1 for t in stalled), stalled
    row = conn.execute("SELECT escalated, escalation_reason FROM incidents WHERE id = %s", (incident,)).fetchone()
    assert row["escalated"] and row["escalation_reason"] == "sla"
    events = conn.execute("SELECT count(*) AS n FROM dispatch_events WHERE incident_id = %s AND event = 'escalated'",
                          (incident,)).fetchone()["n"]
    assert events == 1
    assert conn.execute("SELECT count(*) AS n FROM audit_log WHERE action = 'dispatch.escalate_overdue'"
                        " AND %s = ANY (string_to_array(object_id, ','))", (str(incident),)).fetchone()["n"] == 1
    assert conn.execute("SELECT count(*) AS n FROM procrastinate_workers").fetchone()["n"] == 0  # both signed off


def test_a_worker_carries_on_by_itself_after_the_database_was_away(conn: Any, db_url: str, admin_url: str,
                                                                   tmp_path: Path) -> None:
    """As in a PostgreSQL restart: every connection cut, no new ones for a few seconds."""
    dbname = conn.info.dbname
    admin = psycopg.connect(admin_url, autocommit=True)
    with job_worker(db_url, tmp_path, name="blip", env=EVERY_SECOND) as worker:
        wait_for("a first tick", lambda: any(t["succeeded"] for t in _ticks(conn, jobs.ESCALATE_OVERDUE)), 30,
                 logs=worker.log)
        with admin:
            admin.execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS false')
            try:
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s"
                              " AND pid <> %s", (dbname, conn.info.backend_pid))
                time.sleep(3)
            finally:
                admin.execute(f'ALTER DATABASE "{dbname}" ALLOW_CONNECTIONS true')
        back = datetime.now(UTC).timestamp()
        incident = _overdue_incident(conn)
        wait_for("ticks again once the database is back", lambda: sum(
            t["tick"] > back and t["succeeded"] for t in _ticks(conn, jobs.ESCALATE_OVERDUE)) >= 2, 60,
            logs=worker.log)
        wait_for("the overdue incident escalated", lambda: conn.execute(
            "SELECT escalated FROM incidents WHERE id = %s", (incident,)).fetchone()["escalated"], 30,
            logs=worker.log)
        assert worker.process.poll() is None                              # the same process carried on


def test_a_worker_whose_database_is_gone_for_a_while_starts_its_loop_again_when_it_is_back(
        admin_url: str, template_db: str, tmp_path: Path) -> None:
    """Longer than the pools ride out: the queue loop fails, the process waits and starts it again."""
    name = f"gcjobs_gone_{secrets.token_hex(3)}"
    info = conninfo_to_dict(admin_url)
    info["dbname"] = name
    url = make_conninfo(**info)

    def create() -> None:
        with psycopg.connect(admin_url, autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def ticked() -> bool:
        try:
            with psycopg.connect(url) as c:
                return bool(c.execute("SELECT count(*) FROM procrastinate_jobs WHERE task_name = %s"
                                      " AND status = 'succeeded'", (jobs.ESCALATE_OVERDUE,)).fetchone()[0])
        except psycopg.OperationalError:
            return False

    create()
    try:
        with job_worker(url, tmp_path, name="gone", env=EVERY_SECOND) as worker:
            wait_for("a first tick", ticked, 30, logs=worker.log)
            drop()
            wait_for("the worker to notice", lambda: "lost the database" in worker.log(), 30, logs=worker.log)
            create()                                       # back, empty: as after a restore
            wait_for("ticks in the database that came back", ticked, 60, logs=worker.log)
            assert worker.process.poll() is None
    finally:
        drop()


def test_the_escalation_period_must_fit_the_clock() -> None:
    assert jobs.every(30) == "* * * * * */30"
    assert jobs.every(300) == "*/5 * * * *"
    with pytest.raises(ValueError, match="45 s"):
        jobs.every(45)


def _catalog(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """The job queue's objects as the server describes them (tables, columns, constraints, indexes, functions,
    triggers, types)."""
    queries = {
        "columns": "SELECT table_name, column_name, data_type, is_nullable, column_default"
                   " FROM information_schema.columns WHERE table_schema = 'public'"
                   " AND table_name LIKE 'procrastinate%' ORDER BY 1, 2",
        "constraints": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
                       " WHERE conrelid::regclass::text LIKE 'procrastinate%' ORDER BY 1, 2",
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'procrastinate%'"
                   " ORDER BY 1, 2",
        "functions": "SELECT p.proname, pg_get_function_identity_arguments(p.oid), md5(p.prosrc) FROM pg_proc p"
                     " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'"
                     " AND p.proname LIKE 'procrastinate%' ORDER BY 1, 2",
        "triggers": "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger"
                    " WHERE tgname LIKE 'procrastinate%' ORDER BY 1, 2",
        "types": "SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text FROM pg_type t"
                 " JOIN pg_enum e ON e.enumtypid = t.oid WHERE t.typname LIKE 'procrastinate%' GROUP BY 1 ORDER BY 1",
    }
    with psycopg.connect(url) as c:
        return {k: [tuple(r) for r in c.execute(q).fetchall()] for k, q in queries.items()}


@pytest.fixture
def library_schema_url(admin_url: str) -> Iterator[str]:
    """An empty database with the schema the installed procrastinate would create itself."""
    name = f"gcjobs_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    info = conninfo_to_dict(admin_url)
    info["dbname"] = name
    url = make_conninfo(**info)
    try:
        with psycopg.connect(url) as c:
            c.execute(SchemaManager.get_schema().encode())
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_migrations_give_the_installed_procrastinate_its_own_schema(db_url: str, library_schema_url: str) -> None:
    """Fails after an upgrade of procrastinate until its migrations are added (migration 050's header)."""
    ours, library = _catalog(db_url), _catalog(library_schema_url)
    assert ours["columns"] and ours["functions"]
    for kind in library:
        assert ours[kind] == library[kind], kind
