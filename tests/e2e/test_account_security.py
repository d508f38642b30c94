"""Accounts and sessions to the bar of 等保 2.0 level 3 (issue 16), one test per finding of the 2026-12-02 attack,
against ``gridcommand serve`` as ``make run`` starts it (its own instance here: it believes ``X-Forwarded-For``
from 127.0.0.1, so a test can speak from "another address")."""

from __future__ import annotations

import re
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pyotp
import pytest
import requests
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from geo_data.db import connect
from tests.auth_steps import TWO_FACTOR_ROLES, enrol_for_tests, http_second_step, next_code
from tests.conftest import TEST_PASSWORD
from tests.dash_calls import call_callback
from tests.served import GRIDCOMMAND, Served, serve_env, served

pytestmark = pytest.mark.e2e
COUNTY = "330702"


@pytest.fixture(scope="module")
def server(demo_db_url: str, demo_county: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served(demo_db_url, tmp_path_factory.mktemp("security"),
                env={"GRIDCOMMAND_TRUSTED_PROXIES": '["127.0.0.1"]'}) as instance:
        yield instance


@pytest.fixture(scope="module")
def base(server: Served) -> str:
    return server.base_url


def _user(db_url: str, role: str, *, two_factor: bool | None = None, township: str | None = None) -> str:
    from geo_data.users import create_user

    name = f"sec_{role[:6]}_{secrets.token_hex(3)}"
    with connect(db_url) as c:
        create_user(c, username=name, password=TEST_PASSWORD, role=role, county_code=COUNTY, township_code=township)
        if two_factor if two_factor is not None else role in TWO_FACTOR_ROLES:
            enrol_for_tests(c, name)
        c.commit()
    return name


def _token(s: requests.Session, base: str, path: str = "/login") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', s.get(base + path, timeout=10).text)
    assert found, f"no form token on {path}"
    return found.group(1)


def _post_login(s: requests.Session, base: str, name: str, password: str = TEST_PASSWORD, *,
                addr: str | None = None, next_: str = "/") -> requests.Response:
    headers = {"Origin": base, **({"X-Forwarded-For": addr} if addr else {})}
    return s.post(base + "/login", data={"username": name, "password": password, "next": next_,
                                         "csrf_token": _token(s, base)},
                  headers=headers, timeout=10, allow_redirects=False)


def _login(base: str, db_url: str, name: str, *, addr: str | None = None) -> requests.Session:
    s = requests.Session()
    r = http_second_step(s, base, db_url, name, _post_login(s, base, name, addr=addr))
    assert r.status_code == 302, f"login of {name}: {r.status_code} {r.text[:200]}"
    return s


# -- 1. open redirect after login --------------------------------------------------------------------------

REDIRECTS = ["/\t/127.0.0.1:9999/pwned", "/\r/127.0.0.1:9999/pwned", "/\n/127.0.0.1:9999/pwned",
             "/\\127.0.0.1:9999/pwned", "\\\\127.0.0.1:9999/pwned", "/%09/127.0.0.1:9999/pwned",
             "/%2F127.0.0.1:9999/pwned", "%2F%2F127.0.0.1:9999/pwned", "https://127.0.0.1:9999/pwned",
             "/\\/127.0.0.1:9999/pwned", "/%5C127.0.0.1:9999/pwned", "javascript:alert(1)"]


def test_next_never_leaves_the_site_in_a_real_browser(base: str, demo_db_url: str, browser: Any) -> None:
    name = _user(demo_db_url, "planner")
    host = urlsplit(base).netloc
    for target in REDIRECTS:
        browser.delete_all_cookies()
        browser.get(f"{base}/login?next={quote(target, safe='')}")
        browser.find_element(By.NAME, "username").send_keys(name)
        browser.find_element(By.NAME, "password").send_keys(TEST_PASSWORD)
        browser.find_element(By.ID, "login-submit").click()
        WebDriverWait(browser, 15).until(lambda b: "/login" not in b.current_url)
        assert urlsplit(browser.current_url).netloc == host, (target, browser.current_url)
    # and over HTTP: each variant posted raw gets a same-site Location, "/\n/x" included (was a 500)
    for target in [*REDIRECTS, "/\n/x", "/coverage?tab=kpi"]:
        s = requests.Session()
        r = _post_login(s, base, name, next_=target)
        assert r.status_code == 302, (target, r.status_code)
        assert r.headers["Location"].startswith("/") and not r.headers["Location"].startswith(("//", "/\\")), target
    assert r.headers["Location"] == "/coverage?tab=kpi"  # a same-site path with its query survives


# -- 2. lock-out as a weapon -------------------------------------------------------------------------------

def _waitless(page: str) -> str:
    return re.sub(r"\d+ (秒|s)", "N \\1", page)


def test_an_attacker_cannot_lock_out_the_real_user(base: str, demo_db_url: str, tmp_path: Path) -> None:
    victim = _user(demo_db_url, "planner")
    attacker, centre = "203.0.113.66", "198.51.100.10"
    answers = [_post_login(requests.Session(), base, victim, "wrong-password!", addr=attacker) for _ in range(6)]
    unknown = [_post_login(requests.Session(), base, "nobody_at_all", "wrong-password!", addr=attacker)
               for _ in range(6)]
    assert [r.status_code for r in answers] == [r.status_code for r in unknown] == [401, 401, 401, 429, 429, 429]
    # the same page for a real and an unknown account (the seconds left to wait count down from each one's own
    # lock: the unknown account's came a moment later, so on a slow machine its wait can read one more second)
    assert _waitless(answers[-1].text.split("<form")[0].replace(victim, "?")) == \
        _waitless(unknown[-1].text.split("<form")[0].replace("nobody_at_all", "?"))
    # meanwhile the real user logs in from the command centre; the attacker's address must wait even with it
    assert _post_login(requests.Session(), base, victim, addr=centre).status_code == 302
    assert _post_login(requests.Session(), base, victim, addr=attacker).status_code == 429
    with connect(demo_db_url) as c:
        actions = [r["action"] for r in c.execute("SELECT action FROM audit_log WHERE actor = %s ORDER BY seq",
                                                  (victim,))]
    assert actions.count("login.failed") == 4 and "login.locked" in actions and "login.blocked" in actions
    assert "login.ok" in actions
    out = subprocess.run([str(GRIDCOMMAND), "user", "unlock", victim], env=serve_env(demo_db_url, tmp_path),
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert _post_login(requests.Session(), base, victim, addr=attacker).status_code == 302


def test_one_address_guessing_many_names_is_stopped(base: str, demo_db_url: str) -> None:
    victim = _user(demo_db_url, "planner")
    guesser = f"203.0.113.{secrets.randbelow(50) + 100}"
    codes = [_post_login(requests.Session(), base, f"guess{i}_{secrets.token_hex(2)}", "wrong-password!",
                         addr=guesser).status_code for i in range(30)]
    assert codes[:29] == [401] * 29 and codes[29] == 429
    assert _post_login(requests.Session(), base, victim, addr=guesser).status_code == 429
    assert _post_login(requests.Session(), base, victim, addr="198.51.100.11").status_code == 302


# -- 3. logout ends the session; idle and absolute timeouts ---------------------------------------------------

def test_a_cookie_saved_before_logout_is_dead_after_it(base: str, demo_db_url: str) -> None:
    s = _login(base, demo_db_url, _user(demo_db_url, "county_operator"))
    saved = s.cookies.get_dict()
    assert s.get(base + "/api/v1/incidents", timeout=10).status_code == 200
    assert s.get(base + "/logout", allow_redirects=False, timeout=10).status_code == 405
    assert s.post(base + "/logout", data={}, headers={"Origin": base}, timeout=10).status_code == 400
    r = s.post(base + "/logout", data={"csrf_token": _token(s, base, "/account")}, headers={"Origin": base},
               allow_redirects=False, timeout=10)
    assert r.status_code == 302
    replay = requests.Session()
    replay.cookies.update(saved)
    assert replay.get(base + "/api/v1/incidents", timeout=10).status_code == 401
    assert replay.get(base + "/", allow_redirects=False, timeout=10).status_code == 302
    assert call_callback(replay, base, outputs=["admin-sessions.rowData"],
                         inputs=[("admin-refresh.n_intervals", 1), ("admin-session-msg.children", None),
                                 ("admin-user-msg.children", None)]).status_code == 401


def test_an_open_live_stream_ends_when_its_session_does(base: str, demo_db_url: str) -> None:
    import threading
    import time

    s = _login(base, demo_db_url, _user(demo_db_url, "county_operator"))
    lines: list[bytes] = []
    ended = threading.Event()

    def read() -> None:
        with s.get(base + "/events", stream=True, timeout=60) as st:
            assert st.status_code == 200
            for line in st.iter_lines():
                lines.append(line)
        ended.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 10
    while not any(b"hello" in x for x in lines):
        assert time.monotonic() < deadline, "the stream never said hello"
        time.sleep(0.05)
    logout = requests.Session()  # the same session, ended from another tab
    logout.cookies.update(s.cookies.get_dict())
    r = logout.post(base + "/logout", data={"csrf_token": _token(logout, base, "/account")},
                    headers={"Origin": base}, allow_redirects=False, timeout=10)
    assert r.status_code == 302
    assert ended.wait(25), "the live stream went on after logout"
    assert s.get(base + "/events", timeout=10).status_code == 401


def test_idle_timeout_counts_only_what_the_person_does(base: str, demo_db_url: str) -> None:
    name = _user(demo_db_url, "planner")
    s = _login(base, demo_db_url, name)
    with connect(demo_db_url) as c:
        c.execute("UPDATE user_sessions s SET last_seen_at = now() - interval '20 minutes' FROM users u"
                  " WHERE u.id = s.user_id AND u.username = %s", (name,))
        c.commit()
    # a timer's callback does not keep the session alive ...
    call_callback(s, base, outputs=["admin-sessions.rowData"],
                  inputs=[("admin-refresh.n_intervals", 3), ("admin-session-msg.children", None),
                          ("admin-user-msg.children", None)], changed="admin-refresh.n_intervals")
    with connect(demo_db_url) as c:
        seen = c.execute("SELECT now() - last_seen_at > interval '19 minutes' AS old FROM user_sessions s"
                         " JOIN users u ON u.id = s.user_id WHERE u.username = %s AND s.ended_at IS NULL",
                         (name,)).fetchone()
        assert seen == {"old": True}
        c.execute("UPDATE user_sessions s SET last_seen_at = now() - interval '31 minutes' FROM users u"
                  " WHERE u.id = s.user_id AND u.username = %s", (name,))
        c.commit()
    assert s.get(base + "/", allow_redirects=False, timeout=10).status_code == 302  # idle 31 min: over


# -- 4. display tokens ------------------------------------------------------------------------------------

def test_display_session_reaches_only_the_wall_and_dies_with_its_token(base: str, demo_db_url: str) -> None:
    from geo_data.users import create_display_token

    viewer = _user(demo_db_url, "viewer")
    with connect(demo_db_url) as c:
        token = create_display_token(c, username=viewer)
        c.commit()
    wall = requests.Session()
    r = wall.get(f"{base}/display/{token}?lang=en", allow_redirects=False, timeout=10)
    assert r.status_code == 302 and r.headers["Location"] == "/wall?lang=en"
    assert wall.get(base + "/wall", timeout=10).status_code == 200
    for path in ("/", "/coverage", "/dispatch", "/planner", "/admin", "/api/v1/incidents", "/account"):
        assert wall.get(base + path, allow_redirects=False, timeout=10).status_code == 403, path
    router = {"outputs": ["_pages_content.children", "_pages_store.data"],
              "inputs": [("_pages_location.pathname", "/wall"), ("_pages_location.search", "")]}
    assert call_callback(wall, base, **router).status_code == 200  # type: ignore[arg-type]
    router["inputs"] = [("_pages_location.pathname", "/dispatch"), ("_pages_location.search", "")]
    assert call_callback(wall, base, **router).status_code == 403  # type: ignore[arg-type]
    assert call_callback(wall, base, outputs=["admin-sessions.rowData"],
                         inputs=[("admin-refresh.n_intervals", 1), ("admin-session-msg.children", None),
                                 ("admin-user-msg.children", None)]).status_code == 403
    with connect(demo_db_url) as c:
        c.execute("UPDATE api_tokens SET revoked_at = now() WHERE source = %s AND kind = 'display'", (viewer,))
        c.commit()
    assert wall.get(base + "/wall", allow_redirects=False, timeout=10).status_code == 302
    router["inputs"] = [("_pages_location.pathname", "/wall"), ("_pages_location.search", "")]
    assert call_callback(wall, base, **router).status_code == 401  # type: ignore[arg-type]


# -- 5. smaller findings ------------------------------------------------------------------------------------

def test_login_post_without_form_token_is_refused_even_from_a_fresh_client(base: str, demo_db_url: str) -> None:
    name = _user(demo_db_url, "planner")
    for data in ({"username": name, "password": TEST_PASSWORD},
                 {"username": name, "password": TEST_PASSWORD, "csrf_token": ""},
                 {"username": name, "password": TEST_PASSWORD, "csrf_token": "forged"}):
        r = requests.post(base + "/login", data=data, headers={"Origin": base}, allow_redirects=False, timeout=10)
        assert r.status_code == 400, data


def test_headers_csp_no_store_and_no_banner(base: str, demo_db_url: str) -> None:
    s = _login(base, demo_db_url, _user(demo_db_url, "county_operator"))
    page = s.get(base + "/", timeout=10)
    csp = page.headers["Content-Security-Policy"]
    scripts = re.search(r"script-src ([^;]+)", csp).group(1)  # type: ignore[union-attr]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts and "'sha256-" in scripts
    images = re.search(r"img-src ([^;]+)", csp).group(1)  # type: ignore[union-attr]
    assert images.split() == ["'self'", "data:", "blob:"]  # basemap "none": no tile host at all
    for path in ("/", "/api/v1/incidents", "/_dash-layout", "/login", "/account", "/coverage"):
        r = s.get(base + path, timeout=10)
        assert r.headers.get("Cache-Control") == "no-store", path
        assert "Server" not in r.headers, path
    r = call_callback(s, base, outputs=["admin-sessions.rowData"],
                      inputs=[("admin-refresh.n_intervals", 1), ("admin-session-msg.children", None),
                              ("admin-user-msg.children", None)])
    assert r.headers.get("Cache-Control") == "no-store"
    assets = s.get(base + "/assets/login.css", timeout=10)
    assert assets.status_code == 200 and assets.headers.get("Cache-Control") != "no-store"
    assert "Strict-Transport-Security" not in page.headers  # plain HTTP here; with TLS see the TLS test below
    https = s.get(base + "/login", headers={"X-Forwarded-Proto": "https"}, timeout=10)
    assert https.headers.get("Strict-Transport-Security", "").startswith("max-age=")


def test_malformed_paths_and_nul_give_4xx_not_500(base: str, demo_db_url: str) -> None:
    s = _login(base, demo_db_url, _user(demo_db_url, "planner"))
    for path in ("/_dash-component-suites/dash/..%2f..%2fapp.py", "/_dash-component-suites/dash/%2e%2e/x.js",
                 "/_dash-component-suites/nopkg/x.js", "/login?next=%00", "/coverage%00"):
        assert 400 <= s.get(base + path, timeout=10).status_code < 500, path
    r = call_callback(s, base, outputs=["search-results.children", "map.viewport"],
                      inputs=[("search.value", "企业\x00")], state=[("lang.data", "zh")])
    assert 400 <= r.status_code < 500


def test_browser_pages_render_under_the_csp_without_console_errors(base: str, demo_db_url: str,
                                                                    browser: Any) -> None:
    from tests.auth_steps import browser_second_step

    name = _user(demo_db_url, "county_operator")
    browser.delete_all_cookies()
    browser.get(f"{base}/login?next=/")
    browser.get_log("browser")  # drop what came before
    browser.find_element(By.NAME, "username").send_keys(name)
    browser.find_element(By.NAME, "password").send_keys(TEST_PASSWORD)
    browser.find_element(By.ID, "login-submit").click()
    WebDriverWait(browser, 15).until(lambda b: "/login/totp" in b.current_url)
    browser_second_step(browser, demo_db_url, name)
    WebDriverWait(browser, 15).until(lambda b: urlsplit(b.current_url).path == "/")
    for path, marker in (("/", ".leaflet-container"), ("/coverage", "#cov-township"), ("/dispatch", "#_pages_content > *"),
                         ("/wall", ".leaflet-container")):
        browser.get(base + path)
        WebDriverWait(browser, 20).until(lambda b, m=marker: b.find_elements(By.CSS_SELECTOR, m))
        WebDriverWait(browser, 20).until(lambda b: b.execute_script(
            "return !document.querySelector('._dash-loading') && document.readyState === 'complete'"))
        errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, (path, errors)


# -- two factors and password rules in a real browser ----------------------------------------------------

def test_totp_enrolment_then_login_with_code_in_chromium(base: str, demo_db_url: str, browser: Any) -> None:
    name = _user(demo_db_url, "admin", two_factor=False)
    browser.delete_all_cookies()
    browser.get(f"{base}/login?next=/admin")
    browser.find_element(By.NAME, "username").send_keys(name)
    browser.find_element(By.NAME, "password").send_keys(TEST_PASSWORD)
    browser.find_element(By.ID, "login-submit").click()
    WebDriverWait(browser, 15).until(lambda b: "/login/enrol" in b.current_url)
    assert browser.get(base + "/admin") is None and "/login/enrol" in browser.current_url  # nothing else yet
    assert browser.find_element(By.CSS_SELECTOR, "#totp-qr svg")
    secret = browser.find_element(By.ID, "totp-secret").text
    browser.find_element(By.NAME, "code").send_keys(pyotp.TOTP(secret).now())
    browser.find_element(By.ID, "enrol-submit").click()
    codes = [e.text for e in WebDriverWait(browser, 15).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, "#recovery-codes code"))]
    assert len(codes) == 10 and len(set(codes)) == 10
    browser.find_element(By.ID, "recovery-continue").click()
    WebDriverWait(browser, 20).until(lambda b: urlsplit(b.current_url).path == "/admin")
    WebDriverWait(browser, 20).until(lambda b: b.find_elements(By.ID, "logout-button"))
    browser.find_element(By.ID, "logout-button").click()  # the page's logout is a POST form with the token
    WebDriverWait(browser, 15).until(lambda b: urlsplit(b.current_url).path == "/login")
    for code in (next_code(demo_db_url, name, secret), codes[0]):  # the app's code, then a recovery code
        browser.delete_all_cookies()
        browser.get(f"{base}/login?next=/admin")
        browser.find_element(By.NAME, "username").send_keys(name)
        browser.find_element(By.NAME, "password").send_keys(TEST_PASSWORD)
        browser.find_element(By.ID, "login-submit").click()
        WebDriverWait(browser, 15).until(lambda b: "/login/totp" in b.current_url)
        browser.find_element(By.NAME, "code").send_keys(code)
        browser.find_element(By.ID, "totp-submit").click()
        WebDriverWait(browser, 15).until(lambda b: urlsplit(b.current_url).path == "/admin")
    # a recovery code works once; a wrong code is refused
    s = requests.Session()
    assert _post_login(s, base, name).headers["Location"] == "/login/totp"
    for code in (codes[0], "000000"):
        r = s.post(base + "/login/totp", data={"code": code, "csrf_token": _token(s, base, "/login/totp")},
                   headers={"Origin": base}, allow_redirects=False, timeout=10)
        assert r.status_code == 401, code
    with connect(demo_db_url) as c:
        actions = {r["action"] for r in c.execute("SELECT action FROM audit_log WHERE actor = %s", (name,))}
    assert {"totp.enrol", "totp.recovery_used", "login.ok", "logout", "login.failed"} <= actions


