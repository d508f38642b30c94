"""The wall display ``/wall``: dark kiosk layout with the live map, KPI tiles and the live incident list.

``?rotate=60`` flies between the townships every 60 s; ``?lang=en`` switches to English.
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from callbacks.map_common import request_lang
from layers.i18n import t
from layers.registry import WALL_KPIS as KPIS
from pages.map import area_bounds, live_stores, map_component

PATH = "/wall"
TITLE = "综合执法指挥大屏 · GridCommand"


def layout(lang: str | None = None, rotate: str | None = None, days: str | None = None, **_query: Any) -> html.Div:
    lang = request_lang(lang)
    county, bounds = area_bounds()
    try:
        rotate_s = max(10, int(rotate)) if rotate else 0
    except ValueError:
        rotate_s = 0
    try:
        days_n = min(max(int(days), 1), 366) if days else 90
    except ValueError:
        days_n = 90
    list_label: dict[str, Any] = {"aria-label": t("wall.incidents", lang)}   # Dash takes aria-* as keywords only
    return html.Div(className=f"gc-wall lang-{lang}", children=[
        dcc.Store(id="wall-days", data=days_n),
        dcc.Store(id="lang", data=lang),
        html.Header(className="wall-header", children=[
            html.H1([county + " · " if county else "", t("wall.title", lang)]),
            html.Div(id="wall-focus", className="wall-focus"),
            html.Div(id="wall-clock", className="wall-clock"),
            html.A(t("lang.switch", lang), href=f"/wall?lang={'zh' if lang == 'en' else 'en'}"
                   + (f"&rotate={rotate_s}" if rotate_s else ""), className="gc-lang"),
        ]),
        html.Main(className="wall-main", children=[
            html.Div(className="wall-map", children=[
                map_component("wall-map", lang, bounds, prefix="wall-", with_enterprises=False,
                              view_px=(1380, 900)),
                html.Div(id="stale", className="gc-stale hidden"),
                html.Div(id="wall-live-note", className="gc-note gc-live-note"),
            ]),
            html.Section(className="wall-side", children=[
                html.Div(t("wall.rates_window", lang, n=days_n), className="wall-window"),
                html.Div(id="wall-kpis", className="wall-kpis",
                         children=[html.Div([html.Div(t(f"kpi.{k}", lang), className="kpi-label"),
                                             html.Div("—", className="kpi-value", id=f"kpi-{k}")],
                                            className="kpi") for k in KPIS]),
                html.H2(t("wall.incidents", lang)),
                # scrollable: reachable by keyboard (tabIndex) and named for screen readers
                html.Ol(id="wall-incident-list", className="wall-incidents", tabIndex="0", **list_label),
            ]),
        ]),
        dcc.Store(id="stale-texts", data={"template": t("wall.stale", lang, n="{n}"), "after": 25}),
        dcc.Interval(id="stale-clock", interval=1000),
        dcc.Interval(id="wall-refresh", interval=60_000),
        dcc.Interval(id="wall-rotate", interval=max(rotate_s, 10) * 1000, disabled=not rotate_s),
        dcc.Store(id="wall-rotation", data={"i": -1}),
        # the incident list is the live incident layer, sorted, drawn by gridcommand.js on every change
        *live_stores("wall-", lang=lang, page="wall", list={"id": "wall-incident-list", "kind": "wall", "max": 30},
                     fit=bounds),
    ])
