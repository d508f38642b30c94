"""Visit plans: merge a period's tasks into joint visits, check quotas, let the planner edit, approve, route.

The rules live in ``enforcement.merging``, ``enforcement.quotas`` and ``enforcement.plan``; this module reads
and writes the tables of migration 300 (``visit_plans``, ``plan_visits``, ``plan_visit_tasks``,
``plan_team_days``, ``route_jobs``). Every function takes a ``Scope`` and checks ``Permission.PLAN`` for writes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from enforcement.merging import ProposedVisit, Task, merge_tasks, partition_enterprise
from enforcement.plan import (
    DayRouteConfig,
    PeriodRoutes,
    PlanTeam,
    PlanVisit,
    plan_period,
    service_minutes,
    visit_windows,
    working_days,
)
from enforcement.quotas import EnterpriseStanding, QuotaFlag, QuotaVisit, check_quotas
from geo_data import audit
from geo_data.db import execute, fetch_all, fetch_one, sql_text, transaction
from geo_data.errors import Conflict, DatabaseUnavailable, GridCommandError, InvalidInput, NotFound
from geo_data.scope import Permission, Scope

DEFAULT_ROUTE_CONFIG = DayRouteConfig()
SPLIT_REASON = "计划员拆分 split by the planner"
MAX_PERIOD_DAYS = 92


@dataclass(frozen=True)
class PlanSummary:
    plan_id: int
    status: str
    period_start: date
    period_end: date
    tasks: int
    visits: int
    joint: int
    held: int
    remote: int
    exceeded: int
    routed: int
    unassigned: int
    revision: int = 0    # bumped by every change of the plan's visits or their tasks (migration 066)

    @property
    def saving(self) -> int:
        """减少干扰户次: department tasks − enterprise visits (held and remote visits are not made on site)."""
        return self.tasks - self.visits


@dataclass(frozen=True)
class PlannedVisit:
    """One visit of a plan with its enterprise, township, team, route position and tasks
    (``plan_visits_of_plan.sql``; the fields are its columns)."""

    id: int
    enterprise_id: int
    enterprise_name: str
    uscc: str
    address: str
    risk: str                      # high | elevated | general | low
    credit: str                    # A | B | C | D
    no_visit: bool                 # on the no-visit list: remote supervision only
    industry_code: str | None
    township_code: str | None
    township_name: str | None
    lng: float                     # WGS-84 degrees, the enterprise's position
    lat: float
    lead_department: str
    departments: list[str]
    items: list[str]
    reasons: list[str]
    earliest: date                 # the window the visit may be made in
    latest: date
    status: str                    # proposed | held | remote
    apart_reason: str              # why tasks of this enterprise were not merged into it ('' = merged)
    quota_flag: str                # the quota it breaks ('' = none)
    quota_alternative: str
    quota_exceeded_allowed: bool   # complaint/alert visits may exceed a quota (recorded)
    team_id: int | None            # routed: the team, its day, its stop number and on-site start
    team_name: str | None
    crew_team_ids: list[int]       # teams joining the lead team (joint crews)
    visit_date: date | None
    route_seq: int | None
    start_min: float | None        # planned on-site start, minutes from midnight
    unassigned_reason: str         # why routing left it out ('' = routed or not routed yet)
    code: str | None               # 行政行为码, once routed
    task_ids: list[int] | None     # the department tasks it carries out (None: none)


def _task(row: dict[str, Any]) -> Task:
    return Task(int(row["id"]), int(row["enterprise_id"]), row["department_code"], tuple(row["items"]),
                row["reason"], row["earliest"], row["latest"])


def _department_order(conn: psycopg.Connection[Any]) -> list[str]:
    return [r["code"] for r in department_rows(conn)]


def quota_matrix(conn: psycopg.Connection[Any], *, county_code: str) -> dict[tuple[str, str], int]:
    """The matrix in force for the county (its overrides over the defaults)."""
    return {(r["risk"], r["credit"]): int(r["max_visits"])
            for r in fetch_all(conn, "quota_matrix_of_county", {"county_code": county_code})}


def set_quota(conn: psycopg.Connection[Any], scope: Scope, *, risk: str, credit: str, max_visits: int) -> None:
    """Override one cell of the county's quota matrix (audited ``quota.set``)."""
    scope.require(Permission.PLAN)
    if not 0 <= max_visits <= 52:
        raise InvalidInput("max_visits: must be within 0..52")
    try:
        execute(conn, "quota_matrix_set", {"county_code": scope.county_code, "risk": risk, "credit": credit,
                                           "max_visits": max_visits})
    except psycopg.errors.CheckViolation as exc:
        raise InvalidInput(f"quota: unknown risk {risk!r} or credit {credit!r}") from exc
    audit.record_for(conn, scope, "quota.set", object_type="quota_matrix", object_id=f"{risk}×{credit}",
                     detail={"max_visits": max_visits})


