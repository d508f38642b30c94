"""Inspection codes: scan-in accepted near the enterprise on the day, refused 2 km away; rating once; QR and
sheet for logged-in users only."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from enforcement.plan import DayRouteConfig
from geo_data import plans
from geo_data.scope import Role, Scope
from geo_data.users import create_user
from tests.db import plan_scenario as ps

SCOPE = Scope(actor="planner-codes", role=Role.PLANNER, county_code=ps.COUNTY)
M_PER_DEG_LAT = 111_320.0


@pytest.fixture(scope="module")
def app(settings: Any, db_url: str) -> Any:
    from app import create_app

    return create_app(settings, url=db_url)


@pytest.fixture
def codes(conn: Any) -> list[dict[str, Any]]:
    """Two routed, coded visits moved to today (Asia/Shanghai) so they can be scanned now."""
    sc = ps.build(conn)
    for n in (4, 8, 12):   # high×D: quota 6 a year, so each test gets its own visits
        conn.execute("INSERT INTO inspection_tasks (county_code, department_code, enterprise_id, items, reason,"
                     " earliest, latest) VALUES (%s,%s,%s,%s,'annual','2030-03-04','2030-03-08')",
                     (ps.COUNTY, ps.MARKET, sc.by_name(f"测试企业{n:02d}")["id"], ["PM01"]))
    with conn.transaction():
        plan_id = plans.build_plan(conn, SCOPE, period_start=date(2030, 3, 4), period_end=date(2030, 3, 8))
        plans.approve_plan(conn, SCOPE, plan_id)
        plans.route_plan(conn, SCOPE, plan_id, config=DayRouteConfig(time_limit_per_day_s=0.2))
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    rows = conn.execute("SELECT c.code, c.visit_id, ST_X(e.geom) AS lng, ST_Y(e.geom) AS lat FROM visit_codes c"
                        " JOIN plan_visits pv ON pv.id = c.plan_visit_id JOIN enterprises e ON e.id = c.enterprise_id"
                        " WHERE pv.plan_id = %s ORDER BY c.code", (plan_id,)).fetchall()
    assert len(rows) == 3
    for r in rows:
        conn.execute("UPDATE visit_codes SET visit_date = %s WHERE code = %s", (today, r["code"]))
        conn.execute("UPDATE visits SET visit_date = %s WHERE id = %s", (today, r["visit_id"]))
    return rows


def post(client: Any, url: str, body: Any) -> Any:
    return client.post(url, json=body)


def test_scan_near_accepted_far_refused_and_rating_once(app: Any, conn: Any, codes: list[dict[str, Any]]) -> None:
    client = app.server.test_client()
    near, far, unvisited = codes
    assert re.fullmatch(rf"ZJ{ps.COUNTY}\d{{8}}[A-Z2-7]{{10}}", near["code"])

    r = post(client, f"/api/v1/visits/{near['code']}/scan",
             {"lng": near["lng"], "lat": near["lat"] + 30 / M_PER_DEG_LAT, "datum": "wgs84"})
    assert r.status_code == 200, r.json
    assert r.json["accepted"] and 20 < r.json["distance_m"] < 40
    v = conn.execute("SELECT code_scanned, scanned_at FROM visits WHERE id = %s", (near["visit_id"],)).fetchone()
    assert v["code_scanned"] and v["scanned_at"] is not None
    assert post(client, f"/api/v1/visits/{near['code']}/scan",
                {"lng": near["lng"], "lat": near["lat"]}).status_code == 409

    r = post(client, f"/api/v1/visits/{far['code']}/scan", {"lng": far["lng"], "lat": far["lat"] + 2000 / M_PER_DEG_LAT})
    assert r.status_code == 422
    assert "too far" in r.json["error"] and re.search(r"199\d m", r.json["error"])
    assert conn.execute("SELECT scanned_at FROM visit_codes WHERE code = %s", (far["code"],)).fetchone()["scanned_at"] is None
    attempt = conn.execute("SELECT accepted, reason FROM visit_code_attempts WHERE code = %s", (far["code"],)).fetchone()
    assert attempt["accepted"] is False and "too far" in attempt["reason"]

    # GCJ-02 coordinates from a phone map are converted before the check
    from geo_data.coords import wgs84_to_gcj02
    glng, glat = wgs84_to_gcj02(far["lng"], far["lat"])
    assert post(client, f"/api/v1/visits/{far['code']}/scan",
                {"lng": glng, "lat": glat, "datum": "gcj02"}).status_code == 200

    assert post(client, f"/api/v1/visits/{near['code']}/rating", {"rating": 5, "comment": "很规范"}).status_code == 200
    second = post(client, f"/api/v1/visits/{near['code']}/rating", {"rating": 1})
    assert second.status_code == 409
    rated = conn.execute("SELECT rating, rating_comment FROM visits WHERE id = %s", (near["visit_id"],)).fetchone()
    assert rated == {"rating": 5, "rating_comment": "很规范"}

    before = post(client, f"/api/v1/visits/{unvisited['code']}/rating", {"rating": 4})
    assert before.status_code == 422 and "not taken place" in before.json["error"]


def test_bad_input_unknown_codes_and_rate_limit(app: Any, codes: list[dict[str, Any]]) -> None:
    client = app.server.test_client()
    code = codes[2]["code"]
    r = post(client, f"/api/v1/visits/{code}/rating", {"rating": 6})
    assert r.status_code == 422 and r.json["problems"][0]["loc"] == "rating"
    assert post(client, f"/api/v1/visits/{code}/rating", {"rating": 3, "comment": "x" * 501}).status_code == 422
    assert post(client, f"/api/v1/visits/{code}/scan", {"lng": 999, "lat": 29}).status_code == 422
    assert post(client, f"/api/v1/visits/{code}/scan", {"lng": 119.6, "lat": 29.1, "datum": "utm"}).status_code == 422
    assert post(client, "/api/v1/visits/ZJ33990120300304AAAAAAAAAA/scan", {"lng": 119.6, "lat": 29.1}).status_code == 404
    assert post(client, "/api/v1/visits/<script>/scan", {"lng": 119.6, "lat": 29.1}).status_code == 404
    statuses = [post(client, f"/api/v1/visits/{code}/scan", {"lng": 119.0, "lat": 29.1}).status_code for _ in range(12)]
    assert statuses[0] == 422 and statuses[-1] == 429


def test_a_stranger_cannot_block_the_inspectors_scan_in(app: Any, codes: list[dict[str, Any]]) -> None:
    """The limit counts per (code, client address): eleven bad requests from elsewhere leave the inspector's
    scan-in and the enterprise's rating open (issue 16)."""
    client = app.server.test_client()
    code = codes[1]

    def from_addr(addr: str, kind: str, body: Any) -> int:
        return int(client.post(f"/api/v1/visits/{code['code']}/{kind}", json=body,
                               environ_base={"REMOTE_ADDR": addr}).status_code)

    stranger = [from_addr("203.0.113.9", "scan", {"lng": 119.0, "lat": 29.1}) for _ in range(11)]
    assert stranger[0] == 422 and stranger[-1] == 429
    assert from_addr("203.0.113.9", "rating", {"rating": 1}) == 429
    assert from_addr("198.51.100.7", "scan", {"lng": code["lng"], "lat": code["lat"]}) == 200
    assert from_addr("198.51.100.8", "rating", {"rating": 5}) == 200


