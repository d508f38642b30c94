"""Viewport layers: H3 choropleth and enterprises, bounded by the server (bbox + zoom in, capped features out)."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
from dash import Input, Output, State, html

from callbacks.context import current_scope, services
from callbacks.map_common import bbox_from_bounds, datum, time_window, view_bounds
from callbacks.registry import callback
from geo_data import map_queries
from geo_data.db import transaction
from geo_data.errors import InvalidInput
from geo_data.scope import Scope
from geo_data.settings import MapSettings
from layers import geojson
from layers.i18n import t
from layers.legend import scale_entries
from layers.registry import MEASURES, bbox_km2, cell_resolution
from layers.styles import RISK_COLORS, count_scale, rate_scale


def viewport_payload(conn: psycopg.Connection[Any], *, scope: Scope, map_settings: MapSettings,
                     bbox: tuple[float, float, float, float], zoom: float, measure: str, date_from: date,
                     date_to: date, lang: str = "zh", datum_name: str = "wgs84") -> dict[str, Any]:
    """What the map draws for one view: cells (below ``points_min_zoom``) or enterprise points (from it on).

    Returns ``cells`` and ``enterprises`` FeatureCollections, the cell ``scale`` (ColorScale), ``res``, and
    ``shown``/``total``/``capped`` for the enterprises (capped: only high/elevated risk ones sent).
    """
    if measure not in MEASURES:
        raise InvalidInput(f"measure: unknown measure {measure!r}")
    rate = MEASURES[measure][1] == "rate"
    bbox = map_queries.check_bbox(bbox)
    out: dict[str, Any] = {"cells": geojson.feature_collection([]), "enterprises": geojson.feature_collection([]),
                           "scale": None, "res": None, "shown": 0, "total": 0, "capped": False,
                           "rate": rate}
    if zoom >= map_settings.points_min_zoom:
        pts = map_queries.enterprises_in_view(conn, scope=scope, bbox=bbox, limit=map_settings.max_points)
        out["enterprises"] = geojson.feature_collection(geojson.enterprise_features(pts.rows, datum=datum_name))
        out["shown"], out["total"], out["capped"] = len(pts.rows), pts.total, pts.capped
        return out
    res = cell_resolution(zoom, bbox_km2(bbox))
    cells = map_queries.cells_in_view(conn, scope=scope, bbox=bbox, res=res)
    values = map_queries.cell_values(conn, scope=scope, cells=cells, res=res, measure=measure,
                                     date_from=date_from, date_to=date_to)
    present = [v for v in values.values() if v is not None]
    scale = rate_scale() if rate else count_scale(max(present, default=1.0))
    out.update(res=res, scale=scale,
               cells=geojson.feature_collection(geojson.cell_features(cells, values=values, scale=scale,
                                                                       datum=datum_name)))
    return out


def legend_children(payload: dict[str, Any], measure: str, lang: str) -> list[Any]:
    if payload["scale"] is None:
        return [html.Div(t("layer.enterprises", lang), className="gc-legend-title")] + [
            html.Div([html.Span(className="gc-swatch", style={"background": c}), t(f"risk.{k}", lang)])
            for k, c in RISK_COLORS.items()]
    rows = [html.Div([html.Span(className="gc-swatch", style={"background": c}), label])
            for c, label in scale_entries(payload["scale"], rate=payload["rate"], lang=lang)]
    title = f"{t(MEASURES[measure][0], lang)} · H3 r{payload['res']}"
    return [html.Div(title, className="gc-legend-title"), *rows]


@callback(
    Output("cells", "data"), Output("cells", "hideout"), Output("enterprises", "data"),
    Output("map-note", "children"), Output("legend", "children"),
    Input("map", "bounds"), Input("map", "zoom"), Input("map", "center"), Input("measure", "value"),
    Input("time-range", "value"), Input("time-custom", "start_date"), Input("time-custom", "end_date"),
    State("lang", "data"),
)
def update_viewport(bounds: Any, zoom: Any, center: Any, measure: str, range_choice: str, start: str | None,
                    end: str | None, lang: str) -> tuple[Any, ...]:
    scope = current_scope()
    svc = services()
    bounds = view_bounds(bounds, center, zoom)
    since, until, _live = time_window(range_choice, start, end)
    bbox = bbox_from_bounds(bounds, datum_name=datum())
    with transaction(svc.read_pool) as conn:
        p = viewport_payload(conn, scope=scope, map_settings=svc.settings.map, bbox=bbox, zoom=float(zoom),
                             measure=measure or "enterprises", date_from=since.date(), date_to=until.date(),
                             lang=lang, datum_name=datum())
    hide = {**(p["scale"].hideout() if p["scale"] else {}), "rate": p["rate"],
            "title": t(MEASURES[measure or "enterprises"][0], lang)}
    if p["capped"]:
        note: Any = html.Span(t("capped", lang, n=p["shown"], m=p["total"]), id="capped-note")
    elif p["scale"] is not None:
        note = t("zoom_for_points", lang, z=svc.settings.map.points_min_zoom)
    else:
        note = ""
    return p["cells"], hide, p["enterprises"], note, legend_children(p, measure or "enterprises", lang)


def boundary_layers(conn: psycopg.Connection[Any], *, scope: Scope,
                    datum_name: str = "wgs84") -> tuple[dict[str, Any], dict[str, Any]]:
    """County outline + township polygons, and one label point per township."""
    rows = map_queries.boundaries(conn, scope=scope)
    return (geojson.feature_collection(geojson.boundary_features(rows, datum=datum_name)),
            geojson.feature_collection(geojson.label_features(rows, datum=datum_name)))


@callback(Output("boundaries", "data"), Output("labels", "data"), Input("lang", "data"))
def load_boundaries(lang: str) -> tuple[Any, Any]:
    scope = current_scope()
    with transaction(services().read_pool) as conn:
        return boundary_layers(conn, scope=scope, datum_name=datum())
