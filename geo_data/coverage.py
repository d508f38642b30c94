"""Remote-monitoring coverage import, and the coverage review's cell/township rows (map, blind spots, exports).

Drone flight tracks (lines) are buffered by ``buffer_m`` metres in a local UTM projection; camera fields of
view (polygons) are taken as they are; each becomes the H3 res-9 cells it overlaps
(``h3shape_to_cells_experimental(..., contain="overlap")``) stored in ``monitoring_coverage``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import h3.api.basic_int as h3_int
import numpy as np
import psycopg
import shapely
from shapely.geometry import mapping

from enforcement.coverage import CellRow, classify_rows
from enforcement.measures import Measure, MeasureFilter
from geo_data.coords import cell_boundary_lnglat, to_wgs84
from geo_data.db import execute, fetch_all
from geo_data.errors import InvalidInput, RowProblem
from geo_data.measures import by_group, coverage_counts
from geo_data.scope import Scope

KINDS = ("drone_track", "camera_fov")
COVERAGE_RES = 9


@dataclass(frozen=True)
class CoverageImport:
    features: int
    cells: int
    inserted: int


def read_features(path: Path) -> Any:
    """A GeoDataFrame from GeoJSON / GeoPackage / Shapefile (anything pyogrio reads)."""
    import geopandas as gpd

    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    try:
        return gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InvalidInput(f"{path}: cannot read as a vector file ({exc})") from exc


def _date_of(value: Any, default: date | None, row: int, name: str, problems: list[RowProblem]) -> date | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() in ("", "NaT", "None"):
        return default
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        problems.append(RowProblem(row, name, f"{value!r} is not a date (YYYY-MM-DD)"))
        return None


def features_to_cells(gdf: Any, *, kind: str, buffer_m: float, datum: str, source_name: str,
                      valid_from: date, valid_to: date | None) -> list[tuple[int, str, date, date | None]]:
    """(cell, source, valid_from, valid_to) rows for every feature; every bad feature reported, none kept."""
    if kind not in KINDS:
        raise InvalidInput(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    if buffer_m <= 0 or buffer_m > 5000:
        raise InvalidInput("buffer-m: must be between 0 and 5000 metres")
    problems: list[RowProblem] = []
    if gdf.crs is not None and gdf.crs.to_epsg() not in (4326, 4490, None):
        gdf = gdf.to_crs(4326)
    geoms = [shapely.transform(g, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], datum)))
             if g is not None else None for g in gdf.geometry]
    rows: list[tuple[int, str, date, date | None]] = []
    utm = None
    for i, geom in enumerate(geoms, start=1):
        if geom is None or geom.is_empty:
            problems.append(RowProblem(i, "geometry", "empty"))
            continue
        gtype = geom.geom_type
        props = gdf.iloc[i - 1]
        vf = _date_of(props.get("valid_from"), valid_from, i, "valid_from", problems)
        vt = _date_of(props.get("valid_to"), valid_to, i, "valid_to", problems)
        if vf is not None and vt is not None and vf > vt:
            problems.append(RowProblem(i, "valid_to", f"{vt} is before valid_from {vf}"))
        if kind == "drone_track" and gtype not in ("LineString", "MultiLineString", "Point", "MultiPoint"):
            problems.append(RowProblem(i, "geometry", f"a drone track must be a line, not {gtype}"))
            continue
        if kind == "camera_fov" and gtype not in ("Polygon", "MultiPolygon"):
            problems.append(RowProblem(i, "geometry", f"a camera field of view must be a polygon, not {gtype}"))
            continue
        minx, miny, maxx, maxy = geom.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            problems.append(RowProblem(i, "geometry", "coordinates are not longitude/latitude degrees"))
            continue
        if kind == "drone_track":
            if utm is None:
                import geopandas as gpd

                utm = gpd.GeoSeries([geom], crs=4326).estimate_utm_crs()
            import geopandas as gpd

            geom = gpd.GeoSeries([geom], crs=4326).to_crs(utm).buffer(buffer_m).to_crs(4326).iloc[0]
        elif not geom.is_valid:
            geom = shapely.make_valid(geom)
        cells: set[int] = set()
        for poly in getattr(geom, "geoms", [geom]):
            if poly.geom_type != "Polygon":
                continue
            shape = h3_int.geo_to_h3shape(mapping(poly))
            cells.update(int(c) for c in h3_int.h3shape_to_cells_experimental(shape, COVERAGE_RES, contain="overlap"))
        if not cells:
            problems.append(RowProblem(i, "geometry", "covers no H3 cell"))
            continue
        src = props.get("source") or props.get("name") or props.get("id")
        label = src if src not in (None, "") and str(src) != "nan" else i
        source = re.sub(r"[\t\n\r\\]", " ", f"{source_name}#{label}")[:200]
        rows += [(c, source, vf or valid_from, vt) for c in sorted(cells)]
    if problems:
        raise InvalidInput(f"{len(problems)} bad feature(s); nothing imported", problems)
    return rows


def import_coverage(conn: psycopg.Connection[Any], scope: Scope, path: Path, *, kind: str,
                    buffer_m: float = 150.0, datum: str = "wgs84", valid_from: date | None = None,
                    valid_to: date | None = None) -> CoverageImport:
    """Import a drone-track or camera-FOV file into ``monitoring_coverage`` (idempotent, all or nothing)."""
    from geo_data.audit import record_for

    gdf = read_features(path)
    rows = features_to_cells(gdf, kind=kind, buffer_m=buffer_m, datum=datum, source_name=path.name,
                             valid_from=valid_from or date.today(), valid_to=valid_to)
    if not conn.execute("SELECT 1 FROM counties WHERE code = %s", (scope.county_code,)).fetchone():
        raise InvalidInput(f"county: {scope.county_code} is not loaded")
    execute(conn, "coverage_stage_create")
    buf = io.StringIO()
    null = "\\N"
    for cell, source, vf, vt in rows:
        buf.write(f"{cell}\t{source}\t{vf.isoformat()}\t{vt.isoformat() if vt else null}\n")
    with conn.cursor() as cur, cur.copy("COPY coverage_stage (cell, source, valid_from, valid_to) FROM STDIN") as cp:
        cp.write(buf.getvalue())
    inserted = execute(conn, "coverage_insert_from_stage", {"county_code": scope.county_code, "kind": kind})
    record_for(conn, scope, "import.coverage", object_type="monitoring_coverage", object_id=path.name,
               detail={"kind": kind, "features": len(gdf), "cells": len({r[0] for r in rows}), "inserted": inserted})
    return CoverageImport(features=len(gdf), cells=len({r[0] for r in rows}), inserted=inserted)


# -- the coverage review's rows -----------------------------------------------------------------------------

def area_rows(conn: psycopg.Connection[Any], scope: Scope, filt: MeasureFilter, *, level: str,
              reach_minutes: float | None = None, dispatch_settings: Any = None) -> list[CellRow]:
    """One row per township (``level='township'``) or H3 cell (``'r7'``/``'r8'``/``'r9'``) with data in the
    filter: every measure, enterprises by risk grade, blind spot and inspection class, and (when
    ``reach_minutes`` and ``dispatch_settings`` are given) whether a team base is within reach."""
    if level not in ("township", "r7", "r8", "r9"):
        raise InvalidInput(f"level: {level!r} is not township, r7, r8 or r9")
    measures: dict[str, dict[str, Measure]] = by_group(conn, scope, filt, level)
    ents = coverage_counts(conn, scope, filt, level)
    names: dict[str, str] = {}
    if level == "township":
        names = {r["code"]: r["name"] for r in fetch_all(conn, "coverage_township_names", scope.params)}
    rows = classify_rows(measures, ents, days=filt.days, names=names, level=level)
    if reach_minutes is not None and dispatch_settings is not None and level != "township":
        bases = fetch_all(conn, "coverage_team_bases", scope.params)
        mark_reach(rows, [(b["lng"], b["lat"]) for b in bases], reach_minutes, dispatch_settings)
    return rows


def mark_reach(rows: Sequence[CellRow], bases: Sequence[tuple[float, float]], minutes: float,
               dispatch_settings: Any) -> None:
    """Set ``reach_min`` (minutes to the nearest team base, straight line × detour at road-class speed)."""
    from geo_data.travel import StraightLineEstimator, haversine_m

    est = StraightLineEstimator(dispatch_settings)
    for row in rows:
        if not bases:
            row.reach_min = None
            continue
        lat, lng = h3_int.cell_to_latlng(int(row.key))
        row.reach_min = min(est.minutes_for_m(haversine_m(b[0], b[1], lng, lat)) for b in bases)
        row.in_reach = row.reach_min <= minutes


def rows_geojson(conn: psycopg.Connection[Any], scope: Scope, rows: Sequence[CellRow], *, level: str,
                 measure_key: str) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (WGS-84, [lng, lat]) of the rows, with the chosen measure as ``value``."""
    geoms: dict[str, Any] = {}
    if level == "township":
        for r in fetch_all(conn, "coverage_township_geoms", scope.params):
            geoms[r["code"]] = r["geojson"]
    features = []
    for row in rows:
        if level == "township":
            geom = geoms.get(row.key)
            if geom is None:
                continue
        else:
            geom = {"type": "Polygon", "coordinates": [cell_boundary_lnglat(int(row.key))]}
        features.append({"type": "Feature", "id": row.key, "geometry": geom,
                         "properties": row.export_dict(measure_key)})
    return {"type": "FeatureCollection", "features": features}


