"""The server as ``make run`` starts it, right after a fresh start: every page and every script it needs answer
on every worker, pages render in a real browser with no console error.

The race this guards against: Dash finishes its set-up in the first request a worker serves; requests that came in
meanwhile found no registered component libraries and got 500, leaving the page blank.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import TEST_PASSWORD
from tests.map_scenario import console_errors
from tests.served import served

pytestmark = pytest.mark.e2e

# Page -> the role that opens it (every page of the product, each by a role that may see it).
PAGES = {"/": "county_operator", "/wall": "county_operator", "/dispatch": "county_operator",
         "/coverage": "county_operator", "/planner": "planner", "/admin": "admin"}


def _script_paths(base: str, session: requests.Session) -> list[str]:
    """Every script and stylesheet path a page asks for (Dash's component suites included)."""
    html = session.get(f"{base}/", timeout=20).text
    paths = re.findall(r'(?:src|href)="(/_dash-component-suites/[^"]+|/assets/[^"]+)"', html)
    assert any("dash-renderer" in p or "/dash/deps/" in p for p in paths), "page lists no Dash scripts"
    return sorted(set(paths))


def _all_at_once(base: str, requests_to_make: list[tuple[requests.Session, str]], statuses: Counter[int],
                 failures: list[str]) -> None:
    """Every request on its own thread, released together, each on a new connection."""
    barrier = threading.Barrier(len(requests_to_make))
    lock = threading.Lock()

    def fetch(session: requests.Session, path: str) -> None:
        barrier.wait(timeout=60)
        r = session.get(f"{base}{path}", headers={"Connection": "close"}, timeout=60)
        with lock:
            statuses[r.status_code] += 1
            if r.status_code >= 500:
                failures.append(f"{r.status_code} {path}: {r.text[:200]}")

    threads = [threading.Thread(target=fetch, args=item) for item in requests_to_make]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)


def test_a_fresh_server_answers_every_page_and_script_at_once(live_url: str, make_user: Any, http_login: Any,
                                                               demo_db_url: str, settings: Any) -> None:
    # Sessions and script paths come from the running server (same code, same fingerprints, same database and
    # secret key), so the requests below are the very first a fresh server's workers see.
    sessions = {role: http_login(make_user(role)) for role in set(PAGES.values())}
    scripts = _script_paths(live_url, sessions["county_operator"])
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    for start in range(3):
        with served(demo_db_url, settings.db.data_dir) as fresh:
            # Screens reconnecting after a restart: pages, their layouts and scripts requested all at once, on new
            # connections (so gunicorn spreads them over both workers), before any worker has rendered a page.
            requests_to_make = [(sessions[role], page) for page, role in PAGES.items()] * 4
            requests_to_make += [(sessions["county_operator"], p) for p in ["/_dash-layout", "/_dash-dependencies"]]
            requests_to_make += [(requests.Session(), p) for p in scripts] * 3
            _all_at_once(fresh.base_url, requests_to_make, statuses, failures)
            assert not failures, f"fresh start {start}: {len(failures)} × 5xx:\n" + "\n".join(failures[:10]) + \
                f"\n{fresh.log_tail()}"
    assert statuses[200] == sum(statuses.values()), f"answers: {dict(statuses)}"


def test_every_page_renders_with_no_console_error_on_the_served_app(live_url: str, make_user: Any,
                                                                    browser: Any, demo_db_url: str,
                                                                    tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    from tests.auth_steps import browser_second_step

    pages_of: dict[str, list[str]] = {}
    for page, role in PAGES.items():
        pages_of.setdefault(role, []).append(page)
    console_errors(browser)  # what earlier tests' pages logged in the shared browser is theirs
    with served(demo_db_url, tmp_path / "pages") as fresh:
        for round_ in range(2):  # repeatedly: each login is a new connection, landing on either worker
            for role, pages in pages_of.items():
                user = make_user(role)  # a new account per login: a TOTP step works once per account
                browser.delete_all_cookies()
                browser.get(f"{fresh.base_url}/login?next={pages[0]}")
                browser.find_element(By.NAME, "username").send_keys(user)
                browser.find_element(By.NAME, "password").send_keys(TEST_PASSWORD)
                browser.find_element(By.ID, "login-submit").click()
                WebDriverWait(browser, 30).until(lambda d: "/login" not in d.current_url
                                                 or "/login/totp" in d.current_url)
                browser_second_step(browser, demo_db_url, user)
                for page in pages:
                    browser.get(f"{fresh.base_url}{page}")
                    WebDriverWait(browser, 30).until(lambda d: d.execute_script(
                        "const c = document.getElementById('_pages_content');"
                        "return !!c && c.children.length > 0 && !document.querySelector('._dash-loading');"))
                    # let the page's first callbacks run and draw
                    WebDriverWait(browser, 30).until(lambda d: d.execute_script(
                        "return !document.querySelector('[data-dash-is-loading=\"true\"]')"))
                    errors = console_errors(browser)
                    assert not errors, f"round {round_}, {page} as {role}: console errors {errors}"
