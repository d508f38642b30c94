"""Day-routes over a period: windows minus busy hours, joint crews, every visit routed or listed, feasible."""

from datetime import date

from enforcement.plan import (
    REASON_NO_WORKING_DAY,
    DayRouteConfig,
    PlanTeam,
    PlanVisit,
    form_crews,
    plan_period,
    visit_windows,
    working_days,
)
from geo_data.settings import DispatchSettings
from geo_data.travel import StraightLineEstimator

EST = StraightLineEstimator(DispatchSettings())


def test_busy_hours_are_cut_out_of_the_shift() -> None:
    assert visit_windows([["11:00", "13:30"], ["17:00", "19:30"]], 510, 1050) == ((510, 660), (810, 1020))
    assert visit_windows([], 510, 1050) == ((510, 1050),)


def test_working_days_skip_weekends_and_holidays() -> None:
    days = working_days(date(2026, 11, 20), date(2026, 11, 24), holidays=[date(2026, 11, 24)])
    assert days == [date(2026, 11, 20), date(2026, 11, 23)]


def test_joint_crew_is_formed_for_a_visit_no_single_team_may_do() -> None:
    teams = [PlanTeam("1", 119.60, 29.10, frozenset({"market", "housing"})),
             PlanTeam("2", 119.65, 29.10, frozenset({"fire"}), squad=True),
             PlanTeam("3", 119.70, 29.10, frozenset({"transport"}), squad=True)]
    v = PlanVisit("v", 119.61, 29.10, 40, (), frozenset({"market", "fire"}), date(2026, 3, 2), date(2026, 3, 2))
    vehicles = form_crews([v], teams)
    crew = next(t for t in vehicles if t.members)
    assert crew.members == ("1", "2") and crew.qualifications == {"market", "housing", "fire"}
    assert [t.id for t in vehicles if not t.members] == ["3"]


def test_period_routes_are_feasible_and_nothing_is_dropped() -> None:
    teams = [PlanTeam("1", 119.60, 29.10, frozenset({"market", "fire"})),
             PlanTeam("2", 119.70, 29.10, frozenset({"fire"}), squad=True)]
    visits = [PlanVisit(f"v{i}", 119.60 + 0.01 * (i % 9), 29.08 + 0.005 * (i % 7), 30 + 5 * (i % 4),
                        visit_windows([["11:00", "13:30"]] if i % 3 == 0 else [], 510, 1050),
                        frozenset({"market"} if i % 2 else {"market", "fire"}), date(2026, 3, 2), date(2026, 3, 4))
              for i in range(40)]
    visits.append(PlanVisit("eco", 119.6, 29.1, 30, (), frozenset({"ecology"}), date(2026, 3, 2), date(2026, 3, 4)))
    visits.append(PlanVisit("sat", 119.6, 29.1, 30, (), frozenset({"market"}), date(2026, 3, 7), date(2026, 3, 8)))
    routes = plan_period(visits, teams, working_days(date(2026, 3, 2), date(2026, 3, 8)), EST,
                         DayRouteConfig(time_limit_per_day_s=0.2))
    for day in routes.days:
        assert day.problems() == []
    routed = routes.routed()
    assert set(routed) | set(routes.unassigned) == {v.id for v in visits}
    assert not set(routed) & set(routes.unassigned)
    assert routes.unassigned["sat"] == REASON_NO_WORKING_DAY
    assert routes.unassigned["eco"].startswith("no team qualified")
    assert len(routed) >= 30


def test_vectorised_matrix_matches_the_travel_estimator() -> None:
    from enforcement.plan import StraightLineMatrix, travel_matrix

    d = DispatchSettings()
    fast = StraightLineMatrix(detour_factor=d.detour_factor, urban_kmh=d.urban_kmh, rural_kmh=d.rural_kmh,
                              highway_kmh=d.highway_kmh, urban_km=d.urban_km, rural_km=d.rural_km)
    points = [(119.6 + 0.013 * i, 29.05 + 0.011 * (i % 5)) for i in range(12)] + [(119.2, 28.8)]
    a, b = travel_matrix(points, fast), travel_matrix(points, EST)
    assert abs(a - b).max() < 1e-6
    assert a[0, 1] > 0 and a[0, 0] == 0
