"""Enterprises (市场主体): bulk loading by COPY with vectorised H3 and township placement, and look-ups.

``copy_enterprises`` takes rows that were already checked (``geo_data.importers`` does the checking and
reports bad rows); the database constraints still refuse anything malformed, and the whole load is one
transaction, so a failure loads nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import h3.api.basic_int as h3_int
import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter
from tqdm import tqdm

from geo_data.cells import add_cells, refresh_cell_counts
from geo_data.coords import CELL_RESOLUTIONS, cells_all_res
from geo_data.db import fetch_all, fetch_one
from geo_data.errors import InvalidInput
from geo_data.measures import defer_preaggregates, rebuild_preaggregates
from geo_data.scope import Scope
from geo_data.uscc import normalise_uscc

REQUIRED_COLUMNS: tuple[str, ...] = ("uscc", "name", "address", "industry_code", "risk", "credit", "lng", "lat")

# From this many rows (and at least as many as the table already holds) the secondary indexes, the foreign
# keys and the unique key are dropped before the COPY and rebuilt after it: one sorted index build and one
# validating join are much cheaper than a million single index inserts and trigger calls.
BULK_REBUILD_MIN_ROWS = 50_000
_COPY_CHUNK_ROWS = 100_000
_COPY_FIRST_CHUNK_ROWS = 10_000  # the server waits for the first chunk: keep it short, then double up to the full size
# INSERT triggers whose work ``rebuild_preaggregates`` redoes in one pass: switched off (not merely deferred)
# during a bulk load, so the server does not even collect their million-row transition tables. The DROP INDEX
# of a bulk load already holds the table's exclusive lock, and ALTER TABLE is transactional.
_BULK_OFF_TRIGGERS = ("enterprise_counts_ins",)
_COPY_COLUMNS = ("county_code", "township_code", "uscc", "name", "address", "industry_code", "risk", "credit",
                 "geom", "h3_r7", "h3_r8", "h3_r9")


class TownshipLocator:
    """Places WGS-84 points in the county's townships (built once, used for many chunks of points).

    A point on a shared border goes to the lower code; a point in no township (the townships do not tile
    the county) goes to the nearest one; None only when the county has no townships. Given the points'
    res-9 cells, the points of a cell lying wholly inside one township take it at once and only the points
    of cells that straddle a border are tested one by one.
    """

    def __init__(self, conn: psycopg.Connection[Any], *, county_code: str) -> None:
        rows = fetch_all(conn, "enterprise_townships", {"county_code": county_code})
        self.codes = np.array([r["code"] for r in rows], dtype=object)
        self.polys = shapely.from_wkb([bytes(r["wkb"]) for r in rows]) if rows else np.empty(0, dtype=object)
        shapely.prepare(self.polys)
        self.tree = shapely.STRtree(self.polys)
        self._cell_town: dict[int, int] = {}

    def _cells_inside(self, cells: np.ndarray) -> np.ndarray:
        """Index of the township wholly containing each res-9 cell, or -1 (memoised per cell)."""
        uniq, inverse = np.unique(cells, return_inverse=True)
        new = [int(c) for c in uniq if int(c) not in self._cell_town]
        if new:
            # a hair (~0.1 m) of margin: the stored outline is the planar polygon of the cell's vertices
            outlines = shapely.buffer(shapely.polygons([
                [(c_lng, c_lat) for c_lat, c_lng in h3_int.cell_to_boundary(c)] for c in new]), 1e-6)
            cell_idx, town_idx = self.tree.query(outlines, predicate="within")
            found = dict(zip(cell_idx.tolist(), town_idx.tolist(), strict=True))
            self._cell_town.update({c: found.get(i, -1) for i, c in enumerate(new)})
        town = np.array([self._cell_town[int(c)] for c in uniq], dtype=np.int64)
        return town[inverse]

    def locate(self, lng: np.ndarray, lat: np.ndarray, cells_r9: np.ndarray | None = None) -> np.ndarray:
        """Township code (object array) of each point."""
        n = len(lng)
        out = np.full(n, None, dtype=object)
        if len(self.codes) == 0 or n == 0:
            return out
        todo = np.arange(n)
        if cells_r9 is not None:
            point_town = self._cells_inside(np.asarray(cells_r9))
            inside = point_town >= 0
            out[inside] = self.codes[point_town[inside]]
            todo = np.flatnonzero(~inside)
        if todo.size:
            points = np.asarray(shapely.points(lng[todo], lat[todo]))   # arrays in: an array out
            pt_idx, poly_idx = self.tree.query(points, predicate="intersects")
            order = np.lexsort((poly_idx, pt_idx))  # rows are ordered by code: first match = lowest code
            pt_idx, poly_idx = pt_idx[order], poly_idx[order]
            first = np.ones(len(pt_idx), dtype=bool)
            first[1:] = pt_idx[1:] != pt_idx[:-1]
            out[todo[pt_idx[first]]] = self.codes[poly_idx[first]]
            missing = np.flatnonzero(pd.isna(out[todo]))
            if missing.size:
                near_pt, near_poly = self.tree.query_nearest(points[missing], return_distance=False,
                                                             all_matches=False)
                out[todo[missing[near_pt]]] = self.codes[near_poly]
        return out


def point_townships(conn: psycopg.Connection[Any], *, county_code: str, lng: np.ndarray,
                    lat: np.ndarray, cells_r9: np.ndarray | None = None) -> np.ndarray:
    """Township code (object array, None where none) of each WGS-84 point (see ``TownshipLocator``)."""
    return TownshipLocator(conn, county_code=county_code).locate(np.asarray(lng, dtype=np.float64),
                                                                 np.asarray(lat, dtype=np.float64), cells_r9)


_HEX_PAIRS = np.array([f"{i:02X}".encode() for i in range(256)], dtype="S2")
_POINT_EWKB_HEAD = np.frombuffer(b"\x01\x01\x00\x00\x20\xe6\x10\x00\x00", dtype=np.uint8)  # LE, Point|SRID, 4326


def point_ewkb_hex(lng: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Hex EWKB (little-endian Point with SRID 4326) of each WGS-84 point, as PostGIS reads it in COPY text.

    Built with numpy byte views rather than one geometry object per point (about 10x faster for 1M points).
    """
    n = len(lng)
    raw = np.empty((n, 25), dtype=np.uint8)
    raw[:, :9] = _POINT_EWKB_HEAD
    raw[:, 9:17] = np.ascontiguousarray(lng, dtype="<f8").view(np.uint8).reshape(n, 8)
    raw[:, 17:25] = np.ascontiguousarray(lat, dtype="<f8").view(np.uint8).reshape(n, 8)
    hexed = np.ascontiguousarray(_HEX_PAIRS[raw]).view("S50").ravel()
    return hexed.astype(object) if n == 0 else np.char.decode(hexed, "ascii").astype(object)


