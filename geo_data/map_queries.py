"""What the command map and the wall display read: scoped, bbox-bounded, capped queries.

Every function takes the connection first and a ``Scope``; bounding boxes are ``(min_lng, min_lat, max_lng,
max_lat)`` in WGS-84 degrees. Rows are plain dicts with ``lng``/``lat`` (rounded to 6 decimals by layers.geojson);
enterprise points of a view are plain tuples (``EnterprisePoint``), the one layer with thousands of rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NoReturn

import psycopg
from psycopg import sql as pgsql
from psycopg.rows import tuple_row

from geo_data.cells import res9_cells
from geo_data.db import fetch_all, fetch_one, int_array, sql_text
from geo_data.errors import Forbidden, InvalidInput, NotFound
from geo_data.scope import Scope

BBox = tuple[float, float, float, float]
Row = dict[str, Any]

MAX_CELLS = 5000           # at most this many cells per view (a county at res 7..9 in view stays far below)
ALERT_LIMIT = 2000
LIVE_KINDS = ("alert", "incident", "team")


def check_bbox(bbox: Any) -> BBox:
    """A validated bbox; InvalidInput naming the problem for anything else."""
    try:
        min_lng, min_lat, max_lng, max_lat = (float(v) for v in bbox)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"bbox: expected 4 numbers (min_lng, min_lat, max_lng, max_lat), got {bbox!r}") from exc
    if not all(math.isfinite(v) for v in (min_lng, min_lat, max_lng, max_lat)):
        raise InvalidInput("bbox: coordinates must be finite numbers")
    min_lng, max_lng = max(min_lng, -180.0), min(max_lng, 180.0)
    min_lat, max_lat = max(min_lat, -90.0), min(max_lat, 90.0)
    if min_lng > max_lng or min_lat > max_lat:
        raise InvalidInput(f"bbox: min must not exceed max, got {bbox!r}")
    return min_lng, min_lat, max_lng, max_lat


def _bbox_params(bbox: BBox) -> dict[str, float]:
    min_lng, min_lat, max_lng, max_lat = check_bbox(bbox)
    return {"min_lng": min_lng, "min_lat": min_lat, "max_lng": max_lng, "max_lat": max_lat}


def boundaries(conn: psycopg.Connection[Any], *, scope: Scope) -> list[Row]:
    """County outline (whole-county scopes only) and township polygons as GeoJSON text with label points."""
    return fetch_all(conn, "map_boundaries", scope.params)


def cells_in_view(conn: psycopg.Connection[Any], *, scope: Scope, bbox: BBox, res: int) -> list[Row]:
    """H3 cells of resolution ``res`` intersecting ``bbox`` with their pre-aggregated counts (<= MAX_CELLS)."""
    if res not in (7, 8, 9):
        raise InvalidInput(f"res: H3 resolution must be 7, 8 or 9, got {res}")
    return fetch_all(conn, "map_cells_counts", {**scope.params, **_bbox_params(bbox), "res": res,
                                                "limit": MAX_CELLS})


def cell_rates(conn: psycopg.Connection[Any], *, scope: Scope, cells: list[int], res: int, date_from: date,
               date_to: date) -> dict[int, Row]:
    """Per cell: done visits, repeat visits and distinct enterprises visited in [date_from, date_to]."""
    if not cells:
        return {}
    rows = fetch_all(conn, "map_cells_rates", {**scope.params, "cells": cells, "res": res,
                                               "date_from": date_from, "date_to": date_to})
    return {int(r["cell"]): r for r in rows}


def cell_values(conn: psycopg.Connection[Any], *, scope: Scope, cells: list[Row], res: int, measure: str,
                date_from: date, date_to: date) -> dict[int, float | None]:
    """The chosen measure per cell: counts from h3_cells, rates computed from visits in the period.

    repeat_rate = repeat visits / visits (None without visits); coverage = enterprises visited / enterprises
    (None for a cell without enterprises).
    """
    column = {"enterprises": "ent_total", "high_risk": "ent_high", "visits": "visits",
              "open_alerts": "alerts_open"}.get(measure)
    if column:
        return {int(c["cell"]): float(c[column]) for c in cells}
    if measure not in ("repeat_rate", "coverage"):
        raise InvalidInput(f"measure: unknown measure {measure!r}")
    rates = cell_rates(conn, scope=scope, cells=[int(c["cell"]) for c in cells], res=res,
                       date_from=date_from, date_to=date_to)
    out: dict[int, float | None] = {}
    for c in cells:
        r = rates.get(int(c["cell"]))
        if measure == "repeat_rate":
            out[int(c["cell"])] = (r["repeat_visits"] / r["visits"]) if r and r["visits"] else None
        else:
            total = c["ent_total"]
            out[int(c["cell"])] = ((r["enterprises_visited"] if r else 0) / total) if total else None
    return out


#: One enterprise point as ``enterprises_in_view`` returns it: (id, name, risk, lng, lat), lng/lat WGS-84.
EnterprisePoint = tuple[int, str, str, float, float]


def _fetch_points(conn: psycopg.Connection[Any], name: str, params: dict[str, Any]) -> list[EnterprisePoint]:
    """Point rows as plain tuples in binary format: for up to ``max_points`` rows per view this is ~4x less
    client CPU than dict rows in text format (no per-row dict, no float parsing)."""
    with conn.cursor(row_factory=tuple_row, binary=True) as cur:
        cur.execute(sql_text(name).encode(), params)
        return cur.fetchall()


@dataclass(frozen=True)
class PointsInView:
    rows: list[EnterprisePoint]
    total: int           # how many enterprises the view holds (exact when not capped, else an upper bound)
    capped: bool         # more than the cap: ``rows`` holds high/elevated risk ones only, at most the cap


def enterprises_in_view(conn: psycopg.Connection[Any], *, scope: Scope, bbox: BBox, limit: int) -> PointsInView:
    """Enterprises in ``bbox``, at most ``limit``, as ``EnterprisePoint`` tuples.

    The count comes first, from the pre-aggregated res-9 cells touching the view (cheap at any density). When it
    exceeds ``limit`` only high and elevated risk enterprises are sent (still at most ``limit``), and the page
    says "showing N of M, zoom in"; otherwise every enterprise in the view is sent and counted exactly.
    """
    if limit < 1:
        raise InvalidInput(f"limit: must be >= 1, got {limit}")
    params = {**scope.params, **_bbox_params(bbox), "limit": limit + 1}
    estimate = fetch_one(conn, "map_enterprises_estimate", params)
    upper = int(estimate["n"]) if estimate else 0
    if upper <= limit:
        rows = _fetch_points(conn, "map_enterprises_in_view", params)
        if len(rows) <= limit:  # cell counts can lag behind writes: trust the rows when they fit
            return PointsInView(rows=rows, total=len(rows), capped=False)
        upper = max(upper, len(rows))
    rows = _fetch_points(conn, "map_enterprises_in_view_priority", {**params, "limit": limit})
    return PointsInView(rows=rows, total=max(upper, len(rows)), capped=True)


def alerts_between(conn: psycopg.Connection[Any], *, scope: Scope, since: datetime, until: datetime,
                   limit: int = ALERT_LIMIT) -> list[Row]:
    """Alerts observed in [since, until), newest first, at most ``limit``."""
    if since >= until:
        raise InvalidInput("time range: the start must be before the end")
    return fetch_all(conn, "map_alerts", {**scope.params, "since": since, "until": until, "limit": limit})


def incidents_live(conn: psycopg.Connection[Any], *, scope: Scope, since: datetime,
                   limit: int = ALERT_LIMIT) -> list[Row]:
    """Open/dispatched incidents and those resolved since ``since``, most severe first, then newest (closed ones
    are history)."""
    return fetch_all(conn, "map_incidents", {**scope.params, "since": since, "limit": limit})


def live_counts(conn: psycopg.Connection[Any], *, scope: Scope, since: datetime, until: datetime) -> Row:
    """How many alerts (``alerts``) and incidents (``incidents``) the live layers would hold uncut."""
    params = {**scope.params, "since": since, "until": until}
    alerts = fetch_one(conn, "map_alerts_count", params)
    incidents = fetch_one(conn, "map_incidents_count", params)
    return {"alerts": int(alerts["n"]) if alerts else 0, "incidents": int(incidents["n"]) if incidents else 0}


def teams(conn: psycopg.Connection[Any], *, scope: Scope) -> list[Row]:
    """Active teams at their live position (base when none), with status."""
    return fetch_all(conn, "map_teams", scope.params)


def visits_on_day(conn: psycopg.Connection[Any], *, scope: Scope, day: date, limit: int = 2000) -> list[Row]:
    """Visits of one calendar day (planned and done), ordered per team by start time."""
    return fetch_all(conn, "map_visits_day", {**scope.params, "day": day, "limit": limit})


def playback_events(conn: psycopg.Connection[Any], *, scope: Scope, since: datetime, until: datetime,
                    limit: int = 5000) -> list[Row]:
    """Alerts and done visits in [since, until) as time-stamped points, oldest first."""
    if since >= until:
        raise InvalidInput("time range: the start must be before the end")
    return fetch_all(conn, "map_playback", {**scope.params, "since": since, "until": until, "limit": limit})


def live_rows(conn: psycopg.Connection[Any], *, kind: str, ids: Iterable[int]) -> dict[int, Row]:
    """Alerts/incidents/teams as their live layer shows them (with county_code, township_code), by id, read in
    one query; unscoped: the push hub filters each row by every listener's scope. Ids not found are absent."""
    if kind not in LIVE_KINDS:
        raise InvalidInput(f"kind: expected one of {LIVE_KINDS}, got {kind!r}")
    return {row["id"]: row for row in fetch_all(conn, f"map_{kind}_live", {"ids": int_array(ids)})}


