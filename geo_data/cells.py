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
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import h3.api.basic_int as h3_int
import numpy as np
import pandas as pd
import psycopg
import shapely

from geo_data.coords import CELL_RESOLUTIONS
from geo_data.db import execute, fetch_all, fetch_one, int_array
from geo_data.errors import NotFound


def res9_cells(cells: Iterable[int]) -> list[int]:
    """The res-9 cells of ``cells`` (res 7, 8 or 9): itself at res 9, its 49 or 7 res-9 children otherwise,
    sorted. Alerts and incidents are indexed by their res-9 cell only (migration 253)."""
    out: set[int] = set()
    for cell in cells:
        cell = int(cell)
        res = h3_int.get_resolution(cell)
        if res not in CELL_RESOLUTIONS:
            raise ValueError(f"cell resolution must be one of {CELL_RESOLUTIONS}, got {res}")
        out.update((cell,) if res == 9 else h3_int.cell_to_children(cell, 9))
    return sorted(out)


def county_cells(geojson: Mapping[str, Any], res: int) -> list[int]:
    """Every H3 cell at ``res`` that overlaps a (Multi)Polygon given as GeoJSON in WGS-84 (lng, lat)."""
    shape = h3_int.geo_to_h3shape(dict(geojson))
    return sorted(int(c) for c in h3_int.h3shape_to_cells_experimental(shape, res, contain="overlap"))


def cell_outlines(cells: Sequence[int]) -> np.ndarray:
    """Each cell's outline as a shapely Polygon (WGS-84 lng/lat), in the order given."""
    return np.array([shapely.Polygon([(lng, lat) for lat, lng in h3_int.cell_to_boundary(int(c))])
                     for c in cells] or [], dtype=object)


def cell_townships(conn: psycopg.Connection[Any], *, county_code: str, outlines: np.ndarray) -> np.ndarray:
    """Township code of each cell outline (object array; None only when the county has no townships).

    The township containing the outline's centroid (the lower code on a shared border); for a border cell
    whose centre lies in no township, the township it overlaps most; failing that, the nearest one.
    """
    rows = fetch_all(conn, "enterprise_townships", {"county_code": county_code})
    out = np.full(len(outlines), None, dtype=object)
    if not rows or len(outlines) == 0:
        return out
    codes = np.array([r["code"] for r in rows], dtype=object)
    polys = shapely.from_wkb([bytes(r["wkb"]) for r in rows])
    shapely.prepare(polys)
    tree = shapely.STRtree(polys)
    centres = shapely.centroid(outlines)
    cell_idx, town_idx = tree.query(centres, predicate="intersects")
    order = np.lexsort((town_idx, cell_idx))  # rows are ordered by code: first match = lowest code
    cell_idx, town_idx = cell_idx[order], town_idx[order]
    first = np.ones(len(cell_idx), dtype=bool)
    first[1:] = cell_idx[1:] != cell_idx[:-1]
    out[cell_idx[first]] = codes[town_idx[first]]
    rest = np.flatnonzero(pd.isna(out))
    if rest.size:
        c_idx, t_idx = tree.query(outlines[rest], predicate="intersects")
        if c_idx.size:
            area = shapely.area(shapely.intersection(outlines[rest][c_idx], polys[t_idx]))
            order = np.lexsort((t_idx, -area, c_idx))  # per cell: largest overlap, then lowest code
            c_idx, t_idx = c_idx[order], t_idx[order]
            best = np.ones(len(c_idx), dtype=bool)
            best[1:] = c_idx[1:] != c_idx[:-1]
            out[rest[c_idx[best]]] = codes[t_idx[best]]
        rest = np.flatnonzero(pd.isna(out))
        if rest.size:
            near_c, near_t = tree.query_nearest(centres[rest], return_distance=False, all_matches=False)
            out[rest[near_c]] = codes[near_t]
    return out


def _merge_cells(conn: psycopg.Connection[Any], *, county_code: str, cells: Iterable[int]) -> int:
    """Stage cells with outline and township (COPY) and upsert them in one statement.

    New cells are inserted; existing cells of the county only get a changed township. Returns the rows
    inserted or changed.
    """
    cell_list = sorted({int(c) for c in cells})
    if not cell_list:
        return 0
    outlines = cell_outlines(cell_list)
    towns = cell_townships(conn, county_code=county_code, outlines=outlines)
    wkb = shapely.to_wkb(shapely.set_srid(outlines, 4326), hex=True, include_srid=True)
    buf = io.StringIO()
    null = "\\N"
    for c, g, t in zip(cell_list, wkb, towns, strict=True):
        buf.write(f"{c}\t{h3_int.get_resolution(c)}\t{null if t is None else t}\t{g}\n")
    with conn.transaction():
        execute(conn, "cell_stage_create")
        conn.execute("TRUNCATE cell_stage")
        with conn.cursor() as cur, cur.copy("COPY cell_stage (cell, res, township_code, geom) FROM STDIN") as copy:
            copy.write(buf.getvalue())
        return execute(conn, "cell_upsert_from_stage", {"county_code": county_code})


def add_cells(conn: psycopg.Connection[Any], *, county_code: str, cells: Iterable[int]) -> int:
    """Make sure each given cell (res 7-9) has a row for the county, with outline and township.

    Used for points whose cell the outline cover missed (a point exactly on the county border). Cells that
    already exist are left alone. Returns the number of cells added.
    """
    wanted = sorted({int(c) for c in cells})
    if not wanted:
        return 0
    missing = [r["cell"] for r in fetch_all(conn, "cell_missing", {"cells": wanted})]
    return _merge_cells(conn, county_code=county_code, cells=missing) if missing else 0


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
    existing = [r["cell"] for r in fetch_all(conn, "cell_of_county", {"county_code": county_code})]
    _merge_cells(conn, county_code=county_code, cells=[*cells, *existing])
    row = fetch_one(conn, "cell_count_county", {"county_code": county_code})
    return int(row["n"]) if row else 0


def assign_cell_townships(conn: psycopg.Connection[Any], *, county_code: str,
                          cells: Iterable[int] | None = None) -> int:
    """(Re)assign the township of the county's cells (all, or those given); returns rows changed."""
    if cells is None:
        cells = [r["cell"] for r in fetch_all(conn, "cell_of_county", {"county_code": county_code})]
    return _merge_cells(conn, county_code=county_code, cells=cells)


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
        "alert_r9": int_array(res9_cells(c for values in by_res.values() for c in values)),
    })

