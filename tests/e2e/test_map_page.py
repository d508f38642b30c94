"""The command map in a real headless Chromium against the real server and PostGIS (scenario county 330799)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from geo_data.db import connect
from tests import map_scenario as ms

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def base(settings: Any, db_url: str) -> Iterator[str]:
    with ms.live_server(settings, db_url) as url:
        yield url


@pytest.fixture(scope="module")
def operator(base: str, db_url: str) -> str:
    return ms.user(db_url, "county_operator")


def _js(browser: Any, script: str) -> Any:
    return browser.execute_script(script)


# markers the live layer drew (canvas circles, one per feature id; gridcommand.js View)
_DRAWN = "var v = window.gc && gc.view(); return v ? Object.keys(v.markers.{kind}).length : 0;"


def _legend(browser: Any) -> str:
    return str(_js(browser, "var e = document.getElementById('legend'); return e ? e.innerText : '';"))


def _search(browser: Any, text: str) -> None:
    box = browser.find_element(By.ID, "search")
    box.clear()
    box.send_keys(text + Keys.ENTER)


def test_map_shows_layers_opens_cell_details_and_switches_hexes_to_points(browser: Any, base: str,
                                                                         operator: str, db_url: str) -> None:
    ms.browser_login(browser, base, operator, "/", db_url=db_url)
    wait = WebDriverWait(browser, 10)
    wait.until(lambda b: "H3" in _legend(b))
    n_cells = _js(browser, "return document.querySelectorAll('path[stroke=\"#7a7a7a\"]').length")
    assert n_cells > 20, "the H3 choropleth is drawn"
    labels = _js(browser, "return Array.from(document.querySelectorAll('.gc-label')).map(e => e.innerText)")
    assert set(labels) == {"西城街道", "东湖镇"}, "township labels"
    wait.until(lambda b: _js(b, _DRAWN.format(kind="alert")) >= 3)
    assert _js(browser, _DRAWN.format(kind="team")) == 2
    # clicking a cell opens what belongs to it
    cell = browser.find_element(By.CSS_SELECTOR, 'path[stroke="#7a7a7a"][fill-opacity="0.6"]')
    browser.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", cell)
    wait.until(lambda b: "网格" in "".join(e.text for e in b.find_elements(By.ID, "details-title")))
    text = browser.find_element(By.ID, "details").text
    assert "市场主体" in text and "重点企业" in text and "测试企业" in text
    # zoom in with the map's own control until the server switches to enterprise points
    zoom_in = browser.find_element(By.CSS_SELECTOR, ".leaflet-control-zoom-in")
    for _ in range(3):
        zoom_in.click()
        time.sleep(0.3)
    wait.until(lambda b: "H3" not in _legend(b) and "市场主体" in _legend(b))
    assert _js(browser, "return document.querySelectorAll('path[stroke=\"#7a7a7a\"]').length") == 0
    wait.until(lambda b: _js(b, "return document.querySelectorAll("
                                "'.gc-cluster, path.leaflet-interactive[fill-opacity=\"0.9\"]').length") > 0)


def test_alert_inserted_through_the_database_appears_without_reload(browser: Any, base: str, operator: str,
                                                                    db_url: str) -> None:
    ms.browser_login(browser, base, operator, "/", db_url=db_url)
    wait = WebDriverWait(browser, 10)
    wait.until(lambda b: _js(b, _DRAWN.format(kind="alert")) >= 3)
    wait.until(lambda b: _js(b, "return window.gc && gc.live.source && gc.live.source.readyState === 1"))
    before = _js(browser, "window.__notReloaded = true; " + _DRAWN.format(kind="alert"))
    with connect(db_url) as c:
        ms.add_alert(c, lng=119.64, lat=29.09, township=ms.TOWN_W, severity="high", source_id=f"e2e-{time.time()}")
        c.commit()
    committed = time.monotonic()
    WebDriverWait(browser, 2, poll_frequency=0.05).until(
        lambda b: _js(b, _DRAWN.format(kind="alert")) == before + 1)
    assert time.monotonic() - committed < 2.0
    assert _js(browser, "return window.__notReloaded === true"), "the page was not reloaded"


def test_enterprise_with_html_name_shows_as_text(browser: Any, base: str, operator: str, db_url: str) -> None:
    ms.browser_login(browser, base, operator, "/", db_url=db_url)
    wait = WebDriverWait(browser, 10)
    wait.until(lambda b: "H3" in _legend(b))
    _search(browser, "<img src")
    wait.until(lambda b: ms.EVIL in b.find_element(By.ID, "search-results").text)
    # the map flies to the enterprise (zoom 16): its point is drawn at the map's centre
    wait.until(lambda b: "H3" not in _legend(b))
    marker = wait.until(lambda b: _js(b, """
        var m = document.getElementById('map').getBoundingClientRect();
        var cx = m.left + m.width / 2, cy = m.top + m.height / 2;
        var best = null, bestD = 20;
        document.querySelectorAll('path.leaflet-interactive[fill-opacity="0.9"]').forEach(p => {
            var r = p.getBoundingClientRect();
            var d = Math.hypot(r.left + r.width / 2 - cx, r.top + r.height / 2 - cy);
            if (d < bestD) { best = p; bestD = d; } });
        return best;"""))
    browser.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))", marker)
    # the popup appears first and is filled by the details callback: wait for its text
    wait.until(lambda b: any(ms.EVIL in p.text for p in b.find_elements(By.ID, "ent-popup")))
    assert ms.EVIL in browser.find_element(By.ID, "details").text
    assert _js(browser, "return document.querySelectorAll('#ent-popup img, #details img, .leaflet-tooltip img').length") == 0
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - no alert() dialog was opened
