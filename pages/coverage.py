"""Coverage and KPI review ``/coverage`` (覆盖与指标): filters, KPI cards, monthly trends, a choropleth of any
measure per township or H3 cell, blind spots / over- and under-inspected areas, and exports.

Planners, county operators and admins see the county; township dispatchers only their township (no exports).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import dash_leaflet as dl
from dash import dash_table, dcc, html
from dash_extensions.javascript import Namespace

from callbacks.page_context import page_context
from enforcement.grades import RISK_GRADES, RISK_NAMES_ZH
from enforcement.measures import DEFINITIONS, MEASURE_KEYS
from geo_data.coverage import LEVELS, VIEWS, filter_options
from geo_data.scope import Permission, Role
from layers.basemaps import tile_layers

PATH = "/coverage"
TITLE = "覆盖与指标 · Coverage & KPIs"
PERMISSION = Permission.READ
ns = Namespace("gc")

LEVEL_OPTIONS = [{"label": "乡镇 Township", "value": "township"}, {"label": "H3 7级", "value": "r7"},
                 {"label": "H3 8级", "value": "r8"}, {"label": "H3 9级", "value": "r9"}]
VIEW_OPTIONS = [{"label": "全部 All", "value": "all"}, {"label": "盲区 Blind spots", "value": "blind"},
                {"label": "过度检查 Over-inspected", "value": "over"},
                {"label": "检查不足 Under-inspected", "value": "under"},
                {"label": "队伍可达 Within team reach", "value": "reach"},
                {"label": "队伍不可达 Beyond team reach", "value": "unreached"}]
ROW = {"display": "flex", "flexWrap": "wrap", "gap": "10px", "alignItems": "center", "margin": "6px 0"}
GAP = {"marginRight": "16px"}
MEASURE_OPTIONS = [{"label": f"{d.name_zh} {d.name_en}", "value": d.key} for d in DEFINITIONS]


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


def layout(**query: Any) -> html.Div:
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
    return html.Div(className="coverage-page", children=[
        # the app shell (pages/shell.py) carries the navigation, the account and logout
        html.Header([html.H1("覆盖与指标 · Coverage & KPIs"),
                     html.A("月报 · Monthly report", id="cov-report-link", href="/reports/monthly", target="_blank",
                            style=GAP)], className="page-head"),
        html.Div(className="row cov-filters", style=ROW, children=[
            dcc.Dropdown(id="cov-township", options=opts["townships"], value=township, disabled=scope.township_code is not None,
                         placeholder="全县 Whole county", style={"width": 200}),
            dcc.DatePickerRange(id="cov-period", start_date=start.isoformat(), end_date=end.isoformat(),
                                display_format="YYYY-MM-DD", first_day_of_week=1),
            dcc.Dropdown(id="cov-department", options=opts["departments"], placeholder="部门 Department",
                         style={"width": 180}),
            dcc.Dropdown(id="cov-industry", options=opts["industries"], placeholder="行业 Industry",
                         style={"width": 160}),
            dcc.Dropdown(id="cov-risk", options=[{"value": g, "label": RISK_NAMES_ZH[g]} for g in RISK_GRADES],
                         placeholder="风险等级 Risk", style={"width": 140}),
        ]),
        dcc.Store(id="cov-filter"),
        html.Div(id="cov-cards", className="kpi-cards",
                 style={"display": "flex", "flexWrap": "wrap", "gap": "8px", "margin": "8px 0"}),
        dcc.Graph(id="cov-trend", config={"displaylogo": False}, style={"height": 320}),
        html.Div(className="row", style=ROW, children=[
            dcc.RadioItems(id="cov-level", options=LEVEL_OPTIONS, value=level, inline=True),
            dcc.Dropdown(id="cov-measure", options=MEASURE_OPTIONS, value=measure, clearable=False,
                         style={"width": 260}),
            dcc.RadioItems(id="cov-view", options=VIEW_OPTIONS, value=view, inline=True),
        ]),
        html.Div(className="cov-map-wrap", style={"position": "relative"}, children=[
            dl.Map(id="cov-map", center=[29.1, 119.6], zoom=10, style={"height": 480}, children=[
                *[dl.TileLayer(url=t.url, attribution=t.attribution, subdomains=t.subdomains, maxZoom=t.max_zoom)
                  for t in tile_layers(ctx.settings.map)],
                dl.GeoJSON(id="cov-areas", style=ns("cellStyle"), onEachFeature=ns("cellTooltip"),
                           hideout={"colors": ["#ffffb2"]}),
            ]),
            html.Div(id="cov-legend", className="legend", style={
                "position": "absolute", "right": 10, "bottom": 20, "zIndex": 1000, "background": "white",
                "padding": "6px 8px", "fontSize": 12, "borderRadius": 4, "boxShadow": "0 1px 4px #999"}),
        ]),
        html.Div(className="row", style=ROW, children=[
            html.Button("导出 CSV", id="cov-export-csv", disabled=not can_export),
            html.Button("导出 Excel", id="cov-export-xlsx", disabled=not can_export),
            html.Button("导出 GeoJSON", id="cov-export-geojson", disabled=not can_export),
            html.Span(id="cov-count", className="muted"),
            dcc.Download(id="cov-download"),
        ]),
        dash_table.DataTable(  # type: ignore[attr-defined]
            id="cov-table", columns=[], data=[], page_size=20, sort_action="native",
                             style_table={"overflowX": "auto"}, style_cell={"fontSize": 13, "textAlign": "left"}),
        html.Details([html.Summary("指标定义 · Definitions"),
                      html.Dl([c for d in DEFINITIONS for c in (html.Dt(f"{d.name_zh} · {d.name_en}"),
                                                                 html.Dd([d.definition_zh, html.Br(), d.definition_en]))])]),
    ])
