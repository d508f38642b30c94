"""The field app's data (执法终端, issue 15): an inspector's team, its active dispatch and today's visits; the
steps, positions and visit results the phone sends — each exactly once by the phone's own id, with the time it
happened on the phone.

Status steps go through ``geo_data.dispatch.change_status`` (the one transition path the API and the dispatch
page use: same checks, audit row, timeline event and NOTIFY); positions through ``geo_data.positions.record_fix``
(the trackers' rule: stored once per device and time, never moving the team backwards). The phone is a device
row of kind ``phone`` per inspector (``field-user-<id>``), made on its first fix.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import psycopg

from enforcement.dispatch import FIELD_STEPS
from geo_data import audit, dispatch, incidents, map_queries, positions
from geo_data.db import fetch_all, fetch_one
from geo_data.devices import Device
from geo_data.errors import Conflict, Forbidden, InvalidInput, NotFound
from geo_data.scope import Permission, Role, Scope
from geo_data.tokens import hash_token

FOLLOW_UPS = ("none", "rectify", "recheck", "case")  # 无需后续 / 责令整改 / 复查 / 立案


@dataclass(frozen=True)
class Step:
    """One tap in the field app: ``step`` of ``FIELD_STEPS`` on the dispatch the phone showed."""

    client_id: uuid.UUID
    incident_id: int
    dispatch_id: int
    step: str
    at: datetime                 # the phone's time of the tap (aware)
    note: str = ""
    lat: float | None = None     # the phone's position then (WGS-84), when it had one
    lng: float | None = None
    accuracy_m: float | None = None


@dataclass(frozen=True)
class VisitResult:
    client_id: uuid.UUID
    visit_id: int
    at: datetime
    items_checked: tuple[str, ...]
    problem_found: bool
    follow_up: str = "none"
    note: str = ""
    lat: float | None = None
    lng: float | None = None
    accuracy_m: float | None = None


def _team_of(scope: Scope) -> int:
    scope.require(Permission.FIELD)
    if scope.team_id is None:
        raise Forbidden("this account belongs to no team")
    return scope.team_id


def today_view(conn: psycopg.Connection[Any], scope: Scope, *, day: date) -> dict[str, Any]:
    """The inspector's team (with its live position), its active dispatch (or None), its visits of ``day`` in
    route order, and the outline of its township (WGS-84 GeoJSON rows of ``map_queries.boundaries``)."""
    team_id = _team_of(scope)
    team = fetch_one(conn, "field_team", {"team_id": team_id, "county_code": scope.county_code})
    if team is None:
        raise NotFound(f"team {team_id} not found")
    active = fetch_one(conn, "field_active_dispatch", {"team_id": team_id, "county_code": scope.county_code})
    visits = fetch_all(conn, "field_visits_today", {"team_id": team_id, "county_code": scope.county_code,
                                                    "day": day})
    # the team's township outline (the whole county for a county squad) under the phone's map
    area = Scope(actor=scope.actor, role=Role.TOWNSHIP_DISPATCHER if team["township_code"] else Role.VIEWER,
                 county_code=scope.county_code, township_code=team["township_code"])
    return {"team": team, "dispatch": active, "visits": visits, "outline": map_queries.boundaries(conn, scope=area)}


def check_time(at: datetime, *, now: datetime, max_future_s: int, max_age_days: int, loc: str = "at") -> datetime:
    """A phone's time of a step: refused far ahead of the server clock or older than tracks are kept; a few
    seconds ahead (phone clocks drift) becomes now."""
    if at.tzinfo is None:
        raise InvalidInput(f"{loc}: needs a time zone offset")
    if at > now + timedelta(seconds=max_future_s):
        raise InvalidInput(f"{loc}: more than {max_future_s} s ahead of the server clock")
    if at < now - timedelta(days=max_age_days):
        raise InvalidInput(f"{loc}: older than {max_age_days} days")
    return min(at, now)


def _position_detail(lat: float | None, lng: float | None, accuracy_m: float | None) -> dict[str, Any]:
    if lat is None or lng is None:
        return {}
    return {"position": {"lat": round(lat, 7), "lng": round(lng, 7),
                         "accuracy_m": None if accuracy_m is None else round(accuracy_m, 1)}}


def _prior(conn: psycopg.Connection[Any], scope: Scope, user_id: int, client_id: uuid.UUID) -> dict[str, Any] | None:
    row = fetch_one(conn, "field_step_get", {"client_id": client_id})
    if row is None:
        return None
    if int(row["user_id"]) != user_id:
        raise Conflict(f"client_id {client_id} was used by another account")
    return {**row["answer"], "duplicate": True}


def record_step(conn: psycopg.Connection[Any], scope: Scope, *, user_id: int, step: Step,
                max_speed_kmh: float) -> dict[str, Any]:
    """Apply one field step once: the dispatch moves forward (through ``dispatch.change_status``) at the phone's
    time, the phone's position is a track point of the team at that time and rides on the timeline event.

    A resend of the same ``client_id`` returns the first answer (``duplicate: true``). The dispatch having been
    reassigned or cancelled since the phone saw it is a Conflict naming that.
    """
    team_id = _team_of(scope)
    if step.step not in FIELD_STEPS:
        raise InvalidInput(f"step: one of {', '.join(FIELD_STEPS)}")
    if len(step.note) > 2000:
        raise InvalidInput("note: at most 2000 characters")
    incidents.lock_incident(conn, scope, step.incident_id)  # resends of one step wait here for each other
    prior = _prior(conn, scope, user_id, step.client_id)
    if prior is not None:
        return prior
    floor = fetch_one(conn, "field_dispatch_time_floor", {"dispatch_id": step.dispatch_id})
    at = step.at if floor is None or floor["floor"] is None else max(step.at, floor["floor"])
    fix = _fix_of(step.lat, step.lng, step.accuracy_m, at)
    moved = False
    if fix is not None:  # the position first: the team is where the phone was when it tapped
        moved = positions.record_fix(conn, phone_device(conn, scope, user_id=user_id), fix,
                                     max_speed_kmh=max_speed_kmh, source="field").moved
    answer = dispatch.change_status(
        conn, scope, step.incident_id, step.step, note=step.note, at=at, expect_dispatch=step.dispatch_id,
        detail={"source": "field", "client_id": str(step.client_id),
                **_position_detail(step.lat, step.lng, step.accuracy_m)})
    answer = {**answer, "at": at.isoformat(), "phone_at": step.at.isoformat(), "position_moved_team": moved}
    fetch_one(conn, "field_step_insert", {
        "client_id": step.client_id, "county_code": scope.county_code, "user_id": user_id, "team_id": team_id,
        "incident_id": step.incident_id, "dispatch_id": step.dispatch_id, "visit_id": None, "step": step.step,
        "at": at, "lat": step.lat, "lng": step.lng, "accuracy_m": step.accuracy_m, "note": step.note,
        "answer": json.dumps(answer, default=str)})
    return {**answer, "duplicate": False}


def _fix_of(lat: float | None, lng: float | None, accuracy_m: float | None, at: datetime) -> positions.Fix | None:
    if lat is None or lng is None:
        return None
    return positions.Fix(lat=lat, lng=lng, at=at, accuracy_m=accuracy_m)


def phone_device(conn: psycopg.Connection[Any], scope: Scope, *, user_id: int) -> Device:
    """The inspector's field-app device, bound to their current team (made, or moved to the team, here)."""
    team_id = _team_of(scope)
    identifier = f"field-user-{user_id}"
    row = fetch_one(conn, "field_phone_device_get", {"identifier": identifier})
    if row is None or int(row["team_id"]) != team_id:
        fetch_one(conn, "field_phone_device", {"county_code": scope.county_code, "team_id": team_id,
                                               "identifier": identifier, "label": scope.actor[:100],
                                               "token_hash": hash_token(secrets.token_urlsafe(32))})
        row = fetch_one(conn, "field_phone_device_get", {"identifier": identifier})
    assert row is not None
    if row["revoked_at"] is not None:
        raise Forbidden("this phone's position reporting was revoked by an administrator")
    return Device(id=int(row["id"]), county_code=scope.county_code, team_id=team_id, township_code=None,
                  identifier=identifier, kind="phone", prefix="field")


