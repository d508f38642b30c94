"""The field app (执法终端, issue 15): ``/field`` for inspectors on their phones, and its endpoints.

Pages and static code (the app shell the service worker caches):
    ``GET /field`` the app (logged-in inspectors; others 403); ``GET /field/manifest.webmanifest``;
    ``GET /field/sw.js`` the service worker (scope ``/field``); ``GET /field/app/<file>`` its script, style and
    icons, and Leaflet from Debian's libjs-leaflet (no CDN: county sites may have no internet).
Endpoints (session of an inspector, same origin; JSON):
    ``GET  /api/v1/field/today`` the team, its active dispatch and today's visits in route order (navigation
         links in the map apps' datums, the QR of each visit's code);
    ``POST /api/v1/field/steps`` ``{client_id, incident_id, dispatch_id, step, at, note?, lat?, lng?, accuracy_m?}``
         → 200 the step's answer (a resend of the same client_id: the first answer, ``duplicate: true``);
         409 the dispatch was reassigned or cancelled meanwhile, or the step is behind the dispatch;
    ``POST /api/v1/field/positions`` ``{fixes: [{lat, lng, at, accuracy_m?, speed_kmh?, heading?}]}`` (≤ 500)
         → per fix ``{stored, moved, flag}``: the trackers' rule (``geo_data.positions``);
    ``POST /api/v1/field/visits/<id>/result`` ``{client_id, at, items_checked, problem_found, follow_up, note?}``;
    ``GET  /api/v1/field/members`` (dispatchers, admins) the inspectors of the teams in their scope.
Photos go to ``POST /api/v1/incidents/<id>/evidence`` (``api.evidence``) with their ``client_id``.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import segno
from flask import Blueprint, Response, abort, jsonify, request, send_from_directory
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field

from api.errors import ApiError, json_body, register
from callbacks.context import current_scope, form_token, services
from enforcement.local_time import SHANGHAI
from geo_data import field, positions, visit_public
from geo_data.errors import Forbidden, InvalidInput
from geo_data.scope import Permission, Scope
from layers import geojson
from layers.basemaps import display_datum, tile_layers
from layers.field_nav import display_point, navigation_links
from pages import field_app
from services.transactions import run_in_transaction

APP_DIR = Path(__file__).resolve().parent.parent / "field_app"
LEAFLET_DIR = Path("/usr/share/javascript/leaflet")  # Debian's libjs-leaflet (Makefile: system-packages)
MAX_FIXES = 500

bp = Blueprint("field", __name__)
api = Blueprint("field_api", __name__, url_prefix="/api/v1/field")
register(api)


# ------------------------------------------------------------------------------------------- the app shell


def _inspector() -> tuple[Scope, int]:
    """The logged-in inspector's scope and user id; 401/403 for anyone else."""
    try:
        scope = current_scope(Permission.FIELD)
    except Forbidden as exc:
        if not getattr(current_user, "is_authenticated", False):
            raise ApiError(401, "log in to the field app") from exc
        raise ApiError(403, "the field app is for inspectors (执法队员) of a team") from exc
    if request.method == "POST" and not _same_origin():
        raise ApiError(403, "cross-site request refused")
    return scope, int(current_user.user.id)


