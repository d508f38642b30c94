"""Login, roles and web hardening through the real HTTP endpoints of the running app."""

from __future__ import annotations

import re
from typing import Any

import psycopg
import requests

from geo_data.db import connect
from tests.conftest import TEST_PASSWORD
from tests.dash_calls import call_callback

ADMIN_REFRESH = {"outputs": ["admin-users.rowData", "admin-tokens.rowData"],
                 "inputs": [("admin-refresh.n_intervals", 1), ("admin-user-msg.children", None),
                            ("admin-token-msg.children", None)]}


def test_anonymous_gets_login_page_or_401(live_url: str) -> None:
    s = requests.Session()
    for path in ("/", "/admin", "/wall", "/dispatch", "/planner", "/coverage"):
        r = s.get(live_url + path, allow_redirects=False, timeout=10)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login"), path
    assert s.get(live_url + "/_dash-layout", timeout=10).status_code == 401
    r = call_callback(s, live_url, **ADMIN_REFRESH)  # type: ignore[arg-type]
    assert r.status_code == 401
    login = s.get(live_url + "/login", timeout=10)
    assert login.status_code == 200 and "csrf_token" in login.text


def test_session_cookie_and_security_headers(live_url: str, make_user: Any, http_login: Any) -> None:
    s = requests.Session()
    page = s.get(live_url + "/login", timeout=10)
    for header in ("X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy", "Referrer-Policy"):
        assert header in page.headers
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    name = make_user("viewer")
    # A login form posted from another site is refused, as is one without the CSRF token.
    evil = s.post(live_url + "/login", data={"username": name, "password": TEST_PASSWORD, "csrf_token": token},
                  headers={"Origin": "http://evil.example"}, allow_redirects=False, timeout=10)
    assert evil.status_code == 403
    no_token = s.post(live_url + "/login", data={"username": name, "password": TEST_PASSWORD},
                      headers={"Origin": live_url}, allow_redirects=False, timeout=10)
    assert no_token.status_code == 400


def test_logout_ends_the_session(live_url: str, make_user: Any, http_login: Any) -> None:
    s = http_login(make_user("county_operator"))
    assert s.get(live_url + "/", allow_redirects=False, timeout=10).status_code == 200
    page = s.get(live_url + "/coverage", timeout=10)
    assert s.get(live_url + "/logout", allow_redirects=False, timeout=10).status_code == 405  # POST only
    token = s.cookies.get("gc_session")
    assert token and page.status_code in (200, 403)
    form = re.search(r'name="csrf_token" value="([^"]+)"', s.get(live_url + "/account", timeout=10).text)
    assert form is not None
    r = s.post(live_url + "/logout", data={"csrf_token": form.group(1)}, headers={"Origin": live_url},
               allow_redirects=False, timeout=10)
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert s.get(live_url + "/", allow_redirects=False, timeout=10).status_code == 302


def test_only_admins_open_admin_page_and_its_callbacks(live_url: str, make_user: Any, http_login: Any) -> None:
    dispatcher = http_login(make_user("township_dispatcher", township="330702001"))
    assert dispatcher.get(live_url + "/admin", allow_redirects=False, timeout=10).status_code == 403
    r = call_callback(dispatcher, live_url, **ADMIN_REFRESH)  # type: ignore[arg-type]
    assert r.status_code == 403
    planner = http_login(make_user("planner"))
    assert call_callback(planner, live_url, **ADMIN_REFRESH).status_code == 403  # type: ignore[arg-type]
    admin = http_login(make_user("admin"))
    assert admin.get(live_url + "/admin", timeout=10).status_code == 200
    r = call_callback(admin, live_url, **ADMIN_REFRESH)  # type: ignore[arg-type]
    assert r.status_code == 200
    users = r.json()["response"]["admin-users"]["rowData"]
    assert users and all("password_hash" not in u for u in users)


