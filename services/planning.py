"""Planning use cases (综合查一次): import departments' tasks, build a plan, route it in the background.

``callbacks/planner_*.py`` (the ``/planner`` screen) and the CLI call these; merging tasks into joint visits,
quotas and routing are the rules of ``enforcement.merging`` / ``quotas`` / ``plan``, storing them is
``geo_data.plans`` / ``tasks``, the routing job runs in the job worker (``geo_data.jobs``). One-step actions on a
plan (approve, split a task, move its window, accept a visit) are ``geo_data.plans`` functions the screen calls
directly.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import procrastinate
import psycopg
from psycopg_pool import ConnectionPool

from enforcement.plan import DayRouteConfig
from geo_data import jobs, plans, tasks
from geo_data.scope import Permission, Scope
from geo_data.settings import PlanningSettings
from services.transactions import transaction_on


def route_config(settings: PlanningSettings) -> DayRouteConfig:
    """The routing parameters of the settings: the shift (HH:MM, Asia/Shanghai), work limit, set-up and time limit."""
    h0, m0 = (int(x) for x in settings.shift_start.split(":"))
    h1, m1 = (int(x) for x in settings.shift_end.split(":"))
    return DayRouteConfig(shift_start_min=h0 * 60 + m0, shift_end_min=h1 * 60 + m1,
                          max_work_min=settings.max_work_min, setup_min=settings.setup_min,
                          time_limit_per_day_s=settings.route_seconds_per_day)


def start_routing(pool: ConnectionPool, scope: Scope, plan_id: int, *, queue: procrastinate.App,
                  config: DayRouteConfig = plans.DEFAULT_ROUTE_CONFIG) -> int:
    """Queue the routing of an approved plan for the job worker; its progress is kept in ``route_jobs``.

    The ``route_jobs`` row and the queued job are written in one transaction: both or neither. NotFound /
    Conflict (not approved yet) as ``geo_data.plans.new_route_job``."""

    def work(conn: psycopg.Connection[Any]) -> int:
        job_id = plans.new_route_job(conn, scope, plan_id)
        jobs.defer_route_plan(queue, conn, job_id=job_id, scope=scope, plan_id=plan_id, config=config)
        return job_id

    return transaction_on(pool, work)


def import_tasks(conn: psycopg.Connection[Any], scope: Scope, raw: bytes, *, filename: str,
                 skip_bad: bool) -> tasks.TaskImportReport:
    """A planner's upload (CSV or Excel, ``filename`` tells which) read and imported; InvalidInput (with the
    problems) when nothing can be imported."""
    scope.require(Permission.PLAN)
    frame = tasks.read_table(raw, filename=filename or "tasks.csv")
    return tasks.import_tasks(conn, scope, frame, skip_bad=skip_bad, source=filename)


def build_plan(conn: psycopg.Connection[Any], scope: Scope, *, period_start: date,
               period_end: date) -> plans.PlanSummary:
    """A new draft plan of the period's open tasks (joint visits, quotas), and its summary."""
    plan_id = plans.build_plan(conn, scope, period_start=period_start, period_end=period_end)
    return plans.get_plan(conn, scope, plan_id)
