"""Storing the dispatch workflow (派单): assign, accept, en route, on site, resolved, closed; reassign, cancel;
escalation of incidents whose SLA ran out (the SLA job of the job worker, ``geo_data.jobs``, is its only caller).

The rules these apply are ``enforcement.dispatch``'s; the use cases that call these (and recommendation, remote
closure) are ``services.dispatch``'s. Every change is one row in ``dispatch_events`` (who, when), one audit
record and a NOTIFY. A team never holds two active dispatches: the partial unique index ``dispatches_one_active_per_team`` refuses the second one even
when two dispatchers click at once; that refusal becomes ``Conflict("team already busy")``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from enforcement import dispatch as rules
from geo_data import audit, incidents
from geo_data.db import fetch_all, fetch_one
from geo_data.errors import Conflict, Forbidden, InvalidInput, NotFound
from geo_data.notify import notify
from geo_data.scope import Permission, Scope


def _event(conn: psycopg.Connection[Any], scope: Scope, inc: dict[str, Any], dispatch_id: int | None,
           event: str, note: str = "", detail: dict[str, Any] | None = None, at: datetime | None = None) -> None:
    incidents.add_event(conn, county_code=inc["county_code"], incident_id=inc["id"], dispatch_id=dispatch_id,
                        actor=scope.actor, event=event, note=note, detail=detail, at=at)
    audit.record_for(conn, scope, f"dispatch.{event}", object_type="incident", object_id=inc["id"],
                     township_code=inc["township_code"], detail={"dispatch_id": dispatch_id, "note": note,
                                                                 **(detail or {})})


def _set_team(conn: psycopg.Connection[Any], team_id: int, status: str) -> None:
    row = fetch_one(conn, "team_set_status", {"id": team_id, "status": status})
    if row is not None:
        notify(conn, kind="team", op="update", id=team_id, county_code=row["county_code"],
               township_code=row["township_code"])


def assign(conn: psycopg.Connection[Any], scope: Scope, incident_id: int, team_id: int, *,
           eta_minutes: float | None = None, note: str = "") -> dict[str, Any]:
    """Give an incident in scope to a team of the county. Conflict when the team is busy (even under a race),
    resting or inactive, or the incident is closed or already dispatched (use ``reassign``)."""
    scope.require(Permission.DISPATCH)
    inc = incidents.lock_incident(conn, scope, incident_id)
    if inc["status"] not in incidents.OPEN_STATUSES:
        raise Conflict(f"incident {incident_id} is {inc['status']}; it cannot be dispatched")
    team = fetch_one(conn, "team_for_assign", {"team_id": team_id, "county_code": inc["county_code"]})
    if team is None:
        raise NotFound(f"team {team_id} not found in county {inc['county_code']}")
    if not rules.may_direct(scope.township_code, team["township_code"]):
        raise Forbidden(f"team {team['name']} belongs to another township: the county command centre sends it")
    if not team["active"] or team["status"] == "rest":
        raise Conflict(f"team {team['name']} is not available ({team['status']})")
    try:
        with conn.transaction():  # a savepoint: the unique violation must not poison the caller's transaction
            d = fetch_one(conn, "dispatch_insert", {"county_code": inc["county_code"],
                                                    "township_code": inc["township_code"],
                                                    "incident_id": incident_id, "team_id": team_id,
                                                    "actor": scope.actor, "eta": eta_minutes})
    except psycopg.errors.UniqueViolation as exc:
        constraint = getattr(exc.diag, "constraint_name", "") or ""
        if "per_team" in constraint:
            raise Conflict(f"team already busy: {team['name']} holds an active dispatch") from exc
        raise Conflict(f"incident {incident_id} already has an active dispatch; reassign it instead") from exc
    assert d is not None
    if inc["status"] == "open":
        incidents.set_status(conn, incident=inc, status="dispatched", actor=scope.actor)
    _set_team(conn, team_id, "out")
    _event(conn, scope, inc, d["id"], "assigned", note, {"team_id": team_id, "team": team["name"],
                                                         "eta_minutes": eta_minutes})
    notify(conn, kind="dispatch", op="add", id=d["id"], county_code=inc["county_code"],
           township_code=inc["township_code"])
    return {"dispatch_id": d["id"], "incident_id": incident_id, "team_id": team_id, "status": "assigned"}


def cancel_active(conn: psycopg.Connection[Any], scope: Scope, inc: dict[str, Any], *, event: str,
                  note: str = "", new_status: str = "cancelled") -> int | None:
    """End the incident's active dispatch (if any) as ``new_status`` and free its team; returns its id."""
    active = fetch_one(conn, "dispatch_active_of_incident", {"incident_id": inc["id"]})
    if active is None:
        return None
    fetch_one(conn, "dispatch_set_status", {"id": active["id"], "status": new_status, "at": None})
    _set_team(conn, active["team_id"], "idle")
    _event(conn, scope, inc, active["id"], event, note, {"team_id": active["team_id"]})
    notify(conn, kind="dispatch", op="update", id=active["id"], county_code=inc["county_code"],
           township_code=inc["township_code"])
    return int(active["id"])