def _same_origin() -> bool:
    """CSRF defence for the session-authenticated writes: a browser's Origin (or Referer) must be this host."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    return not origin or urlsplit(origin).netloc == request.host


@bp.get("/field")
def page() -> Response:
    lang = field_app.lang_of(request.args.get("lang"))
    try:
        scope = current_scope(Permission.FIELD)
    except Forbidden:
        abort(403, "the field app is for inspectors (执法队员) of a team")
    settings = services().settings
    tiles = [{"url": t.url, "attribution": t.attribution, "subdomains": t.subdomains, "maxZoom": t.max_zoom}
             for t in tile_layers(settings.map)]
    html = field_app.render(lang, user=current_user.user.display_name or scope.actor,
                            interval_s=settings.positions.field_interval_s, tiles=json.dumps(tiles),
                            csrf=form_token())
    return Response(html, mimetype="text/html")


@bp.get("/field/manifest.webmanifest")
def manifest() -> Response:
    body = {"name": "执法终端 · GridCommand", "short_name": "执法终端", "lang": "zh-CN", "start_url": "/field",
            "scope": "/field", "display": "standalone", "background_color": "#f4f6f8", "theme_color": "#0b4f8a",
            "icons": [{"src": "/field/app/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"}]}
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")


@bp.get("/field/sw.js")
def service_worker() -> Response:
    resp = send_from_directory(APP_DIR, "sw.js", mimetype="text/javascript", max_age=0)
    resp.headers["Service-Worker-Allowed"] = "/field"
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/field/app/<path:name>")
def app_file(name: str) -> Response:
    if name.startswith("leaflet/"):
        return send_from_directory(LEAFLET_DIR, name.removeprefix("leaflet/"), max_age=3600)
    return send_from_directory(APP_DIR, name, max_age=0)


# ---------------------------------------------------------------------------------------------- the data


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _public_base() -> str:
    return services().settings.server.public_base_url or request.host_url


@api.get("/today")
def today() -> Any:
    scope, _user_id = _inspector()
    now = datetime.now(UTC)
    view = run_in_transaction(lambda conn: field.today_view(conn, scope, day=now.astimezone(SHANGHAI).date()))
    datum = display_datum(services().settings.map)
    base = _public_base()
    team, active = view["team"], view["dispatch"]
    out: dict[str, Any] = {
        "now": now.isoformat(), "datum": datum,
        "team": {k: _iso(team[k]) for k in ("id", "name", "status", "position_at")} | {
            "position": display_point(team["lng"], team["lat"], datum)},
        "dispatch": None, "visits": [],
        "outline": geojson.feature_collection(geojson.boundary_features(view["outline"], datum=datum))}
    if active is not None:
        name = active["enterprise_name"] or active["type_name"]
        out["dispatch"] = {k: _iso(v) for k, v in active.items() if k not in ("lng", "lat")} | {
            "position": display_point(active["lng"], active["lat"], datum),
            "nav": navigation_links(lng=active["lng"], lat=active["lat"], name=name)}
    for v in view["visits"]:
        url = visit_public.public_url(base, v["code"]) if v["code"] else None
        out["visits"].append({k: _iso(val) for k, val in v.items() if k not in ("lng", "lat")} | {
            "position": display_point(v["lng"], v["lat"], datum),
            "nav": navigation_links(lng=v["lng"], lat=v["lat"], name=v["enterprise_name"]),
            "public_url": url,
            "qr_svg": segno.make(url, error="m").svg_inline(scale=6, border=2, omitsize=True) if url else None})
    return jsonify(out)


class _Position(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    lng: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000, allow_inf_nan=False)


class StepIn(_Position):
    client_id: uuid.UUID
    incident_id: int = Field(ge=1, le=2**63 - 1)
    dispatch_id: int = Field(ge=1, le=2**63 - 1)
    step: str
    at: datetime
    note: str = Field(default="", max_length=2000)


class FixIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    client_id: uuid.UUID | None = None  # the phone's id of the fix; the store's key is (phone, time)
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lng: float = Field(ge=-180, le=180, allow_inf_nan=False)
    at: datetime
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000, allow_inf_nan=False)
    speed_kmh: float | None = Field(default=None, ge=0, le=2000, allow_inf_nan=False)
    heading: float | None = Field(default=None, ge=0, le=360, allow_inf_nan=False)


class FixesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fixes: list[FixIn] = Field(min_length=1, max_length=MAX_FIXES)


class VisitResultIn(_Position):
    client_id: uuid.UUID
    at: datetime
    items_checked: list[str] = Field(default_factory=list, max_length=200)
    problem_found: bool
    follow_up: str = "none"
    note: str = Field(default="", max_length=2000)


def _phone_time(at: datetime, loc: str = "at") -> datetime:
    pos = services().settings.positions
    return field.check_time(at, now=datetime.now(UTC), max_future_s=pos.max_future_s,
                            max_age_days=pos.track_days, loc=loc)


@api.post("/steps")
def step() -> Any:
    scope, user_id = _inspector()
    req = StepIn.model_validate(json_body())
    if (req.lat is None) != (req.lng is None):
        raise ApiError(422, "lat/lng: both or neither", [{"loc": "lat", "msg": "lat and lng come together"}])
    s = field.Step(client_id=req.client_id, incident_id=req.incident_id, dispatch_id=req.dispatch_id,
                   step=req.step, at=_phone_time(req.at), note=req.note.strip(), lat=req.lat, lng=req.lng,
                   accuracy_m=req.accuracy_m)
    max_kmh = services().settings.positions.max_speed_kmh
    return jsonify(run_in_transaction(
        lambda conn: field.record_step(conn, scope, user_id=user_id, step=s, max_speed_kmh=max_kmh)))


@api.post("/positions")
def fixes() -> Any:
    scope, user_id = _inspector()
    req = FixesIn.model_validate(json_body())
    pos = services().settings.positions
    now = datetime.now(UTC)
    batch = [positions.Fix(lat=f.lat, lng=f.lng, at=f.at, accuracy_m=f.accuracy_m, speed_kmh=f.speed_kmh,
                           bearing=f.heading) for f in req.fixes]
    for i, fix in enumerate(batch):
        if fix.at.tzinfo is None:
            raise ApiError(422, f"fixes.{i}.at: needs a time zone offset",
                           [{"loc": f"fixes.{i}.at", "msg": "needs a time zone offset"}])
        try:
            positions.check_fix(fix, now=now, max_future_s=pos.max_future_s, max_age_days=pos.track_days)
        except InvalidInput as exc:  # name the fix it is about
            raise ApiError(422, f"fixes.{i}: {exc}", [{"loc": f"fixes.{i}", "msg": str(exc)}]) from None

    def work(conn: psycopg.Connection[Any]) -> list[positions.FixResult]:
        return field.record_positions(conn, scope, user_id=user_id, fixes=batch, max_speed_kmh=pos.max_speed_kmh)

    results = run_in_transaction(work)
    return jsonify({"items": [{"stored": r.stored, "moved": r.moved, "flag": r.flag} for r in results]})


@api.get("/members")
def team_members() -> Any:
    """The field app's accounts of the teams in the caller's scope (dispatchers and admins)."""
    try:
        scope = current_scope(Permission.READ)
    except Forbidden as exc:
        raise ApiError(401 if not getattr(current_user, "is_authenticated", False) else 403,
                       "log in as a dispatcher or an administrator") from exc
    rows = run_in_transaction(lambda conn: field.members(conn, scope))
    return jsonify({"items": [{k: _iso(v) for k, v in r.items()} for r in rows]})


@api.post("/visits/<int:visit_id>/result")
def visit_result(visit_id: int) -> Any:
    if visit_id > 2**63 - 1:
        raise ApiError(404, f"visit {visit_id} not found")
    scope, user_id = _inspector()
    req = VisitResultIn.model_validate(json_body())
    r = field.VisitResult(client_id=req.client_id, visit_id=visit_id, at=_phone_time(req.at),
                          items_checked=tuple(req.items_checked), problem_found=req.problem_found,
                          follow_up=req.follow_up, note=req.note.strip(), lat=req.lat, lng=req.lng,
                          accuracy_m=req.accuracy_m)
    return jsonify(run_in_transaction(
        lambda conn: field.record_visit_result(conn, scope, user_id=user_id, result=r)))