def test_qr_and_sheet_need_login_and_escape(app: Any, conn: Any, db_url: str, codes: list[dict[str, Any]]) -> None:
    client = app.server.test_client()
    code = codes[0]["code"]
    assert client.get(f"/visits/{code}/qr.svg").status_code in (302, 401)
    create_user(conn, username="planner_codes", password="correct-horse-battery", role="planner",
                county_code=ps.COUNTY)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"username": "planner_codes", "password": "correct-horse-battery",
                                    "csrf_token": token, "next": "/"})
    assert r.status_code == 302
    svg = client.get(f"/visits/{code}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    png = client.get(f"/visits/{code}/qr.png")
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    conn.execute("UPDATE inspection_items SET legal_basis = '<b>法</b>' WHERE code = 'PM01'")
    sheet = client.get(f"/visits/{code}/sheet").get_data(as_text=True)
    assert code in sheet and "&lt;b&gt;法&lt;/b&gt;" in sheet and "<b>法</b>" not in sheet
    assert "ZF339901" in sheet and 'href="/assets/printable.css"' in sheet and 'class="gc-sheet"' in sheet
    print_css = client.get("/assets/printable.css").get_data(as_text=True)   # its print styles
    assert "@media print" in print_css and "@page gc-sheet" in print_css
    assert client.get("/visits/ZJ33990120300304AAAAAAAAAA/sheet").status_code == 404
