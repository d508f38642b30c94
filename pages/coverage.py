"""Coverage and KPI review ``/coverage`` (覆盖与指标): filters, KPI cards, monthly trends, a choropleth of any
measure per township or H3 cell, blind spots / over- and under-inspected areas, and exports.

Planners, county operators and admins see the county; township dispatchers only their township (no exports).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import dash_bootstrap_components as dbc
import dash_leaflet as dl
from dash import dcc, html
from dash_extensions.javascript import Namespace

from callbacks.map_common import request_lang
from callbacks.page_context import page_context
from enforcement.grades import RISK_GRADES
from enforcement.measures import DEFINITIONS, MEASURE_KEYS
from geo_data.coverage import LEVELS, VIEWS, filter_options
from geo_data.scope import Permission, Role
from layers.basemaps import tile_layers
from layers.i18n import t
from pages.tables import grid

PATH = "/coverage"
TITLE = "覆盖与指标 · Coverage & KPIs"
PERMISSION = Permission.READ
ns = Namespace("gc")

LEVELS_SHOWN = ("township", "r7", "r8", "r9")
VIEWS_SHOWN = ("all", "blind", "over", "under", "reach", "unreached")
ROW = {"display": "flex", "flexWrap": "wrap", "gap": "10px", "alignItems": "center", "margin": "6px 0"}
GAP = {"marginRight": "16px"}


def measure_options(lang: str) -> list[dict[str, str]]:
    """The measures by their name in ``lang``."""
    return [{"label": d.name_en if lang == "en" else d.name_zh, "value": d.key} for d in DEFINITIONS]


def default_period(today: date | None = None) -> tuple[date, date]:
    """The previous calendar month (the measures' default window)."""
    first = (today or date.today()).replace(day=1)
    last = first - timedelta(days=1)
    return last.replace(day=1), last


def _date_arg(value: Any, default: date) -> date:
    try:
        return date.fromisoformat(str(value)) if value else default
    except ValueError:
        return default


def layout(lang: str | None = None, **query: Any) -> html.Div:
    """The page; ``?township=&from=&to=&level=&view=&measure=`` preset the filters (shareable links)."""
    ctx = page_context(PERMISSION, not_for=(Role.VIEWER,),
                       why="the coverage review is for planners, operators, dispatchers and admins")
    scope = ctx.scope
    opts = ctx.read(lambda conn: filter_options(conn, scope))
    start, end = default_period()
    start, end = _date_arg(query.get("from"), start), _date_arg(query.get("to"), end)
    can_export = ctx.can(Permission.EXPORT)
    towns = {o["value"] for o in opts["townships"]}
    township = scope.township_code or (query.get("township") if query.get("township") in towns else None)
    level = query.get("level") if query.get("level") in LEVELS else ("township" if township is None else "r8")
    view = query.get("view") if query.get("view") in VIEWS else "all"
    measure = query.get("measure") if query.get("measure") in MEASURE_KEYS else "coverage_high"
    lang = request_lang(lang)
    return html.Div(className="coverage-page", children=[
        # the app shell (pages/shell.py) carries the navigation, the account and logout
        html.Header([html.H1(t("cov.title", lang)),
                     html.A(t("cov.report", lang), id="cov-report-link", href="/reports/monthly", target="_blank",
                            style=GAP)], className="page-head"),
        html.Div(className="row cov-filters", style=ROW, children=[
            dcc.Dropdown(id="cov-township", options=opts["townships"], value=township, disabled=scope.township_code is not None,
                         placeholder=t("wall.all_townships", lang), style={"width": 200}),
            dcc.DatePickerRange(id="cov-period", start_date=start.isoformat(), end_date=end.isoformat(),
                                display_format="YYYY-MM-DD", first_day_of_week=1,
                                start_date_placeholder_text=t("date.start", lang),
                                end_date_placeholder_text=t("date.end", lang)),
            dcc.Dropdown(id="cov-department", options=opts["departments"], placeholder=t("plan.col.department", lang),
                         style={"width": 180}),
            dcc.Dropdown(id="cov-industry", options=opts["industries"], placeholder=t("field.industry", lang),
                         style={"width": 160}),
            dcc.Dropdown(id="cov-risk", options=[{"value": g, "label": t(f"risk.{g}", lang)} for g in RISK_GRADES],
                         placeholder=t("field.risk", lang), style={"width": 140}),
        ]),
        dcc.Store(id="cov-filter"),
        html.Div(id="cov-cards", className="kpi-cards",
                 style={"display": "flex", "flexWrap": "wrap", "gap": "8px", "margin": "8px 0"}),
        dcc.Graph(id="cov-trend", config={"displaylogo": False}, style={"height": 320}),
        html.Div(className="row", style=ROW, children=[
            dcc.RadioItems(id="cov-level", options=[{"label": t(f"cov.level.{k}", lang), "value": k}
                                                    for k in LEVELS_SHOWN], value=level, inline=True),
            dcc.Dropdown(id="cov-measure", options=measure_options(lang), value=measure, clearable=False,
                         style={"width": 260}),
            dcc.RadioItems(id="cov-view", options=[{"label": t(f"cov.view.{k}", lang), "value": k}
                                                   for k in VIEWS_SHOWN], value=view, inline=True),
        ]),
        html.Div(className="cov-map-wrap", style={"position": "relative"}, children=[
            dl.Map(id="cov-map", center=[29.1, 119.6], zoom=10, style={"height": 480}, children=[
                *[dl.TileLayer(url=s.url, attribution=s.attribution, subdomains=s.subdomains, maxZoom=s.max_zoom)
                  for s in tile_layers(ctx.settings.map)],
                dl.GeoJSON(id="cov-areas", style=ns("cellStyle"), onEachFeature=ns("cellTooltip"),
                           hideout={"colors": ["#ffffb2"]}),
            ]),
            html.Div(id="cov-legend", className="legend", style={
                "position": "absolute", "right": 10, "bottom": 20, "zIndex": 1000, "background": "white",
                "padding": "6px 8px", "fontSize": 12, "borderRadius": 4, "boxShadow": "0 1px 4px #999"}),
        ]),
        html.Div(className="row", style=ROW, children=[
            *[dbc.Button(t(f"cov.export_{k}", lang), id=f"cov-export-{k}", disabled=not can_export,
                         color="secondary", outline=True, size="sm") for k in ("csv", "xlsx", "geojson")],
            html.Span(id="cov-count", className="muted"),
            dcc.Download(id="cov-download"),
        ]),
        grid("cov-table", [], lang, export_name="coverage", fit=False),  # columns: callbacks/coverage_map.py
        html.Details([html.Summary(t("cov.definitions", lang)),
                      html.Dl([c for d in DEFINITIONS for c in (
                          html.Dt(d.name_en if lang == "en" else d.name_zh),
                          html.Dd(d.definition_en if lang == "en" else d.definition_zh))])]),
    ])
