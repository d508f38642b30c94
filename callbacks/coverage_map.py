"""Coverage page: the choropleth of the chosen measure per township / H3 cell, its legend, and the table."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, html, no_update

from callbacks.context import services
from callbacks.coverage_common import geojson_for, rows_for
from callbacks.registry import callback
from callbacks.shell import page_lang
from enforcement.measures import BY_KEY, MEASURE_KEYS
from layers.basemaps import display_datum
from layers.geojson import _shift_geometry as shift_geometry
from layers.i18n import t
from layers.legend import scale_entries
from layers.styles import count_scale, rate_scale
from layers.tables import coverage_columns
from layers.tables import rows as grid_rows


@callback(Output("cov-areas", "data"), Output("cov-areas", "hideout"), Output("cov-legend", "children"),
          Output("cov-table", "columnDefs"), Output("cov-table", "rowData"), Output("cov-count", "children"),
          Output("cov-map", "viewport"),
          Input("cov-filter", "data"), Input("cov-level", "value"), Input("cov-measure", "value"),
          Input("cov-view", "value"))
def show_map(data: dict[str, Any] | None, level: str, measure: str, view: str) -> tuple[Any, ...]:
    measure = measure if measure in MEASURE_KEYS else "coverage_high"
    lang = page_lang()
    scope, _filt, rows = rows_for(data, level, view)
    fc = geojson_for(scope, rows, level, measure)
    d = BY_KEY[measure]
    rate = d.unit == "ratio"
    values = [f["properties"]["value"] for f in fc["features"] if f["properties"]["value"] is not None]
    scale = rate_scale() if rate else count_scale(max(values, default=1))
    for f in fc["features"]:
        v = f["properties"]["value"]
        f["properties"]["cls"] = scale.colors.index(scale.color_of(v)) if v is not None else 0
    name = d.name_en if lang == "en" else d.name_zh
    legend = [html.Div(name, className="legend-title")] + [
        html.Div([html.Span(className="swatch", style={"background": c, "display": "inline-block", "width": 14,
                                                       "height": 10, "marginRight": 4}), label])
        for c, label in scale_entries(scale, rate=rate, lang=lang)]
    table = grid_rows([r.export_dict(measure) for r in rows])
    for r in table:
        r["measure"] = name
        r["value"] = round(r["value"], 4) if isinstance(r["value"], float) else r["value"]
        r["inspection"] = t(f"cov.inspection.{r['inspection']}", lang)
    columns = coverage_columns(list(table[0]) if table else ["id", "name"], lang)
    # on screen in the basemap's datum (GCJ-02 for AMap); exports stay WGS-84
    datum = display_datum(services().settings.map)
    shown = {"type": "FeatureCollection",
             "features": [{**f, "geometry": shift_geometry(f["geometry"], datum)} for f in fc["features"]]}
    bounds = _bounds(shown)
    viewport = {"bounds": bounds, "transition": "flyToBounds"} if bounds else no_update
    hideout = {**scale.hideout(), "title": name, "rate": rate}
    return shown, hideout, legend, columns, table, t("cov.areas", lang, n=len(rows)), viewport


def _bounds(fc: dict[str, Any]) -> list[list[float]] | None:
    """Leaflet bounds [[south, west], [north, east]] of the features (None when empty)."""
    lngs, lats = [], []
    for f in fc["features"]:
        ring = f["geometry"]["coordinates"]
        while ring and isinstance(ring[0][0], list):
            ring = [p for part in ring for p in part]
        lngs += [p[0] for p in ring]
        lats += [p[1] for p in ring]
    return [[min(lats), min(lngs)], [max(lats), max(lngs)]] if lngs else None
