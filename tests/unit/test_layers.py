"""Pure layer code: registry, resolution choice, colour scales, GeoJSON builders, basemaps, i18n."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from geo_data.coords import gcj02_to_wgs84
from geo_data.settings import MapSettings
from layers import geojson
from layers.basemaps import display_datum, tile_layers
from layers.i18n import format_datetime, format_percent, t
from layers.registry import MEASURES, REGISTRY, bbox_km2, build_registry, cell_resolution
from layers.styles import count_scale, rate_scale


def test_registry_declares_every_layer_once_with_both_titles() -> None:
    assert list(REGISTRY) == ["townships", "cells", "enterprises", "visits", "incidents", "alerts", "teams"]
    for spec in REGISTRY.values():
        assert spec.title("zh") and spec.title("en") and spec.title("zh") != spec.title("en")
    with pytest.raises(AttributeError):
        REGISTRY["cells"].min_zoom = 3  # type: ignore[misc]
    assert {s.id for s in REGISTRY.values() if s.live} == {"alerts", "incidents", "teams"}


def test_cells_give_way_to_enterprise_points_at_the_configured_zoom() -> None:
    reg = build_registry(points_min_zoom=14)
    assert reg["cells"].visible_at(13) and not reg["cells"].visible_at(14)
    assert reg["enterprises"].visible_at(14) and not reg["enterprises"].visible_at(13)


def test_resolution_follows_zoom_and_coarsens_for_wide_views() -> None:
    assert [cell_resolution(z) for z in (8, 10, 11, 12, 13, 16)] == [7, 7, 8, 8, 9, 9]
    small = (119.60, 29.05, 119.63, 29.07)            # ~6 km2: res 9 is fine
    wide = (119.3, 28.8, 119.9, 29.3)                 # ~3,200 km2: even res 8 would be >1000 cells
    assert cell_resolution(13, bbox_km2(small)) == 9
    assert cell_resolution(13, bbox_km2(wide)) == 7
    assert 2500 < bbox_km2(wide) < 3500


def test_count_scale_is_increasing_and_colours_values_by_class() -> None:
    scale = count_scale(500)
    assert list(scale.breaks) == sorted(set(scale.breaks)) and scale.breaks[0] == 0
    assert len(scale.colors) == len(scale.breaks)
    assert scale.color_of(0) == scale.colors[0]
    assert scale.color_of(500) == scale.colors[-1]
    assert scale.hideout()["colors"] == list(scale.colors)
    assert count_scale(0).breaks == (0.0, 1.0)  # an empty view still has a legend
    assert rate_scale().color_of(0.6) == rate_scale().colors[-2]


def test_point_features_have_ids_rounded_coordinates_and_only_listed_properties() -> None:
    rows = [{"id": 7, "lng": 119.123456789, "lat": 29.987654321, "name": "甲", "secret": "x"}]
    (f,) = geojson.point_features(rows, kind="enterprise", props=("name",))
    assert f["id"] == "enterprise:7"
    assert f["geometry"]["coordinates"] == [119.123457, 29.987654]
    assert set(f["properties"]) == {"name", "kind", "rid"}


def test_gcj02_display_shifts_points_and_polygons_and_shifts_back() -> None:
    rows = [{"id": 1, "lng": 119.65, "lat": 29.08}]
    (f,) = geojson.point_features(rows, kind="alert", props=(), datum="gcj02")
    x, y = f["geometry"]["coordinates"]
    assert 0.002 < abs(x - 119.65) + abs(y - 29.08) < 0.02        # a few hundred metres
    back = gcj02_to_wgs84(x, y)
    assert back == pytest.approx((119.65, 29.08), abs=2e-6)
    import h3.api.basic_int as h3

    cell = h3.latlng_to_cell(29.08, 119.65, 8)
    (c,) = geojson.cell_features([{"cell": cell}], values={cell: 3.0}, scale=count_scale(3), datum="gcj02")
    (w,) = geojson.cell_features([{"cell": cell}], values={cell: 3.0}, scale=count_scale(3))
    assert len(w["geometry"]["coordinates"][0]) == 7  # a closed hexagon
    assert c["geometry"]["coordinates"][0][0] != w["geometry"]["coordinates"][0][0]
    assert c["properties"]["value"] == 3.0 and c["properties"]["cls"] == len(count_scale(3).breaks) - 1


def test_cell_without_value_is_marked_empty() -> None:
    import h3.api.basic_int as h3

    cell = h3.latlng_to_cell(29.0, 119.0, 9)
    (c,) = geojson.cell_features([{"cell": cell}], values={}, scale=rate_scale())
    assert c["properties"]["value"] is None and c["id"] == f"cell:{cell}"


def test_routes_join_each_teams_visits_in_order() -> None:
    rows = [{"team_id": 1, "lng": 1.0, "lat": 2.0}, {"team_id": 1, "lng": 3.0, "lat": 4.0},
            {"team_id": 2, "lng": 5.0, "lat": 6.0}, {"team_id": None, "lng": 0.0, "lat": 0.0}]
    (r,) = geojson.route_features(rows)
    assert r["geometry"]["coordinates"] == [[1.0, 2.0], [3.0, 4.0]] and r["properties"]["stops"] == 2


def test_basemaps() -> None:
    assert tile_layers(MapSettings()) == [] and display_datum(MapSettings()) == "wgs84"
    amap = MapSettings(basemap="amap")
    assert display_datum(amap) == "gcj02" and "autonavi" in tile_layers(amap)[0].url
    tdt = tile_layers(MapSettings(basemap="tianditu", tianditu_key="K"))
    assert [("vec_w" in x.url, "cva_w" in x.url, "tk=K" in x.url) for x in tdt] == [(True, False, True),
                                                                                     (False, True, True)]
    assert "{z}" in tdt[0].url and tile_layers(MapSettings(basemap="tianditu")) == []
    assert tile_layers(MapSettings(basemap="xyz", xyz_url="http://tiles.local/{z}/{x}/{y}.png"))[0].url.startswith(
        "http://tiles.local")


def test_i18n_defaults_to_chinese_and_formats_for_each_language() -> None:
    assert t("layer.alerts") == "告警" and t("layer.alerts", "en") == "Alerts"
    assert t("capped", "en", n=10, m=99) == "showing 10 of 99 (high risk first), zoom in"
    assert t("no.such.key") == "no.such.key"
    moment = datetime(2026, 11, 21, 6, 5, tzinfo=UTC)   # 14:05 in Shanghai
    assert format_datetime(moment, "zh") == "2026年11月21日 14:05"
    assert format_datetime(moment, "en") == "2026-11-21 14:05"
    assert format_percent(0.1863) == "18.6%" and format_percent(None) == "—"
    assert all(t(key, "en") != key for key, _ in MEASURES.values())
