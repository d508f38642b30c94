"""Coverage page: the filter controls -> one validated filter object in ``cov-filter`` (and the report link)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from dash import Input, Output

from callbacks.context import current_scope
from callbacks.registry import callback
from enforcement.measures import filter_from_dict, filter_to_dict


@callback(Output("cov-filter", "data"), Output("cov-report-link", "href"),
          Input("cov-township", "value"), Input("cov-period", "start_date"), Input("cov-period", "end_date"),
          Input("cov-department", "value"), Input("cov-industry", "value"), Input("cov-risk", "value"))
def build_filter(township: str | None, start: str | None, end: str | None, department: str | None,
                 industry: str | None, risk: str | None) -> tuple[dict[str, Any], str]:
    scope = current_scope()
    filt = filter_from_dict({"date_from": (start or "")[:10], "date_to": (end or "")[:10],
                             "township_code": township, "department": department, "industry": industry,
                             "risk": risk}).narrowed_to(scope.township_code)
    query = {"county": scope.county_code, "month": filt.date_to.strftime("%Y-%m")}
    if filt.township_code:
        query["township"] = filt.township_code
    return filter_to_dict(filt), "/reports/monthly?" + urlencode(query)
