"""Details worth acting on (issue 13, item 6), in the real headless Chromium against the served app
(``tests.served``, as ``make run`` serves it): clicking an alert, an incident and a team on the command map (canvas markers, clicked at their
screen points found through ``gc.view()``) opens a panel with what a dispatcher acts on —

- the alert: its place (township, the nearest enterprise and its address), description, evidence link, incident;
- the incident: its SLA state, its team and dispatch status, a link to ``/dispatch?incident=<id>`` (which opens
  the dispatch screen with that incident picked);
- the team: its status, current dispatch and today's track (fixes sent through the OsmAnd endpoint), drawn as a
  line on the map.

Scenario county 330799 (``tests.map_scenario``, its own database and server: its area overlaps the demo
county's cells), plus this module's own rows.
``GC_DETAILS_SHOTS=<dir>`` saves 1920×1080 screenshots of the three panels.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import h3.api.basic_int as h3
import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from geo_data import devices
from geo_data.db import connect
from tests import map_scenario as ms

pytestmark = pytest.mark.e2e
SH = ZoneInfo("Asia/Shanghai")
PLACE = (119.6312, 29.0912)            # the incident, in the west township
ALERT_AT = (PLACE[0] + 0.004, PLACE[1])   # its alert ~390 m east (joined by H3 neighbourhood)
NEAR_ENTERPRISE = "详情测试五金店"
ADDRESS = "西城路 8 号"
EVIDENCE = "https://evidence.example.cn/drone/detail-test.jpg"
DESCRIPTION = "无人机巡航发现违章搭建，约 40 平方米"


@pytest.fixture(scope="module")
def base(settings: Any, db_url: str) -> Iterator[str]:
    with ms.live_server(settings, db_url) as url:
        yield url


@pytest.fixture(scope="module")
def scene(db_url: str, base: str) -> dict[str, Any]:
    with connect(db_url) as c:
        team = c.execute("SELECT id, name FROM teams WHERE county_code = %s AND name = '西城综合执法队'",
                         (ms.COUNTY,)).fetchone()
        lng, lat = ALERT_AT[0] + 0.0008, ALERT_AT[1] + 0.0005        # ~90 m from the alert
        c.execute("INSERT INTO enterprises (county_code, township_code, uscc, name, address, industry_code, risk,"
                  " credit, geom, h3_r7, h3_r8, h3_r9) VALUES (%s, %s, '91330799MA0009001X', %s, %s, 'food',"
                  " 'general', 'B', ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s, %s)",
                  (ms.COUNTY, ms.TOWN_W, NEAR_ENTERPRISE, ADDRESS, lng, lat,
                   *[h3.latlng_to_cell(lat, lng, r) for r in (7, 8, 9)]))
        now = datetime.now(SH)
        cells = [h3.latlng_to_cell(PLACE[1], PLACE[0], r) for r in (7, 8, 9)]
        incident = c.execute(
            "INSERT INTO incidents (county_code, township_code, type_code, severity, status, first_seen, last_seen,"
            " sources, geom, h3_r7, h3_r8, h3_r9, sla_due_at) VALUES (%s, %s, 'road', 'high', 'dispatched', %s, %s,"
            " '{drone}', ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s, %s, %s) RETURNING id",
            (ms.COUNTY, ms.TOWN_W, now - timedelta(minutes=20), now - timedelta(minutes=20), *PLACE, *cells,
             now + timedelta(minutes=100))).fetchone()["id"]
        c.execute("UPDATE teams SET status = 'en_route' WHERE id = %s", (team["id"],))
        c.execute("INSERT INTO dispatches (county_code, township_code, incident_id, team_id, status, assigned_by,"
                  " assigned_at) VALUES (%s, %s, %s, %s, 'en_route', 'test', %s)",
                  (ms.COUNTY, ms.TOWN_W, incident, team["id"], now - timedelta(minutes=15)))
        acells = [h3.latlng_to_cell(ALERT_AT[1], ALERT_AT[0], r) for r in (7, 8, 9)]
        alert = c.execute(
            "INSERT INTO alerts (county_code, township_code, source, source_id, source_kind, type_code, observed_at,"
            " severity, confidence, description, evidence_url, incident_id, geom, h3_r7, h3_r8, h3_r9) VALUES"
            " (%s, %s, 'drone-patrol', %s, 'drone', 'road', %s, 'high', 0.91, %s, %s, %s,"
            " ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s, %s) RETURNING id",
            (ms.COUNTY, ms.TOWN_W, f"detail-{time.time()}", now - timedelta(minutes=20), DESCRIPTION, EVIDENCE,
             incident, *ALERT_AT, *acells)).fetchone()["id"]
        token, _ = devices.add_device(c, team_id=team["id"], kind="vehicle", created_by="test")
        c.commit()
    # the team's vehicle reports a short drive towards the incident, through the real endpoint
    start = time.time() - 40
    for k in range(5):
        r = requests.post(f"{base}/api/v1/positions/osmand", params={"token": token},
                          data={"lat": 29.080 + 0.0006 * k, "lon": 119.625 + 0.0008 * k,
                                "timestamp": int((start + 8 * k) * 1000), "speed": 10}, timeout=10)
        assert r.status_code == 200 and r.json()["moved"], r.text
    return {"team": team, "incident": incident, "alert": alert}


def _js(browser: Any, script: str, *args: Any) -> Any:
    return browser.execute_script(script, *args)


CLICK = """
var v = window.gc && gc.view(), kind = arguments[0], fid = kind + ':' + arguments[1];
var m = v && v.markers[kind][fid];
if (!m) { return false; }
v.map.panTo(m.getLatLng(), {animate: false});      // on screen, where a person would click it
var p = v.map.latLngToContainerPoint(m.getLatLng()), box = v.map.getContainer(), r = box.getBoundingClientRect();
box.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true, clientX: r.left + p.x,
                                           clientY: r.top + p.y}));
