"""The audit trail: append-only rows, each carrying the SHA-256 of its content and the previous row's hash.

``verify`` recomputes the chain and compares its head with the one kept in ``app_state``; an edited,
inserted or deleted row (including the last one) breaks it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from geo_data.db import fetch_all
from geo_data.scope import Scope

_AUDIT_LOCK_KEY = 7_702_002
GENESIS = "0" * 64


def _canonical(row: dict[str, Any]) -> str:
    at: datetime = row["at"]
    fields = [
        row["seq"], at.astimezone(UTC).isoformat(timespec="microseconds"), row["actor"], row["actor_kind"],
        row["action"], row["object_type"], row["object_id"], row["county_code"], row["township_code"],
        row["detail"], row["remote_addr"], row["prev_hash"],
    ]
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def row_hash(row: dict[str, Any]) -> str:
    """SHA-256 (hex) of a row's canonical text, which includes the previous row's hash."""
    return hashlib.sha256(_canonical(row).encode("utf-8")).hexdigest()


def record(
    conn: psycopg.Connection[Any],
    *,
    actor: str,
    action: str,
    actor_kind: str = "user",
    object_type: str = "",
    object_id: str | int = "",
    county_code: str | None = None,
    township_code: str | None = None,
    detail: dict[str, Any] | None = None,
    remote_addr: str = "",
) -> int:
    """Append one audit row inside the caller's transaction (so it commits or rolls back with the action).

    Writers are serialised by a transaction-level advisory lock so the chain stays linear.
    Returns the row's sequence number.
    """
    with conn.transaction():  # a savepoint inside the caller's transaction; a transaction in autocommit mode
        return _append(conn, actor=actor, action=action, actor_kind=actor_kind, object_type=object_type,
                       object_id=object_id, county_code=county_code, township_code=township_code,
                       detail=detail, remote_addr=remote_addr)


def _append(conn: psycopg.Connection[Any], *, actor: str, action: str, actor_kind: str, object_type: str,
            object_id: str | int, county_code: str | None, township_code: str | None,
            detail: dict[str, Any] | None, remote_addr: str) -> int:
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_AUDIT_LOCK_KEY,))
    head = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    prev_seq, prev_hash = (0, GENESIS) if head is None else (int(head["seq"]), str(head["hash"]))
    row: dict[str, Any] = {
        "seq": prev_seq + 1,
        "at": datetime.now(UTC),
        "actor": actor,
        "actor_kind": actor_kind,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "county_code": county_code,
        "township_code": township_code,
        "detail": json.loads(json.dumps(detail or {}, ensure_ascii=False, default=str)),
        "remote_addr": remote_addr,
        "prev_hash": prev_hash,
    }
    row["hash"] = row_hash(row)
    conn.execute(
        "INSERT INTO audit_log (seq, at, actor, actor_kind, action, object_type, object_id, county_code,"
        " township_code, detail, remote_addr, prev_hash, hash) VALUES (%(seq)s, %(at)s, %(actor)s,"
        " %(actor_kind)s, %(action)s, %(object_type)s, %(object_id)s, %(county_code)s, %(township_code)s,"
        " %(detail)s::jsonb, %(remote_addr)s, %(prev_hash)s, %(hash)s)",
        {**row, "detail": json.dumps(row["detail"], ensure_ascii=False)},
    )
    conn.execute(
        "INSERT INTO app_state (key, value, updated_at) VALUES ('audit_head', %s::jsonb, now())"
        " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()",
        (json.dumps({"seq": row["seq"], "hash": row["hash"]}),),
    )
    return int(row["seq"])


def record_for(conn: psycopg.Connection[Any], scope: Scope, action: str, **kwargs: Any) -> int:
    """``record`` with who/where taken from the caller's scope."""
    kwargs.setdefault("county_code", scope.county_code)
    kwargs.setdefault("township_code", scope.township_code)
    kwargs.setdefault("actor_kind", "token" if scope.actor.startswith("token:") else "user")
    return record(conn, actor=scope.actor, action=action, remote_addr=scope.remote_addr, **kwargs)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows: int
    problems: list[str]


def verify(conn: psycopg.Connection[Any]) -> VerifyResult:
    """Recompute the whole chain; report every row whose hash, link or position does not match."""
    problems: list[str] = []
    anchor = conn.execute("SELECT value FROM app_state WHERE key = 'audit_anchor'").fetchone()
    # after a retention prune the chain starts at the anchor: the first kept row and its predecessor's hash
    expected_prev, expected_seq = ((str(anchor["value"]["prev_hash"]), int(anchor["value"]["seq"]))
                                   if anchor else (GENESIS, 1))
    n = 0
    with conn.transaction(), conn.cursor(name="audit_verify") as cur:
        cur.execute(
            "SELECT seq, at, actor, actor_kind, action, object_type, object_id, county_code, township_code,"
            " detail, remote_addr, prev_hash, hash FROM audit_log ORDER BY seq"
        )
        for values in cur:
            row = dict(values)
            n += 1
            if row["seq"] != expected_seq:
                problems.append(f"seq {expected_seq}: missing (next row has seq {row['seq']})")
            if row["prev_hash"] != expected_prev:
                problems.append(f"seq {row['seq']}: link to previous row broken")
            if row_hash(row) != row["hash"]:
                problems.append(f"seq {row['seq']}: content changed (hash mismatch)")
            expected_prev, expected_seq = row["hash"], row["seq"] + 1
    head = conn.execute("SELECT value FROM app_state WHERE key = 'audit_head'").fetchone()
    head_value = head["value"] if head else None
    if head_value is None and n:
        problems.append("chain head record missing")
    elif head_value is not None and (head_value.get("seq") != expected_seq - 1 or head_value.get("hash") != expected_prev):
        problems.append(f"chain ends at seq {expected_seq - 1} but its head says seq {head_value.get('seq')}:"
                        " rows were deleted from the end")
    return VerifyResult(ok=not problems, rows=n, problems=problems)


def latest(conn: psycopg.Connection[Any], *, limit: int = 50, action: str | None = None,
           scope: Scope | None = None) -> list[dict[str, Any]]:
    """The newest audit rows (newest first), optionally one action, optionally limited to a scope."""
    params: dict[str, Any] = {"limit": limit, "action": action, "county_code": None, "township_code": None}
    if scope is not None:
        params.update(scope.params)
    return fetch_all(conn, "audit_latest", params)


def prune(conn: psycopg.Connection[Any], *, keep_days: int) -> int:
    """Remove audit rows older than ``keep_days`` (never fewer than 180: the database refuses) from the start of
    the chain; the chain stays verifiable from its new first row. Audited; returns the rows removed."""
    row = conn.execute("SELECT audit_prune(%s) AS n", (keep_days,)).fetchone()
    removed = int(row["n"]) if row else 0
    if removed:
        record(conn, actor="system", actor_kind="system", action="audit.prune",
               detail={"removed": removed, "keep_days": keep_days})
    return removed
