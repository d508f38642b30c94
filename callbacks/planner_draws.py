"""Planner: 双随机 draws — the form, a preview of what it would draw (nothing written), the commit of that preview,
the record list with links to the publishable CSV/Excel."""

from __future__ import annotations

from datetime import date
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, html

from callbacks.context import current_scope
from callbacks.planner_common import cell, parse_day, tx
from callbacks.registry import callback
from callbacks.shell import page_lang
from enforcement.draws import DrawParams
from geo_data import draws
from geo_data.db import fetch_all
from geo_data.errors import InvalidInput
from geo_data.scope import Permission
from layers.i18n import format_number, t


@callback(Output("draw-department", "options"), Input("planner-refresh", "data"))
def departments(_r: Any) -> list[dict[str, Any]]:
    current_scope(Permission.PLAN)
    with tx() as conn:
        english = page_lang() == "en"
        return [{"label": (r["name_en"] or r["name"]) if english else r["name"], "value": r["code"]}
                for r in fetch_all(conn, "task_departments")]


@callback(Output("draw-items", "options"), Input("draw-department", "value"))
def items(department: str | None) -> list[dict[str, Any]]:
    current_scope(Permission.PLAN)
    if not department:
        return []
    with tx() as conn:
        row = next((r for r in fetch_all(conn, "task_departments") if r["code"] == department), None)
    if row is None:
        return []
    return [{"label": n, "value": c} for c, n in zip(row["item_codes"], row["item_names"], strict=True)]


def _form(department: str | None, chosen: list[str] | None, rate: Any, seed: Any, start: str | None,
          end: str | None) -> dict[str, Any]:
    """The draw form's values checked (InvalidInput names the field) as ``preview_draw`` takes them."""
    first, last = parse_day(start), parse_day(end)
    if not department or not chosen or first is None or last is None:
        raise InvalidInput("draw: choose department, items and the period")
    try:
        params = DrawParams(base_rate=float(rate if rate is not None else 0.05))
    except ValueError as exc:
        raise InvalidInput(f"rate: {exc}") from exc
    try:
        seed_value = None if seed in (None, "") else int(seed)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("seed: must be a whole number") from exc
    return {"department": department, "items": list(chosen), "period_start": first, "period_end": last,
            "params": params, "seed": seed_value}


def _small_table(head: list[str], rows: list[list[Any]]) -> dbc.Table:
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in head])),
                      html.Tbody([html.Tr([html.Td(c) for c in r]) for r in rows])],
                     bordered=True, size="sm", className="w-auto gc-preview-table")


def preview_view(p: draws.DrawPreview, lang: str) -> list[Any]:
    """What the preview shows: the totals, counts per risk grade and township, the first targets with inspectors."""
    if not p.targets:
        return [html.P(t("plan.preview_none", lang), className="gc-hint-text")]
    out: list[Any] = [html.P(t("plan.preview_title", lang, register=format_number(p.register_size, lang),
                               drawn=format_number(len(p.targets), lang), seed=p.seed), className="fw-bold mb-1")]
    if p.unstaffed:
        out.append(html.P(t("plan.preview_unstaffed", lang, n=p.unstaffed), className="text-danger mb-1"))
    head = [t("plan.col.register", lang), t("plan.col.drawn", lang)]
    out.append(html.Div(className="gc-actions align-items-start", children=[
        html.Div([html.H3(t("plan.preview_by_risk", lang), className="h6"),
                  _small_table([t("plan.col.risk", lang), *head],
                               [[t(f"risk.{r['risk']}", lang), r["register"], r["drawn"]] for r in p.by_risk])]),
        html.Div([html.H3(t("plan.preview_by_township", lang), className="h6"),
                  html.Div(_small_table([t("col.township", lang), *head],
                                        [[r["township"], r["register"], r["drawn"]] for r in p.by_township]),
                           className="gc-scroll", tabIndex=0)]),
    ]))
    out.append(html.H3(t("plan.preview_first", lang, n=len(p.sample)), className="h6 mt-2"))
    out.append(_small_table(
        ["#", t("plan.col.enterprise", lang), t("col.township", lang), t("plan.col.risk", lang),
         t("plan.col.credit", lang), t("plan.col.inspectors", lang)],
        [[r["position"], r["enterprise_name"], r["township_name"], t(f"risk.{r['risk']}", lang), r["credit"],
          r["inspectors"] or "—"] for r in p.sample]))
    return out


