"""Team day-routes for a planning period: which working day, which team, in what order.

Built on :mod:`enforcement.routing` (PyVRP). Pure: plain data in, plain data out; travel times come from a
pluggable estimator (``geo_data.travel.TravelTimeEstimator``: straight line × detour factor by default).

Per visit:
    * service time = sum of its items' ``service_minutes`` + ``setup_min`` (greeting, code shown, sign-off);
    * on-site windows = the team shift minus the industry's busy windows (e.g. restaurants not 11:00–13:30,
      17:00–19:30);
    * required departments = every department whose items it carries (a team must be qualified for all).

Joint crews: a joint visit may need departments no single team is qualified for (department squads carry one
department each); each day such visits get a crew — a township team joined by squads of the missing
departments (:func:`form_crews`), routed as one vehicle from the lead's base.

Days (rolling horizon): working days (Mon–Fri) are taken in order. On each day the candidates are the visits
not yet routed whose day window contains that day, earliest deadline first, capped at about 1.5× the day's
team capacity; a visit on its last possible day gets triple priority. Each day is one PyVRP solve over all
team-days; visits left over roll to the next day in their window. After the last day every visit still not
routed is listed with the reason from its last solve (or why it was never tried) — none is dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

import numpy as np

from enforcement.routing import (
    REASON_NO_TEAMS,
    RouteVehicle,
    RouteVisit,
    RoutingResult,
    check_feasibility,
    solve_routes,
)

REASON_NO_WORKING_DAY = "窗口内无工作日 no working day in the visit's window"
REASON_CAPACITY = "窗口内运力不足 not reached: more visits than team capacity in its window"

Progress = Callable[[float, str], None]


class TravelEstimator(Protocol):
    """Minutes from each origin (lng, lat) to one destination (lng, lat) (``geo_data.travel`` protocol)."""

    def minutes(self, origins: Sequence[tuple[float, float]], dest: tuple[float, float]) -> list[float]: ...


@dataclass(frozen=True)
class DayRouteConfig:
    shift_start_min: int = 8 * 60 + 30
    shift_end_min: int = 17 * 60 + 30
    max_work_min: int = 8 * 60
    setup_min: int = 10
    time_limit_per_day_s: float = 1.0
    seed: int = 0
    balance: bool = True
    capacity_factor: float = 1.5


@dataclass(frozen=True)
class PlanVisit:
    id: str
    lng: float
    lat: float
    service_min: int
    windows: tuple[tuple[int, int], ...]
    departments: frozenset[str]
    earliest: date
    latest: date


@dataclass(frozen=True)
class PlanTeam:
    """A team (or, per day, a joint crew: ``members`` lists the teams in it, the first one leads)."""

    id: str
    lng: float
    lat: float
    qualifications: frozenset[str]
    squad: bool = False
    members: tuple[str, ...] = ()

    @property
    def team_ids(self) -> tuple[str, ...]:
        return self.members or (self.id,)


@dataclass(frozen=True)
class DayRoutes:
    """One day's solve with everything needed to re-check it (``check_feasibility``)."""

    day: date
    matrix: np.ndarray
    visits: list[RouteVisit]
    vehicles: list[RouteVehicle]
    result: RoutingResult
    crews: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """vehicle id -> team ids (a joint crew has several; the first leads)."""

    def problems(self) -> list[str]:
        return check_feasibility(self.result, self.matrix, self.visits, self.vehicles)


@dataclass
class PeriodRoutes:
    days: list[DayRoutes] = field(default_factory=list)
    unassigned: dict[str, str] = field(default_factory=dict)

    def routed(self) -> dict[str, tuple[date, tuple[str, ...], int, float]]:
        """visit id -> (day, team ids (lead first), position 1.., on-site start minute)."""
        out: dict[str, tuple[date, tuple[str, ...], int, float]] = {}
        for d in self.days:
            for route in d.result.routes:
                teams = d.crews.get(route.vehicle_id, (route.vehicle_id,))
                for seq, stop in enumerate(route.stops, start=1):
                    out[stop.visit_id] = (d.day, teams, seq, stop.start_min)
        return out


def working_days(start: date, end: date, holidays: Iterable[date] = ()) -> list[date]:
    """Monday–Friday between ``start`` and ``end`` inclusive, minus ``holidays``."""
    off = set(holidays)
    days = []
    d = start
    while d <= end:
        if d.weekday() < 5 and d not in off:
            days.append(d)
        d += timedelta(days=1)
    return days


