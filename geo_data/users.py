"""Users: Argon2id password hashes, password rules, login checks (throttled per name and address) and the
scope a user carries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from geo_data import audit, login_throttle, passwords
from geo_data.errors import InvalidInput
from geo_data.login_throttle import ThrottlePolicy
from geo_data.scope import Role, Scope

_hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: Role
    county_code: str
    township_code: str | None
    team_id: int | None = None  # inspectors: the one team they belong to

    def scope(self, remote_addr: str = "") -> Scope:
        """The data this user may see and change (an inspector: the field app of their own team)."""
        township = self.township_code if self.role == Role.TOWNSHIP_DISPATCHER else None
        return Scope(actor=self.username, role=self.role, county_code=self.county_code,
                     township_code=township, remote_addr=remote_addr,
                     team_id=self.team_id if self.role == Role.INSPECTOR else None)


def _user(row: dict[str, Any]) -> User:
    return User(id=row["id"], username=row["username"], display_name=row["display_name"], role=Role(row["role"]),
                county_code=row["county_code"], township_code=row["township_code"], team_id=row.get("team_id"))


def hash_password(password: str, *, username: str) -> str:
    """Argon2id hash of ``password`` once it passes the password rules (``geo_data.passwords``)."""
    passwords.check(password, username=username)
    return _hasher.hash(password)


def create_user(
    conn: psycopg.Connection[Any], *, username: str, password: str, role: Role | str, county_code: str,
    township_code: str | None = None, display_name: str = "", created_by: str = "cli",
    must_change_password: bool = False, team_id: int | None = None,
) -> User:
    """Create a user; a township dispatcher needs a township of the same county, an inspector a team of it
    (and only an inspector has a team).

    ``must_change_password``: the user must choose a new password at first login (accounts an admin creates
    with a password the admin knows).
    """
    role = Role(role)
    if role == Role.TOWNSHIP_DISPATCHER and not township_code:
        raise InvalidInput("township: a township dispatcher needs --township")
    if township_code:
        row = conn.execute("SELECT county_code FROM townships WHERE code = %s", (township_code,)).fetchone()
        if row is None:
            raise InvalidInput(f"township: unknown township code {township_code}")
        if row["county_code"] != county_code:
            raise InvalidInput(f"township: {township_code} is not in county {county_code}")
    check_team(conn, role=role, team_id=team_id, county_code=county_code)
    if conn.execute("SELECT 1 FROM users WHERE username = %s", (username,)).fetchone():
        raise InvalidInput(f"username: {username} already exists")
    row = conn.execute(
        "INSERT INTO users (username, display_name, password_hash, role, county_code, township_code,"
        " must_change_password, team_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " RETURNING id, username, display_name, role, county_code, township_code, team_id",
        (username, display_name or username, hash_password(password, username=username), role.value, county_code,
         township_code, must_change_password, team_id),
    ).fetchone()
    assert row is not None  # INSERT … RETURNING always returns the row
    user = _user(row)
    audit.record(conn, actor=created_by, actor_kind="cli" if created_by == "cli" else "user", action="user.create",
                 object_type="user", object_id=user.id, county_code=county_code, township_code=township_code,
                 detail={"username": username, "role": role.value, **({"team_id": team_id} if team_id else {})})
    return user


def check_team(conn: psycopg.Connection[Any], *, role: Role, team_id: int | None, county_code: str) -> None:
    """An inspector needs an active team of their county; no other role has a team (InvalidInput)."""
    if role != Role.INSPECTOR:
        if team_id is not None:
            raise InvalidInput("team: only an inspector belongs to a team")
        return
    if team_id is None:
        raise InvalidInput("team: an inspector needs --team (the id of their team)")
    row = conn.execute("SELECT county_code, active FROM teams WHERE id = %s", (team_id,)).fetchone()
    if row is None:
        raise InvalidInput(f"team: unknown team {team_id}")
    if row["county_code"] != county_code:
        raise InvalidInput(f"team: team {team_id} is not in county {county_code}")
    if not row["active"]:
        raise InvalidInput(f"team: team {team_id} is not active")


def get_user(conn: psycopg.Connection[Any], user_id: int) -> User | None:
    """An active user by id, or None."""
    row = conn.execute(
        "SELECT id, username, display_name, role, county_code, township_code, team_id FROM users"
        " WHERE id = %s AND active", (user_id,),
    ).fetchone()
    return _user(row) if row else None


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    reason: str  # "ok", "bad_credentials", "throttled" (the same for unknown and known names)
    retry_after: float = 0.0  # seconds before this name may be tried again from this address
    must_change_password: bool = False
    has_second_factor: bool = False


def authenticate(
    conn: psycopg.Connection[Any], *, username: str, password: str, remote_addr: str = "",
    policy: ThrottlePolicy | None = None,
) -> LoginOutcome:
    """Check a password, throttled per (name, client address) and per address (``geo_data.login_throttle``).

    Failures, blocks and refused attempts are audited here; the caller audits ``login.ok`` once every factor
    passed and then calls ``login_throttle.record_success``. While blocked the password is not even checked.
    """
    policy = policy or ThrottlePolicy()
    wait = login_throttle.blocked_for(conn, username=username, remote_addr=remote_addr)
    if wait > 0:
        audit.record(conn, actor=username[:64], action="login.blocked", remote_addr=remote_addr,
                     detail={"seconds": round(wait)})
        return LoginOutcome(None, "throttled", wait)
    row = conn.execute(
        "SELECT id, username, display_name, role, county_code, township_code, team_id, password_hash,"
        " must_change_password,"
        " totp_secret IS NOT NULL AS has_totp FROM users WHERE username = %s AND active", (username,),
    ).fetchone()
    reason = "unknown user"
    if row is None:
        _hasher.hash("timing-equaliser")  # same work whether or not the user exists
    else:
        try:
            _hasher.verify(row["password_hash"], password)
            reason = ""
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            reason = "wrong password"
    if reason:
        wait = login_throttle.record_failure(conn, username=username, remote_addr=remote_addr, policy=policy,
                                             reason=reason, county_code=row["county_code"] if row else None)
        return LoginOutcome(None, "throttled" if wait else "bad_credentials", wait)
    assert row is not None
    if _hasher.check_needs_rehash(row["password_hash"]):
        conn.execute("UPDATE users SET password_hash = %s WHERE id = %s", (_hasher.hash(password), row["id"]))
    conn.execute("UPDATE users SET last_login_at = now() WHERE id = %s", (row["id"],))
    return LoginOutcome(_user(row), "ok", must_change_password=bool(row["must_change_password"]),
                        has_second_factor=bool(row["has_totp"]))


def change_password(conn: psycopg.Connection[Any], *, user_id: int, current: str, new: str,
                    remote_addr: str = "") -> None:
    """The user sets a new password (checked against the rules; must differ from the current one).

    Every session of the user ends (trigger of migration 510); the caller starts a new one for this browser.
    """
    row = conn.execute("SELECT username, county_code, township_code, password_hash FROM users"
                       " WHERE id = %s AND active FOR UPDATE", (user_id,)).fetchone()
    if row is None:
        raise InvalidInput("user: not an active user")
    try:
        _hasher.verify(row["password_hash"], current)
    except (VerifyMismatchError, VerificationError, InvalidHashError) as exc:
        raise InvalidInput("current_password: wrong password · 当前密码错误") from exc
    if new == current:
        raise InvalidInput("password: must differ from the current one · 新密码不能与当前密码相同")
    conn.execute("UPDATE users SET password_hash = %s, must_change_password = false, password_changed_at = now()"
                 " WHERE id = %s", (hash_password(new, username=row["username"]), user_id))
    audit.record(conn, actor=row["username"], action="user.password_change", object_type="user",
                 object_id=user_id, county_code=row["county_code"], township_code=row["township_code"],
                 remote_addr=remote_addr)


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
        conn.execute("UPDATE users SET active = %s WHERE id = %s", (active, user_id))  # ends sessions (trigger)
    if unlock:
        login_throttle.unlock(conn, username=row["username"], actor=scope.actor, county_code=scope.county_code)
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


def user_for_display_token(conn: psycopg.Connection[Any], token: str) -> tuple[User, int] | None:
    """The viewer a live (not revoked) display token is bound to and the token's id, or None."""
    import hashlib

    row = conn.execute(
        "UPDATE api_tokens t SET last_used_at = now() FROM users u"
        " WHERE t.token_hash = %s AND t.kind = 'display' AND t.revoked_at IS NULL"
        " AND u.username = t.source AND u.active AND u.role = 'viewer'"
        " RETURNING u.id, u.username, u.display_name, u.role, u.county_code, u.township_code, t.id AS token_id",
        (hashlib.sha256(token.encode()).hexdigest(),),
    ).fetchone()
    return (_user(row), int(row["token_id"])) if row else None
