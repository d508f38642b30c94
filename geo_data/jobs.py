"""Background work on a job queue in the database (procrastinate; schema: migration 050).

The web processes only *defer* jobs, inside their own transactions; ``gridcommand worker`` (``run_worker``) runs
them. What runs there:

- ``route_plan``: a planner's routing solve (``geo_data.plans.run_route_job``); progress in ``route_jobs``.
  A run that dies (worker killed, machine lost) is retried by ``retry_stalled_jobs``; its result is stored once.
- periodic, deferred once per cluster whatever the number of web or job workers (procrastinate keeps one row
  per task and tick in ``procrastinate_periodic_defers``): SLA escalation every ``dispatch.escalate_every_s``,
  the stalled-job check every ``jobs.stalled_check_every_s``, the nightly removal of old finished jobs, and the
  nightly audit retention (``audit.prune``: entries older than ``server.audit_retention_days``, at least 180)
  and the nightly pruning of team tracks older than ``positions.track_days``.

The pre-aggregated counts (cells, measures) need no periodic refresh: every write keeps them in the same
transaction (``geo_data.cells``, migrations 401-408).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import procrastinate
import psycopg
from procrastinate import builtin_tasks
from procrastinate.app import WorkerOptions
from procrastinate.exceptions import JobAborted
from procrastinate.job_context import JobContext
from procrastinate.jobs import Job, Status
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from psycopg_pool import ConnectionPool

from enforcement.plan import DayRouteConfig
from geo_data.db import open_pool, transaction
from geo_data.scope import Role, Scope
from geo_data.settings import Settings

log = logging.getLogger(__name__)

ROUTE_PLAN = "gridcommand.route_plan"
ESCALATE_OVERDUE = "gridcommand.escalate_overdue"
RETRY_STALLED = "gridcommand.retry_stalled_jobs"
REMOVE_OLD_JOBS = "gridcommand.remove_old_jobs"
PRUNE_AUDIT = "gridcommand.prune_audit"
PRUNE_TRACKS = "gridcommand.prune_tracks"
ROUTES_QUEUE = "routes"
UPKEEP_QUEUE = "upkeep"
_RESOURCES = "gridcommand"  # key of the worker's resources in the job context


@dataclass(frozen=True)
class WorkerResources:
    """What job bodies need in the worker process: its own connection pool and the settings."""

    pool: ConnectionPool
    settings: Settings


def every(seconds: int) -> str:
    """A procrastinate cron expression for "every ``seconds``" (a 6th field counts seconds).

    Ticks are aligned to the clock, so the period must divide a minute or be whole minutes dividing an hour.
    """
    if 0 < seconds < 60 and 60 % seconds == 0:
        return f"* * * * * */{seconds}"
    if seconds % 60 == 0 and 0 < seconds <= 3600 and 3600 % seconds == 0:
        return f"*/{seconds // 60} * * * *"
    raise ValueError(f"a period of {seconds} s cannot be a clock-aligned schedule: use a divisor of 60 s "
                     "or whole minutes dividing an hour")


def queue_app(settings: Settings, url: str) -> procrastinate.App:
    """The job queue bound to ``url``, with every task and periodic schedule registered.

    The web app opens it on its own pool (``App.open(pool)``) to defer jobs; the worker runs it
    (``run_worker``). Both build it here, so they agree on task names, queues, locks and retries.
    """
    # the queue's own pool (worker side): a database that is away fails a call within db_timeout_s
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url, timeout=settings.jobs.db_timeout_s),
                            periodic_defaults={"max_delay": 60})
    jobs = settings.jobs
    app.task(name=ROUTE_PLAN, queue=ROUTES_QUEUE, pass_context=True,
             retry=_RouteRetry(runs=jobs.route_attempts))(_route_plan)
    if settings.dispatch.escalate_every_s > 0:
        escalate = app.task(name=ESCALATE_OVERDUE, queue=UPKEEP_QUEUE, pass_context=True, priority=10,
                            queueing_lock=ESCALATE_OVERDUE)(_escalate_overdue)
        app.periodic(cron=every(settings.dispatch.escalate_every_s))(escalate)
    stalled = app.task(name=RETRY_STALLED, queue=UPKEEP_QUEUE, pass_context=True, priority=20,
                       queueing_lock=RETRY_STALLED)(_retry_stalled_jobs)
    app.periodic(cron=every(jobs.stalled_check_every_s))(stalled)
    remove = app.task(name=REMOVE_OLD_JOBS, queue=UPKEEP_QUEUE, pass_context=True,
                      queueing_lock=REMOVE_OLD_JOBS)(_remove_old_jobs)
    app.periodic(cron="7 4 * * *")(remove)
    prune_audit = app.task(name=PRUNE_AUDIT, queue=UPKEEP_QUEUE, pass_context=True,
                           queueing_lock=PRUNE_AUDIT)(_prune_audit)
    app.periodic(cron="37 3 * * *")(prune_audit)
    prune_tracks = app.task(name=PRUNE_TRACKS, queue=UPKEEP_QUEUE, pass_context=True,
                            queueing_lock=PRUNE_TRACKS)(_prune_tracks)
    app.periodic(cron="17 3 * * *")(prune_tracks)
    return app


def run_worker(settings: Settings, url: str, *, name: str | None = None, wait: bool = True,
               handle_signals: bool = True) -> None:
    """Run a job worker until stopped (SIGTERM / SIGINT with ``handle_signals``), or with ``wait=False`` until the
    queue is empty.

    On stop, running jobs get ``jobs.stop_timeout_s``; a routing job still running then is interrupted at its
    next progress step and retried by a later worker (its partial work is rolled back). A worker that loses the
    database (a restart, a failover) starts again by itself once it is back, 1 s to 30 s later.
    """
    jobs = settings.jobs
    pool = open_pool(url, settings.db, name="gridcommand-jobs")
    options: WorkerOptions = {
        "name": name or "worker", "wait": wait, "concurrency": jobs.concurrency, "install_signal_handlers": False,
        "fetch_job_polling_interval": jobs.poll_s, "abort_job_polling_interval": jobs.poll_s,
        "update_heartbeat_interval": jobs.heartbeat_s, "stalled_worker_timeout": jobs.stalled_after_s,
        "shutdown_graceful_timeout": jobs.stop_timeout_s, "delete_jobs": "never",
        "additional_context": {_RESOURCES: WorkerResources(pool=pool, settings=settings)}}
    try:
        asyncio.run(_work(queue_app(settings, url), options, handle_signals=handle_signals,
                          hard_stop_s=jobs.stop_timeout_s + 15))
    finally:
        pool.close()


async def _work(app: procrastinate.App, options: WorkerOptions, *, handle_signals: bool,
                hard_stop_s: float) -> None:
    stopping = asyncio.Event()
    if handle_signals:
        def stop() -> None:
            if not stopping.is_set():
                stopping.set()
                # a worker that cannot end in order (a job stuck in the database) still ends: its jobs are retried
                timer = threading.Timer(hard_stop_s, os._exit, (1,))
                timer.daemon = True
                timer.start()

        for sig in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(sig, stop)
    backoff = 1.0
    while not stopping.is_set():
        started = time.monotonic()
        try:
            async with app.open_async():
                run = asyncio.create_task(app.run_worker_async(**options))
                asked = asyncio.create_task(stopping.wait())
                await asyncio.wait({run, asked}, return_when=asyncio.FIRST_COMPLETED)
                if not run.done():
                    run.cancel()   # procrastinate's graceful stop: running jobs get their time, then abort
                    with contextlib.suppress(asyncio.CancelledError):
                        await run
                    return
                asked.cancel()
                run.result()
                if not options.get("wait", True):
                    return
                why = "stopped by itself"
        except Exception as exc:  # noqa: BLE001 - the worker must outlive a database restart
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            why = f"lost the database ({first})"
        if time.monotonic() - started > 60:
            backoff = 1.0
        log.warning("job worker %s; starting again in %.0f s", why, backoff)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), backoff)
        backoff = min(30.0, backoff * 2)


# -- deferring (web side) ----------------------------------------------------------------------------------

def defer_route_plan(queue: procrastinate.App, conn: psycopg.Connection[Any], *, job_id: int, scope: Scope,
                     plan_id: int, config: DayRouteConfig) -> int:
    """Queue the routing job ``job_id`` (a ``route_jobs`` row) on ``conn``'s transaction: it is queued if and
    only if that transaction commits. Runs of one plan's jobs never overlap (procrastinate ``lock``)."""
    return queue.configure_task(
        ROUTE_PLAN, connection=conn, lock=f"plan-route:{plan_id}",
    ).defer(job_id=job_id, plan_id=plan_id, scope=_scope_args(scope), config=dataclasses.asdict(config))


