"""One error path for every callback (callbacks/errors.py, Dash's on_error): a product error raised inside a map
callback leaves the map as it was and shows its message in the page's notice bar, each new error as a new message,
and the message fades after a while (a brief outage must not stay on a wall display)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.map_scenario import console_errors

pytestmark = pytest.mark.e2e

_MESSAGE = "var m = document.querySelector('#gc-notice .gc-notice-msg'); return m ? [m.id, m.innerText] : null;"


def _ask_for(browser: Any, start: str, end: str) -> None:
    """The custom time range, set the way the date pickers set it (the map's viewport callback reads it)."""
    browser.execute_script(
        "dash_clientside.set_props('time-custom', {start_date: arguments[0], end_date: arguments[1]});"
        "dash_clientside.set_props('time-range', {value: 'custom'});", start, end)


def test_a_callbacks_product_error_shows_in_the_notice_bar_then_fades(browser: Any, browser_login: Any,
                                                                      make_user: Any) -> None:
    console_errors(browser)
    browser_login(make_user("viewer"), "/")
    wait = WebDriverWait(browser, 20)
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#legend *"))
    _ask_for(browser, "2026-02-10", "2026-02-01")
    wait.until(lambda b: b.execute_script(_MESSAGE))
    first_id, text = browser.execute_script(_MESSAGE)
    assert "start date is after the end date" in text and text.startswith("输入有误")
    notice = browser.find_element(By.CSS_SELECTOR, "#gc-notice .gc-notice-msg")
    assert notice.is_displayed()
    assert not browser.find_elements(By.CSS_SELECTOR, ".gc-error")  # no second, per-callback error place

    _ask_for(browser, "2026-03-10", "2026-03-01")   # another error: a new message, shown again
    wait.until(lambda b: (b.execute_script(_MESSAGE) or [first_id])[0] != first_id)
    assert browser.find_element(By.CSS_SELECTOR, "#gc-notice .gc-notice-msg").is_displayed()
    time.sleep(16.5)   # shown 15 s, then a 0.6 s fade (assets/admin.css)
    assert not browser.find_element(By.CSS_SELECTOR, "#gc-notice .gc-notice-msg").is_displayed()
    assert console_errors(browser) == []   # a product error is no failed request
