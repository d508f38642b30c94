"""The wall display in a real headless Chromium: KPIs, live incidents, urgent focus, staleness, scoping."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from geo_data.db import connect
from tests import map_scenario as ms

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def base(settings: Any, db_url: str) -> Iterator[str]:
    with ms.live_server(settings, db_url) as url:
        yield url


def _js(browser: Any, script: str) -> Any:
    return browser.execute_script(script)


def _live(browser: Any) -> None:
    WebDriverWait(browser, 10).until(lambda b: _js(b, "return window.gc && gc.live.source && gc.live.source.readyState === 1"))


def test_wall_shows_kpis_live_incidents_and_flies_to_a_new_urgent_one(browser: Any, base: str, db_url: str) -> None:
    ms.browser_login(browser, base, ms.user(db_url, "viewer"), "/wall")
    wait = WebDriverWait(browser, 10)
    wait.until(lambda b: _js(b, "var e = document.getElementById('kpi-alerts_today'); return e ? e.innerText : ''")
               not in ("", "—"))
    assert _js(browser, "return document.getElementById('kpi-joint_rate').innerText").endswith("%")
    assert "今日告警" in browser.find_element(By.ID, "wall-kpis").text
    wait.until(lambda b: _js(b, "return document.querySelectorAll('#wall-incident-list li').length") >= 3)
    wait.until(lambda b: _js(b, "return document.querySelectorAll('.gc-label').length") == 2)
    _live(browser)
    assert not _js(browser, "return document.querySelector('.gc-pulse') !== null")
    with connect(db_url) as c:
        ms.add_alert(c, lng=119.69, lat=29.11, township=ms.TOWN_E, severity="urgent", source_kind="sensor",
                     source_id=f"wall-{time.time()}")
        c.commit()
    WebDriverWait(browser, 3, poll_frequency=0.05).until(
        lambda b: _js(b, "return document.querySelector('.gc-pulse') !== null"))
    # the list re-renders on every change: read it in the page, not through element handles
    wait.until(lambda b: "紧急" in _js(b, "var li = document.querySelector('#wall-incident-list li');"
                                          " return li ? li.innerText : '';"))
    # the stale-data warning appears when nothing (not even a heartbeat) arrived for a while
    assert "hidden" in browser.find_element(By.ID, "stale").get_attribute("class")
    # nothing arrives any more (the stream closed, as when the server is gone): not even a heartbeat can reset it
    _js(browser, "gc.live.source.close(); gc.live.lastAt = Date.now() - 40000;")
    wait.until(lambda b: "hidden" not in b.find_element(By.ID, "stale").get_attribute("class"))
    assert "数据已 4" in browser.find_element(By.ID, "stale").text


def test_township_dispatcher_wall_in_english_gets_only_own_township(browser: Any, base: str, db_url: str) -> None:
    ms.browser_login(browser, base, ms.user(db_url, "township_dispatcher", ms.TOWN_W), "/wall?lang=en")
    wait = WebDriverWait(browser, 10)
    wait.until(lambda b: "Alerts today" in b.find_element(By.ID, "wall-kpis").text)
    wait.until(lambda b: _js(b, "return document.querySelectorAll('#wall-incident-list li').length") >= 1)
    towns = set(_js(browser, "return Array.from(document.querySelectorAll('#wall-incident-list .inc-town'))"
                             ".map(e => e.innerText)"))
    assert towns == {"西城街道"}
    _live(browser)
    seen = _js(browser, "return gc.live.seen")
    with connect(db_url) as c:
        ms.add_alert(c, lng=119.68, lat=29.06, township=ms.TOWN_E, source_id=f"other-{time.time()}")
        c.commit()
        ms.add_alert(c, lng=119.61, lat=29.06, township=ms.TOWN_W, source_id=f"own-{time.time()}")
        c.commit()
    WebDriverWait(browser, 3, poll_frequency=0.05).until(lambda b: _js(b, "return gc.live.seen") >= seen + 2)
    time.sleep(0.3)
    kinds = _js(browser, "return Object.values(gc.live.layers.alert).concat(Object.values(gc.live.layers.incident))"
                         ".map(f => f.geometry.coordinates[0])")
    assert all(x < ms.MID for x in kinds), "nothing from the other township reached this browser"
