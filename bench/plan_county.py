"""Benchmark: plan a month for the demo county — merging, quotas and team day-routes for every working day.

Builds a fresh database ``gcbench_plan_*`` on the local cluster (or ``DATABASE_URL``'s server), loads the demo
county (20,000 enterprises, two months of visit history before the month), files 3,000 inspection tasks from
the 10 departments for the month (not timed), then times what the planner waits for:
``build_plan`` (merge into joint visits + quota check), ``approve_plan`` and ``route_plan`` (PyVRP day-routes
for every working day, saving routes and issuing inspection codes). Every day's routes are re-checked with
``enforcement.routing.check_feasibility``.

Prints visits spared (department tasks − enterprise visits) and the repeat-inspection rate (DOMAIN.md,
``enforcement.measures.repeat_visit_ids``) of the month before and after: *before* = every task a visit of its
own department on a day drawn uniformly from its window; *after* = the routed plan (joint visits on their
routed days). Visits of the 30 days before the month count as earlier visits in both.

    .venv/bin/python bench/plan_county.py [--enterprises 20000] [--tasks 3000] [--seconds-per-day 1.0] [--keep]

Goal ≤ 60 s. Last line: ``RESULT plan_month_seconds=<v> s``.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _fresh_db import create_database, drop_database  # noqa: E402  (bench/ is the script's directory)

from enforcement.measures import VisitFact, repeat_visit_ids  # noqa: E402
from enforcement.plan import DayRouteConfig  # noqa: E402
from geo_data import demo, plans  # noqa: E402
from geo_data.db import connect, fetch_all  # noqa: E402
from geo_data.scope import Role, Scope  # noqa: E402

COUNTY = "330702"
MONTH_START, MONTH_END = date(2026, 12, 1), date(2026, 12, 31)
REASONS = ("annual", "random", "special", "complaint", "alert")
REASON_P = (0.55, 0.25, 0.12, 0.05, 0.03)
TASKS_PER_ENTERPRISE_BY_RISK = {"high": 3.0, "elevated": 2.0, "general": 1.0, "low": 0.4}


def _log(msg: str) -> None:
    print(msg, flush=True)


def file_tasks(conn: psycopg.Connection[Any], n_tasks: int, seed: int) -> int:
    """``n_tasks`` tasks of the 10 departments: enterprises weighted by risk, windows of 5–31 days."""
    rng = np.random.default_rng(seed)
    ents = fetch_all(conn, "draw_register", {"county_code": COUNTY, "township_code": None, "townships": None,
                                             "industries": None})
    weights = np.array([TASKS_PER_ENTERPRISE_BY_RISK[e["risk"]] for e in ents])
    items_by_dep: dict[str, list[str]] = {}
    for r in conn.execute("SELECT code, department_code FROM inspection_items ORDER BY code").fetchall():
        items_by_dep.setdefault(r["department_code"], []).append(r["code"])
    departments = sorted(items_by_dep)
    # an enterprise on the plan gets 1-4 tasks of distinct departments (departments' plans overlap there)
    rows = []
    picked = rng.choice(len(ents), size=n_tasks, replace=False, p=weights / weights.sum())
    i = 0
    while len(rows) < n_tasks:
        ent = ents[int(picked[i % len(picked)])]
        i += 1
        k = min(n_tasks - len(rows), int(rng.choice([1, 2, 3, 4], p=[0.35, 0.35, 0.2, 0.1])))
        for dep in rng.choice(departments, size=k, replace=False):
            items = list(rng.choice(items_by_dep[dep], size=min(len(items_by_dep[dep]), int(rng.integers(1, 3))),
                                    replace=False))
            length = int(rng.integers(5, 32))
            start = MONTH_START + timedelta(days=int(rng.integers(0, 32 - min(length, 31))))
            end = min(MONTH_END, start + timedelta(days=length - 1))
            rows.append((COUNTY, str(dep), int(ent["id"]), items, str(rng.choice(REASONS, p=REASON_P)), start, end))
    with conn.cursor() as cur, cur.copy("COPY inspection_tasks (county_code, department_code, enterprise_id, items,"
                                        " reason, earliest, latest) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    return len(rows)


def repeat_rate(conn: psycopg.Connection[Any], month_visits: list[VisitFact]) -> float:
    """Share of the month's visits that are repeats, with the 30 days before the month as history."""
    history = [VisitFact(-int(r["id"]), int(r["enterprise_id"]), r["visit_date"], frozenset(r["departments"]))
               for r in conn.execute("SELECT id, enterprise_id, visit_date, departments FROM visits"
                                     " WHERE county_code = %s AND status = 'done' AND visit_date >= %s"
                                     " AND visit_date < %s",
                                     (COUNTY, MONTH_START - timedelta(days=30), MONTH_START)).fetchall()]
    repeats = repeat_visit_ids(history + month_visits)
    ids = {v.id for v in month_visits}
    return len(repeats & ids) / len(ids) if ids else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--enterprises", type=int, default=20_000)
    ap.add_argument("--tasks", type=int, default=3_000)
    ap.add_argument("--seconds-per-day", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = ap.parse_args()

    url = create_database("gcbench_plan")
    try:
        with connect(url) as conn:
            t0 = time.perf_counter()
            summary = demo.load_demo(conn, enterprises=args.enterprises, seed=args.seed, history_months=2,
                                     today=MONTH_START - timedelta(days=1))
            _log(f"demo: {summary.enterprises} enterprises, {summary.teams} teams, {summary.visits} history visits"
                 f" ({time.perf_counter() - t0:.1f} s, not timed)")
            t0 = time.perf_counter()
            with conn.transaction():
                n = file_tasks(conn, args.tasks, args.seed)
            n_departments = conn.execute("SELECT count(DISTINCT department_code) AS n FROM inspection_tasks").fetchone()
            _log(f"tasks: {n} from {n_departments['n']} departments for {MONTH_START:%Y-%m}"
                 f" ({time.perf_counter() - t0:.1f} s, not timed)")

            scope = Scope(actor="bench-planner", role=Role.PLANNER, county_code=COUNTY)
            config = DayRouteConfig(time_limit_per_day_s=args.seconds_per_day)
            started = time.perf_counter()
            with conn.transaction():
                plan_id = plans.build_plan(conn, scope, period_start=MONTH_START, period_end=MONTH_END)
            t_merge = time.perf_counter() - started
            with conn.transaction():
                plan = plans.approve_plan(conn, scope, plan_id)
            t_route0 = time.perf_counter()
            marks: list[float] = []
            with conn.transaction():
                routes = plans.route_plan(conn, scope, plan_id, config=config,
                                          progress=lambda f, m: marks.append(time.perf_counter()))
            t_route = time.perf_counter() - t_route0
            t_solve = marks[-1] - t_route0 if marks else t_route
            elapsed = time.perf_counter() - started

            problems = [p for d in routes.days for p in d.problems()]
            final = plans.get_plan(conn, scope, plan_id)
            rows = plans.plan_visits(conn, scope, plan_id)
            on_site = [r for r in rows if r.status == "proposed"]
            tasks_on_site = sum(len(r.task_ids or []) for r in on_site)
            _log(f"plan {plan_id}: {final.tasks} tasks -> {final.visits} enterprise visits "
                 f"({final.joint} joint), saving {final.saving} visits spared (减少干扰户次)")
            _log(f"quotas: {final.held} visits held (无事不扰: over quota / no-visit list), "
                 f"{final.exceeded} complaint/alert visits over quota kept")
            _log(f"routes: {len(routes.days)} working days, {sum(len(d.result.routes) for d in routes.days)} "
                 f"team-days, {len(routes.routed())} visits routed, {len(routes.unassigned)} unassigned; "
                 f"feasibility problems: {len(problems)}")
            reasons: dict[str, int] = {}
            for reason in routes.unassigned.values():
                reasons[reason] = reasons.get(reason, 0) + 1
            for reason, count in sorted(reasons.items(), key=lambda kv: -kv[1])[:8]:
                _log(f"  unassigned {count}: {reason}")
            if len(reasons) > 8:
                _log(f"  ... {len(reasons) - 8} more reasons, {sum(sorted(reasons.values())[:-8])} visits")
            crews = sum(1 for d in routes.days for r in d.result.routes if "+" in r.vehicle_id)
            _log(f"joint crews (联合检查组) used: {crews} crew-days")
            _log(f"on-site: {tasks_on_site} department tasks in {len(on_site)} visits")

            rng = np.random.default_rng(args.seed + 1)
            task_rows = conn.execute("SELECT id, enterprise_id, department_code, earliest, latest FROM"
                                     " inspection_tasks WHERE plan_id = %s", (plan_id,)).fetchall()
            before = []
            for t in task_rows:
                span = (t["latest"] - t["earliest"]).days
                day = t["earliest"] + timedelta(days=int(rng.integers(0, span + 1)))
                before.append(VisitFact(int(t["id"]), int(t["enterprise_id"]), day, frozenset([t["department_code"]])))
            after = [VisitFact(r.id, r.enterprise_id, r.visit_date, frozenset(r.departments))
                     for r in on_site if r.visit_date is not None]
            _log(f"repeat-inspection rate (重复检查率) of the month: before {repeat_rate(conn, before):.2%} "
                 f"({len(before)} single-department visits) -> after {repeat_rate(conn, after):.2%} "
                 f"({len(after)} routed visits)")
            _log(f"timings: merge+quotas {t_merge:.2f} s, approve {t_route0 - started - t_merge:.2f} s, "
                 f"routes+codes {t_route:.2f} s (day-routes {t_solve:.2f} s with {args.seconds_per_day} s PyVRP "
                 f"per day, saving routes and codes {t_route - t_solve:.2f} s)")
            _ = plan
    finally:
        if not args.keep:
            drop_database(url)
    print(f"RESULT plan_month_seconds={elapsed:.2f} s")


if __name__ == "__main__":
    main()