# kind -> (table, key column): whitelisted identifiers for the scope probe below.
_SCOPE_PROBES = {"enterprise": ("enterprises", "id"), "cell": ("h3_cells", "cell"),
                 "township": ("townships", "code"), "alert": ("alerts", "id"),
                 "incident": ("incidents", "id"), "team": ("teams", "id")}


def _not_in_scope(conn: psycopg.Connection[Any], scope: Scope, kind: str, key: Any) -> NoReturn:
    """Raise Forbidden when a township user asks for a thing of another township of the county, else NotFound."""
    if scope.township_code is not None:
        table, column = _SCOPE_PROBES[kind]
        query = pgsql.SQL("SELECT 1 FROM {} WHERE {} = %s AND county_code = %s").format(
            pgsql.Identifier(table), pgsql.Identifier(column))
        if conn.execute(query, (key, scope.county_code)).fetchone() is not None:
            raise Forbidden(f"{kind} {key} is outside your township")
    raise NotFound(f"{kind} {key} not found in your area")


def cell_details(conn: psycopg.Connection[Any], *, scope: Scope, cell: int, top: int = 10) -> Row:
    """One cell's counts, its riskiest enterprises (top N) and its recent alerts; NotFound outside scope."""
    row = fetch_one(conn, "cell_details", {**scope.params, "cell": cell})
    if row is None:
        _not_in_scope(conn, scope, "cell", cell)
    p = {**scope.params, "cell": cell, "res": row["res"], "limit": top}
    row["enterprises"] = fetch_all(conn, "cell_details_enterprises", p)
    row["recent_alerts"] = fetch_all(conn, "cell_details_alerts", {**p, "cells_r9": int_array(res9_cells([cell]))})
    return row


