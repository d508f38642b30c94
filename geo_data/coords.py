"""The one owner of coordinate order, Chinese datums and H3 cells.

Orders: GeoJSON positions are ``[lng, lat]``; Leaflet and h3 take ``(lat, lng)``. Every function here names its
arguments ``lng``/``lat`` and says which order it returns. All angles are decimal degrees.

Datums:

* WGS-84 (EPSG:4326) is what the database stores. CGCS2000 differs from WGS-84 by centimetres, far below what a
  command map shows, so it is treated as WGS-84.
* GCJ-02 ("Mars coordinates", used by AMap/Gaode and Tencent maps) is WGS-84 plus the published obfuscation
  offset computed on the Krasovsky ellipsoid, a few hundred metres.
* BD-09 (Baidu) is GCJ-02 plus a further rotation/scale offset.

Outside China (the rough bounding box lng 72.004..137.8347, lat 0.8293..55.8271 used by the public
implementations) GCJ-02 equals WGS-84, and BD-09 equals WGS-84 too: Baidu serves overseas coordinates in WGS-84,
so every datum conversion here is the identity outside the box. The box test is made on the input of each
conversion (WGS-84 for the forward direction, GCJ-02/BD-09 for the inverse), as the public implementations do;
only within ~1 km of the box edge, i.e. outside China's land borders, can a round trip therefore disagree.
The box is rough: it also covers Mongolia, Korea and much of South-East Asia, where points are shifted too.

The inverse directions (GCJ-02 -> WGS-84, BD-09 -> GCJ-02) have no closed form; they are solved by fixed-point
iteration on the forward formula to below 1e-11 degrees (~1 micrometre), so round trips agree to far better
than 0.01 m everywhere inside the box.

The conversion functions accept scalars or array-likes: scalars in give Python floats out, arrays in give
``float64`` arrays out (broadcast against each other).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any, Protocol, overload

import h3.api.basic_int as h3_int
import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo_data.errors import InvalidInput

try:  # Vectorised (Rust) H3, 1.4-1.9x faster than looping over h3-py (docs/h3_vectorised.md).
    from h3ronpy.vector import coordinates_to_cells as _h3ronpy_coordinates_to_cells
except ImportError:  # pragma: no cover - depends on the installed extras
    _h3ronpy_coordinates_to_cells = None

FloatArray = NDArray[np.float64]
CellArray = NDArray[np.int64]


class Datum(StrEnum):
    """Geodetic datum of a (lng, lat) pair as it arrives from a source."""

    WGS84 = "wgs84"
    CGCS2000 = "cgcs2000"
    GCJ02 = "gcj02"
    BD09 = "bd09"


# --- datum conversions ---------------------------------------------------------------------------------------

# Krasovsky 1940 ellipsoid, as fixed by the GCJ-02 algorithm.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
_BD_X_PI = np.pi * 3000.0 / 180.0
_BD_DLNG = 0.0065
_BD_DLAT = 0.006

_CHINA_MIN_LNG, _CHINA_MAX_LNG = 72.004, 137.8347
_CHINA_MIN_LAT, _CHINA_MAX_LAT = 0.8293, 55.8271

_INVERSE_TOLERANCE_DEG = 1e-11
_INVERSE_MAX_ITERATIONS = 30


class _DatumConversion(Protocol):
    @overload
    def __call__(self, lng: float, lat: float) -> tuple[float, float]: ...
    @overload
    def __call__(self, lng: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]: ...


def _scalar_or_array(
    fn: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
) -> _DatumConversion:
    """Let an array conversion also take scalars (and return floats for them)."""

    @functools.wraps(fn)
    def wrapper(lng: Any, lat: Any) -> Any:
        lng_a, lat_a = np.broadcast_arrays(
            np.asarray(lng, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        )
        shape = lng_a.shape
        out_lng, out_lat = fn(lng_a.ravel(), lat_a.ravel())
        if not shape:
            return float(out_lng[0]), float(out_lat[0])
        return out_lng.reshape(shape), out_lat.reshape(shape)

    return wrapper


def in_china_box(lng: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Whether (lng, lat) in degrees lies in the rough China box where the GCJ-02 offset applies (NaN -> False)."""
    lng_a = np.asarray(lng, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    return (
        (lng_a >= _CHINA_MIN_LNG)
        & (lng_a <= _CHINA_MAX_LNG)
        & (lat_a >= _CHINA_MIN_LAT)
        & (lat_a <= _CHINA_MAX_LAT)
    )


def _gcj_offset(lng: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The GCJ-02 offset (dlng, dlat) in degrees at WGS-84 (lng, lat), without the China box test."""
    x = lng - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    wave = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + wave
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + wave
    dlng += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlng += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0

    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    dlng = (dlng * 180.0) / (_KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlng, dlat


def _gcj_forward(lng: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    dlng, dlat = _gcj_offset(lng, lat)
    return lng + dlng, lat + dlat


def _bd_forward(lng: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    z = np.sqrt(lng * lng + lat * lat) + 0.00002 * np.sin(lat * _BD_X_PI)
    theta = np.arctan2(lat, lng) + 0.000003 * np.cos(lng * _BD_X_PI)
    return z * np.cos(theta) + _BD_DLNG, z * np.sin(theta) + _BD_DLAT


def _bd_approx_inverse(lng: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x = lng - _BD_DLNG
    y = lat - _BD_DLAT
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
    lng: FloatArray,
    lat: FloatArray,
    start_lng: FloatArray,
    start_lat: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Solve forward(x) = (lng, lat) by fixed-point iteration; the offsets vary slowly, so it contracts fast."""
    x_lng, x_lat = start_lng, start_lat
    for _ in range(_INVERSE_MAX_ITERATIONS):
        f_lng, f_lat = forward(x_lng, x_lat)
        step_lng = f_lng - lng
        step_lat = f_lat - lat
        x_lng = x_lng - step_lng
        x_lat = x_lat - step_lat
        if max(np.max(np.abs(step_lng)), np.max(np.abs(step_lat))) <= _INVERSE_TOLERANCE_DEG:
            break
    return x_lng, x_lat


def _only_in_china(
    convert: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
    lng: FloatArray,
    lat: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Apply ``convert`` to the 1-D points inside the China box; copy the rest unchanged."""
    out_lng, out_lat = lng.copy(), lat.copy()
    inside = in_china_box(lng, lat)
    if inside.any():
        out_lng[inside], out_lat[inside] = convert(lng[inside], lat[inside])
    return out_lng, out_lat


def _gcj_inverse(lng: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    dlng, dlat = _gcj_offset(lng, lat)
    return _invert(_gcj_forward, lng, lat, lng - dlng, lat - dlat)


def _bd_inverse(lng: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    start_lng, start_lat = _bd_approx_inverse(lng, lat)
    return _invert(_bd_forward, lng, lat, start_lng, start_lat)


def _wgs_to_bd(lng: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    return _bd_forward(*_gcj_forward(lng, lat))


def _bd_to_wgs(lng: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    return _gcj_inverse(*_bd_inverse(lng, lat))


@_scalar_or_array
def wgs84_to_gcj02(lng: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """WGS-84 (lng, lat) degrees -> GCJ-02 (lng, lat) degrees; identity outside the China box."""
    return _only_in_china(_gcj_forward, lng, lat)


@_scalar_or_array
def gcj02_to_wgs84(lng: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 (lng, lat) degrees -> WGS-84 (lng, lat) degrees, iterated to ~1e-11 deg; identity outside China."""
    return _only_in_china(_gcj_inverse, lng, lat)


@_scalar_or_array
def gcj02_to_bd09(lng: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 (lng, lat) degrees -> BD-09 (lng, lat) degrees; identity outside the China box."""
    return _only_in_china(_bd_forward, lng, lat)


@_scalar_or_array
def bd09_to_gcj02(lng: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """BD-09 (lng, lat) degrees -> GCJ-02 (lng, lat) degrees, iterated to ~1e-11 deg; identity outside China."""
    return _only_in_china(_bd_inverse, lng, lat)


@_scalar_or_array
def wgs84_to_bd09(lng: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """WGS-84 (lng, lat) degrees -> BD-09 (lng, lat) degrees (via GCJ-02); identity outside the China box."""
    return _only_in_china(_wgs_to_bd, lng, lat)


@_scalar_or_array
def bd09_to_wgs84(lng: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """BD-09 (lng, lat) degrees -> WGS-84 (lng, lat) degrees (via GCJ-02); identity outside the China box."""
    return _only_in_china(_bd_to_wgs, lng, lat)


@_scalar_or_array
def _identity(lng: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    return lng.copy(), lat.copy()


def _datum(datum: Datum | str) -> Datum:
    try:
        return Datum(datum)
    except ValueError as exc:
        raise InvalidInput(f"unknown datum {datum!r}; expected one of {', '.join(Datum)}") from exc


@overload
def to_wgs84(lng: float, lat: float, datum: Datum | str) -> tuple[float, float]: ...
@overload
def to_wgs84(lng: ArrayLike, lat: ArrayLike, datum: Datum | str) -> tuple[FloatArray, FloatArray]: ...
def to_wgs84(lng: Any, lat: Any, datum: Datum | str) -> Any:
    """(lng, lat) degrees in ``datum`` -> WGS-84 (lng, lat) degrees. CGCS2000 passes through unchanged.

    Raises InvalidInput for an unknown datum name.
    """
    match _datum(datum):
        case Datum.WGS84 | Datum.CGCS2000:
            return _identity(lng, lat)
        case Datum.GCJ02:
            return gcj02_to_wgs84(lng, lat)
        case Datum.BD09:
            return bd09_to_wgs84(lng, lat)


@overload
def from_wgs84(lng: float, lat: float, datum: Datum | str) -> tuple[float, float]: ...
@overload
def from_wgs84(lng: ArrayLike, lat: ArrayLike, datum: Datum | str) -> tuple[FloatArray, FloatArray]: ...
def from_wgs84(lng: Any, lat: Any, datum: Datum | str) -> Any:
    """WGS-84 (lng, lat) degrees -> (lng, lat) degrees in ``datum``. CGCS2000 passes through unchanged.

    Raises InvalidInput for an unknown datum name.
    """
    match _datum(datum):
        case Datum.WGS84 | Datum.CGCS2000:
            return _identity(lng, lat)
        case Datum.GCJ02:
            return wgs84_to_gcj02(lng, lat)
        case Datum.BD09:
            return wgs84_to_bd09(lng, lat)


# --- axis order ----------------------------------------------------------------------------------------------


def geojson_position(lat: float, lng: float) -> list[float]:
    """A GeoJSON position ``[lng, lat]`` from latitude and longitude (pass them by keyword when in doubt)."""
    return [float(lng), float(lat)]


def leaflet_latlng(lng: float, lat: float) -> list[float]:
    """A Leaflet ``[lat, lng]`` pair from longitude and latitude (pass them by keyword when in doubt)."""
    return [float(lat), float(lng)]


def latlng_from_geojson(position: Sequence[float]) -> tuple[float, float]:
    """``(lat, lng)`` from a GeoJSON position ``[lng, lat, ...]`` (any altitude is dropped)."""
    return float(position[1]), float(position[0])


def bbox_from_leaflet_bounds(bounds: Sequence[Sequence[float]]) -> tuple[float, float, float, float]:
    """``(min_lng, min_lat, max_lng, max_lat)`` from Leaflet/dash-leaflet bounds ``[[south, west], [north, east]]``."""
    (south, west), (north, east) = bounds[0][:2], bounds[1][:2]
    return float(west), float(south), float(east), float(north)


# --- H3 ------------------------------------------------------------------------------------------------------
# Cells are carried as signed int64: valid H3 indexes keep bit 63 clear, so the value is the same as the unsigned
# index and fits PostgreSQL bigint. Cells are always computed from WGS-84 coordinates.

CELL_RESOLUTIONS: tuple[int, ...] = (7, 8, 9)

_H3_MAX_RES = 15


def _check_res(res: int) -> None:
    if not 0 <= res <= _H3_MAX_RES:
        raise InvalidInput(f"H3 resolution must be 0..15, got {res}")


def _lat_lng_arrays(lat: ArrayLike, lng: ArrayLike) -> tuple[FloatArray, FloatArray]:
    lat_a, lng_a = np.broadcast_arrays(np.asarray(lat, dtype=np.float64), np.asarray(lng, dtype=np.float64))
    lat_a = np.ascontiguousarray(lat_a.ravel())
    lng_a = np.ascontiguousarray(lng_a.ravel())
    if not (np.isfinite(lat_a).all() and np.isfinite(lng_a).all()):
        raise InvalidInput("coordinates must be finite numbers")
    if (np.abs(lat_a) > 90.0).any() or (np.abs(lng_a) > 180.0).any():
        raise InvalidInput("latitude must be within -90..90 and longitude within -180..180 degrees")
    return lat_a, lng_a


_VECTOR_MIN_POINTS = 32  # below this the per-call Arrow conversion costs more than a loop over h3 (same cells)


def _h3_cells_h3ronpy(lat: FloatArray, lng: FloatArray, res: int) -> CellArray:
    assert _h3ronpy_coordinates_to_cells is not None
    cells = np.asarray(_h3ronpy_coordinates_to_cells(lat, lng, res), dtype=np.uint64)
    return cells.view(np.int64)


def _h3_cells_loop(lat: FloatArray, lng: FloatArray, res: int) -> CellArray:
    cells = map(h3_int.latlng_to_cell, lat.tolist(), lng.tolist(), itertools.repeat(res, lat.size))
    return np.fromiter(cells, dtype=np.int64, count=lat.size)


def h3_cells(lat: ArrayLike, lng: ArrayLike, res: int) -> CellArray:
    """H3 cells (int64, 1-D) of WGS-84 points given as latitude and longitude in degrees, at ``res``.

    Raises InvalidInput for non-finite or out-of-range coordinates or a resolution outside 0..15.
    """
    _check_res(res)
    lat_a, lng_a = _lat_lng_arrays(lat, lng)
    if lat_a.size == 0:
        return np.empty(0, dtype=np.int64)
    if _h3ronpy_coordinates_to_cells is not None and lat_a.size >= _VECTOR_MIN_POINTS:
        return _h3_cells_h3ronpy(lat_a, lng_a, res)
    return _h3_cells_loop(lat_a, lng_a, res)


def cells_all_res(lat: ArrayLike, lng: ArrayLike) -> dict[int, CellArray]:
    """H3 cells (int64) at every stored resolution (7, 8, 9) of WGS-84 points given as lat, lng degrees.

    Each resolution is computed from the point itself: an H3 parent does not always contain its children's
    points, so deriving res 7/8 from the res-9 cell would put some points in a neighbouring cell.
    """
    return {res: h3_cells(lat, lng, res) for res in CELL_RESOLUTIONS}


def cell_to_int(cell: str) -> int:
    """The integer (bigint) form of an H3 cell given as a hex string; InvalidInput if it is not a cell."""
    try:
        value = h3_int.str_to_int(cell)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"not an H3 cell: {cell!r}") from exc
    if not h3_int.is_valid_cell(value):
        raise InvalidInput(f"not an H3 cell: {cell!r}")
    return int(value)


def int_to_cell(cell_int: int) -> str:
    """The hex string form of an H3 cell given as an integer; InvalidInput if it is not a cell."""
    return str(h3_int.int_to_str(_valid_cell_int(cell_int)))


def _valid_cell_int(cell_int: int) -> int:
    value = int(cell_int)
    if value < 0 or not h3_int.is_valid_cell(value):
        raise InvalidInput(f"not an H3 cell: {cell_int!r}")
    return value


def cell_boundary_lnglat(cell_int: int) -> list[list[float]]:
    """The cell outline as a closed GeoJSON ring ``[[lng, lat], ..., first]`` in WGS-84 degrees."""
    ring = [[lng, lat] for lat, lng in h3_int.cell_to_boundary(_valid_cell_int(cell_int))]
    ring.append(list(ring[0]))
    return ring


def grid_disk_ints(cell_int: int, k: int) -> list[int]:
    """All cells within ``k`` grid steps of ``cell_int`` (itself included), as sorted integers."""
    if k < 0:
        raise InvalidInput(f"grid distance must be >= 0, got {k}")
    return sorted(int(c) for c in h3_int.grid_disk(_valid_cell_int(cell_int), k))
