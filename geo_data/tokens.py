"""API tokens for machines: alert sources (``alerts:write``) and dispatch clients (``incidents:read``,
``dispatch:write``). The token is shown once; the database keeps its SHA-256 and an 8-character prefix.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

import psycopg

from geo_data import audit
from geo_data.db import fetch_all, fetch_one
from geo_data.errors import InvalidInput, NotFound

SCOPES = ("alerts:write", "incidents:read", "dispatch:write")
TOKEN_PREFIX = "gc_"
_SOURCE_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True)
class ApiToken:
    id: int
    prefix: str
    source: str
    county_code: str
    scopes: tuple[str, ...]

    def has(self, scope: str) -> bool:
        return scope in self.scopes


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(conn: psycopg.Connection[Any], *, source: str, county_code: str,
                 scopes: tuple[str, ...] = ("alerts:write",), created_by: str = "cli") -> tuple[str, ApiToken]:
    """Create a token; returns (the token text — shown once, never stored —, its record)."""
    if not _SOURCE_RE.match(source):
        raise InvalidInput("source: 1-64 letters, digits, '_', '.', ':' or '-'")
    bad = [s for s in scopes if s not in SCOPES]
    if bad or not scopes:
        raise InvalidInput(f"scopes: unknown {bad}; choose from {', '.join(SCOPES)}")
    if fetch_one(conn, "token_county_exists", {"county_code": county_code}) is None:
        raise InvalidInput(f"county: unknown county code {county_code}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = fetch_one(conn, "token_insert", {"token_hash": hash_token(token), "prefix": token[:11],
                                           "source": source, "county_code": county_code,
                                           "scopes": list(scopes), "created_by": created_by})
    assert row is not None
    audit.record(conn, actor=created_by, actor_kind="cli", action="token.create", object_type="api_token",
                 object_id=row["id"], county_code=county_code, detail={"source": source, "scopes": list(scopes)})
    return token, ApiToken(id=row["id"], prefix=row["prefix"], source=source, county_code=county_code,
                           scopes=tuple(scopes))


def token_for(conn: psycopg.Connection[Any], token: str) -> ApiToken | None:
    """The live token record for a presented token, or None (unknown or revoked)."""
    if not token or len(token) > 200:
        return None
    row = fetch_one(conn, "token_by_hash", {"token_hash": hash_token(token)})
    if row is None:
        return None
    return ApiToken(id=row["id"], prefix=row["prefix"], source=row["source"], county_code=row["county_code"],
                    scopes=tuple(row["scopes"]))


def revoke_token(conn: psycopg.Connection[Any], ref: str, *, actor: str = "cli") -> list[dict[str, Any]]:
    """Revoke the token with this id or prefix; NotFound if no live token matches."""
    rows = fetch_all(conn, "token_revoke", {"ref": ref})
    if not rows:
        raise NotFound(f"no live token with id or prefix {ref!r}")
    for r in rows:
        audit.record(conn, actor=actor, actor_kind="cli", action="token.revoke", object_type="api_token",
                     object_id=r["id"], county_code=r["county_code"], detail={"source": r["source"]})
    return rows


def list_tokens(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    return fetch_all(conn, "token_list")