def township_details(conn: psycopg.Connection[Any], *, scope: Scope, code: str, date_from: date,
                     date_to: date) -> Row:
    """One township's counts (enterprises, open incidents, visits and alerts in the period, teams)."""
    row = fetch_one(conn, "map_township_details", {**scope.params, "code": code, "date_from": date_from,
                                                   "date_to": date_to})
    if row is None:
        _not_in_scope(conn, scope, "township", code)
    return row


def enterprise_details(conn: psycopg.Connection[Any], *, scope: Scope, id: int, visits: int = 5) -> Row:
    """One enterprise: name, USCC, industry, grades, township and its last ``visits`` visits."""
    row = fetch_one(conn, "map_enterprise_details", {**scope.params, "id": id, "visits": visits})
    if row is None:
        _not_in_scope(conn, scope, "enterprise", id)
    return row


def alert_details(conn: psycopg.Connection[Any], *, scope: Scope, id: int) -> Row:
    """One alert in scope: what, when, its place (township, enterprise or the nearest within 300 m),
    description, evidence link and incident."""
    row = fetch_one(conn, "map_alert_details", {"id": id})
    if row is None or row["county_code"] != scope.county_code or (
            scope.township_code is not None and row["township_code"] != scope.township_code):
        _not_in_scope(conn, scope, "alert", id)
    return row


def incident_details(conn: psycopg.Connection[Any], *, scope: Scope, id: int) -> Row:
    """One incident in scope: what, where, its SLA clock and its latest dispatch with the team."""
    row = fetch_one(conn, "map_incident_details", {"id": id})
    if row is None or row["county_code"] != scope.county_code or (
            scope.township_code is not None and row["township_code"] != scope.township_code):
        _not_in_scope(conn, scope, "incident", id)
    return row


def team_details(conn: psycopg.Connection[Any], *, scope: Scope, id: int) -> Row:
    """One active team in scope (a township's own teams and the county squads) with its active dispatch."""
    row = fetch_one(conn, "map_team_details", {**scope.params, "id": id})
    if row is None:
        _not_in_scope(conn, scope, "team", id)
    return row


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(conn: psycopg.Connection[Any], *, scope: Scope, q: str, limit: int = 8) -> list[Row]:
    """Townships by name and enterprises by USCC or name, best matches first; [] for text under 2 chars."""
    q = (q or "").strip()[:100]
    if len(q) < 2:
        return []
    return fetch_all(conn, "search_map", {**scope.params, "q": q, "like": _like_escape(q), "limit": limit})


# -- wall ------------------------------------------------------------------------------------------------------

def wall_kpis(conn: psycopg.Connection[Any], *, scope: Scope, day: date) -> Row:
    """Alerts observed on ``day`` (Asia/Shanghai) and incidents still open or dispatched."""
    row = fetch_one(conn, "wall_kpis", {**scope.params, "day": day})
    assert row is not None
    return row


def wall_townships(conn: psycopg.Connection[Any], *, scope: Scope) -> list[Row]:
    """Townships in scope with label point and bounds (for rotation)."""
    return fetch_all(conn, "wall_townships", scope.params)


def area_extent(conn: psycopg.Connection[Any], *, scope: Scope) -> Row | None:
    """The caller's area: county name and bbox (own township for township scopes); None if not loaded."""
    row = fetch_one(conn, "map_extent", scope.params)
    return row if row and row["min_lng"] is not None else None
