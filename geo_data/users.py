"""Users: Argon2id password hashes, lock-out after repeated failures, and the scope a user carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from geo_data import audit
from geo_data.errors import InvalidInput
from geo_data.scope import Role, Scope

_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters
MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: Role
    county_code: str
    township_code: str | None

    def scope(self, remote_addr: str = "") -> Scope:
        """The data this user may see and change."""
        township = self.township_code if self.role == Role.TOWNSHIP_DISPATCHER else None
        return Scope(actor=self.username, role=self.role, county_code=self.county_code,
                     township_code=township, remote_addr=remote_addr)


def _user(row: dict[str, Any]) -> User:
    return User(id=row["id"], username=row["username"], display_name=row["display_name"], role=Role(row["role"]),
                county_code=row["county_code"], township_code=row["township_code"])


def hash_password(password: str) -> str:
    """Argon2id hash of ``password`` (refuses passwords shorter than 8 characters)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def create_user(
    conn: psycopg.Connection[Any], *, username: str, password: str, role: Role | str, county_code: str,
    township_code: str | None = None, display_name: str = "", created_by: str = "cli",
) -> User:
    """Create a user; a township dispatcher needs a township of the same county."""
    role = Role(role)
    if role == Role.TOWNSHIP_DISPATCHER and not township_code:
        raise InvalidInput("township: a township dispatcher needs --township")
    if township_code:
        row = conn.execute("SELECT county_code FROM townships WHERE code = %s", (township_code,)).fetchone()
        if row is None:
            raise InvalidInput(f"township: unknown township code {township_code}")
        if row["county_code"] != county_code:
            raise InvalidInput(f"township: {township_code} is not in county {county_code}")
    if conn.execute("SELECT 1 FROM users WHERE username = %s", (username,)).fetchone():
        raise InvalidInput(f"username: {username} already exists")
    row = conn.execute(
        "INSERT INTO users (username, display_name, password_hash, role, county_code, township_code)"
        " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id, username, display_name, role, county_code, township_code",
        (username, display_name or username, hash_password(password), role.value, county_code, township_code),
    ).fetchone()
    assert row is not None  # INSERT … RETURNING always returns the row
    user = _user(row)
    audit.record(conn, actor=created_by, actor_kind="cli" if created_by == "cli" else "user", action="user.create",
                 object_type="user", object_id=user.id, county_code=county_code, township_code=township_code,
                 detail={"username": username, "role": role.value})
    return user


def get_user(conn: psycopg.Connection[Any], user_id: int) -> User | None:
    """An active user by id, or None."""
    row = conn.execute(
        "SELECT id, username, display_name, role, county_code, township_code FROM users"
        " WHERE id = %s AND active", (user_id,),
    ).fetchone()
    return _user(row) if row else None


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    reason: str  # "ok", "bad_credentials", "locked"


