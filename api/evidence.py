"""Evidence photos of incidents over HTTP (the checks and the store: ``geo_data.evidence``).

``POST /api/v1/incidents/<id>/evidence`` multipart/form-data: ``photo`` (the file), ``client_id`` (optional UUID
of this upload, for senders that retry). Logged-in users who may dispatch in the incident's township (same
origin), or a token with ``dispatch:write`` (remote-closure systems) → 201 with the record (200 when the same
photo was there already); 413 larger than the limit; 415 not multipart; 422 not a JPEG/PNG/WebP image, a
decompression bomb, a path in the file name; 403 another township's incident; 503 the evidence folder cannot be
written (nothing stored).
``GET /api/v1/incidents/<id>/evidence`` the records; ``GET /api/v1/evidence/<id>`` the photo,
``GET /api/v1/evidence/<id>/thumb`` its thumbnail — for whoever may see the incident (logged in, or a token with
``incidents:read``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from api.errors import ApiError, register
from api.tokens import CHALLENGE, dispatch_scope, require_token
from callbacks.context import current_scope, services
from geo_data import evidence
from geo_data.errors import Forbidden
from geo_data.scope import Permission, Role, Scope
from services.transactions import run_in_transaction

bp = Blueprint("evidence_api", __name__, url_prefix="/api/v1")
register(bp)
_MAX_ID = 2**63 - 1
FORM_OVERHEAD = 64 * 1024         # multipart boundaries and the other fields around the photo
DRAIN_MAX = 64 * 1024 * 1024      # read (and drop) an oversized body up to this, so the client hears the 413


def _store() -> evidence.EvidenceStore:
    settings = services().settings
    return evidence.EvidenceStore(Path(settings.evidence.dir or settings.db.data_dir / "evidence"))


def _check_id(value: int, what: str) -> None:
    if value > _MAX_ID:
        raise ApiError(404, f"{what} {value} not found")


def _reader(conn: psycopg.Connection[Any]) -> Scope:
    """Whoever may see incidents: a token with ``incidents:read`` (county-wide) or any logged-in role."""
    if request.headers.get("Authorization") is not None:
        token = require_token(conn, "incidents:read")
        return Scope(actor=f"token:{token.prefix}", role=Role.COUNTY_OPERATOR, county_code=token.county_code,
                     remote_addr=request.remote_addr or "")
    try:
        return current_scope(Permission.READ)
    except Forbidden as exc:
        raise ApiError(401, "log in or send Authorization: Bearer <token>", headers=CHALLENGE) from exc


def _too_large(max_bytes: int) -> ApiError:
    msg = f"at most {max_bytes / 1e6:.0f} MB per photo"
    return ApiError(413, f"photo: {msg}", [{"loc": "photo", "msg": msg}])


def _drain() -> None:
    """Read the rest of a refused body (bounded) so the client gets the answer instead of a reset connection."""
    stream = request.environ.get("wsgi.input")
    left = min(request.content_length or 0, DRAIN_MAX)
    while stream is not None and left > 0:
        chunk = stream.read(min(left, 1 << 20))
        if not chunk:
            break
        left -= len(chunk)


def _client_id(text: str | None) -> uuid.UUID | None:
    if not text:
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ApiError(422, "client_id: must be a UUID", [{"loc": "client_id", "msg": "must be a UUID"}]) from None


@bp.post("/incidents/<int:incident_id>/evidence")
def upload(incident_id: int) -> Any:
    _check_id(incident_id, "incident")
    limits = services().settings.evidence
    if request.content_length is not None and request.content_length > limits.max_bytes + FORM_OVERHEAD:
        _drain()
        raise _too_large(limits.max_bytes)
    request.max_content_length = limits.max_bytes + FORM_OVERHEAD
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "Content-Type must be multipart/form-data with a file field 'photo'")
    # who, and whether they may see the incident, before the body is parsed
    scope = run_in_transaction(lambda conn: _checked_writer(conn, incident_id))
    try:
        upload_file = request.files.get("photo")
        client_id = _client_id(request.form.get("client_id"))
        sent_at = _taken_at(request.form.get("at"))
    except RequestEntityTooLarge:
        raise _too_large(limits.max_bytes) from None
    if upload_file is None:
        raise ApiError(422, "photo: required", [{"loc": "photo", "msg": "required: a file field named 'photo'"}])
    name = evidence.check_name(upload_file.filename)
    raw = upload_file.read(limits.max_bytes + 1)
    try:
        photo = evidence.inspect_photo(raw, max_bytes=limits.max_bytes, max_pixels=limits.max_pixels,
                                       thumb_px=limits.thumb_px)
    except evidence.PhotoTooLarge:
        raise _too_large(limits.max_bytes) from None
    store = _store()
    try:
        row = run_in_transaction(lambda conn: evidence.add_to_incident(
            conn, scope, incident_id=incident_id, photo=photo, store=store, name=name, client_id=client_id,
            at=sent_at))
    except evidence.StoreUnavailable as exc:
        raise ApiError(503, str(exc), headers={"Retry-After": "60"}) from None
    resp = jsonify(evidence.public_row(row))
    resp.status_code = 201 if row["created"] else 200
    return resp


def _checked_writer(conn: psycopg.Connection[Any], incident_id: int) -> Scope:
    from flask_login import current_user

    from geo_data import field, incidents

    user = getattr(current_user, "user", None)
    if request.headers.get("Authorization") is None and user is not None and user.role == Role.INSPECTOR:
        scope = user.scope(remote_addr=request.remote_addr or "")  # the field app: their team's incidents
        if not _same_origin():
            raise ApiError(403, "cross-site request refused")
        field.may_add_evidence(conn, scope, incident_id)
    else:
        scope = dispatch_scope(conn, "dispatch:write")
    incidents.get_incident(conn, scope, incident_id)
    return scope


def _same_origin() -> bool:
    from urllib.parse import urlsplit

    origin = request.headers.get("Origin") or request.headers.get("Referer")
    return not origin or urlsplit(origin).netloc == request.host


def _taken_at(text: str | None) -> datetime | None:
    """The sender's time of the photo (``at``, ISO 8601 with offset: a field app's queued upload), else None."""
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(422, "at: must be ISO 8601", [{"loc": "at", "msg": "must be ISO 8601"}]) from None
    if at.tzinfo is None:
        raise ApiError(422, "at: needs a time zone offset", [{"loc": "at", "msg": "needs a time zone offset"}])
    now = datetime.now(UTC)
    pos = services().settings.positions
    if at > now + timedelta(seconds=pos.max_future_s) or at < now - timedelta(days=pos.track_days):
        raise ApiError(422, "at: too far from the server clock", [{"loc": "at", "msg": "too far from now"}])
    return min(at, now)


@bp.get("/incidents/<int:incident_id>/evidence")
def list_evidence(incident_id: int) -> Any:
    _check_id(incident_id, "incident")
    rows = run_in_transaction(lambda conn: evidence.for_incident(conn, _reader(conn), incident_id))
    return jsonify({"items": [evidence.public_row(r) for r in rows]})


def _file(evidence_id: int, thumb: bool) -> Response:
    _check_id(evidence_id, "evidence")
    row = run_in_transaction(lambda conn: evidence.file_of(conn, _reader(conn), evidence_id))
    store = _store()
    ext = evidence.EXT_OF_MEDIA[row["media_type"]]
    path = store.thumb_path(row["sha256"]) if thumb else store.path(row["sha256"], ext)
    try:
        data = store.read(path)
    except evidence.StoreUnavailable as exc:
        raise ApiError(503, str(exc)) from None
    name = f"evidence-{evidence_id}{'-thumb' if thumb else ''}.{'jpg' if thumb else ext}"
    return Response(data, mimetype="image/jpeg" if thumb else row["media_type"], headers={
        "Cache-Control": "private, max-age=3600", "Content-Disposition": f'inline; filename="{name}"'})


@bp.get("/evidence/<int:evidence_id>")
def photo(evidence_id: int) -> Response:
    return _file(evidence_id, thumb=False)


@bp.get("/evidence/<int:evidence_id>/thumb")
def thumbnail(evidence_id: int) -> Response:
    return _file(evidence_id, thumb=True)
