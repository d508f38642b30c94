"""Every page of the product as the people who use it see it, for the browser tests that walk them all (the
accessibility check and the language check, issue 17): which role opens which page, what to wait for before
the page counts as drawn, and the two accounts-free cases: an inspector's phone on ``/field`` and the
enterprise's page of an inspection code (``/v/<code>``).
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from geo_data.db import connect
from geo_data.users import create_user
from tests.conftest import TEST_PASSWORD

SH = ZoneInfo("Asia/Shanghai")
COUNTY = "330702"
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
DISPATCHER_TOWNSHIP = "330702001"

# the desk pages each role uses (what its shell offers: tests/e2e/test_shell.py ALLOWED)
DESK_PAGES = {
    "viewer": ("/", "/wall"),
    "township_dispatcher": ("/", "/dispatch", "/coverage", "/wall"),
    "county_operator": ("/", "/dispatch", "/coverage", "/wall"),
    "planner": ("/", "/coverage", "/planner", "/wall"),
    "admin": ("/", "/coverage", "/planner", "/admin", "/wall"),
}
# an element each page draws once its layout is in
MARKERS = {"/": "map", "/dispatch": "dsp-queue", "/coverage": "cov-period", "/planner": "planner-upload",
           "/admin": "admin-users", "/wall": "wall-map", "/field": "gc-f-visits", "/v/": "gc-v-lead",
           "/login": "login-submit"}


def marker_of(path: str) -> str:
    return MARKERS["/v/" if path.startswith("/v/") else path.split("?")[0]]


def open_page(browser: Any, url: str, path: str, *, settle_s: float = 2.0) -> None:
    """Load ``url`` (a page at ``path``) and wait until its layout is in and its first callbacks have answered."""
    browser.get(url)
    marker = marker_of(path)
    WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.ID, marker), f"{url}: no #{marker} in 30 s")
    # Dash renders the layout, then its first callbacks fill it (tables, lists, the map's layers)
    WebDriverWait(browser, 30).until(lambda b: not b.find_elements(By.CSS_SELECTOR, "[data-dash-is-loading='true']"),
                                     f"{url}: still loading after 30 s")
    time.sleep(settle_s)


def township_for(role: str) -> str | None:
    return DISPATCHER_TOWNSHIP if role == "township_dispatcher" else None


def make_inspector(db_url: str, county: str = COUNTY) -> str:
    """A fresh inspector account of an active township team of the county (no second factor for this role)."""
    with connect(db_url) as c:
        team = c.execute("SELECT id FROM teams WHERE county_code = %s AND kind = 'township' AND active"
                         " ORDER BY id LIMIT 1", (county,)).fetchone()
        assert team is not None, "the demo county has no township team"
        name = f"insp_{secrets.token_hex(3)}"
        create_user(c, username=name, password=TEST_PASSWORD, role="inspector", county_code=county,
                    team_id=team["id"], display_name="张三")
        c.commit()
    return name


def make_active_dispatch(db_url: str, county: str = COUNTY) -> None:
    """The team ``make_inspector`` joins holds an active dispatch (the field app then shows it, in the page's
    language); made here when none is, so what the page shows does not depend on what earlier tests did."""
    from geo_data.alerts import AlertInput, ingest
    from geo_data.scope import Role, Scope
    from services import dispatch

    with connect(db_url) as c:
        team = c.execute("SELECT id, ST_X(base) AS lng, ST_Y(base) AS lat FROM teams WHERE county_code = %s"
                         " AND kind = 'township' AND active ORDER BY id LIMIT 1", (county,)).fetchone()
        assert team is not None, "the demo county has no township team"
        if c.execute("SELECT 1 FROM dispatches WHERE team_id = %s AND status IN ('assigned', 'accepted',"
                     " 'en_route', 'on_site')", (team["id"],)).fetchone():
            return
        c.execute("UPDATE teams SET status = 'idle' WHERE id = %s", (team["id"],))
        [stored] = ingest(c, source=f"walk-{secrets.token_hex(3)}", county_code=county, alerts=[AlertInput(
            source_id=secrets.token_hex(6), source_kind="complaint", type_code="street_vending",
            observed_at=datetime.now(SH), lng=team["lng"] + 0.0003, lat=team["lat"], severity="high")])
        assert stored.incident_id is not None, stored
        dispatch.assign(c, Scope("walk", Role.COUNTY_OPERATOR, county), stored.incident_id, team["id"],
                        reassign=False)
        c.commit()


def make_visit_code(db_url: str, county: str = COUNTY) -> str:
    """Today's planned visit of a demo enterprise by a township team with its inspection code (as issuing makes
    it); the code of the enterprise's page ``/v/<code>``."""
    from geo_data.visit_codes import new_code

    today = datetime.now(SH).date()
    with connect(db_url) as c:
        team = c.execute("SELECT t.id, t.township_code, array_agg(i.id ORDER BY i.id) AS members, min(i.department_code)"
                         " AS department FROM teams t JOIN inspectors i ON i.team_id = t.id AND i.active"
                         " WHERE t.county_code = %s AND t.kind = 'township' AND t.active GROUP BY t.id"
                         " ORDER BY t.id LIMIT 1", (county,)).fetchone()
        assert team is not None, "the demo county has no township team with inspectors"
        items = [r["code"] for r in c.execute("SELECT code FROM inspection_items WHERE department_code = %s"
                                              " ORDER BY code LIMIT 2", (team["department"],)).fetchall()]
        code = new_code(county, today)
        visit = c.execute(
            "INSERT INTO visits (county_code, township_code, enterprise_id, team_id, visit_date, lead_department,"
            " departments, items, status, code, geom, h3_r7, h3_r8, h3_r9) SELECT county_code, township_code, id, %s,"
            " %s, %s, %s, %s, 'planned', %s, geom, h3_r7, h3_r8, h3_r9 FROM enterprises WHERE county_code = %s"
            " AND township_code = %s ORDER BY id LIMIT 1 RETURNING id, enterprise_id",
            (team["id"], today, team["department"], [team["department"]], items, code, county,
             team["township_code"])).fetchone()
        assert visit is not None
        c.execute("INSERT INTO visit_codes (code, county_code, visit_id, enterprise_id, team_id, visit_date,"
                  " inspector_ids, items) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                  (code, county, visit["id"], visit["enterprise_id"], team["id"], today, team["members"][:2], items))
        c.commit()
    return str(code)
