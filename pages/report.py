"""The printable monthly report (月度报告): KPI table, an SVG choropleth drawn server-side from the geometries
(no tiles, no internet) and inline SVG sparklines of the last 12 months. Pure: data in, HTML text out; every
piece of data is escaped. Its look is ``assets/printable.css``, its print button ``assets/visit_public.js`` (the CSP
allows no inline script, so an ``onclick`` attribute never ran)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from enforcement.measures import BY_KEY, Measure, format_value
from layers.styles import count_scale, rate_scale

SPARK_KEYS = ("repeat_rate", "joint_rate", "visits_spared", "planned_share", "random_draw_share",
              "code_shown_rate", "remote_closure_rate", "response_median_min", "sla_compliance", "satisfaction")


def _rings(geom: Mapping[str, Any]) -> list[list[list[float]]]:
    if geom["type"] == "Polygon":
        return list(geom["coordinates"])
    if geom["type"] == "MultiPolygon":
        return [ring for poly in geom["coordinates"] for ring in poly]
    return []


def map_svg(fc: Mapping[str, Any], measure_key: str, *, width: int = 640, height: int = 480) -> str:
    """An SVG choropleth of ``fc`` (WGS-84 GeoJSON, ``properties.value``): equirectangular, scaled by cos(lat)."""
    feats = [f for f in fc.get("features", []) if f.get("geometry")]
    pts = [p for f in feats for ring in _rings(f["geometry"]) for p in ring]
    if not pts:
        return '<p class="muted">无地图数据 · no map data</p>'
    min_x, max_x = min(p[0] for p in pts), max(p[0] for p in pts)
    min_y, max_y = min(p[1] for p in pts), max(p[1] for p in pts)
    kx = math.cos(math.radians((min_y + max_y) / 2))
    span_x, span_y = max((max_x - min_x) * kx, 1e-9), max(max_y - min_y, 1e-9)
    scale = min((width - 20) / span_x, (height - 20) / span_y)
    d = BY_KEY[measure_key]
    values = [f["properties"].get("value") for f in feats if f["properties"].get("value") is not None]
    cs = rate_scale() if d.unit == "ratio" else count_scale(max(values, default=1))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(d.name_zh)}">']
    for f in feats:
        v = f["properties"].get("value")
        fill = cs.color_of(v) if v is not None else "#eeeeee"
        path = " ".join(
            "M" + " L".join(f"{10 + (x - min_x) * kx * scale:.1f},{height - 10 - (y - min_y) * scale:.1f}"
                            for x, y, *_ in ring) + " Z"
            for ring in _rings(f["geometry"]))
        label = f"{f['properties'].get('name', '')}: {format_value(v, d.unit)}"
        out.append(f'<path d="{path}" fill="{fill}" stroke="#555" stroke-width="0.6">'
                   f"<title>{escape(label)}</title></path>")
    out.append("</svg>")
    legend = "".join(f'<span class="sw" style="background:{c}"></span>≥ {escape(format_value(b, d.unit))} '
                     for b, c in zip(cs.breaks, cs.colors, strict=False))
    return "".join(out) + f'<div class="legend">{escape(d.name_zh)}: {legend}</div>'


def sparkline(values: Sequence[float | None], *, width: int = 160, height: int = 36) -> str:
    """An inline SVG polyline of the values (gaps for None); empty box when there is nothing."""
    vals = [v for v in values if v is not None]
    if not vals:
        return f'<svg width="{width}" height="{height}"></svg>'
    lo, hi = min(vals), max(vals)
    span = (hi - lo) or 1.0
    step = (width - 4) / max(len(values) - 1, 1)
    pts = [f"{2 + i * step:.1f},{height - 3 - (v - lo) / span * (height - 6):.1f}"
           for i, v in enumerate(values) if v is not None]
    dots = "".join(f'<circle cx="{p.split(",")[0]}" cy="{p.split(",")[1]}" r="1.8" fill="#08519c"/>' for p in pts)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
            f'<polyline fill="none" stroke="#08519c" stroke-width="1.5" points="{" ".join(pts)}"/>{dots}</svg>')


def _num(v: float | None) -> str:
    return "—" if v is None else (f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}")


def render_monthly(*, title: str, area_name: str, month: str, measures: Mapping[str, Measure],
                   trend: Mapping[str, Mapping[str, Measure]], fc: Mapping[str, Any], measure_key: str,
                   filter_text: str) -> str:
    """The whole report page (HTML5, print styles included)."""
    months = sorted(trend)
    rows = []
    for key, m in measures.items():
        spark = sparkline([trend[mo][key].value if key in trend[mo] else None for mo in months]) \
            if key in SPARK_KEYS else ""
        rows.append(f"<tr><td>{escape(m.name_zh)}<br><small>{escape(m.name_en)}</small></td>"
                    f'<td class="num">{escape(m.display())}</td><td class="num">{_num(m.numerator)}</td>'
                    f'<td class="num">{_num(m.denominator)}</td><td>{spark}</td></tr>')
    defs = "".join(f"<dt>{escape(d.name_zh)} · {escape(d.name_en)}</dt><dd>{escape(d.definition_zh)}<br>"
                   f"<small>{escape(d.definition_en)}</small></dd>" for d in BY_KEY.values())
    span = f"{escape(months[0])} – {escape(months[-1])}" if months else ""
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}</title>
<link rel="stylesheet" href="/assets/printable.css"><script src="/assets/visit_public.js" defer></script>
</head><body class="gc-report">
<h1 id="report-title">{escape(title)}</h1>
<p class="sub">{escape(area_name)} · {escape(month)} · {escape(filter_text)}
<button class="noprint" type="button" data-gc-print>打印 Print</button></p>
<h2>指标 · Measures</h2>
<table id="report-kpis"><tr><th>指标 Measure</th><th>值 Value</th><th>分子 Numerator</th><th>分母 Denominator</th>
<th>近12个月 {span}</th></tr>{"".join(rows)}</table>
<h2>地图 · Map: {escape(BY_KEY[measure_key].name_zh)}</h2>
<div id="report-map">{map_svg(fc, measure_key)}</div>
<h2>指标定义 · Definitions</h2><dl>{defs}</dl>
</body></html>"""