return true;
"""


def _click(browser: Any, kind: str, rid: int, title: str) -> str:
    WebDriverWait(browser, 15).until(lambda b: _js(b, CLICK, kind, rid))
    WebDriverWait(browser, 10).until(lambda b: title in _js(
        b, "var e = document.getElementById('details-title'); return e ? e.innerText : '';"))
    return str(browser.find_element(By.ID, "details").text)


def _shot(browser: Any, name: str) -> None:
    folder = os.environ.get("GC_DETAILS_SHOTS")
    if folder:
        browser.save_screenshot(os.path.join(folder, f"details_{name}.png"))


def test_alert_incident_and_team_details_are_worth_acting_on(browser: Any, base: str, db_url: str,
                                                              scene: dict[str, Any]) -> None:
    operator = ms.user(db_url, "county_operator")
    ms.console_errors(browser)   # what earlier tests' pages logged in the shared browser is theirs
    browser.set_window_size(1920, 1080)
    chrome = _js(browser, "return window.outerHeight - window.innerHeight")
    browser.set_window_size(1920, 1080 + chrome)     # a 1920×1080 page, as on a desk monitor
    try:
        ms.browser_login(browser, base, operator, "/", db_url=db_url)
        wait = WebDriverWait(browser, 15)
        wait.until(lambda b: _js(b, "return !!(window.gc && gc.view() && "
                                    "Object.keys(gc.view().markers.team).length)"))
        # close in (alerts are points, not bins, from the bin zoom on)
        _js(browser, "gc.view().map.setView([arguments[1], arguments[0]], 16, {animate: false});", *PLACE)

        text = _click(browser, "alert", scene["alert"], f"告警 #{scene['alert']}")
        place = browser.find_element(By.ID, "details-place").text
        assert "西城街道" in place and NEAR_ENTERPRISE in place and ADDRESS in place and "米" in place, place
        assert browser.find_element(By.ID, "details-description").text == DESCRIPTION
        link = browser.find_element(By.CSS_SELECTOR, "#details-evidence a")
        assert link.get_attribute("href") == EVIDENCE and link.get_attribute("rel") == "noopener noreferrer"
        assert f"事件 #{scene['incident']}" in browser.find_element(By.ID, "details-incident").text
        assert "91%" in text and "无人机" in text
        _shot(browser, "alert")

        text = _click(browser, "incident", scene["incident"], f"事件 #{scene['incident']}")
        sla = browser.find_element(By.ID, "details-sla").text
        assert sla.startswith("剩余 ") and sla.endswith(" 分钟") and 90 <= int(sla.split()[1]) <= 100, sla
        team = browser.find_element(By.ID, "details-team").text
        assert scene["team"]["name"] in team and "在途" in team, team
        href = browser.find_element(By.CSS_SELECTOR, "a.gc-dispatch-link").get_attribute("href")
        assert href == f"{base}/dispatch?incident={scene['incident']}"
        _shot(browser, "incident")

        text = _click(browser, "team", scene["team"]["id"], scene["team"]["name"])
        assert f"事件 #{scene['incident']}" in browser.find_element(By.ID, "details-dispatch").text
        assert "在途" in browser.find_element(By.ID, "details-dispatch").text
        assert browser.find_element(By.ID, "details-team-status").text == "在途"
        with connect(db_url) as c:
            today = c.execute("SELECT count(*) AS n FROM team_positions WHERE team_id = %s AND flag = ''"
                              " AND at >= date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai')"
                              " AT TIME ZONE 'Asia/Shanghai'", (scene["team"]["id"],)).fetchone()["n"]
        summary = browser.find_element(By.ID, "track-summary").text
        assert summary.startswith(f"{today} 个定位点"), (summary, today)
        # the track is a line on the map (SVG path in the track's colour), gone when something else is clicked
        line = "return document.querySelectorAll('path[stroke=\"#7b3294\"]').length"
        wait.until(lambda b: _js(b, line) >= 1)
        _shot(browser, "team")
        assert browser.find_elements(By.CSS_SELECTOR, "#details .gc-error") == []
        # another day in the picker: that day's track (none two days ago: the fixes are of the last minute)
        day = browser.find_element(By.ID, "track-day")
        shown = day.get_attribute("value")
        before = (datetime.now(SH) - timedelta(days=2)).date().isoformat()
        day.send_keys(Keys.CONTROL, "a")
        day.send_keys(before, Keys.ENTER)
        wait.until(lambda b: _js(b, "return document.getElementById('track-summary').innerText") == "当日无轨迹")
        wait.until(lambda b: _js(b, line) == 0)
        day.send_keys(Keys.CONTROL, "a")
        day.send_keys(shown, Keys.ENTER)
        wait.until(lambda b: _js(b, line) >= 1)
        _click(browser, "incident", scene["incident"], f"事件 #{scene['incident']}")
        wait.until(lambda b: _js(b, line) == 0)

        # the link opens the dispatch screen with that incident picked
        browser.get(href)
        wait.until(lambda b: f"#{scene['incident']}" in b.find_element(By.ID, "dsp-detail").text)
        assert "剩余" in browser.find_element(By.ID, "dsp-detail").text
        # a closed one (the alert's link opens those too) has no clock there either
        with connect(db_url) as c:
            c.execute("UPDATE dispatches SET status = 'closed' WHERE incident_id = %s", (scene["incident"],))
            c.execute("UPDATE incidents SET status = 'closed', closed_at = now() WHERE id = %s", (scene["incident"],))
            c.commit()
        browser.get(href)
        wait.until(lambda b: "已办结" in b.find_element(By.ID, "dsp-detail").text)
        detail = browser.find_element(By.ID, "dsp-detail").text
        assert "不再计时" in detail and "剩余" not in detail and "超时" not in detail, detail
        errors = [e for e in ms.console_errors(browser) if "favicon" not in e]
        assert errors == [], errors
    finally:
        browser.set_window_size(1600, 1000)
