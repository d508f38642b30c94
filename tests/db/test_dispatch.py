"""Dispatch through the real HTTP API and PostGIS: recommendation order on a crafted township, the workflow
with its timeline and team states, 50 concurrent assigns of one team, SLA escalation, and who may do what
(token scopes, planner 403, township dispatcher limited to their township)."""

from __future__ import annotations

import re
import secrets
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import h3.api.basic_int as h3_int
import pytest
import requests

from geo_data.db import connect
from geo_data.dispatch import escalate_overdue
from geo_data.settings import SimulatorSettings
from geo_data.users import create_user
from tests.db.dispatch_scenario import (
    COUNTY,
    add_enterprise,
    add_team,
    alert,
    api_server,
    api_settings,
    build,
    token,
)

PASSWORD = "correct-horse-battery"
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def api(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    with connect(db_url) as c:
        build(c)
        c.commit()
    with api_server(db_url, api_settings(db_url, tmp_path_factory.mktemp("dispatch"))) as url:
        yield url


@pytest.fixture(scope="module")
def src(db_url: str, api: str) -> str:
    return token(db_url, source=f"disp-src-{secrets.token_hex(3)}")


@pytest.fixture(scope="module")
def client(db_url: str, api: str) -> str:
    return token(db_url, source="dispatch-client", scopes=("incidents:read", "dispatch:write"))


def _h(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


def _incident(api: str, src: str, lng: float, lat: float, type: str = "gt_vending") -> int:
    now = datetime.now(SH).replace(microsecond=0).isoformat()
    r = requests.post(api + "/api/v1/alerts", json=alert(f"d-{secrets.token_hex(6)}", type=type, lng=lng, lat=lat,
                                                          observed_at=now), headers=_h(src), timeout=10)
    assert r.status_code == 201, r.text
    return int(r.json()["incident_id"])


def _login(api: str, username: str) -> requests.Session:
    s = requests.Session()
    page = s.get(api + "/login", timeout=10).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    r = s.post(api + "/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf.group(1),
                                     "next": "/"}, timeout=10, allow_redirects=False)
    assert r.status_code == 302, r.text
    return s


def _user(db_url: str, role: str, township: str | None = None) -> str:
    name = f"{role[:8]}_{secrets.token_hex(3)}"
    with connect(db_url) as c:
        create_user(c, username=name, password=PASSWORD, role=role, county_code=COUNTY, township_code=township)
        c.commit()
    return name


def test_recommendation_order_on_a_crafted_township(api: str, src: str, client: str, db_url: str) -> None:
    # Incident in the SW township at a spot of its own (vending: needs the gt_city qualification).
    inc_lng, inc_lat = 120.0123, 30.0377
    incident = _incident(api, src, inc_lng, inc_lat)
    tag = secrets.token_hex(2)
    with connect(db_url) as c:
        a = add_team(c, name=f"A近{tag}", township="339901001", lng=120.0200, lat=30.0377, qualifications=["gt_city"])
        add_team(c, name=f"B无资质{tag}", township="339901001", lng=120.0125, lat=30.0378, qualifications=["gt_env"])
        cn = add_team(c, name=f"C邻镇{tag}", township="339901002", lng=120.0520, lat=30.0377,
                      qualifications=["gt_city"])
        d = add_team(c, name=f"D县级{tag}", township=None, lng=120.0130, lat=30.0380, qualifications=["gt_city"])
        add_team(c, name=f"E休息{tag}", township="339901001", lng=120.0124, lat=30.0377,
                 qualifications=["gt_city"], status="rest")
        f = add_team(c, name=f"F顺路{tag}", township="339901001", lng=120.0450, lat=30.0450,
                     qualifications=["gt_city"])
        ent, _ = add_enterprise(c, name=f"计划企业{tag}", lng=inc_lng + 0.002, lat=inc_lat)
        cells = {r: h3_int.latlng_to_cell(inc_lat, inc_lng + 0.002, r) for r in (7, 8, 9)}
        c.execute("INSERT INTO visits (county_code, township_code, enterprise_id, team_id, visit_date,"
                  " lead_department, departments, status, geom, h3_r7, h3_r8, h3_r9) VALUES (%s, '339901001', %s,"
                  " %s, %s, 'gt_city', '{gt_city}', 'planned', ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s, %s)",
                  (COUNTY, ent, f, datetime.now(SH).date(), inc_lng + 0.002, inc_lat, cells[7], cells[8], cells[9]))
        c.commit()
    r = requests.get(f"{api}/api/v1/incidents/{incident}/recommendations", headers=_h(client), timeout=10)
    assert r.status_code == 200, r.text
    items = [x for x in r.json()["items"] if x["team_id"] in (a, cn, d, f)]
    mine = [x for x in r.json()["items"] if tag in x["name"]]
    assert [x["team_id"] for x in mine] == [f, a, cn, d]  # piggy-back, same township, neighbour, county
    assert [x["relation"] for x in items] == ["same", "same", "neighbour", "county"]
    assert items[0]["piggyback"] and "顺路" in items[0]["reasons_zh"] and "piggy-back" in items[0]["reasons_en"]
    assert items[1]["reasons_zh"].startswith("同乡镇 · 空闲 · 约 ") and "今日已派 0 单" in items[1]["reasons_zh"]
    assert 0 < items[1]["eta_minutes"] < items[2]["eta_minutes"]


def test_workflow_timeline_team_states_and_reassign(api: str, src: str, client: str, conn: Any) -> None:
    incident = _incident(api, src, 120.0877, 30.0123)
    tag = secrets.token_hex(2)
    t1 = add_team(conn, name=f"流程一{tag}", township="339901002", lng=120.08, lat=30.01, qualifications=["gt_city"])
    t2 = add_team(conn, name=f"流程二{tag}", township="339901002", lng=120.09, lat=30.01, qualifications=["gt_city"])

    def post(path: str, body: dict[str, Any]) -> requests.Response:
        return requests.post(f"{api}/api/v1/incidents/{incident}/{path}", json=body, headers=_h(client), timeout=10)

    def team_status(t: int) -> str:
        return str(conn.execute("SELECT status FROM teams WHERE id = %s", (t,)).fetchone()["status"])

    assert post("assign", {"team_id": t1, "eta_minutes": 7}).status_code == 200
    assert team_status(t1) == "out"
    r = post("assign", {"team_id": t2})
    assert r.status_code == 409 and "reassign" in r.json()["error"]
    assert post("assign", {"team_id": t2, "reassign": True, "note": "一组车辆故障"}).status_code == 200
    assert (team_status(t1), team_status(t2)) == ("idle", "out")
    for step, team_state in (("accepted", "out"), ("en_route", "en_route"), ("on_site", "on_site"),
                             ("resolved", "idle")):
        r = post("status", {"status": step})
        assert r.status_code == 200, r.text
        assert team_status(t2) == team_state
    r = post("status", {"status": "on_site"})
    assert r.status_code == 409
    assert post("status", {"status": "closed", "note": "已整改"}).status_code == 200
    detail = requests.get(f"{api}/api/v1/incidents/{incident}", headers=_h(client), timeout=10).json()
    assert detail["status"] == "closed" and detail["on_site_at"]
    events = [e["event"] for e in detail["timeline"]]
    assert events == ["created", "assigned", "reassigned", "assigned", "accepted", "en_route", "on_site",
                      "resolved", "closed"]
    assert all(e["actor"].startswith("token:") for e in detail["timeline"][1:])
    audited = conn.execute("SELECT count(*) AS n FROM audit_log WHERE object_type = 'incident' AND object_id = %s"
                           " AND action LIKE 'dispatch.%%'", (str(incident),)).fetchone()["n"]
    assert audited == 8


def test_fifty_concurrent_assigns_of_one_team_give_one_dispatch(api: str, src: str, client: str, conn: Any) -> None:
    base = h3_int.latlng_to_cell(30.08, 120.02, 9)
    cells = list(h3_int.grid_disk(base, 5))[:50]
    incidents = [_incident(api, src, h3_int.cell_to_latlng(c)[1], h3_int.cell_to_latlng(c)[0], type="gt_noise")
                 for c in cells]
    assert len(set(incidents)) == 50
    team = add_team(conn, name=f"抢单{secrets.token_hex(2)}", township="339901003", lng=120.02, lat=30.08,
                    qualifications=["gt_city"])
    codes: list[int] = []
    barrier = threading.Barrier(50)

    def attempt(i: int) -> None:
        barrier.wait()
        r = requests.post(f"{api}/api/v1/incidents/{incidents[i]}/assign", json={"team_id": team},
                          headers=_h(client), timeout=30)
        codes.append(r.status_code)
        if r.status_code == 409:
            assert r.json()["error"].startswith("team already busy")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200] + [409] * 49
    n = conn.execute("SELECT count(*) AS n FROM dispatches WHERE team_id = %s", (team,)).fetchone()["n"]
    assert n == 1
    dispatched = conn.execute("SELECT count(*) AS n FROM incidents WHERE id = ANY(%s) AND status = 'dispatched'",
                              (incidents,)).fetchone()["n"]
    assert dispatched == 1


