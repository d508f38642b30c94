"""GeoJSON builders: plain rows in, small FeatureCollections out (pure; no SQL, no Dash).

Every feature carries a stable ``id`` ("<kind>:<row id>") so the browser can add/update/remove by id.
Coordinates are rounded to 6 decimals (~0.1 m) and, when the basemap is in GCJ-02, shifted with
``geo_data.coords.from_wgs84``. Only the properties the layer shows are sent.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from geo_data.coords import cell_boundary_lnglat, from_wgs84
from layers.styles import ColorScale

Row = Mapping[str, Any]
Feature = dict[str, Any]


def feature_collection(features: Sequence[Feature]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def _shift_positions(lng: Sequence[float], lat: Sequence[float], datum: str) -> tuple[list[float], list[float]]:
    if not len(lng):
        return [], []
    if datum == "wgs84":
        return (np.round(np.asarray(lng, dtype=float), 6).tolist(),
                np.round(np.asarray(lat, dtype=float), 6).tolist())
    out_lng, out_lat = from_wgs84(np.asarray(lng, dtype=float), np.asarray(lat, dtype=float), datum)
    return np.round(out_lng, 6).tolist(), np.round(out_lat, 6).tolist()


def _shift_geometry(geometry: dict[str, Any], datum: str) -> dict[str, Any]:
    """A (Multi)Polygon/Point geometry with every position rounded and shifted to ``datum``."""
    if datum == "wgs84":
        return geometry
    kind = geometry["type"]
    if kind == "Point":
        (x,), (y,) = _shift_positions([geometry["coordinates"][0]], [geometry["coordinates"][1]], datum)
        return {"type": "Point", "coordinates": [x, y]}

    def ring(r: list[list[float]]) -> list[list[float]]:
        xs, ys = _shift_positions([p[0] for p in r], [p[1] for p in r], datum)
        return [[x, y] for x, y in zip(xs, ys, strict=True)]

    if kind == "Polygon":
        return {"type": "Polygon", "coordinates": [ring(r) for r in geometry["coordinates"]]}
    if kind == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [[ring(r) for r in poly] for poly in geometry["coordinates"]]}
    return geometry


def point_features(rows: Iterable[Row], *, kind: str, props: Sequence[str], datum: str = "wgs84",
                   lean: bool = False) -> list[Feature]:
    """Point features from rows with ``id``, ``lng``, ``lat`` (WGS-84) and the listed properties.

    ``lean`` leaves out ``kind``/``rid`` (both are in the feature id ``"<kind>:<rid>"``) for the big layers."""
    rows = list(rows)
    xs, ys = _shift_positions([r["lng"] for r in rows], [r["lat"] for r in rows], datum)
    out: list[Feature] = []
    for r, x, y in zip(rows, xs, ys, strict=True):
        properties = {p: r.get(p) for p in props}
        for p, v in properties.items():
            if isinstance(v, datetime):
                properties[p] = v.isoformat()
        if not lean:
            properties["kind"] = kind
            properties["rid"] = r["id"]
        out.append({"type": "Feature", "id": f"{kind}:{r['id']}", "properties": properties,
                    "geometry": {"type": "Point", "coordinates": [x, y]}})
    return out


def boundary_features(rows: Iterable[Row], *, datum: str = "wgs84") -> list[Feature]:
    """County/township polygons (rows with kind, code, name, geojson text) plus label points."""
    out: list[Feature] = []
    for r in rows:
        geometry = _shift_geometry(json.loads(r["geojson"]), datum)
        out.append({"type": "Feature", "id": f"{r['kind']}:{r['code']}", "geometry": geometry,
                    "properties": {"kind": r["kind"], "code": r["code"], "name": r["name"]}})
    return out


def label_features(rows: Iterable[Row], *, datum: str = "wgs84") -> list[Feature]:
    """One label point per township (name shown as a permanent tooltip)."""
    rows = [r for r in rows if r["kind"] == "township"]
    xs, ys = _shift_positions([r["label_lng"] for r in rows], [r["label_lat"] for r in rows], datum)
    return [{"type": "Feature", "id": f"label:{r['code']}", "geometry": {"type": "Point", "coordinates": [x, y]},
             "properties": {"kind": "label", "code": r["code"], "name": r["name"]}}
            for r, x, y in zip(rows, xs, ys, strict=True)]


@functools.lru_cache(maxsize=300_000)
def cell_polygon(cell: int, datum: str = "wgs84") -> dict[str, Any]:
    """The H3 cell's outline as a GeoJSON Polygon (6 decimals) in ``datum``; cached, a cell never moves."""
    ring = cell_boundary_lnglat(cell)
    xs, ys = _shift_positions([p[0] for p in ring], [p[1] for p in ring], datum)
    return {"type": "Polygon", "coordinates": [[[x, y] for x, y in zip(xs, ys, strict=True)]]}


