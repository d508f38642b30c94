"""Coverage page: KPI cards (value, numerator/denominator) and monthly trend lines for the filter."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import Input, Output, html

from callbacks.context import services
from callbacks.coverage_common import scoped_filter
from callbacks.registry import callback
from callbacks.shell import page_lang
from enforcement.measures import BY_KEY, months_back, replace_period
from geo_data.db import transaction
from geo_data.measures import by_group, panel
from layers.i18n import t

CARD_STYLE = {"border": "1px solid #d0d7de", "borderRadius": 6, "padding": "6px 10px", "minWidth": 140,
              "background": "#fafcff"}
TREND_KEYS = ("repeat_rate", "joint_rate", "planned_share", "random_draw_share", "code_shown_rate",
              "remote_closure_rate", "sla_compliance")


def _card(m: Any, lang: str) -> html.Div:
    """One measure: its name and definition (the card's tooltip) in the page's language, value, fraction."""
    num = "" if m.numerator is None else f"{m.numerator:,.0f} / {m.denominator:,.0f}"
    if m.numerator is None and m.denominator is not None:
        num = f"n = {m.denominator:,.0f}"
    english = lang == "en"
    return html.Div([html.Div(m.name_en if english else m.name_zh, className="kpi-name",
                              style={"fontSize": 13, "color": "#444"}),
                     html.Div(m.display(), className="kpi-value", style={"fontSize": 22, "fontWeight": 600, "color": "#102a43"}),
                     html.Div(num, className="kpi-frac", style={"fontSize": 12, "color": "#5b6470"})],
                    className="kpi-card", id=f"kpi-{m.key}", title=m.definition_en if english else m.definition_zh,
                    style=CARD_STYLE)


@callback(Output("cov-cards", "children"), Output("cov-trend", "figure"), Input("cov-filter", "data"))
def show_panel(data: dict[str, Any] | None) -> tuple[list[html.Div], go.Figure]:
    scope, filt = scoped_filter(data)
    lang = page_lang()
    with transaction(services().read_pool) as conn:
        measures = panel(conn, scope, filt)
        trend = by_group(conn, scope, replace_period(filt, *months_back(filt.date_to, 12)), "month")
    months = sorted(trend)
    fig = go.Figure([go.Scatter(x=months, y=[trend[m][k].value for m in months], mode="lines+markers",
                                name=BY_KEY[k].name_en if lang == "en" else BY_KEY[k].name_zh) for k in TREND_KEYS])
    fig.update_layout(margin={"l": 40, "r": 10, "t": 30, "b": 30}, yaxis={"tickformat": ".0%"},
                      xaxis={"type": "category"},
                      title=t("cov.trends", lang), legend={"orientation": "h"})
    return [_card(m, lang) for m in measures.values()], fig
