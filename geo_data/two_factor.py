"""Second factor: RFC 6238 TOTP (pyotp) with one-time recovery codes.

Enrolment is two-step: ``begin_enrolment`` keeps a new secret as pending and returns it (for the QR code);
``confirm_enrolment`` makes it the user's secret once a code from the authenticator app matches, and returns
ten recovery codes (shown once, only their SHA-256 kept). A code is accepted for the current 30 s step or the
one before/after (clock drift), and each step only once per user (``users.totp_last_step``).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import psycopg
import pyotp

from geo_data import audit
from geo_data.errors import InvalidInput

ISSUER = "GridCommand"
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def provisioning_uri(secret: str, *, username: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def enrolled(conn: psycopg.Connection[Any], user_id: int) -> bool:
    row = conn.execute("SELECT totp_secret IS NOT NULL AS on FROM users WHERE id = %s", (user_id,)).fetchone()
    return bool(row and row["on"])


def begin_enrolment(conn: psycopg.Connection[Any], *, user_id: int) -> str:
    """A new pending secret for ``user_id`` (the current one, if any, stays valid until confirmation)."""
    secret = pyotp.random_base32()
    conn.execute("UPDATE users SET totp_pending_secret = %s WHERE id = %s", (secret, user_id))
    return secret


def pending_secret(conn: psycopg.Connection[Any], *, user_id: int) -> str | None:
    row = conn.execute("SELECT totp_pending_secret FROM users WHERE id = %s", (user_id,)).fetchone()
    return str(row["totp_pending_secret"]) if row and row["totp_pending_secret"] else None


def _matching_step(secret: str, code: str, last_step: int | None, now: float) -> int | None:
    code = code.strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now) // totp.interval
    for step in (current - 1, current, current + 1):
        if (last_step is None or step > last_step) and secrets.compare_digest(
                totp.generate_otp(step), code):
            return step
    return None


def confirm_enrolment(conn: psycopg.Connection[Any], *, user_id: int, code: str, actor: str,
                      remote_addr: str = "", now: float | None = None) -> list[str]:
    """Make the pending secret the user's once ``code`` matches it; returns fresh recovery codes (shown once)."""
    row = conn.execute("SELECT username, county_code, totp_pending_secret FROM users WHERE id = %s FOR UPDATE",
                       (user_id,)).fetchone()
    if row is None or not row["totp_pending_secret"]:
        raise InvalidInput("code: no enrolment in progress; start again")
    step = _matching_step(row["totp_pending_secret"], code, None, time.time() if now is None else now)
    if step is None:
        raise InvalidInput("code: does not match the new key; check the phone's clock and try again")
    conn.execute("UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL,"
                 " totp_enabled_at = now(), totp_last_step = %s WHERE id = %s", (step, user_id))
    codes = _new_recovery_codes(conn, user_id)
    audit.record(conn, actor=actor, action="totp.enrol", object_type="user", object_id=user_id,
                 county_code=row["county_code"], remote_addr=remote_addr, detail={"user": row["username"]})
    return codes


def _new_recovery_codes(conn: psycopg.Connection[Any], user_id: int) -> list[str]:
    conn.execute("DELETE FROM user_recovery_codes WHERE user_id = %s", (user_id,))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO user_recovery_codes (user_id, code_hash) VALUES (%s, %s)",
                        [(user_id, _recovery_hash(c)) for c in codes])
    return codes


def verify(conn: psycopg.Connection[Any], *, user_id: int, code: str, now: float | None = None) -> str | None:
    """Check a second factor: a TOTP code (each step once) or an unused recovery code (then spent).

    Returns ``"totp"`` or ``"recovery"`` when accepted, None otherwise.
    """
    row = conn.execute("SELECT totp_secret, totp_last_step FROM users WHERE id = %s FOR UPDATE",
                       (user_id,)).fetchone()
    if row is None or not row["totp_secret"]:
        return None
    step = _matching_step(row["totp_secret"], code, row["totp_last_step"], time.time() if now is None else now)
    if step is not None:
        conn.execute("UPDATE users SET totp_last_step = %s WHERE id = %s", (step, user_id))
        return "totp"
    if len(code.strip()) >= 10:
        spent = conn.execute(
            "UPDATE user_recovery_codes SET used_at = now() WHERE user_id = %s AND code_hash = %s"
            " AND used_at IS NULL RETURNING id", (user_id, _recovery_hash(code))).fetchone()
        if spent is not None:
            return "recovery"
    return None


def reset(conn: psycopg.Connection[Any], *, user_id: int, actor: str, actor_kind: str = "user",
          county_code: str | None = None) -> None:
    """Remove a user's second factor (lost phone): they enrol again at their next login if their role needs it."""
    conn.execute("UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, totp_enabled_at = NULL,"
                 " totp_last_step = NULL WHERE id = %s", (user_id,))
    conn.execute("DELETE FROM user_recovery_codes WHERE user_id = %s", (user_id,))
    audit.record(conn, actor=actor, actor_kind=actor_kind, action="totp.reset", object_type="user",
                 object_id=user_id, county_code=county_code)
