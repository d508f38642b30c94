"""Shared fixtures: a private test database on the real PostGIS, the real server, a headless Chromium.

Each pytest run creates its own databases (``gctest_*``) on the local cluster, or on the server
``DATABASE_URL`` names, and drops them at the end, so runs never see each other's data: one migrated template,
one shared demo database for the live server, and a fresh clone of the template per test module otherwise.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import settings as hypothesis_settings
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from geo_data.db import connect, database_url
from geo_data.migrator import migrate
from geo_data.settings import DatabaseSettings, MapSettings, ServerSettings, Settings

# Property tests judge behaviour, not speed: a loaded 2-core CI machine must not turn a slow example into a failure.
settings_profile = "gridcommand"
hypothesis_settings.register_profile(settings_profile, deadline=None, derandomize=False)
hypothesis_settings.load_profile(settings_profile)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
TEST_PASSWORD = "correct-horse-battery"


def _with_dbname(url: str, dbname: str) -> str:
    info = conninfo_to_dict(url)
    info["dbname"] = dbname
    return make_conninfo(**info)


@pytest.fixture(scope="session")
def admin_url() -> str:
    """URL of the maintenance database of the server the tests use (local cluster started on demand)."""
    settings = DatabaseSettings()
    return _with_dbname(database_url(settings), "postgres")


def _create_db(admin: str, name: str, template: str | None = None) -> str:
    with psycopg.connect(admin, autocommit=True) as c:
        # FILE_COPY: a clone costs ~10 kB of WAL instead of the whole template (~13 MB), which the archiving of
        # the local cluster (pgBackRest, issue 12) would otherwise compress and store for every test module
        c.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""))
    return _with_dbname(admin, name)


def _drop_db(admin: str, name: str) -> None:
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def template_db(admin_url: str) -> Iterator[str]:
    """Name of a migrated, empty database that each test module clones (CREATE DATABASE … TEMPLATE)."""
    name = f"gctpl_{os.getpid()}_{secrets.token_hex(3)}"
    migrate(_create_db(admin_url, name))
    yield name
    _drop_db(admin_url, name)


@pytest.fixture(scope="session")
def demo_db_url(admin_url: str, template_db: str) -> Iterator[str]:
    """The shared database of the live server: migrated, with the demo county (see ``demo_county``)."""
    name = f"gctest_{os.getpid()}_{secrets.token_hex(3)}_demo"
    url = _create_db(admin_url, name, template_db)
    yield url
    _drop_db(admin_url, name)


# Fixtures that mean "this module works in the shared demo database next to the live server".
_DEMO_FIXTURES = {"demo_county", "live_server", "live_url", "make_user", "http_login",
                  "browser_login"}


@pytest.fixture(scope="module")
def db_url(request: pytest.FixtureRequest, admin_url: str, template_db: str) -> Iterator[str]:
    """The database a test module works in.

    Modules that use the demo county or the live server share the session's demo database; every other module
    gets its own fresh, migrated, empty database, so hand-built scenarios never collide.
    """
    items = [i for i in request.session.items if getattr(i, "module", None) is request.module]
    if any(_DEMO_FIXTURES & set(getattr(i, "fixturenames", ())) for i in items):
        yield request.getfixturevalue("demo_db_url")
        return
    name = f"gctest_{os.getpid()}_{secrets.token_hex(3)}"
    yield _create_db(admin_url, name, template_db)
    _drop_db(admin_url, name)


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection[dict[str, Any]]]:
    """An autocommit connection to the test database (dict rows)."""
    with connect(db_url, autocommit=True) as c:
        yield c


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, demo_db_url: str) -> Settings:
    """Settings built explicitly for tests (own data dir for the secret key)."""
    data_dir = tmp_path_factory.mktemp("data")
    return Settings(
        db=DatabaseSettings(url=demo_db_url, data_dir=data_dir, pool_max=20),
        server=ServerSettings(host="127.0.0.1", port=_free_port()),
        map=MapSettings(),
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def demo_county(demo_db_url: str) -> str:
    """婺城区 (330702) with its real outline, 26 generated townships, reference data and a small demo.

    Loaded once per run; tests that need an empty county build their own scenario.
    """
    from geo_data import demo

    with connect(demo_db_url) as c:
        demo.load_demo(c, enterprises=2000, seed=7, history_months=3)
        c.commit()
    return "330702"


@pytest.fixture(scope="session")
def live_server(settings: Settings, demo_db_url: str, demo_county: str) -> Iterator[Any]:
    """The product as ``make run`` serves it (``gridcommand serve``: gunicorn, two workers, the job worker) on a
    free local port, against the run's demo database."""
    from tests.served import served

    with served(demo_db_url, settings.db.data_dir) as instance:
        yield instance


@pytest.fixture(scope="session")
def live_url(live_server: Any) -> str:
    return str(live_server.base_url)