def _standings(conn: psycopg.Connection[Any], scope: Scope, plan_id: int, year: int,
               enterprise_ids: Sequence[int]) -> tuple[dict[int, EnterpriseStanding], dict[int, str | None]]:
    rows = fetch_all(conn, "plan_enterprise_standings", {
        **scope.params, "plan_id": plan_id, "ids": list(enterprise_ids),
        "year_start": date(year, 1, 1), "year_end": date(year + 1, 1, 1)})
    standings = {int(r["id"]): EnterpriseStanding(r["risk"], r["credit"], bool(r["no_visit"]),
                                                  int(r["visits_this_year"])) for r in rows}
    townships = {int(r["id"]): r["township_code"] for r in rows}
    return standings, townships


def _write_visits(conn: psycopg.Connection[Any], scope: Scope, plan_id: int, year: int,
                  visits: Sequence[ProposedVisit], extra_apart: dict[int, str] | None = None) -> list[int]:
    """Insert proposed visits (quota-checked) with their task links; returns their new ids."""
    if not visits:
        return []
    enterprise_ids = sorted({v.enterprise_id for v in visits})
    standings, townships = _standings(conn, scope, plan_id, year, enterprise_ids)
    ids = [int(r["id"]) for r in fetch_all(conn, "plan_visit_ids_next", {"n": len(visits)})]
    flags: dict[int, QuotaFlag] = check_quotas(
        [QuotaVisit(ids[i], v.enterprise_id, v.earliest, v.reasons) for i, v in enumerate(visits)],
        standings, quota_matrix(conn, county_code=scope.county_code))
    with conn.cursor() as cur:
        with cur.copy("COPY plan_visits (id, plan_id, county_code, township_code, enterprise_id, lead_department,"
                      " departments, items, reasons, earliest, latest, status, apart_reason, quota_flag,"
                      " quota_alternative, quota_exceeded_allowed) FROM STDIN") as copy:
            for visit_id, v in zip(ids, visits, strict=True):
                flag = flags.get(visit_id)
                apart = (extra_apart or {}).get(min(v.task_ids)) or v.apart_reason
                if v.apart_from:
                    apart = f"{apart}: tasks {', '.join(map(str, v.apart_from))}"
                alternative = flag.alternative_text if flag else ""
                if flag and flag.alternative == "merge":
                    alternative = alternative.replace("#", "visit #")
                copy.write_row((visit_id, plan_id, scope.county_code, townships.get(v.enterprise_id),
                                v.enterprise_id, v.lead_department, list(v.departments), list(v.items),
                                list(v.reasons), v.earliest, v.latest,
                                "held" if flag and flag.held else "proposed", apart,
                                flag.reason if flag else "", alternative,
                                bool(flag and flag.exceeded_allowed)))
        with cur.copy("COPY plan_visit_tasks (plan_id, plan_visit_id, task_id, county_code) FROM STDIN") as copy:
            for visit_id, v in zip(ids, visits, strict=True):
                for task_id in v.task_ids:
                    copy.write_row((plan_id, visit_id, task_id, scope.county_code))
    return ids


