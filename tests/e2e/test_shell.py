"""Every page for every role in the served app: desk pages render inside the one app shell (county, the pages the
role may use, user and role, language switch, logout), a page the role may not see says so inside the shell,
the wall is bare and dark; no console error and no 5xx answer on any of them; ``?lang=en`` shows the shell in
English only (issue 17 items 1 and 5)."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.map_scenario import console_errors

pytestmark = pytest.mark.e2e

PAGES = ("/", "/dispatch", "/coverage", "/planner", "/admin", "/wall")
# what each role may open (the product's rules: geo_data.scope.ROLE_PERMISSIONS and the pages' own checks)
ALLOWED = {
    "viewer": {"/", "/wall"},
    "township_dispatcher": {"/", "/dispatch", "/coverage", "/wall"},
    "county_operator": {"/", "/dispatch", "/coverage", "/wall"},
    "planner": {"/", "/coverage", "/planner", "/wall"},
    "admin": {"/", "/coverage", "/planner", "/admin", "/wall"},
}
ROLE_NAMES = {"viewer": "查看", "township_dispatcher": "乡镇调度员", "county_operator": "县级指挥员",
              "planner": "计划员", "admin": "管理员"}
# an element each page draws once its layout is in (and its first callbacks can run)
MARKERS = {"/": "map", "/dispatch": "dsp-queue", "/coverage": "cov-period", "/planner": "planner-upload",
           "/admin": "admin-users", "/wall": "wall-map"}
NAV_IDS = {"/": "nav-map", "/dispatch": "nav-dispatch", "/coverage": "nav-coverage", "/planner": "nav-planner",
           "/admin": "nav-admin", "/wall": "nav-wall"}
CJK = re.compile(r"[\u3400-\u9fff]")

# every response the page got: the document, scripts, callbacks (Chromium's Resource Timing has the status)
_STATUSES = """return [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
  .map(e => [e.name, e.responseStatus || 0]);"""


def _open(browser: Any, base: str, path: str) -> None:
    browser.get(base + path)
    marker = MARKERS[path]
    WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.ID, marker) or b.find_elements(
        By.CSS_SELECTOR, "#page-forbidden, #dsp-forbidden"))
    time.sleep(1.5)  # the page's first callbacks answer (their errors would show in the console)


def _document_refused(errors: list[str], base: str, path: str) -> list[str]:
    """Console errors other than Chromium's note that the document itself answered 403 (a refused page)."""
    return [e for e in errors if not (e.startswith(base + path) and "403" in e)]


@pytest.mark.parametrize("role", list(ALLOWED))
def test_every_page_renders_inside_the_shell_for_the_role(role: str, browser_login: Any, make_user: Any,
                                                           live_url: str) -> None:
    township = "330702001" if role == "township_dispatcher" else None
    browser = browser_login(make_user(role, township), "/")
    console_errors(browser)
    for path in PAGES:
        _open(browser, live_url, path)
        allowed = path in ALLOWED[role]
        errors = console_errors(browser)
        statuses = browser.execute_script(_STATUSES)
        assert not [s for s in statuses if s[1] >= 500], (path, statuses)
        document = statuses[0][1]
        if path == "/wall":
            assert not browser.find_elements(By.ID, "shell-bar"), "the wall is shown bare"
            assert browser.find_element(By.CSS_SELECTOR, ".gc-shell-bare").get_attribute("data-bs-theme") == "dark"
            assert errors == [], (path, errors)
            continue
        bar = browser.find_element(By.ID, "shell-bar")
        assert browser.find_element(By.ID, "shell-county").text.startswith("婺城区"), path
        assert ROLE_NAMES[role] in browser.find_element(By.ID, "shell-user").text
        assert browser.find_elements(By.ID, "logout-button") and browser.find_elements(By.ID, "shell-lang-switch")
        shown = {p for p, nav_id in NAV_IDS.items() if bar.find_elements(By.ID, nav_id)}
        assert shown == ALLOWED[role], (path, shown)
        main = browser.find_element(By.ID, "shell-main")
        refusal = main.find_elements(By.CSS_SELECTOR, "#page-forbidden, #dsp-forbidden")
        if allowed:
            assert not refusal, path
            assert main.find_elements(By.ID, MARKERS[path]), path
            assert document == 200, (path, document)
            assert errors == [], (path, errors)
        else:
            assert refusal and refusal[0].is_displayed(), f"{role} on {path}: no refusal in the shell"
            assert "无权" in refusal[0].text or "无派单权限" in refusal[0].text, refusal[0].text
            assert document in (200, 403), (path, document)
            assert _document_refused(errors, live_url, path) == [], (path, errors)


def test_the_shell_speaks_english_only_with_lang_en_and_keeps_it(browser_login: Any, make_user: Any,
                                                                  live_url: str) -> None:
    browser = browser_login(make_user("admin"), "/admin")
    browser.get(live_url + "/admin?lang=en")
    WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.ID, "admin-users"))
    bar = browser.find_element(By.ID, "shell-bar")
    county = browser.find_element(By.ID, "shell-county").text
    switch = browser.find_element(By.ID, "shell-lang-switch").text
    assert switch == "中文"  # the switch names the other language in that language
    # the county's name is data
    assert not CJK.search(bar.text.replace(county, "").replace(switch, "")), bar.text
    assert "Administrator" in bar.text and "Log out" in bar.text
    WebDriverWait(browser, 10).until(lambda b: b.title == "Administration · GridCommand")  # the tab too
    page = browser.find_element(By.ID, "shell-main").text
    assert "Users" in page and not CJK.search(browser.find_element(By.ID, "admin-tabs").text)
    WebDriverWait(browser, 20).until(lambda b: "Administrator" in b.find_element(By.ID, "admin-users").text)
    # the switch leads back to Chinese on the same page; the choice is kept for the next page
    assert urlsplit(browser.find_element(By.ID, "shell-lang-switch").get_attribute("href")).query == "lang=zh"
    browser.get(live_url + "/planner")
    WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.ID, "shell-bar"))
    assert "Log out" in browser.find_element(By.ID, "shell-bar").text
    WebDriverWait(browser, 10).until(lambda b: b.title == "Visit planning · GridCommand")
    assert console_errors(browser) == []