def _scope_args(scope: Scope) -> dict[str, Any]:
    return {"actor": scope.actor, "role": scope.role.value, "county_code": scope.county_code,
            "township_code": scope.township_code, "remote_addr": scope.remote_addr}   # the audit names them


def _scope_of(args: dict[str, Any]) -> Scope:
    return Scope(actor=str(args["actor"]), role=Role(args["role"]), county_code=str(args["county_code"]),
                 township_code=args.get("township_code"), remote_addr=str(args.get("remote_addr") or ""))


# -- job bodies (worker side) ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _RouteRetry(BaseRetryStrategy):
    """Routing runs are retried (2 s later) until ``runs`` runs were made, unless the product refused the job
    (``plans.route_job_retryable``)."""

    runs: int

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        from geo_data import plans

        if job.attempts + 1 >= self.runs or not plans.route_job_retryable(exception):
            return None
        return RetryDecision(retry_in={"seconds": 2})


def _resources(context: JobContext) -> WorkerResources:
    found = context.additional_context.get(_RESOURCES)
    if not isinstance(found, WorkerResources):
        raise RuntimeError("job run outside gridcommand's worker (geo_data.jobs.run_worker)")
    return found


def _route_plan(context: JobContext, *, job_id: int, plan_id: int, scope: dict[str, Any],
                config: dict[str, Any]) -> None:
    from geo_data import plans

    res = _resources(context)
    job = context.job
    attempt = job.attempts + 1
    plans.run_route_job(res.pool, _scope_of(scope), plan_id, job_id, DayRouteConfig(**config), attempt=attempt,
                        final=attempt >= res.settings.jobs.route_attempts, check_stop=_stop_check(context))


