"""The map's layers, declared once: id, titles, zoom range, style function and popup fields.

The page builds its toggles and legend from here; the browser-side functions named in ``style`` /
``point_to_layer`` live in ``assets/gridcommand.js`` under ``window.gc``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from layers.i18n import t


@dataclass(frozen=True)
class LayerSpec:
    """One map layer. ``min_zoom``/``max_zoom`` bound where the server sends it (inclusive)."""

    id: str
    title_zh: str
    title_en: str
    min_zoom: int = 0
    max_zoom: int = 22
    style: str | None = None            # gc.<name> style function
    point_to_layer: str | None = None   # gc.<name> pointToLayer function
    popup_fields: tuple[str, ...] = field(default_factory=tuple)
    live: bool = False                  # updated by push
    default_on: bool = True

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_zh

    def visible_at(self, zoom: float) -> bool:
        return self.min_zoom <= zoom <= self.max_zoom


def _spec(id_: str, key: str, **kw: object) -> LayerSpec:
    return LayerSpec(id=id_, title_zh=t(key, "zh"), title_en=t(key, "en"), **kw)  # type: ignore[arg-type]


def build_registry(points_min_zoom: int = 14) -> dict[str, LayerSpec]:
    """The layers in drawing order (bottom first); enterprises switch from cells to points at ``points_min_zoom``."""
    specs = [
        _spec("townships", "layer.townships", style="townshipStyle", popup_fields=("name", "code")),
        _spec("cells", "layer.cells", max_zoom=points_min_zoom - 1, style="cellStyle",
              popup_fields=("cell", "value")),
        _spec("enterprises", "layer.enterprises", min_zoom=points_min_zoom, point_to_layer="enterprisePoint",
              popup_fields=("name", "uscc", "industry", "risk", "credit", "last_visits")),
        _spec("visits", "layer.visits", point_to_layer="visitPoint", popup_fields=("enterprise_name", "time"),
              default_on=False),
        _spec("incidents", "layer.incidents", point_to_layer="incidentPoint", live=True,
              popup_fields=("type", "severity", "status", "alert_count")),
        _spec("alerts", "layer.alerts", point_to_layer="alertPoint", live=True,
              popup_fields=("type", "source", "severity", "time")),
        _spec("teams", "layer.teams", point_to_layer="teamPoint", live=True,
              popup_fields=("name", "status", "members")),
    ]
    return {s.id: s for s in specs}


REGISTRY = build_registry()

# Cell measures the choropleth can show: id -> (i18n key, kind). 'count' measures come from the
# pre-aggregated h3_cells counts, 'rate' measures are computed from visits for the chosen period.
MEASURES: dict[str, tuple[str, str]] = {
    "enterprises": ("measure.enterprises", "count"),
    "high_risk": ("measure.high_risk", "count"),
    "visits": ("measure.visits", "count"),
    "open_alerts": ("measure.open_alerts", "count"),
    "repeat_rate": ("measure.repeat_rate", "rate"),
    "coverage": ("measure.coverage", "rate"),
}


# Mean H3 cell areas (km²) and the most cells one view may draw (keeps a view's payload near 250 KB).
CELL_AREA_KM2 = {7: 5.161, 8: 0.737, 9: 0.105}
MAX_CELLS_IN_VIEW = 1000


def cell_resolution(zoom: float, view_km2: float | None = None) -> int:
    """The H3 resolution drawn at ``zoom``: 7 up to zoom 10, 8 at 11-12, 9 from 13 — coarser when the view
    (``view_km2``, if given) would hold more than MAX_CELLS_IN_VIEW cells of that resolution."""
    res = 7 if zoom <= 10 else 8 if zoom <= 12 else 9
    while view_km2 is not None and res > 7 and view_km2 / CELL_AREA_KM2[res] > MAX_CELLS_IN_VIEW:
        res -= 1
    return res


def bbox_km2(bbox: tuple[float, float, float, float]) -> float:
    """Approximate area of a lng/lat bbox in km² (equirectangular; fine for choosing a resolution)."""
    min_lng, min_lat, max_lng, max_lat = bbox
    mid = math.radians((min_lat + max_lat) / 2)
    return abs(max_lng - min_lng) * 111.32 * math.cos(mid) * abs(max_lat - min_lat) * 110.57


# Wall display KPI tiles, in display order (i18n keys kpi.<id>).
WALL_KPIS = ("alerts_today", "incidents_open", "response_median", "joint_rate", "repeat_rate", "code_rate",
             "remote_rate")
