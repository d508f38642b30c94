"""Which fixes move a team: outside the county, absurd speed, not newer — in that order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from enforcement.positions import fix_flag, implied_speed_kmh

T = datetime(2030, 3, 4, 8, 0, tzinfo=UTC)


def flag(**kw: object) -> str:
    args: dict[str, object] = {"inside_county": True, "at": T, "team_position_at": T - timedelta(seconds=10),
                               "reported_kmh": None, "implied_kmh": None, "max_speed_kmh": 200.0}
    args.update(kw)
    return fix_flag(**args)  # type: ignore[arg-type]


def test_newest_plausible_fix_is_followed() -> None:
    assert flag() == ""
    assert flag(team_position_at=None) == ""
    assert flag(reported_kmh=199.9, implied_kmh=200.0) == ""


def test_not_newer_is_late_even_at_the_same_instant() -> None:
    assert flag(team_position_at=T) == "late"
    assert flag(team_position_at=T + timedelta(minutes=1)) == "late"


def test_speed_reported_or_implied() -> None:
    assert flag(reported_kmh=250.0) == "speed"
    assert flag(implied_kmh=1080.0) == "speed"
    assert flag(reported_kmh=250.0, team_position_at=T) == "speed"   # speed is said before lateness


def test_outside_county_comes_first() -> None:
    assert flag(inside_county=False, reported_kmh=999.0, team_position_at=T) == "outside_county"


def test_implied_speed() -> None:
    assert implied_speed_kmh(1000.0, 36.0) == 100.0
    assert implied_speed_kmh(1000.0, -36.0) == 100.0       # order of the two fixes does not matter
    assert implied_speed_kmh(10.0, 0.0) == 36.0             # judged over at least one second