def record_positions(conn: psycopg.Connection[Any], scope: Scope, *, user_id: int, fixes: list[positions.Fix],
                     max_speed_kmh: float) -> list[positions.FixResult]:
    """The phone's fixes (oldest first) as track points of the team, through the trackers' rule; a fix sent
    twice (same time) is stored once."""
    device = phone_device(conn, scope, user_id=user_id)
    return [positions.record_fix(conn, device, fix, max_speed_kmh=max_speed_kmh, source="field")
            for fix in sorted(fixes, key=lambda f: f.at)]


def members(conn: psycopg.Connection[Any], scope: Scope) -> list[dict[str, Any]]:
    """The inspectors of the teams the scope may see (a township dispatcher: their township's teams only)."""
    if not (scope.can(Permission.DISPATCH) or scope.can(Permission.ADMIN)):
        raise Forbidden(f"role {scope.role.value} may not list team members")
    return fetch_all(conn, "field_members", scope.params)


def may_add_evidence(conn: psycopg.Connection[Any], scope: Scope, incident_id: int) -> None:
    """An inspector adds photos only to incidents dispatched to their team (now or before); Forbidden else."""
    team_id = _team_of(scope)
    if fetch_one(conn, "field_team_dispatched", {"incident_id": incident_id, "team_id": team_id}) is None:
        raise Forbidden(f"incident {incident_id} was not dispatched to your team")