_COPY_SPECIALS = ("\\", "\t", "\n", "\r")


def _copy_text_column(col: np.ndarray | pd.Series) -> list[str]:
    """One column as COPY text fields: ints formatted, NULL as ``\\N``, text escaped only if it needs it."""
    arr = col.to_numpy(dtype=object) if isinstance(col, pd.Series) and col.dtype.kind not in "iu" \
        else np.asarray(col)
    if arr.dtype.kind in "iu":
        return list(map(str, arr.tolist()))
    values = arr.astype(object)
    null = pd.isna(values)
    if null.any():
        values = values.copy()
        values[null] = None
    out: list[str] = values.tolist()
    if null.any():
        out = ["\\N" if v is None else str(v) for v in out]
    whole = "\x00".join(out)  # one scan of the whole column instead of a regex per value
    if any(ch in whole for ch in _COPY_SPECIALS):
        out = [v if v == "\\N" and null[i] else
               v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
               for i, v in enumerate(out)]
    return out


def copy_text_lines(columns: Sequence[np.ndarray | pd.Series]) -> str:
    """Rows of COPY text format (tab-separated, ``\\N`` for NULL, text escaped) from whole columns.

    Integer columns are formatted at once; a text column is escaped only when it holds a backslash, tab,
    newline or carriage return somewhere. One ``join`` over the zipped columns builds the block.
    """
    cols = [_copy_text_column(c) for c in columns]
    if not cols or not cols[0]:
        return ""
    return "\n".join(map("\t".join, zip(*cols, strict=True))) + "\n"


def bulk_load_order(risk: np.ndarray, uscc: np.ndarray) -> np.ndarray:
    """Row order for a bulk COPY: by risk grade, then by USCC (file order where those tie).

    The rebuilt (county_code, risk) index then reads the rows in key order, so its sort is one pass, and the
    (county_code, USCC) key reads four sorted runs: on the 1M bench ~0.9 s and ~1.1 s less than in file order.
    Both orders are byte orders, which the database's C.UTF-8 collation keeps for these ASCII values. USCCs are
    compared by their first 16 characters (the last two are check characters of those); codes that are not
    18 ASCII characters leave the order by risk only. The ids follow this order, not the file's.
    """
    keys = [pd.factorize(risk, sort=True)[0]]
    try:
        blob = "".join(uscc.tolist()).encode("ascii")
    except (TypeError, UnicodeEncodeError):
        blob = b""
    if len(uscc) and len(blob) == 18 * len(uscc):
        chars = np.frombuffer(blob, dtype=np.uint8).reshape(-1, 18)
        keys += [np.ascontiguousarray(chars[:, 0:8]).view(">u8").ravel(),
                 np.ascontiguousarray(chars[:, 8:16]).view(">u8").ravel()]
    return np.lexsort(keys[::-1])  # lexsort: last key first, stable


