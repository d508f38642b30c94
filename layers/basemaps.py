"""Basemap tile layers chosen by ``MapSettings.basemap``, and the datum the overlays must be drawn in.

``none`` (the default) needs no internet: boundaries and cells on a plain background styled in CSS.
Amap/Gaode tiles are in GCJ-02, so every overlay coordinate is shifted to GCJ-02 on the server
(``display_datum`` -> ``geo_data.coords.from_wgs84``) and clicked/bbox coordinates are shifted back.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo_data.settings import MapSettings

_TIANDITU = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
             "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
             "&TILECOL={{x}}&tk={key}")


@dataclass(frozen=True)
class TileSpec:
    """One XYZ tile layer (Leaflet URL template)."""

    url: str
    attribution: str
    subdomains: str = "abc"
    max_zoom: int = 18


def tile_layers(settings: MapSettings) -> list[TileSpec]:
    """The tile layers for the configured basemap, bottom first (empty for ``none``)."""
    match settings.basemap:
        case "none":
            return []
        case "tianditu":
            if not settings.tianditu_key:
                return []
            return [TileSpec(_TIANDITU.format(s="{s}", layer=layer, key=settings.tianditu_key),
                             "© 天地图 Tianditu", subdomains="01234567") for layer in ("vec", "cva")]
        case "amap":
            return [TileSpec("https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
                             "&x={x}&y={y}&z={z}", "© 高德地图 AutoNavi", subdomains="1234")]
        case "osm":
            return [TileSpec("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                             "© OpenStreetMap contributors", subdomains="abc", max_zoom=19)]
        case "xyz":
            return [TileSpec(settings.xyz_url, settings.xyz_attribution)] if settings.xyz_url else []
    return []


def display_datum(settings: MapSettings) -> str:
    """The datum overlays are drawn in: 'gcj02' over Amap tiles, else 'wgs84'."""
    return "gcj02" if settings.basemap == "amap" else "wgs84"


def tile_hosts(settings: MapSettings) -> list[str]:
    """The origins the configured basemap's tiles come from (``https://t0.tianditu.gov.cn`` …), for the CSP
    ``img-src``: every subdomain spelled out, nothing else."""
    from urllib.parse import urlsplit

    hosts: list[str] = []
    for spec in tile_layers(settings):
        for sub in spec.subdomains if "{s}" in spec.url else " ":
            parts = urlsplit(spec.url.replace("{s}", sub.strip()))
            if parts.scheme in ("http", "https") and parts.netloc and "{" not in parts.netloc:
                origin = f"{parts.scheme}://{parts.netloc}"
                if origin not in hosts:
                    hosts.append(origin)
    return hosts
