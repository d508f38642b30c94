"""Alert intake for machines (``/api/v1/alerts``, ``/api/v1/alerts/batch``) and the OpenAPI document: HTTP only.
Storing is ``geo_data.alerts.ingest`` (single posts through ``api.alert_groups``, one group commit per moment);
the app's wiring (blueprints, state, the transaction runner) is the composition root's (``app.py``).

Batch semantics: each item is validated and stored on its own merits inside ONE transaction — valid items are
stored (``new``) or recognised (``duplicate``), invalid ones are reported per item (``rejected`` with
``problems``) and not stored. The reply is 200 when no item was rejected, 207 (Multi-Status) when some were,
and 422 when every item was rejected. A database failure stores nothing (503, ``Retry-After``); resending the
whole batch is always safe because (source, source_id) is idempotent.
"""

from __future__ import annotations

from typing import Any

import psycopg
from flask import Blueprint, jsonify
from pydantic import BaseModel, TypeAdapter, ValidationError

from api import schemas
from api import state as api_state
from api.errors import ApiError, answer, json_body, json_response, register, validation_problems
from api.tokens import require_token, required_bearer
from geo_data import alerts as alert_store
from services.container import current
from services.transactions import run_in_transaction

bp = Blueprint("intake", __name__, url_prefix="/api/v1")
register(bp)
_alert_adapter: TypeAdapter[schemas.AlertIn] = TypeAdapter(schemas.AlertIn)


def _to_input(a: schemas.AlertIn) -> alert_store.AlertInput:
    lng, lat, datum = a.lng_lat_datum()
    return alert_store.AlertInput(
        source_id=a.source_id, source_kind=a.source_kind, type_code=a.type, observed_at=a.observed_at,
        lng=lng, lat=lat, datum=datum, confidence=a.confidence, severity=a.severity,
        evidence_url=a.evidence_url, description=a.description, enterprise_uscc=a.enterprise_uscc)


def _item_problems(r: alert_store.ItemResult, prefix: str) -> list[dict[str, str]]:
    return [{"loc": f"{prefix}{field}", "msg": msg} for field, msg in r.problems]


@bp.post("/alerts")
def post_alert() -> Any:
    """Store one alert; 201 new, 200 duplicate, 422 invalid. Stored together with the single alerts other
    requests are sending at the same moment (``api.alert_groups``: one transaction for the group)."""
    body = json_body()
    token = required_bearer()
    try:
        alert = _alert_adapter.validate_python(body)
    except ValidationError as exc:
        run_in_transaction(lambda conn: require_token(conn, "alerts:write"))  # 401/403 come before 422
        raise ApiError(422, "invalid alert", validation_problems(exc)) from exc
    r = api_state.current().singles.store(token, _to_input(alert))
    if r.status == "rejected":
        raise ApiError(422, "invalid alert", _item_problems(r, ""))
    resp = jsonify({"status": r.status, "id": r.alert_id, "source_id": r.source_id, "incident_id": r.incident_id})
    resp.status_code = 201 if r.status == "new" else 200
    return resp


@bp.post("/alerts/batch")
def post_batch() -> Any:
    """Store up to 5,000 alerts; per-item results (see module docstring for the status codes)."""
    body = json_body()
    svc = current()
    limit = svc.settings.dispatch.max_batch

    def work(conn: psycopg.Connection[Any]) -> Any:
        token = require_token(conn, "alerts:write")
        if not isinstance(body, dict) or set(body) != {"items"} or not isinstance(body["items"], list):
            raise ApiError(422, "body must be {\"items\": [alert, ...]}", [{"loc": "items", "msg": "required list"}])
        items = body["items"]
        if not 1 <= len(items) <= limit:
            raise ApiError(422, f"items: between 1 and {limit} alerts per batch",
                           [{"loc": "items", "msg": f"{len(items)} items; allowed 1..{limit}"}])
        results: list[dict[str, Any]] = [{} for _ in items]
        valid: list[tuple[int, schemas.AlertIn]] = []
        for i, item in enumerate(items):
            try:
                valid.append((i, _alert_adapter.validate_python(item)))
            except ValidationError as exc:
                sid = item.get("source_id") if isinstance(item, dict) else None
                results[i] = {"index": i, "source_id": sid if isinstance(sid, str) else "", "status": "rejected",
                              "problems": validation_problems(exc, f"items.{i}")}
        stored = alert_store.ingest(conn, source=token.source, county_code=token.county_code,
                                    alerts=[_to_input(a) for _, a in valid],
                                    link_m=svc.settings.dispatch.enterprise_link_m,
                                    types=svc.alert_types.of(conn, {a.type for _, a in valid}),
                                    notices=notices) if valid else []
        for (i, _a), r in zip(valid, stored, strict=True):
            results[i] = {"index": i, "source_id": r.source_id, "status": r.status, "id": r.alert_id,
                          "incident_id": r.incident_id, "problems": _item_problems(r, f"items.{i}.")}
        return results

    notices: list[str] = []
    results = run_in_transaction(work, notices)
    counts = {s: sum(1 for r in results if r["status"] == s) for s in ("new", "duplicate", "rejected")}
    reply = {"stored": counts["new"], "duplicates": counts["duplicate"], "rejected": counts["rejected"],
             "results": results}
    if counts["rejected"] == len(results):
        problems = [p for r in results for p in r["problems"]][:200]
        resp = answer(422, "every item was rejected", problems)
        return resp
    return json_response(reply, 207 if counts["rejected"] else 200)


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(openapi_document())


