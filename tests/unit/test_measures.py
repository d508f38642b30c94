"""Pure parts of the measures and the coverage review: definitions, filter, reference rules, exports, report."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import h3.api.basic_int as h3_int
import pytest

from enforcement.coverage import CellRow, classify_rows, to_csv, to_xlsx
from enforcement.measures import (
    DEFINITIONS,
    MEASURE_KEYS,
    MeasureFilter,
    VisitFact,
    expected_visits,
    filter_from_dict,
    filter_to_dict,
    format_value,
    inspection_class,
    measures_from_counts,
    month_period,
    months_back,
    percentile,
    ratio,
    repeat_visit_ids,
)
from geo_data.errors import Forbidden, InvalidInput
from pages.report import map_svg, render_monthly, sparkline


def test_every_measure_defined_once_with_both_languages() -> None:
    keys = [d.key for d in DEFINITIONS]
    assert len(keys) == len(set(keys)) == len(MEASURE_KEYS)
    for d in DEFINITIONS:
        assert d.name_zh and d.name_en and d.definition_zh and d.definition_en
    assert {"repeat_rate", "joint_rate", "visits_spared", "planned_share", "random_draw_share", "code_shown_rate",
            "remote_closure_rate", "response_median_min", "response_p90_min", "sla_compliance", "coverage_high",
            "satisfaction"} <= set(keys)


def test_ratio_is_undefined_for_zero_denominator() -> None:
    assert ratio(3, 0) is None and ratio(0, 0) is None and ratio(None, 5) is None
    assert ratio(1, 4) == 0.25


def test_measures_from_counts_and_empty_counts() -> None:
    m = measures_from_counts({"visits": 10, "repeats": 2, "joint": 5, "tasks": 16, "planned": 8, "routine": 4,
                              "routine_drawn": 3, "code_scanned": 10, "rated": 2, "rating_sum": 9},
                             {"closed": 4, "remote_closed": 1, "reached": 3, "response_median_min": 12.5,
                              "response_p90_min": 40.0, "sla_due": 4, "sla_met": 3},
                             {"ent_high": 2, "covered_high": 1, "ent_low": 8, "covered_low": 0})
    assert m["repeat_rate"].value == 0.2 and m["visits_spared"].value == 6
    assert m["random_draw_share"].value == 0.75 and m["satisfaction"].value == 4.5
    assert m["remote_closure_rate"].value == 0.25 and m["sla_compliance"].value == 0.75
    assert m["coverage_all"].numerator == 1 and m["coverage_all"].denominator == 10
    assert m["coverage_elevated"].value is None
    empty = measures_from_counts({}, {}, {})
    assert all(v.value is None for k, v in empty.items() if k != "visits_spared")
    assert list(empty) == list(MEASURE_KEYS)


def test_repeat_rule_edges() -> None:
    d = date
    facts = [
        VisitFact(1, 1, d(2026, 1, 31), frozenset({"m"})),
        VisitFact(2, 1, d(2026, 3, 2), frozenset({"f"})),        # day 30 -> repeat
        VisitFact(3, 2, d(2026, 1, 31), frozenset({"m"})),
        VisitFact(4, 2, d(2026, 3, 3), frozenset({"f"})),        # day 31 -> not
        VisitFact(5, 3, d(2026, 3, 1), frozenset({"m", "f"})),   # joint
        VisitFact(6, 3, d(2026, 3, 5), frozenset({"m"})),        # subset of the joint -> not
        VisitFact(8, 4, d(2026, 3, 1), frozenset({"m"})),
        VisitFact(7, 4, d(2026, 3, 1), frozenset({"f"})),        # same day, recorded first (smaller id)
    ]
    assert repeat_visit_ids(facts) == {2, 8}


def test_filter_validation_and_round_trip() -> None:
    with pytest.raises(InvalidInput, match="after"):
        MeasureFilter(date(2026, 3, 2), date(2026, 3, 1))
    with pytest.raises(InvalidInput, match="risk"):
        MeasureFilter(date(2026, 3, 1), date(2026, 3, 2), risk="extreme")
    with pytest.raises(InvalidInput, match="township"):
        MeasureFilter(date(2026, 3, 1), date(2026, 3, 2), township_code="33")
    cell = h3_int.latlng_to_cell(29.1, 119.6, 8)
    f = MeasureFilter(date(2026, 3, 1), date(2026, 3, 31), cell=cell, department="fire")
    assert filter_from_dict(filter_to_dict(f)) == f
    assert filter_from_dict({**filter_to_dict(f), "cell": format(cell, "x")}) == f
    p = f.sql_params("330702")
    assert p["cell_r8"] == cell and p["cell_r7"] is None and p["cell_r9"] is None
    with pytest.raises(InvalidInput):
        MeasureFilter(date(2026, 3, 1), date(2026, 3, 2), cell=h3_int.latlng_to_cell(29.1, 119.6, 5))
    with pytest.raises(InvalidInput, match="date"):
        filter_from_dict({"date_from": "yesterday", "date_to": "2026-03-01"})
    with pytest.raises(Forbidden):
        MeasureFilter(date(2026, 3, 1), date(2026, 3, 2), township_code="330702001").narrowed_to("330702002")
    assert MeasureFilter(date(2026, 3, 1), date(2026, 3, 2)).narrowed_to("330702002").township_code == "330702002"


def test_period_bounds_are_shanghai_days_inclusive() -> None:
    f = MeasureFilter(date(2026, 3, 1), date(2026, 3, 31))
    sh = ZoneInfo("Asia/Shanghai")
    assert f.ts_from == datetime(2026, 3, 1, tzinfo=sh) and f.ts_to == datetime(2026, 4, 1, tzinfo=sh)
    assert f.ts_from.utcoffset().total_seconds() == 8 * 3600 and f.days == 31
    assert month_period("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert month_period("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))
    with pytest.raises(InvalidInput):
        month_period("2026-13")
    assert months_back(date(2026, 3, 15), 12) == (date(2025, 4, 1), date(2026, 3, 31))


def test_percentile_matches_percentile_cont() -> None:
    assert percentile([10, 20, 30, 50, 90], 0.5) == 30
    assert percentile([10, 20, 30, 50, 90], 0.9) == pytest.approx(74)
    assert percentile([], 0.5) is None


def test_inspection_class_over_under() -> None:
    assert expected_visits({"high": 1}, 365) == 4
    assert inspection_class(9, {"high": 1}, 365) == (2.25, "over")
    assert inspection_class(1, {"high": 1}, 365) == (0.25, "under")
    assert inspection_class(0, {"low": 3}, 365)[1] == "ok"       # no high risk: never "under"
    assert inspection_class(2, {}, 30) == (None, "none")


def test_format_values() -> None:
    assert format_value(0.3869, "ratio") == "38.7 %" and format_value(None, "ratio") == "—"
    assert format_value(1176, "count") == "1,176" and format_value(42.2, "minutes") == "42 min"


def _rows() -> list[CellRow]:
    m = measures_from_counts({"visits": 2, "repeats": 1}, {}, {})
    return classify_rows({"330702001": m}, {"330702001": {"ent_high": 1, "covered_high": 0}}, days=31,
                         names={"330702001": "=HYPERLINK(\"x\")"}, level="township")


def test_csv_export_has_bom_and_neutralises_formulas() -> None:
    rows = _rows()
    assert rows[0].blind and rows[0].visits == 2
    data = to_csv(rows, "repeat_rate")
    assert data.startswith("\ufeff".encode())
    parsed = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert parsed[0]["name"].startswith("'=") and parsed[0]["value"] == "0.5" and parsed[0]["blind_spot"] == "True"
    assert to_xlsx(rows, "repeat_rate", title="t", filter_lines=["from: 2026-03-01"])[:2] == b"PK"


def test_report_escapes_and_draws_svg() -> None:
    m = measures_from_counts({"visits": 2, "repeats": 1}, {}, {})
    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {
        "name": "<script>alert(1)</script>", "value": 0.5},
        "geometry": {"type": "Polygon", "coordinates": [[[119.0, 29.0], [119.1, 29.0], [119.1, 29.1], [119.0, 29.0]]]}}]}
    html = render_monthly(title="<b>婺城区</b>", area_name="婺城区", month="2026-03", measures=m,
                          trend={"2026-02": m, "2026-03": m}, fc=fc, measure_key="repeat_rate", filter_text="x")
    assert "<script>alert" not in html and "&lt;script&gt;" in html and "&lt;b&gt;" in html
    assert "<path d=\"M" in map_svg(fc, "repeat_rate") and "<polyline" in sparkline([0.1, None, 0.3])
