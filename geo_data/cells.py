"""The H3 grid (网格) of a county: which cells exist, their outlines, townships and pre-aggregated counts.

``h3_cells`` holds every res-7, -8 and -9 cell that overlaps the county outline (so every point inside the
county finds its cells), each with its outline (Polygon, 4326) and township. Counts (enterprises by risk,
visits, alerts, open alerts) are pre-aggregated there; ``refresh_cell_counts`` recomputes them set-based.

A cell belongs to one county (``h3_cells`` is keyed by cell): a cell straddling the border of two loaded
counties stays with the county that was loaded first.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

import h3.api.basic_int as h3_int
import numpy as np
import psycopg
import shapely

from geo_data.coords import CELL_RESOLUTIONS
from geo_data.db import execute, fetch_all, fetch_one
from geo_data.errors import NotFound


def county_cells(geojson: Mapping[str, Any], res: int) -> list[int]:
    """Every H3 cell at ``res`` that overlaps a (Multi)Polygon given as GeoJSON in WGS-84 (lng, lat)."""
    shape = h3_int.geo_to_h3shape(dict(geojson))
    return sorted(int(c) for c in h3_int.h3shape_to_cells_experimental(shape, res, contain="overlap"))


def cell_outlines_wkb_hex(cells: Iterable[int]) -> list[str]:
    """Hex EWKB (SRID 4326) of each cell's outline polygon, in the order given."""
    polys = [shapely.Polygon([(lng, lat) for lat, lng in h3_int.cell_to_boundary(int(c))]) for c in cells]
    if not polys:
        return []
    arr = shapely.set_srid(np.asarray(polys, dtype=object), 4326)
    return list(shapely.to_wkb(arr, hex=True, include_srid=True))


def _stage_cells(conn: psycopg.Connection[Any], cells: Iterable[int]) -> int:
    """COPY cells with their outlines into the transaction's ``cell_stage`` table; returns how many."""
    cell_list = sorted({int(c) for c in cells})
    execute(conn, "cell_stage_create")
    conn.execute("TRUNCATE cell_stage")
    if not cell_list:
        return 0
    res = [h3_int.get_resolution(c) for c in cell_list]
    buf = io.StringIO()
    for c, r, g in zip(cell_list, res, cell_outlines_wkb_hex(cell_list), strict=True):
        buf.write(f"{c}\t{r}\t{g}\n")
    with conn.cursor() as cur, cur.copy("COPY cell_stage (cell, res, geom) FROM STDIN") as copy:
        copy.write(buf.getvalue())
    return len(cell_list)


def add_cells(conn: psycopg.Connection[Any], *, county_code: str, cells: Iterable[int]) -> int:
    """Make sure each given cell (res 7-9) has a row for the county, with outline and township.

    Used for points whose cell the outline cover missed (a point exactly on the county border). Cells that
    already exist are left alone. Returns the number of cells added.
    """
    wanted = sorted({int(c) for c in cells})
    if not wanted:
        return 0
    missing = [r["cell"] for r in fetch_all(conn, "cell_missing", {"cells": wanted})]
    if not missing:
        return 0
    with conn.transaction():
        _stage_cells(conn, missing)
        added = execute(conn, "cell_upsert_from_stage", {"county_code": county_code})
        execute(conn, "cell_assign_townships", {"county_code": county_code, "cells": missing})
    return added


def ensure_cells(conn: psycopg.Connection[Any], *, county_code: str) -> int:
    """Fill ``h3_cells`` with every res-7/8/9 cell overlapping the county outline and (re)assign townships.

    Idempotent: re-running after the townships were re-imported only re-assigns ``township_code``.
    Counts are not touched. Returns the number of cells of the county afterwards.
    Raises NotFound if the county is not loaded.
    """
    row = fetch_one(conn, "cell_county_outline", {"county_code": county_code})
    if row is None:
        raise NotFound(f"county {county_code} is not loaded")
    outline = json.loads(row["geojson"])
    cells = [c for res in CELL_RESOLUTIONS for c in county_cells(outline, res)]
    with conn.transaction():
        _stage_cells(conn, cells)
        execute(conn, "cell_upsert_from_stage", {"county_code": county_code})
        assign_cell_townships(conn, county_code=county_code)
    row = fetch_one(conn, "cell_count_county", {"county_code": county_code})
    return int(row["n"]) if row else 0


def assign_cell_townships(conn: psycopg.Connection[Any], *, county_code: str,
                          cells: Iterable[int] | None = None) -> int:
    """(Re)assign the township of the county's cells (all, or those given); returns rows changed."""
    cell_list = None if cells is None else sorted({int(c) for c in cells})
    return execute(conn, "cell_assign_townships", {"county_code": county_code, "cells": cell_list})


def refresh_cell_counts(
    conn: psycopg.Connection[Any],
    *,
    county_code: str,
    cells: Mapping[int, Iterable[int]] | None = None,
) -> None:
    """Recompute enterprise (by risk), visit and alert counts of the county's cells.

    ``cells`` maps resolution (7, 8, 9) to the cells to refresh; None refreshes every cell of the county.
    Visits count those done; ``alerts_open`` counts alerts whose incident is open or dispatched.
    """
    by_res: dict[int, list[int]] = {r: [] for r in CELL_RESOLUTIONS}
    if cells is not None:
        for res, values in cells.items():
            if res not in by_res:
                raise ValueError(f"cell resolution must be one of {CELL_RESOLUTIONS}, got {res}")
            by_res[res] = sorted({int(c) for c in values})
        if not any(by_res.values()):
            return
    execute(conn, "cell_counts_refresh", {
        "county_code": county_code, "all_cells": cells is None,
        "r7": by_res[7], "r8": by_res[8], "r9": by_res[9],
    })
