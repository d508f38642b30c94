"""Search box: enterprise name or USCC, or township name; the map flies to the best hit."""

from __future__ import annotations

from typing import Any

import psycopg
from dash import Input, Output, State, html, no_update

from callbacks.context import current_scope, services
from callbacks.map_common import to_display_latlng
from callbacks.registry import callback
from geo_data import map_queries
from geo_data.db import transaction
from geo_data.scope import Scope
from layers.i18n import t


def search_hits(conn: psycopg.Connection[Any], *, scope: Scope, q: str) -> list[dict[str, Any]]:
    """Scoped hits, best first: kind, key, name, uscc, lng, lat (WGS-84)."""
    return map_queries.search(conn, scope=scope, q=q)


@callback(
    Output("search-results", "children"), Output("map", "viewport"),
    Input("search", "value"), State("lang", "data"),
    prevent_initial_call=True,
)
def run_search(q: str | None, lang: str) -> tuple[Any, Any]:
    if not q or len(q.strip()) < 2:
        return [], no_update
    scope = current_scope()
    with transaction(services().read_pool) as conn:
        hits = search_hits(conn, scope=scope, q=q)
    if not hits:
        return [html.Li(t("search.none", lang), className="gc-none")], no_update
    items = [html.Li(f"{t('details.' + h['kind'], lang)} · {h['name']}" + (f" · {h['uscc']}" if h["uscc"] else ""))
             for h in hits]
    best = hits[0]
    zoom = 16 if best["kind"] == "enterprise" else 13
    return items, {"center": to_display_latlng(best["lng"], best["lat"]), "zoom": zoom, "transition": "flyTo"}