def copy_chunks(n: int) -> list[slice]:
    """Row slices of a COPY: 10,000 rows first, each next chunk twice the last, at most 100,000 rows."""
    out: list[slice] = []
    start, size = 0, _COPY_FIRST_CHUNK_ROWS
    while start < n:
        out.append(slice(start, min(n, start + size)))
        start, size = start + size, min(_COPY_CHUNK_ROWS, 2 * size)
    return out


def _secondary_indexes(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    return fetch_all(conn, "secondary_indexes", {"table": "enterprises"})


def _count(conn: psycopg.Connection[Any], county_code: str) -> int:
    row = fetch_one(conn, "enterprise_count_county", {"county_code": county_code})
    return int(row["n"]) if row else 0


def copy_enterprises(conn: psycopg.Connection[Any], *, county_code: str, frame: pd.DataFrame,
                     progress: bool = False, timings: dict[str, float] | None = None) -> int:
    """Load checked enterprises into the county with COPY; returns the rows loaded.

    ``frame`` columns: uscc, name, address, industry_code (a code of ``industries`` or empty), risk
    (high|elevated|general|low), credit (A-D), lng, lat (WGS-84 degrees), and optionally township_code
    (else each point is placed in its township by point-in-polygon). H3 cells at res 7, 8, 9 are computed
    from the points; cells missing from ``h3_cells`` are added; the counts of the touched cells are
    refreshed. One transaction: on any error nothing is loaded. ``timings`` (if given) receives seconds per
    phase (prepare, h3, townships, copy, copy wait (the server still parsing after the last chunk was handed
    over), ``index NAME`` and ``constraint NAME`` per rebuilt index or key,
    analyze, preaggregates, cells). The COPY goes chunk by chunk: H3, townships and
    the COPY text of one chunk are computed while the server parses the previous one.
    """
    lap = _Laps(timings)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidInput(f"enterprise rows lack the columns: {', '.join(missing)}")
    n = len(frame)
    if n == 0:
        return 0
    lng = frame["lng"].to_numpy(dtype=np.float64)
    lat = frame["lat"].to_numpy(dtype=np.float64)
    given = frame["township_code"].to_numpy(dtype=object) if "township_code" in frame.columns else None
    text = {c: frame[c].to_numpy(dtype=object) for c in ("uscc", "name", "industry_code", "risk", "credit")}
    text["address"] = frame["address"].fillna("").to_numpy(dtype=object)
    cells: dict[int, list[np.ndarray]] = {r: [] for r in CELL_RESOLUTIONS}
    locator = None if given is not None and pd.notna(given).all() else TownshipLocator(conn, county_code=county_code)
    with conn.transaction():
        existing = _count(conn, county_code)
        rebuild = n >= BULK_REBUILD_MIN_ROWS and n >= existing
        indexes = _secondary_indexes(conn) if rebuild else []
        constraints = fetch_all(conn, "enterprise_bulk_constraints") if rebuild else []
        triggers = fetch_all(conn, "enterprise_bulk_triggers", {"names": list(_BULK_OFF_TRIGGERS)}) \
            if rebuild else []
        if rebuild:
            # the measure pre-aggregate triggers would run once per COPY chunk (3-4x the COPY itself);
            # one grouped rebuild after the load gives the same rows (migration 406)
            defer_preaggregates(conn)
            conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
            conn.execute("SET LOCAL max_parallel_maintenance_workers = 2")  # parallel B-tree builds
            order = bulk_load_order(text["risk"], text["uscc"])
            lng, lat = lng[order], lat[order]
            given = given[order] if given is not None else None
            text = {k: v[order] for k, v in text.items()}
        for ix in indexes:
            conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(ix["name"])))
        for con in constraints:
            conn.execute(sql.SQL("ALTER TABLE enterprises DROP CONSTRAINT {}").format(sql.Identifier(con["name"])))
        for trg in triggers:
            conn.execute(sql.SQL("ALTER TABLE enterprises DISABLE TRIGGER {}").format(sql.Identifier(trg["name"])))
        copy_sql = sql.SQL("COPY enterprises ({}) FROM STDIN").format(
            sql.SQL(", ").join(sql.Identifier(c) for c in _COPY_COLUMNS))
        bar = tqdm(total=n, unit="row", desc="COPY enterprises", disable=not progress, leave=False)
        lap("prepare")
        # chunk by chunk, so the server parses one chunk while this process computes the next: the queued
        # writer sends on a thread of its own, so ``write`` returns at once instead of waiting for the server
        with conn.cursor() as cur, cur.copy(copy_sql, writer=QueuedLibpqWriter(cur)) as copy:
            for part in copy_chunks(n):
                c_lng, c_lat = lng[part], lat[part]
                chunk_cells = cells_all_res(c_lat, c_lng)
                for r in CELL_RESOLUTIONS:
                    cells[r].append(chunk_cells[r])
                lap("h3")
                if locator is None:
                    towns = given[part]  # type: ignore[index]
                else:
                    towns = locator.locate(c_lng, c_lat, chunk_cells[9])
                    if given is not None:
                        towns = np.where(pd.notna(given[part]), given[part], towns)
                lap("townships")
                copy.write(copy_text_lines([
                    np.full(part.stop - part.start, county_code, dtype=object), towns, text["uscc"][part],
                    text["name"][part], text["address"][part], text["industry_code"][part], text["risk"][part],
                    text["credit"][part], point_ewkb_hex(c_lng, c_lat), chunk_cells[7], chunk_cells[8],
                    chunk_cells[9]]))
                bar.update(part.stop - part.start)
                lap("copy")
        lap("copy wait")
        bar.close()
        for trg in triggers:
            conn.execute(sql.SQL("ALTER TABLE enterprises ENABLE TRIGGER {}").format(sql.Identifier(trg["name"])))
        lap("copy")
        for ix in indexes:
            conn.execute(ix["definition"].encode())
            lap(f"index {ix['name']}")
        for con in constraints:  # definitions come from the catalog, not from input
            conn.execute(sql.SQL("ALTER TABLE enterprises ADD CONSTRAINT {} ").format(sql.Identifier(con["name"]))
                         + sql.SQL(con["definition"]))
            lap(f"constraint {con['name']}")
        if rebuild:
            conn.execute("ANALYZE enterprises")
            lap("analyze")
            rebuild_preaggregates(conn, county_code)
            lap("preaggregates")
        touched = {r: np.unique(np.concatenate(cells[r])) for r in CELL_RESOLUTIONS}
        add_cells(conn, county_code=county_code, cells=np.concatenate(list(touched.values())))
        if rebuild:  # one grouped scan of the county (not enterprise_counts: a point's res-8 cell is not
            # always the parent of its res-9 cell, and the pre-aggregate keeps one res-8 cell per res-9 cell)
            refresh_cell_counts(conn, county_code=county_code)
        else:
            refresh_cell_counts(conn, county_code=county_code, cells={r: v.tolist() for r, v in touched.items()})
        lap("cells")
    return n


