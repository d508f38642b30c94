"""Datum conversions, axis order and H3 helpers in geo_data.coords.

Published vectors come from the README of wandergis/coordtransform (the reference JavaScript implementation most
Chinese GIS code copies) and the test suite of googollee/eviltransform (WGS-84 -> GCJ-02 only: its BD-09 vectors
were produced with ``sin(y * pi)`` instead of ``sin(y * x_pi)`` and disagree with Baidu's formula by ~40 m).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import h3
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo_data import coords
from geo_data.coords import (
    Datum,
    bbox_from_leaflet_bounds,
    bd09_to_gcj02,
    bd09_to_wgs84,
    cell_boundary_lnglat,
    cell_to_int,
    cells_all_res,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    geojson_position,
    grid_disk_ints,
    h3_cells,
    int_to_cell,
    latlng_from_geojson,
    leaflet_latlng,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geo_data.errors import InvalidInput

EARTH_RADIUS_M = 6371008.8


def metres_apart(a: tuple[object, object], b: tuple[object, object]) -> np.ndarray:
    """Local flat-earth distance in metres between (lng, lat) pairs of scalars or arrays (fine below 1 km)."""
    lng_a, lat_a = np.asarray(a[0], dtype=float), np.asarray(a[1], dtype=float)
    lng_b, lat_b = np.asarray(b[0], dtype=float), np.asarray(b[1], dtype=float)
    dx = np.radians(lng_a - lng_b) * np.cos(np.radians(lat_b)) * EARTH_RADIUS_M
    dy = np.radians(lat_a - lat_b) * EARTH_RADIUS_M
    return np.hypot(dx, dy)


def china_grid() -> tuple[np.ndarray, np.ndarray]:
    """(lng, lat) every ~0.5 degree over the whole China box, kept 0.05 degree inside its edges."""
    lng, lat = np.meshgrid(np.arange(72.06, 137.78, 0.5), np.arange(0.88, 55.78, 0.5))
    return lng.ravel(), lat.ravel()


# --- published vectors ---------------------------------------------------------------------------------------

TIANANMEN = (116.404, 39.915)  # the (lng, lat) every coordtransform port uses as its example


def test_wgs84_to_gcj02_matches_coordtransform_readme() -> None:
    assert wgs84_to_gcj02(*TIANANMEN) == pytest.approx((116.41024449916938, 39.91640428150164), abs=1e-12)


def test_gcj02_to_bd09_matches_coordtransform_readme() -> None:
    assert gcj02_to_bd09(*TIANANMEN) == pytest.approx((116.41036949371029, 39.92133699351021), abs=1e-12)


def test_wgs84_to_bd09_matches_coordtransform_readme() -> None:
    assert wgs84_to_bd09(*TIANANMEN) == pytest.approx((116.41662724378733, 39.922699552216216), abs=1e-12)


def test_inverses_agree_with_the_published_one_step_approximations_but_are_exact() -> None:
    # coordtransform's inverses are single-step approximations; ours iterate, so they agree to a few
    # decimetres at most, and only ours maps back onto the input.
    published_gcj = (116.39762729119315, 39.90865673957631)  # bd09togcj02(116.404, 39.915)
    published_wgs = (116.39775550083061, 39.91359571849836)  # gcj02towgs84(116.404, 39.915)
    ours_gcj = bd09_to_gcj02(*TIANANMEN)
    ours_wgs = gcj02_to_wgs84(*TIANANMEN)
    assert metres_apart(ours_gcj, published_gcj) < 0.5
    assert metres_apart(ours_wgs, published_wgs) < 0.5
    assert metres_apart(gcj02_to_bd09(*ours_gcj), TIANANMEN) < 1e-6
    assert metres_apart(wgs84_to_gcj02(*ours_wgs), TIANANMEN) < 1e-6
    assert metres_apart(wgs84_to_gcj02(*published_wgs), TIANANMEN) > metres_apart(
        wgs84_to_gcj02(*ours_wgs), TIANANMEN
    )


@pytest.mark.parametrize(
    ("wgs", "gcj"),
    [
        ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
        ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
        ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
    ],
)
def test_wgs84_to_gcj02_matches_eviltransform_suite(
    wgs: tuple[float, float], gcj: tuple[float, float]
) -> None:
    assert wgs84_to_gcj02(*wgs) == pytest.approx(gcj, abs=1e-9)
    assert gcj02_to_wgs84(*gcj) == pytest.approx(wgs, abs=1e-9)


def test_gcj02_offset_is_hundreds_of_metres_in_china() -> None:
    lng, lat = china_grid()
    shift = metres_apart(wgs84_to_gcj02(lng, lat), (lng, lat))
    assert shift.min() > 1.0
    assert shift.max() < 1500.0


# --- round trips -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("forward", "inverse"),
    [(wgs84_to_gcj02, gcj02_to_wgs84), (gcj02_to_bd09, bd09_to_gcj02), (wgs84_to_bd09, bd09_to_wgs84)],
)
def test_round_trips_are_within_a_centimetre_all_over_china(
    forward: Callable[..., Any], inverse: Callable[..., Any]
) -> None:
    lng, lat = china_grid()
    there = forward(lng, lat)
    back = inverse(*there)
    assert metres_apart(back, (lng, lat)).max() < 0.01
    # and the other way round: the inverse of any target point is found
    back_first = inverse(lng, lat)
    assert metres_apart(forward(*back_first), (lng, lat)).max() < 0.01


inside_china = st.tuples(
    st.floats(min_value=72.06, max_value=137.78, allow_nan=False),
    st.floats(min_value=0.88, max_value=55.78, allow_nan=False),
)


@given(inside_china)
def test_gcj02_round_trip_property(point: tuple[float, float]) -> None:
    assert metres_apart(gcj02_to_wgs84(*wgs84_to_gcj02(*point)), point) < 0.01


@given(inside_china)
def test_bd09_round_trip_property(point: tuple[float, float]) -> None:
    assert metres_apart(bd09_to_wgs84(*wgs84_to_bd09(*point)), point) < 0.01
    assert metres_apart(bd09_to_gcj02(*gcj02_to_bd09(*point)), point) < 0.01


@given(inside_china, st.sampled_from(list(Datum)))
def test_to_wgs84_undoes_from_wgs84_property(point: tuple[float, float], datum: Datum) -> None:
    assert metres_apart(to_wgs84(*from_wgs84(*point, datum), datum), point) < 0.01


# --- outside China -----------------------------------------------------------------------------------------------

OUTSIDE = {
    "Tokyo": (139.6917, 35.6895),
    "London": (-0.1276, 51.5072),
    "Sydney": (151.2093, -33.8688),
    "Ulaanbaatar north of the box": (106.9, 56.2),
}


@pytest.mark.parametrize(
    "convert",
    [wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, wgs84_to_bd09, bd09_to_wgs84],
)
def test_points_outside_china_are_unchanged(convert: Callable[..., Any]) -> None:
    lng = np.array([p[0] for p in OUTSIDE.values()])
    lat = np.array([p[1] for p in OUTSIDE.values()])
    out_lng, out_lat = convert(lng, lat)
    np.testing.assert_array_equal(out_lng, lng)
    np.testing.assert_array_equal(out_lat, lat)


def test_mixed_arrays_convert_only_the_points_in_china() -> None:
    lng = np.array([116.404, 139.6917])
    lat = np.array([39.915, 35.6895])
    out_lng, out_lat = wgs84_to_gcj02(lng, lat)
    assert (out_lng[0], out_lat[0]) == pytest.approx((116.41024449916938, 39.91640428150164), abs=1e-12)
    assert (out_lng[1], out_lat[1]) == (139.6917, 35.6895)


# --- shapes, datums ------------------------------------------------------------------------------------------


def test_scalars_in_give_floats_out_and_arrays_keep_their_shape() -> None:
    lng, lat = wgs84_to_gcj02(116.404, 39.915)
    assert type(lng) is float and type(lat) is float
    grid_lng = np.full((2, 3), 116.404)
    out_lng, out_lat = bd09_to_wgs84(grid_lng, 39.915)
    assert out_lng.shape == (2, 3) and out_lat.shape == (2, 3)
    assert out_lng.dtype == np.float64
    empty_lng, empty_lat = gcj02_to_wgs84([], [])
    assert empty_lng.shape == (0,) and empty_lat.shape == (0,)


def test_input_arrays_are_not_modified() -> None:
    lng = np.array([116.404, 121.47])
    lat = np.array([39.915, 31.23])
    gcj02_to_wgs84(lng, lat)
    np.testing.assert_array_equal(lng, [116.404, 121.47])


def test_cgcs2000_and_wgs84_pass_through() -> None:
    for datum in (Datum.WGS84, Datum.CGCS2000, "cgcs2000"):
        assert to_wgs84(116.404, 39.915, datum) == (116.404, 39.915)
        assert from_wgs84(116.404, 39.915, datum) == (116.404, 39.915)


def test_datum_dispatch_uses_the_named_conversion() -> None:
    assert to_wgs84(*TIANANMEN, "gcj02") == gcj02_to_wgs84(*TIANANMEN)
    assert to_wgs84(*TIANANMEN, Datum.BD09) == bd09_to_wgs84(*TIANANMEN)
    assert from_wgs84(*TIANANMEN, "bd09") == wgs84_to_bd09(*TIANANMEN)


def test_unknown_datum_is_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        to_wgs84(116.404, 39.915, "beijing54")


# --- axis order ----------------------------------------------------------------------------------------------


def test_order_helpers_put_lng_and_lat_where_each_format_wants_them() -> None:
    assert geojson_position(lat=39.9, lng=116.4) == [116.4, 39.9]
    assert leaflet_latlng(lng=116.4, lat=39.9) == [39.9, 116.4]
    assert latlng_from_geojson([116.4, 39.9, 50.0]) == (39.9, 116.4)
    assert bbox_from_leaflet_bounds([[39.8, 116.3], [40.0, 116.5]]) == (116.3, 39.8, 116.5, 40.0)


# --- H3 --------------------------------------------------------------------------------------------------------


def random_points_in_china(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(18.0, 53.5, n), rng.uniform(73.5, 135.0, n)  # lat, lng


def reference_cells(lat: np.ndarray, lng: np.ndarray, res: int) -> np.ndarray:
    return np.array([h3.str_to_int(h3.latlng_to_cell(a, b, res)) for a, b in zip(lat, lng, strict=True)])


@pytest.mark.parametrize("res", [7, 8, 9])
def test_h3_cells_equal_h3_latlng_to_cell(res: int) -> None:
    lat, lng = random_points_in_china(5000)
    cells = h3_cells(lat, lng, res)
    assert cells.dtype == np.int64
    assert (cells > 0).all()  # fits a PostgreSQL bigint unchanged
    np.testing.assert_array_equal(cells, reference_cells(lat, lng, res))


def test_loop_fallback_equals_h3_latlng_to_cell() -> None:
    lat, lng = random_points_in_china(2000, seed=11)
    np.testing.assert_array_equal(coords._h3_cells_loop(lat, lng, 9), reference_cells(lat, lng, 9))


def test_cells_all_res_gives_the_containing_cell_at_each_resolution() -> None:
    lat, lng = random_points_in_china(3000, seed=3)
    by_res = cells_all_res(lat, lng)
    assert sorted(by_res) == [7, 8, 9]
    for res, cells in by_res.items():
        np.testing.assert_array_equal(cells, reference_cells(lat, lng, res))


def test_h3_cells_take_scalars_and_empty_arrays() -> None:
    assert h3_cells(39.915, 116.404, 9).tolist() == [h3.str_to_int(h3.latlng_to_cell(39.915, 116.404, 9))]
    assert h3_cells([], [], 9).shape == (0,)


@pytest.mark.parametrize(
    ("lat", "lng", "res"),
    [(float("nan"), 116.0, 9), (95.0, 116.0, 9), (39.9, 190.0, 9), (39.9, 116.4, 16), (39.9, 116.4, -1)],
)
def test_h3_cells_reject_bad_input(lat: float, lng: float, res: int) -> None:
    with pytest.raises(InvalidInput):
        h3_cells(lat, lng, res)


def test_cell_string_and_int_forms_round_trip() -> None:
    cell = h3.latlng_to_cell(39.915, 116.404, 9)
    as_int = cell_to_int(cell)
    assert as_int == h3.str_to_int(cell)
    assert int_to_cell(as_int) == cell
    assert int_to_cell(np.int64(as_int)) == cell  # type: ignore[arg-type]
    for bad in ("zz", "8928308280fffff1", ""):
        with pytest.raises(InvalidInput):
            cell_to_int(bad)
    for bad_int in (5, -1):
        with pytest.raises(InvalidInput):
            int_to_cell(bad_int)


def test_cell_boundary_is_a_closed_geojson_ring_around_the_point() -> None:
    cell = int(h3_cells(39.915, 116.404, 9)[0])
    ring = cell_boundary_lnglat(cell)
    assert len(ring) == 7 and ring[0] == ring[-1]
    lngs = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    assert min(lngs) < 116.404 < max(lngs)  # first element is longitude
    assert min(lats) < 39.915 < max(lats)


def test_grid_disk_ints_counts_rings_and_includes_the_centre() -> None:
    cell = int(h3_cells(39.915, 116.404, 8)[0])
    assert grid_disk_ints(cell, 0) == [cell]
    disk = grid_disk_ints(cell, 2)
    assert len(disk) == 19 and cell in disk and disk == sorted(disk)
    assert set(disk) == {h3.str_to_int(c) for c in h3.grid_disk(h3.int_to_str(cell), 2)}
    with pytest.raises(InvalidInput):
        grid_disk_ints(cell, -1)
