"""The command map ``/``: boundaries, H3 choropleth, enterprises, alerts, incidents, teams, visits, details."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from typing import Any

import dash_leaflet as dl
from dash import dcc, html
from dash_extensions.javascript import Namespace

from callbacks.context import services
from callbacks.map_common import request_lang
from callbacks.page_context import page_context
from enforcement.local_time import SHANGHAI
from geo_data import map_queries
from layers.basemaps import tile_layers
from layers.i18n import t
from layers.registry import MEASURES, build_registry
from layers.styles import RISK_COLORS, SEVERITY_COLORS, SOURCE_GLYPHS, TEAM_STATUS_COLORS

PATH = "/"
TITLE = "县乡执法指挥一张图 · GridCommand"
ns = Namespace("gc")


def point_hideout(lang: str) -> dict[str, Any]:
    """Colours and glyphs the point layers' JS reads."""
    return {"lang": lang, "riskColors": RISK_COLORS, "severityColors": SEVERITY_COLORS,
            "statusColors": TEAM_STATUS_COLORS, "glyphs": SOURCE_GLYPHS,
            "statusNames": {k: t(f"status.{k}", lang) for k in TEAM_STATUS_COLORS}}


LIVE_ATTACH = {"incidents": "liveAddIncident", "alerts": "liveAddAlert", "teams": "liveAddTeam"}


def registry_overlay(reg: dict[str, Any], layer_id: str, child: Any, lang: str, prefix: str = "") -> dl.Overlay:
    """A layer of the registry in the layer control; the id lets gridcommand.js write a toggle back
    (``checked``), so a re-render never undoes it."""
    return dl.Overlay(child, name=reg[layer_id].title(lang), checked=reg[layer_id].default_on,
                      id=f"{prefix}ov-{layer_id}")


def live_overlay(reg: dict[str, Any], layer_id: str, lang: str, prefix: str = "") -> dl.Overlay:
    """A live layer of the registry (incidents, alerts, teams): drawn by gridcommand.js straight into its group
    (canvas markers by id), never through Dash props (used by ``/``, ``/wall`` and ``/dispatch``)."""
    return registry_overlay(reg, layer_id, dl.LayerGroup(id=f"{prefix}{layer_id}",
                                                         eventHandlers={"add": ns(LIVE_ATTACH[layer_id])}),
                            lang, prefix)


def map_component(map_id: str, lang: str, bounds: list[list[float]] | None, *, prefix: str = "",
                  with_enterprises: bool = True, view_px: tuple[int, int] = (1200, 800)) -> dl.Map:
    """The Leaflet map with every layer of the registry (shared by ``/`` and ``/wall``)."""
    settings = services().settings.map
    reg = build_registry(settings.points_min_zoom)
    tiles = [dl.TileLayer(url=s.url, attribution=s.attribution, subdomains=s.subdomains, maxZoom=s.max_zoom)
             for s in tile_layers(settings)]
    hide = point_hideout(lang)

    def overlay(layer_id: str, child: Any) -> dl.Overlay:
        return registry_overlay(reg, layer_id, child, lang, prefix)

    def live_group(layer_id: str, _attach: str) -> dl.Overlay:
        return live_overlay(reg, layer_id, lang, prefix)

    overlays = [
        overlay("townships", dl.LayerGroup([
            dl.GeoJSON(id=f"{prefix}boundaries", style=ns("townshipStyle"), onEachFeature=ns("townshipTooltip")),
            dl.GeoJSON(id=f"{prefix}labels", pointToLayer=ns("labelPoint"))])),
        overlay("cells", dl.GeoJSON(id=f"{prefix}cells", style=ns("cellStyle"), onEachFeature=ns("cellTooltip"),
                                    hideout={})),
    ]
    if with_enterprises:
        overlays += [
            overlay("enterprises", dl.GeoJSON(id=f"{prefix}enterprises", cluster=True, zoomToBoundsOnClick=True,
                                              pointToLayer=ns("enterprisePoint"), clusterToLayer=ns("enterpriseCluster"),
                                              superClusterOptions={"radius": 50, "maxZoom": 15}, hideout=hide)),
            overlay("visits", dl.LayerGroup([dl.GeoJSON(id=f"{prefix}routes", style=ns("routeStyle")),
                                             dl.GeoJSON(id=f"{prefix}visits", pointToLayer=ns("visitPoint"))])),
            dl.Overlay(dl.GeoJSON(id=f"{prefix}playback", pointToLayer=ns("playbackPoint"),
                                  filter=ns("playbackFilter"), hideout=hide),
                       name=t("layer.playback", lang), checked=True),
        ]
    overlays += [
        live_group("incidents", "liveAddIncident"),
        live_group("alerts", "liveAddAlert"),
        live_group("teams", "liveAddTeam"),
    ]
    kwargs: dict[str, Any] = initial_view(bounds, *view_px)
    return dl.Map(
        id=map_id, trackViewport=True, preferCanvas=False, zoomSnap=1, className="gc-map",
        # ``overlays`` given: dash-leaflet's own overlayremove handler filters it and throws when it is unset,
        # which stops every later listener of the event (the toggle write-back of gridcommand.js among them)
        children=[*tiles, dl.LayersControl(overlays, position="topright", collapsed=False,
                                           overlays=[o.name for o in overlays if o.checked]),
                  dl.LayerGroup(id=f"{prefix}popup-layer"), dl.LayerGroup(id=f"{prefix}track-layer"),
                  dl.ScaleControl(position="bottomleft", imperial=False)],
        **kwargs,
    )


