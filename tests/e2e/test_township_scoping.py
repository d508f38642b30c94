"""Township scoping, enforced on the server: a dispatcher of one township can neither read nor change another
township's incidents, teams or enterprises through the HTTP API, the Dash callback routes or the page; their
assignment lands in the audit trail."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from geo_data.db import connect
from tests.dash_calls import call_callback
from tests.db.dispatch_scenario import token
from tests.demo_places import quiet_spot, township_with_free_team

pytestmark = pytest.mark.e2e
SH = ZoneInfo("Asia/Shanghai")
TYPE = "street_vending"


@pytest.fixture(scope="module")
def world(db_url: str, demo_county: str, live_url: str) -> dict[str, Any]:
    """Two townships, "a" with a team free to take a street-vending incident (other modules dispatch the demo's
    teams), and one new urgent street-vending incident in each, sent through the real intake API at a spot with
    no open incident near it (so it joins none)."""
    src = token(db_url, source=f"scope-{secrets.token_hex(3)}", county=demo_county)
    out: dict[str, Any] = {}
    with connect(db_url) as c:
        town_a = township_with_free_team(c, demo_county, TYPE)["code"]
        town_b = c.execute("SELECT tm.township_code AS code FROM teams tm WHERE tm.county_code = %s"
                           " AND tm.township_code NOT IN (%s) ORDER BY tm.township_code DESC LIMIT 1",
                           (demo_county, town_a)).fetchone()["code"]
        for key, town in (("a", town_a), ("b", town_b)):
            ent = c.execute("SELECT id, name FROM enterprises WHERE township_code = %s ORDER BY id LIMIT 1",
                            (town,)).fetchone()
            team = c.execute("SELECT id FROM teams WHERE township_code = %s ORDER BY id LIMIT 1", (town,)).fetchone()
            cell = c.execute("SELECT cell FROM h3_cells WHERE township_code = %s AND res = 9 AND ent_total > 0"
                             " ORDER BY cell LIMIT 1", (town,)).fetchone()
            body = {"source_id": f"scope-{key}-{secrets.token_hex(4)}", "source_kind": "ai_camera",
                    "type": TYPE, "severity": "urgent",
                    "observed_at": datetime.now(SH).isoformat(timespec="seconds"),
                    "location": quiet_spot(c, town)}
            r = requests.post(f"{live_url}/api/v1/alerts", json=body, timeout=10,
                              headers={"Authorization": f"Bearer {src}"})
            assert r.status_code == 201, r.text
            out[key] = {"town": town, "incident": int(r.json()["incident_id"]), "enterprise": ent,
                        "team": team["id"], "cell": cell["cell"]}
    return out


def _dispatch_count(db_url: str, incident: int) -> int:
    with connect(db_url) as c:
        return int(c.execute("SELECT count(*) AS n FROM dispatches WHERE incident_id = %s",
                             (incident,)).fetchone()["n"])


def test_api_refuses_other_township(world: dict[str, Any], live_url: str, make_user: Any, http_login: Any,
                                    db_url: str) -> None:
    town_a, town_b = world["a"]["town"], world["b"]["town"]
    s = http_login(make_user("township_dispatcher", township=town_a))
    h = {"Origin": live_url}
    listed = s.get(f"{live_url}/api/v1/incidents", timeout=10).json()["items"]
    ids = {i["id"] for i in listed}
    assert world["a"]["incident"] in ids and world["b"]["incident"] not in ids
    assert {i["township_code"] for i in listed} == {town_a}
    b = world["b"]["incident"]
    assert s.get(f"{live_url}/api/v1/incidents/{b}", timeout=10).status_code == 403
    assert s.get(f"{live_url}/api/v1/incidents/{b}/recommendations", timeout=10).status_code == 403
    assert s.get(f"{live_url}/api/v1/incidents?township={town_b}", timeout=10).status_code == 403
    r = s.post(f"{live_url}/api/v1/incidents/{b}/assign", json={"team_id": world["b"]["team"]}, headers=h,
               timeout=10)
    assert r.status_code == 403
    r = s.post(f"{live_url}/api/v1/incidents/{b}/remote-close", headers=h, timeout=10,
               json={"reason": "x", "evidence": "https://e.example.cn/1.jpg"})
    assert r.status_code == 403
    # Their own township's incident can't be given to another township's team either.
    r = s.post(f"{live_url}/api/v1/incidents/{world['a']['incident']}/assign", json={"team_id": world["b"]["team"]},
               headers=h, timeout=10)
    assert r.status_code in (403, 409, 422)
    assert _dispatch_count(db_url, b) == 0
    with connect(db_url) as c:
        status = c.execute("SELECT status FROM incidents WHERE id = %s", (b,)).fetchone()["status"]
    assert status == "open"


def test_callbacks_refuse_other_township(world: dict[str, Any], live_url: str, make_user: Any, http_login: Any,
                                         db_url: str) -> None:
    s = http_login(make_user("township_dispatcher", township=world["a"]["town"]))
    b = world["b"]["incident"]
    # dispatch page: open the other township's incident
    r = call_callback(s, live_url, outputs=["dsp-detail.children"],
                      inputs=[("dsp-selected.data", b), ("dsp-changed.data", 0), ("dsp-push.data", None)],
                      state=[("dsp-lang.data", "zh")])
    assert r.status_code == 403
    # dispatch page: assign with the other township's incident selected
    team_id = {"type": "dsp-assign", "team": world["b"]["team"]}
    body = {"output": "..dsp-changed.data...dsp-msg.children..",
            "outputs": [{"id": "dsp-changed", "property": "data"}, {"id": "dsp-msg", "property": "children"}],
            "inputs": [[{"id": team_id, "property": "n_clicks", "value": 1}]],
            "state": [{"id": "dsp-selected", "property": "data", "value": b},
                      {"id": "dsp-changed", "property": "data", "value": 0},
                      {"id": "dsp-lang", "property": "data", "value": "zh"}],
            "changedPropIds": [json.dumps(team_id, separators=(",", ":"), sort_keys=True) + ".n_clicks"]}
    r = s.post(f"{live_url}/_dash-update-component", json=body, headers={"Origin": live_url}, timeout=20)
    assert r.status_code == 403
    assert _dispatch_count(db_url, b) == 0
    # map: details of the other township's enterprise and cell
    ent = world["b"]["enterprise"]
    for source, feature in (("enterprises", {"id": f"enterprise:{ent['id']}", "properties": {}}),
                            ("cells", {"properties": {"kind": "cell", "cell": world["b"]["cell"]}})):
        inputs = [(f"{src}.clickData", feature if src == source else None)
                  for src in ("boundaries", "cells", "enterprises", "alerts", "incidents", "teams")]
        r = call_callback(s, live_url, outputs=["details.children", "popup-layer.children", "track-layer.children"],
                          inputs=inputs,
                          state=[("time-range.value", "7d"), ("time-custom.start_date", None),
                                 ("time-custom.end_date", None), ("lang.data", "zh")],
                          changed=f"{source}.clickData")
        assert r.status_code == 403, (source, r.status_code, r.text[:300])
    # map search never finds the other township's enterprise
    r = call_callback(s, live_url, outputs=["search-results.children", "map.viewport"],
                      inputs=[("search.value", ent["name"])], state=[("lang.data", "zh")])
    assert r.status_code == 200 and ent["name"] not in r.text
    # coverage filter for the other township
    r = call_callback(s, live_url, outputs=["cov-filter.data", "cov-report-link.href"],
                      inputs=[("cov-township.value", world["b"]["town"]), ("cov-period.start_date", "2026-01-01"),
                              ("cov-period.end_date", "2026-01-31"), ("cov-department.value", None),
                              ("cov-industry.value", None), ("cov-risk.value", None)])
    assert r.status_code == 403


def test_dispatcher_sees_own_queue_assigns_and_it_is_audited(world: dict[str, Any], browser_login: Any,
                                                              make_user: Any, live_url: str, db_url: str) -> None:
    name = make_user("township_dispatcher", township=world["a"]["town"])
    browser = browser_login(name, "/dispatch")
    wait = WebDriverWait(browser, 20)
    a, b = world["a"]["incident"], world["b"]["incident"]
    buttons = wait.until(lambda d: [e for e in d.find_elements(By.CSS_SELECTOR, "button.dsp-inc")
                                    if e.text.startswith(f"#{a} ")])
    queue = " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, "button.dsp-inc"))
    assert f"#{b} " not in queue
    buttons[0].click()
    recs = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#dsp-recs li"))
    recs[0].find_element(By.CSS_SELECTOR, "button.dsp-assign").click()
    wait.until(lambda d: d.find_elements(By.ID, "dsp-assigned"))
    with connect(db_url) as c:
        d = c.execute("SELECT team_id, assigned_by FROM dispatches WHERE incident_id = %s", (a,)).fetchone()
        rows = c.execute("SELECT actor, action, object_id, township_code, detail FROM audit_log"
                         " WHERE actor = %s AND action LIKE 'dispatch.%%'", (name,)).fetchall()
    assert d is not None and d["assigned_by"] == name
    assert any(r["object_id"] in (str(a), str(d["team_id"])) and "assign" in r["action"] for r in rows), rows
