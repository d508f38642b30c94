"""Positions from trackers and phones: the OsmAnd protocol as Traccar Client and many GPS trackers speak it,
and the teams' tracks.

``GET|POST /api/v1/positions/osmand`` (docs/field.md says how to point Traccar Client at it):
    OsmAnd parameters in the query or a form body — ``id``/``deviceid``, ``lat``, ``lon`` (or
    ``location=lat,lon``), ``timestamp`` (unix seconds or milliseconds, ISO 8601, or ``yyyy-MM-dd HH:mm:ss`` in
    Asia/Shanghai), ``speed`` (knots), ``bearing``/``heading`` (degrees), ``altitude`` (m), ``accuracy`` (m),
    ``batt`` (%); or the JSON body of Traccar Client 9 ``{"location": {"timestamp", "coords": {"latitude",
    "longitude", "speed" (m/s), "heading", "altitude", "accuracy"}, "battery": {"level" (0-1)}}, "device_id"}``.
    Coordinates are WGS-84 (what a GNSS receiver gives). The device's token (``gridcommand device add``) comes as
    ``?token=`` in the server URL, as the device identifier itself, or as ``Authorization: Bearer``.
    → 200 ``{"stored", "moved", "flag"}`` (a duplicate is 200 with ``stored: false``: the tracker may drop it);
    401 unknown/revoked token; 403 identifier of another device; 422 bad coordinates or time.
``GET /api/v1/teams/<id>/track?day=YYYY-MM-DD`` (logged in): the team's track of that day as GeoJSON.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

import psycopg
from flask import Blueprint, jsonify, request

from api.errors import ApiError, json_body, register
from api.tokens import CHALLENGE, bearer
from callbacks.context import current_scope, services
from enforcement.local_time import SHANGHAI
from enforcement.positions import KNOT_KMH
from geo_data import devices, positions
from geo_data.errors import Forbidden
from geo_data.scope import Permission
from geo_data.settings import Settings
from services.transactions import run_in_transaction

bp = Blueprint("positions_api", __name__, url_prefix="/api/v1")
register(bp)
_MAX_ID = 2**63 - 1


def _problem(loc: str, msg: str) -> ApiError:
    return ApiError(422, f"{loc}: {msg}", [{"loc": loc, "msg": msg}])


def _number(params: dict[str, Any], *names: str) -> float | None:
    """The first present parameter of ``names`` as a finite float; None when absent or empty."""
    for name in names:
        value = params.get(name)
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            raise _problem(name, "must be a number")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _problem(name, "must be a number") from None
        if not math.isfinite(number):
            raise _problem(name, "must be a finite number")
        return number
    return None


def parse_time(value: Any, *, loc: str = "timestamp") -> datetime | None:
    """A fix time: unix seconds or milliseconds (as Traccar: below 2^31 is seconds), ISO 8601 (a time without
    offset is Asia/Shanghai), or ``yyyy-MM-dd HH:mm:ss`` (Asia/Shanghai). None when absent."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None:
        if not math.isfinite(number) or number < 0:
            raise _problem(loc, "must be unix seconds or milliseconds")
        seconds = number if number < 2**31 else number / 1000.0
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise _problem(loc, "out of range") from None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _problem(loc, "unix seconds/milliseconds, ISO 8601 or 'yyyy-MM-dd HH:mm:ss'") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=SHANGHAI)


def _not_negative(value: float | None) -> float | None:
    """Trackers send -1 for 'unknown' (speed, heading, battery)."""
    return None if value is None or value < 0 else value


def fix_from_osmand(params: dict[str, Any], now: datetime) -> positions.Fix:
    """The fix of OsmAnd query/form parameters."""
    lat, lng = _number(params, "lat"), _number(params, "lon", "lng")
    if (lat is None or lng is None) and params.get("location"):
        parts = str(params["location"]).split(",")
        if len(parts) != 2:
            raise _problem("location", "must be 'lat,lon'")
        lat, lng = _number({"lat": parts[0]}, "lat"), _number({"lon": parts[1]}, "lon")
    if lat is None:
        raise _problem("lat", "required")
    if lng is None:
        raise _problem("lon", "required")
    knots = _not_negative(_number(params, "speed"))
    return positions.Fix(lat=lat, lng=lng, at=parse_time(params.get("timestamp")) or now,
                         speed_kmh=None if knots is None else knots * KNOT_KMH,
                         bearing=_not_negative(_number(params, "bearing", "heading")),
                         altitude_m=_number(params, "altitude"), accuracy_m=_not_negative(_number(params, "accuracy")),
                         battery_pct=_not_negative(_number(params, "batt")))