def initial_view(bounds: list[list[float]] | None, width_px: int = 1200, height_px: int = 800) -> dict[str, Any]:
    """Centre and the largest whole zoom at which ``bounds`` fits a ``width_px`` x ``height_px`` map."""
    if not bounds:
        return {"center": [29.1, 119.6], "zoom": 10}
    (s, w), (n, e) = bounds
    lat = (s + n) / 2
    zoom = 18
    while zoom > 3:
        deg_per_px = 360.0 / (256 * 2**zoom)
        if (e - w) / deg_per_px <= width_px and (n - s) / (deg_per_px * math.cos(math.radians(lat))) <= height_px:
            break
        zoom -= 1
    return {"center": [lat, (w + e) / 2], "zoom": zoom}


def live_config(lang: str, page: str, prefix: str = "", **extra: Any) -> dict[str, Any]:
    """What gridcommand.js needs to draw the live layers: colours, names, the bin zoom, texts, toggle ids (and
    ``extra``: e.g. ``list``, the incident list drawn from the live layer, ``kinds``, the kinds a page shows)."""
    settings = services().settings.map
    reg = build_registry(settings.points_min_zoom)
    return {
        "page": page, "prefix": prefix, "lang": lang, "binZoom": settings.alerts_bin_below_zoom,
        "statusColors": TEAM_STATUS_COLORS, "statusNames": {k: t(f"status.{k}", lang) for k in TEAM_STATUS_COLORS},
        "severityNames": {k: t(f"severity.{k}", lang) for k in SEVERITY_COLORS},
        "overlays": {spec.title(lang): f"{prefix}ov-{spec.id}" for spec in reg.values()},
        "texts": {"capped": t("live.capped", lang, layer="{layer}", n="{n}", m="{m}"),
                  "cappedIncident": t("live.capped_incidents", lang, layer="{layer}", n="{n}", m="{m}"),
                  "binned": t("live.binned", lang, n="{n}", z="{z}"),
                  "layers": {"alert": t("layer.alerts", lang), "incident": t("layer.incidents", lang),
                             "team": t("layer.teams", lang)}},
        **extra,
    }