def _minutes(hhmm: str) -> int:
    h, m = hhmm.strip().split(":")
    return int(h) * 60 + int(m)


def visit_windows(busy: Sequence[Sequence[str]], shift_start_min: int, shift_end_min: int) -> tuple[tuple[int, int], ...]:
    """The shift minus the busy windows (``[["11:00", "13:30"], …]``), as on-site windows in minutes."""
    free = [(shift_start_min, shift_end_min)]
    for pair in busy:
        lo, hi = _minutes(pair[0]), _minutes(pair[1])
        nxt = []
        for a, b in free:
            if hi <= a or lo >= b:
                nxt.append((a, b))
                continue
            if a < lo:
                nxt.append((a, lo))
            if hi < b:
                nxt.append((hi, b))
        free = nxt
    return tuple(w for w in free if w[1] > w[0])


def service_minutes(item_minutes: Iterable[int], setup_min: int = 10) -> int:
    return int(sum(item_minutes)) + setup_min


def _crew(need: frozenset[str], group: Sequence[PlanVisit], free: Sequence[PlanTeam]) -> PlanTeam | None:
    """A crew for ``need`` near ``group``: the free township team covering most of it leads, one squad joins
    per department still missing; None when no lead or no free squad of a missing department is left."""
    lng = sum(v.lng for v in group) / len(group)
    lat = sum(v.lat for v in group) / len(group)
    leads = [t for t in free if not t.squad]
    if not leads:
        return None
    lead = min(leads, key=lambda t: (-len(t.qualifications & need), (t.lng - lng) ** 2 + (t.lat - lat) ** 2, t.id))
    joined: list[PlanTeam] = []
    for dept in sorted(need - lead.qualifications):
        if any(dept in j.qualifications for j in joined):
            continue
        squads = [t for t in free if t.squad and dept in t.qualifications and t not in joined]
        if not squads:
            return None
        joined.append(min(squads, key=lambda t: ((t.lng - lng) ** 2 + (t.lat - lat) ** 2, t.id)))
    members = (lead, *joined)
    return PlanTeam(id="+".join(m.id for m in members), lng=lead.lng, lat=lead.lat,
                    qualifications=frozenset().union(*(m.qualifications for m in members)),
                    members=tuple(m.id for m in members))


def form_crews(visits: Sequence[PlanVisit], teams: Sequence[PlanTeam], per_crew: int = 6) -> list[PlanTeam]:
    """The day's vehicles: single teams plus joint crews (联合检查组) for visits no single team may do alone.

    Department sets no single team covers are taken most frequent first; each gets one crew per ``per_crew``
    of its visits (a crew already formed for a larger set counts), as long as a township team and squads of
    the missing departments are free. A crew's members leave the pool for the day.
    """
    free = list(teams)
    crews: list[PlanTeam] = []
    demand: dict[frozenset[str], list[PlanVisit]] = {}
    for v in visits:
        if not any(v.departments <= t.qualifications for t in teams):
            demand.setdefault(v.departments, []).append(v)
    for need, group in sorted(demand.items(), key=lambda kv: (-len(kv[1]), sorted(kv[0]))):
        wanted = math.ceil(len(group) / per_crew)
        have = sum(1 for c in crews if need <= c.qualifications)
        while have < wanted:
            crew = _crew(need, group, free)
            if crew is None:
                break
            crews.append(crew)
            free = [t for t in free if t.id not in crew.members]
            have += 1
    return free + crews


class StraightLineMatrix:
    """Straight line × detour factor at road-class speeds, vectorised over a whole matrix.

    The same rule as ``geo_data.travel.StraightLineEstimator`` (haversine distance × ``detour_factor``; urban
    speed up to ``urban_km`` of road, rural up to ``rural_km``, highway beyond), computed with numpy so a
    day's 400 × 400 matrix costs milliseconds instead of a Python loop per pair.
    """

    EARTH_RADIUS_M = 6_371_008.8

    def __init__(self, *, detour_factor: float, urban_kmh: float, rural_kmh: float, highway_kmh: float,
                 urban_km: float, rural_km: float) -> None:
        self.detour, self.urban_kmh, self.rural_kmh, self.highway_kmh = detour_factor, urban_kmh, rural_kmh, highway_kmh
        self.urban_km, self.rural_km = urban_km, rural_km

    def matrix(self, points: Sequence[tuple[float, float]]) -> np.ndarray:
        lng = np.radians(np.array([p[0] for p in points], dtype=np.float64))
        lat = np.radians(np.array([p[1] for p in points], dtype=np.float64))
        dlat = lat[None, :] - lat[:, None]
        dlng = lng[None, :] - lng[:, None]
        a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlng / 2) ** 2
        metres = 2 * self.EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))
        road_km = metres * self.detour / 1000.0
        kmh = np.where(road_km <= self.urban_km, self.urban_kmh,
                       np.where(road_km <= self.rural_km, self.rural_kmh, self.highway_kmh))
        return np.asarray(road_km / kmh * 60.0, dtype=np.float64)

    def minutes(self, origins: Sequence[tuple[float, float]], dest: tuple[float, float]) -> list[float]:
        return [float(x) for x in self.matrix([*origins, dest])[:-1, -1]]


