"""The field app's hand-off links: each map app gets the destination in its own datum and its own URL form."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from geo_data import coords
from layers.field_nav import display_point, navigation_links

LNG, LAT = 119.6495, 29.0895  # 婺城区, WGS-84


def test_each_app_gets_its_datum() -> None:
    links = navigation_links(lng=LNG, lat=LAT, name="金华市某企业|分店")
    g_lng, g_lat = coords.from_wgs84(LNG, LAT, coords.Datum.GCJ02)
    b_lng, b_lat = coords.from_wgs84(LNG, LAT, coords.Datum.BD09)
    amap = urlsplit(links["amap"])
    assert amap.scheme == "https" and amap.netloc == "uri.amap.com" and amap.path == "/marker"
    q = parse_qs(amap.query)
    assert q["position"] == [f"{g_lng:.6f},{g_lat:.6f}"] and q["coordinate"] == ["gaode"]
    baidu = unquote(links["baidu"])
    assert baidu.startswith(f"baidumap://map/direction?destination=latlng:{b_lat:.6f},{b_lng:.6f}|name:金华市某企业 分店&")
    assert "coord_type=bd09ll" in baidu
    tencent = parse_qs(urlsplit(links["tencent"]).query)
    assert links["tencent"].startswith("qqmap://map/routeplan?") and tencent["tocoord"] == [f"{g_lat:.6f},{g_lng:.6f}"]
    # the datums differ by hundreds of metres here: a link in the wrong datum would be visibly off
    assert abs(g_lng - LNG) > 1e-3 and abs(b_lng - g_lng) > 1e-3


def test_display_point_is_leaflet_order_in_the_tiles_datum() -> None:
    assert display_point(LNG, LAT, "wgs84") == [LAT, LNG]
    g_lng, g_lat = coords.from_wgs84(LNG, LAT, coords.Datum.GCJ02)
    assert display_point(LNG, LAT, "gcj02") == [g_lat, g_lng]
    assert display_point(None, LAT, "wgs84") is None
