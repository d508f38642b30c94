"""Planner: 双随机 draws — the form, the record list with links to the publishable CSV/Excel."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State

from callbacks.context import current_scope
from callbacks.planner_common import cell, parse_day, tx
from callbacks.registry import callback
from callbacks.shell import page_lang
from enforcement.draws import DrawParams
from geo_data import draws
from geo_data.db import fetch_all
from geo_data.errors import InvalidInput
from geo_data.scope import Permission
from layers.i18n import t


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


@callback(Output("draw-msg", "children"), Output("planner-draws", "rowData"),
          Input("draw-create", "n_clicks"), Input("planner-refresh", "data"),
          State("draw-department", "value"), State("draw-items", "value"), State("draw-rate", "value"),
          State("draw-seed", "value"), State("planner-period", "start_date"), State("planner-period", "end_date"))
def create(clicks: int | None, _r: Any, department: str | None, chosen: list[str] | None, rate: float | None,
           seed: int | None, start: str | None, end: str | None) -> tuple[str, list[dict[str, Any]]]:
    scope = current_scope(Permission.PLAN)
    message = ""
    with tx() as conn:
        if clicks:
            first, last = parse_day(start), parse_day(end)
            if not department or not chosen or first is None or last is None:
                raise InvalidInput("draw: choose department, items and the period")
            try:
                params = DrawParams(base_rate=float(rate if rate is not None else 0.05))
            except ValueError as exc:
                raise InvalidInput(f"rate: {exc}") from exc
            outcome = draws.create_draw(conn, scope, department=department, items=list(chosen),
                                        period_start=first, period_end=last, params=params,
                                        seed=None if seed is None else int(seed))
            message = t("plan.drawn", page_lang(), id=outcome.draw_id, register=outcome.register_size,
                        drawn=len(outcome.targets), seed=outcome.seed)
        rows = draws.list_draws(conn, scope)
    lang = page_lang()
    data = [{**{k: cell(v) for k, v in r.items() if k not in ("items", "department_name_en")},
             "department_name": r["department_name_en"] if lang == "en" and r["department_name_en"]
             else r["department_name"], "seed": str(r["seed"]),
             "period": f"{r['period_start']}–{r['period_end']}",
             "export": f"[CSV](/planner/export/draw-{r['id']}.csv?lang={lang}) · "
                       f"[Excel](/planner/export/draw-{r['id']}.xlsx?lang={lang})"}
            for r in rows]
    return message, data


