"""Live layers (alerts, incidents, teams): a scoped base load, then pushed changes merged in the browser by id.

The base is loaded once the stream says hello (so nothing between the read and the subscription is lost), again
when the time filter changes, every 5 minutes (safety net) and when the stream asks for a resync; between loads
``gridcommand.js`` applies the pushed batches to the same features, one Leaflet marker per change.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import psycopg
from dash import ClientsideFunction, Input, Output, State

from callbacks.context import current_scope, services
from callbacks.map_common import datum, time_window
from callbacks.registry import callback, clientside_callback
from geo_data import map_queries
from geo_data.db import transaction
from geo_data.scope import Scope
from layers import geojson


def live_bases(conn: psycopg.Connection[Any], *, scope: Scope, since: datetime, until: datetime, live: bool,
               datum_name: str = "wgs84", limit: int = map_queries.ALERT_LIMIT,
               kinds: tuple[str, ...] = ("alert", "incident", "team"),
               ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, dict[str, Any] | None]:
    """Alerts in the window, open/recently resolved incidents and teams (those of ``kinds``; None for the
    others), each a FeatureCollection with ``generated_at`` (epoch s taken before reading: the browser keeps a
    pushed state read later), ``live`` (whether pushes apply to this window), and ``shown``/``total`` (the map
    says when a layer is cut)."""
    stamp = time.time()
    alerts = map_queries.alerts_between(conn, scope=scope, since=since, until=until, limit=limit) \
        if "alert" in kinds else []
    incidents = map_queries.incidents_live(conn, scope=scope, since=since, limit=limit) if "incident" in kinds else []
    teams = map_queries.teams(conn, scope=scope) if "team" in kinds else []
    counts = (map_queries.live_counts(conn, scope=scope, since=since, until=until)
              if len(alerts) >= limit or len(incidents) >= limit else {"alerts": len(alerts), "incidents": len(incidents)})

    def fc(kind: str, features: list[dict[str, Any]], is_live: bool, total: int) -> dict[str, Any] | None:
        if kind not in kinds:
            return None
        return {**geojson.feature_collection(features), "generated_at": stamp, "live": is_live,
                "shown": len(features), "total": max(total, len(features))}

    return (fc("alert", geojson.alert_features(alerts, datum=datum_name), live, counts["alerts"]),
            fc("incident", geojson.incident_features(incidents, datum=datum_name), live, counts["incidents"]),
            fc("team", geojson.team_features(teams, datum=datum_name), True, len(teams)))


@callback(
    Output("alerts-base", "data"), Output("incidents-base", "data"), Output("teams-base", "data"),
    Input("time-range", "value"), Input("time-custom", "start_date"), Input("time-custom", "end_date"),
    Input("resync", "n_intervals"), Input("live-resync", "data"),
    State("lang", "data"),
    prevent_initial_call=True,   # the first load follows the stream's hello (gridcommand.js sets live-resync)
)
def load_live_bases(range_choice: str, start: str | None, end: str | None, _n: Any, _resync: Any,
                    lang: str) -> tuple[Any, ...]:
    scope = current_scope()
    since, until, live = time_window(range_choice, start, end)
    with transaction(services().read_pool) as conn:
        return live_bases(conn, scope=scope, since=since, until=until, live=live, datum_name=datum(),
                          limit=services().settings.map.live_max_features)


def register_merges(prefix: str = "") -> None:
    """Hand each loaded base to gridcommand.js, which merges it with the pushed changes by id and time and draws
    only what changed (also used by the wall)."""
    clientside_callback(ClientsideFunction("gc", "setBases"), Output(f"{prefix}live-sink", "data"),
                        Input(f"{prefix}alerts-base", "data"), Input(f"{prefix}incidents-base", "data"),
                        Input(f"{prefix}teams-base", "data"), prevent_initial_call=True)


register_merges()

# "data is N s old" when neither a change nor a heartbeat arrived for a while.
clientside_callback(ClientsideFunction("gc", "staleness"), Output("stale", "children"), Output("stale", "className"),
                    Input("stale-clock", "n_intervals"), State("stale-texts", "data"))

# Remember the language choice for a year.
clientside_callback(ClientsideFunction("gc", "rememberLang"), Output("lang-cookie", "data"), Input("lang", "data"))

