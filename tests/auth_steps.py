"""The second login step for test accounts: roles that must use two factors (admin, county operator) get a TOTP
key derived from their username, and the login helpers answer the code step like a person with the app would.

The key is derived (HMAC of the username), so nothing needs remembering between fixtures; the code step is chosen
after the last one the server accepted for that user (each 30 s step works once), waiting for the next step
only when two logins of the same user already used the current and the next one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from typing import Any

import pyotp

from geo_data.db import connect

TWO_FACTOR_ROLES = {"admin", "county_operator"}
_KEY = b"gridcommand-tests-totp"


def totp_secret_for(username: str) -> str:
    """The base32 TOTP key of a test account."""
    digest = hmac.new(_KEY, username.encode(), hashlib.sha256).digest()[:20]
    return base64.b32encode(digest).decode()


def enrol_for_tests(conn: Any, username: str) -> None:
    """Give ``username`` its derived TOTP key, as if enrolled (the enrolment itself has its own e2e test)."""
    conn.execute("UPDATE users SET totp_secret = %s, totp_enabled_at = now() WHERE username = %s",
                 (totp_secret_for(username), username))


def next_code(db_url: str, username: str, secret: str | None = None) -> str:
    """A code the server will accept now for ``username`` (key ``secret``, default the derived test key): the
    earliest usable step after its last used one."""
    with connect(db_url) as c:
        row = c.execute("SELECT totp_last_step FROM users WHERE username = %s", (username,)).fetchone()
    last = row["totp_last_step"] if row else None
    totp = pyotp.TOTP(secret or totp_secret_for(username))
    while True:
        now_step = int(time.time()) // totp.interval
        step = now_step if last is None or last < now_step else last + 1
        if step <= now_step + 1:
            return str(totp.generate_otp(step))
        time.sleep(max(0.1, (now_step + 1) * totp.interval - time.time() + 0.05))


def http_second_step(session: Any, base_url: str, db_url: str, username: str, response: Any) -> Any:
    """If the login ``response`` leads to the code step, answer it; the final response (302 expected)."""
    if response.status_code != 302 or response.headers.get("Location") != "/login/totp":
        return response
    page = session.get(f"{base_url}/login/totp", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "code form has no CSRF token"
    return session.post(f"{base_url}/login/totp", data={"code": next_code(db_url, username),
                                                         "csrf_token": token.group(1)},
                        headers={"Origin": base_url}, timeout=10, allow_redirects=False)


def browser_second_step(browser: Any, db_url: str, username: str) -> None:
    """If the browser sits on the code step, type the code and submit."""
    from selenium.webdriver.common.by import By

    if "/login/totp" not in browser.current_url:
        return
    browser.find_element(By.NAME, "code").send_keys(next_code(db_url, username))
    browser.find_element(By.ID, "totp-submit").click()
