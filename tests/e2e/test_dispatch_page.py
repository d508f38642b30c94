"""The township dispatch page in a real headless Chromium on the demo county: queue, recommendation with
reasons, one-click assign with timeline, remote closure, and a planner who may not dispatch."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from geo_data.db import connect
from tests.db.dispatch_scenario import token

pytestmark = pytest.mark.e2e
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def town(db_url: str, demo_county: str) -> dict[str, Any]:
    """A demo township with a free comprehensive team, and a source token of the county."""
    with connect(db_url) as c:
        row = c.execute(
            "SELECT tw.code, ST_X(tw.label_point) AS lng, ST_Y(tw.label_point) AS lat FROM townships tw"
            " JOIN teams tm ON tm.township_code = tw.code AND tm.active AND tm.status = 'idle'"
            "  AND 'comprehensive' = ANY(tm.qualifications)"
            " WHERE tw.county_code = %s AND NOT EXISTS (SELECT 1 FROM dispatches d WHERE d.team_id = tm.id"
            "  AND d.status IN ('assigned', 'accepted', 'en_route', 'on_site'))"
            " ORDER BY tw.code DESC LIMIT 1", (demo_county,)).fetchone()
    assert row, "demo county has no free comprehensive township team"
    return {**row, "token": token(db_url, source=f"e2e-{secrets.token_hex(3)}", county=demo_county)}


def _incident(live_url: str, town: dict[str, Any], dx: float) -> int:
    body = {"source_id": f"e2e-{secrets.token_hex(6)}", "source_kind": "ai_camera", "type": "street_vending",
            "observed_at": datetime.now(SH).isoformat(timespec="seconds"), "severity": "urgent",
            "location": {"lng": town["lng"] + dx, "lat": town["lat"]}, "description": "<b>占道</b> 经营"}
    r = requests.post(f"{live_url}/api/v1/alerts", json=body, timeout=10,
                      headers={"Authorization": f"Bearer {town['token']}"})
    assert r.status_code == 201, r.text
    return int(r.json()["incident_id"])


def _open(browser: Any, incident: int) -> WebDriverWait:
    wait = WebDriverWait(browser, 15)
    button = wait.until(lambda b: [e for e in b.find_elements(By.CSS_SELECTOR, "button.dsp-inc")
                                   if e.text.startswith(f"#{incident} ")])
    button[0].click()
    wait.until(lambda b: b.find_element(By.ID, "dsp-timeline"))
    return wait


def test_dispatcher_assigns_the_recommended_team_in_one_click(browser_login: Any, live_url: str, make_user: Any,
                                                               town: dict[str, Any], db_url: str) -> None:
    incident = _incident(live_url, town, 0.0005)
    browser = browser_login(make_user("township_dispatcher", township=town["code"]), "/dispatch")
    wait = _open(browser, incident)
    recs = wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#dsp-recs li"))
    assert "同乡镇" in recs[0].text and "分钟" in recs[0].text
    assert "占道经营" in browser.find_element(By.ID, "dsp-detail").text
    recs[0].find_element(By.CSS_SELECTOR, "button.dsp-assign").click()
    wait.until(lambda b: "派单" in _text(b, "dsp-timeline"))
    wait.until(lambda b: b.find_elements(By.ID, "dsp-assigned"))
    with connect(db_url) as c:
        d = c.execute("SELECT assigned_by, status FROM dispatches WHERE incident_id = %s", (incident,)).fetchone()
    assert d["status"] == "assigned" and d["assigned_by"].startswith("township")


def test_dispatcher_closes_a_vending_incident_remotely(browser_login: Any, live_url: str, make_user: Any,
                                                       town: dict[str, Any], db_url: str) -> None:
    incident = _incident(live_url, town, -0.02)
    browser = browser_login(make_user("township_dispatcher", township=town["code"]), "/dispatch")
    browser.get(f"{live_url}/dispatch?lang=en")
    wait = _open(browser, incident)
    browser.find_element(By.ID, "dsp-reason").send_keys("Vendor left, checked on camera")
    browser.find_element(By.ID, "dsp-evidence").send_keys("https://cam.example.cn/clip/1.mp4")
    browser.find_element(By.ID, "dsp-close-btn").click()
    wait.until(lambda b: "Closed remotely" in _text(b, "dsp-timeline"))
    with connect(db_url) as c:
        row = c.execute("SELECT status, close_evidence FROM incidents WHERE id = %s", (incident,)).fetchone()
    assert row["status"] == "remote_closed" and row["close_evidence"].endswith("1.mp4")


def test_planner_may_not_dispatch(browser_login: Any, make_user: Any) -> None:
    browser = browser_login(make_user("planner"), "/dispatch")
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.ID, "dsp-forbidden"))
    assert "无派单权限" in browser.find_element(By.ID, "dsp-forbidden").text


def _text(browser: Any, element_id: str) -> str:
    """An element's text read in the page (the live push re-renders it: a held element handle goes stale)."""
    return str(browser.execute_script("var e = document.getElementById(arguments[0]); return e ? e.innerText : '';",
                                      element_id))
