"""Team day-routes (综合查一次 → 排线): which team visits which enterprise, in what order, at what time.

Pure functions over plain dataclasses; the solver is PyVRP (iterated local search, see ``docs/routing.md``
for the measurements behind that choice and for how each rule below is modelled).

Units and conventions
    * Times are **minutes from midnight** (Asia/Shanghai), travel is **minutes**; ``matrix_min[i, j]`` is the
      travel time from matrix row ``i`` to row ``j`` (asymmetric allowed). Depots (team bases) and visits both
      name a row of the matrix.
    * A visit's ``windows`` are the periods in which the team may be **on site**: the whole visit,
      ``[start, start + service_min]``, lies inside one window. Business peak hours are therefore expressed by
      leaving them out (a restaurant open 09:00–20:30 but not to be disturbed 11:00–13:30 and 17:00–19:30 has
      windows ``[(540, 660), (810, 1020), (1170, 1230)]``). No windows means "any time in the team's shift".
    * A team-day leaves its base at or after ``shift_start_min`` and is back by ``shift_end_min``; its
      working time is ``return - depart`` (travel, service and waiting on site) and is at most ``max_work_min``.
    * A visit may go only to a team whose ``qualifications`` contain all of its ``required_departments``.

Guarantee: every visit is either on exactly one route or in ``unassigned`` with a reason, and every route
passes :func:`check_feasibility`. Internally times are whole seconds; travel is rounded *up* to the second, so
a schedule the solver accepts is also feasible against the unrounded matrix.

The Solomon adapter at the end (:func:`read_solomon`, :func:`solve_solomon`) runs the same solver on the
published VRPTW benchmark so its quality can be measured (``bench/routing_solomon.py``).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
from pyvrp import (
    Client,
    ClientGroup,
    Depot,
    IteratedLocalSearchCallbacks,
    IteratedLocalSearchParams,
    Location,
    ProblemData,
    Route,
    Solution,
    SolveParams,
    VehicleType,
    solve,
)
from pyvrp.stop import MaxRuntime

from geo_data.errors import InvalidInput

Progress = Callable[[float, str], None]
"""``progress(fraction_done, message)``; ``fraction_done`` grows from 0.0 to 1.0."""

REASON_NO_TEAM = "no team qualified for departments {departments}"
REASON_WINDOW_TOO_SHORT = "no time window is long enough for the {service} min visit"
REASON_UNREACHABLE = "time window cannot be reached within any team's working hours"
REASON_TOO_LONG = "visit plus travel from the base exceeds every qualified team's working-time limit"
REASON_NO_TEAMS = "no team available"
REASON_DID_NOT_FIT = "capacity/time: did not fit in any route alongside the other visits"

SECONDS_PER_MINUTE = 60
BALANCE_OVERTIME_COST = 1
"""Cost of one second of work above a team's fair share, in seconds of travel (see ``docs/routing.md``)."""
BALANCE_SHARE = 0.5
"""Share of the time limit spent on the first (unbalanced) phase when balancing."""
_EPS_MIN = 1e-6


# --------------------------------------------------------------------------------------------------- model


@dataclass(frozen=True)
class RouteVisit:
    """One enterprise visit to plan.

    ``node`` is the visit's row in the travel matrix; ``lat``/``lng`` (WGS-84) are carried for the map only.
    ``priority`` (≥ 1) weighs what to keep when not everything fits: a priority-3 visit is kept before
    three priority-1 visits would be.
    """

    id: str
    node: int
    service_min: int
    windows: Sequence[tuple[int, int]] = ()
    required_departments: frozenset[str] = frozenset()
    priority: int = 1
    lat: float | None = None
    lng: float | None = None


@dataclass(frozen=True)
class RouteVehicle:
    """One team-day: starts and ends at its base (matrix row ``depot``), within its shift and work limit."""

    id: str
    depot: int
    shift_start_min: int
    shift_end_min: int
    max_work_min: int | None = None
    qualifications: frozenset[str] = frozenset()

    @property
    def work_limit_min(self) -> int:
        """Working-time limit in minutes; the shift length when no explicit limit is set."""
        shift = self.shift_end_min - self.shift_start_min
        return shift if self.max_work_min is None else min(self.max_work_min, shift)


