"""The map and the wall read at a glance (issue 17): the first view is fitted to the area at whatever size the
screen has, township labels never overlap, and on a 4K wall the map's controls grow with the screen. Demo
county (26 townships) on the real server, headless Chromium at 1920×1080 and 3840×2160."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.e2e

# the visible township labels' boxes, and whether any two of them overlap
LABELS = """
var spans = Array.from(document.querySelectorAll('.gc-label span')).filter(function (s) {
    return getComputedStyle(s).visibility !== 'hidden' && s.getBoundingClientRect().width > 0; });
var rects = spans.map(function (s) { return s.getBoundingClientRect(); }), overlaps = [];
for (var i = 0; i < rects.length; i++) { for (var j = i + 1; j < rects.length; j++) {
    var a = rects[i], b = rects[j];
    if (a.left < b.right && a.right > b.left && a.top < b.bottom && a.bottom > b.top) {
        overlaps.push(spans[i].textContent + ' / ' + spans[j].textContent); } } }
return {shown: rects.length, total: document.querySelectorAll('.gc-label span').length, overlaps: overlaps};
"""
# the live view's zoom against the largest zoom at which the area fits, and whether the area is inside the view
FIT = """
var v = gc.view(), m = v && v.map, b = gc.live.cfg.fit;
if (!m || !b) { return null; }
var area = L.latLngBounds(b);
return {zoom: m.getZoom(), best: m.getBoundsZoom(area, false, L.point(32, 32)), inside: m.getBounds().pad(0.01).contains(area)};
"""


def _size(browser: Any, width: int, height: int) -> None:
    browser.set_window_size(width, height)
    chrome = browser.execute_script("return window.outerHeight - window.innerHeight")
    browser.set_window_size(width, height + chrome)


def _settled(browser: Any) -> dict[str, Any]:
    wait = WebDriverWait(browser, 20)
    wait.until(lambda b: b.execute_script("return !!(window.gc && gc.view() && gc.view().fitted)"))
    wait.until(lambda b: b.execute_script("return document.querySelectorAll('.gc-label span').length") > 0)
    fit: dict[str, Any] = wait.until(lambda b: b.execute_script(FIT))
    return fit


@pytest.mark.parametrize(("path", "width", "height"), [("/", 1920, 1080), ("/wall", 1920, 1080),
                                                         ("/wall", 3840, 2160)])
def test_the_first_view_fits_the_county_and_labels_never_overlap(path: str, width: int, height: int,
                                                                  browser_login: Any, make_user: Any,
                                                                  browser: Any) -> None:
    _size(browser, width, height)
    try:
        browser_login(make_user("county_operator" if path == "/" else "viewer"), path)
        fit = _settled(browser)
        assert fit["inside"] and fit["zoom"] == fit["best"], f"not fitted at {width}x{height}: {fit}"
        labels = browser.execute_script(LABELS)
        assert labels["shown"] >= 5, labels
        assert labels["overlaps"] == [], labels
        for step in ("in", "out"):   # still none after a zoom
            browser.execute_script(f"gc.view().map.zoom{step.title()}(1, {{animate: false}})")
            WebDriverWait(browser, 5).until(lambda b: b.execute_script(LABELS)["overlaps"] == [])
    finally:
        _size(browser, 1920, 1080)


def test_a_4k_wall_grows_the_maps_controls_with_the_screen(browser_login: Any, make_user: Any, browser: Any) -> None:
    zoom_button = "var r = document.querySelector('.leaflet-control-zoom-in').getBoundingClientRect(); return r.height;"
    try:
        _size(browser, 1920, 1080)
        browser_login(make_user("viewer"), "/wall")
        _settled(browser)
        desk = browser.execute_script(zoom_button)
        _size(browser, 3840, 2160)
        WebDriverWait(browser, 10).until(lambda b: b.execute_script(zoom_button) >= 1.7 * desk)
        fit = WebDriverWait(browser, 10).until(lambda b: (f := b.execute_script(FIT)) and f["zoom"] == f["best"] and f)
        assert fit["inside"], fit   # the resized wall refitted the county
    finally:
        _size(browser, 1920, 1080)
