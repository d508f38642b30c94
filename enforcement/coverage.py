"""Coverage review rules over plain rows: blind spots, over/under-inspection, export columns, colour scale.

* Blind spot (盲区): an area (H3 cell or township) with at least one high-risk enterprise in the filter and
  none of them visited or remotely monitored in the period (``coverage_high`` numerator 0).
* Inspection ratio: done visits in the period ÷ visits the risk grades warrant over the period
  (``EXPECTED_VISITS_PER_YEAR`` pro rata). Over-inspected (过度检查) when > 2; under-inspected (检查不足) when
  < 0.5 and the area holds high-risk enterprises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from enforcement.grades import RISK_GRADES
from enforcement.measures import BY_KEY, MEASURE_KEYS, Measure, inspection_class


@dataclass
class CellRow:
    """One township or H3 cell of the coverage review."""

    key: str                       # township code, or H3 cell as decimal text
    name: str
    measures: dict[str, Measure]
    enterprises: dict[str, int]    # per risk grade
    visits: int
    blind: bool
    inspection_ratio: float | None
    inspection: str                # over | under | ok | none
    reach_min: float | None = None
    in_reach: bool | None = None

    @property
    def cell_hex(self) -> str:
        return format(int(self.key), "x") if self.key.isdigit() and len(self.key) > 9 else ""

    def export_dict(self, measure_key: str | None = None) -> dict[str, Any]:
        """Flat columns for CSV/Excel/GeoJSON: id, name, the chosen ``value``, every measure with num/den."""
        out: dict[str, Any] = {"id": self.cell_hex or self.key, "name": self.name}
        if measure_key is not None:
            m = self.measures[measure_key]
            out.update({"measure": measure_key, "value": m.value, "numerator": m.numerator,
                        "denominator": m.denominator})
        out.update({f"enterprises_{g}": self.enterprises.get(g, 0) for g in RISK_GRADES})
        out.update({"visits": self.visits, "blind_spot": self.blind,
                    "inspection_ratio": None if self.inspection_ratio is None else round(self.inspection_ratio, 4),
                    "inspection": self.inspection,
                    "reach_min": None if self.reach_min is None else round(self.reach_min, 1)})
        for k in MEASURE_KEYS:
            m = self.measures[k]
            out[k] = None if m.value is None else round(m.value, 6)
            if BY_KEY[k].unit == "ratio":
                out[f"{k}_num"], out[f"{k}_den"] = m.numerator, m.denominator
        return out


def classify_rows(measures: Mapping[str, dict[str, Measure]], ents: Mapping[str, Mapping[str, Any]], *,
                  days: int, names: Mapping[str, str], level: str) -> list[CellRow]:
    """Join per-area measures and enterprise counts into ``CellRow``s with blind-spot and inspection class.

    Areas without enterprises in the filter but with visits or incidents still appear (value columns only).
    """
    from enforcement.measures import measures_from_counts

    rows: list[CellRow] = []
    for key in sorted(set(measures) | set(ents)):
        if key == "":
            continue
        m = measures.get(key) or measures_from_counts({}, {}, {})
        e = ents.get(key, {})
        by_risk = {g: int(e.get(f"ent_{g}", 0) or 0) for g in RISK_GRADES}
        visits = int(m["repeat_rate"].denominator or 0)
        ratio_, cls = inspection_class(visits, by_risk, days)
        blind = by_risk["high"] > 0 and int(e.get("covered_high", 0) or 0) == 0
        name = names.get(key, key) if level == "township" else format(int(key), "x")
        rows.append(CellRow(key, name, m, by_risk, visits, blind, ratio_, cls))
    return rows


# Sequential colour scale (light to dark), and a diverging one for "lower is better" measures.
SCALE = ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b")
SCALE_BAD = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")
NO_DATA = "#d9d9d9"


def breaks(values: list[float], n: int = 5) -> list[float]:
    """Class breaks (n-1 thresholds) by equal intervals between min and max; [] when there is nothing."""
    vals = [v for v in values if v is not None]
    if not vals:
        return []
    lo, hi = min(vals), max(vals)
    if hi == lo:
        return [lo]
    return [lo + (hi - lo) * i / n for i in range(1, n)]


def colour(value: float | None, thresholds: list[float], *, lower_is_better: bool = False) -> str:
    """The fill colour of a value for the given thresholds."""
    if value is None:
        return NO_DATA
    scale = SCALE_BAD if lower_is_better else SCALE
    idx = sum(1 for t in thresholds if value > t)
    return scale[min(idx, len(scale) - 1)]


# -- exports (pure: rows in, bytes out) ---------------------------------------------------------------------

def _cell_text(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text (CSV/Excel injection): a leading = + - @ gets a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_table(rows: list[CellRow], measure_key: str) -> tuple[list[str], list[list[Any]]]:
    """Header and body of the table being viewed (one row per area)."""
    dicts = [r.export_dict(measure_key) for r in rows]
    header = list(dicts[0]) if dicts else ["id", "name"]
    return header, [[_cell_text(d.get(h)) for h in header] for d in dicts]


def to_csv(rows: list[CellRow], measure_key: str) -> bytes:
    """UTF-8 CSV with a BOM (so spreadsheet programs read the Chinese names correctly)."""
    import csv
    import io

    header, body = export_table(rows, measure_key)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(body)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(rows: list[CellRow], measure_key: str, *, title: str, filter_lines: list[str]) -> bytes:
    """An Excel workbook: sheet 1 the table, sheet 2 the filter it was made with."""
    import io

    from openpyxl import Workbook

    header, body = export_table(rows, measure_key)
    wb = Workbook()
    ws = wb.worksheets[0]   # a new workbook has one sheet, the active one
    ws.title = "areas"
    ws.append(header)
    for r in body:
        ws.append(r)
    meta = wb.create_sheet("filter")
    meta.append([_cell_text(title)])
    for line in filter_lines:
        meta.append([_cell_text(line)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
