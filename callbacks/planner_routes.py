"""Planner: queue the routing job (run by the job worker), poll its progress, draw a day's team routes on the map."""

from __future__ import annotations

from typing import Any

import dash_leaflet as dl
from dash import Input, Output, State, ctx, html, no_update

from callbacks.context import current_scope, services
from callbacks.planner_common import parse_day, tx
from callbacks.registry import callback
from callbacks.shell import page_lang
from geo_data import plans
from geo_data.errors import InvalidInput
from geo_data.scope import Permission
from layers.i18n import t
from services import planning


@callback(Output("planner-job", "children"), Output("planner-progress", "value"), Output("planner-poll", "disabled"),
          Output("planner-job-state", "data"), Input("planner-route", "n_clicks"), Input("planner-poll", "n_intervals"), Input("planner-plan", "value"),
          prevent_initial_call=True)
def job(_click: Any, _n: Any, plan_id: int | None) -> tuple[Any, Any, bool, Any]:
    """Start a routing job / poll it; ``planner-job-state`` changes only when a job finishes (views refresh)."""
    scope = current_scope(Permission.PLAN)
    if plan_id is None:
        return "", "0", True, no_update
    if ctx.triggered_id == "planner-route":
        svc = services()
        planning.start_routing(svc.pool, scope, plan_id, queue=svc.jobs, config=planning.route_config(svc.settings.plan))
    with tx() as conn:
        row = plans.route_job(conn, scope, plan_id=plan_id)
    if row is None:
        return t("plan.not_routed", page_lang()), "0", True, no_update
    running = row["status"] in ("queued", "running")
    text = t("plan.job", page_lang(), status=t(f"plan.job.{row['status']}", page_lang()),
             pct=round(100 * row["progress"]), message=row["message"] or "")
    finished = no_update if running else f"{row['id']}:{row['status']}"
    return text, str(row["progress"]), not running, finished


@callback(Output("planner-day", "options"), Output("planner-day", "value"),
          Input("planner-plan", "value"), Input("planner-job-state", "data"), State("planner-day", "value"))
def days(plan_id: int | None, _job: Any, current: str | None) -> tuple[Any, Any]:
    if plan_id is None:
        return [], None
    scope = current_scope(Permission.PLAN)
    with tx() as conn:
        found = [d.isoformat() for d in plans.routed_days(conn, scope, plan_id)]
    value = current if current in found else (found[0] if found else None)
    return [{"label": d, "value": d} for d in found], value if value != current else no_update


@callback(Output("planner-routes", "children"), Output("planner-day-teams", "children"),
          Output("planner-map", "viewport"), Input("planner-day", "value"), State("planner-plan", "value"))
def draw_day(day: str | None, plan_id: int | None) -> tuple[list[Any], list[Any], Any]:
    """The day's team routes on the map, the map fitted to them, and each team's stops and minutes."""
    if day is None or plan_id is None:
        return [], [], no_update
    scope = current_scope(Permission.PLAN)
    when = parse_day(day)
    if when is None:
        raise InvalidInput("day: not a date")
    with tx() as conn:
        routes = plans.day_routes(conn, scope, plan_id, when)
    layers: list[Any] = []
    for r in routes:
        layers.append(dl.Polyline(positions=r["positions"], color=r["colour"], weight=3,
                                  children=dl.Tooltip(r["team"])))
        for s in r["stops"]:
            layers.append(dl.CircleMarker(center=[s["lat"], s["lng"]], radius=9, color=r["colour"], fillOpacity=0.9,
                                          children=[dl.Tooltip(str(s["seq"]), permanent=True, direction="center",
                                                               className="stop-no"),
                                                    dl.Popup(s["label"])]))
    lang = page_lang()
    teams = [html.Li(t("plan.day_team", lang, team=r["team"], stops=len(r["stops"]), work=r["work_min"],
                       travel=r["travel_min"]), style={"color": r["colour"]}) for r in routes]
    points = [p for r in routes for p in r["positions"]] + [[s["lat"], s["lng"]] for r in routes for s in r["stops"]]
    viewport: Any = no_update
    if points:
        lats, lngs = [float(p[0]) for p in points], [float(p[1]) for p in points]
        viewport = {"bounds": [[min(lats), min(lngs)], [max(lats), max(lngs)]], "transition": "flyToBounds"}
    return layers, teams, viewport
