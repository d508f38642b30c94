"""Live layers (alerts, incidents, teams): a scoped base load, then pushed changes merged in the browser by id.

The base is reloaded when the time filter changes, every 5 minutes (safety net) and when the stream asks for a
resync; between loads ``gridcommand.js`` applies Server-Sent Events to the same features without a round trip.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import psycopg
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback

from callbacks.context import current_scope, services
from callbacks.map_common import datum, guarded, time_window
from geo_data import map_queries
from geo_data.db import transaction
from geo_data.scope import Scope
from layers import geojson


def live_bases(conn: psycopg.Connection[Any], *, scope: Scope, since: datetime, until: datetime, live: bool,
               datum_name: str = "wgs84") -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Alerts in the window, open/recent incidents and teams, each a FeatureCollection with ``generated_at``
    (epoch s, so later pushes win) and ``live`` (whether pushes apply to this window)."""
    stamp = time.time()
    alerts = map_queries.alerts_between(conn, scope=scope, since=since, until=until)
    incidents = map_queries.incidents_live(conn, scope=scope, since=since)
    teams = map_queries.teams(conn, scope=scope)

    def fc(features: list[dict[str, Any]], is_live: bool) -> dict[str, Any]:
        return {**geojson.feature_collection(features), "generated_at": stamp, "live": is_live}

    return (fc(geojson.alert_features(alerts, datum=datum_name), live),
            fc(geojson.incident_features(incidents, datum=datum_name), live),
            fc(geojson.team_features(teams, datum=datum_name), True))


@callback(
    Output("alerts-base", "data"), Output("incidents-base", "data"), Output("teams-base", "data"),
    Input("time-range", "value"), Input("time-custom", "start_date"), Input("time-custom", "end_date"),
    Input("resync", "n_intervals"), Input("live-resync", "data"),
    State("lang", "data"),
)
@guarded(3)
def load_live_bases(range_choice: str, start: str | None, end: str | None, _n: Any, _resync: Any,
                    lang: str) -> tuple[Any, ...]:
    scope = current_scope()
    since, until, live = time_window(range_choice, start, end)
    with transaction(services().pool) as conn:
        return live_bases(conn, scope=scope, since=since, until=until, live=live, datum_name=datum())


def register_merges(prefix: str = "") -> None:
    """Clientside merges of base + pushed changes into each live layer (also used by the wall)."""
    for kind, fn in (("alerts", "mergeAlerts"), ("incidents", "mergeIncidents"), ("teams", "mergeTeams")):
        clientside_callback(ClientsideFunction("gc", fn), Output(f"{prefix}{kind}", "data"),
                            Input("live-tick", "data"), Input(f"{prefix}{kind}-base", "data"))


register_merges()

# "data is N s old" when neither a change nor a heartbeat arrived for a while.
clientside_callback(ClientsideFunction("gc", "staleness"), Output("stale", "children"), Output("stale", "className"),
                    Input("stale-clock", "n_intervals"), State("stale-texts", "data"))

# Remember the language choice for a year.
clientside_callback(
    """function (lang) {
        document.cookie = "gc_lang=" + (lang === "en" ? "en" : "zh") + "; path=/; max-age=31536000; SameSite=Lax";
        return window.dash_clientside.no_update;
    }""",
    Output("lang-cookie", "data"), Input("lang", "data"),
)

