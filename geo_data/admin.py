"""Admin views: tokens of a county and their revocation, audit rows for display."""

from __future__ import annotations

import json
from typing import Any

import psycopg

from geo_data import audit
from geo_data.db import fetch_all
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


def audit_rows(conn: psycopg.Connection[Any], scope: Scope, *, limit: int = 200) -> list[dict[str, Any]]:
    """The newest audit rows of the admin's county, flattened for a table."""
    scope.require(Permission.ADMIN)
    rows = audit.latest(conn, limit=limit, scope=scope)
    return [{"seq": r["seq"], "at": r["at"].strftime("%Y-%m-%d %H:%M:%S"), "actor": r["actor"],
             "action": r["action"], "object": f"{r['object_type']}:{r['object_id']}",
             "remote_addr": r["remote_addr"], "detail": json.dumps(r["detail"], ensure_ascii=False)[:200]}
            for r in rows]