class _Laps:
    """Seconds since the previous lap, recorded under a phase name (no-op without a dict)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.clock = time.perf_counter()

    def __call__(self, phase: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[phase] = self.timings.get(phase, 0.0) + now - self.clock
        self.clock = now


def existing_usccs(conn: psycopg.Connection[Any], *, county_code: str) -> set[str]:
    """Every USCC already registered in the county."""
    return {r["uscc"] for r in fetch_all(conn, "enterprise_usccs_of_county", {"county_code": county_code})}


def enterprise_by_uscc(conn: psycopg.Connection[Any], *, county_code: str, uscc: str) -> dict[str, Any] | None:
    """The enterprise with this 统一社会信用代码 (as typed: full-width, blanks, hyphens) in the county, or None.

    Keys: id, county_code, township_code, township_name, uscc, name, address, industry_code, industry_name,
    risk, credit, no_visit, lng, lat (WGS-84), h3_r7, h3_r8, h3_r9.
    """
    return fetch_one(conn, "enterprise_by_uscc", {"county_code": county_code, "uscc": normalise_uscc(uscc)})


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_enterprises(conn: psycopg.Connection[Any], scope: Scope, *, text: str,
                       limit: int = 20) -> list[dict[str, Any]]:
    """Enterprises in scope matching ``text``: USCC prefix, name prefix or name containing it.

    Exact USCC first, then names starting with the text, then names containing it. Empty text gives [].
    Keys: id, county_code, township_code, uscc, name, address, industry_code, risk, credit, lng, lat, h3_r9.
    """
    text = text.strip()
    if not text:
        return []
    limit = max(1, min(int(limit), 200))
    escaped = _like_escape(text)
    return fetch_all(conn, "enterprise_search", {
        **scope.params, "text": text, "prefix": escaped + "%", "contains": "%" + escaped + "%",
        "limit": limit,
    })


def enterprise_columns() -> Sequence[str]:
    """The columns ``copy_enterprises`` needs in its frame."""
    return REQUIRED_COLUMNS
