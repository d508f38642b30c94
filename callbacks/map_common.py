"""Shared by the map and wall callbacks: language, time range, datum shifts for the basemap. (Errors become a
message in one place for every callback: ``callbacks/errors.py``.)"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from typing import Any

from callbacks.context import services
from enforcement.local_time import SHANGHAI
from geo_data.coords import from_wgs84, to_wgs84
from geo_data.errors import InvalidInput
from layers.basemaps import display_datum
from layers.i18n import lang_of

LANG_COOKIE = "gc_lang"


def request_lang(query_lang: str | None = None) -> str:
    """The language: ``?lang=`` if given, else the ``gc_lang`` cookie, else the configured default."""
    if query_lang in ("zh", "en"):
        return query_lang
    try:
        from flask import request

        cookie = request.cookies.get(LANG_COOKIE)
    except RuntimeError:
        cookie = None
    if cookie in ("zh", "en"):
        return cookie
    return lang_of(services().settings.server.default_language)


def datum() -> str:
    return display_datum(services().settings.map)


def to_display_bounds(bbox: tuple[float, float, float, float]) -> list[list[float]]:
    """WGS-84 bbox -> Leaflet bounds ``[[south, west], [north, east]]`` in the display datum."""
    (w, e), (s, n) = from_wgs84([bbox[0], bbox[2]], [bbox[1], bbox[3]], datum())
    return [[float(s), float(w)], [float(n), float(e)]]


def to_display_latlng(lng: float, lat: float) -> list[float]:
    x, y = from_wgs84(lng, lat, datum())
    return [float(y), float(x)]


def bbox_from_bounds(bounds: Any, *, datum_name: str = "wgs84") -> tuple[float, float, float, float]:
    """Leaflet bounds ``[[south, west], [north, east]]`` in the display datum -> WGS-84 bbox."""
    try:
        (s, w), (n, e) = bounds[0][:2], bounds[1][:2]
        s, w, n, e = float(s), float(w), float(n), float(e)
    except (TypeError, ValueError, IndexError) as exc:
        raise InvalidInput(f"bounds: expected [[south, west], [north, east]], got {bounds!r}") from exc
    if datum_name != "wgs84":
        (w, e), (s, n) = to_wgs84([w, e], [s, n], datum_name)
    return float(w), float(s), float(e), float(n)


def view_bounds(bounds: Any, center: Any, zoom: Any, width_px: int = 1400, height_px: int = 900) -> Any:
    """The map's bounds, or (before the first move, when Leaflet has not reported them) an estimate from its
    centre and zoom for a ``width_px`` x ``height_px`` map."""
    if bounds:
        return bounds
    if not center or zoom is None:
        raise InvalidInput("the map has no view yet")
    lat, lng = float(center[0]), float(center[1])
    deg_per_px = 360.0 / (256 * 2 ** float(zoom))
    half_w = deg_per_px * width_px / 2
    half_h = deg_per_px * height_px / 2 * math.cos(math.radians(lat))
    return [[lat - half_h, lng - half_w], [lat + half_h, lng + half_w]]


def time_window(choice: str | None, start: str | None = None, end: str | None = None,
                now: datetime | None = None) -> tuple[datetime, datetime, bool]:
    """(since, until, live) for the time filter; ``live`` is True when the window ends now (pushes apply)."""
    now = now or datetime.now(SHANGHAI)
    if choice == "24h":
        return now - timedelta(hours=24), now + timedelta(minutes=1), True
    if choice == "30d":
        return now - timedelta(days=30), now + timedelta(minutes=1), True
    if choice == "custom":
        try:
            d0, d1 = date.fromisoformat(str(start)[:10]), date.fromisoformat(str(end)[:10])
        except ValueError as exc:
            raise InvalidInput("time range: pick a start and an end date") from exc
        if d0 > d1:
            raise InvalidInput("time range: the start date is after the end date")
        since = datetime.combine(d0, time(0), SHANGHAI)
        until = datetime.combine(d1 + timedelta(days=1), time(0), SHANGHAI)
        return since, until, until > now
    return now - timedelta(days=7), now + timedelta(minutes=1), True
