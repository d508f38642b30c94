"""What moved from Python strings into assets/, in a real headless Chromium.

* The map page's small clientside callbacks (assets/gridcommand_callbacks.js): the custom period shows its date
  pickers, the playback label reads the slider's time in Asia/Shanghai, the language choice is remembered and
  the page says its language; gridcommand.js's own clientside functions are still there beside them.
* The monthly report's look (assets/printable.css) and its print button (assets/visit_public.js: the CSP runs no
  inline ``onclick``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests import map_scenario as ms

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def base(settings: Any, db_url: str) -> Iterator[str]:
    with ms.live_server(settings, db_url) as url:
        yield url


def _dates_class(browser: Any) -> list[str] | None:
    """The classes of the custom period's date pickers (the component's wrapper); None before it is drawn."""
    classes = browser.execute_script("var e = document.getElementById('time-custom-wrapper');"
                                     " return e ? e.className : null;")
    return None if classes is None else str(classes).split()


def test_custom_period_playback_label_and_language_cookie(browser: Any, base: str, db_url: str) -> None:
    ms.console_errors(browser)   # what earlier tests' pages logged
    ms.browser_login(browser, base, ms.user(db_url, "county_operator"), "/", db_url=db_url)
    wait = WebDriverWait(browser, 15)
    wait.until(lambda b: _dates_class(b) is not None)
    assert "hidden" in (_dates_class(browser) or [])

    browser.find_element(By.CSS_SELECTOR, "#time-range input[value='custom']").click()
    wait.until(lambda b: "hidden" not in (_dates_class(b) or ["hidden"]))
    assert "gc-dates" in (_dates_class(browser) or [])

    browser.find_element(By.ID, "pb-play").click()   # loads the replay: the label shows the slider's start
    wait.until(lambda b: b.find_element(By.ID, "pb-label").text.strip())
    label = browser.find_element(By.ID, "pb-label").text.strip()
    assert re.fullmatch(r"\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}:\d{2}", label), label   # zh-CN, the default

    assert "gc_lang=zh" in browser.execute_script("return document.cookie")
    assert browser.execute_script("return document.documentElement.lang") == "zh-CN"
    fns = browser.execute_script("return Object.keys(window.dash_clientside.gc).sort()")
    assert {"playbackLabel", "customDatesClass", "rememberLang", "exportCsv"} <= set(fns)
    assert {"setBases", "staleness", "playbackWindow", "playbackStep"} <= set(fns), "gridcommand.js's kept"
    # a known instant: 2026-12-03 00:00 UTC is 08:00 in Shanghai, whatever the browser's own zone
    assert browser.execute_script("return window.dash_clientside.gc.playbackLabel("
                                  "2, {start: Date.UTC(2026, 11, 3) / 1000 - 120, step: 60}, 'en')") \
        == "03/12/2026, 08:00:00"
    browser.get(f"{base}/?lang=en")
    wait.until(lambda b: b.execute_script("return document.documentElement.lang") == "en")
    assert "gc_lang=en" in browser.execute_script("return document.cookie")
    assert ms.console_errors(browser) == []


def test_monthly_report_is_styled_and_its_print_button_prints(browser: Any, base: str, db_url: str) -> None:
    ms.console_errors(browser)
    ms.browser_login(browser, base, ms.user(db_url, "county_operator"), "/", db_url=db_url)
    browser.get(f"{base}/reports/monthly?month=2026-11")
    WebDriverWait(browser, 15).until(lambda b: b.find_elements(By.ID, "report-kpis"))
    style = browser.execute_script(
        "var b = getComputedStyle(document.body), th = getComputedStyle(document.querySelector('#report-kpis th'));"
        " return [b.marginTop, b.color, th.backgroundColor, th.borderTopColor];")
    assert style == ["24px", "rgb(34, 34, 34)", "rgb(240, 244, 248)", "rgb(204, 204, 204)"]
    browser.execute_script("window.gcPrinted = 0; window.print = function () { window.gcPrinted += 1; };")
    browser.find_element(By.CSS_SELECTOR, "button[data-gc-print]").click()
    assert browser.execute_script("return window.gcPrinted") == 1
    assert ms.console_errors(browser) == []
