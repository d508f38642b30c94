"""Alert intake for machines (``/api/v1/alerts``, ``/api/v1/alerts/batch``), the OpenAPI document, and the
wiring of the dispatch endpoints (``api.dispatch``) into the server. SLA escalation is a periodic job of the
job worker (``geo_data.jobs``).

Batch semantics: each item is validated and stored on its own merits inside ONE transaction — valid items are
stored (``new``) or recognised (``duplicate``), invalid ones are reported per item (``rejected`` with
``problems``) and not stored. The reply is 200 when no item was rejected, 207 (Multi-Status) when some were,
and 422 when every item was rejected. A database failure stores nothing (503, ``Retry-After``); resending the
whole batch is always safe because (source, source_id) is idempotent.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from flask import Blueprint, Flask, current_app, jsonify
from psycopg_pool import ConnectionPool, PoolTimeout
from pydantic import BaseModel, TypeAdapter, ValidationError

from api import schemas
from api.alert_groups import AlertGroups
from api.errors import (
    ApiError,
    answer,
    install_app_handlers,
    json_body,
    json_response,
    register,
    validation_problems,
)
from api.tokens import require_token, required_bearer
from geo_data import alerts as alert_store
from geo_data.errors import DatabaseUnavailable
from geo_data.notify import send_after_commit
from geo_data.settings import Settings
from geo_data.travel import estimator_for

log = logging.getLogger(__name__)
bp = Blueprint("intake", __name__, url_prefix="/api/v1")
register(bp)
T = TypeVar("T")
_alert_adapter: TypeAdapter[schemas.AlertIn] = TypeAdapter(schemas.AlertIn)
_TYPES_TTL_S = 30.0


def install(server: Flask, *, pool: ConnectionPool | None = None, settings: Settings | None = None) -> None:
    """Mount intake + dispatch blueprints and JSON routing errors."""
    from api import dispatch as dispatch_api

    if pool is None or settings is None:
        from callbacks.context import services

        pool = pool or services().pool
        settings = settings or services().settings
    state: dict[str, Any] = {"pool": pool, "settings": settings, "estimator": estimator_for(settings.dispatch),
                             "types": (-math.inf, {})}  # never read yet: monotonic() starts near 0 at boot
    state["singles"] = AlertGroups(
        lambda fn, notices: transaction_on(pool, fn, notices),
        lambda conn, wanted: _types_of(state, conn, wanted), link_m=settings.dispatch.enterprise_link_m,
        max_items=settings.dispatch.max_batch, linger_s=settings.dispatch.group_linger_ms / 1000)
    server.extensions["gc_intake"] = state
    server.register_blueprint(bp)
    server.register_blueprint(dispatch_api.bp)
    install_app_handlers(server)


def ext() -> dict[str, Any]:
    return current_app.extensions["gc_intake"]


def run_in_transaction(fn: Callable[[psycopg.Connection[Any]], T], notices: list[str] | None = None) -> T:
    """Run ``fn`` in one transaction on a pooled connection of this app (see ``transaction_on``)."""
    return transaction_on(ext()["pool"], fn, notices)


def transaction_on(pool: ConnectionPool, fn: Callable[[psycopg.Connection[Any]], T],
                   notices: list[str] | None = None) -> T:
    """Run ``fn`` in one transaction on a connection of ``pool``; deadlocks are retried, an unreachable database
    becomes 503 (nothing written). ``notices`` that ``fn`` collected are sent once the transaction has committed
    (``geo_data.notify.send_after_commit``); failing to send them never fails the request — the data is stored."""
    for attempt in range(4):
        if notices is not None:
            notices.clear()
        try:
            with pool.connection() as conn:
                with conn.transaction():
                    out = fn(conn)
                if notices:
                    try:
                        send_after_commit(conn, notices)
                    except psycopg.Error as exc:
                        log.warning("live-push notices after commit not sent: %s", exc)
                return out
        except psycopg.errors.TransactionRollback as exc:
            if attempt == 3:
                raise
            log.warning("transaction retried (%s): %s", type(exc).__name__, str(exc).splitlines()[0])
            time.sleep(0.02 * (attempt + 1))
        except psycopg.errors.UniqueViolation as exc:
            # The coverage pre-aggregate trigger of migration 405 recomputes (delete + insert) the rows of the
            # enterprises it touches; two writers linking the same enterprise at once can collide on its key.
            # Nothing of this transaction was kept, and resending is idempotent: try again.
            if exc.diag.constraint_name != "coverage_touch_pkey" or attempt == 3:
                raise
            log.warning("transaction retried (coverage_touch key collision)")
            time.sleep(0.02 * (attempt + 1))
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise DatabaseUnavailable(str(exc)) from exc
    raise AssertionError("unreachable")


def _types_of(state: dict[str, Any], conn: psycopg.Connection[Any], wanted: set[str]
              ) -> dict[str, alert_store.AlertTypeInfo]:
    """The alert types, cached for a while (re-read at once when an unknown code arrives)."""
    at, cached = state["types"]
    if time.monotonic() - at > _TYPES_TTL_S or not wanted <= cached.keys():
        cached = alert_store.alert_types(conn)
        state["types"] = (time.monotonic(), cached)
    return cached


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
    groups: AlertGroups = ext()["singles"]
    r = groups.store(token, _to_input(alert))
    if r.status == "rejected":
        raise ApiError(422, "invalid alert", _item_problems(r, ""))
    resp = jsonify({"status": r.status, "id": r.alert_id, "source_id": r.source_id, "incident_id": r.incident_id})
    resp.status_code = 201 if r.status == "new" else 200
    return resp


@bp.post("/alerts/batch")
def post_batch() -> Any:
    """Store up to 5,000 alerts; per-item results (see module docstring for the status codes)."""
    body = json_body()
    settings: Settings = ext()["settings"]
    limit = settings.dispatch.max_batch

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
                                    link_m=settings.dispatch.enterprise_link_m,
                                    types=_types_of(ext(), conn, {a.type for _, a in valid}),
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
