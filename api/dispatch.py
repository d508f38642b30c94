"""Incident and dispatch endpoints (``/api/v1/incidents...``) for machine clients (token scopes
``incidents:read`` / ``dispatch:write``) and the logged-in dispatch page (Permission.DISPATCH).

HTTP only: parse, name the caller's scope, call ``services.dispatch`` (the same use cases as the dispatch screen)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, TypeVar

import psycopg
from flask import Blueprint, jsonify, request

from api import schemas
from api.errors import ApiError, json_body, register
from api.openapi import operation
from api.tokens import dispatch_scope
from geo_data import incidents
from geo_data.scope import Scope
from services import dispatch
from services.container import current
from services.transactions import run_in_transaction

bp = Blueprint("dispatch_api", __name__, url_prefix="/api/v1")
register(bp)
_MAX_ID = 2**63 - 1
Body = TypeVar("Body", bound=schemas.BaseModel)


def _check_id(incident_id: int) -> None:
    if incident_id > _MAX_ID:
        raise ApiError(404, f"incident {incident_id} not found")


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}


def _write(incident_id: int, model: type[Body],
           act: Callable[[psycopg.Connection[Any], Scope, Body], Any]) -> Any:
    """A dispatch write on one incident: the id checked, then in one transaction the caller's ``dispatch:write``
    scope (401/403 before the body is looked at), the JSON body parsed as ``model`` (422: api/errors.py), and
    ``act``."""
    _check_id(incident_id)
    body = json_body()

    def work(conn: psycopg.Connection[Any]) -> Any:
        scope = dispatch_scope(conn, "dispatch:write")
        return act(conn, scope, model.model_validate(body))

    return jsonify(run_in_transaction(work))


@bp.get("/incidents")
@operation("Incidents in the caller's scope, most urgent first", replies={200: ("incidents", schemas.IncidentList)},
           query=[{"name": "status", "in": "query", "schema": {"type": "string"},
                   "description": "comma-separated: open,dispatched,resolved,closed,remote_closed"},
                  {"name": "township", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{9}$"}},
                  {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}])
def list_incidents() -> Any:
    status_arg = request.args.get("status", "open,dispatched")
    statuses = tuple(s for s in status_arg.split(",") if s) or None
    bad = [s for s in statuses or () if s not in incidents.ALL_STATUSES]
    if bad:
        raise ApiError(422, "invalid status filter", [{"loc": "status", "msg": f"unknown status {bad[0][:40]!r}"}])
    township = request.args.get("township") or None
    if township is not None and not (len(township) == 9 and township.isascii() and township.isdigit()):
        raise ApiError(422, "invalid township", [{"loc": "township", "msg": "9-digit township code"}])
    try:
        limit = int(request.args.get("limit", "200"))
    except ValueError as exc:
        raise ApiError(422, "invalid limit", [{"loc": "limit", "msg": "an integer 1..1000"}]) from exc
    if not 1 <= limit <= 1000:
        raise ApiError(422, "invalid limit", [{"loc": "limit", "msg": "an integer 1..1000"}])

    def work(conn: psycopg.Connection[Any]) -> Any:
        scope = dispatch_scope(conn, "incidents:read")
        return dispatch.queue(conn, scope, statuses=statuses, township_code=township, limit=limit)

    return jsonify({"items": [_jsonable(r) for r in run_in_transaction(work)]})


@bp.get("/incidents/<int:incident_id>")
@operation("One incident with its timeline", replies={200: ("incident", schemas.IncidentDetail)})
def get_incident(incident_id: int) -> Any:
    _check_id(incident_id)

    def work(conn: psycopg.Connection[Any]) -> Any:
        scope = dispatch_scope(conn, "incidents:read")
        inc, events = dispatch.incident_with_timeline(conn, scope, incident_id)
        return {**_jsonable(inc), "timeline": [_jsonable(e) for e in events]}

    return jsonify(run_in_transaction(work))


@bp.get("/incidents/<int:incident_id>/recommendations")
@operation("Ranked teams with reasons and ETA", operation_id="recommendTeams",
           replies={200: ("ranked teams", schemas.RecommendationList)})
def recommendations(incident_id: int) -> Any:
    _check_id(incident_id)
    svc = current()

    def work(conn: psycopg.Connection[Any]) -> Any:
        scope = dispatch_scope(conn, "incidents:read")
        return dispatch.recommend(conn, scope, incident_id, settings=svc.settings.dispatch,
                                  estimator=svc.estimator, now=datetime.now(UTC))

    ranked = run_in_transaction(work)
    return jsonify({"incident_id": incident_id, "items": [asdict(r) for r in ranked]})


@bp.post("/incidents/<int:incident_id>/assign")
@operation("Assign (or reassign) the incident to a team; 409 when the team is busy", body=schemas.AssignIn,
           operation_id="assignIncident", replies={200: ("assigned", schemas.DispatchReply)})
def assign(incident_id: int) -> Any:
    return _write(incident_id, schemas.AssignIn, lambda conn, scope, req: dispatch.assign(
        conn, scope, incident_id, req.team_id, reassign=req.reassign, eta_minutes=req.eta_minutes, note=req.note))


@bp.post("/incidents/<int:incident_id>/status")
@operation("Advance the dispatch (accepted, en_route, on_site, resolved), close or cancel", body=schemas.StatusIn,
           replies={200: ("changed", schemas.DispatchReply)})
def change_status(incident_id: int) -> Any:
    return _write(incident_id, schemas.StatusIn, lambda conn, scope, req: dispatch.change_status(
        conn, scope, incident_id, req.status, note=req.note))


@bp.post("/incidents/<int:incident_id>/remote-close")
@operation("Close remotely (非现场处置) with reason and evidence; remote-closable types only",
           body=schemas.RemoteCloseIn, replies={200: ("closed", schemas.IncidentDetail)})
def remote_close(incident_id: int) -> Any:
    return _write(incident_id, schemas.RemoteCloseIn, lambda conn, scope, req: _jsonable(dispatch.remote_close(
        conn, scope, incident_id, reason=req.reason, evidence=req.evidence)))
