"""The township dispatch screen ``/dispatch``: incident queue (most severe, least SLA time left first), map of
the township with incidents and teams, recommended teams with reasons and one-click assign, status updates,
remote closure for remote-closable types, and the incident's timeline.

Township dispatchers see their own township; county operators see all and may filter by township.
Builders here are pure: they turn rows into components (Dash escapes every text it renders).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import dash_leaflet as dl
from dash import dcc, html

from enforcement.dispatch import Recommendation
from layers.i18n import format_datetime, t
from layers.registry import REGISTRY

PATH = "/dispatch"
TITLE = "乡镇派单调度 · GridCommand"
SH = ZoneInfo("Asia/Shanghai")
SEVERITY_COLOURS = {"urgent": "#d7191c", "high": "#fd8d3c", "medium": "#fecc5c", "low": "#91bfdb"}
TEAM_COLOURS = {"idle": "#1a9641", "out": "#2b83ba", "en_route": "#7b3294", "on_site": "#e66101", "rest": "#999999"}
STATUS_CHOICES = ("accepted", "en_route", "on_site", "resolved", "closed", "cancelled")
QUEUE_MAX = 100   # rows the queue draws (most severe, least SLA time left first); the note says how many more


def layout(lang: str | None = None, township: str | None = None, incident: str | None = None,
           **_query: Any) -> html.Div:
    from callbacks.dispatch import page_context
    from callbacks.map_common import request_lang

    # initial_view: centre + zoom (dash-leaflet 1.1 given bounds alone fails on 'equals')
    from pages.map import initial_view, live_overlay, live_stores

    lang = request_lang(lang)   # ?lang=, else the gc_lang cookie (the shell's switch), else the default
    ctx = page_context(township)
    if ctx is None:
        return html.Div(className="gc-dispatch", children=[html.H1(t("dispatch.title", lang)),
                                                            html.P(t("dispatch.forbidden", lang), id="dsp-forbidden")])
    options = [{"label": t("dispatch.all_townships", lang), "value": ""}] if ctx["whole_county"] else []
    options += [{"label": r["name"], "value": r["code"]} for r in ctx["townships"]]
    live = [live_overlay(REGISTRY, layer_id, lang, "dsp-") for layer_id in ("incidents", "teams")]
    return html.Div(className="gc-dispatch", style={"display": "flex", "flexDirection": "column",
                                                    "height": "100vh", "fontFamily": "sans-serif"}, children=[
        dcc.Store(id="dsp-lang", data=lang),
        # ``?incident=<id>`` (the map's details link) opens with that incident picked
        dcc.Store(id="dsp-selected", data=int(incident) if incident and incident.isdigit() and len(incident) <= 18 else None),
        dcc.Store(id="dsp-changed", data=0),
        # bumped by gridcommand.js when a pushed change concerns the open incident or a team's status
        dcc.Store(id="dsp-push", data=0), dcc.Store(id="dsp-view-sink"),
        # the queue and the map are the live incident and team layers (base + pushes), drawn by gridcommand.js
        *live_stores("dsp-", lang=lang, page="dispatch", kinds=["incident", "team"], fit=ctx["bounds"],
                     severityColors=SEVERITY_COLOURS, statusColors=TEAM_COLOURS,
                     list={"id": "dsp-queue", "kind": "queue", "max": QUEUE_MAX, "note": "dsp-queue-note",
                           "texts": queue_texts(lang)}),
        html.Header(style={"display": "flex", "gap": "1em", "alignItems": "center", "padding": "0.4em 1em"},
                    children=[
            html.H1(t("dispatch.title", lang), style={"fontSize": "1.3em", "margin": 0}),
            dcc.Dropdown(id="dsp-township", options=options, value=ctx["township"] or "", clearable=False,
                         disabled=not ctx["whole_county"], style={"width": "16em"}),
            html.Span(id="dsp-msg", role="status"),   # the language switch is the shell's
        ]),
        html.Main(style={"display": "flex", "flex": 1, "minHeight": 0}, children=[
            html.Section(style={"width": "26em", "overflowY": "auto", "padding": "0 0.5em"}, children=[
                html.H2(t("dispatch.queue", lang), style={"fontSize": "1.1em"}),
                html.P(id="dsp-queue-note", className="dsp-queue-note", role="status"),
                html.Ol(id="dsp-queue", className="dsp-queue"),
            ]),
            html.Div(style={"flex": 1, "minWidth": 0}, children=[
                dl.Map(id="dsp-map", **initial_view(ctx["bounds"]), style={"height": "100%", "width": "100%"}, children=[
                    *[dl.TileLayer(url=tile.url, attribution=tile.attribution, maxZoom=tile.max_zoom)
                      for tile in ctx["tiles"]],
                    dl.GeoJSON(id="dsp-outlines", data=ctx["outlines"], interactive=False,
                               style={"color": "#1d4f91", "weight": 2, "fillColor": "#9fb7d6", "fillOpacity": 0.06}),
                    # the registry's live layers, as on the map and the wall (toggles written back by id)
                    dl.LayersControl(live, position="topright", collapsed=False, overlays=[o.name for o in live]),
                ]),
            ]),
            html.Section(id="dsp-detail", style={"width": "30em", "overflowY": "auto", "padding": "0 0.8em"},
                         children=[html.P(t("dispatch.pick", lang))]),
        ]),
    ])


def minutes_left(due: datetime, now: datetime) -> int:
    return int((due - now).total_seconds() // 60)


def sla_text(due: datetime, now: datetime, lang: str) -> str:
    left = minutes_left(due, now)
    return t("dispatch.sla_left", lang, n=left) if left >= 0 else t("dispatch.sla_over", lang, n=-left)


def queue_texts(lang: str) -> dict[str, Any]:
    """The queue's words for gridcommand.js (it draws the queue from the live incident layer)."""
    return {"sla_left": t("dispatch.sla_left", lang, n="{n}"), "sla_over": t("dispatch.sla_over", lang, n="{n}"),
            "alerts": t("dispatch.alerts", lang, n="{n}"), "escalated": t("dispatch.escalated", lang),
            "empty": t("dispatch.empty", lang), "capped": t("dispatch.capped", lang, n="{n}", m="{m}"),
            "status": {k: t(f"status.{k}", lang) for k in ("open", "dispatched", "resolved")}}


