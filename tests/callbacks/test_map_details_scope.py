"""The map's alert, incident and team panels against real PostGIS (scenario county 330799): a township
dispatcher sees their own township's things and the county squads, and another township's are refused (403);
a closed incident's panel says it is closed instead of counting minutes; the team panel lists its dispatch."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from callbacks.map_details import details_for
from enforcement.local_time import SHANGHAI
from geo_data.errors import Forbidden, NotFound
from geo_data.scope import Role, Scope
from tests import map_scenario as ms

COUNTY = Scope("op", Role.COUNTY_OPERATOR, ms.COUNTY)
WEST = Scope("disp", Role.TOWNSHIP_DISPATCHER, ms.COUNTY, ms.TOWN_W)
D0, D1 = date.today() - timedelta(days=60), date.today() + timedelta(days=1)


def _panel(conn: Any, scope: Scope, kind: str, key: Any, lang: str = "zh") -> str:
    return str(details_for(conn, scope=scope, kind=kind, key=key, lang=lang, date_from=D0, date_to=D1))


@pytest.fixture
def scn(conn: Any) -> dict[str, Any]:
    ms.load(conn)
    teams = {r["township_code"]: r["id"] for r in conn.execute(
        "SELECT id, township_code FROM teams WHERE county_code = %s AND kind = 'township'", (ms.COUNTY,)).fetchall()}
    squad = conn.execute(
        "INSERT INTO teams (county_code, township_code, name, kind, base, base_h3_r9, status) VALUES"
        " (%s, NULL, %s, 'squad', ST_SetSRID(ST_MakePoint(119.65, 29.08), 4326), 0, 'idle')"
        " RETURNING id", (ms.COUNTY, f"县消防专业队{secrets.token_hex(2)}")).fetchone()["id"]
    now = datetime.now(SHANGHAI)
    east = ms.add_alert(conn, lng=119.68, lat=29.09, township=ms.TOWN_E, source_id=f"scope-e-{secrets.token_hex(4)}", at=now)
    west = ms.add_alert(conn, lng=119.62, lat=29.09, township=ms.TOWN_W, source_id=f"scope-w-{secrets.token_hex(4)}", at=now)
    inc = {k: conn.execute("SELECT incident_id FROM alerts WHERE id = %s", (a,)).fetchone()["incident_id"]
           for k, a in (("east", east), ("west", west))}
    conn.execute("UPDATE incidents SET status = 'closed', closed_at = now() WHERE id = %s", (inc["west"],))
    conn.execute("INSERT INTO dispatches (county_code, township_code, incident_id, team_id, status, assigned_by)"
                 " VALUES (%s, %s, %s, %s, 'on_site', 'test')", (ms.COUNTY, ms.TOWN_E, inc["east"], squad))
    return {"teams": teams, "squad": squad, "alerts": {"east": east, "west": west}, "incidents": inc}


def test_township_dispatcher_sees_own_things_and_county_squads(conn: Any, scn: dict[str, Any]) -> None:
    assert "西城综合执法队" in _panel(conn, WEST, "team", scn["teams"][ms.TOWN_W])
    squad = _panel(conn, WEST, "team", scn["squad"])
    assert "县消防专业队" in squad and "县级专业队" in squad and "到达现场" in squad
    for kind, key in (("team", scn["teams"][ms.TOWN_E]), ("incident", scn["incidents"]["east"]),
                      ("alert", scn["alerts"]["east"])):
        with pytest.raises(Forbidden):
            _panel(conn, WEST, kind, key)
    with pytest.raises(NotFound):
        _panel(conn, COUNTY, "team", 10**12)


def test_closed_incident_says_closed_and_dispatched_one_names_its_team(conn: Any, scn: dict[str, Any]) -> None:
    closed = _panel(conn, WEST, "incident", scn["incidents"]["west"])
    assert "已办结（" in closed and "不再计时" in closed and "剩余" not in closed
    east = _panel(conn, COUNTY, "incident", scn["incidents"]["east"], "en")
    assert "县消防专业队" in east and " · On site · assigned " in east and "min left" in east and "/dispatch?incident=" in east
    alert = _panel(conn, COUNTY, "alert", scn["alerts"]["east"])
    assert f"事件 #{scn['incidents']['east']}" in alert