def fix_from_traccar_json(body: Any, now: datetime) -> tuple[positions.Fix, str | None]:
    """The fix and device id of a Traccar Client 9 JSON body (speed in m/s, battery level 0-1)."""
    if not isinstance(body, dict) or not isinstance(body.get("location"), dict):
        raise _problem("location", "required: an object with timestamp and coords")
    loc = body["location"]
    c = loc.get("coords")
    if not isinstance(c, dict):
        raise _problem("location.coords", "required: an object with latitude and longitude")
    lat, lng = _number(c, "latitude"), _number(c, "longitude")
    if lat is None:
        raise _problem("location.coords.latitude", "required")
    if lng is None:
        raise _problem("location.coords.longitude", "required")
    mps = _not_negative(_number(c, "speed"))
    battery = loc.get("battery") if isinstance(loc.get("battery"), dict) else {}
    level = _not_negative(_number(battery, "level"))
    device_id = body.get("device_id")
    return positions.Fix(
        lat=lat, lng=lng, at=parse_time(loc.get("timestamp"), loc="location.timestamp") or now,
        speed_kmh=None if mps is None else mps * 3.6, bearing=_not_negative(_number(c, "heading")),
        altitude_m=_number(c, "altitude"), accuracy_m=_not_negative(_number(c, "accuracy")),
        battery_pct=None if level is None else round(level * 100, 1),
    ), None if device_id is None else str(device_id)


def _device(conn: psycopg.Connection[Any], claimed_id: str | None, token_param: str | None) -> devices.Device:
    """The device of the request's token (Bearer, ``token=`` in the query or form, or the identifier itself)."""
    token = bearer() or token_param or None
    if token is None and claimed_id and claimed_id.startswith(devices.TOKEN_PREFIX):
        token = claimed_id
    if token is None:
        raise ApiError(401, "missing device token: add ?token=<token> to the server URL or use the token as the "
                            "device identifier", headers=CHALLENGE)
    device = devices.device_for_token(conn, token)
    if device is None:
        raise ApiError(401, "unknown or revoked device token", headers=CHALLENGE)
    if claimed_id and claimed_id != token and claimed_id != device.identifier:
        raise ApiError(403, f"device identifier {claimed_id[:64]!r} does not belong to this token")
    return device


@bp.route("/positions/osmand", methods=["GET", "POST"])
def osmand() -> Any:
    settings: Settings = services().settings
    now = datetime.now(UTC)
    if request.method == "POST" and request.mimetype == "application/json":
        fix, claimed = fix_from_traccar_json(json_body(), now)
        token_param = request.args.get("token")
    else:
        params: dict[str, Any] = {**request.form.to_dict(), **request.args.to_dict()}
        fix = fix_from_osmand(params, now)
        claimed = params.get("id") or params.get("deviceid") or None
        token_param = params.get("token")
    if claimed is not None and len(claimed) > 200:
        raise _problem("id", "at most 200 characters")
    pos = settings.positions
    positions.check_fix(fix, now=now, max_future_s=pos.max_future_s, max_age_days=pos.track_days)

    def work(conn: psycopg.Connection[Any]) -> positions.FixResult:
        device = _device(conn, claimed, token_param)
        return positions.record_fix(conn, device, fix, max_speed_kmh=pos.max_speed_kmh)

    result = run_in_transaction(work)
    return jsonify({"stored": result.stored, "moved": result.moved, "flag": result.flag})


@bp.get("/teams/<int:team_id>/track")
def team_track(team_id: int) -> Any:
    """The team's track of a day as a GeoJSON FeatureCollection of points (time, source, flag)."""
    if team_id > _MAX_ID:
        raise ApiError(404, f"team {team_id} not found")
    try:
        day = date.fromisoformat(request.args.get("day", "")) if request.args.get("day") else \
            datetime.now(SHANGHAI).date()
    except ValueError:
        raise _problem("day", "must be YYYY-MM-DD") from None
    try:
        scope = current_scope(Permission.READ)
    except Forbidden as exc:
        raise ApiError(401, "log in to read tracks") from exc

    def work(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
        return positions.team_track(conn, scope, team_id=team_id, day=day)

    rows = run_in_transaction(work)
    return jsonify({"type": "FeatureCollection", "team_id": team_id, "day": day.isoformat(), "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lng"], r["lat"]]},
         "properties": {"at": r["at"].isoformat(), "source": r["source"], "flag": r["flag"],
                        "speed_kmh": r["speed_kmh"], "accuracy_m": r["accuracy_m"], "device": r["device"]}}
        for r in rows]})
