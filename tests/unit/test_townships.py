"""Generated townships tile the real county outline; bundled reference data is consistent; the register
generator is deterministic and keeps everything inside the county."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import shapely

from geo_data import reference
from geo_data.demo import generate_enterprises
from geo_data.townships import bundled_county, bundled_townships, generate_townships, township_kind
from geo_data.uscc import is_valid_uscc

WUCHENG = "330702"


def _km2(geom: shapely.Geometry) -> float:
    return float(geom.area) * 111.32 * 110.574 * math.cos(math.radians(29.0))


@pytest.fixture(scope="module")
def county() -> shapely.Geometry:
    return bundled_county(WUCHENG).geom


@pytest.fixture(scope="module")
def townships(county: shapely.Geometry) -> list[tuple[str, str, shapely.Geometry]]:
    return generate_townships(county, bundled_townships(WUCHENG), seed=42)


def _assert_tiles(county: shapely.Geometry, tiles: list[shapely.Geometry]) -> None:
    union = shapely.union_all(tiles)
    assert abs(union.area - county.area) <= 1e-9 * county.area
    assert shapely.symmetric_difference(union, county).area <= 1e-9 * county.area
    for a, b in itertools.combinations(tiles, 2):
        assert a.intersection(b).area == 0.0
    for t in tiles:
        assert t.is_valid and not t.is_empty and t.geom_type == "MultiPolygon"


def test_wucheng_has_its_26_real_townships(townships: list[tuple[str, str, shapely.Geometry]]) -> None:
    assert len(townships) == 26
    names = dict((c, n) for c, n, _ in townships)
    assert names["330702001"] == "城东街道" and names["330702106"] == "汤溪镇" and names["330702209"] == "苏孟乡"
    assert sum(township_kind(c) == "street" for c in names) == 9


@pytest.mark.parametrize("seed", [42, 7, 2024])
def test_generated_townships_tile_the_county_exactly(county: shapely.Geometry, seed: int) -> None:
    tiles = [g for _, _, g in generate_townships(county, bundled_townships(WUCHENG), seed=seed)]
    _assert_tiles(county, tiles)


def test_townships_are_placed_like_the_real_ones(townships: list[tuple[str, str, shapely.Geometry]],
                                                 county: shapely.Geometry) -> None:
    by_code = {c: g for c, _, g in townships}
    centre = shapely.Point(119.65, 29.08)
    streets = [g for c, g in by_code.items() if township_kind(c) == "street"]
    others = [g for c, g in by_code.items() if township_kind(c) != "street"]
    # streets: small and packed in the urban centre; towns and townships large
    assert max(_km2(g) for g in streets) < 20
    assert np.median([_km2(g) for g in others]) > 4 * np.median([_km2(g) for g in streets])
    assert all(g.centroid.distance(centre) < 0.07 for g in streets)
    mid_lat = (county.bounds[1] + county.bounds[3]) / 2
    for code in ("330702204", "330702205", "330702206", "330702208"):   # 箬阳 沙畈 塔石 莘畈: southern mountains
        assert by_code[code].centroid.y < mid_lat
    for code in ("330702106", "330702107", "330702108", "330702105"):   # 汤溪 罗埠 洋埠 蒋堂: the west
        assert by_code[code].centroid.x < 119.5
    assert by_code["330702100"].centroid.y > 29.15                      # 罗店: the northern hills
    assert all(len(g.geoms) == 1 for g in by_code.values())


def test_generation_is_deterministic_by_seed(county: shapely.Geometry) -> None:
    names = bundled_townships(WUCHENG)
    a = [shapely.to_wkb(g) for _, _, g in generate_townships(county, names, seed=5)]
    b = [shapely.to_wkb(g) for _, _, g in generate_townships(county, names, seed=5)]
    c = [shapely.to_wkb(g) for _, _, g in generate_townships(county, names, seed=6)]
    assert a == b and a != c


def test_a_county_without_anchors_still_tiles() -> None:
    lianduh = bundled_county("331102")                                   # 莲都区: automatic placement
    tiles = generate_townships(lianduh.geom, bundled_townships("331102"), seed=1)
    assert len(tiles) == len(bundled_townships("331102"))
    _assert_tiles(lianduh.geom, [g for _, _, g in tiles])


def test_reference_data_is_complete_and_consistent() -> None:
    reference.check_reference()
    deps = reference.departments()
    assert len(deps) == 10 and {d.code for d in deps} >= {"market", "emergency", "fire", "comprehensive"}
    for d in deps:
        n = sum(i.department_code == d.code for i in reference.inspection_items())
        assert 4 <= n <= 8, d.code
    assert all("《" in i.legal_basis for i in reference.inspection_items())
    catering = next(i for i in reference.industries() if i.code == "catering")
    assert catering.busy_windows == [["11:00", "13:30"], ["17:00", "19:30"]]
    assert len(reference.industries()) >= 20
    vending = next(a for a in reference.alert_types() if a.code == "street_vending")
    discharge = next(a for a in reference.alert_types() if a.code == "illegal_discharge")
    assert vending.remote_closable and not discharge.remote_closable


def test_register_is_inside_the_county_valid_and_deterministic(
    county: shapely.Geometry, townships: list[tuple[str, str, shapely.Geometry]],
) -> None:
    a = generate_enterprises(county, townships, n=4000, seed=3, county_code=WUCHENG)
    b = generate_enterprises(county, townships, n=4000, seed=3, county_code=WUCHENG)
    c = generate_enterprises(county, townships, n=4000, seed=4, county_code=WUCHENG)
    assert a.equals(b) and not a["uscc"].equals(c["uscc"])
    assert shapely.contains_xy(county, a["lng"].to_numpy(), a["lat"].to_numpy()).all()
    assert a["uscc"].is_unique and all(is_valid_uscc(u) and u[2:8] == WUCHENG for u in a["uscc"])
    assert a["township_code"].notna().all()
    share = a["risk"].value_counts(normalize=True)
    assert abs(share["high"] - 0.05) < 0.02 and abs(share["low"] - 0.30) < 0.04
    top = a["industry_code"].value_counts().index[:2].tolist()
    assert set(top) <= {"catering", "food_retail", "general_retail"}
    hazchem = a[a["industry_code"] == "hazchem"]
    assert (hazchem["risk"].isin(["high", "elevated"])).mean() > 0.7
    endings = tuple({"有限公司"} | {s for i in reference.industries() for s in i.shop_suffixes})
    assert a["name"].map(lambda name: name.endswith(endings)).all()
    assert (a["name"].str.startswith("金华市婺城区") | a["name"].str.endswith("有限公司")).all()
    assert a["address"].str.startswith("婺城区").all() and a["address"].str.endswith("号").all()