def test_sla_overdue_incidents_are_escalated_once(api: str, src: str, conn: Any) -> None:
    incident = _incident(api, src, 120.0611, 30.0688)
    conn.execute("UPDATE incidents SET sla_due_at = now() - interval '1 minute' WHERE id = %s", (incident,))
    with conn.transaction():
        ids = escalate_overdue(conn, datetime.now(UTC))
    assert incident in ids
    with conn.transaction():
        assert incident not in escalate_overdue(conn, datetime.now(UTC) + timedelta(minutes=1))
    row = conn.execute("SELECT escalated, escalation_reason FROM incidents WHERE id = %s", (incident,)).fetchone()
    assert row["escalated"] and row["escalation_reason"] == "sla"


def test_who_may_dispatch(api: str, src: str, db_url: str, conn: Any) -> None:
    incident = _incident(api, src, 120.0222, 30.0111)  # township 001
    team = add_team(conn, name=f"权限{secrets.token_hex(2)}", township="339901001", lng=120.02, lat=30.01,
                    qualifications=["gt_city"])
    planner = _login(api, _user(db_url, "planner"))
    r = planner.post(f"{api}/api/v1/incidents/{incident}/assign", json={"team_id": team}, timeout=10)
    assert r.status_code == 403
    other = _login(api, _user(db_url, "township_dispatcher", "339901002"))
    assert other.get(f"{api}/api/v1/incidents/{incident}", timeout=10).status_code == 403
    r = other.post(f"{api}/api/v1/incidents/{incident}/assign", json={"team_id": team}, timeout=10)
    assert r.status_code == 403
    listed = other.get(f"{api}/api/v1/incidents", timeout=10).json()["items"]
    assert all(i["township_code"] == "339901002" for i in listed)
    assert conn.execute("SELECT count(*) AS n FROM dispatches WHERE incident_id = %s",
                        (incident,)).fetchone()["n"] == 0
    own = _login(api, _user(db_url, "township_dispatcher", "339901001"))
    r = own.post(f"{api}/api/v1/incidents/{incident}/assign", json={"team_id": team}, timeout=10)
    assert r.status_code == 200, r.text
    reader = token(db_url, source="read-only", scopes=("incidents:read",))
    r = requests.post(f"{api}/api/v1/incidents/{incident}/status", json={"status": "accepted"},
                      headers=_h(reader), timeout=10)
    assert r.status_code == 403
    assert requests.get(f"{api}/api/v1/incidents", timeout=10).status_code == 401