def detail_panel(inc: dict[str, Any], recs: list[Recommendation], timeline: list[dict[str, Any]],
                 now: datetime, lang: str) -> list[Any]:
    """Summary, recommended teams with one-click assign, status update, remote closure, timeline."""
    name = inc["type_name_en"] if lang == "en" else inc["type_name"]
    open_ = inc["status"] in ("open", "dispatched")
    parts: list[Any] = [
        html.H2(f"#{inc['id']} {name}", style={"fontSize": "1.1em"}),
        html.P([t(f"severity.{inc['severity']}", lang), " · ", t(f"status.{inc['status']}", lang), " · ",
                # resolved and closed ones have no clock (the link from the map opens those too)
                sla_text(inc["sla_due_at"], now, lang) if open_ else t("dispatch.sla_none", lang), " · ",
                t("dispatch.alerts", lang, n=inc["alert_count"])]),
        html.P(f"{t('dispatch.enterprise', lang)}: {inc['enterprise_name']}") if inc["enterprise_name"] else None,
        html.P(t("dispatch.assigned_to", lang, team=inc["team_name"],
                 status=t(f"event.{inc['dispatch_status']}", lang)), id="dsp-assigned")
        if inc["team_name"] else None,
    ]
    if open_:
        verb = t("dispatch.reassign" if inc["dispatch_id"] else "dispatch.assign", lang)
        parts.append(html.H3(t("dispatch.recommend", lang), style={"fontSize": "1em"}))
        if not recs:
            parts.append(html.P(t("dispatch.no_team", lang), id="dsp-no-team"))
        parts.append(html.Ol(id="dsp-recs", children=[html.Li(style={"marginBottom": "0.4em"}, children=[
            html.B(r.name), html.Br(), html.Small(r.reasons_en if lang == "en" else r.reasons_zh), html.Br(),
            html.Button(f"{verb} · {r.name}", id={"type": "dsp-assign", "team": r.team_id}, n_clicks=0,
                        className="dsp-assign btn btn-primary btn-sm mt-1")]) for r in recs]))
        if inc["dispatch_id"]:
            parts += [html.H3(t("dispatch.status", lang), style={"fontSize": "1em"}), html.Div([
                dcc.Dropdown(id="dsp-status", options=[{"label": t(f"event.{s}", lang), "value": s}
                                                       for s in STATUS_CHOICES], style={"width": "12em"}),
                html.Button(t("dispatch.status_btn", lang), id="dsp-status-btn", n_clicks=0,
                            className="btn btn-outline-primary btn-sm")],
                style={"display": "flex", "gap": "0.5em"})]
    elif inc["status"] == "resolved":
        parts += [html.H3(t("dispatch.status", lang), style={"fontSize": "1em"}), html.Div([
            dcc.Dropdown(id="dsp-status", options=[{"label": t("event.closed", lang), "value": "closed"}],
                         value="closed", style={"width": "12em"}),
            html.Button(t("dispatch.status_btn", lang), id="dsp-status-btn", n_clicks=0,
                        className="btn btn-outline-primary btn-sm")],
            style={"display": "flex", "gap": "0.5em"})]
    if open_ and inc["remote_closable"]:
        parts += [html.H3(t("dispatch.remote_close", lang), style={"fontSize": "1em"}),
                  dcc.Input(id="dsp-reason", placeholder=t("dispatch.reason", lang), maxLength=500,
                            className="form-control form-control-sm mb-1"),
                  dcc.Input(id="dsp-evidence", placeholder=t("dispatch.evidence", lang), maxLength=2048,
                            className="form-control form-control-sm mb-1"),
                  html.Button(t("dispatch.close_btn", lang), id="dsp-close-btn", n_clicks=0,
                              className="btn btn-outline-danger btn-sm")]
    parts += [html.H3(t("dispatch.timeline", lang), style={"fontSize": "1em"}),
              html.Ol(id="dsp-timeline", children=[html.Li([
                  html.Small(format_datetime(e["at"], lang)), " ", html.B(t(f"event.{e['event']}", lang)),
                  f" · {e['team_name']}" if e["team_name"] else "", f" · {e['actor']}",
                  f" · {e['note']}" if e["note"] else ""]) for e in timeline])]
    return [p for p in parts if p is not None]