def record_visit_result(conn: psycopg.Connection[Any], scope: Scope, *, user_id: int,
                        result: VisitResult) -> dict[str, Any]:
    """What the team found on one of its visits (items checked, problem or none, follow-up), once; the visit is
    done. Audited. A resend of the same ``client_id`` returns the first answer."""
    team_id = _team_of(scope)
    if result.follow_up not in FOLLOW_UPS:
        raise InvalidInput(f"follow_up: one of {', '.join(FOLLOW_UPS)}")
    if len(result.note) > 2000:
        raise InvalidInput("note: at most 2000 characters")
    visit = fetch_one(conn, "field_visit_lock", {"visit_id": result.visit_id, "county_code": scope.county_code})
    if visit is None or visit["team_id"] != team_id:
        raise NotFound(f"visit {result.visit_id} is not one of your team's visits")
    prior = _prior(conn, scope, user_id, result.client_id)
    if prior is not None:
        return prior
    unknown = sorted(set(result.items_checked) - set(visit["items"]))
    if unknown:
        raise InvalidInput(f"items_checked: {unknown[0]} is not an item of this visit")
    if visit["status"] == "cancelled":
        raise Conflict(f"visit {result.visit_id} was cancelled")
    done = fetch_one(conn, "visit_result_insert", {
        "visit_id": result.visit_id, "county_code": scope.county_code, "items_checked": list(result.items_checked),
        "problem_found": result.problem_found, "follow_up": result.follow_up, "note": result.note,
        "at": result.at, "actor": scope.actor, "client_id": result.client_id})
    if done is None:
        raise Conflict(f"visit {result.visit_id} already has a result")
    answer = {"visit_id": result.visit_id, "status": "done", "problem_found": result.problem_found,
              "follow_up": result.follow_up, "at": result.at.isoformat()}
    audit.record_for(conn, scope, "visit.result", object_type="visit", object_id=result.visit_id,
                     township_code=visit["township_code"],
                     detail={**answer, "items_checked": list(result.items_checked),
                             **_position_detail(result.lat, result.lng, result.accuracy_m)})
    fetch_one(conn, "field_step_insert", {
        "client_id": result.client_id, "county_code": scope.county_code, "user_id": user_id, "team_id": team_id,
        "incident_id": None, "dispatch_id": None, "visit_id": result.visit_id, "step": "visit_result",
        "at": result.at, "lat": result.lat, "lng": result.lng, "accuracy_m": result.accuracy_m,
        "note": result.note, "answer": json.dumps(answer)})
    return {**answer, "duplicate": False}