@callback(Output("draw-preview-box", "children"), Output("draw-pending", "data"), Output("draw-create", "disabled"),
          Input("draw-preview", "n_clicks"),
          Input("draw-department", "value"), Input("draw-items", "value"), Input("draw-rate", "value"),
          Input("draw-seed", "value"), Input("planner-period", "start_date"), Input("planner-period", "end_date"),
          prevent_initial_call=True)
def preview(clicks: int | None, department: str | None, chosen: list[str] | None, rate: Any, seed: Any,
            start: str | None, end: str | None) -> tuple[Any, Any, bool]:
    """The draw previewed (nothing written); any change of the form withdraws an earlier preview."""
    scope = current_scope(Permission.PLAN)
    if ctx.triggered_id != "draw-preview" or not clicks:
        return None, None, True
    form = _form(department, chosen, rate, seed, start, end)
    with tx() as conn:
        p = draws.preview_draw(conn, scope, **form)
    pending = {"department": form["department"], "items": form["items"], "rate": form["params"].base_rate,
               "period_start": form["period_start"].isoformat(), "period_end": form["period_end"].isoformat(),
               "seed": str(p.seed), "digest": p.register_digest, "token": p.token}   # a 63-bit seed as text (JS)
    return preview_view(p, page_lang()), pending, not p.targets


@callback(Output("draw-msg", "children"), Output("planner-draws", "rowData"),
          Input("draw-create", "n_clicks"), Input("planner-refresh", "data"), State("draw-pending", "data"))
def create(clicks: int | None, _r: Any, pending: dict[str, Any] | None) -> tuple[str, list[dict[str, Any]]]:
    """The previewed draw committed (its seed, register digest and token), and the list of draws."""
    scope = current_scope(Permission.PLAN)
    message = ""
    lang = page_lang()
    with tx() as conn:
        if ctx.triggered_id == "draw-create" and clicks:
            if not pending:
                raise InvalidInput("draw: preview the draw first")
            try:
                params = DrawParams(base_rate=float(pending["rate"]))
                outcome = draws.create_draw(
                    conn, scope, department=str(pending["department"]), items=[str(i) for i in pending["items"]],
                    period_start=date.fromisoformat(pending["period_start"]),
                    period_end=date.fromisoformat(pending["period_end"]), params=params,
                    seed=int(pending["seed"]), preview_token=str(pending["token"]),
                    expect_digest=str(pending["digest"]))
            except (KeyError, TypeError, ValueError) as exc:
                raise InvalidInput(f"draw: the preview is incomplete ({exc}): preview the draw again") from exc
            key = "plan.drawn_already" if outcome.already_recorded else "plan.drawn"
            message = t(key, lang, id=outcome.draw_id, register=format_number(outcome.register_size, lang),
                        drawn=format_number(len(outcome.targets), lang),
                        seed=outcome.seed)
        rows = draws.list_draws(conn, scope)
    data = [{**{k: cell(v) for k, v in r.items() if k not in ("items", "department_name_en")},
             "department_name": r["department_name_en"] if lang == "en" and r["department_name_en"]
             else r["department_name"], "seed": str(r["seed"]),
             "period": f"{r['period_start']}–{r['period_end']}",
             "export": f"[CSV](/planner/export/draw-{r['id']}.csv?lang={lang}) · "
                       f"[Excel](/planner/export/draw-{r['id']}.xlsx?lang={lang})"}
            for r in rows]
    return message, data