def build_plan(conn: psycopg.Connection[Any], scope: Scope, *, period_start: date, period_end: date) -> int:
    """A new draft plan: the period's filed tasks (not yet in a plan) merged and quota-checked. Audited."""
    scope.require(Permission.PLAN)
    if period_end < period_start:
        raise InvalidInput("period: ends before it starts")
    if (period_end - period_start).days >= MAX_PERIOD_DAYS:
        raise InvalidInput(f"period: at most {MAX_PERIOD_DAYS} days")
    rows = fetch_all(conn, "tasks_filed_in_period", {**scope.params, "period_start": period_start,
                                                    "period_end": period_end})
    merged = merge_tasks([_task(r) for r in rows], period_start=period_start, period_end=period_end,
                         department_order=_department_order(conn))
    row = fetch_one(conn, "plan_insert", {"county_code": scope.county_code, "period_start": period_start,
                                          "period_end": period_end, "actor": scope.actor})
    assert row is not None
    plan_id = int(row["id"])
    _write_visits(conn, scope, plan_id, period_start.year, merged.visits)
    task_ids = [t for v in merged.visits for t in v.task_ids]
    execute(conn, "plan_tasks_attach", {"plan_id": plan_id, "task_ids": task_ids, "county_code": scope.county_code})
    conn.execute("UPDATE visit_plans SET task_count = %s, visit_count = %s WHERE id = %s",
                 (len(task_ids), len(merged.visits), plan_id))
    audit.record_for(conn, scope, "plan.create", object_type="visit_plan", object_id=plan_id,
                     detail={"period": [period_start.isoformat(), period_end.isoformat()],
                             "tasks": len(task_ids), "visits": len(merged.visits), "saving": merged.saving})
    return plan_id


def get_plan(conn: psycopg.Connection[Any], scope: Scope, plan_id: int) -> PlanSummary:
    row = fetch_one(conn, "plan_get", {"plan_id": plan_id, "county_code": scope.county_code})
    if row is None:
        raise NotFound(f"plan {plan_id} not found")
    return PlanSummary(int(row["id"]), row["status"], row["period_start"], row["period_end"], int(row["tasks"]),
                       int(row["visits"]), int(row["joint"]), int(row["held"]), int(row["remote"]),
                       int(row["exceeded"]), int(row["routed"]), int(row["unassigned"]), int(row["revision"]))


def list_plans(conn: psycopg.Connection[Any], scope: Scope, *, limit: int = 50) -> list[dict[str, Any]]:
    return fetch_all(conn, "plan_list", {"county_code": scope.county_code, "limit": limit})


def plan_visits(conn: psycopg.Connection[Any], scope: Scope, plan_id: int, *,
                day: date | None = None) -> list[PlannedVisit]:
    """The plan's visits (those of ``day`` if given) with enterprise, township, team, route position and task
    ids, in route order."""
    rows = fetch_all(conn, "plan_visits_of_plan", {**scope.params, "plan_id": plan_id, "day": day})
    return [PlannedVisit(**r) for r in rows]


def _draft(conn: psycopg.Connection[Any], scope: Scope, plan_id: int) -> PlanSummary:
    scope.require(Permission.PLAN)
    plan = get_plan(conn, scope, plan_id)
    if plan.status != "draft":
        raise Conflict(f"plan {plan_id} is {plan.status}; only a draft can be changed")
    conn.execute("SELECT id FROM visit_plans WHERE id = %s FOR UPDATE", (plan_id,))
    return plan


def _task_place(conn: psycopg.Connection[Any], scope: Scope, plan_id: int, task_id: int) -> dict[str, Any]:
    row = fetch_one(conn, "plan_task_enterprise", {"plan_id": plan_id, "task_id": task_id,
                                                   "county_code": scope.county_code})
    if row is None:
        raise NotFound(f"task {task_id} is not in plan {plan_id}")
    return row


def _rebuild(conn: psycopg.Connection[Any], scope: Scope, plan: PlanSummary, enterprise_id: int,
             groups: list[list[Task]], extra_apart: dict[int, str] | None = None) -> list[int]:
    order = _department_order(conn)
    visits = []
    for group in groups:
        visits.extend(partition_enterprise(group, order))
    execute(conn, "plan_visits_delete_enterprise", {"plan_id": plan.plan_id, "enterprise_id": enterprise_id})
    ids = _write_visits(conn, scope, plan.plan_id, plan.period_start.year, visits, extra_apart)
    conn.execute("UPDATE visit_plans SET visit_count = (SELECT count(*) FROM plan_visits WHERE plan_id = %s)"
                 " WHERE id = %s", (plan.plan_id, plan.plan_id))
    return ids


