"""Team day-routes in enforcement.routing: qualifications, on-site windows, working time, reasons, quality.

Small crafted scenarios (bases and enterprises on a plane, travel minutes = Euclidean distance) plus two
Solomon instances solved against their best known distance. Every result is also run through the
independent checker.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from enforcement.routing import (
    REASON_DID_NOT_FIT,
    REASON_TOO_LONG,
    REASON_UNREACHABLE,
    RouteVehicle,
    RouteVisit,
    RoutingResult,
    check_feasibility,
    check_solomon_solution,
    read_solomon,
    solve_routes,
    solve_solomon,
)
from geo_data.errors import InvalidInput

SOLOMON = Path(__file__).resolve().parents[3] / "shared/data/solomon"
MARKET, SAFETY, ECOLOGY = "市场监管", "应急管理", "生态环境"
LUNCH_PEAK, DINNER_PEAK = (660, 810), (1020, 1170)  # 11:00–13:30, 17:00–19:30
RESTAURANT_WINDOWS = [(540, 660), (810, 1020), (1170, 1230)]


def travel_matrix(points: Sequence[tuple[float, float]]) -> np.ndarray:
    """Travel minutes between points given in 'minutes' on a plane."""
    xy = np.array(points, dtype=float)
    return np.asarray(np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1)))


def solve_and_check(
    matrix: np.ndarray,
    visits: list[RouteVisit],
    vehicles: list[RouteVehicle],
    *,
    time_limit_s: float = 0.5,
    balance: bool = True,
) -> RoutingResult:
    result = solve_routes(matrix, visits, vehicles, time_limit_s=time_limit_s, balance=balance)
    assert check_feasibility(result, matrix, visits, vehicles) == []
    return result


def route_of(result: RoutingResult) -> dict[str, str]:
    return {visit_id: route.vehicle_id for route in result.routes for visit_id in route.visit_ids}


def test_joint_visit_goes_only_to_a_team_qualified_for_every_department() -> None:
    # Team "market" sits right next to the joint visit; only team "joint" may do it.
    matrix = travel_matrix([(0, 0), (50, 0), (1, 0), (2, 0), (49, 0)])
    market = RouteVehicle("market", 0, 480, 1020, qualifications=frozenset({MARKET}))
    joint = RouteVehicle("joint", 1, 480, 1020, qualifications=frozenset({MARKET, SAFETY}))
    visits = [
        RouteVisit("joint-visit", 2, 30, required_departments=frozenset({MARKET, SAFETY})),
        RouteVisit("market-visit", 3, 30, required_departments=frozenset({MARKET})),
        RouteVisit("ecology-visit", 4, 30, required_departments=frozenset({ECOLOGY, MARKET})),
    ]
    result = solve_and_check(matrix, visits, [market, joint])

    assert route_of(result)["joint-visit"] == "joint"
    assert route_of(result)["market-visit"] == "market"
    assert result.unassigned == [("ecology-visit", "no team qualified for departments {市场监管, 生态环境}")]


def test_visit_needing_two_departments_is_unassigned_when_only_single_department_teams_exist() -> None:
    matrix = travel_matrix([(0, 0), (5, 0), (10, 0)])
    teams = [
        RouteVehicle("market", 0, 480, 1020, qualifications=frozenset({MARKET})),
        RouteVehicle("safety", 0, 480, 1020, qualifications=frozenset({SAFETY})),
    ]
    visits = [
        RouteVisit("joint", 1, 30, required_departments=frozenset({MARKET, SAFETY})),
        RouteVisit("safety-only", 2, 30, required_departments=frozenset({SAFETY})),
    ]
    result = solve_and_check(matrix, visits, teams)

    assert route_of(result) == {"safety-only": "safety"}
    assert result.unassigned == [("joint", "no team qualified for departments {市场监管, 应急管理}")]


def test_restaurants_are_never_visited_in_their_busy_hours() -> None:
    # The team starts at 10:30; doing the restaurants straight away would run into the lunch peak.
    points = [(0, 0)] + [(10 + 3 * i, 0) for i in range(4)]
    matrix = travel_matrix(points)
    team = RouteVehicle("team", 0, 630, 1230, qualifications=frozenset({MARKET}))
    visits = [
        RouteVisit(f"restaurant-{i}", 1 + i, 45, RESTAURANT_WINDOWS, frozenset({MARKET})) for i in range(4)
    ]
    result = solve_and_check(matrix, visits, [team])

    assert result.unassigned == []
    for stop in result.routes[0].stops:
        on_site = (stop.start_min, stop.start_min + 45)
        for peak_start, peak_end in (LUNCH_PEAK, DINNER_PEAK):
            assert on_site[1] <= peak_start or on_site[0] >= peak_end, (stop, on_site)
    assert result.routes[0].stops[0].start_min >= LUNCH_PEAK[1] - 1e-9


def test_working_time_limit_caps_the_route_and_the_rest_is_listed_as_not_fitting() -> None:
    points = [(0, 0)] + [(10, 0)] * 6
    matrix = travel_matrix(points)
    team = RouteVehicle("team", 0, 480, 1080, max_work_min=120, qualifications=frozenset({MARKET}))
    visits = [RouteVisit(f"shop-{i}", 1 + i, 30, [], frozenset({MARKET})) for i in range(6)]
    result = solve_and_check(matrix, visits, [team])

    # 10 min out + n × 30 min + 10 min back <= 120 allows three visits.
    assert len(result.routes[0].stops) == 3
    assert result.routes[0].work_min <= 120
    assert len(result.unassigned) == 3
    assert {reason for _, reason in result.unassigned} == {REASON_DID_NOT_FIT}


def test_visits_that_cannot_fit_any_team_are_listed_with_the_reason() -> None:
    matrix = travel_matrix([(0, 0), (100, 0), (5, 0), (6, 0)])
    team = RouteVehicle("team", 0, 480, 1080, max_work_min=180, qualifications=frozenset({MARKET}))
    visits = [
        RouteVisit("far-away", 1, 30, [], frozenset({MARKET})),  # 100 + 30 + 100 > 180 min of work
        RouteVisit("night-only", 2, 30, [(1200, 1260)], frozenset({MARKET})),  # after the shift
        RouteVisit("too-short-window", 3, 60, [(600, 630)], frozenset({MARKET})),
        RouteVisit("fine", 3, 30, [(600, 700)], frozenset({MARKET})),
    ]
    result = solve_and_check(matrix, visits, [team])

    reasons = dict(result.unassigned)
    assert reasons["far-away"] == REASON_TOO_LONG
    assert reasons["night-only"] == REASON_UNREACHABLE
    assert reasons["too-short-window"] == "no time window is long enough for the 60 min visit"
    assert route_of(result) == {"fine": "team"}


def test_balanced_plan_spreads_the_work_over_the_teams() -> None:
    rng = np.random.default_rng(7)
    points = [(0.0, 0.0)] + [tuple(p) for p in rng.uniform(-20, 20, size=(16, 2))]
    matrix = travel_matrix(points)
    teams = [RouteVehicle(f"team-{k}", 0, 480, 1080, qualifications=frozenset({MARKET})) for k in range(3)]
    visits = [RouteVisit(f"shop-{i}", 1 + i, 30, [], frozenset({MARKET})) for i in range(16)]

    unbalanced = solve_and_check(matrix, visits, teams, balance=False, time_limit_s=1.0)
    balanced = solve_and_check(matrix, visits, teams, balance=True, time_limit_s=1.0)

    assert unbalanced.unassigned == balanced.unassigned == []
    works = [route.work_min for route in balanced.routes]
    assert len(works) == 3
    assert max(works) - min(works) < 0.5 * max(works)
    assert max(works) <= max(route.work_min for route in unbalanced.routes) + 1e-9


def test_checker_catches_broken_plans() -> None:
    matrix = travel_matrix([(0, 0), (10, 0), (20, 0)])
    team = RouteVehicle("team", 0, 480, 1080, qualifications=frozenset({MARKET}))
    visits = [
        RouteVisit("a", 1, 30, [(540, 600)], frozenset({MARKET})),
        RouteVisit("b", 2, 30, [], frozenset({MARKET})),
    ]
    good = solve_and_check(matrix, visits, [team])
    route = good.routes[0]

    early = replace(route.stops[0], start_min=500.0, departure_min=530.0)
    moved = replace(good, routes=[replace(route, stops=[early, *route.stops[1:]])])
    assert any("outside the allowed windows" in p for p in check_feasibility(moved, matrix, visits, [team]))

    twice = replace(good, routes=[replace(route, stops=[*route.stops, route.stops[0]])])
    assert any("routed twice" in p for p in check_feasibility(twice, matrix, visits, [team]))

    dropped = replace(good, routes=[replace(route, stops=route.stops[:1])])
    assert any(
        "neither routed nor unassigned" in p for p in check_feasibility(dropped, matrix, visits, [team])
    )

    unqualified = [replace(team, qualifications=frozenset({SAFETY}))]
    assert any("lacks qualification" in p for p in check_feasibility(good, matrix, visits, unqualified))


def test_malformed_input_is_refused() -> None:
    team = RouteVehicle("team", 0, 480, 1080)
    with pytest.raises(InvalidInput):
        solve_routes(np.zeros((2, 3)), [], [team], time_limit_s=0.1)
    with pytest.raises(InvalidInput, match="outside"):
        solve_routes(np.zeros((2, 2)), [RouteVisit("x", 5, 10)], [team], time_limit_s=0.1)
    with pytest.raises(InvalidInput, match="duplicate"):
        solve_routes(
            np.zeros((2, 2)), [RouteVisit("x", 1, 10), RouteVisit("x", 1, 10)], [team], time_limit_s=0.1
        )


@pytest.mark.parametrize("name", ["C101", "R101"])
def test_solomon_instances_are_solved_feasibly_near_the_best_known_distance(name: str) -> None:
    instance = read_solomon(SOLOMON / f"{name}.txt")
    best = json.loads((SOLOMON / "BKS.json").read_text(encoding="utf-8"))[f"{name}_distance"][
        "best_known_cost"
    ]

    routes, cost = solve_solomon(instance, time_limit_s=2.0, seed=0)

    assert check_solomon_solution(instance, routes) == []
    assert 100 * (cost - best) / best < 3.0
