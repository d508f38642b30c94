"""Thin adapters for the dispatch screen (pages/dispatch.py): read the caller's scope, call geo_data, hand the
rows to the page builders. Errors (Forbidden, Conflict "team already busy", …) go to the app's notice bar."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dash import ALL, Input, Output, State, callback, ctx, no_update

from callbacks.context import current_scope, services
from callbacks.map_common import to_display_bounds, to_display_latlng
from callbacks.map_view import boundary_layers
from geo_data import incidents, teams
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


@callback(Output("dsp-queue", "children"), Output("dsp-incidents", "children"), Output("dsp-teams", "children"),
          Input("dsp-tick", "n_intervals"), Input("dsp-township", "value"), Input("dsp-changed", "data"),
          Input("dsp-selected", "data"), Input("dsp-push", "data"), State("dsp-lang", "data"))
def refresh_queue(_tick: Any, township: str | None, _changed: Any, selected: int | None, _push: Any,
                  lang: str) -> Any:
    scope = current_scope(Permission.DISPATCH)
    with transaction(services().pool) as conn:
        rows = incidents.list_incidents(conn, scope, township_code=township or None, limit=300)
        team_rows = teams.list_teams(conn, scope)
    now = datetime.now(UTC)
    return (page.queue_items(rows, now, lang, selected), page.incident_markers(rows, to_display_latlng, lang),
            page.team_markers(team_rows, to_display_latlng, lang))


@callback(Output("dsp-selected", "data"), Input({"type": "dsp-inc", "id": ALL}, "n_clicks"),
          prevent_initial_call=True)
def select_incident(clicks: list[int | None]) -> Any:
    if not ctx.triggered_id or not any(clicks):
        return no_update
    return ctx.triggered_id["id"]


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
