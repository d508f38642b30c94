"""The demo county at its first start has today's plan approved, routed and coded (issue 15): an inspector of one
of its township teams, logged in through the served app's login form, gets the team's visits of today in route
order with their codes from the field endpoint, and the enterprise page of a code answers without an account."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from geo_data import demo
from geo_data.db import connect
from geo_data.users import create_user
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.e2e
SH = ZoneInfo("Asia/Shanghai")
COUNTY = "330702"


def _demo_plan_of(db_url: str, day: Any) -> int:
    """The demo's plan of ``day``; the session's demo was loaded with the day it started, so a run that crossed
    midnight (Asia/Shanghai) makes the new day's plan the way the demo does (``demo.plan_today``)."""
    with connect(db_url) as c:
        row = c.execute("SELECT id FROM visit_plans WHERE county_code = %s AND created_by = %s"
                        " AND period_start = %s AND period_end = %s", (COUNTY, demo.DEMO_ACTOR, day, day)).fetchone()
        if row is None:
            demo.plan_today(c, county_code=COUNTY, day=day, seed=7)
            c.commit()
            row = c.execute("SELECT id FROM visit_plans WHERE created_by = %s AND period_start = %s",
                            (demo.DEMO_ACTOR, day)).fetchone()
    assert row is not None
    return int(row["id"])


def test_an_inspector_of_a_demo_team_sees_todays_routed_visits_in_order(
        live_url: str, demo_db_url: str, demo_county: str, http_login: Any) -> None:
    day = datetime.now(SH).date()
    plan_id = _demo_plan_of(demo_db_url, day)
    with connect(demo_db_url) as c:
        plan = c.execute("SELECT status FROM visit_plans WHERE id = %s", (plan_id,)).fetchone()
        assert plan is not None and plan["status"] == "approved"
        # the team with most stops today (a route order needs two; how many each team gets depends on the day's
        # due visits), the last by township code among equals: the field app's tests take the first free teams
        team = c.execute(
            "SELECT pv.team_id, t.township_code, count(*) AS n FROM plan_visits pv JOIN teams t ON t.id = pv.team_id"
            " WHERE pv.plan_id = %s GROUP BY 1, 2 ORDER BY n DESC, t.township_code DESC LIMIT 1",
            (plan_id,)).fetchone()
        assert team is not None and team["n"] >= 2
        planned = c.execute(
            "SELECT pv.visit_id, pv.route_seq, pv.code, e.name,"
            " (SELECT array_agg(i.badge_no) FROM inspectors i WHERE i.id = ANY (vc.inspector_ids)) AS badges"
            " FROM plan_visits pv JOIN enterprises e ON e.id = pv.enterprise_id JOIN visit_codes vc ON vc.code = pv.code"
            " WHERE pv.plan_id = %s AND pv.team_id = %s ORDER BY pv.route_seq", (plan_id, team["team_id"])).fetchall()
        assert all(p["code"] and p["visit_id"] for p in planned)
        name = f"insp_{secrets.token_hex(3)}"
        create_user(c, username=name, password=TEST_PASSWORD, role="inspector", county_code=COUNTY,
                    team_id=team["team_id"], display_name="演示队员")
        c.commit()

    s = http_login(name)
    r = s.get(f"{live_url}/api/v1/field/today", timeout=10)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["team"]["id"] == team["team_id"]
    ours = {p["visit_id"] for p in planned}
    shown = [v for v in body["visits"] if v["id"] in ours]   # other tests may add visits to a team: not ours
    assert [(v["id"], v["route_seq"], v["code"], v["enterprise_name"]) for v in shown] == [
        (p["visit_id"], p["route_seq"], p["code"], p["name"]) for p in planned]
    assert all(v["public_url"].endswith(f"/v/{v['code']}") and v["qr_svg"] and v["nav"] for v in shown)

    # the enterprise's page of the first stop answers on any phone, without an account: who inspects
    page = requests.get(f"{live_url}/v/{planned[0]['code']}", timeout=10)
    assert page.status_code == 200 and planned[0]["badges"]
    assert all(badge in page.text for badge in planned[0]["badges"])
