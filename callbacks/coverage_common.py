"""What the coverage callbacks share: the filter from the page's store, and the rows on screen.

The screen and every export build their query from the same ``cov-filter`` store through ``rows_for`` — so an
export holds exactly what the filters on screen show.
"""

from __future__ import annotations

from typing import Any

from callbacks.context import current_scope, services
from enforcement.coverage import CellRow
from enforcement.measures import MeasureFilter, filter_from_dict
from geo_data.coverage import LEVELS, view_rows
from geo_data.db import transaction
from geo_data.errors import InvalidInput
from geo_data.scope import Permission, Scope


def scoped_filter(data: dict[str, Any] | None, permission: Permission = Permission.READ) -> tuple[Scope, MeasureFilter]:
    """The caller's scope and the validated filter (narrowed to a township user's township)."""
    scope = current_scope(permission)
    if not data:
        raise InvalidInput("choose a period first")
    return scope, filter_from_dict(data).narrowed_to(scope.township_code)


def rows_for(data: dict[str, Any] | None, level: str, view: str,
             permission: Permission = Permission.READ) -> tuple[Scope, MeasureFilter, list[CellRow]]:
    """The areas for the filter store, map level and view (what the table, map and exports show)."""
    if level not in LEVELS:
        raise InvalidInput(f"level: {level!r}")
    scope, filt = scoped_filter(data, permission)
    with transaction(services().read_pool) as conn:
        rows = view_rows(conn, scope, filt, level=level, view=view, settings=services().settings)
    return scope, filt, rows


def geojson_for(scope: Scope, rows: list[CellRow], level: str, measure_key: str) -> dict[str, Any]:
    """The rows as a GeoJSON FeatureCollection (township outlines or H3 cell hexagons, WGS-84)."""
    from geo_data.coverage import rows_geojson

    with transaction(services().read_pool) as conn:
        return rows_geojson(conn, scope, rows, level=level, measure_key=measure_key)