def travel_matrix(points: Sequence[tuple[float, float]], estimator: TravelEstimator) -> np.ndarray:
    """Minutes between every pair of (lng, lat) points (rows: from, columns: to).

    Uses the estimator's own ``matrix(points)`` when it has one (vectorised), else one call per destination.
    """
    whole = getattr(estimator, "matrix", None)
    if callable(whole):
        matrix = np.array(whole(points), dtype=np.float64)
        np.fill_diagonal(matrix, 0.0)
        return matrix
    n = len(points)
    matrix = np.zeros((n, n), dtype=np.float64)
    for j, dest in enumerate(points):
        matrix[:, j] = estimator.minutes(points, dest)
    np.fill_diagonal(matrix, 0.0)
    return matrix


def plan_period(
    visits: Sequence[PlanVisit],
    teams: Sequence[PlanTeam],
    days: Sequence[date],
    estimator: TravelEstimator,
    config: DayRouteConfig | None = None,
    progress: Progress | None = None,
) -> PeriodRoutes:
    """Route the period day by day (see module doc); every visit ends up routed or in ``unassigned``."""
    report = progress or (lambda f, m: None)
    config = config or DayRouteConfig()
    out = PeriodRoutes()
    pending = {v.id: v for v in visits}
    last_reason: dict[str, str] = {}
    day_set = sorted(days)
    for v in visits:
        if not any(v.earliest <= d <= v.latest for d in day_set):
            out.unassigned[v.id] = REASON_NO_WORKING_DAY
            pending.pop(v.id)
    vehicles_base = list(teams)
    mean_service = (sum(v.service_min for v in visits) / len(visits)) if visits else 60.0
    capacity = sum(config.max_work_min for _ in vehicles_base) / (mean_service + 20.0)
    cap = max(1, math.ceil(config.capacity_factor * capacity))
    for n, day in enumerate(day_set):
        report(n / max(1, len(day_set)), f"{day.isoformat()}: routing")
        todays = sorted((v for v in pending.values() if v.earliest <= day <= v.latest),
                        key=lambda v: (v.latest, v.earliest, v.id))[:cap]
        if not todays or not vehicles_base:
            continue
        later = {v.id: any(day < d <= v.latest for d in day_set) for v in todays}
        day_teams = form_crews(todays, vehicles_base)
        points = [(t.lng, t.lat) for t in day_teams] + [(v.lng, v.lat) for v in todays]
        matrix = travel_matrix(points, estimator)
        route_visits = [
            RouteVisit(id=v.id, node=len(day_teams) + i, service_min=v.service_min, windows=v.windows,
                       required_departments=v.departments, priority=1 if later[v.id] else 3, lat=v.lat, lng=v.lng)
            for i, v in enumerate(todays)
        ]
        vehicles = [
            RouteVehicle(id=t.id, depot=k, shift_start_min=config.shift_start_min,
                         shift_end_min=config.shift_end_min, max_work_min=config.max_work_min,
                         qualifications=t.qualifications)
            for k, t in enumerate(day_teams)
        ]
        result = solve_routes(matrix, route_visits, vehicles, time_limit_s=config.time_limit_per_day_s,
                              seed=config.seed + n, balance=config.balance)
        out.days.append(DayRoutes(day, matrix, route_visits, vehicles, result,
                                  {t.id: t.team_ids for t in day_teams}))
        for route in result.routes:
            for visit_id in route.visit_ids:
                pending.pop(visit_id, None)
        for visit_id, reason in result.unassigned:
            last_reason[visit_id] = reason
    for visit_id in pending:
        fallback = REASON_CAPACITY if vehicles_base else REASON_NO_TEAMS
        out.unassigned[visit_id] = last_reason.get(visit_id, fallback)
    report(1.0, f"{len(out.routed())} visits routed, {len(out.unassigned)} unassigned")
    return out