def test_admin_made_account_changes_password_first_and_admin_ends_sessions(base: str, demo_db_url: str) -> None:
    admin = _login(base, demo_db_url, _user(demo_db_url, "admin"))
    newcomer = f"sec_new_{secrets.token_hex(3)}"
    made = call_callback(admin, base, outputs=["admin-user-msg.children"],
                         inputs=[("admin-create.n_clicks", 1), ("admin-deactivate.n_clicks", None),
                                 ("admin-activate.n_clicks", None), ("admin-unlock.n_clicks", None),
                                 ("admin-reset-totp.n_clicks", None)],
                         state=[("admin-new-name.value", newcomer), ("admin-new-role.value", "planner"),
                                ("admin-new-township.value", ""), ("admin-new-team.value", None),
                                ("admin-new-password.value", "first-pass-2026x"),
                                ("admin-users.selectedRows", [])])
    assert made.status_code == 200 and newcomer in made.text
    s = requests.Session()
    r = _post_login(s, base, newcomer, "first-pass-2026x")
    assert r.headers["Location"] == "/login/password"
    assert s.get(base + "/coverage", allow_redirects=False, timeout=10).headers["Location"] == "/login/password"

    def change(new: str) -> requests.Response:
        return s.post(base + "/login/password", data={"current": "first-pass-2026x", "new": new, "repeat": new,
                                                      "csrf_token": _token(s, base, "/login/password")},
                      headers={"Origin": base}, allow_redirects=False, timeout=10)

    for weak, rule in (("short", "at least"), ("password2026", "well-known"), (f"{newcomer}-x!", "username")):
        refused = change(weak)
        assert refused.status_code == 400 and rule in refused.text, weak
    assert change("a-longer-pass-of-mine").status_code == 302
    assert s.get(base + "/coverage", allow_redirects=False, timeout=10).status_code == 200
    # the admin sees the newcomer's session and ends it
    listed = call_callback(admin, base, outputs=["admin-sessions.rowData"],
                           inputs=[("admin-refresh.n_intervals", 1), ("admin-session-msg.children", None),
                                   ("admin-user-msg.children", None)])
    rows = [r for r in listed.json()["response"]["admin-sessions"]["rowData"] if r["username"] == newcomer]
    assert len(rows) == 1 and rows[0]["kind"] == "password"
    ended = call_callback(admin, base, outputs=["admin-session-msg.children"],
                          inputs=[("admin-end-session.n_clicks", 1), ("admin-end-user-sessions.n_clicks", None)],
                          state=[("admin-sessions.selectedRows", rows[:1]), ("admin-users.selectedRows", [])])
    assert ended.status_code == 200 and "1" in ended.text
    assert s.get(base + "/coverage", allow_redirects=False, timeout=10).status_code == 302