# -- OpenAPI 3.1 ----------------------------------------------------------------------------------------------

def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every /api/v1 endpoint, schemas generated from ``api.schemas``."""
    from pydantic.json_schema import models_json_schema

    models: list[type[BaseModel]] = [schemas.AlertIn, schemas.AlertBatchIn, schemas.AlertReply, schemas.BatchReply, schemas.ErrorReply,
              schemas.AssignIn, schemas.StatusIn, schemas.RemoteCloseIn, schemas.IncidentList,
              schemas.IncidentDetail, schemas.RecommendationList, schemas.DispatchReply]
    _, top = models_json_schema([(m, "validation") for m in models],
                                ref_template="#/components/schemas/{model}")
    comps = top.get("$defs", {})

    def ref(name: str) -> dict[str, Any]:
        return {"$ref": f"#/components/schemas/{name}"}

    def body(name: str) -> dict[str, Any]:
        return {"required": True, "content": {"application/json": {"schema": ref(name)}}}

    def replies(ok: dict[str, str], *extra: int) -> dict[str, Any]:
        out: dict[str, Any] = {code: {"description": desc, "content": {"application/json": {"schema": ref(
            name)}}} for code, (desc, name) in ((c, v.split("|")) for c, v in ok.items())}
        err = {"description": "error", "content": {"application/json": {"schema": ref("ErrorReply")}}}
        for code in (400, 401, 403, 404, 409, 413, 415, 422, 503, *extra):
            out.setdefault(str(code), err)
        return out

    inc_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
    security: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]
    paths = {
        "/api/v1/alerts": {"post": {
            "summary": "Store one alert (idempotent by source + source_id)", "operationId": "postAlert",
            "security": [{"bearer": []}], "requestBody": body("AlertIn"),
            "responses": replies({"201": "stored|AlertReply", "200": "already stored|AlertReply"})}},
        "/api/v1/alerts/batch": {"post": {
            "summary": "Store up to 5,000 alerts; per-item results", "operationId": "postAlertBatch",
            "security": [{"bearer": []}], "requestBody": body("AlertBatchIn"),
            "responses": replies({"200": "all stored or duplicates|BatchReply",
                                  "207": "some items rejected|BatchReply"})}},
        "/api/v1/incidents": {"get": {
            "summary": "Incidents in the caller's scope, most urgent first", "operationId": "listIncidents",
            "security": security, "parameters": [
                {"name": "status", "in": "query", "schema": {"type": "string"},
                 "description": "comma-separated: open,dispatched,resolved,closed,remote_closed"},
                {"name": "township", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{9}$"}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
            "responses": replies({"200": "incidents|IncidentList"})}},
        "/api/v1/incidents/{id}": {"get": {
            "summary": "One incident with its timeline", "operationId": "getIncident", "security": security,
            "parameters": [inc_id], "responses": replies({"200": "incident|IncidentDetail"})}},
        "/api/v1/incidents/{id}/recommendations": {"get": {
            "summary": "Ranked teams with reasons and ETA", "operationId": "recommendTeams",
            "security": security, "parameters": [inc_id],
            "responses": replies({"200": "ranked teams|RecommendationList"})}},
        "/api/v1/incidents/{id}/assign": {"post": {
            "summary": "Assign (or reassign) the incident to a team; 409 when the team is busy",
            "operationId": "assignIncident", "security": security, "parameters": [inc_id],
            "requestBody": body("AssignIn"), "responses": replies({"200": "assigned|DispatchReply"})}},
        "/api/v1/incidents/{id}/status": {"post": {
            "summary": "Advance the dispatch (accepted, en_route, on_site, resolved), close or cancel",
            "operationId": "changeStatus", "security": security, "parameters": [inc_id],
            "requestBody": body("StatusIn"), "responses": replies({"200": "changed|DispatchReply"})}},
        "/api/v1/incidents/{id}/remote-close": {"post": {
            "summary": "Close remotely (非现场处置) with reason and evidence; remote-closable types only",
            "operationId": "remoteClose", "security": security, "parameters": [inc_id],
            "requestBody": body("RemoteCloseIn"), "responses": replies({"200": "closed|IncidentDetail"})}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "GridCommand machine API", "version": "1.0.0",
                 "description": "Alert intake for drones, AI cameras, sensors and complaint channels; incidents "
                                "and dispatch. Errors: {\"error\", \"problems\": [{\"loc\", \"msg\"}]}."},
        "paths": paths,
        "components": {"schemas": comps, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "token from `gridcommand token create`"},
            "session": {"type": "apiKey", "in": "cookie", "name": "session"}}},
    }
