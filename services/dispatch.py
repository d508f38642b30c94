"""Dispatch use cases (派单): the queue, one incident, recommendation, assignment, status steps, remote closure.

``api/dispatch.py`` (machines, ``/api/v1/incidents``) and ``callbacks/dispatch.py`` (the ``/dispatch`` screen)
both call these, inside one transaction (``services.transactions``), with the caller's scope. The rules are
``enforcement.dispatch`` (steps, who may direct which team, ranking); storing them is ``geo_data.dispatch`` and
``geo_data.incidents``.

One behaviour for both adapters (decided 2026-12-03, docs/architecture.md):

- reading never changes anything: showing an incident or its recommended teams escalates nothing, even when no
  team is free (the page used to log "上报县级 · <dispatcher> · no_team" for merely opening such an incident);
- escalation is the SLA job's alone (``geo_data.jobs`` every ``dispatch.escalate_every_s``): an incident whose SLA
  ran out before a team got on site is escalated once, whatever screen or client is open. A status change does
  not escalate first (the API used to, the page did not).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

import psycopg

from enforcement.dispatch import Candidate, RankWeights, Recommendation, may_direct, rank_teams
from enforcement.local_time import SHANGHAI
from geo_data import audit, dispatch, incidents, teams
from geo_data.errors import Conflict, InvalidInput
from geo_data.scope import Permission, Scope
from geo_data.settings import DispatchSettings
from geo_data.travel import TravelTimeEstimator


@dataclass(frozen=True)
class IncidentView:
    """What a dispatcher sees of one incident: the row, the ranked teams (open incidents only), the timeline."""

    incident: dict[str, Any]
    recommendations: list[Recommendation]
    timeline: list[dict[str, Any]]


def queue(conn: psycopg.Connection[Any], scope: Scope, *,
          statuses: tuple[str, ...] | None = incidents.OPEN_STATUSES, township_code: str | None = None,
          limit: int = 200) -> list[dict[str, Any]]:
    """Incidents in scope, most severe first then least SLA time left (``geo_data.incidents.list_incidents``)."""
    return incidents.list_incidents(conn, scope, statuses=statuses, township_code=township_code, limit=limit)


def incident_with_timeline(conn: psycopg.Connection[Any], scope: Scope, incident_id: int
                           ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One incident in scope and its timeline, oldest event first."""
    inc = incidents.get_incident(conn, scope, incident_id)
    return inc, incidents.timeline(conn, scope, incident_id)


def view(conn: psycopg.Connection[Any], scope: Scope, incident_id: int, *, settings: DispatchSettings,
         estimator: TravelTimeEstimator, now: datetime) -> IncidentView:
    """The dispatcher's view of one incident; recommendations only while it is open. Changes nothing."""
    inc, events = incident_with_timeline(conn, scope, incident_id)
    recs = recommend(conn, scope, incident_id, settings=settings, estimator=estimator, now=now) \
        if inc["status"] in incidents.OPEN_STATUSES else []
    return IncidentView(incident=inc, recommendations=recs, timeline=events)


def recommend(conn: psycopg.Connection[Any], scope: Scope, incident_id: int, *, settings: DispatchSettings,
              estimator: TravelTimeEstimator, now: datetime, limit: int = 10) -> list[Recommendation]:
    """Ranked teams the scope may direct for an incident in scope (``enforcement.dispatch.rank_teams``), ETA from
    ``estimator``, today's load counted from midnight Asia/Shanghai. Changes nothing (an empty list escalates
    nothing: the SLA job does, when the time runs out)."""
    inc = incidents.get_incident(conn, scope, incident_id)
    local = now.astimezone(SHANGHAI)
    rows = teams.candidates(conn, incident_id=incident_id, today=local.date(),
                            day_start=datetime.combine(local.date(), time(0), SHANGHAI))
    etas = estimator.minutes([(r.lng, r.lat) for r in rows], (inc["lng"], inc["lat"]))
    cands = [Candidate(team_id=r.id, name=r.name, relation=r.relation, status=r.status, eta_minutes=eta,
                       distance_m=r.distance_m, dispatches_today=r.dispatches_today,
                       planned_today=r.planned_today, nearest_planned_m=r.nearest_planned_m,
                       township_code=r.township_code, township_name=r.township_name)
             for r, eta in zip(rows, etas, strict=True)]
    cands = [c for c in cands if may_direct(scope.township_code, c.township_code)]
    return rank_teams(cands, RankWeights(piggyback_km=settings.piggyback_km), limit=limit)


def assign(conn: psycopg.Connection[Any], scope: Scope, incident_id: int, team_id: int, *,
           reassign: bool | None = None, eta_minutes: float | None = None, note: str = "") -> dict[str, Any]:
    """Give an incident to a team. ``reassign``: True takes it from its current team first, False refuses an
    incident already dispatched (Conflict), None (the screen's one button) reassigns exactly when the incident
    holds an active dispatch. Conflict when the team is busy, resting or inactive; Forbidden for a neighbour
    township's team of a township dispatcher."""
    if reassign is None:
        reassign = incidents.get_incident(conn, scope, incident_id)["dispatch_id"] is not None
    store = dispatch.reassign if reassign else dispatch.assign
    return store(conn, scope, incident_id, team_id, eta_minutes=eta_minutes, note=note)


def change_status(conn: psycopg.Connection[Any], scope: Scope, incident_id: int, status: str, *,
                  note: str = "") -> dict[str, Any]:
    """A command-centre step: accepted / en_route / on_site / resolved move the active dispatch forward, closed
    closes a resolved incident, cancelled ends the active dispatch and reopens the incident. Escalates nothing
    (the SLA job does). The field app's steps take the same path (``geo_data.field.record_step``)."""
    return dispatch.change_status(conn, scope, incident_id, status, note=note)


def remote_close(conn: psycopg.Connection[Any], scope: Scope, incident_id: int, *, reason: str,
                 evidence: str) -> dict[str, Any]:
    """Close an incident without a visit (非现场处置): remote-closable types only, reason and evidence required;
    an active dispatch is cancelled and its team freed. Audited. Returns the closed incident."""
    scope.require(Permission.DISPATCH)
    if not reason.strip():
        raise InvalidInput("reason: required")
    if not evidence.strip():
        raise InvalidInput("evidence: required")
    inc = incidents.lock_incident(conn, scope, incident_id)
    if not inc["remote_closable"]:
        raise Conflict(f"incident type {inc['type_code']} needs an on-site visit; it cannot be closed remotely")
    if inc["status"] not in incidents.OPEN_STATUSES:
        raise Conflict(f"incident {incident_id} is already {inc['status']}")
    dispatch.cancel_active(conn, scope, inc, event="cancelled", note="remote closure")
    incidents.set_status(conn, incident=inc, status="remote_closed", actor=scope.actor, reason=reason,
                         evidence=evidence)
    incidents.add_event(conn, county_code=inc["county_code"], incident_id=incident_id, dispatch_id=None,
                        actor=scope.actor, event="remote_closed", note=reason, detail={"evidence": evidence})
    audit.record_for(conn, scope, "incident.remote_close", object_type="incident", object_id=incident_id,
                     township_code=inc["township_code"], detail={"reason": reason, "evidence": evidence})
    return incidents.get_incident(conn, scope, incident_id)