def test_admin_creates_user_through_callback_and_it_is_audited(live_url: str, make_user: Any, http_login: Any,
                                                              db_url: str) -> None:
    admin_name = make_user("admin")
    admin = http_login(admin_name)
    r = call_callback(admin, live_url, outputs=["admin-user-msg.children"],
                      inputs=[("admin-create.n_clicks", 1), ("admin-deactivate.n_clicks", None),
                              ("admin-activate.n_clicks", None), ("admin-unlock.n_clicks", None),
                              ("admin-reset-totp.n_clicks", None)],
                      state=[("admin-new-name.value", "new_disp_1"), ("admin-new-role.value", "township_dispatcher"),
                             ("admin-new-township.value", "330702005"), ("admin-new-team.value", None),
                             ("admin-new-password.value", "s3cret-pass"),
                             ("admin-users.selectedRows", [])])
    assert r.status_code == 200 and "new_disp_1" in r.text
    with connect(db_url) as c:
        row = c.execute("SELECT actor FROM audit_log WHERE action = 'user.create' AND detail->>'username' = %s",
                        ("new_disp_1",)).fetchone()
    assert row is not None and row["actor"] == admin_name
    with connect(db_url) as c:
        must = c.execute("SELECT must_change_password FROM users WHERE username = 'new_disp_1'").fetchone()
    assert must == {"must_change_password": True}  # an admin-made account picks its own password first
    # A dispatcher without a township is refused with a message naming the field, not a 500.
    r = call_callback(admin, live_url, outputs=["admin-user-msg.children"],
                      inputs=[("admin-create.n_clicks", 2), ("admin-deactivate.n_clicks", None),
                              ("admin-activate.n_clicks", None), ("admin-unlock.n_clicks", None),
                              ("admin-reset-totp.n_clicks", None)],
                      state=[("admin-new-name.value", "new_disp_2"), ("admin-new-role.value", "township_dispatcher"),
                             ("admin-new-township.value", ""), ("admin-new-team.value", None),
                             ("admin-new-password.value", "s3cret-pass"),
                             ("admin-users.selectedRows", [])])
    assert r.status_code == 200 and "township" in r.text


def test_display_token_logs_wall_in_as_viewer_and_revocation_refuses_it(live_url: str, make_user: Any,
                                                                       db_url: str) -> None:
    from geo_data.users import create_display_token

    viewer = make_user("viewer")
    with connect(db_url) as c:
        token = create_display_token(c, username=viewer)
        c.commit()
    s = requests.Session()
    r = s.get(f"{live_url}/display/{token}", allow_redirects=False, timeout=10)
    assert r.status_code == 302 and r.headers["Location"].startswith("/wall")
    assert s.get(live_url + "/admin", allow_redirects=False, timeout=10).status_code == 403
    with connect(db_url) as c:
        c.execute("UPDATE api_tokens SET revoked_at = now() WHERE source = %s AND kind = 'display'", (viewer,))
        c.commit()
    assert requests.get(f"{live_url}/display/{token}", allow_redirects=False, timeout=10).status_code == 401


def test_password_hashes_are_argon2(db_url: str, make_user: Any) -> None:
    name = make_user("planner")
    with psycopg.connect(db_url) as c:
        h = c.execute("SELECT password_hash FROM users WHERE username = %s", (name,)).fetchone()[0]
    assert h.startswith("$argon2id$")


def test_a_callback_request_of_another_shape_is_the_clients_error_not_a_500(live_url: str, make_user: Any,
                                                                             http_login: Any) -> None:
    s = http_login(make_user("township_dispatcher", township="330702001"))
    ok = call_callback(s, live_url, outputs=["dsp-detail.children"],
                       inputs=[("dsp-selected.data", None), ("dsp-changed.data", 0), ("dsp-push.data", None)],
                       state=[("dsp-lang.data", "zh")])
    assert ok.status_code in (200, 204), ok.text[:300]
    stale = call_callback(s, live_url, outputs=["dsp-detail.children"],   # a page from before an upgrade
                          inputs=[("dsp-selected.data", None), ("dsp-changed.data", 0)],
                          state=[("dsp-lang.data", "zh")])
    assert stale.status_code == 400 and "inputs: 2 sent, 3 expected" in stale.text
    unknown = call_callback(s, live_url, outputs=["no-such.children"], inputs=[("x.value", 1)])
    assert unknown.status_code == 400 and "no such callback" in unknown.text
    garbage = s.post(f"{live_url}/_dash-update-component", data="[1, 2", headers={
        "Origin": live_url, "Content-Type": "application/json"}, timeout=20)
    assert garbage.status_code == 400
