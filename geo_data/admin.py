"""Admin views: tokens of a county and their revocation, audit rows for display."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import psycopg

from geo_data import audit
from geo_data.db import fetch_all, fetch_one
from geo_data.errors import NotFound
from geo_data.scope import Permission, Scope


def tokens_of_county(conn: psycopg.Connection[Any], scope: Scope) -> list[dict[str, Any]]:
    """Token metadata for the admin's county."""
    scope.require(Permission.ADMIN)
    return fetch_all(conn, "tokens_of_county", {"county_code": scope.county_code})


def revoke_token(conn: psycopg.Connection[Any], scope: Scope, *, token_id: int) -> None:
    """Revoke a token of the admin's county (audited); refused tokens answer 401 from then on."""
    scope.require(Permission.ADMIN)
    row = conn.execute(
        "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = %s AND county_code = %s"
        " RETURNING source", (token_id, scope.county_code),
    ).fetchone()
    if row is None:
        raise NotFound(f"token {token_id}")
    audit.record_for(conn, scope, "token.revoke", object_type="api_token", object_id=token_id)


def revoke_device(conn: psycopg.Connection[Any], scope: Scope, *, device_id: int) -> None:
    """Revoke a field device of the admin's county (audited); its token is refused from then on."""
    scope.require(Permission.ADMIN)
    row = fetch_one(conn, "device_revoke_in_county", {"device_id": device_id, "county_code": scope.county_code})
    if row is None:
        raise NotFound(f"device {device_id} (live, of this county)")
    audit.record_for(conn, scope, "device.revoke", object_type="device", object_id=device_id,
                     detail={"identifier": row["identifier"], "team_id": row["team_id"]})


def _like_part(text: str) -> str:
    """``text`` for the middle of a LIKE pattern: its own wildcards match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def audit_rows(conn: psycopg.Connection[Any], scope: Scope, *, limit: int = 200, actor: str | None = None,
               action: str | None = None, since: datetime | None = None,
               until: datetime | None = None) -> list[dict[str, Any]]:
    """The newest audit rows of the admin's county, flattened for a table; optionally only an actor (part of the
    name), an action (prefix) and a time range [since, until)."""
    scope.require(Permission.ADMIN)
    rows = fetch_all(conn, "audit_search", {**scope.params, "limit": limit, "since": since, "until": until,
                                             "actor": _like_part(actor) if actor else None, "action": action or None})
    return [{"seq": r["seq"], "at": r["at"].strftime("%Y-%m-%d %H:%M:%S"), "actor": r["actor"],
             "action": r["action"], "object": f"{r['object_type']}:{r['object_id']}",
             "remote_addr": r["remote_addr"], "detail": json.dumps(r["detail"], ensure_ascii=False)[:200]}
            for r in rows]
