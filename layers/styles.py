"""Colour scales and category colours, in Python; handed to the browser through ``hideout``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RISK_COLORS: dict[str, str] = {"high": "#d7301f", "elevated": "#fc8d59", "general": "#fdcc8a", "low": "#4daf4a"}
SEVERITY_COLORS: dict[str, str] = {"urgent": "#b10026", "high": "#e31a1c", "medium": "#fd8d3c", "low": "#fecc5c"}
TEAM_STATUS_COLORS: dict[str, str] = {"idle": "#1a9850", "out": "#4575b4", "en_route": "#fdae61",
                                      "on_site": "#d73027", "rest": "#999999"}
# One glyph per alert source kind (text glyphs: no icon files, nothing fetched from the internet).
SOURCE_GLYPHS: dict[str, str] = {"drone": "✈", "ai_camera": "◉", "sensor": "◈", "complaint": "☎"}

# Sequential scale (ColorBrewer YlOrRd, 7 classes) for counts and rates.
SEQUENTIAL = ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"]


@dataclass(frozen=True)
class ColorScale:
    """Class breaks (ascending lower bounds, first is the minimum) and one colour per class."""

    breaks: tuple[float, ...]
    colors: tuple[str, ...]
    prop: str = "value"

    def color_of(self, value: float | None) -> str:
        """The colour of ``value`` (the first class for None or anything below the first break)."""
        if value is None:
            return self.colors[0]
        color = self.colors[0]
        for lower, c in zip(self.breaks, self.colors, strict=False):
            if value >= lower:
                color = c
        return color

    def hideout(self) -> dict[str, Any]:
        """What ``gc.cellStyle`` reads: breaks, colours and the feature property to colour by."""
        return {"breaks": list(self.breaks), "colors": list(self.colors), "prop": self.prop}


def count_scale(max_value: float, prop: str = "value") -> ColorScale:
    """Classes for counts from 0 to ``max_value``: 0, then roughly geometric steps (readable legends)."""
    top = max(float(max_value), 1.0)
    n = len(SEQUENTIAL)
    raw = [0.0] + [top ** (i / (n - 1)) for i in range(n - 1)]
    breaks: list[float] = []
    for b in raw:
        b = float(round(b))
        if not breaks or b > breaks[-1]:
            breaks.append(b)
    return ColorScale(tuple(breaks), tuple(SEQUENTIAL[: len(breaks)]), prop)


def rate_scale(prop: str = "value") -> ColorScale:
    """Fixed classes for shares 0..1 (so maps of different periods compare)."""
    return ColorScale((0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75), tuple(SEQUENTIAL), prop)
