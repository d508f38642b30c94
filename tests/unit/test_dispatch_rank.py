"""Team ranking (pure): tiers, travel time, workload, piggy-back, reasons; and the travel-time estimator."""

from __future__ import annotations

from enforcement.dispatch import Candidate, RankWeights, rank_teams
from enforcement.incidents import max_severity
from geo_data.settings import DispatchSettings
from geo_data.travel import StraightLineEstimator, haversine_m


def _c(team_id: int, relation: str = "same", eta: float = 10.0, **kw: object) -> Candidate:
    return Candidate(team_id=team_id, name=f"队{team_id}", relation=relation, status=kw.pop("status", "idle"),  # type: ignore[arg-type]
                     eta_minutes=eta, distance_m=eta * 400, **kw)  # type: ignore[arg-type]


def test_own_township_before_neighbours_before_county_even_if_farther() -> None:
    ranked = rank_teams([_c(1, "county", 2), _c(2, "neighbour", 3), _c(3, "same", 30)])
    assert [r.team_id for r in ranked] == [3, 2, 1]


def test_within_a_tier_nearest_wins_and_workload_counts() -> None:
    ranked = rank_teams([_c(1, eta=12), _c(2, eta=8), _c(3, eta=5, dispatches_today=2)])
    assert [r.team_id for r in ranked] == [2, 1, 3]  # 5 + 2×10 = 25 > 12 > 8


def test_piggy_back_bonus_only_within_the_distance() -> None:
    near = _c(1, eta=20, planned_today=1, nearest_planned_m=800)
    far = _c(2, eta=20, planned_today=1, nearest_planned_m=5000)
    plain = _c(3, eta=12)
    ranked = rank_teams([near, far, plain], RankWeights(piggyback_km=2))
    assert [r.team_id for r in ranked] == [1, 3, 2]
    assert ranked[0].piggyback and not ranked[2].piggyback
    assert "可顺路" in ranked[0].reasons_zh and "0.8 km" in ranked[0].reasons_en


def test_reasons_read_like_a_dispatcher_would_say_them() -> None:
    (r,) = rank_teams([_c(1, eta=11.6, dispatches_today=1)])
    assert r.reasons_zh == "同乡镇 · 空闲 · 约 12 分钟 · 今日已派 1 单"
    assert r.reasons_en == "same township · idle · ~12 min · 1 dispatched today"


def test_out_team_ranks_behind_an_idle_one_at_equal_distance_and_ties_are_stable() -> None:
    ranked = rank_teams([_c(5, status="out"), _c(4), _c(3)])
    assert [r.team_id for r in ranked] == [3, 4, 5]
    assert len(rank_teams([_c(i) for i in range(30)], limit=10)) == 10


def test_straight_line_estimator_uses_detour_and_road_class_speed() -> None:
    s = DispatchSettings(detour_factor=1.5, urban_kmh=30, rural_kmh=60, urban_km=3, rural_km=15)
    est = StraightLineEstimator(s)
    d = haversine_m(120.0, 30.0, 120.0, 30.01)
    assert 1100 < d < 1120
    assert abs(est.minutes([(120.0, 30.0)], (120.0, 30.01))[0] - d * 1.5 / 1000 / 30 * 60) < 1e-9
    far = est.minutes([(120.0, 30.0)], (120.0, 30.05))[0]  # 5.5 km × 1.5 > 3 km: rural speed
    assert abs(far - haversine_m(120.0, 30.0, 120.0, 30.05) * 1.5 / 1000 / 60 * 60) < 1e-9


def test_severity_order() -> None:
    assert max_severity("low", "urgent") == "urgent" and max_severity("high", "medium") == "high"