def split_task(conn: psycopg.Connection[Any], scope: Scope, plan_id: int, task_id: int) -> int:
    """Take a task out of its joint visit into a visit of its own; returns the new visit's id. Audited."""
    plan = _draft(conn, scope, plan_id)
    place = _task_place(conn, scope, plan_id, task_id)
    rows = fetch_all(conn, "plan_tasks_of_enterprise", {"plan_id": plan_id, "enterprise_id": place["enterprise_id"],
                                                        "county_code": scope.county_code})
    groups: dict[int, list[Task]] = {}
    for r in rows:
        if int(r["id"]) != task_id:
            groups.setdefault(int(r["plan_visit_id"]), []).append(_clip(_task(r), plan))
    alone = next(_clip(_task(r), plan) for r in rows if int(r["id"]) == task_id)
    ids = _rebuild(conn, scope, plan, int(place["enterprise_id"]), [*groups.values(), [alone]],
                   {task_id: SPLIT_REASON})
    audit.record_for(conn, scope, "plan.split", object_type="visit_plan", object_id=plan_id,
                     detail={"task_id": task_id})
    return ids[-1]


def _clip(task: Task, plan: PlanSummary) -> Task:
    return Task(task.id, task.enterprise_id, task.department, task.items, task.reason,
                max(task.earliest, plan.period_start), min(task.latest, plan.period_end))


def move_task_window(conn: psycopg.Connection[Any], scope: Scope, plan_id: int, task_id: int, *,
                     earliest: date, latest: date) -> None:
    """Move a task's window inside the plan's period and merge its enterprise's tasks again. Audited."""
    plan = _draft(conn, scope, plan_id)
    if earliest > latest:
        raise InvalidInput("window: earliest after latest")
    if earliest < plan.period_start or latest > plan.period_end:
        raise InvalidInput(f"window: must lie within the plan's period {plan.period_start}–{plan.period_end}")
    place = _task_place(conn, scope, plan_id, task_id)
    execute(conn, "plan_task_move_window", {"task_id": task_id, "earliest": earliest, "latest": latest,
                                            "county_code": scope.county_code, "plan_id": plan_id})
    rows = fetch_all(conn, "plan_tasks_of_enterprise", {"plan_id": plan_id, "enterprise_id": place["enterprise_id"],
                                                        "county_code": scope.county_code})
    _rebuild(conn, scope, plan, int(place["enterprise_id"]), [[_clip(_task(r), plan) for r in rows]])
    audit.record_for(conn, scope, "plan.move", object_type="visit_plan", object_id=plan_id,
                     detail={"task_id": task_id, "window": [earliest.isoformat(), latest.isoformat()]})


def set_visit_status(conn: psycopg.Connection[Any], scope: Scope, plan_id: int, visit_id: int, status: str) -> None:
    """``proposed`` (accept a held visit despite its quota flag) or ``remote`` (remote check). Audited."""
    if status not in ("proposed", "remote", "held"):
        raise InvalidInput(f"status: {status!r} is not proposed, remote or held")
    _draft(conn, scope, plan_id)
    row = fetch_one(conn, "plan_visit_set_status", {"status": status, "visit_id": visit_id, "plan_id": plan_id,
                                                    "county_code": scope.county_code})
    if row is None:
        raise NotFound(f"visit {visit_id} is not in plan {plan_id}")
    audit.record_for(conn, scope, "plan.visit_status", object_type="plan_visit", object_id=visit_id,
                     detail={"plan_id": plan_id, "status": status, "quota_flag": row["quota_flag"]})


def approve_plan(conn: psycopg.Connection[Any], scope: Scope, plan_id: int) -> PlanSummary:
    """Approve a draft plan (audited ``plan.approve``); its tasks become planned (or remote)."""
    plan = _draft(conn, scope, plan_id)
    execute(conn, "plan_approve", {"plan_id": plan_id, "county_code": scope.county_code, "actor": scope.actor})
    audit.record_for(conn, scope, "plan.approve", object_type="visit_plan", object_id=plan_id,
                     detail={"tasks": plan.tasks, "visits": plan.visits, "saving": plan.saving,
                             "held": plan.held, "remote": plan.remote})
    return get_plan(conn, scope, plan_id)


