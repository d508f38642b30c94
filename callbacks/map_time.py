"""Visits and day routes for a chosen day, and playback of alerts and visits over the chosen period."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import psycopg
from dash import ClientsideFunction, Input, Output, State, no_update

from callbacks.context import current_scope, services
from callbacks.map_common import datum, time_window
from callbacks.registry import callback, clientside_callback
from geo_data import map_queries
from geo_data.db import transaction
from geo_data.errors import InvalidInput
from geo_data.scope import Scope
from layers import geojson
from layers.i18n import t

PLAYBACK_STEPS = 48


def day_layers(conn: psycopg.Connection[Any], *, scope: Scope, day: date,
               datum_name: str = "wgs84") -> tuple[dict[str, Any], dict[str, Any]]:
    """Visits of ``day`` as points and, per team, the route through them in visiting order."""
    rows = map_queries.visits_on_day(conn, scope=scope, day=day)
    return (geojson.feature_collection(geojson.visit_features(rows, datum=datum_name)),
            geojson.feature_collection(geojson.route_features(rows, datum=datum_name)))


def playback_payload(conn: psycopg.Connection[Any], *, scope: Scope, since: datetime, until: datetime,
                     steps: int = PLAYBACK_STEPS, datum_name: str = "wgs84") -> tuple[dict[str, Any], dict[str, Any]]:
    """Time-stamped points (property ``t``, epoch s) and the stepping: start, step, steps, trailing window."""
    rows = map_queries.playback_events(conn, scope=scope, since=since, until=until)
    feats = geojson.point_features(rows, kind="playback", props=("severity", "source_kind"), datum=datum_name)
    for f, r in zip(feats, rows, strict=True):
        f["id"] = f"{r['kind']}:{r['id']}"
        f["properties"]["kind"] = r["kind"]
        f["properties"]["t"] = r["at"].timestamp()
    start, end = since.timestamp(), until.timestamp()
    step = (end - start) / steps
    return geojson.feature_collection(feats), {"start": start, "step": step, "steps": steps, "window": step * 3}


@callback(Output("visits", "data"), Output("routes", "data"), Input("visit-day", "date"), State("lang", "data"))
def update_day(day: str | None, lang: str) -> tuple[Any, Any]:
    scope = current_scope()
    try:
        d = date.fromisoformat(str(day)[:10])
    except ValueError as exc:
        raise InvalidInput("day: pick a date") from exc
    with transaction(services().read_pool) as conn:
        return day_layers(conn, scope=scope, day=d, datum_name=datum())


@callback(
    Output("playback", "data"), Output("pb-meta", "data"), Output("pb-slider", "max"), Output("pb-slider", "value"),
    Input("pb-play", "n_clicks"), Input("time-range", "value"), Input("time-custom", "start_date"),
    Input("time-custom", "end_date"), State("pb-meta", "data"), State("lang", "data"),
)
def load_playback(n_clicks: int | None, range_choice: str, start: str | None, end: str | None,
                  meta: Any, lang: str) -> tuple[Any, ...]:
    if not n_clicks:  # nothing to replay until asked
        return geojson.feature_collection([]), None, PLAYBACK_STEPS, PLAYBACK_STEPS
    if meta and n_clicks > 1 and callback_trigger() == "pb-play":
        return no_update, no_update, no_update, no_update
    scope = current_scope()
    since, until, _ = time_window(range_choice, start, end)
    with transaction(services().read_pool) as conn:
        data, meta = playback_payload(conn, scope=scope, since=since, until=until, datum_name=datum())
    return data, meta, meta["steps"], 0


def callback_trigger() -> Any:
    from dash import ctx

    return ctx.triggered_id


@callback(Output("pb-interval", "disabled"), Output("pb-play", "children"), Input("pb-play", "n_clicks"),
          State("lang", "data"), prevent_initial_call=True)
def toggle_play(n_clicks: int | None, lang: str) -> tuple[bool, str]:
    playing = (n_clicks or 0) % 2 == 1
    return not playing, t("pause" if playing else "play", lang)


clientside_callback(ClientsideFunction("gc", "playbackStep"), Output("pb-slider", "value", allow_duplicate=True),
                    Input("pb-interval", "n_intervals"), State("pb-slider", "value"), State("pb-meta", "data"),
                    prevent_initial_call=True)
clientside_callback(ClientsideFunction("gc", "playbackWindow"), Output("playback", "hideout"),
                    Input("pb-slider", "value"), Input("pb-meta", "data"), State("playback", "hideout"))
clientside_callback(ClientsideFunction("gc", "playbackLabel"), Output("pb-label", "children"),
                    Input("pb-slider", "value"), Input("pb-meta", "data"), State("lang", "data"))
clientside_callback(ClientsideFunction("gc", "customDatesClass"), Output("time-custom", "className"),
                    Input("time-range", "value"))
