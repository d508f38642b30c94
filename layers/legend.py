"""Legend entries (pure data) for the choropleth and the point layers; the page turns them into components."""

from __future__ import annotations

from collections.abc import Callable

from layers.i18n import format_number, format_percent, t
from layers.styles import RISK_COLORS, SEVERITY_COLORS, SOURCE_GLYPHS, TEAM_STATUS_COLORS, ColorScale


def scale_entries(scale: ColorScale, *, rate: bool, lang: str) -> list[tuple[str, str]]:
    """(colour, label) per class: '≥ lower' labels, percentages for rates."""
    fmt: Callable[[float], str] = ((lambda v: format_percent(v, lang, digits=0)) if rate
                                   else (lambda v: format_number(v, lang)))
    return [(c, f"≥ {fmt(b)}") for b, c in zip(scale.breaks, scale.colors, strict=False)]


def category_entries(lang: str) -> dict[str, list[tuple[str, str]]]:
    """Colour keys of the point layers: risk grades, severities, team statuses, alert sources (glyphs)."""
    return {
        "risk": [(c, t(f"risk.{k}", lang)) for k, c in RISK_COLORS.items()],
        "severity": [(c, t(f"severity.{k}", lang)) for k, c in SEVERITY_COLORS.items()],
        "team": [(c, t(f"status.{k}", lang)) for k, c in TEAM_STATUS_COLORS.items()],
        "source": [(g, t(f"source.{k}", lang)) for k, g in SOURCE_GLYPHS.items()],
    }
