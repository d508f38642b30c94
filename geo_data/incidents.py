"""Incidents in a scope: the queue, one incident, its timeline, locking and status changes.

Writing alerts into incidents is ``geo_data.alerts.ingest``; dispatching them is ``geo_data.dispatch``; the
use cases (remote closure 非现场处置 among them) are ``services.dispatch``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import psycopg

from geo_data.db import execute, fetch_all, fetch_one
from geo_data.errors import Forbidden, InvalidInput, NotFound
from geo_data.notify import notify
from geo_data.scope import Scope

OPEN_STATUSES = ("open", "dispatched")
ALL_STATUSES = ("open", "dispatched", "resolved", "closed", "remote_closed")


def list_incidents(conn: psycopg.Connection[Any], scope: Scope, *, statuses: tuple[str, ...] | None = OPEN_STATUSES,
                   township_code: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Incidents the scope may see, most severe first then least SLA time left (at most ``limit``).

    Asking for another township than one's own is refused (Forbidden), not answered with an empty list.
    """
    bad = [s for s in statuses or () if s not in ALL_STATUSES]
    if bad:
        raise InvalidInput(f"status: unknown {bad}")
    if township_code is not None:
        scope.require_township(township_code)
    return fetch_all(conn, "incident_list", {**scope.params, "id": None, "filter_township": township_code,
                                             "statuses": list(statuses) if statuses else None,
                                             "limit": max(1, min(limit, 1000))})


def get_incident(conn: psycopg.Connection[Any], scope: Scope, incident_id: int) -> dict[str, Any]:
    """One incident in scope; NotFound otherwise (also when it exists in another township)."""
    rows = fetch_all(conn, "incident_list", {**scope.params, "id": incident_id, "filter_township": None,
                                             "statuses": None, "limit": 1})
    if not rows:
        _not_found_or_forbidden(conn, scope, incident_id)
    return rows[0]


def _not_found_or_forbidden(conn: psycopg.Connection[Any], scope: Scope, incident_id: int) -> None:
    """Raise Forbidden for another township's incident of the county, NotFound otherwise."""
    if scope.township_code is not None and fetch_one(
            conn, "incident_scope_probe", {"id": incident_id, "county_code": scope.county_code}) is not None:
        raise Forbidden(f"incident {incident_id} is outside your township")
    raise NotFound(f"incident {incident_id} not found")


def timeline(conn: psycopg.Connection[Any], scope: Scope, incident_id: int) -> list[dict[str, Any]]:
    """Every time-stamped event of an incident in scope, oldest first."""
    return fetch_all(conn, "incident_timeline", {**scope.params, "id": incident_id})


def lock_incident(conn: psycopg.Connection[Any], scope: Scope, incident_id: int) -> dict[str, Any]:
    """Lock an incident in scope for a change; NotFound when missing or outside the scope."""
    row = fetch_one(conn, "incident_lock", {**scope.params, "id": incident_id})
    if row is None:
        _not_found_or_forbidden(conn, scope, incident_id)
    assert row is not None
    return row


def add_event(conn: psycopg.Connection[Any], *, county_code: str, incident_id: int, dispatch_id: int | None,
              actor: str, event: str, note: str = "", detail: dict[str, Any] | None = None,
              at: datetime | None = None) -> None:
    """Append a timeline event, at ``at`` (a field step's own time) or now."""
    fetch_one(conn, "dispatch_event_insert", {"county_code": county_code, "incident_id": incident_id,
                                              "dispatch_id": dispatch_id, "actor": actor, "event": event,
                                              "note": note, "detail": json.dumps(detail or {}, default=str),
                                              "at": at})


def set_status(conn: psycopg.Connection[Any], *, incident: dict[str, Any], status: str, actor: str,
               on_site: bool = False, reason: str | None = None, evidence: str | None = None,
               at: datetime | None = None) -> None:
    """Change an incident's status (already locked); alerts stop counting as open when it leaves the open set.
    ``at``: when it happened (the on-site time), if not now."""
    fetch_one(conn, "incident_set_status", {"id": incident["id"], "status": status, "on_site": on_site,
                                            "actor": actor, "reason": reason, "evidence": evidence, "at": at})
    if incident["status"] in OPEN_STATUSES and status not in OPEN_STATUSES:
        execute(conn, "incident_cells_close", {"id": incident["id"]})
    notify(conn, kind="incident", op="update", id=incident["id"], county_code=incident["county_code"],
           township_code=incident["township_code"])


def area_view(conn: psycopg.Connection[Any], scope: Scope, township_code: str | None = None) -> dict[str, Any] | None:
    """Centre and bounds (WGS-84) of the scope's township — or of ``township_code`` / the county for
    county-wide scopes — for centring a map."""
    township = scope.township_code or township_code
    return fetch_one(conn, "township_centre", {"county_code": scope.county_code, "township_code": township})


def townships_of(conn: psycopg.Connection[Any], scope: Scope) -> list[dict[str, Any]]:
    """The townships a scope may filter by (all of the county for county-wide scopes, else its own)."""
    rows = fetch_all(conn, "township_list", {"county_code": scope.county_code})
    return [r for r in rows if scope.township_code is None or r["code"] == scope.township_code]
