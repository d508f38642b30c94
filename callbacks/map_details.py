"""Click a township, cell, enterprise, alert, incident or team: a details panel (and a popup for enterprises).

Everything shown goes through Dash components, which render text, never HTML: names stay inert.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import dash_leaflet as dl
import psycopg
from dash import Input, Output, State, ctx, html, no_update

from callbacks.context import current_scope, services
from callbacks.map_common import time_window
from callbacks.registry import callback
from enforcement.local_time import SHANGHAI
from geo_data import map_queries, positions
from geo_data.db import transaction
from geo_data.errors import InvalidInput
from geo_data.scope import Scope
from geo_data.travel import haversine_m
from layers import details
from layers.i18n import format_datetime, format_number, t

SOURCES = ("boundaries", "cells", "enterprises", "alerts", "incidents", "teams")


def _kv(rows: list[tuple[str, Any]]) -> html.Dl:
    items: list[Any] = []
    for label, value in rows:
        items += [html.Dt(label), html.Dd("—" if value is None or value == "" else str(value))]
    return html.Dl(items, className="gc-kv")


def _list(title: str, items: list[Any], lang: str) -> html.Div:
    return html.Div([html.H4(title), html.Ul([html.Li(i) for i in items]) if items
                     else html.P(t("details.none", lang))], className="gc-sub")


def enterprise_body(row: dict[str, Any], lang: str) -> list[Any]:
    visits = [f"{v['date']} · {'/'.join(v['departments'] or [])}{' · ' + v['result'] if v.get('result') else ''}"
              for v in row["last_visits"]]
    return [
        html.H3(row["name"], className="gc-ent-name"),
        _kv([(t("field.uscc", lang), row["uscc"]),
             (t("field.industry", lang), row["industry_en"] if lang == "en" else row["industry"]),
             (t("field.risk", lang), t(f"risk.{row['risk']}", lang)), (t("field.credit", lang), row["credit"]),
             (t("field.township", lang), row["township_name"]), (t("field.address", lang), row["address"])]),
        _list(t("details.last_visits", lang), visits, lang),
    ]


def details_for(conn: psycopg.Connection[Any], *, scope: Scope, kind: str, key: Any, lang: str,
                date_from: date, date_to: date) -> list[Any]:
    """The details panel for one clicked thing in scope (NotFound outside the caller's area)."""
    if kind == "cell":
        row = map_queries.cell_details(conn, scope=scope, cell=int(key))
        ents = [f"{e['name']} · {t('risk.' + e['risk'], lang)} · {e['credit']}" for e in row["enterprises"]]
        alerts = [f"{format_datetime(a['observed_at'], lang)} · "
                  f"{a['type_name_en'] if lang == 'en' else a['type_name']} · {t('source.' + a['source_kind'], lang)}"
                  for a in row["recent_alerts"]]
        return [html.H3(f"{t('details.cell', lang)} r{row['res']} · {row['township_name'] or ''}", id="details-title"),
                _kv([(t(f"field.{k}", lang), format_number(row[k], lang))
                     for k in ("ent_total", "ent_high", "visits", "alerts_open")]),
                _list(t("details.top_enterprises", lang), ents, lang),
                _list(t("details.recent_alerts", lang), alerts, lang)]
    if kind == "township":
        row = map_queries.township_details(conn, scope=scope, code=str(key), date_from=date_from, date_to=date_to)
        return [html.H3(f"{t('details.township', lang)} · {row['name']}", id="details-title"),
                _kv([(t(f"field.{k}", lang), format_number(row[k], lang))
                     for k in ("ent_total", "ent_high", "incidents_open", "visits", "alerts", "teams")])]
    if kind == "enterprise":
        row = map_queries.enterprise_details(conn, scope=scope, id=int(key))
        return [html.Div(t("details.enterprise", lang), id="details-title", className="gc-kind"),
                *enterprise_body(row, lang)]
    if kind == "alert":
        return details.alert_body(map_queries.alert_details(conn, scope=scope, id=int(key)), lang)
    if kind == "incident":
        return details.incident_body(map_queries.incident_details(conn, scope=scope, id=int(key)),
                                     datetime.now(UTC), lang)
    if kind == "team":
        row = map_queries.team_details(conn, scope=scope, id=int(key))
        day = datetime.now(SHANGHAI).date()
        return details.team_body(row, day.isoformat(), _track(conn, scope, row["id"], day, lang)[1], lang)
    raise InvalidInput(f"details: cannot show a {kind!r}")


def _clicked(feature: dict[str, Any]) -> tuple[str, Any] | None:
    p = (feature or {}).get("properties") or {}
    if p.get("cluster"):
        return None
    kind = p.get("kind")
    if kind is None and isinstance((feature or {}).get("id"), str) and ":" in feature["id"]:
        kind, rid = feature["id"].split(":", 1)   # lean features carry kind and row id in the feature id
        p = {**p, "kind": kind, "rid": rid}
    if kind in ("county", None):
        return None
    if kind == "cell":
        return "cell", p["cell"]
    if kind == "township":
        return "township", p["code"]
    if kind in ("enterprise", "alert", "incident", "team"):
        return kind, p["rid"]
    return None


@callback(
    Output("details", "children"), Output("popup-layer", "children"), Output("track-layer", "children"),
    *[Input(s, "clickData") for s in SOURCES],
    State("time-range", "value"), State("time-custom", "start_date"), State("time-custom", "end_date"),
    State("lang", "data"),
    prevent_initial_call=True,
)
def show_details(*args: Any) -> tuple[Any, Any, Any]:
    *clicks, range_choice, start, end, lang = args
    trigger = ctx.triggered_id
    if trigger not in SOURCES:
        return no_update, no_update, no_update
    feature = clicks[SOURCES.index(trigger)]
    hit = _clicked(feature)
    if hit is None:
        return no_update, no_update, no_update
    scope = current_scope()
    since, until, _ = time_window(range_choice, start, end)
    with transaction(services().read_pool) as conn:
        body = details_for(conn, scope=scope, kind=hit[0], key=hit[1], lang=lang, date_from=since.date(),
                           date_to=until.date())
        popup: Any = []
        track: Any = []   # a team's track of today; gone when something else is clicked
        if hit[0] == "team":
            track = _track(conn, scope, int(hit[1]), datetime.now(SHANGHAI).date(), lang)[0]
        if hit[0] == "enterprise":
            row = map_queries.enterprise_details(conn, scope=scope, id=int(hit[1]))
            lng, lat = feature["geometry"]["coordinates"]
            popup = [dl.Popup(html.Div(enterprise_body(row, lang), className="gc-popup", id="ent-popup"),
                              position=[lat, lng], autoPan=True)]
    return body, popup, track


def _track(conn: psycopg.Connection[Any], scope: Scope, team_id: int, day: date, lang: str) -> tuple[list[Any], str]:
    """The team's track of ``day`` as map layers and in words."""
    points = positions.team_track(conn, scope, team_id=team_id, day=day)
    line = details.followed(points)
    km = sum(haversine_m(a["lng"], a["lat"], b["lng"], b["lat"]) for a, b in zip(line, line[1:], strict=False)) / 1000
    return details.track_line(points), details.track_summary(points, km, lang)


@callback(
    Output("track-layer", "children", allow_duplicate=True), Output("track-summary", "children"),
    Input("track-day", "date"), State("track-team", "data"), State("lang", "data"),
    prevent_initial_call=True,
)
def show_track(day: str | None, team_id: int | None, lang: str) -> tuple[Any, Any]:
    """Another day picked in a team's panel: that day's track."""
    if not day or team_id is None:
        return no_update, no_update
    try:
        chosen = date.fromisoformat(day[:10])
    except ValueError:
        raise InvalidInput(f"day: {day[:20]!r} is not a date (YYYY-MM-DD)") from None
    scope = current_scope()
    with transaction(services().read_pool) as conn:
        return _track(conn, scope, int(team_id), chosen, lang)
