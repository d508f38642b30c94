"""Where the field app points: hand-off links to the phone's map apps (each in its own datum) and points in the
datum the field map's tiles are drawn in. Coordinates are converted by ``geo_data.coords`` only.

- Amap (高德): ``https://uri.amap.com/marker?position=<lng>,<lat>&name=..&coordinate=gaode&callnative=1``, GCJ-02;
  the web URI opens the app when installed (``callnative=1``), else Amap's mobile web page.
- Baidu (百度): ``baidumap://map/direction?destination=latlng:<lat>,<lng>|name:..&coord_type=bd09ll&mode=driving
  &src=..``, BD-09.
- Tencent (腾讯): ``qqmap://map/routeplan?type=drive&to=..&tocoord=<lat>,<lng>&referer=..``, GCJ-02.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from geo_data import coords

APP_SOURCE = "gridcommand.field"  # Baidu's src / Tencent's referer: who is calling


def _fmt(value: float) -> str:
    return f"{value:.6f}"


def navigation_links(*, lng: float, lat: float, name: str) -> dict[str, str]:
    """The destination (WGS-84) as links for Amap, Baidu and Tencent maps, each in the datum the app expects."""
    g_lng, g_lat = coords.from_wgs84(lng, lat, coords.Datum.GCJ02)
    b_lng, b_lat = coords.from_wgs84(lng, lat, coords.Datum.BD09)
    label = (name or "").replace("|", " ")[:60] or "目的地"
    amap = "https://uri.amap.com/marker?" + urlencode(
        {"position": f"{_fmt(g_lng)},{_fmt(g_lat)}", "name": label, "coordinate": "gaode", "callnative": "1",
         "src": APP_SOURCE}, safe=",")
    baidu = ("baidumap://map/direction?destination=" + quote(f"latlng:{_fmt(b_lat)},{_fmt(b_lng)}|name:{label}",
                                                             safe=":,|")
             + "&" + urlencode({"coord_type": "bd09ll", "mode": "driving", "src": APP_SOURCE}))
    tencent = "qqmap://map/routeplan?" + urlencode(
        {"type": "drive", "to": label, "tocoord": f"{_fmt(g_lat)},{_fmt(g_lng)}", "referer": APP_SOURCE}, safe=",")
    return {"amap": amap, "baidu": baidu, "tencent": tencent}


def display_point(lng: float | None, lat: float | None, datum: str) -> list[float] | None:
    """A WGS-84 point as Leaflet ``[lat, lng]`` in the tiles' datum (``layers.basemaps.display_datum``)."""
    if lng is None or lat is None:
        return None
    d_lng, d_lat = coords.from_wgs84(float(lng), float(lat), datum)
    return coords.leaflet_latlng(float(d_lng), float(d_lat))
