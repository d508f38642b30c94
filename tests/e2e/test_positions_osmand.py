"""OsmAnd / Traccar Client positions through the real HTTP server: query, form and Traccar-9 JSON; duplicates,
out-of-order fixes, unknown and revoked devices, bad coordinates, a fix outside the county, absurd speeds; the
team moves (and announces it on the push channel) only for the newest plausible fix."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
import requests

from geo_data import devices
from geo_data.db import connect
from geo_data.notify import CHANNEL

COUNTY = "330702"
M_PER_DEG_LAT = 111_320.0


@dataclass
class Tracker:
    team_id: int
    device_id: int
    identifier: str
    token: str
    lat: float
    lng: float


@pytest.fixture
def tracker(demo_db_url: str, demo_county: str) -> Iterator[Tracker]:
    """A team of its own (inactive, so no other test's team ranking sees it) inside the county, with a device."""
    with connect(demo_db_url) as c:
        spot = c.execute("SELECT ST_X(p) AS lng, ST_Y(p) AS lat, code FROM (SELECT ST_PointOnSurface(geom) AS p, code"
                         " FROM townships WHERE county_code = %s ORDER BY code LIMIT 1) s", (COUNTY,)).fetchone()
        assert spot is not None
        team = c.execute(
            "INSERT INTO teams (county_code, township_code, name, kind, base, base_h3_r9, active)"
            " VALUES (%s, %s, %s, 'township', ST_SetSRID(ST_MakePoint(%s, %s), 4326), 0, true) RETURNING id",
            (COUNTY, spot["code"], f"定位测试组 {secrets.token_hex(3)}", spot["lng"], spot["lat"])).fetchone()
        assert team is not None
        identifier = f"veh-{secrets.token_hex(3)}"
        token, dev = devices.add_device(c, team_id=team["id"], identifier=identifier, kind="vehicle")
        c.execute("UPDATE teams SET active = false WHERE id = %s", (team["id"],))
        c.commit()
    yield Tracker(team["id"], dev.id, identifier, token, float(spot["lat"]), float(spot["lng"]))


def url(live_url: str) -> str:
    return f"{live_url}/api/v1/positions/osmand"


def ts(minutes_ago: float) -> int:
    return int((datetime.now(UTC) - timedelta(minutes=minutes_ago)).timestamp())


def team_position(db: str, team_id: int) -> dict[str, Any]:
    with connect(db) as c:
        row = c.execute("SELECT ST_X(position) AS lng, ST_Y(position) AS lat, position_at FROM teams WHERE id = %s",
                        (team_id,)).fetchone()
    assert row is not None
    return row


def track(db: str, team_id: int) -> list[dict[str, Any]]:
    with connect(db) as c:
        return c.execute("SELECT at, ST_Y(geom) AS lat, ST_X(geom) AS lng, flag, speed_kmh, battery_pct, bearing,"
                         " accuracy_m, altitude_m, source FROM team_positions WHERE team_id = %s ORDER BY at",
                         (team_id,)).fetchall()


def test_query_form_and_traccar9_json_move_the_team(live_url: str, demo_db_url: str, tracker: Tracker) -> None:
    t0 = ts(30)
    # 1. OsmAnd GET, token in the server URL, the tracker's own identifier as id (Traccar Client Android)
    r = requests.get(url(live_url), params={"token": tracker.token, "id": tracker.identifier, "timestamp": t0,
                                            "lat": tracker.lat, "lon": tracker.lng, "speed": "10.0",
                                            "bearing": "90.0", "altitude": "55.5", "accuracy": "8.0",
                                            "batt": "77.0"}, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json() == {"stored": True, "moved": True, "flag": ""}
    pos = team_position(demo_db_url, tracker.team_id)
    assert pos["position_at"] == datetime.fromtimestamp(t0, UTC)
    assert abs(pos["lat"] - tracker.lat) < 1e-9 and abs(pos["lng"] - tracker.lng) < 1e-9

    # 2. OsmAnd form POST, the token as the device identifier, timestamp in milliseconds
    lat2 = tracker.lat + 100 / M_PER_DEG_LAT
    r = requests.post(url(live_url), data={"id": tracker.token, "timestamp": (t0 + 60) * 1000, "lat": lat2,
                                           "lon": tracker.lng}, timeout=10)
    assert r.status_code == 200 and r.json()["moved"], r.text
    assert abs(team_position(demo_db_url, tracker.team_id)["lat"] - lat2) < 1e-9

    # 3. Traccar Client 9 JSON (speed m/s, battery 0-1, ISO time), token in the URL query
    at3 = datetime.fromtimestamp(t0 + 120, UTC)
    lat3 = tracker.lat + 300 / M_PER_DEG_LAT
    body = {"location": {"timestamp": at3.isoformat().replace("+00:00", "Z"),
                         "coords": {"latitude": lat3, "longitude": tracker.lng, "accuracy": 12, "speed": 5.0,
                                    "heading": -1, "altitude": 60.0},
                         "is_moving": True, "odometer": 0, "battery": {"level": 0.69, "is_charging": False},
                         "activity": {"type": "in_vehicle"}, "extras": {}},
            "device_id": tracker.identifier}
    r = requests.post(url(live_url), params={"token": tracker.token}, json=body, timeout=10)
    assert r.status_code == 200 and r.json() == {"stored": True, "moved": True, "flag": ""}, r.text
    pos = team_position(demo_db_url, tracker.team_id)
    assert pos["position_at"] == at3 and abs(pos["lat"] - lat3) < 1e-9

    points = track(demo_db_url, tracker.team_id)
    assert [p["flag"] for p in points] == ["", "", ""] and {p["source"] for p in points} == {"device"}
    first, _, third = points
    assert first["speed_kmh"] == pytest.approx(18.52, abs=0.01)      # 10 knots
    assert (first["bearing"], first["altitude_m"], first["accuracy_m"], first["battery_pct"]) == (90, 55.5, 8, 77)
    assert third["speed_kmh"] == pytest.approx(18.0) and third["bearing"] is None   # 5 m/s; heading -1 = unknown
    assert third["battery_pct"] == pytest.approx(69.0)


def test_duplicates_and_out_of_order_never_move_backwards(live_url: str, demo_db_url: str, tracker: Tracker) -> None:
    newer, older = ts(10), ts(20)
    fix = {"token": tracker.token, "timestamp": newer, "lat": tracker.lat, "lon": tracker.lng}
    assert requests.get(url(live_url), params=fix, timeout=10).json() == {"stored": True, "moved": True, "flag": ""}
    again = requests.get(url(live_url), params=fix, timeout=10)
    assert again.status_code == 200 and again.json() == {"stored": False, "moved": False, "flag": ""}
    # the same fix as a form POST (a tracker's resend) is the same fix
    resend = requests.post(url(live_url), data=fix, timeout=10)
    assert resend.status_code == 200 and resend.json()["stored"] is False, resend.text

    late = {**fix, "timestamp": older, "lat": tracker.lat + 200 / M_PER_DEG_LAT}
    r = requests.get(url(live_url), params=late, timeout=10)
    assert r.json() == {"stored": True, "moved": False, "flag": "late"}
    pos = team_position(demo_db_url, tracker.team_id)
    assert pos["position_at"] == datetime.fromtimestamp(newer, UTC) and abs(pos["lat"] - tracker.lat) < 1e-9
    points = track(demo_db_url, tracker.team_id)
    assert [(p["at"], p["flag"]) for p in points] == [(datetime.fromtimestamp(older, UTC), "late"),
                                                       (datetime.fromtimestamp(newer, UTC), "")]


def test_unknown_revoked_and_foreign_devices_refused(live_url: str, demo_db_url: str, tracker: Tracker) -> None:
    fix = {"timestamp": ts(5), "lat": tracker.lat, "lon": tracker.lng}
    r = requests.get(url(live_url), params={**fix, "id": "veh-unknown"}, timeout=10)
    assert r.status_code == 401 and "missing device token" in r.json()["error"]
    r = requests.get(url(live_url), params={**fix, "id": "gcd_" + secrets.token_urlsafe(32)}, timeout=10)
    assert r.status_code == 401 and "unknown or revoked" in r.json()["error"]
    r = requests.get(url(live_url), params={**fix, "token": tracker.token, "id": "someone-else"}, timeout=10)
    assert r.status_code == 403 and "does not belong" in r.json()["error"]
    r = requests.get(url(live_url), params=fix, headers={"Authorization": f"Bearer {tracker.token}"}, timeout=10)
    assert r.status_code == 200 and r.json()["stored"]

    with connect(demo_db_url) as c:
        devices.revoke_device(c, tracker.identifier, actor="test")
        c.commit()
    r = requests.get(url(live_url), params={**fix, "timestamp": ts(4), "token": tracker.token}, timeout=10)
    assert r.status_code == 401 and "unknown or revoked" in r.json()["error"]
    assert len(track(demo_db_url, tracker.team_id)) == 1


@pytest.mark.parametrize(("params", "loc"), [
    ({"lat": "91", "lon": "119.6"}, "lat"),
    ({"lat": "29.1", "lon": "-181"}, "lon"),
    ({"lat": "abc", "lon": "119.6"}, "lat"),
    ({"lat": "nan", "lon": "119.6"}, "lat"),
    ({"lon": "119.6"}, "lat"),
    ({"lat": "29.1"}, "lon"),
    ({"lat": "0", "lon": "0"}, "lat/lon"),
    ({"lat": "29.1", "lon": "119.6", "timestamp": "yesterday"}, "timestamp"),
    ({"lat": "29.1", "lon": "119.6", "timestamp": str(ts(-60))}, "timestamp"),   # an hour ahead
])
def test_bad_coordinates_and_times_are_422_and_not_stored(live_url: str, demo_db_url: str, tracker: Tracker,
                                                          params: dict[str, str], loc: str) -> None:
    r = requests.get(url(live_url), params={"token": tracker.token, **params}, timeout=10)
    assert r.status_code == 422, r.text
    assert r.json()["error"].startswith(loc)
    assert track(demo_db_url, tracker.team_id) == []


def test_bad_traccar_json_is_422(live_url: str, tracker: Tracker) -> None:
    u = f"{url(live_url)}?token={tracker.token}"
    assert requests.post(u, json={"device_id": tracker.identifier}, timeout=10).status_code == 422
    r = requests.post(u, json={"location": {"coords": {"latitude": 29.1}}}, timeout=10)
    assert r.status_code == 422 and r.json()["problems"][0]["loc"] == "location.coords.longitude"
    r = requests.post(u, data=b"{not json", headers={"Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 400


def test_outside_county_and_absurd_speed_are_kept_but_not_followed(live_url: str, demo_db_url: str,
                                                                  tracker: Tracker) -> None:
    t0 = ts(60)
    base = {"token": tracker.token}
    assert requests.get(url(live_url), params={**base, "timestamp": t0, "lat": tracker.lat, "lon": tracker.lng},
                        timeout=10).json()["moved"]
    r = requests.get(url(live_url), params={**base, "timestamp": t0 + 600, "lat": 31.2304, "lon": 121.4737},
                     timeout=10)   # Shanghai: outside 婺城区
    assert r.json() == {"stored": True, "moved": False, "flag": "outside_county"}
    # 300 knots reported
    r = requests.get(url(live_url), params={**base, "timestamp": t0 + 1200, "lat": tracker.lat, "lon": tracker.lng,
                                            "speed": "300"}, timeout=10)
    assert r.json()["flag"] == "speed"
    # 3 km in 10 s implied (1,080 km/h) with no speed reported
    r = requests.get(url(live_url), params={**base, "timestamp": t0 + 1210,
                                            "lat": tracker.lat + 3000 / M_PER_DEG_LAT, "lon": tracker.lng}, timeout=10)
    assert r.json()["flag"] == "speed"
    # back where it was 10 s later (also implied 1,080 km/h from the jump), then a plausible walk 50 s later
    r = requests.get(url(live_url), params={**base, "timestamp": t0 + 1220, "lat": tracker.lat, "lon": tracker.lng},
                     timeout=10)
    assert r.json()["flag"] == "speed"
    r = requests.get(url(live_url), params={**base, "timestamp": t0 + 1270,
                                            "lat": tracker.lat + 50 / M_PER_DEG_LAT, "lon": tracker.lng}, timeout=10)
    assert r.json() == {"stored": True, "moved": True, "flag": ""}
    pos = team_position(demo_db_url, tracker.team_id)
    assert pos["position_at"] == datetime.fromtimestamp(t0 + 1270, UTC)
    assert [p["flag"] for p in track(demo_db_url, tracker.team_id)] == ["", "outside_county", "speed", "speed",
                                                                       "speed", ""]


def test_a_followed_fix_is_announced_on_the_push_channel(live_url: str, demo_db_url: str, tracker: Tracker) -> None:
    with psycopg.connect(demo_db_url, autocommit=True) as listener:
        listener.execute(f"LISTEN {CHANNEL}")
        r = requests.get(url(live_url), params={"token": tracker.token, "timestamp": ts(3), "lat": tracker.lat,
                                                "lon": tracker.lng}, timeout=10)
        assert r.json()["moved"]
        seen: list[dict[str, Any]] = []

        def announced() -> bool:
            return any(n.get("kind") == "team" and n.get("id") == tracker.team_id for n in seen)

        for notice in listener.notifies(timeout=5.0):
            seen.append(json.loads(notice.payload))
            if announced():
                break
    assert announced(), seen


def test_team_track_of_a_day_for_logged_in_users_only(live_url: str, tracker: Tracker, make_user: Any,
                                                      http_login: Any) -> None:
    t = ts(2)
    requests.get(url(live_url), params={"token": tracker.token, "timestamp": t, "lat": tracker.lat,
                                        "lon": tracker.lng}, timeout=10)
    day = datetime.fromtimestamp(t, ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d")
    track_url = f"{live_url}/api/v1/teams/{tracker.team_id}/track?day={day}"
    assert requests.get(track_url, timeout=10).status_code == 401
    s = http_login(make_user("county_operator"))
    r = s.get(track_url, timeout=10)
    assert r.status_code == 200, r.text
    feats = r.json()["features"]
    assert len(feats) == 1 and feats[0]["geometry"]["coordinates"] == [tracker.lng, tracker.lat]
    assert feats[0]["properties"]["device"] == tracker.identifier
    assert s.get(f"{live_url}/api/v1/teams/{tracker.team_id}/track?day=2026-13-01", timeout=10).status_code == 422