def live_stores(prefix: str = "", *, lang: str = "zh", page: str = "map", **extra: Any) -> list[Any]:
    """Stores the live layers load their bases into, and the marker (with the drawing config) that makes
    gridcommand.js open /events."""
    config = json.dumps(live_config(lang, page, prefix, **extra), ensure_ascii=False)
    data_attrs: dict[str, Any] = {"data-config": config}   # Dash takes data-* only as keyword arguments
    return [dcc.Store(id=f"{prefix}alerts-base"), dcc.Store(id=f"{prefix}incidents-base"),
            dcc.Store(id=f"{prefix}teams-base"), dcc.Store(id=f"{prefix}live-sink"),
            dcc.Store(id="live-resync", data=0), dcc.Store(id="lang-cookie"),
            dcc.Interval(id=f"{prefix}resync", interval=5 * 60 * 1000),
            html.Div(id="gc-live-marker", hidden=True, **data_attrs)]


def area_bounds() -> tuple[str, list[list[float]] | None]:
    """The county name and Leaflet bounds of the caller's area (display datum)."""
    from callbacks.map_common import to_display_bounds

    ctx = page_context()
    ext = ctx.read(lambda conn: map_queries.area_extent(conn, scope=ctx.scope))
    if ext is None:
        return "", None
    return ext["county_name"], to_display_bounds((ext["min_lng"], ext["min_lat"], ext["max_lng"], ext["max_lat"]))


def layout(lang: str | None = None, **_query: Any) -> html.Div:
    lang = request_lang(lang)
    _county, bounds = area_bounds()  # the county's name is in the app shell's bar
    today = datetime.now(SHANGHAI).date()
    return html.Div(className=f"gc-page lang-{lang}", children=[
        dcc.Store(id="lang", data=lang),
        html.Header(className="gc-header", children=[
            html.Div(className="gc-search", children=[
                dcc.Input(id="search", type="search", placeholder=t("search.placeholder", lang), debounce=True,
                          autoComplete="off"),
                html.Ul(id="search-results")]),
            dcc.Dropdown(id="measure", clearable=False, value="enterprises", className="gc-measure",
                         options=[{"label": t(k, lang), "value": m} for m, (k, _kind) in MEASURES.items()]),
            dcc.RadioItems(id="time-range", value="7d", inline=True, className="gc-time",
                           options=[{"label": t(f"time.{k}", lang), "value": k}
                                    for k in ("24h", "7d", "30d", "custom")]),
            dcc.DatePickerRange(id="time-custom", start_date=(today - timedelta(days=30)).isoformat(), end_date=today.isoformat(),
                                display_format="YYYY-MM-DD", className="gc-dates hidden"),
            html.Label([t("day", lang), dcc.DatePickerSingle(id="visit-day", date=today.isoformat(), display_format="YYYY-MM-DD",
                                                          placeholder=t("day", lang))],
                       className="gc-day"),
            # the language switch and the link to the wall are in the app shell (pages/shell.py)
        ]),
        html.Main(className="gc-main", children=[
            html.Div(className="gc-map-wrap", children=[
                map_component("map", lang, bounds),
                html.Div(id="map-note", className="gc-note"),
                html.Div(id="live-note", className="gc-note gc-live-note"),
                html.Div(id="legend", className="gc-legend"),
                html.Div(className="gc-playback", children=[
                    html.Button(t("play", lang), id="pb-play", n_clicks=0),
                    html.Div(dcc.Slider(id="pb-slider", min=0, max=48, step=1, value=48, marks=None,
                                        updatemode="drag"), className="gc-pb-slider"),
                    html.Span(id="pb-label", className="gc-pb-label"),
                    dcc.Interval(id="pb-interval", interval=600, disabled=True),
                    dcc.Store(id="pb-meta"),
                ]),
                html.Div(id="stale", className="gc-stale hidden"),
                dcc.Store(id="stale-texts", data={"template": t("wall.stale", lang, n="{n}"), "after": 25}),
                dcc.Interval(id="stale-clock", interval=1000),
            ]),
            html.Aside(id="details", className="gc-details",
                       children=html.P(t("details.hint", lang), className="gc-hint")),
        ]),
        *live_stores(lang=lang, fit=bounds),   # gridcommand.js fits the first view to the area, whatever the screen
    ])
