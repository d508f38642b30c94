"""Coverage page: CSV / Excel / GeoJSON of exactly the areas on screen (same filter store), audited."""

from __future__ import annotations

import json
from typing import Any

from dash import Input, Output, State, ctx, dcc

from callbacks.context import services
from callbacks.coverage_common import geojson_for, rows_for
from callbacks.registry import callback
from enforcement.coverage import to_csv, to_xlsx
from enforcement.measures import MEASURE_KEYS
from geo_data.audit import record_for
from geo_data.db import transaction
from geo_data.scope import Permission


@callback(Output("cov-download", "data"),
          Input("cov-export-csv", "n_clicks"), Input("cov-export-xlsx", "n_clicks"),
          Input("cov-export-geojson", "n_clicks"),
          State("cov-filter", "data"), State("cov-level", "value"), State("cov-measure", "value"),
          State("cov-view", "value"), prevent_initial_call=True)
def export(_csv: Any, _xlsx: Any, _geojson: Any, data: dict[str, Any] | None, level: str, measure: str,
           view: str) -> dict[str, Any]:
    fmt = {"cov-export-csv": "csv", "cov-export-xlsx": "xlsx", "cov-export-geojson": "geojson"}[ctx.triggered_id]
    measure = measure if measure in MEASURE_KEYS else "coverage_high"
    scope, filt, rows = rows_for(data, level, view, Permission.EXPORT)
    name = f"coverage_{scope.county_code}_{filt.date_from}_{filt.date_to}_{level}_{view}.{fmt}"
    if fmt == "csv":
        content = to_csv(rows, measure)
    elif fmt == "xlsx":
        lines = [f"{k}: {v}" for k, v in {**filt.describe(), "level": level, "view": view}.items()]
        content = to_xlsx(rows, measure, title=name, filter_lines=lines)
    else:
        content = json.dumps(geojson_for(scope, rows, level, measure), ensure_ascii=False).encode("utf-8")
    with transaction(services().pool) as conn:
        record_for(conn, scope, f"export.{fmt}", object_type="coverage", object_id=name,
                   detail={"filter": filt.describe(), "level": level, "view": view, "measure": measure,
                           "rows": len(rows)})
    return dcc.send_bytes(content, name)
