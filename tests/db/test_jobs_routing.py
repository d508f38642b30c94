"""Routing jobs on the job queue: deferred by the web side in its own transaction, run by a real
``gridcommand worker`` process, retried by another worker when the first is killed mid-job, stored once."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import procrastinate
import pytest
from psycopg_pool import ConnectionPool

from enforcement.plan import DayRouteConfig
from geo_data import jobs, plans
from geo_data.db import fetch_one, open_pool
from geo_data.errors import Conflict
from geo_data.scope import Role, Scope
from geo_data.settings import DatabaseSettings, Settings
from services import planning
from tests.db import plan_scenario as ps
from tests.job_worker import job_worker, wait_for

SCOPE = Scope(actor="planner1", role=Role.PLANNER, county_code=ps.COUNTY, remote_addr="192.0.2.7")


@pytest.fixture(scope="module")
def pool(db_url: str) -> Iterator[ConnectionPool]:
    p = open_pool(db_url, DatabaseSettings(url=db_url, pool_max=4))
    yield p
    p.close()


@pytest.fixture(scope="module")
def queue(db_url: str, pool: ConnectionPool) -> procrastinate.App:
    """The web side's job queue: opened on the web pool, as app.py does."""
    return jobs.queue_app(Settings(db=DatabaseSettings(url=db_url)), db_url).open(pool)


def _approved_plan(conn: Any, year: int) -> int:
    """An approved plan for <year>-03-01..10 with 24 on-site visits of two departments. Each test takes its own
    year: visit quotas count per year, so plans of one year would change each other's visits."""
    sc = ps.build(conn)
    lo, hi = f"{year}-03-01", f"{year}-03-10"
    for n in range(1, 25):
        ent = sc.by_name(f"测试企业{n:02d}")
        dept, items = (ps.FIRE, ["PF01"]) if n % 4 == 0 else (ps.MARKET, ["PM01", "PM02"])
        conn.execute("INSERT INTO inspection_tasks (county_code, department_code, enterprise_id, items, reason,"
                     " earliest, latest) VALUES (%s,%s,%s,%s,'special',%s,%s)",
                     (ps.COUNTY, dept, ent["id"], items, lo, hi))
    with conn.transaction():
        plan_id = plans.build_plan(conn, SCOPE, period_start=date(year, 3, 1), period_end=date(year, 3, 10))
        plans.approve_plan(conn, SCOPE, plan_id)
    return plan_id


def _job_row(conn: Any, job_id: int) -> dict[str, Any]:
    return conn.execute("SELECT status, progress, message FROM route_jobs WHERE id = %s", (job_id,)).fetchone()


def _queued(conn: Any, job_id: int) -> list[dict[str, Any]]:
    return conn.execute("SELECT id, status, attempts FROM procrastinate_jobs WHERE task_name = %s"
                        " AND (args->>'job_id')::bigint = %s", (jobs.ROUTE_PLAN, job_id)).fetchall()


def _stored_once(conn: Any, plan_id: int) -> dict[str, int]:
    """What one routing of the plan leaves behind, counted."""
    return conn.execute(
        "SELECT (SELECT count(*) FROM audit_log WHERE action = 'plan.route' AND object_id = %(p)s::text) AS audits,"
        " (SELECT count(*) FROM plan_visits WHERE plan_id = %(p)s AND visit_date IS NOT NULL) AS routed,"
        " (SELECT count(*) FROM visit_codes c JOIN plan_visits pv ON pv.id = c.plan_visit_id"
        "   WHERE pv.plan_id = %(p)s) AS codes,"
        " (SELECT count(DISTINCT plan_visit_id) FROM visit_codes c JOIN plan_visits pv ON pv.id = c.plan_visit_id"
        "   WHERE pv.plan_id = %(p)s) AS coded_visits,"
        " (SELECT count(*) FROM visits WHERE plan_id = %(p)s AND status = 'planned') AS planned_visits",
        {"p": plan_id}).fetchone()


def test_a_route_job_is_queued_with_its_row_and_run_by_a_worker_process_with_progress(
        conn: Any, db_url: str, pool: ConnectionPool, queue: procrastinate.App, tmp_path: Path) -> None:
    plan_id = _approved_plan(conn, 2031)
    with conn.transaction():
        draft = plans.build_plan(conn, SCOPE, period_start=date(2031, 9, 1), period_end=date(2031, 9, 2))
    before = conn.execute("SELECT count(*) AS n FROM procrastinate_jobs").fetchone()["n"]
    with pytest.raises(Conflict):
        planning.start_routing(pool, SCOPE, draft, queue=queue)
    assert conn.execute("SELECT count(*) AS n FROM procrastinate_jobs").fetchone()["n"] == before

    job_id = planning.start_routing(pool, SCOPE, plan_id, queue=queue,
                                   config=DayRouteConfig(time_limit_per_day_s=0.5))
    assert _job_row(conn, job_id)["status"] == "queued"
    assert [j["status"] for j in _queued(conn, job_id)] == ["todo"]   # no worker yet: it waits in the queue

    seen: list[float] = []

    def finished() -> dict[str, Any] | None:
        row = _job_row(conn, job_id)
        seen.append(float(row["progress"]))
        return row if row["status"] in ("done", "failed") else None

    with job_worker(db_url, tmp_path) as worker:
        row = wait_for("the routing job to finish", finished, 60, every_s=0.05, logs=worker.log)
    assert row["status"] == "done" and "visits routed" in row["message"], row
    assert seen == sorted(seen) and any(0 < p < 1 for p in seen), seen
    assert [(j["status"], j["attempts"]) for j in _queued(conn, job_id)] == [("succeeded", 1)]   # attempts: runs made
    stored = _stored_once(conn, plan_id)
    assert stored["audits"] == 1 and stored["routed"] > 0
    assert stored["codes"] == stored["coded_visits"] == stored["planned_visits"] == stored["routed"]
    audit = conn.execute("SELECT actor, remote_addr FROM audit_log WHERE action = 'plan.route' AND object_id = %s",
                         (str(plan_id),)).fetchone()
    assert (audit["actor"], audit["remote_addr"]) == ("planner1", "192.0.2.7")   # the planner, not the worker