PLAN_EXPORT_FIELDS = ("id", "visit_date", "team_name", "route_seq", "start", "enterprise_name", "uscc",
                      "township_name", "lead_department", "departments", "items", "tasks", "reasons", "status",
                      "quota_flag", "quota_alternative", "apart_reason", "unassigned_reason", "code")


def plan_table(conn: psycopg.Connection[Any], scope: Scope, plan_id: int) -> Any:
    """The plan as a table for export (CSV/Excel): one row per visit, columns ``PLAN_EXPORT_FIELDS``, department
    and item codes as lists (``layers.tables.export_frame`` names them and heads the columns in a language)."""
    import pandas as pd

    get_plan(conn, scope, plan_id)
    rows = []
    for r in plan_visits(conn, scope, plan_id):
        start = r.start_min
        rows.append({**vars(r),
                     "start": f"{int(start) // 60:02d}:{int(start) % 60:02d}" if start is not None else "",
                     "departments": list(r.departments or ()), "items": list(r.items or ()),
                     "reasons": list(r.reasons or ()), "tasks": len(r.task_ids or [])})
    return pd.DataFrame(rows, columns=list(PLAN_EXPORT_FIELDS))


def department_rows(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    """Every task department with its names and its inspection items' codes and names."""
    return fetch_all(conn, "task_departments")


def _hhmm(minutes: float | None) -> str:
    """Minutes from midnight as HH:MM (a routed stop always has its start)."""
    return f"{int(minutes or 0) // 60:02d}:{int(minutes or 0) % 60:02d}"


ROUTE_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
                 "#7f7f7f", "#bcbd22")


def routed_days(conn: psycopg.Connection[Any], scope: Scope, plan_id: int) -> list[date]:
    """The days that have routes."""
    return sorted({r["visit_date"] for r in fetch_all(conn, "plan_team_days_of_plan",
                                                     {"plan_id": plan_id, "county_code": scope.county_code})})


def day_routes(conn: psycopg.Connection[Any], scope: Scope, plan_id: int, day: date) -> list[dict[str, Any]]:
    """One day's team routes for the map: base → numbered stops → base, as Leaflet ``[lat, lng]`` pairs."""
    days = [d for d in fetch_all(conn, "plan_team_days_of_plan", {"plan_id": plan_id, "county_code": scope.county_code})
            if d["visit_date"] == day]
    stops: dict[int, list[PlannedVisit]] = {}
    for v in plan_visits(conn, scope, plan_id, day=day):
        if v.team_id is not None:
            stops.setdefault(v.team_id, []).append(v)
    out = []
    for k, d in enumerate(days):
        own = sorted(stops.get(int(d["team_id"]), []), key=lambda v: v.route_seq or 0)
        base = [float(d["base_lat"]), float(d["base_lng"])]
        out.append({
            "team": d["team_name"] + (f" +{len(d['crew_team_ids'])}" if d["crew_team_ids"] else ""),
            "colour": ROUTE_COLOURS[k % len(ROUTE_COLOURS)],
            "positions": [base, *[[float(v.lat), float(v.lng)] for v in own], base],
            "stops": [{"seq": v.route_seq, "lat": float(v.lat), "lng": float(v.lng),
                       "label": f"{v.route_seq}. {v.enterprise_name} {_hhmm(v.start_min)}"} for v in own],
            "work_min": round(float(d["work_min"])), "travel_min": round(float(d["travel_min"])),
        })
    return out


# ------------------------------------------------------------------------------------------------ routing


def route_inputs(conn: psycopg.Connection[Any], scope: Scope, plan_id: int,
                 config: DayRouteConfig) -> tuple[list[PlanVisit], list[PlanTeam]]:
    """The plan's on-site visits and the county's teams, as ``enforcement.plan`` wants them."""
    visits = []
    for r in fetch_all(conn, "plan_route_inputs", {"plan_id": plan_id, "county_code": scope.county_code}):
        busy = r["busy_windows"] if isinstance(r["busy_windows"], list) else json.loads(r["busy_windows"])
        visits.append(PlanVisit(
            id=str(r["id"]), lng=float(r["lng"]), lat=float(r["lat"]),
            service_min=service_minutes([int(r["item_minutes"])], config.setup_min),
            windows=visit_windows(busy, config.shift_start_min, config.shift_end_min),
            departments=frozenset(r["departments"]), earliest=r["earliest"], latest=r["latest"]))
    teams = [PlanTeam(str(r["id"]), float(r["lng"]), float(r["lat"]), frozenset(r["qualifications"]),
                      squad=r["kind"] == "squad")
             for r in fetch_all(conn, "plan_teams", {"county_code": scope.county_code})]
    return visits, teams


