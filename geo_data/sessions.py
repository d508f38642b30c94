"""Login sessions kept in the database (``user_sessions``): the cookie carries only a random id.

A session ends at logout, when an admin ends it, after ``idle`` without a user action, at its absolute
lifetime, and — through triggers of migration 510, whatever path made the change — when its user is
deactivated, gets a new password or another role/county/township, or its display token is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import psycopg

from geo_data import audit
from geo_data.db import execute, fetch_all, fetch_one
from geo_data.errors import NotFound
from geo_data.scope import Role, Scope
from geo_data.users import User

Kind = Literal["password", "display"]
Pending = Literal["totp", "enrol", "password"]


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    lifetime: timedelta
    display_lifetime: timedelta


@dataclass(frozen=True)
class LiveSession:
    id: int
    user: User
    kind: Kind
    pending: Pending | None
    seen_long_ago: bool   # last_seen_at older than 30 s: worth writing a new one


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def start(conn: psycopg.Connection[Any], *, user: User, kind: Kind, policy: SessionPolicy, remote_addr: str,
          user_agent: str = "", pending: Pending | None = None, display_token_id: int | None = None,
          ) -> tuple[str, int]:
    """A new session for ``user``; returns (the id for the cookie, the row id). The cookie id is shown once."""
    sid = secrets.token_urlsafe(32)
    lifetime = policy.display_lifetime if kind == "display" else policy.lifetime
    row = fetch_one(conn, "session_insert", {
        "sid_hash": _hash(sid), "user_id": user.id, "kind": kind, "display_token_id": display_token_id,
        "pending": pending, "lifetime": lifetime, "remote_addr": remote_addr[:64], "user_agent": user_agent[:300]})
    assert row is not None  # INSERT … RETURNING always returns the row
    return sid, int(row["id"])


def live(conn: psycopg.Connection[Any], sid: str, *, policy: SessionPolicy) -> LiveSession | None:
    """The live session ``sid`` names, or None (and a stale one is marked ended: idle or expired)."""
    row = fetch_one(conn, "session_live", {"sid_hash": _hash(sid), "idle": policy.idle})
    if row is None:
        execute(conn, "session_end_stale", {"sid_hash": _hash(sid), "idle": policy.idle})
        return None
    user = User(id=row["id"], username=row["username"], display_name=row["display_name"], role=Role(row["role"]),
                county_code=row["county_code"], township_code=row["township_code"], team_id=row["team_id"])
    return LiveSession(id=int(row["session_id"]), user=user, kind=row["kind"], pending=row["pending"],
                       seen_long_ago=bool(row["seen_long_ago"]))


def touch(conn: psycopg.Connection[Any], session_id: int) -> None:
    """The user acted: the idle timeout starts again."""
    execute(conn, "session_touch", {"session_id": session_id})


def set_pending(conn: psycopg.Connection[Any], session_id: int, pending: Pending | None) -> None:
    """Record the step the session still owes (None: it is a full login now)."""
    execute(conn, "session_set_pending", {"session_id": session_id, "pending": pending})


def end(conn: psycopg.Connection[Any], sid: str, *, reason: str) -> bool:
    """End the session ``sid`` (logout); False if it had already ended."""
    return fetch_one(conn, "session_end", {"sid_hash": _hash(sid), "reason": reason}) is not None


def end_for_admin(conn: psycopg.Connection[Any], scope: Scope, *, session_id: int | None = None,
                  user_id: int | None = None) -> int:
    """An admin ends one session or all sessions of one user of their county (audited); how many ended."""
    if session_id is None and user_id is None:
        raise NotFound("session: name a session or a user")
    rows = fetch_all(conn, "session_end_by_id", {"county_code": scope.county_code, "session_id": session_id,
                                                 "user_id": user_id, "reason": f"ended by {scope.actor}"})
    for r in rows:
        audit.record_for(conn, scope, "session.end", object_type="session", object_id=r["id"],
                         detail={"user": r["username"]})
    return len(rows)


def of_county(conn: psycopg.Connection[Any], scope: Scope, *, policy: SessionPolicy,
              user_id: int | None = None) -> list[dict[str, Any]]:
    """Live sessions of the county's users (admin view)."""
    return fetch_all(conn, "sessions_of_county", {"county_code": scope.county_code, "user_id": user_id,
                                                  "idle": policy.idle})
