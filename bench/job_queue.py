"""The job queue as the product uses it (geo_data/jobs.py): what queueing a routing job costs the web request,
and how soon a real ``gridcommand worker`` process starts it.

1. ``services.planning.start_routing`` 200 times with no worker (the route_jobs row and the queued job in one
   transaction): median and p95 of the call.
2. A ``gridcommand worker`` subprocess; 10 routing jobs one after the other: from the call's return to the job's
   first progress row (status ``running``), polled every 2 ms.

``.venv/bin/python bench/job_queue.py``; a throwaway database, dropped afterwards.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from bench._fresh_db import fresh_database
from enforcement.plan import DayRouteConfig
from geo_data import jobs, plans
from geo_data.db import connect, open_pool
from geo_data.scope import Role, Scope
from geo_data.settings import DatabaseSettings, Settings
from services import planning
from tests.db import plan_scenario as ps

SCOPE = Scope(actor="bench", role=Role.PLANNER, county_code=ps.COUNTY)
QUICK = DayRouteConfig(time_limit_per_day_s=0.1)


def _plan(url: str) -> int:
    with connect(url, autocommit=True) as conn:
        sc = ps.build(conn)
        for n in range(1, 13):
            ent = sc.by_name(f"测试企业{n:02d}")
            conn.execute("INSERT INTO inspection_tasks (county_code, department_code, enterprise_id, items, reason,"
                         " earliest, latest) VALUES (%s,%s,%s,%s,'special','2030-03-04','2030-03-05')",
                         (ps.COUNTY, ps.MARKET, ent["id"], ["PM01"]))
        with conn.transaction():
            plan_id = plans.build_plan(conn, SCOPE, period_start=date(2030, 3, 4), period_end=date(2030, 3, 5))
            plans.approve_plan(conn, SCOPE, plan_id)
    return plan_id


def _ms(values: list[float]) -> str:
    values = sorted(values)
    return (f"median {statistics.median(values) * 1000:.1f} ms, p95 {values[int(0.95 * len(values)) - 1] * 1000:.1f}"
            f" ms, max {values[-1] * 1000:.1f} ms")


def main() -> None:
    with fresh_database("bench_jobs") as url:
        plan_id = _plan(url)
        settings = Settings(db=DatabaseSettings(url=url, pool_max=4))
        pool = open_pool(url, settings.db)
        queue = jobs.queue_app(settings, url).open(pool)
        calls = []
        for _ in range(200):
            t = time.perf_counter()
            planning.start_routing(pool, SCOPE, plan_id, queue=queue, config=QUICK)
            calls.append(time.perf_counter() - t)
        print(f"start_routing (row + queued job, one transaction), 200 calls: {_ms(calls)}")
        with connect(url, autocommit=True) as conn:
            conn.execute("DELETE FROM procrastinate_jobs")
            conn.execute("DELETE FROM route_jobs")
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDCOMMAND_")}
        env.update({"DATABASE_URL": url, "GRIDCOMMAND_DATA_DIR": tempfile.mkdtemp(prefix="bench_jobs_")})
        worker = subprocess.Popen([str(Path(sys.executable).with_name("gridcommand")), "worker"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with connect(url, autocommit=True) as conn:
                while conn.execute("SELECT count(*) AS n FROM procrastinate_workers").fetchone()["n"] == 0:
                    time.sleep(0.05)
                starts = []
                for _ in range(10):
                    job_id = planning.start_routing(pool, SCOPE, plan_id, queue=queue, config=QUICK)
                    t = time.perf_counter()
                    while conn.execute("SELECT status FROM route_jobs WHERE id = %s",
                                       (job_id,)).fetchone()["status"] == "queued":
                        time.sleep(0.002)
                    starts.append(time.perf_counter() - t)
                    while conn.execute("SELECT status FROM route_jobs WHERE id = %s",
                                       (job_id,)).fetchone()["status"] not in ("done", "failed"):
                        time.sleep(0.02)
            print(f"queued -> started in a gridcommand worker process, 10 jobs: {_ms(starts)}")
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(30)
            pool.close()


if __name__ == "__main__":
    main()