def save_routes(conn: psycopg.Connection[Any], scope: Scope, plan_id: int, routes: PeriodRoutes) -> None:
    """Write the routes into the plan (replacing an earlier routing) and issue the visits' codes."""
    from geo_data import visit_codes

    execute(conn, "visit_codes_clear_plan", {"plan_id": plan_id, "county_code": scope.county_code})
    execute(conn, "plan_routes_clear", {"plan_id": plan_id, "county_code": scope.county_code})
    placed = routes.routed()
    rows = [{"id": int(vid), "plan_id": plan_id, "team_id": int(teams[0]), "visit_date": day, "route_seq": seq,
             "crew_team_ids": [int(t) for t in teams[1:]], "start_min": start, "unassigned_reason": ""}
            for vid, (day, teams, seq, start) in placed.items()]
    rows += [{"id": int(vid), "plan_id": plan_id, "team_id": None, "visit_date": None, "route_seq": None,
              "crew_team_ids": [], "start_min": None, "unassigned_reason": reason}
             for vid, reason in routes.unassigned.items()]
    with conn.cursor() as cur:
        cur.executemany(sql_text("plan_visit_set_route").encode(), rows)
        days = []
        for d in routes.days:
            for r in d.result.routes:
                teams = d.crews.get(r.vehicle_id, (r.vehicle_id,))
                days.append({"plan_id": plan_id, "team_id": int(teams[0]), "crew_team_ids": [int(t) for t in teams[1:]],
                             "visit_date": d.day, "depart_min": r.depart_min, "return_min": r.return_min,
                             "travel_min": r.travel_min, "work_min": r.work_min, "stops": len(r.stops)})
        cur.executemany(sql_text("plan_team_day_insert").encode(), days)
    visit_codes.issue_codes(conn, scope, plan_id)


def route_plan(conn: psycopg.Connection[Any], scope: Scope, plan_id: int, *,
               config: DayRouteConfig = DEFAULT_ROUTE_CONFIG, estimator: Any = None,
               progress: Any = None, days: Sequence[date] | None = None) -> PeriodRoutes:
    """Route an approved plan's visits into team day-routes, save them, issue codes. Audited ``plan.route``.

    ``days``: the days teams work (default: the period's working days, Monday–Friday)."""
    scope.require(Permission.PLAN)
    plan = get_plan(conn, scope, plan_id)
    if plan.status != "approved":
        raise Conflict(f"plan {plan_id} is {plan.status}; approve it before routing")
    visits, teams = route_inputs(conn, scope, plan_id, config)
    if days is None:
        days = working_days(plan.period_start, plan.period_end)
    routes = plan_period(visits, teams, days, estimator or default_estimator(), config, progress)
    save_routes(conn, scope, plan_id, routes)
    audit.record_for(conn, scope, "plan.route", object_type="visit_plan", object_id=plan_id,
                     detail={"routed": len(routes.routed()), "unassigned": len(routes.unassigned)})
    return routes


def default_estimator() -> Any:
    """Straight line × detour factor at road-class speeds (``geo_data.travel``'s rule and DispatchSettings
    parameters), vectorised for whole matrices."""
    from enforcement.plan import StraightLineMatrix
    from geo_data.settings import DispatchSettings

    d = DispatchSettings()
    return StraightLineMatrix(detour_factor=d.detour_factor, urban_kmh=d.urban_kmh, rural_kmh=d.rural_kmh,
                              highway_kmh=d.highway_kmh, urban_km=d.urban_km, rural_km=d.rural_km)


# --------------------------------------------------------------------------------------- background jobs


