"""Issuing codes names the visit's own inspectors (not the whole team); the QR encodes the enterprise page's URL
under the setting ``public_base_url``; the page shows nothing of the enterprise or the team."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from enforcement.plan import DayRouteConfig
from geo_data import plans
from geo_data.scope import Role, Scope
from geo_data.settings import DatabaseSettings, ServerSettings, Settings
from geo_data.users import create_user
from tests.db import plan_scenario as ps

SCOPE = Scope(actor="planner-public", role=Role.PLANNER, county_code=ps.COUNTY)
PUBLIC = "https://jc.example.gov.cn/zhifa"


@pytest.fixture(scope="module")
def app(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from app import create_app

    settings = Settings(db=DatabaseSettings(url=db_url, data_dir=tmp_path_factory.mktemp("data")),
                        server=ServerSettings(public_base_url=PUBLIC))
    return create_app(settings, url=db_url)


@pytest.fixture
def codes(conn: Any) -> list[dict[str, Any]]:
    sc = ps.build(conn)
    for n in (4, 8):
        conn.execute("INSERT INTO inspection_tasks (county_code, department_code, enterprise_id, items, reason,"
                     " earliest, latest) VALUES (%s,%s,%s,%s,'annual','2030-03-04','2030-03-08')",
                     (ps.COUNTY, ps.MARKET, sc.by_name(f"测试企业{n:02d}")["id"], ["PM01"]))
    with conn.transaction():
        plan_id = plans.build_plan(conn, SCOPE, period_start=date(2030, 3, 4), period_end=date(2030, 3, 8))
        plans.approve_plan(conn, SCOPE, plan_id)
        plans.route_plan(conn, SCOPE, plan_id, config=DayRouteConfig(time_limit_per_day_s=0.2))
    return conn.execute("SELECT c.code, c.team_id, c.inspector_ids, e.name AS enterprise, t.name AS team"
                        " FROM visit_codes c JOIN plan_visits pv ON pv.id = c.plan_visit_id"
                        " JOIN enterprises e ON e.id = c.enterprise_id JOIN teams t ON t.id = c.team_id"
                        " WHERE pv.plan_id = %s ORDER BY c.code", (plan_id,)).fetchall()


def test_codes_name_two_qualified_inspectors_of_the_visits_team(conn: Any, codes: list[dict[str, Any]]) -> None:
    assert codes
    for c in codes:
        team = conn.execute("SELECT id, department_code FROM inspectors WHERE team_id = %s AND active ORDER BY id",
                            (c["team_id"],)).fetchall()
        assert len(c["inspector_ids"]) == 2 and len(team) == 4   # two of the four, not the whole team
        qualified = [m["id"] for m in team if m["department_code"] == ps.MARKET]
        assert c["inspector_ids"][0] == qualified[0]
        assert set(c["inspector_ids"]) <= {m["id"] for m in team}


def test_qr_encodes_the_public_url_and_sheet_names_own_inspectors(app: Any, conn: Any,
                                                                  codes: list[dict[str, Any]]) -> None:
    client = app.server.test_client()
    create_user(conn, username="planner_public", password="correct-horse-battery", role="planner",
                county_code=ps.COUNTY)
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert client.post("/login", data={"username": "planner_public", "password": "correct-horse-battery",
                                       "csrf_token": csrf, "next": "/"}).status_code == 302
    code = codes[0]["code"]
    png = client.get(f"/visits/{code}/qr.png")
    assert png.status_code == 200
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert [f.text for f in found] == [f"{PUBLIC}/v/{code}"]
    sheet = client.get(f"/visits/{code}/sheet").get_data(as_text=True)
    names = [r["name"] for r in conn.execute("SELECT name FROM inspectors WHERE id = ANY(%s) ORDER BY id",
                                             (codes[0]["inspector_ids"],)).fetchall()]
    others = [r["name"] for r in conn.execute("SELECT name FROM inspectors WHERE team_id = %s AND NOT id = ANY(%s)",
                                              (codes[0]["team_id"], codes[0]["inspector_ids"])).fetchall()]
    listed = re.search(r'<ul id="sheet-inspectors">(.*?)</ul>', sheet, re.S).group(1)  # type: ignore[union-attr]
    assert all(n in listed for n in names) and not any(n in listed for n in others)
    assert f"{PUBLIC}/v/{code}" in sheet


def test_public_page_shows_the_visit_and_nothing_of_the_enterprise_or_team(app: Any,
                                                                          codes: list[dict[str, Any]]) -> None:
    client = app.server.test_client()
    c = codes[0]
    r = client.get(f"/v/{c['code']}")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert "执法证号" in html and c["code"] in html
    assert c["enterprise"] not in html and c["team"] not in html
    assert "<script>" not in html and "onclick" not in html       # behaviour only from /assets/visit_public.js
    assert client.get(f"/v/{c['code']}?lang=en").get_data(as_text=True).count("Badge No.") == 2
    assert client.get("/v/ZJ33990120300304AAAAAAAAAA").status_code == 404
