"""Position fixes of devices as team track points; which of them move the team; tracks; pruning by age.

A fix is stored once per (device, time): a tracker resending its buffer or a retried request changes nothing.
Each stored fix carries a flag (``enforcement.positions``); only an unflagged one moves the team, and only
forward in time (the team row is locked while a fix of it is judged). The move reaches the map and the wall by
the teams row trigger (migration 100, NOTIFY kind team).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from enforcement.local_time import SHANGHAI
from enforcement.positions import fix_flag, implied_speed_kmh
from geo_data import coords
from geo_data.db import execute, fetch_all, fetch_one
from geo_data.devices import Device
from geo_data.errors import Forbidden, InvalidInput, NotFound
from geo_data.scope import Scope
from geo_data.travel import haversine_m

MAX_TRACK_POINTS = 20_000


@dataclass(frozen=True)
class Fix:
    """One position report, normalised: WGS-84 degrees, an aware time, km/h, degrees, metres, percent."""

    lat: float
    lng: float
    at: datetime
    speed_kmh: float | None = None
    bearing: float | None = None
    altitude_m: float | None = None
    accuracy_m: float | None = None
    battery_pct: float | None = None


@dataclass(frozen=True)
class FixResult:
    stored: bool     # False: this device had already sent a fix with this time
    moved: bool      # the team's live position is now this fix
    flag: str        # why it did not move the team ('' when it did, or when it was a duplicate)


def check_fix(fix: Fix, *, now: datetime, max_future_s: int, max_age_days: int) -> None:
    """Refuse what is not a position: out-of-range or non-finite degrees, (0, 0), a time far ahead or too old."""
    problems = []
    if not (math.isfinite(fix.lat) and -90 <= fix.lat <= 90):
        problems.append("lat: must be a number from -90 to 90")
    if not (math.isfinite(fix.lng) and -180 <= fix.lng <= 180):
        problems.append("lon: must be a number from -180 to 180")
    if not problems and fix.lat == 0 and fix.lng == 0:
        problems.append("lat/lon: 0,0 is a tracker without a fix, not a position")
    if fix.at > now + timedelta(seconds=max_future_s):
        problems.append(f"timestamp: more than {max_future_s} s ahead of the server clock")
    elif fix.at < now - timedelta(days=max_age_days):
        problems.append(f"timestamp: older than the {max_age_days} days tracks are kept")
    if problems:
        raise InvalidInput(problems[0])


def record_fix(conn: psycopg.Connection[Any], device: Device, fix: Fix, *, max_speed_kmh: float,
               source: str = "device") -> FixResult:
    """Store the fix as a track point of the device's team and move the team when it should (caller's
    transaction; the team row stays locked until it commits). ``source``: ``device`` (a tracker) or ``field``
    (the field app's phone)."""
    team = fetch_one(conn, "position_team_lock", {"team_id": device.team_id, "lng": fix.lng, "lat": fix.lat})
    if team is None:
        raise NotFound(f"team {device.team_id} of device {device.identifier} not found")
    prev = fetch_one(conn, "position_previous", {"device_id": device.id, "at": fix.at})
    implied = None
    if prev is not None:
        implied = implied_speed_kmh(haversine_m(float(prev["lng"]), float(prev["lat"]), fix.lng, fix.lat),
                                    (fix.at - prev["at"]).total_seconds())
    flag = fix_flag(inside_county=bool(team["inside"]), at=fix.at, team_position_at=team["position_at"],
                    reported_kmh=fix.speed_kmh, implied_kmh=implied, max_speed_kmh=max_speed_kmh)
    cells = coords.cells_all_res([fix.lat], [fix.lng])
    row = fetch_one(conn, "position_store", {
        "county_code": team["county_code"], "team_id": team["id"], "at": fix.at, "lng": fix.lng, "lat": fix.lat,
        "h3_r7": int(cells[7][0]), "h3_r8": int(cells[8][0]), "h3_r9": int(cells[9][0]), "status": team["status"],
        "device_id": device.id, "speed_kmh": fix.speed_kmh, "bearing": fix.bearing, "altitude_m": fix.altitude_m,
        "accuracy_m": fix.accuracy_m, "battery_pct": fix.battery_pct, "flag": flag, "follow": flag == "",
        "source": source})
    assert row is not None
    if row["position_id"] is None:
        return FixResult(stored=False, moved=False, flag="")
    return FixResult(stored=True, moved=bool(row["moved"]), flag=flag)


def team_track(conn: psycopg.Connection[Any], scope: Scope, *, team_id: int, day: date) -> list[dict[str, Any]]:
    """The team's track points of one local day (Asia/Shanghai), oldest first. Read-only. A township user sees
    the tracks of the township's teams and of the county squads: another township's team is Forbidden (not an
    empty track), a team of no county of the caller's NotFound."""
    team = fetch_one(conn, "team_exists", {"id": team_id})
    if team is None or team["county_code"] != scope.county_code:
        raise NotFound(f"team {team_id} not found")
    if scope.township_code is not None and team["township_code"] not in (None, scope.township_code):
        raise Forbidden(f"team {team_id} is outside your township")
    since = datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI)
    return fetch_all(conn, "team_track", {**scope.params, "team_id": team_id, "since": since,
                                          "until": since + timedelta(days=1), "limit": MAX_TRACK_POINTS})


def prune_tracks(conn: psycopg.Connection[Any], *, older_than_days: int, batch: int = 10_000,
                 now: datetime | None = None) -> int:
    """Delete track points older than ``older_than_days`` (autocommit connection: one transaction per batch);
    returns how many. Meant to run daily (CLI ``gridcommand device prune-tracks``, or a periodic job)."""
    if older_than_days < 1:
        raise InvalidInput("older_than_days: at least 1")
    before = (now or datetime.now(UTC)) - timedelta(days=older_than_days)
    total = 0
    while True:
        n = execute(conn, "team_positions_prune", {"before": before, "batch": batch})
        total += n
        if n < batch:
            return total
