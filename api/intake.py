"""Alert intake for machines (``/api/v1/alerts``, ``/api/v1/alerts/batch``) and the OpenAPI document: HTTP only.
Storing is ``services.intake.store_alerts`` (single posts through ``api.alert_groups``, one group commit per moment);
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
from flask import Blueprint, current_app, jsonify
from pydantic import TypeAdapter, ValidationError

from api import schemas
from api import state as api_state
from api.errors import ApiError, answer, json_body, json_response, register, validation_problems
from api.openapi import document, operation
from api.tokens import require_token, required_bearer
from geo_data import alerts as alert_store
from services import intake
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
@operation("Store one alert (idempotent by source + source_id)", body=schemas.AlertIn, security=("bearer",),
           replies={201: ("stored", schemas.AlertReply), 200: ("already stored", schemas.AlertReply)})
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
@operation("Store up to 5,000 alerts; per-item results", body=schemas.AlertBatchIn, security=("bearer",),
           operation_id="postAlertBatch", replies={200: ("all stored or duplicates", schemas.BatchReply),
                                                   207: ("some items rejected", schemas.BatchReply)})
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
        stored = intake.store_alerts(conn, svc, source=token.source, county_code=token.county_code,
                                     items=[_to_input(a) for _, a in valid], notices=notices)
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
    """The OpenAPI document, generated from the documented routes (``api.openapi``)."""
    return jsonify(document(current_app))