def authenticate(
    conn: psycopg.Connection[Any], *, username: str, password: str, remote_addr: str = "",
    max_failures: int = 5, lockout: timedelta = timedelta(minutes=15),
) -> LoginOutcome:
    """Check a password; after ``max_failures`` consecutive failures the account is locked for ``lockout``.

    Every attempt is audited (``login.ok``, ``login.failed``, ``login.locked``).
    """
    row = conn.execute(
        "SELECT id, username, display_name, role, county_code, township_code, password_hash, failed_logins,"
        " locked_until > now() AS locked FROM users WHERE username = %s AND active FOR UPDATE", (username,),
    ).fetchone()
    if row is None:
        _hasher.hash("timing-equaliser")  # same work whether or not the user exists
        audit.record(conn, actor=username[:64], action="login.failed", remote_addr=remote_addr,
                     detail={"reason": "unknown user"})
        return LoginOutcome(None, "bad_credentials")
    r = row
    if r["locked"]:
        audit.record(conn, actor=username, action="login.locked", remote_addr=remote_addr,
                     county_code=r["county_code"], township_code=r["township_code"])
        return LoginOutcome(None, "locked")
    try:
        _hasher.verify(r["password_hash"], password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        failures = int(r["failed_logins"]) + 1
        locked = failures >= max_failures
        conn.execute(
            "UPDATE users SET failed_logins = %s, locked_until = CASE WHEN %s THEN now() + %s ELSE NULL END"
            " WHERE id = %s", (0 if locked else failures, locked, lockout, r["id"]),
        )
        audit.record(conn, actor=username, action="login.locked" if locked else "login.failed",
                     remote_addr=remote_addr, county_code=r["county_code"], township_code=r["township_code"],
                     detail={"failures": failures})
        return LoginOutcome(None, "locked" if locked else "bad_credentials")
    if _hasher.check_needs_rehash(r["password_hash"]):
        conn.execute("UPDATE users SET password_hash = %s WHERE id = %s", (_hasher.hash(password), r["id"]))
    conn.execute("UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = now() WHERE id = %s",
                 (r["id"],))
    audit.record(conn, actor=username, action="login.ok", remote_addr=remote_addr,
                 county_code=r["county_code"], township_code=r["township_code"])
    return LoginOutcome(_user(r), "ok")


def list_users(conn: psycopg.Connection[Any], *, county_code: str) -> list[dict[str, Any]]:
    """Users of a county with their role, township, lock state and last login (admin view)."""
    from geo_data.db import fetch_all

    return fetch_all(conn, "users_of_county", {"county_code": county_code})


def set_user_state(conn: psycopg.Connection[Any], scope: Scope, *, user_id: int, active: bool | None = None,
                   unlock: bool = False) -> None:
    """Activate/deactivate or unlock a user of the admin's county (audited)."""
    from geo_data.errors import NotFound

    row = conn.execute("SELECT username, county_code FROM users WHERE id = %s FOR UPDATE", (user_id,)).fetchone()
    if row is None or row["county_code"] != scope.county_code:
        raise NotFound(f"user {user_id}")
    if active is not None:
        conn.execute("UPDATE users SET active = %s WHERE id = %s", (active, user_id))
    if unlock:
        conn.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = %s", (user_id,))
    audit.record_for(conn, scope, "user.update", object_type="user", object_id=user_id,
                     detail={"active": active, "unlock": unlock})


DISPLAY_TOKEN_PREFIX = "gcd_"


def create_display_token(conn: psycopg.Connection[Any], *, username: str, created_by: str = "cli") -> str:
    """A token that logs a wall display in as the viewer ``username``; shown once, only its SHA-256 is kept."""
    import hashlib
    import secrets

    row = conn.execute("SELECT role, county_code FROM users WHERE username = %s AND active", (username,)).fetchone()
    if row is None:
        raise InvalidInput(f"user: no active user {username}")
    r = row
    if r["role"] != Role.VIEWER.value:
        raise InvalidInput(f"user: {username} is not a viewer; display tokens are for wall-display viewers")
    token = DISPLAY_TOKEN_PREFIX + secrets.token_urlsafe(32)
    conn.execute(
        "INSERT INTO api_tokens (token_hash, prefix, kind, source, county_code, scopes, created_by)"
        " VALUES (%s, %s, 'display', %s, %s, '{display}', %s)",
        (hashlib.sha256(token.encode()).hexdigest(), token[:10], username, r["county_code"], created_by),
    )
    audit.record(conn, actor=created_by, actor_kind="cli" if created_by == "cli" else "user",
                 action="token.create", object_type="api_token", county_code=r["county_code"],
                 detail={"kind": "display", "user": username})
    return token


def user_for_display_token(conn: psycopg.Connection[Any], token: str) -> User | None:
    """The viewer a live (not revoked) display token is bound to, or None."""
    import hashlib

    row = conn.execute(
        "UPDATE api_tokens t SET last_used_at = now() FROM users u"
        " WHERE t.token_hash = %s AND t.kind = 'display' AND t.revoked_at IS NULL"
        " AND u.username = t.source AND u.active AND u.role = 'viewer'"
        " RETURNING u.id, u.username, u.display_name, u.role, u.county_code, u.township_code",
        (hashlib.sha256(token.encode()).hexdigest(),),
    ).fetchone()
    return _user(row) if row else None
