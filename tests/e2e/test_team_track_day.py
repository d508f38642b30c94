"""A team's track of a chosen day on the county map (the day picker of the team's details panel), through the
served app as the browser calls it: the day's fixes (sent as a tracker sends them, OsmAnd) drawn as a line, a
day without fixes says so, read-only; township scoping on the server: a township dispatcher gets the tracks of
the township's teams and of the county squads, another township's team is 403 (callback and API alike)."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from geo_data import devices
from geo_data.db import connect
from tests.dash_calls import callback_body

pytestmark = pytest.mark.e2e
SH = ZoneInfo("Asia/Shanghai")
COUNTY = "330702"
TRACK_OUT = ("track-layer.children", "track-summary.children")


def _track_output(s: requests.Session, live_url: str) -> str:
    """The day picker callback's output key as the app registered it (``allow_duplicate`` adds ``@<hash>``)."""
    deps = s.get(f"{live_url}/_dash-dependencies", timeout=10).json()
    for dep in deps:
        parts = dep["output"].strip(".").split("...")
        if tuple(p.split("@")[0] for p in parts) == TRACK_OUT:
            return str(dep["output"])
    raise AssertionError("no callback with outputs track-layer.children, track-summary.children")


def _pick_day(s: requests.Session, live_url: str, output: str, team_id: int, day: str) -> requests.Response:
    body = callback_body(["track-layer.children", "track-summary.children"], [("track-day.date", day)],
                         [("track-team.data", team_id), ("lang.data", "zh")])
    body["output"] = output
    body["outputs"] = [{"id": o.split(".")[0], "property": o.split(".", 1)[1]} for o in output.strip(".").split("...")]
    return s.post(f"{live_url}/_dash-update-component", json=body, headers={"Origin": live_url}, timeout=20)


def _line(response: requests.Response) -> list[list[float]]:
    """The positions ([lat, lng]) of the track line in a callback answer ([] when it draws none)."""
    layers = next(iter(response.json()["response"].values()))
    layer = next((v for k, v in layers.items() if k.startswith("children")), [])
    for comp in layer or []:
        if comp.get("props", {}).get("id") == "track-line":
            return [list(p) for p in comp["props"]["positions"]]
    return []


def _close(line: list[list[float]], sent: list[list[float]]) -> bool:
    return len(line) == len(sent) and all(abs(a - b) < 1e-7 for p, q in zip(line, sent, strict=True)
                                          for a, b in zip(p, q, strict=True))


def _summary(response: requests.Response) -> str:
    return str(response.json()["response"]["track-summary"]["children"])


@pytest.fixture
def teams(demo_db_url: str, demo_county: str) -> dict[str, Any]:
    """Two teams of their own in two townships and a county squad (inactive, so no other test's ranking sees
    them), each with a tracker; the first township's fixes of yesterday sent through the OsmAnd endpoint later."""
    out: dict[str, Any] = {}
    with connect(demo_db_url) as c:
        spots = c.execute("SELECT code, ST_X(ST_PointOnSurface(geom)) AS lng, ST_Y(ST_PointOnSurface(geom)) AS lat"
                          " FROM townships WHERE county_code = %s ORDER BY code DESC LIMIT 2", (COUNTY,)).fetchall()
        for key, spot, township in (("own", spots[0], spots[0]["code"]), ("other", spots[1], spots[1]["code"]),
                                    ("squad", spots[0], None)):
            team = c.execute(
                "INSERT INTO teams (county_code, township_code, name, kind, base, base_h3_r9, active)"
                " VALUES (%s, %s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), 0, true) RETURNING id",
                (COUNTY, township, f"轨迹测试组 {secrets.token_hex(3)}", "township" if township else "squad",
                 spot["lng"], spot["lat"])).fetchone()
            assert team is not None
            token, _dev = devices.add_device(c, team_id=team["id"], identifier=f"trk-{secrets.token_hex(3)}",
                                             kind="vehicle")
            c.execute("UPDATE teams SET active = false WHERE id = %s", (team["id"],))
            out[key] = {"id": int(team["id"]), "token": token, "lat": float(spot["lat"]), "lng": float(spot["lng"]),
                        "township": township}
        c.commit()
    return out


def _send_fixes(live_url: str, team: dict[str, Any], day: datetime, n: int) -> list[list[float]]:
    """``n`` fixes a minute apart from 10:00 of ``day`` (local), moving north ~100 m each, as a tracker sends them."""
    sent = []
    for k in range(n):
        at = day.replace(hour=10, minute=k, second=0, microsecond=0)
        lat, lng = team["lat"] + k * 0.0009, team["lng"]
        r = requests.get(f"{live_url}/api/v1/positions/osmand", timeout=10,
                         params={"token": team["token"], "timestamp": int(at.timestamp()), "lat": lat, "lon": lng})
        assert r.status_code == 200 and r.json()["stored"], r.text
        sent.append([lat, lng])
    return sent


def test_a_chosen_days_track_is_drawn_for_the_dispatchers_own_teams_only(
        live_url: str, demo_db_url: str, teams: dict[str, Any], make_user: Any, http_login: Any) -> None:
    yesterday = datetime.now(SH) - timedelta(days=1)
    own = _send_fixes(live_url, teams["own"], yesterday, 4)
    squad = _send_fixes(live_url, teams["squad"], yesterday, 2)
    _send_fixes(live_url, teams["other"], yesterday, 3)
    s = http_login(make_user("township_dispatcher", township=teams["own"]["township"]))
    output = _track_output(s, live_url)
    with connect(demo_db_url) as c:
        before = c.execute("SELECT count(*) AS n, max(at) AS last FROM team_positions WHERE team_id = ANY(%s)",
                           ([t["id"] for t in teams.values()],)).fetchone()

    r = _pick_day(s, live_url, output, teams["own"]["id"], yesterday.date().isoformat())
    assert r.status_code == 200, r.text[:300]
    assert _close(_line(r), own) and _summary(r).startswith("4 个定位点")
    r = _pick_day(s, live_url, output, teams["squad"]["id"], yesterday.date().isoformat())   # county squads too
    assert r.status_code == 200 and _close(_line(r), squad)
    r = _pick_day(s, live_url, output, teams["own"]["id"], (yesterday - timedelta(days=1)).date().isoformat())
    assert r.status_code == 200 and _line(r) == [] and _summary(r) == "当日无轨迹"
    # another township's team: refused on the server, whatever id the page sends
    r = _pick_day(s, live_url, output, teams["other"]["id"], yesterday.date().isoformat())
    assert r.status_code == 403, r.text[:300]
    assert "轨迹测试组" not in r.text
    r = _pick_day(s, live_url, output, teams["own"]["id"], "2026-02-30")
    assert r.status_code == 200 and "day" in json.dumps(r.json(), ensure_ascii=False)
    # the machine API says the same
    base = f"{live_url}/api/v1/teams"
    day = yesterday.date().isoformat()
    assert s.get(f"{base}/{teams['other']['id']}/track?day={day}", timeout=10).status_code == 403
    assert s.get(f"{base}/999999999/track?day={day}", timeout=10).status_code == 404
    r = s.get(f"{base}/{teams['own']['id']}/track?day={day}", timeout=10)
    assert r.status_code == 200 and len(r.json()["features"]) == 4
    # read-only: picking days stored nothing
    with connect(demo_db_url) as c:
        after = c.execute("SELECT count(*) AS n, max(at) AS last FROM team_positions WHERE team_id = ANY(%s)",
                          ([t["id"] for t in teams.values()],)).fetchone()
    assert after == before
