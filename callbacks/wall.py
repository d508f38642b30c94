"""Wall display: KPI tiles, the map's live layers, urgent focus, township rotation. The live incident list is
drawn in the browser from the live incident layer (``assets/gridcommand.js``): no callback per change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from dash import Input, Output, State, no_update

from callbacks.context import current_scope, services
from callbacks.map_common import bbox_from_bounds, datum, to_display_bounds, view_bounds
from callbacks.map_live import live_bases, register_merges
from callbacks.map_view import boundary_layers, viewport_payload
from callbacks.registry import callback
from enforcement.local_time import SHANGHAI
from enforcement.measures import Measure, MeasureFilter
from geo_data import map_queries, measures
from geo_data.db import transaction
from geo_data.scope import Scope
from layers.i18n import format_datetime, format_number, format_percent, t
from layers.registry import MEASURES
from layers.registry import WALL_KPIS as KPIS

WALL_MEASURE = "open_alerts"
# The 90-day rates move by a fraction of a percent a minute; twenty walls of a county refresh them each minute.
# Computed once per RATES_TTL_S per worker and scope (the counters of today are read on every refresh).
RATES_TTL_S = 60.0
Rates = dict[str, Measure]


def kpi_values(conn: psycopg.Connection[Any], *, scope: Scope, day: date, lang: str,
               days: int = 90, rates: Callable[[], Rates] | None = None) -> dict[str, str]:
    """The tiles' texts: today's counters, and the rates of the last ``days`` days from the shared measure
    definitions (``geo_data.measures.panel``; ``rates`` may hand them in, e.g. from a recent computation)."""
    counters = map_queries.wall_kpis(conn, scope=scope, day=day)
    m = (rates or (lambda: wall_rates(conn, scope=scope, day=day, days=days)))()
    median = m["response_median_min"].value
    return {
        "alerts_today": format_number(counters["alerts_today"], lang),
        "incidents_open": format_number(counters["incidents_open"], lang),
        "response_median": "—" if median is None else f"{format_number(median, lang)} {t('kpi.minutes', lang)}",
        "joint_rate": format_percent(m["joint_rate"].value, lang),
        "repeat_rate": format_percent(m["repeat_rate"].value, lang),
        "code_rate": format_percent(m["code_shown_rate"].value, lang),
        "remote_rate": format_percent(m["remote_closure_rate"].value, lang),
    }


def wall_rates(conn: psycopg.Connection[Any], *, scope: Scope, day: date, days: int) -> Rates:
    return measures.panel(conn, scope, MeasureFilter(date_from=day - timedelta(days=days - 1), date_to=day),
                          sources=("visits", "incidents"))   # the wall shows no coverage rate


@callback(
    *[Output(f"kpi-{k}", "children") for k in KPIS], Output("wall-clock", "children"),
    Input("wall-refresh", "n_intervals"), State("wall-days", "data"), State("lang", "data"),
)
def refresh_kpis(_n: Any, days: Any, lang: str) -> tuple[Any, ...]:
    """KPI tiles: every 60 s (the rates scan a period of visits; pushes do not re-run them)."""
    scope = current_scope()
    now = datetime.now(SHANGHAI)
    n_days, day = int(days or 90), now.date()
    with transaction(services().read_pool) as conn:
        key = ("wall_rates", scope.county_code, scope.township_code, day, n_days)
        kpis = kpi_values(conn, scope=scope, day=day, lang=lang, days=n_days, rates=lambda: services().recent.get(
            key, RATES_TTL_S, lambda: wall_rates(conn, scope=scope, day=day, days=n_days)))
    return (*[kpis[k] for k in KPIS], format_datetime(now, lang))


@callback(
    Output("wall-alerts-base", "data"), Output("wall-incidents-base", "data"), Output("wall-teams-base", "data"),
    Input("wall-resync", "n_intervals"), Input("live-resync", "data"), State("lang", "data"),
    prevent_initial_call=True,   # the first load follows the stream's hello
)
def load_wall_live(_n: Any, _resync: Any, lang: str) -> tuple[Any, ...]:
    scope = current_scope()
    now = datetime.now(SHANGHAI)
    with transaction(services().read_pool) as conn:
        return live_bases(conn, scope=scope, since=now - timedelta(hours=24), until=now + timedelta(minutes=1),
                          live=True, datum_name=datum(), limit=services().settings.map.live_max_features)


@callback(Output("wall-boundaries", "data"), Output("wall-labels", "data"), Input("lang", "data"))
def load_wall_boundaries(lang: str) -> tuple[Any, Any]:
    scope = current_scope()
    with transaction(services().read_pool) as conn:
        return boundary_layers(conn, scope=scope, datum_name=datum())


@callback(Output("wall-cells", "data"), Output("wall-cells", "hideout"),
          Input("wall-map", "bounds"), Input("wall-map", "zoom"), Input("wall-map", "center"), State("lang", "data"))
def wall_cells(bounds: Any, zoom: Any, center: Any, lang: str) -> tuple[Any, Any]:
    bounds = view_bounds(bounds, center, zoom)
    scope = current_scope()
    svc = services()
    now = datetime.now(SHANGHAI)
    zoom = min(float(zoom), svc.settings.map.points_min_zoom - 1)  # the wall shows cells at every zoom
    with transaction(svc.read_pool) as conn:
        p = viewport_payload(conn, scope=scope, map_settings=svc.settings.map,
                             bbox=bbox_from_bounds(bounds, datum_name=datum()), zoom=zoom, measure=WALL_MEASURE,
                             date_from=now.date() - timedelta(days=29), date_to=now.date(), lang=lang,
                             datum_name=datum())
    return p["cells"], {**p["scale"].hideout(), "opacity": 0.45, "title": t(MEASURES[WALL_MEASURE][0], lang)}


def rotation_step(towns: list[dict[str, Any]], extent: dict[str, Any] | None, index: int,
                  lang: str) -> tuple[tuple[float, float, float, float] | None, str, int]:
    """The next stop of the wall's rotation after ``index``: each township in turn, then the whole area.

    Returns (WGS-84 bbox or None, name shown, new index)."""
    i = (index + 1) % (len(towns) + 1)
    if i == len(towns) or not towns:
        if extent is None:
            return None, "", i
        return ((extent["min_lng"], extent["min_lat"], extent["max_lng"], extent["max_lat"]),
                t("wall.all_townships", lang), i)
    town = towns[i]
    return (town["min_lng"], town["min_lat"], town["max_lng"], town["max_lat"]), town["name"], i


@callback(Output("wall-map", "viewport"), Output("wall-rotation", "data"), Output("wall-focus", "children"),
          Input("wall-rotate", "n_intervals"), State("wall-rotation", "data"), State("lang", "data"),
          prevent_initial_call=True)
def rotate(_n: Any, state: dict[str, Any] | None, lang: str) -> tuple[Any, Any, Any]:
    """Next township (then the whole county again) every ``?rotate=`` seconds."""
    scope = current_scope()
    with transaction(services().read_pool) as conn:
        towns = map_queries.wall_townships(conn, scope=scope)
        ext = map_queries.area_extent(conn, scope=scope)
    box, name, i = rotation_step(towns, ext, int((state or {}).get("i", -1)), lang)
    if box is None:
        return no_update, {"i": i}, name
    return {"bounds": to_display_bounds(box), "transition": "flyToBounds"}, {"i": i}, name


register_merges("wall-")