# -- fuzz: login, pages, component suites ----------------------------------------------------------------

_text = st.text(st.characters(codec="utf-8"), max_size=40)


@hsettings(max_examples=120, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(path=st.one_of(
           st.builds(lambda t: "/" + quote(t, safe="/%.:?&=\\"), _text),
           st.builds(lambda t: "/_dash-component-suites/dash/" + quote(t, safe="/%."), _text),
           st.builds(lambda t: "/login?next=" + quote(t, safe=""), _text),
           st.builds(lambda t: "/display/" + quote(t, safe=""), _text)),
       username=_text, password=_text, next_=_text)
@example(path="/login?next=%00", username="\x00", password="\x00", next_="/\x00")  # found once: NUL in the name
@example(path="/_dash-component-suites/dash/..%2f..%2fapp.py", username="admin\r\n", password="", next_="/\n/x")
def test_fuzz_login_pages_and_component_suites_never_5xx(base: str, path: str, username: str, password: str,
                                                         next_: str) -> None:
    addr = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    r = requests.get(base + path, allow_redirects=False, timeout=10, headers={"X-Forwarded-For": addr})
    assert r.status_code < 500, (path, r.status_code)
    s = requests.Session()
    r = s.post(base + "/login", data={"username": username, "password": password, "next": next_,
                                      "csrf_token": _token(s, base)},
               headers={"Origin": base, "X-Forwarded-For": addr}, allow_redirects=False, timeout=10)
    assert r.status_code in (401, 429, 400), (username, next_, r.status_code)