@dataclass(frozen=True)
class RouteStop:
    """A visit on a route. ``window`` is the allowed on-site window used (``None``: the visit had none)."""

    visit_id: str
    arrival_min: float
    start_min: float
    departure_min: float
    window: tuple[int, int] | None

    @property
    def wait_min(self) -> float:
        return self.start_min - self.arrival_min


@dataclass(frozen=True)
class VehicleRoute:
    """A team-day's route: leave base at ``depart_min``, the stops in order, back at ``return_min``."""

    vehicle_id: str
    stops: list[RouteStop]
    depart_min: float
    return_min: float
    travel_min: float
    work_min: float

    @property
    def visit_ids(self) -> list[str]:
        return [stop.visit_id for stop in self.stops]


@dataclass(frozen=True)
class RoutingResult:
    """Routes of the team-days that got work, and every visit left out with its reason (input order)."""

    routes: list[VehicleRoute]
    unassigned: list[tuple[str, str]]
    runtime_s: float = 0.0

    @property
    def total_travel_min(self) -> float:
        return sum(route.travel_min for route in self.routes)

    @property
    def total_work_min(self) -> float:
        return sum(route.work_min for route in self.routes)


# ------------------------------------------------------------------------------------------ domain solver


@dataclass
class _Candidate:
    """A visit that passed screening: the teams that may take it and its start windows in seconds."""

    visit: RouteVisit
    vehicles: list[int]
    start_windows_s: list[tuple[int, int]]
    windows: list[tuple[int, int] | None]


@dataclass
class _Problem:
    data: ProblemData
    candidates: list[_Candidate]
    client_owner: list[tuple[int, int]] = field(default_factory=list)
    """For each PyVRP client: (candidate index, window index)."""


def solve_routes(
    matrix_min: np.ndarray,
    visits: Sequence[RouteVisit],
    vehicles: Sequence[RouteVehicle],
    *,
    time_limit_s: float,
    seed: int = 0,
    balance: bool = True,
    progress: Progress | None = None,
) -> RoutingResult:
    """Plan the team day-routes: serve as many visits as possible (weighted by priority), then least travel.

    With ``balance`` the second half of the time limit also charges every minute of work above a team's fair
    share (the mean working time over all team-days, capped at its limit) as one extra minute of travel.
    Raises :class:`~geo_data.errors.InvalidInput` for malformed input (bad matrix, unknown rows, duplicate
    ids, empty windows or shifts). Runs for about ``time_limit_s`` seconds; the result is reproducible for
    a given ``seed`` only up to how many iterations fit in the time.
    """
    started = time.perf_counter()
    report = progress or (lambda fraction, message: None)
    matrix = _checked_matrix(matrix_min)
    _check_inputs(matrix.shape[0], visits, vehicles)
    report(0.0, "screening visits")

    travel_s = np.ceil(matrix * SECONDS_PER_MINUTE - 1e-9).astype(np.int64)
    np.fill_diagonal(travel_s, 0)
    reasons: dict[str, str] = {}
    candidates: list[_Candidate] = []
    for visit in visits:
        candidate, reason = _screen(visit, vehicles, travel_s)
        if candidate is None:
            reasons[visit.id] = reason
        else:
            candidates.append(candidate)

    routes: list[VehicleRoute] = []
    if candidates:
        problem = _build_problem(travel_s, candidates, vehicles, balance=balance)
        remaining = max(0.05, time_limit_s - (time.perf_counter() - started))
        best = _search(problem, vehicles, remaining, seed=seed, balance=balance, report=report)
        routes = _extract_routes(best, problem, vehicles, matrix)

    routed = {visit_id for route in routes for visit_id in route.visit_ids}
    for candidate in candidates:
        if candidate.visit.id not in routed:
            reasons[candidate.visit.id] = REASON_DID_NOT_FIT
    unassigned = [(visit.id, reasons[visit.id]) for visit in visits if visit.id in reasons]
    report(1.0, f"{len(routed)} visits on {len(routes)} routes, {len(unassigned)} unassigned")
    return RoutingResult(routes=routes, unassigned=unassigned, runtime_s=time.perf_counter() - started)