def test_a_worker_killed_mid_job_leaves_nothing_and_another_worker_finishes_the_job_once(
        conn: Any, db_url: str, pool: ConnectionPool, queue: procrastinate.App, tmp_path: Path) -> None:
    plan_id = _approved_plan(conn, 2032)
    job_id = planning.start_routing(pool, SCOPE, plan_id, queue=queue,
                                   config=DayRouteConfig(time_limit_per_day_s=3.0))  # seconds per day: time to kill it
    with job_worker(db_url, tmp_path, name="killed") as first:
        wait_for("the first worker to be mid-job", lambda: (r := _job_row(conn, job_id))["status"] == "running"
                 and r["progress"] > 0, 60, logs=first.log)
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(10)
    assert _job_row(conn, job_id)["status"] == "running"
    assert [j["status"] for j in _queued(conn, job_id)] == ["doing"]   # its worker is gone
    assert _stored_once(conn, plan_id) == {"audits": 0, "routed": 0, "codes": 0, "coded_visits": 0,
                                           "planned_visits": 0}

    with job_worker(db_url, tmp_path, name="second") as second:
        row = wait_for("the retried job to finish", lambda: (r := _job_row(conn, job_id))["status"]
                       in ("done", "failed") and r, 90, logs=second.log)
        log = second.log()
    assert row["status"] == "done", row
    assert "lost its worker: retrying it" in log
    assert [(j["status"], j["attempts"]) for j in _queued(conn, job_id)] == [("succeeded", 2)]
    stored = _stored_once(conn, plan_id)
    assert stored["audits"] == 1 and stored["routed"] > 0
    assert stored["codes"] == stored["coded_visits"] == stored["planned_visits"] == stored["routed"]


def _unqueued_job(conn: Any, plan_id: int) -> int:
    """A ``route_jobs`` row with no queued job (this test runs the job body itself)."""
    return int(fetch_one(conn, "route_job_insert", {"county_code": ps.COUNTY, "plan_id": plan_id,
                                                    "actor": SCOPE.actor})["id"])


def test_running_a_finished_route_job_again_changes_nothing(conn: Any, pool: ConnectionPool) -> None:
    """A worker that dies after the job's commit but before the queue heard of it: the retry is a no-op."""
    plan_id = _approved_plan(conn, 2033)
    job_id = _unqueued_job(conn, plan_id)
    fast = DayRouteConfig(time_limit_per_day_s=0.3)
    assert plans.run_route_job(pool, SCOPE, plan_id, job_id, fast) is True
    codes = conn.execute("SELECT c.code FROM visit_codes c JOIN plan_visits pv ON pv.id = c.plan_visit_id"
                         " WHERE pv.plan_id = %s ORDER BY 1", (plan_id,)).fetchall()
    done = _job_row(conn, job_id)
    assert plans.run_route_job(pool, SCOPE, plan_id, job_id, fast, attempt=2) is False
    assert conn.execute("SELECT c.code FROM visit_codes c JOIN plan_visits pv ON pv.id = c.plan_visit_id"
                        " WHERE pv.plan_id = %s ORDER BY 1", (plan_id,)).fetchall() == codes
    assert _job_row(conn, job_id) == done
    assert _stored_once(conn, plan_id)["audits"] == 1


def test_a_plan_the_product_refuses_fails_at_once_without_retries(conn: Any, pool: ConnectionPool) -> None:
    plan_id = _approved_plan(conn, 2034)
    job_id = _unqueued_job(conn, plan_id)
    conn.execute("UPDATE visit_plans SET status = 'draft' WHERE id = %s", (plan_id,))   # changed meanwhile
    with pytest.raises(Conflict):
        plans.run_route_job(pool, SCOPE, plan_id, job_id, final=False)
    row = _job_row(conn, job_id)
    assert row["status"] == "failed" and "approve it" in row["message"]
    assert not plans.route_job_retryable(Conflict("x"))


def test_a_route_job_that_lost_its_worker_too_often_is_failed_with_its_row(
        conn: Any, db_url: str, pool: ConnectionPool, queue: procrastinate.App, tmp_path: Path) -> None:
    plan_id = _approved_plan(conn, 2035)
    job_id = planning.start_routing(pool, SCOPE, plan_id, queue=queue)
    # as a worker leaves it when it dies and is pruned: taken ('doing'), no worker any more
    conn.execute("UPDATE procrastinate_jobs SET status = 'doing' WHERE task_name = %s"
                 " AND (args->>'job_id')::bigint = %s", (jobs.ROUTE_PLAN, job_id))
    with job_worker(db_url, tmp_path, env={"GRIDCOMMAND_JOBS_ROUTE_ATTEMPTS": "1"}) as worker:
        row = wait_for("the job to be failed", lambda: (r := _job_row(conn, job_id))["status"] == "failed" and r,
                       30, logs=worker.log)
    assert "worker lost 1 times" in row["message"]
    assert [j["status"] for j in _queued(conn, job_id)] == ["failed"]
    assert _stored_once(conn, plan_id)["audits"] == 0