@pytest.fixture(scope="session")
def make_user(demo_db_url: str, demo_county: str) -> Any:
    """``make_user(role, township=None) -> username`` with password ``TEST_PASSWORD``."""
    from geo_data.users import create_user
    from tests.auth_steps import TWO_FACTOR_ROLES, enrol_for_tests

    def make(role: str, township: str | None = None, county: str = "330702") -> str:
        name = f"{role[:8]}_{secrets.token_hex(3)}"
        with connect(demo_db_url) as c:
            create_user(c, username=name, password=TEST_PASSWORD, role=role, county_code=county,
                        township_code=township)
            if role in TWO_FACTOR_ROLES:  # these roles must log in with two factors (issue 16)
                enrol_for_tests(c, name)
            c.commit()
        return name

    return make


@pytest.fixture
def http_login(live_url: str, demo_db_url: str) -> Any:
    """``http_login(username) -> requests.Session`` logged in through the real login form."""
    import re

    import requests

    from tests.auth_steps import http_second_step

    def login(username: str, password: str = TEST_PASSWORD) -> requests.Session:
        s = requests.Session()
        page = s.get(f"{live_url}/login", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, "login form has no CSRF token"
        r = s.post(f"{live_url}/login", data={"username": username, "password": password,
                                              "csrf_token": token.group(1), "next": "/"},
                   headers={"Origin": live_url}, timeout=10, allow_redirects=False)
        r = http_second_step(s, live_url, demo_db_url, username, r)
        assert r.status_code == 302, f"login failed for {username}: {r.status_code}"
        return s

    return login


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Headless Debian Chromium through Debian's chromedriver (selenium), one for the run."""
    from tests.map_scenario import headless_chromium

    driver = headless_chromium()
    yield driver
    driver.quit()


@pytest.fixture
def browser(chromium: Any) -> Any:
    """The run's Chromium, clean for this test: one tab on a blank page at the run's window size, no cookies, earlier pages' console
    messages read away (a page of an earlier test's stopped server goes on logging its stream's reconnects until it is left)."""
    from tests.map_scenario import WINDOW, console_errors

    for extra in chromium.window_handles[1:]:
        chromium.switch_to.window(extra)
        chromium.close()
    chromium.switch_to.window(chromium.window_handles[0])
    chromium.get("about:blank")
    # the same screen for every test: a test that sized the window for a wall or a phone does not leave its map
    # fitted at another zoom for the next (the scenario county at 1920×1080 opens on points, not cells)
    chromium.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    chromium.set_window_size(*WINDOW)
    chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})  # every host's: no session or language carried over
    console_errors(chromium)
    return chromium


@pytest.fixture
def browser_login(browser: Any, live_url: str, demo_db_url: str) -> Any:
    """``browser_login(username, path='/')``: log the shared browser in through the form."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.auth_steps import browser_second_step

    def login(username: str, path: str = "/", password: str = TEST_PASSWORD) -> Any:
        browser.delete_all_cookies()
        browser.get(f"{live_url}/login?next={path}")
        browser.find_element(By.NAME, "username").send_keys(username)
        browser.find_element(By.NAME, "password").send_keys(password)
        browser.find_element(By.ID, "login-submit").click()
        WebDriverWait(browser, 15).until(lambda b: "/login/totp" in b.current_url
                                         or ec.url_matches(rf"{live_url}{path}$")(b))
        browser_second_step(browser, demo_db_url, username)
        WebDriverWait(browser, 15).until(ec.url_matches(rf"{live_url}{path}$"))
        return browser

    return login


# ------------------------------------------------------------------------------ what a failed test leaves behind
# A browser test that fails on CI leaves the served instance's warnings and errors of its own minutes, and what
# its page logged, in the report: the cause of a rare failure is then in the CI output, not lost with the run.

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    server = getattr(item, "funcargs", {}).get("live_server")
    if server is not None:
        try:
            item.stash[_LOG_START] = server.log_path.stat().st_size
        except OSError:
            pass
    yield


_LOG_START = pytest.StashKey[int]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    funcargs = getattr(item, "funcargs", {})
    server, start = funcargs.get("live_server"), item.stash.get(_LOG_START, None)
    if server is not None and start is not None:
        try:
            with server.log_path.open("rb") as f:
                f.seek(start)
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            lines = []
        worth = [ln for ln in lines if any(w in ln for w in ("WARNING", "ERROR", "Traceback", "Error", "CRITICAL"))]
        report.sections.append(("served log (warnings and errors during the test)", "\n".join(worth[-80:])))
    driver = funcargs.get("browser") or (funcargs.get("chromium") if "browser_login" in funcargs else None)
    if driver is not None:
        try:
            entries = driver.get_log("browser")
            report.sections.append(("browser console", "\n".join(
                f"{e['level']} {e['message'][:400]}" for e in entries[-40:])))
        except Exception as exc:  # the driver may be what failed
            report.sections.append(("browser console", f"unreadable: {exc}"))