def reassign(conn: psycopg.Connection[Any], scope: Scope, incident_id: int, team_id: int, *,
             eta_minutes: float | None = None, note: str = "") -> dict[str, Any]:
    """Take the incident from its current team (marked ``reassigned``) and give it to ``team_id``."""
    scope.require(Permission.DISPATCH)
    inc = incidents.lock_incident(conn, scope, incident_id)
    cancel_active(conn, scope, inc, event="reassigned", note=note, new_status="reassigned")
    return assign(conn, scope, incident_id, team_id, eta_minutes=eta_minutes, note=note)


def change_status(conn: psycopg.Connection[Any], scope: Scope, incident_id: int, status: str, *,
                  note: str = "", at: datetime | None = None, expect_dispatch: int | None = None,
                  detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """Advance the workflow: accepted / en_route / on_site / resolved move the active dispatch forward;
    closed closes a resolved incident; cancelled ends the active dispatch and reopens the incident.

    An inspector (Permission.FIELD) moves only their own team's active dispatch forward (the field app).
    ``at``: when the step happened if not now (a phone's queued step; the timeline and the on-site time the
    response measure reads carry it). ``expect_dispatch``: the dispatch the caller saw; when the incident's
    active dispatch is another one (reassigned meanwhile) the step is a Conflict. ``detail`` joins the
    timeline event (e.g. the phone's position)."""
    field = scope.can(Permission.FIELD)
    if not field:
        scope.require(Permission.DISPATCH)
    refusal = rules.step_refusal(status, field=field)
    if refusal is not None:
        raise InvalidInput(refusal) if status not in rules.STATUS_CHANGES else Forbidden(refusal)
    inc = incidents.lock_incident(conn, scope, incident_id)
    if status == "cancelled":
        if cancel_active(conn, scope, inc, event="cancelled", note=note) is None:
            raise Conflict(f"incident {incident_id} has no active dispatch")
        incidents.set_status(conn, incident=inc, status="open", actor=scope.actor)
        return {"incident_id": incident_id, "status": "open"}
    if status == "closed":
        if inc["status"] != "resolved":
            raise Conflict(f"incident {incident_id} is {inc['status']}; only a resolved incident can be closed")
        last = fetch_one(conn, "dispatch_latest_of_incident", {"incident_id": incident_id})
        dispatch_id = None
        if last is not None and last["status"] == "resolved":
            fetch_one(conn, "dispatch_set_status", {"id": last["id"], "status": "closed", "at": None})
            dispatch_id = int(last["id"])
        incidents.set_status(conn, incident=inc, status="closed", actor=scope.actor, reason=note or None)
        _event(conn, scope, inc, dispatch_id, "closed", note)
        return {"incident_id": incident_id, "status": "closed", "dispatch_id": dispatch_id}
    active = fetch_one(conn, "dispatch_active_of_incident", {"incident_id": incident_id})
    if expect_dispatch is not None and (active is None or int(active["id"]) != expect_dispatch):
        raise Conflict(f"dispatch {expect_dispatch} of incident {incident_id} is no longer active: the incident "
                       "was reassigned or cancelled meanwhile")
    if active is None:
        raise Conflict(f"incident {incident_id} has no active dispatch")
    if field and active["team_id"] != scope.team_id:
        raise Forbidden(f"incident {incident_id} is dispatched to another team")
    if not rules.moves_forward(active["status"], status):
        raise Conflict(f"dispatch is already {active['status']}; cannot go back to {status}")
    fetch_one(conn, "dispatch_set_status", {"id": active["id"], "status": status, "at": at})
    if status == "resolved":
        _set_team(conn, active["team_id"], "idle")
        incidents.set_status(conn, incident=inc, status="resolved", actor=scope.actor, on_site=True, at=at)
    else:
        _set_team(conn, active["team_id"], rules.TEAM_STATUS_FOR[status])
        if status == "on_site":
            incidents.set_status(conn, incident=inc, status="dispatched", actor=scope.actor, on_site=True, at=at)
    _event(conn, scope, inc, int(active["id"]), status, note, {"team_id": active["team_id"], **(detail or {})}, at)
    notify(conn, kind="dispatch", op="update", id=active["id"], county_code=inc["county_code"],
           township_code=inc["township_code"])
    # the live incident carries its dispatch's status: every step is pushed to the map, wall and dispatch page
    notify(conn, kind="incident", op="update", id=inc["id"], county_code=inc["county_code"],
           township_code=inc["township_code"])
    return {"incident_id": incident_id, "dispatch_id": active["id"], "status": status}


def escalate_overdue(conn: psycopg.Connection[Any], now: datetime) -> list[int]:
    """Escalate every open incident whose SLA ran out before a team got on site; returns their ids."""
    rows = fetch_all(conn, "incident_escalate_overdue", {"now": now})
    for row in rows:
        incidents.add_event(conn, county_code=row["county_code"], incident_id=row["id"], dispatch_id=None,
                            actor="system", event="escalated", note="sla", detail={"reason": "sla"})
        notify(conn, kind="incident", op="update", id=row["id"], county_code=row["county_code"],
               township_code=row["township_code"])
    if rows:
        audit.record(conn, actor="system", actor_kind="system", action="dispatch.escalate_overdue",
                     object_type="incident", object_id=",".join(str(r["id"]) for r in rows[:50]),
                     detail={"count": len(rows), "ids": [r["id"] for r in rows[:500]]})
    return [int(r["id"]) for r in rows]