def route_job(conn: psycopg.Connection[Any], scope: Scope, *, plan_id: int | None = None,
              job_id: int | None = None) -> dict[str, Any] | None:
    """A routing job (or the latest of a plan) with status, progress 0..1 and message."""
    return fetch_one(conn, "route_job_get", {"county_code": scope.county_code, "job_id": job_id,
                                             "plan_id": plan_id})


def new_route_job(conn: psycopg.Connection[Any], scope: Scope, plan_id: int) -> int:
    """Record a routing job of an approved plan (a ``route_jobs`` row, its progress); NotFound for a plan outside
    the county, Conflict before approval. Queuing it is the caller's, in the same transaction
    (``services.planning.start_routing``)."""
    scope.require(Permission.PLAN)
    found = fetch_one(conn, "plan_get", {"plan_id": plan_id, "county_code": scope.county_code})
    if found is None:
        raise NotFound(f"plan {plan_id} not found")
    if found["status"] != "approved":
        raise Conflict(f"plan {plan_id} is {found['status']}; approve it before routing")
    row = fetch_one(conn, "route_job_insert", {"county_code": scope.county_code, "plan_id": plan_id,
                                               "actor": scope.actor})
    assert row is not None
    return int(row["id"])


def run_route_job(pool: ConnectionPool, scope: Scope, plan_id: int, job_id: int,
                  config: DayRouteConfig = DEFAULT_ROUTE_CONFIG, *, attempt: int = 1, final: bool = True,
                  check_stop: Callable[[], None] = lambda: None) -> bool:
    """The job body (run by the job worker): progress rows in their own short transactions, the routes, the
    codes and the job's "done" in ONE transaction. Returns False if the job was already done.

    Safe to run again for the same job (a retry after a lost worker): a run that did not commit left nothing
    behind, and a job that is done is not routed again — its routes and codes are stored once. ``check_stop``
    is called at each progress step and raises to interrupt the run (the worker is stopping). An error is
    recorded on the job and raised again (for the queue's retry decision); ``final`` says no retry follows.
    """

    def progress(fraction: float, message: str) -> None:
        check_stop()
        with transaction(pool) as c:
            execute(c, "route_job_update", {"job_id": job_id, "status": "running",
                                            "progress": min(0.99, max(0.0, fraction)), "message": message})

    try:
        progress(0.0, "started" if attempt == 1 else f"restarted (attempt {attempt})")
        with transaction(pool) as conn:
            execute(conn, "route_plan_lock", {"plan_id": plan_id, "county_code": scope.county_code})
            job = route_job(conn, scope, job_id=job_id)
            if job is None or job["status"] == "done":
                return False
            routes = route_plan(conn, scope, plan_id, config=config, progress=progress)
            execute(conn, "route_job_update", {
                "job_id": job_id, "status": "done", "progress": 1.0,
                "message": f"{len(routes.routed())} visits routed, {len(routes.unassigned)} unassigned"})
        return True
    except Exception as exc:
        if final or not route_job_retryable(exc):
            fail_route_job(pool, job_id, f"{type(exc).__name__}: {exc}")
        else:
            _note_retry(pool, job_id, f"interrupted ({type(exc).__name__}); will be retried")
        raise


def route_job_retryable(exc: BaseException) -> bool:
    """Whether a routing run that raised ``exc`` is worth another run: not for the product's own verdicts (plan
    not approved, gone, not allowed), which another run would repeat; yes for a database that was away, a
    stopping worker, or a fault of the process."""
    return not isinstance(exc, GridCommandError) or isinstance(exc, DatabaseUnavailable)


def fail_route_job(pool: ConnectionPool, job_id: int, message: str) -> None:
    """Record a routing job as failed (unless it is done); a database that is away leaves it as it was."""
    try:
        with transaction(pool) as c:
            execute(c, "route_job_update", {"job_id": job_id, "status": "failed", "progress": 1.0,
                                            "message": message[:500]})
    except DatabaseUnavailable:
        pass


def _note_retry(pool: ConnectionPool, job_id: int, message: str) -> None:
    try:
        with transaction(pool) as c:
            execute(c, "route_job_note", {"job_id": job_id, "message": message[:500]})
    except DatabaseUnavailable:
        pass