def cell_features(rows: Iterable[Row], *, values: Mapping[int, float | None], scale: ColorScale,
                  datum: str = "wgs84") -> list[Feature]:
    """H3 cell polygons with their measure value (``value``) and colour class index (``cls``)."""
    out: list[Feature] = []
    breaks = scale.breaks
    for r in rows:
        cell = int(r["cell"])
        value = values.get(cell)
        cls = 0
        if value is not None:
            for i, lower in enumerate(breaks):
                if value >= lower:
                    cls = i
        out.append({"type": "Feature", "id": f"cell:{cell}", "geometry": cell_polygon(cell, datum),
                    "properties": {"kind": "cell", "cell": str(cell),
                                   "value": None if value is None else round(float(value), 4), "cls": cls}})
    return out


def payload_bytes(data: Any) -> int:
    """Size of ``data`` as the browser receives it: serialised the way Dash serialises callback outputs
    (plotly's JSON encoder, orjson when installed)."""
    from plotly.io.json import to_json_plotly

    return len(to_json_plotly(data).encode())


# -- one builder per point layer (the properties each layer's JS needs, nothing more) -----------------------

ALERT_PROPS = ("source_kind", "type_name", "type_name_en", "severity", "observed_at", "incident_id",
               "incident_status")
INCIDENT_PROPS = ("type_name", "type_name_en", "severity", "status", "alert_count", "last_seen",
                  "dispatch_status",  # a field step (accepted, en route …) is a pushed change of its incident
                  "photos",           # so is a photo attached alone (evidence, no status step)
                  # the wall's list and the dispatch queue are drawn from the live layer in the browser
                  "township_code", "township_name", "sla_due_at", "escalated", "team_name")
TEAM_PROPS = ("name", "status", "kind", "members", "position_at")
ENTERPRISE_PROPS = ("name", "risk")
VISIT_PROPS = ("enterprise_name", "team_id", "status", "started_at", "code_scanned")


def alert_features(rows: Iterable[Row], *, datum: str = "wgs84") -> list[Feature]:
    return point_features(rows, kind="alert", props=ALERT_PROPS, datum=datum)


def incident_features(rows: Iterable[Row], *, datum: str = "wgs84") -> list[Feature]:
    return point_features(rows, kind="incident", props=INCIDENT_PROPS, datum=datum)


def team_features(rows: Iterable[Row], *, datum: str = "wgs84") -> list[Feature]:
    return point_features(rows, kind="team", props=TEAM_PROPS, datum=datum)


def enterprise_features(points: Iterable[Sequence[Any]], *, datum: str = "wgs84") -> list[Feature]:
    """The biggest layer (up to ``MapSettings.max_points`` per view) from ``(id, name, risk, lng, lat)`` tuples
    (``geo_data.map_queries.EnterprisePoint``): the features ``point_features(..., lean=True)`` would build with
    ENTERPRISE_PROPS, in one comprehension (no per-row dict, no per-property loop)."""
    points = list(points)
    xs, ys = _shift_positions([p[3] for p in points], [p[4] for p in points], datum)
    return [{"type": "Feature", "id": f"enterprise:{p[0]}", "properties": {"name": p[1], "risk": p[2]},
             "geometry": {"type": "Point", "coordinates": [x, y]}} for p, x, y in zip(points, xs, ys, strict=True)]


def visit_features(rows: Iterable[Row], *, datum: str = "wgs84") -> list[Feature]:
    return point_features(rows, kind="visit", props=VISIT_PROPS, datum=datum)


_LIVE_BUILDERS = {"alert": alert_features, "incident": incident_features, "team": team_features}


def live_feature(kind: str, row: Row, *, datum: str = "wgs84") -> Feature:
    """The feature a live layer shows for one pushed alert/incident/team row."""
    return _LIVE_BUILDERS[kind]([row], datum=datum)[0]


def route_features(rows: Iterable[Row], *, datum: str = "wgs84") -> list[Feature]:
    """Day routes: one LineString per team through its visits in order (rows from ``visits_on_day``)."""
    by_team: dict[Any, list[Row]] = {}
    for r in rows:
        if r.get("team_id") is not None:
            by_team.setdefault(r["team_id"], []).append(r)
    out: list[Feature] = []
    for team_id, stops in by_team.items():
        if len(stops) < 2:
            continue
        xs, ys = _shift_positions([s["lng"] for s in stops], [s["lat"] for s in stops], datum)
        out.append({"type": "Feature", "id": f"route:{team_id}",
                    "geometry": {"type": "LineString", "coordinates": [[x, y] for x, y in zip(xs, ys, strict=True)]},
                    "properties": {"kind": "route", "team_id": team_id, "stops": len(stops)}})
    return out
