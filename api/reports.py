"""``/reports/monthly?county=..&township=..&month=YYYY-MM[&measure=..]``: the printable monthly report of a county
or township (KPI table, SVG map, 12-month sparklines). Needs a logged-in user allowed to export; audited."""

from __future__ import annotations

from html import escape
from typing import Any

from flask import Blueprint, Response, request

from callbacks.context import current_scope, services
from enforcement.measures import MEASURE_KEYS, MeasureFilter, month_period, months_back, replace_period
from geo_data.audit import record_for
from geo_data.coverage import area_rows, rows_geojson
from geo_data.db import fetch_one, transaction
from geo_data.errors import Forbidden, GridCommandError, InvalidInput
from geo_data.measures import by_group, panel
from geo_data.scope import Permission
from pages.report import render_monthly

bp = Blueprint("reports", __name__)


def _text(status: int, message: str) -> Response:
    body = f"<!doctype html><meta charset='utf-8'><p id='report-error'>{escape(message)}</p>"
    return Response(body, status=status, mimetype="text/html")


@bp.route("/reports/monthly")
def monthly() -> Response:
    try:
        return _monthly()
    except Forbidden as exc:
        return _text(403, f"无权访问 · Forbidden: {exc}")
    except InvalidInput as exc:
        return _text(400, f"输入有误 · Invalid input: {exc}")
    except GridCommandError as exc:
        return _text(503, str(exc))


def _monthly() -> Response:
    scope = current_scope(Permission.EXPORT)
    county = request.args.get("county") or scope.county_code
    if county != scope.county_code:
        raise Forbidden("outside your county")
    month = request.args.get("month", "")
    date_from, date_to = month_period(month)
    township = request.args.get("township") or None
    measure = request.args.get("measure") or "coverage_high"
    if measure not in MEASURE_KEYS:
        raise InvalidInput(f"measure: {measure!r} is unknown")
    filt = MeasureFilter(date_from, date_to, township_code=township).narrowed_to(scope.township_code)
    level = "township" if filt.township_code is None else "r8"
    with transaction(services().pool) as conn:
        names: dict[str, Any] | None = fetch_one(conn, "report_area_name",
                                                 {"county_code": county, "township_code": filt.township_code})
        if names is None:
            raise InvalidInput(f"township: {township} is not in county {county}")
        measures = panel(conn, scope, filt)
        trend = by_group(conn, scope, replace_period(filt, *months_back(date_to, 12)), "month")
        rows = area_rows(conn, scope, filt, level=level)
        fc = rows_geojson(conn, scope, rows, level=level, measure_key=measure)
        record_for(conn, scope, "export.report", object_type="report", object_id=f"{county}:{township or ''}:{month}",
                   detail={"filter": filt.describe(), "measure": measure})
    area = names["county_name"] + (f" · {names['township_name']}" if names.get("township_name") else "")
    html = render_monthly(title=f"{area} 执法监管月度报告 · Monthly enforcement report", area_name=area,
                          month=month, measures=measures, trend=trend, fc=fc, measure_key=measure,
                          filter_text=f"{date_from} – {date_to}")
    return Response(html, mimetype="text/html")
