"""Thin adapters for the dispatch screen (pages/dispatch.py): read the caller's scope, call geo_data, hand the
rows to the page builders. Errors (Forbidden, Conflict "team already busy", …) go to the app's notice bar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from dash import ALL, ClientsideFunction, Input, Output, State, ctx, no_update

from callbacks.context import current_scope, services
from callbacks.map_common import to_display_bounds
from callbacks.map_live import live_bases, register_merges
from callbacks.map_view import boundary_layers
from callbacks.registry import callback, clientside_callback
from geo_data import incidents
from geo_data.db import transaction
from geo_data.errors import Forbidden
from geo_data.scope import Permission
from layers.basemaps import display_datum, tile_layers
from layers.i18n import t
from pages import dispatch as page
from services import dispatch
from services.transactions import run_in_transaction


def page_context(township: str | None) -> dict[str, Any] | None:
    """What the layout needs: townships for the filter, the map bounds and tiles; None if not allowed."""
    try:
        scope = current_scope(Permission.DISPATCH)
    except Forbidden:
        return None
    with transaction(services().pool) as conn:
        towns = incidents.townships_of(conn, scope)
        view = incidents.area_view(conn, scope, township)
        outlines, _labels = boundary_layers(conn, scope=scope, datum_name=display_datum(services().settings.map))
    bounds = to_display_bounds((view["min_lng"], view["min_lat"], view["max_lng"], view["max_lat"])) if view else None
    return {"whole_county": scope.whole_county, "townships": towns, "bounds": bounds,
            "township": scope.township_code or township, "tiles": tile_layers(services().settings.map),
            "outlines": outlines}


@callback(Output("dsp-incidents-base", "data"), Output("dsp-teams-base", "data"),
          Input("live-resync", "data"), Input("dsp-resync", "n_intervals"),
          prevent_initial_call=True)   # the first load follows the stream's hello (gridcommand.js sets live-resync)
def load_queue(_resync: Any, _n: Any) -> Any:
    """The queue's and the map's base: open incidents and the teams in scope, as the live layers hold them;
    gridcommand.js merges the pushed changes into them and draws the queue (no callback per change)."""
    scope = current_scope(Permission.DISPATCH)
    with transaction(services().read_pool) as conn:
        _alerts, open_incidents, team_layer = live_bases(
            conn, scope=scope, since=datetime.now(UTC) - timedelta(hours=24), until=datetime.now(UTC),
            live=True, datum_name=display_datum(services().settings.map),
            limit=services().settings.map.live_max_features, kinds=("incident", "team"))
    return open_incidents, team_layer


# the queue follows the selection (a click in the queue, a ?incident= link) and the township filter
clientside_callback(ClientsideFunction("gc", "dispatchView"), Output("dsp-view-sink", "data"),
                    Input("dsp-selected", "data"), Input("dsp-township", "value"))
register_merges("dsp-")


@callback(Output("dsp-selected", "data"), Input("dsp-incidents", "clickData"),
          prevent_initial_call=True)
def select_on_map(click: dict[str, Any] | None) -> Any:
    """A click on an incident of the map picks it (gridcommand.js finds the marker under the pointer)."""
    rid = ((click or {}).get("properties") or {}).get("rid")
    return int(rid) if isinstance(rid, int | str) and str(rid).isdigit() else no_update


@callback(Output("dsp-detail", "children"), Input("dsp-selected", "data"), Input("dsp-changed", "data"),
          Input("dsp-push", "data"), State("dsp-lang", "data"))   # initial call: a ?incident= link
def show_detail(selected: int | None, _changed: Any, _push: Any, lang: str) -> Any:
    if selected is None:
        return no_update
    scope = current_scope(Permission.DISPATCH)
    svc = services()
    now = datetime.now(UTC)
    seen = run_in_transaction(lambda conn: dispatch.view(
        conn, scope, int(selected), settings=svc.settings.dispatch, estimator=svc.estimator, now=now))
    return page.detail_panel(seen.incident, seen.recommendations, seen.timeline, now, lang)


@callback(Output("dsp-changed", "data"), Output("dsp-msg", "children"),
          Input({"type": "dsp-assign", "team": ALL}, "n_clicks"), State("dsp-selected", "data"),
          State("dsp-changed", "data"), State("dsp-lang", "data"), prevent_initial_call=True)
def assign_team(clicks: list[int | None], selected: int | None, changed: int, lang: str) -> Any:
    if not ctx.triggered_id or not any(clicks) or selected is None:
        return no_update, no_update
    scope = current_scope(Permission.DISPATCH)
    team = int(ctx.triggered_id["team"])
    run_in_transaction(lambda conn: dispatch.assign(conn, scope, int(selected), team))
    return (changed or 0) + 1, t("dispatch.done", lang, what=t("event.assigned", lang))


@callback(Output("dsp-changed", "data", allow_duplicate=True), Output("dsp-msg", "children", allow_duplicate=True),
          Input("dsp-status-btn", "n_clicks"), State("dsp-status", "value"), State("dsp-selected", "data"),
          State("dsp-changed", "data"), State("dsp-lang", "data"), prevent_initial_call=True)
def change_status(n: int | None, status: str | None, selected: int | None, changed: int, lang: str) -> Any:
    if not n or not status or selected is None:
        return no_update, no_update
    scope = current_scope(Permission.DISPATCH)
    run_in_transaction(lambda conn: dispatch.change_status(conn, scope, int(selected), status))
    return (changed or 0) + 1, t("dispatch.done", lang, what=t(f"event.{status}", lang))


@callback(Output("dsp-changed", "data", allow_duplicate=True), Output("dsp-msg", "children", allow_duplicate=True),
          Input("dsp-close-btn", "n_clicks"), State("dsp-reason", "value"), State("dsp-evidence", "value"),
          State("dsp-selected", "data"), State("dsp-changed", "data"), State("dsp-lang", "data"),
          prevent_initial_call=True)
def close_remotely(n: int | None, reason: str | None, evidence: str | None, selected: int | None, changed: int,
                   lang: str) -> Any:
    if not n or selected is None:
        return no_update, no_update
    scope = current_scope(Permission.DISPATCH)
    run_in_transaction(lambda conn: dispatch.remote_close(conn, scope, int(selected), reason=reason or "",
                                                          evidence=evidence or ""))
    return (changed or 0) + 1, t("dispatch.done", lang, what=t("event.remote_closed", lang))