VIEWS = ("all", "blind", "over", "under", "reach", "unreached")
LEVELS = ("township", "r7", "r8", "r9")


def view_rows(conn: psycopg.Connection[Any], scope: Scope, filt: MeasureFilter, *, level: str, view: str,
              settings: Any) -> list[CellRow]:
    """The areas the coverage page shows (and exports) for a filter: ``view`` all | blind (blind spots) |
    over | under (inspection class) | reach / unreached (H3 cells within / beyond the team reach), at most ``settings.coverage.max_map_cells`` rows (blind spots and
    high-risk areas first). ``settings`` is the app's ``Settings``."""
    if view not in VIEWS:
        raise InvalidInput(f"view: {view!r} is not one of {', '.join(VIEWS)}")
    rows = area_rows(conn, scope, filt, level=level, reach_minutes=settings.coverage.reach_minutes,
                     dispatch_settings=settings.dispatch)
    if view == "blind":
        rows = [r for r in rows if r.blind]
    elif view in ("over", "under"):
        rows = [r for r in rows if r.inspection == view]
    elif view in ("reach", "unreached"):
        rows = [r for r in rows if r.in_reach is (view == "reach")]
    limit = settings.coverage.max_map_cells
    if len(rows) > limit:
        rows = sorted(rows, key=lambda r: (not r.blind, -r.enterprises.get("high", 0), r.key))[:limit]
    return rows


def filter_options(conn: psycopg.Connection[Any], scope: Scope) -> dict[str, list[dict[str, str]]]:
    """Choices of the coverage filters: townships of the scope, departments, industries (value/label)."""
    return {
        "townships": [{"value": r["code"], "label": r["name"]}
                      for r in fetch_all(conn, "coverage_township_names", scope.params)],
        "departments": [{"value": r["code"], "label": r["name"]} for r in fetch_all(conn, "coverage_departments")],
        "industries": [{"value": r["code"], "label": r["name"]} for r in fetch_all(conn, "coverage_industries")],
    }
