"""Travel-time estimates for team recommendation: straight line with a detour factor (default) or OSRM.

``estimator_for(settings)`` picks the implementation named by ``DispatchSettings.travel``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import requests

from geo_data.settings import DispatchSettings

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS-84 points (degrees)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


class TravelTimeEstimator(Protocol):
    """Minutes from each origin (lng, lat) to one destination (lng, lat)."""

    def minutes(self, origins: Sequence[tuple[float, float]], dest: tuple[float, float]) -> list[float]: ...


class StraightLineEstimator:
    """Haversine × detour factor, at a speed chosen by trip length (urban / rural / highway road class)."""

    def __init__(self, settings: DispatchSettings) -> None:
        self.s = settings

    def minutes_for_m(self, straight_m: float) -> float:
        road_km = straight_m * self.s.detour_factor / 1000.0
        if road_km <= self.s.urban_km:
            kmh = self.s.urban_kmh
        elif road_km <= self.s.rural_km:
            kmh = self.s.rural_kmh
        else:
            kmh = self.s.highway_kmh
        return road_km / kmh * 60.0

    def minutes(self, origins: Sequence[tuple[float, float]], dest: tuple[float, float]) -> list[float]:
        return [self.minutes_for_m(haversine_m(o[0], o[1], dest[0], dest[1])) for o in origins]


class OsrmEstimator:
    """OSRM ``table`` service durations; falls back to the straight-line estimate when OSRM does not answer."""

    def __init__(self, settings: DispatchSettings) -> None:
        self.s = settings
        self.fallback = StraightLineEstimator(settings)

    def minutes(self, origins: Sequence[tuple[float, float]], dest: tuple[float, float]) -> list[float]:
        if not origins:
            return []
        coords = ";".join(f"{lng:.6f},{lat:.6f}" for lng, lat in [*origins, dest])
        url = f"{self.s.osrm_url.rstrip('/')}/table/v1/driving/{coords}"
        try:
            r = requests.get(url, params={"destinations": str(len(origins)), "annotations": "duration"},
                             timeout=self.s.osrm_timeout_s)
            r.raise_for_status()
            rows = r.json()["durations"]
            return [float(row[0]) / 60.0 if row[0] is not None else math.inf for row in rows[: len(origins)]]
        except (requests.RequestException, KeyError, ValueError, TypeError, IndexError):
            return self.fallback.minutes(origins, dest)


def estimator_for(settings: DispatchSettings) -> TravelTimeEstimator:
    """The estimator ``settings.travel`` names."""
    return OsrmEstimator(settings) if settings.travel == "osrm" else StraightLineEstimator(settings)