def _checked_matrix(matrix_min: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix_min, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise InvalidInput(f"travel matrix must be square, got shape {matrix.shape}")
    if not np.all(np.isfinite(matrix)) or np.any(matrix < 0):
        raise InvalidInput("travel matrix must hold finite, non-negative minutes")
    return matrix


def _check_inputs(size: int, visits: Sequence[RouteVisit], vehicles: Sequence[RouteVehicle]) -> None:
    problems: list[str] = []
    for kind, ids in (("visit", [v.id for v in visits]), ("team-day", [v.id for v in vehicles])):
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            problems.append(f"duplicate {kind} ids: {', '.join(duplicates)}")
    for visit in visits:
        if not 0 <= visit.node < size:
            problems.append(f"visit {visit.id}: matrix row {visit.node} outside 0..{size - 1}")
        if visit.service_min < 0:
            problems.append(f"visit {visit.id}: negative service time")
        if visit.priority < 1:
            problems.append(f"visit {visit.id}: priority must be at least 1")
        problems.extend(
            f"visit {visit.id}: window {w} ends before it starts" for w in visit.windows if w[1] < w[0]
        )
    for vehicle in vehicles:
        if not 0 <= vehicle.depot < size:
            problems.append(f"team-day {vehicle.id}: base row {vehicle.depot} outside 0..{size - 1}")
        if vehicle.shift_end_min <= vehicle.shift_start_min:
            problems.append(f"team-day {vehicle.id}: shift ends before it starts")
        if vehicle.max_work_min is not None and vehicle.max_work_min <= 0:
            problems.append(f"team-day {vehicle.id}: working-time limit must be positive")
    if problems:
        raise InvalidInput("; ".join(problems))


def _screen(
    visit: RouteVisit, vehicles: Sequence[RouteVehicle], travel_s: np.ndarray
) -> tuple[_Candidate | None, str]:
    """Which teams could do this visit alone (base → visit → base) in which window; else why none can."""
    if not vehicles:
        return None, REASON_NO_TEAMS
    qualified = [k for k, v in enumerate(vehicles) if visit.required_departments <= v.qualifications]
    if not qualified:
        departments = "{" + ", ".join(sorted(visit.required_departments)) + "}"
        return None, REASON_NO_TEAM.format(departments=departments)

    service_s = visit.service_min * SECONDS_PER_MINUTE
    declared: list[tuple[int, int] | None] = list(visit.windows) if visit.windows else [None]
    long_enough = [w for w in declared if w is None or w[1] - w[0] >= visit.service_min]
    if not long_enough:
        return None, REASON_WINDOW_TOO_SHORT.format(service=visit.service_min)

    usable_vehicles: set[int] = set()
    usable_windows: list[tuple[int, int] | None] = []
    any_in_hours = False
    for window in long_enough:
        window_ok = False
        for k in qualified:
            vehicle = vehicles[k]
            out = int(travel_s[vehicle.depot, visit.node])
            back = int(travel_s[visit.node, vehicle.depot])
            shift_start = vehicle.shift_start_min * SECONDS_PER_MINUTE
            shift_end = vehicle.shift_end_min * SECONDS_PER_MINUTE
            opens, closes = (shift_start, shift_end) if window is None else _window_s(window)
            earliest = max(opens, shift_start + out)
            latest = min(closes - service_s, shift_end - back - service_s)
            if earliest > latest:
                continue
            any_in_hours = True
            if out + service_s + back <= vehicle.work_limit_min * SECONDS_PER_MINUTE:
                window_ok = True
                usable_vehicles.add(k)
        if window_ok:
            usable_windows.append(window)
    if not usable_windows:
        return None, REASON_TOO_LONG if any_in_hours else REASON_UNREACHABLE

    horizon = max(v.shift_end_min for v in vehicles) * SECONDS_PER_MINUTE
    start_windows = []
    for window in usable_windows:
        opens, closes = (0, horizon) if window is None else _window_s(window)
        start_windows.append((opens, closes - service_s))
    candidate = _Candidate(visit, sorted(usable_vehicles), start_windows, usable_windows)
    return candidate, ""


def _window_s(window: tuple[int, int]) -> tuple[int, int]:
    return window[0] * SECONDS_PER_MINUTE, window[1] * SECONDS_PER_MINUTE


def _build_problem(
    travel_s: np.ndarray, candidates: list[_Candidate], vehicles: Sequence[RouteVehicle], *, balance: bool
) -> _Problem:
    """PyVRP data: one optional client per (visit, window), grouped per visit; one profile per team set.

    * Several windows: the copies of a visit form a mutually exclusive client group, so at most one is
      served.
    * Qualifications: every vehicle type gets the routing profile of the visits it may not take; in that
      profile all edges into and out of those visits cost more than any prize and take longer than any
      shift, so using one makes the route infeasible (and :func:`_extract_routes` re-checks).
    * Serve first, travel second: a visit's prize exceeds the most a single visit can add to the routing
      cost (all travel, plus overtime charges, fit within one team's working-time limit).
    """
    depot_nodes = sorted({v.depot for v in vehicles})
    depot_index = {node: i for i, node in enumerate(depot_nodes)}
    nodes = depot_nodes + [c.visit.node for c in candidates]
    base = travel_s[np.ix_(nodes, nodes)].copy()
    np.fill_diagonal(base, 0)

    max_work_s = max(v.work_limit_min for v in vehicles) * SECONDS_PER_MINUTE
    overtime_cost = BALANCE_OVERTIME_COST if balance else 0
    prize_unit = (1 + overtime_cost) * max_work_s + 1
    horizon = max(v.shift_end_min for v in vehicles) * SECONDS_PER_MINUTE
    max_priority = max(c.visit.priority for c in candidates)
    forbidden = 2 * horizon + 2 * prize_unit * max_priority * len(candidates) + 1

    locations = [Location(0.0, 0.0, name=f"base:{node}") for node in depot_nodes]
    locations += [Location(c.visit.lng or 0.0, c.visit.lat or 0.0, name=c.visit.id) for c in candidates]
    clients: list[Client] = []
    groups: list[ClientGroup] = []
    owner: list[tuple[int, int]] = []
    for ci, candidate in enumerate(candidates):
        group_idx = None
        if len(candidate.start_windows_s) > 1:
            group_idx = len(groups)
            groups.append(ClientGroup(required=False, name=candidate.visit.id))
        for wi, (opens, latest_start) in enumerate(candidate.start_windows_s):
            if group_idx is not None:
                groups[group_idx].add_client(len(clients))
            clients.append(
                Client(
                    location=len(depot_nodes) + ci,
                    service_duration=candidate.visit.service_min * SECONDS_PER_MINUTE,
                    tw_early=opens,
                    tw_late=latest_start,
                    prize=prize_unit * candidate.visit.priority,
                    required=False,
                    group=group_idx,
                    name=candidate.visit.id,
                )
            )
            owner.append((ci, wi))

    # One matrix per distinct set of forbidden visits; teams with the same set share it.
    profile_of: dict[frozenset[int], int] = {}
    matrices: list[np.ndarray] = []
    vehicle_types: list[VehicleType] = []
    for k, vehicle in enumerate(vehicles):
        banned = frozenset(ci for ci, c in enumerate(candidates) if k not in c.vehicles)
        if banned not in profile_of:
            profile_of[banned] = len(matrices)
            matrix = base.copy()
            rows = [len(depot_nodes) + ci for ci in banned]
            matrix[rows, :] = forbidden
            matrix[:, rows] = forbidden
            np.fill_diagonal(matrix, 0)
            matrices.append(matrix)
        depot = depot_index[vehicle.depot]
        vehicle_types.append(
            VehicleType(
                num_available=1,
                start_depot=depot,
                end_depot=depot,
                tw_early=vehicle.shift_start_min * SECONDS_PER_MINUTE,
                tw_late=vehicle.shift_end_min * SECONDS_PER_MINUTE,
                shift_duration=vehicle.work_limit_min * SECONDS_PER_MINUTE,
                profile=profile_of[banned],
                name=vehicle.id,
            )
        )

    depots = [Depot(location=i, name=f"base:{node}") for i, node in enumerate(depot_nodes)]
    # PyVRP's stubs annotate matrices as ``ndarray[int]``; ours are int64 ndarrays, as it expects.
    int_matrices = cast(list[Any], matrices)
    data = ProblemData(locations, clients, depots, vehicle_types, int_matrices, int_matrices, groups)
    return _Problem(data=data, candidates=candidates, client_owner=owner)


class _ProgressCallbacks(IteratedLocalSearchCallbacks):
    """Forwards solver progress at most every quarter second."""

    def __init__(self, report: Progress, first: float, share: float, seconds: float, message: str) -> None:
        self._report = report
        self._first = first
        self._share = share
        self._seconds = seconds
        self._message = message
        self._started = time.perf_counter()
        self._last = 0.0

    def on_iteration(
        self, current: Solution, candidate: Solution, best: Solution, cost_evaluator: object
    ) -> None:
        now = time.perf_counter()
        if now - self._last >= 0.25:
            self._last = now
            done = min(1.0, (now - self._started) / self._seconds) if self._seconds > 0 else 1.0
            self._report(self._first + self._share * done, self._message)


def _search(
    problem: _Problem,
    vehicles: Sequence[RouteVehicle],
    seconds: float,
    *,
    seed: int,
    balance: bool,
    report: Progress,
) -> Solution:
    """Phase 1: most visits, least travel. Phase 2 (balance): same, plus overtime above the fair share."""
    data = problem.data
    two_phases = balance and len(vehicles) > 1
    first = seconds * (BALANCE_SHARE if two_phases else 1.0)
    best = _run(
        data, first, seed, None, _ProgressCallbacks(report, 0.0, 0.9 * first / seconds, first, "routing")
    )
    if not two_phases or not best.is_feasible():
        return best

    durations = [route.duration() for route in best.routes()]
    fair_share = math.ceil(sum(durations) / len(vehicles))
    balanced_types = []
    for vehicle_type in data.vehicle_types():
        limit = vehicle_type.shift_duration
        target = min(limit, fair_share)
        balanced_types.append(
            vehicle_type.replace(
                shift_duration=target, max_overtime=limit - target, unit_overtime_cost=BALANCE_OVERTIME_COST
            )
        )
    balanced = data.replace(vehicle_types=balanced_types)
    warm = Solution(balanced, [_rebuild_route(balanced, route) for route in best.routes()])
    rest = seconds - first
    callbacks = _ProgressCallbacks(
        report, 0.9 * first / seconds, 0.9 * rest / seconds, rest, "balancing workloads"
    )
    balanced_best = _run(balanced, rest, seed + 1, warm, callbacks)
    return balanced_best if balanced_best.is_feasible() else best


def _rebuild_route(data: ProblemData, route: Route) -> Route:
    visits = [activity.idx for activity in route if activity.is_client()]
    return Route(data, visits, route.vehicle_type())


def _run(
    data: ProblemData,
    seconds: float,
    seed: int,
    initial: Solution | None,
    callbacks: IteratedLocalSearchCallbacks,
) -> Solution:
    params = SolveParams(ils=IteratedLocalSearchParams(callbacks=callbacks))
    result = solve(
        data,
        MaxRuntime(max(0.01, seconds)),
        seed=seed,
        collect_stats=False,
        display=False,
        params=params,
        initial_solution=initial,
    )
    return result.best


def _extract_routes(
    solution: Solution, problem: _Problem, vehicles: Sequence[RouteVehicle], matrix: np.ndarray
) -> list[VehicleRoute]:
    """Routes in minutes, re-checked against the unrounded matrix; a failing route is dropped (never seen)."""
    routes: list[VehicleRoute] = []
    if not solution.is_feasible():
        return routes
    visits = [c.visit for c in problem.candidates]
    for route in solution.routes():
        vehicle = vehicles[route.vehicle_type()]
        stops: list[RouteStop] = []
        path = [vehicle.depot]
        for activity in route:
            if not activity.is_client():
                continue
            ci, wi = problem.client_owner[activity.idx]
            candidate = problem.candidates[ci]
            start = activity.start_time / SECONDS_PER_MINUTE
            stops.append(
                RouteStop(
                    visit_id=candidate.visit.id,
                    arrival_min=(activity.start_time - activity.wait_duration) / SECONDS_PER_MINUTE,
                    start_min=start,
                    departure_min=activity.end_time / SECONDS_PER_MINUTE,
                    window=candidate.windows[wi],
                )
            )
            path.append(candidate.visit.node)
        if not stops:
            continue
        path.append(vehicle.depot)
        depart = route.start_time() / SECONDS_PER_MINUTE
        back = route.end_time() / SECONDS_PER_MINUTE
        travel = float(sum(matrix[a, b] for a, b in zip(path, path[1:], strict=False)))
        candidate_route = VehicleRoute(vehicle.id, stops, depart, back, travel, back - depart)
        if not _route_problems(candidate_route, vehicle, {v.id: v for v in visits}, matrix):
            routes.append(candidate_route)
    return routes


# ----------------------------------------------------------------------------------------------- checker


def check_feasibility(
    result: RoutingResult,
    matrix_min: np.ndarray,
    visits: Sequence[RouteVisit],
    vehicles: Sequence[RouteVehicle],
) -> list[str]:
    """Every broken rule in ``result``, as sentences; empty when the plan is feasible.

    Independent of the solver: recomputes the schedule checks from the matrix (minutes, 1e-6 tolerance) —
    shift and working-time limits, on-site windows, travel times between consecutive stops, qualifications,
    each visit at most once, every visit either routed or unassigned with a reason, and the reported travel
    and work minutes.
    """
    matrix = np.asarray(matrix_min, dtype=np.float64)
    problems: list[str] = []
    by_visit = {v.id: v for v in visits}
    by_vehicle = {v.id: v for v in vehicles}
    seen_vehicles: set[str] = set()
    routed: dict[str, str] = {}
    for route in result.routes:
        vehicle = by_vehicle.get(route.vehicle_id)
        if vehicle is None:
            problems.append(f"route for unknown team-day {route.vehicle_id}")
            continue
        if route.vehicle_id in seen_vehicles:
            problems.append(f"team-day {route.vehicle_id} has more than one route")
        seen_vehicles.add(route.vehicle_id)
        for stop in route.stops:
            if stop.visit_id not in by_visit:
                problems.append(f"route {route.vehicle_id}: unknown visit {stop.visit_id}")
            elif stop.visit_id in routed:
                problems.append(
                    f"visit {stop.visit_id} routed twice ({routed[stop.visit_id]}, {route.vehicle_id})"
                )
            else:
                routed[stop.visit_id] = route.vehicle_id
        problems.extend(_route_problems(route, vehicle, by_visit, matrix))

    unassigned_ids = [visit_id for visit_id, _ in result.unassigned]
    for visit_id, reason in result.unassigned:
        if visit_id not in by_visit:
            problems.append(f"unknown visit {visit_id} listed as unassigned")
        if not reason.strip():
            problems.append(f"visit {visit_id} unassigned without a reason")
        if visit_id in routed:
            problems.append(f"visit {visit_id} is both routed and unassigned")
    if len(set(unassigned_ids)) != len(unassigned_ids):
        problems.append("a visit is listed as unassigned more than once")
    missing = [v.id for v in visits if v.id not in routed and v.id not in set(unassigned_ids)]
    if missing:
        problems.append(f"visits neither routed nor unassigned: {', '.join(missing)}")
    return problems


def _route_problems(
    route: VehicleRoute, vehicle: RouteVehicle, by_visit: dict[str, RouteVisit], matrix: np.ndarray
) -> list[str]:
    name = route.vehicle_id
    problems: list[str] = []
    if route.depart_min < vehicle.shift_start_min - _EPS_MIN:
        problems.append(f"route {name}: leaves base at {route.depart_min:.2f} before the shift starts")
    clock = route.depart_min
    here = vehicle.depot
    travel = 0.0
    for stop in route.stops:
        visit = by_visit.get(stop.visit_id)
        if visit is None:
            continue
        label = f"route {name}, visit {visit.id}"
        if not visit.required_departments <= vehicle.qualifications:
            missing = ", ".join(sorted(visit.required_departments - vehicle.qualifications))
            problems.append(f"{label}: team lacks qualification for {missing}")
        leg = float(matrix[here, visit.node])
        travel += leg
        if stop.arrival_min < clock + leg - _EPS_MIN:
            problems.append(
                f"{label}: arrives at {stop.arrival_min:.2f}, earliest possible is {clock + leg:.2f}"
            )
        if stop.start_min < stop.arrival_min - _EPS_MIN:
            problems.append(f"{label}: starts before arriving")
        if stop.departure_min < stop.start_min + visit.service_min - _EPS_MIN:
            problems.append(f"{label}: leaves before the {visit.service_min} min service is done")
        inside = any(
            lo - _EPS_MIN <= stop.start_min and stop.start_min + visit.service_min <= hi + _EPS_MIN
            for lo, hi in visit.windows
        )
        if visit.windows and not inside:
            problems.append(
                f"{label}: on site {stop.start_min:.2f}–{stop.start_min + visit.service_min:.2f} "
                f"outside the allowed windows {list(visit.windows)}"
            )
        clock = stop.departure_min
        here = visit.node
    leg = float(matrix[here, vehicle.depot])
    travel += leg
    if route.return_min < clock + leg - _EPS_MIN:
        problems.append(
            f"route {name}: back at base at {route.return_min:.2f}, earliest possible {clock + leg:.2f}"
        )
    if route.return_min > vehicle.shift_end_min + _EPS_MIN:
        problems.append(f"route {name}: back at {route.return_min:.2f}, after the shift ends")
    work = route.return_min - route.depart_min
    if work > vehicle.work_limit_min + _EPS_MIN:
        problems.append(
            f"route {name}: {work:.2f} min of work exceeds the {vehicle.work_limit_min} min limit"
        )
    if abs(route.work_min - work) > 1e-4:
        problems.append(f"route {name}: reports {route.work_min:.2f} work minutes, schedule says {work:.2f}")
    if abs(route.travel_min - travel) > 1e-4:
        problems.append(
            f"route {name}: reports {route.travel_min:.2f} travel minutes, matrix says {travel:.2f}"
        )
    return problems


# ---------------------------------------------------------------------------------------- Solomon VRPTW


SOLOMON_SCALE = 10_000
"""Solomon distances are Euclidean in double precision; PyVRP needs integers, so they are scaled by this."""


@dataclass(frozen=True, eq=False)
class SolomonInstance:
    """A Solomon VRPTW instance; row 0 is the depot. Travel time equals Euclidean distance."""

    name: str
    num_vehicles: int
    capacity: int
    x: np.ndarray
    y: np.ndarray
    demand: np.ndarray
    ready: np.ndarray
    due: np.ndarray
    service: np.ndarray

    @property
    def num_customers(self) -> int:
        return len(self.x) - 1

    def distances(self) -> np.ndarray:
        """Euclidean distance matrix in double precision (no rounding or truncation)."""
        dx = self.x[:, None] - self.x[None, :]
        dy = self.y[:, None] - self.y[None, :]
        return np.asarray(np.sqrt(dx * dx + dy * dy), dtype=np.float64)


def read_solomon(path: str | Path) -> SolomonInstance:
    """Parse a Solomon ``.txt`` file (name line, VEHICLE NUMBER/CAPACITY, CUSTOMER table of 7 columns)."""
    text = Path(path).read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    number = re.compile(r"^-?\d+(\.\d+)?$")
    vehicle_line: list[str] | None = None
    rows: list[list[float]] = []
    for line in lines:
        tokens = line.split()
        if not all(number.match(t) for t in tokens):
            continue
        if len(tokens) == 2 and vehicle_line is None:
            vehicle_line = tokens
        elif len(tokens) == 7:
            rows.append([float(t) for t in tokens])
    if vehicle_line is None or len(rows) < 2:
        raise InvalidInput(f"{path}: not a Solomon instance (vehicle line or customer table missing)")
    table = np.array(rows, dtype=np.float64)
    if not np.array_equal(table[:, 0], np.arange(len(table))):
        raise InvalidInput(f"{path}: customer numbers must run 0..n in order")
    return SolomonInstance(
        name=lines[0].split()[0],
        num_vehicles=int(vehicle_line[0]),
        capacity=int(vehicle_line[1]),
        x=table[:, 1],
        y=table[:, 2],
        demand=table[:, 3].astype(np.int64),
        ready=table[:, 4],
        due=table[:, 5],
        service=table[:, 6],
    )


def solomon_cost(instance: SolomonInstance, routes: Sequence[Sequence[int]]) -> float:
    """Total Euclidean distance of ``routes`` (customer numbers, depot implied at both ends)."""
    dist = instance.distances()
    total = 0.0
    for route in routes:
        path = [0, *route, 0]
        total += float(sum(dist[a, b] for a, b in zip(path, path[1:], strict=False)))
    return total


def solve_solomon(
    instance: SolomonInstance, time_limit_s: float, seed: int = 0
) -> tuple[list[list[int]], float]:
    """Minimise total distance with the instance's fleet (no vehicle-count objective), within the limit.

    Distances are scaled by :data:`SOLOMON_SCALE` and rounded for the cost; travel times are rounded *up* so
    every schedule PyVRP accepts is feasible in double precision. The returned cost is recomputed in double
    precision from the routes. ``time_limit_s`` bounds the whole call, model building included.
    """
    started = time.perf_counter()
    dist = instance.distances()
    scaled = dist * SOLOMON_SCALE
    distance = np.round(scaled).astype(np.int64)
    duration = np.ceil(scaled - 1e-6).astype(np.int64)
    np.fill_diagonal(distance, 0)
    np.fill_diagonal(duration, 0)

    def ticks(values: np.ndarray) -> list[int]:
        return [int(v) for v in np.round(values * SOLOMON_SCALE)]

    ready, due, service = ticks(instance.ready), ticks(instance.due), ticks(instance.service)
    locations = [Location(float(x), float(y)) for x, y in zip(instance.x, instance.y, strict=True)]
    clients = [
        Client(
            location=i,
            delivery=[int(instance.demand[i])],
            service_duration=service[i],
            tw_early=ready[i],
            tw_late=due[i],
        )
        for i in range(1, len(locations))
    ]
    depots = [Depot(location=0, tw_early=ready[0], tw_late=due[0])]
    vehicle_type = VehicleType(
        num_available=instance.num_vehicles,
        capacity=[instance.capacity],
        tw_early=ready[0],
        tw_late=due[0],
    )
    # PyVRP's stubs annotate matrices as ``ndarray[int]``; ours are int64 ndarrays, as it expects.
    distances: list[Any] = [distance]
    durations: list[Any] = [duration]
    data = ProblemData(locations, clients, depots, [vehicle_type], distances, durations)
    remaining = time_limit_s - (time.perf_counter() - started) - 0.02
    best = _run(data, remaining, seed, None, IteratedLocalSearchCallbacks())
    routes = [[activity.idx + 1 for activity in route if activity.is_client()] for route in best.routes()]
    routes = [route for route in routes if route]
    return routes, solomon_cost(instance, routes)


def check_solomon_solution(instance: SolomonInstance, routes: Sequence[Sequence[int]]) -> list[str]:
    """Every broken rule, in double precision: fleet size, capacity, time windows, each customer exactly once."""
    dist = instance.distances()
    problems: list[str] = []
    if len(routes) > instance.num_vehicles:
        problems.append(f"{len(routes)} routes but only {instance.num_vehicles} vehicles")
    served = [c for route in routes for c in route]
    if sorted(served) != list(range(1, instance.num_customers + 1)):
        twice = sorted({c for c in served if served.count(c) > 1})
        missing = sorted(set(range(1, instance.num_customers + 1)) - set(served))
        problems.append(f"customers served twice {twice}, missing {missing}")
    for r, route in enumerate(routes):
        if any(not 1 <= c <= instance.num_customers for c in route):
            problems.append(f"route {r}: unknown customer")
            continue
        load = int(sum(instance.demand[c] for c in route))
        if load > instance.capacity:
            problems.append(f"route {r}: load {load} exceeds capacity {instance.capacity}")
        clock = float(instance.ready[0])
        here = 0
        for c in route:
            clock = max(clock + dist[here, c], float(instance.ready[c]))
            if clock > instance.due[c] + 1e-6:
                problems.append(f"route {r}: customer {c} served at {clock:.4f} after due {instance.due[c]}")
            clock += float(instance.service[c])
            here = c
        clock += dist[here, 0]
        if clock > instance.due[0] + 1e-6:
            problems.append(f"route {r}: back at depot at {clock:.4f} after {instance.due[0]}")
    return problems