def _stop_check(context: JobContext) -> Callable[[], None]:
    def check() -> None:
        if context.should_abort():
            raise JobAborted("the worker is stopping; the job will be retried")

    return check


def _escalate_overdue(context: JobContext, timestamp: int) -> None:
    from geo_data.dispatch import escalate_overdue

    with transaction(_resources(context).pool) as conn:
        ids = escalate_overdue(conn, datetime.now(UTC))
    if ids:
        log.info("SLA escalation: %d incidents escalated to the county", len(ids))


async def _retry_stalled_jobs(context: JobContext, timestamp: int) -> None:
    """Jobs whose worker stopped sending heartbeats (killed, machine lost) go back to the queue.

    A routing job is retried until it has run ``jobs.route_attempts`` times; then it (and its ``route_jobs``
    row) is failed. Other stalled jobs are periodic ones: the next tick does their work, so they are failed.
    """
    res = _resources(context)
    manager = context.app.job_manager
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=res.settings.jobs.stalled_after_s):
        if job.task_name == ROUTE_PLAN and job.attempts + 1 < res.settings.jobs.route_attempts:
            log.warning("job %s (%s) lost its worker: retrying it", job.id, job.task_name)
            await manager.retry_job(job)
            continue
        log.warning("job %s (%s) lost its worker: failing it", job.id, job.task_name)
        await manager.finish_job(job, status=Status.FAILED, delete_job=False)
        if job.task_name == ROUTE_PLAN:
            from asgiref.sync import sync_to_async

            from geo_data import plans

            await sync_to_async(plans.fail_route_job, thread_sensitive=False)(
                res.pool, int(str(job.task_kwargs["job_id"])), f"worker lost {job.attempts + 1} times")


async def _remove_old_jobs(context: JobContext, timestamp: int) -> None:
    await builtin_tasks.remove_old_jobs(context, max_hours=_resources(context).settings.jobs.keep_finished_hours,
                                        remove_failed=True, remove_cancelled=True, remove_aborted=True)


def _prune_audit(context: JobContext, timestamp: int) -> None:
    """Audit retention: remove entries older than ``server.audit_retention_days`` from the chain's start."""
    from geo_data import audit

    res = _resources(context)
    with transaction(res.pool) as conn:
        removed = audit.prune(conn, keep_days=res.settings.server.audit_retention_days)
    if removed:
        log.info("audit retention: %d entries older than %d days removed", removed,
                 res.settings.server.audit_retention_days)


def _prune_tracks(context: JobContext, timestamp: int) -> None:
    """Track retention: team positions older than ``positions.track_days`` (one transaction per batch)."""
    from geo_data.positions import prune_tracks

    res = _resources(context)
    with res.pool.connection() as conn:
        conn.autocommit = True
        try:
            removed = prune_tracks(conn, older_than_days=res.settings.positions.track_days)
        finally:
            conn.autocommit = False
    if removed:
        log.info("track retention: %d positions older than %d days removed", removed,
                 res.settings.positions.track_days)
