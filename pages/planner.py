"""Planner page ``/planner`` (计划编排): tasks in, joint visits and saving, quota flags, draws, day-routes, approve,
export — one numbered card per step, in the page's language. Planner role only (``Permission.PLAN``); everyone
else gets 403 (and the refusal inside the app shell).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import dash_bootstrap_components as dbc
import dash_leaflet as dl
from dash import dcc, html

from callbacks.map_common import request_lang
from callbacks.page_context import page_context
from enforcement.grades import CREDIT_GRADES, RISK_GRADES
from geo_data.plans import quota_matrix
from geo_data.scope import Permission
from layers.basemaps import tile_layers
from layers.i18n import t
from pages.tables import grid

PATH = "/planner"
TITLE = "计划编排 · Visit planning"
PERMISSION = Permission.PLAN

VISIT_COLUMNS = [
    ("id", "col.id"), ("enterprise_name", "plan.col.enterprise"), ("township_name", "col.township"),
    ("departments", "plan.col.departments"), ("lead_department", "plan.col.lead"), ("items", "plan.col.items"),
    ("tasks", "plan.col.tasks"), ("window", "plan.col.window"), ("status", "col.status"),
    ("quota_flag", "plan.col.quota"), ("quota_alternative", "plan.col.alternative"), ("apart_reason", "plan.col.apart"),
    ("visit_date", "plan.col.day"), ("team_name", "col.team"), ("route_seq", "plan.col.seq"),
    ("start", "plan.col.start"), ("code", "plan.col.code"), ("unassigned_reason", "plan.col.unassigned"),
]
DRAW_COLUMNS = [("id", "col.id"), ("department_name", "plan.col.department"), ("period", "plan.col.period"),
                ("seed", "plan.col.seed"), ("register_size", "plan.col.register"), ("target_count", "plan.col.drawn"),
                ("created_at", "col.at"), ("export", "plan.col.publish")]


def _next_month(today: date) -> tuple[date, date]:
    start = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start, end


def _quota_table(matrix: dict[tuple[str, str], int], lang: str) -> dbc.Table:
    """The quota matrix in force (on-site visits per enterprise per year, risk × credit)."""
    head = html.Thead(html.Tr([html.Th(t("plan.quota_corner", lang)), *[html.Th(c) for c in CREDIT_GRADES]]))
    body = html.Tbody([html.Tr([html.Th(t(f"risk.{r}", lang)),
                                *[html.Td(str(matrix.get((r, c), "—")), id=f"quota-{r}-{c}") for c in CREDIT_GRADES]])
                       for r in RISK_GRADES])
    return dbc.Table([head, body], bordered=True, size="sm", className="quota-matrix w-auto text-center")


def _step(number: int, title_key: str, lang: str, *children: Any, card_id: str) -> dbc.Card:
    return dbc.Card([dbc.CardHeader([dbc.Badge(str(number), color="primary", pill=True, className="me-2"),
                                     t(title_key, lang)]),
                     dbc.CardBody(list(children))], id=card_id)


def _button(key: str, button_id: str, lang: str, *, primary: bool = False) -> dbc.Button:
    return dbc.Button(t(key, lang), id=button_id, color="primary" if primary else "secondary",
                      outline=not primary, size="sm")


def layout(lang: str | None = None, **_query: Any) -> html.Div:
    ctx = page_context(PERMISSION)
    lang = request_lang(lang)
    matrix = ctx.read(lambda conn: quota_matrix(conn, county_code=ctx.scope.county_code))
    start, end = _next_month(date.today())
    tiles = [dl.TileLayer(url=s.url, attribution=s.attribution, subdomains=s.subdomains, maxZoom=s.max_zoom)
             for s in tile_layers(ctx.settings.map)]
    return html.Div(className="gc-desk planner-page", children=[
        html.H1([t("plan.title", lang), html.Small(t("plan.subtitle", lang), className="text-body-secondary ms-2")]),
        _step(1, "plan.step_tasks", lang,
              html.Div(className="gc-actions", children=[
                  dcc.Upload(id="planner-upload", accept=".csv,.xlsx,.xls", max_size=8 * 1024 * 1024,
                             children=dbc.Button(t("plan.upload", lang), color="primary", outline=True, size="sm")),
                  dbc.Checklist(id="planner-skip-bad", options=[{"label": t("plan.skip_bad", lang), "value": "skip"}],
                                value=[], switch=True, inline=True)]),
              html.P(t("plan.upload_hint", lang), className="gc-hint-text"),
              html.Div(className="gc-actions", children=[
                  html.Span(t("plan.period", lang)),
                  html.Div(dcc.DatePickerRange(id="planner-period", start_date=start.isoformat(),
                                               end_date=end.isoformat(), display_format="YYYY-MM-DD",
                                               start_date_placeholder_text=t("date.start", lang),
                                               end_date_placeholder_text=t("date.end", lang)),
                           className="gc-dates-field"),
                  _button("plan.build", "planner-build", lang, primary=True),
                  dcc.Dropdown(id="planner-plan", placeholder=t("plan.choose", lang), style={"width": 420})]),
              html.Div(id="planner-msg", className="gc-msg alert alert-info py-2 my-2", role="status"),
              html.Ul(id="planner-problems", className="problems text-danger small"),
              card_id="planner-step-tasks"),
        _step(2, "plan.step_summary", lang,
              html.Div(id="planner-summary", className="gc-tiles"),
              html.Div(className="gc-actions", children=[
                  _button("plan.approve", "planner-approve", lang, primary=True),
                  _button("plan.route", "planner-route", lang),
                  html.Progress(id="planner-progress", max="1", value="0", style={"width": 240}),
                  html.Span(id="planner-job", className="gc-hint-text"),
                  dbc.Button(t("plan.export_csv", lang), id="planner-export-csv", href="#", target="_blank",
                             external_link=True, color="link", size="sm"),
                  dbc.Button(t("plan.export_xlsx", lang), id="planner-export-xlsx", href="#", target="_blank",
                             external_link=True, color="link", size="sm")]),
              dcc.Interval(id="planner-poll", interval=1000, disabled=True),
              card_id="planner-step-summary"),
        _step(3, "plan.step_quotas", lang, _quota_table(matrix, lang),
              html.P(t("plan.quota_hint", lang), className="gc-hint-text"), card_id="planner-step-quotas"),
        _step(4, "plan.step_visits", lang,
              grid("planner-visits", VISIT_COLUMNS, lang, select=True, export_name="plan-visits", page_size=15,
                   fit=False),
              html.Div(className="gc-actions", children=[
                  _button("plan.accept", "planner-accept", lang),
                  _button("plan.remote", "planner-remote", lang),
                  dbc.Input(id="planner-task", type="number", placeholder=t("plan.task_id", lang), min=1, size="sm",
                            style={"maxWidth": "10rem", "minWidth": "8rem"}),
                  _button("plan.split", "planner-split", lang),
                  html.Div(dcc.DatePickerRange(id="planner-window", display_format="YYYY-MM-DD",
                                               start_date_placeholder_text=t("date.start", lang),
                                               end_date_placeholder_text=t("date.end", lang)),
                           className="gc-dates-field"),
                  _button("plan.move", "planner-move", lang)]),
              card_id="planner-step-visits"),
        _step(5, "plan.step_routes", lang,
              dcc.Dropdown(id="planner-day", placeholder=t("plan.choose_day", lang), style={"width": 240}),
              dbc.Row([
                  dbc.Col(dl.Map(id="planner-map", center=[29.08, 119.62], zoom=11, style={"height": 520},
                                 children=[*tiles, dl.LayerGroup(id="planner-routes")]), md=8),
                  dbc.Col([html.Ul(id="planner-day-teams", className="small"),
                           html.H3(t("plan.unassigned", lang), className="h6"),
                           html.Ul(id="planner-unassigned", className="small")], md=4)], className="mt-2"),
              card_id="planner-step-routes"),
        _step(6, "plan.step_draws", lang,
              html.Div(className="gc-actions", children=[
                  dcc.Dropdown(id="draw-department", placeholder=t("plan.col.department", lang), style={"width": 220}),
                  dcc.Dropdown(id="draw-items", multi=True, placeholder=t("plan.col.items", lang),
                               style={"width": 360}),
                  dbc.Input(id="draw-rate", type="number", value=0.05, min=0.001, max=1, step=0.005, size="sm",
                            placeholder=t("plan.rate", lang)),
                  dbc.Input(id="draw-seed", type="number", min=0, placeholder=t("plan.seed", lang), size="sm"),
                  _button("plan.draw_preview", "draw-preview", lang),
                  dbc.Button(t("plan.draw", lang), id="draw-create", color="primary", size="sm", disabled=True)]),
              html.P(t("plan.draw_hint", lang), className="gc-hint-text"),
              html.Div(id="draw-msg", className="gc-msg alert alert-info py-2 my-2", role="status"),
              dcc.Loading(html.Div(id="draw-preview-box", className="gc-draw-preview"), type="dot"),
              dcc.Store(id="draw-pending"),
              grid("planner-draws", DRAW_COLUMNS, lang, export_name="draws", markdown=("export",)),
              card_id="planner-step-draws"),
        dcc.Store(id="planner-refresh", data={"n": 0}),
        dcc.Store(id="planner-job-state"),
    ])
