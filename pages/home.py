"""First page: the county at a glance (replaced by the command map)."""

from __future__ import annotations

from typing import Any

from dash import html

from callbacks.context import current_scope, services
from geo_data.db import transaction

PATH = "/"
TITLE = "县乡执法指挥一张图 · GridCommand"


def layout(**_query: Any) -> html.Div:
    scope = current_scope()
    with transaction(services().pool) as conn:
        row = conn.execute(
            "SELECT c.name, (SELECT count(*) FROM townships t WHERE t.county_code = c.code) AS townships,"
            " (SELECT count(*) FROM enterprises e WHERE e.county_code = c.code) AS enterprises"
            " FROM counties c WHERE c.code = %s", (scope.county_code,),
        ).fetchone()
    if row is None:
        return html.Div([html.H1("县乡执法指挥一张图"), html.P("尚未载入县区数据 · no county loaded yet")])
    return html.Div([
        html.H1(f"{row['name']} · 县乡执法指挥一张图"),
        html.P(f"乡镇街道 {row['townships']} 个 · 市场主体 {row['enterprises']} 家", id="home-summary"),
    ])