def test_simulator_sends_alerts_and_dispatches(api: str, db_url: str, conn: Any,
                                                           tmp_path: Any) -> None:
    from cli.simulate import run

    with connect(db_url) as c:
        for i in range(5):
            add_enterprise(c, name=f"模拟企业{i}{secrets.token_hex(2)}", lng=120.01 + 0.015 * i, lat=30.04 + 0.01 * i)
        add_team(c, name=f"模拟队{secrets.token_hex(2)}", township="339901003", lng=120.03, lat=30.07,
                 qualifications=["gt_city", "gt_env"])
        c.commit()
    # every dispatcher's part ("all"); team moves go through the positions endpoint of the served app
    # (tests/e2e/test_simulator.py), which this API-only server does not mount
    every = SimulatorSettings(alert_rate=15, fix_interval_s=0, dispatch="all")
    sent = run(api=api, db_url=db_url, county=COUNTY, settings=every, duration=3.5, data_dir=tmp_path, seed=3).alerts
    assert sent >= 30
    stored = conn.execute("SELECT count(*) AS n, count(DISTINCT source_kind) AS kinds FROM alerts"
                          " WHERE source = 'simulator'").fetchone()
    assert stored["n"] >= 20 and stored["kinds"] >= 2
    acted = conn.execute("SELECT count(*) AS n FROM dispatch_events WHERE actor LIKE 'token:%%'"
                         " AND event IN ('assigned', 'remote_closed')").fetchone()
    assert acted["n"] >= 1
    # a second run reuses the stored token instead of creating another
    before = conn.execute("SELECT count(*) AS n FROM api_tokens WHERE source = 'simulator'").fetchone()["n"]
    run(api=api, db_url=db_url, county=COUNTY, settings=every, duration=0.5, data_dir=tmp_path, seed=4)
    assert conn.execute("SELECT count(*) AS n FROM api_tokens WHERE source = 'simulator'").fetchone()["n"] == before


def test_bad_bodies_are_refused_naming_the_field_after_the_scope(api: str, src: str, client: str, db_url: str,
                                                                  conn: Any) -> None:
    """Each dispatch write answers a bad body with 422 naming the field (nothing written); a token that may not
    write is refused first (403), whatever its body."""
    incident = _incident(api, src, 120.0377, 30.0855, type="gt_discharge")   # nobody else's incident here
    cases = [("assign", {"team_id": "x"}, "team_id"), ("assign", {"team_id": 1, "extra": 1}, "extra"),
             ("status", {"status": "flying"}, "status"), ("remote-close", {"reason": ""}, "reason")]
    for action, body, field in cases:
        r = requests.post(f"{api}/api/v1/incidents/{incident}/{action}", json=body, headers=_h(client), timeout=10)
        assert r.status_code == 422, (action, r.text)
        assert r.json()["error"] == "invalid input" and field in [p["loc"] for p in r.json()["problems"]], r.text
    reader = token(db_url, source="read-only-bad", scopes=("incidents:read",))
    for action, body, _field in cases:
        r = requests.post(f"{api}/api/v1/incidents/{incident}/{action}", json=body, headers=_h(reader), timeout=10)
        assert r.status_code == 403, (action, r.text)
    assert conn.execute("SELECT count(*) AS n FROM dispatches WHERE incident_id = %s",
                        (incident,)).fetchone()["n"] == 0
    assert conn.execute("SELECT status FROM incidents WHERE id = %s", (incident,)).fetchone()["status"] == "open"
