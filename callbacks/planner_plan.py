"""Planner: upload tasks, build a plan, show it (summary, visits, unassigned), approve and edit it."""

from __future__ import annotations

import base64
from typing import Any

from dash import Input, Output, State, ctx, html, no_update

from callbacks.context import current_scope
from callbacks.planner_common import cell, department_names, parse_day, tx
from callbacks.registry import callback
from callbacks.shell import page_lang
from geo_data import plans, tasks
from geo_data.errors import InvalidInput
from geo_data.scope import Permission
from layers.i18n import t

SHOWN = ("id", "enterprise_name", "township_name", "departments", "lead_department", "items", "status", "quota_flag",
         "quota_alternative", "apart_reason", "visit_date", "team_name", "route_seq", "code", "unassigned_reason")


@callback(Output("planner-msg", "children"), Output("planner-problems", "children"),
          Output("planner-refresh", "data"),
          Input("planner-upload", "contents"), Input("planner-build", "n_clicks"),
          Input("planner-approve", "n_clicks"), Input("planner-accept", "n_clicks"),
          Input("planner-remote", "n_clicks"), Input("planner-split", "n_clicks"), Input("planner-move", "n_clicks"),
          State("planner-upload", "filename"), State("planner-skip-bad", "value"),
          State("planner-period", "start_date"), State("planner-period", "end_date"), State("planner-plan", "value"),
          State("planner-visits", "selectedRows"),
          State("planner-task", "value"), State("planner-window", "start_date"), State("planner-window", "end_date"),
          State("planner-refresh", "data"), prevent_initial_call=True)
def act(contents: str | None, _b: Any, _a: Any, _acc: Any, _rem: Any, _spl: Any, _mov: Any, filename: str | None,
        skip: list[str] | None, start: str | None, end: str | None, plan_id: int | None,
        selected: list[dict[str, Any]] | None, task_id: int | None, w_start: str | None,
        w_end: str | None, refresh: dict[str, Any] | None) -> tuple[Any, ...]:
    """Every planner action; ``planner-refresh`` carries a counter (and a plan to select) to the views."""
    scope = current_scope(Permission.PLAN)
    lang = page_lang()
    trigger = ctx.triggered_id
    n = int((refresh or {}).get("n", 0)) + 1
    if trigger == "planner-upload":
        raw = base64.b64decode((contents or ",").split(",", 1)[1])
        frame = tasks.read_table(raw, filename=filename or "tasks.csv")
        try:
            with tx() as conn:
                report = tasks.import_tasks(conn, scope, frame, skip_bad=bool(skip), source=filename or "")
        except InvalidInput as exc:
            return (t("plan.not_imported", lang, reason=exc), [html.Li(str(p)) for p in exc.problems[:200]],
                    {"n": n})
        return (t("plan.imported", lang, n=report.inserted),
                [html.Li(str(p)) for p in report.problems[:200]], {"n": n})
    if trigger == "planner-build":
        first, last = parse_day(start), parse_day(end)
        if first is None or last is None:
            raise InvalidInput("period: choose the first and last day")
        with tx() as conn:
            new_id = plans.build_plan(conn, scope, period_start=first, period_end=last)
            summary = plans.get_plan(conn, scope, new_id)
        return (t("plan.built", lang, id=new_id, tasks=summary.tasks, visits=summary.visits, saving=summary.saving),
                [], {"n": n, "plan": new_id})
    if plan_id is None:
        raise InvalidInput("plan: choose a plan first")
    with tx() as conn:
        if trigger == "planner-approve":
            plans.approve_plan(conn, scope, plan_id)
            return t("plan.approved", lang), [], {"n": n}
        if trigger in ("planner-split", "planner-move"):
            if not task_id:
                raise InvalidInput("task: enter the task id")
            if trigger == "planner-split":
                plans.split_task(conn, scope, plan_id, int(task_id))
                return t("plan.split_done", lang, id=task_id), [], {"n": n}
            first, last = parse_day(w_start), parse_day(w_end)
            if first is None or last is None:
                raise InvalidInput("window: choose the first and last day")
            plans.move_task_window(conn, scope, plan_id, int(task_id), earliest=first, latest=last)
            return t("plan.moved", lang, id=task_id), [], {"n": n}
        if not selected:
            raise InvalidInput("visit: select a visit in the table first")
        visit_id = int(selected[0]["id"])
        status = "proposed" if trigger == "planner-accept" else "remote"
        plans.set_visit_status(conn, scope, plan_id, visit_id, status)
    return t("plan.visit_set", lang, id=visit_id, status=t(f"plan.status.{status}", lang)), [], {"n": n}


@callback(Output("planner-plan", "options"), Output("planner-plan", "value"), Input("planner-refresh", "data"))
def plan_options(refresh: dict[str, Any] | None) -> tuple[list[dict[str, Any]], Any]:
    scope = current_scope(Permission.PLAN)
    with tx() as conn:
        lang = page_lang()
        options = [{"label": f"#{p['id']} {p['period_start']}–{p['period_end']} · {t('plan.status.' + p['status'], lang)} · "
                             f"{p['task_count']}→{p['visit_count']}", "value": p["id"]}
                   for p in plans.list_plans(conn, scope)]
    chosen = (refresh or {}).get("plan")
    return options, chosen if chosen is not None else no_update


@callback(Output("planner-summary", "children"), Output("planner-visits", "rowData"),
          Output("planner-unassigned", "children"), Output("planner-export-csv", "href"),
          Output("planner-export-xlsx", "href"),
          Input("planner-plan", "value"), Input("planner-refresh", "data"), Input("planner-job-state", "data"))
def show_plan(plan_id: int | None, _refresh: Any, _job: Any) -> tuple[Any, ...]:
    lang = page_lang()
    if plan_id is None:
        return html.P(t("plan.none", lang), className="gc-hint-text"), [], [], "#", "#"
    scope = current_scope(Permission.PLAN)
    with tx() as conn:
        s = plans.get_plan(conn, scope, plan_id)
        rows = plans.plan_visits(conn, scope, plan_id)
        names = department_names(conn, lang)
    tiles = [("status", t(f"plan.status.{s.status}", lang)), ("tasks", s.tasks), ("visits", s.visits),
             ("joint", s.joint), ("saving", s.saving), ("held", s.held), ("remote", s.remote),
             ("exceeded", s.exceeded), ("routed", s.routed), ("unassigned", s.unassigned)]
    summary = [html.Div([html.Div(t(f"plan.kpi.{k}", lang), className="gc-tile-label"),
                         html.B(str(v), id=f"planner-kpi-{i}", className="gc-tile-value")], className="gc-tile")
               for i, (k, v) in enumerate(tiles)]
    data = [{**{k: cell(getattr(r, k)) for k in SHOWN}, "tasks": cell(r.task_ids),
             "departments": cell([names.department(d) for d in r.departments or ()]),
             "lead_department": names.department(r.lead_department) if r.lead_department else "",
             "items": cell([names.item(i) for i in r.items or ()]),
             "status": t(f"plan.status.{r.status}", lang),
             "window": f"{r.earliest}–{r.latest}",
             "start": (f"{int(r.start_min) // 60:02d}:{int(r.start_min) % 60:02d}"
                       if r.start_min is not None else "")} for r in rows]
    unassigned = [html.Li(f"#{r.id} {r.enterprise_name}: {r.unassigned_reason}")
                  for r in rows if r.unassigned_reason][:300]
    return (summary, data, unassigned, f"/planner/export/plan-{plan_id}.csv",
            f"/planner/export/plan-{plan_id}.xlsx")
