"""Planner: upload tasks, build a plan, show it (summary, visits, unassigned), approve and edit it: one callback
per action."""

from __future__ import annotations

import base64
from typing import Any

import psycopg
from dash import Input, Output, State, ctx, html, no_update

from callbacks.context import current_scope, services
from callbacks.planner_common import cell, department_names, parse_day, tx
from callbacks.registry import callback
from callbacks.shell import page_lang
from geo_data import plans, tasks
from geo_data.errors import InvalidInput
from geo_data.scope import Permission, Scope
from layers.i18n import t
from services import planning

# A plan's rows are kept per app while its revision stands; names of enterprises and teams (not part of the
# revision) show within this many seconds of a rename.
ROWS_TTL_S = 60.0
SHOWN = ("id", "enterprise_name", "township_name", "departments", "lead_department", "items", "status", "quota_flag",
         "quota_alternative", "apart_reason", "visit_date", "team_name", "route_seq", "code", "unassigned_reason")


# Every planner action answers in the same three places: a message, the problems list and ``planner-refresh``
# (a counter, and the plan to select, that the views follow). One callback per action.
_ANSWER = (Output("planner-msg", "children", allow_duplicate=True),
           Output("planner-problems", "children", allow_duplicate=True),
           Output("planner-refresh", "data", allow_duplicate=True))
_NOTHING = (no_update, no_update, no_update)


def _refresh(refresh: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    return {"n": int((refresh or {}).get("n", 0)) + 1, **extra}


def _chosen(plan_id: int | None) -> int:
    if plan_id is None:
        raise InvalidInput("plan: choose a plan first")
    return int(plan_id)


@callback(*_ANSWER, Input("planner-upload", "contents"), State("planner-upload", "filename"),
          State("planner-skip-bad", "value"), State("planner-refresh", "data"), prevent_initial_call=True)
def upload_tasks(contents: str | None, filename: str | None, skip: list[str] | None,
                 refresh: dict[str, Any] | None) -> tuple[Any, ...]:
    """A departments' task list (CSV/Excel) uploaded: imported, or nothing and why."""
    if not contents:
        return _NOTHING
    scope = current_scope(Permission.PLAN)
    lang = page_lang()
    raw = base64.b64decode(contents.split(",", 1)[1] if "," in contents else "")
    frame = tasks.read_table(raw, filename=filename or "tasks.csv")
    try:
        with tx() as conn:
            report = tasks.import_tasks(conn, scope, frame, skip_bad=bool(skip), source=filename or "")
    except InvalidInput as exc:
        return (t("plan.not_imported", lang, reason=exc), [html.Li(str(p)) for p in exc.problems[:200]],
                _refresh(refresh))
    return (t("plan.imported", lang, n=report.inserted), [html.Li(str(p)) for p in report.problems[:200]],
            _refresh(refresh))


@callback(*_ANSWER, Input("planner-build", "n_clicks"), State("planner-period", "start_date"),
          State("planner-period", "end_date"), State("planner-refresh", "data"), prevent_initial_call=True)
def build(n: int | None, start: str | None, end: str | None, refresh: dict[str, Any] | None) -> tuple[Any, ...]:
    """A new draft plan of the period (``services.planning.build_plan``), then selected."""
    if not n:
        return _NOTHING
    scope = current_scope(Permission.PLAN)
    first, last = parse_day(start), parse_day(end)
    if first is None or last is None:
        raise InvalidInput("period: choose the first and last day")
    with tx() as conn:
        summary = planning.build_plan(conn, scope, period_start=first, period_end=last)
    return (t("plan.built", page_lang(), id=summary.plan_id, tasks=summary.tasks, visits=summary.visits,
              saving=summary.saving), [], _refresh(refresh, plan=summary.plan_id))


@callback(*_ANSWER, Input("planner-approve", "n_clicks"), State("planner-plan", "value"),
          State("planner-refresh", "data"), prevent_initial_call=True)
def approve(n: int | None, plan_id: int | None, refresh: dict[str, Any] | None) -> tuple[Any, ...]:
    if not n:
        return _NOTHING
    scope = current_scope(Permission.PLAN)
    with tx() as conn:
        plans.approve_plan(conn, scope, _chosen(plan_id))
    return t("plan.approved", page_lang()), [], _refresh(refresh)


@callback(*_ANSWER, Input("planner-accept", "n_clicks"), Input("planner-remote", "n_clicks"),
          State("planner-plan", "value"), State("planner-visits", "selectedRows"), State("planner-refresh", "data"),
          prevent_initial_call=True)
def set_visit(accept: int | None, remote: int | None, plan_id: int | None, selected: list[dict[str, Any]] | None,
              refresh: dict[str, Any] | None) -> tuple[Any, ...]:
    """The selected visit accepted (on site as proposed) or made a remote check (非现场)."""
    if not (accept or remote):
        return _NOTHING
    scope = current_scope(Permission.PLAN)
    lang = page_lang()
    chosen = _chosen(plan_id)
    if not selected:
        raise InvalidInput("visit: select a visit in the table first")
    visit_id = int(selected[0]["id"])
    status = "proposed" if ctx.triggered_id == "planner-accept" else "remote"
    with tx() as conn:
        plans.set_visit_status(conn, scope, chosen, visit_id, status)
    return t("plan.visit_set", lang, id=visit_id, status=t(f"plan.status.{status}", lang)), [], _refresh(refresh)


@callback(*_ANSWER, Input("planner-split", "n_clicks"), Input("planner-move", "n_clicks"),
          State("planner-plan", "value"), State("planner-task", "value"), State("planner-window", "start_date"),
          State("planner-window", "end_date"), State("planner-refresh", "data"), prevent_initial_call=True)
def edit_task(split: int | None, move: int | None, plan_id: int | None, task_id: int | None, w_start: str | None,
              w_end: str | None, refresh: dict[str, Any] | None) -> tuple[Any, ...]:
    """A task split out of its joint visit, or its window moved."""
    if not (split or move):
        return _NOTHING
    scope = current_scope(Permission.PLAN)
    lang = page_lang()
    chosen = _chosen(plan_id)
    if not task_id:
        raise InvalidInput("task: enter the task id")
    if ctx.triggered_id == "planner-split":
        with tx() as conn:
            plans.split_task(conn, scope, chosen, int(task_id))
        return t("plan.split_done", lang, id=task_id), [], _refresh(refresh)
    first, last = parse_day(w_start), parse_day(w_end)
    if first is None or last is None:
        raise InvalidInput("window: choose the first and last day")
    with tx() as conn:
        plans.move_task_window(conn, scope, chosen, int(task_id), earliest=first, latest=last)
    return t("plan.moved", lang, id=task_id), [], _refresh(refresh)


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
        # the rows stand while the plan's revision does (names of enterprises and teams: within ROWS_TTL_S)
        key = ("plan_rows", plan_id, s.revision, scope.county_code, scope.township_code, lang)
        data, unassigned = services().recent.get(key, ROWS_TTL_S, lambda: _rows(conn, scope, plan_id, lang))
    # kept rows are shared between requests: handed out as copies of the list, components built per answer
    tiles = [("status", t(f"plan.status.{s.status}", lang)), ("tasks", s.tasks), ("visits", s.visits),
             ("joint", s.joint), ("saving", s.saving), ("held", s.held), ("remote", s.remote),
             ("exceeded", s.exceeded), ("routed", s.routed), ("unassigned", s.unassigned)]
    summary = [html.Div([html.Div(t(f"plan.kpi.{k}", lang), className="gc-tile-label"),
                         html.B(str(v), id=f"planner-kpi-{i}", className="gc-tile-value")], className="gc-tile")
               for i, (k, v) in enumerate(tiles)]
    return (summary, list(data), [html.Li(text) for text in unassigned],
            f"/planner/export/plan-{plan_id}.csv?lang={lang}", f"/planner/export/plan-{plan_id}.xlsx?lang={lang}")


def _rows(conn: psycopg.Connection[Any], scope: Scope, plan_id: int,
          lang: str) -> tuple[list[dict[str, Any]], list[str]]:
    """The visits grid's rows and the unassigned list of one plan, worded in ``lang``."""
    rows = plans.plan_visits(conn, scope, plan_id)
    names = department_names(conn, lang)
    data = [{**{k: cell(getattr(r, k)) for k in SHOWN}, "tasks": cell(r.task_ids),
             "departments": cell([names.department(d) for d in r.departments or ()]),
             "lead_department": names.department(r.lead_department) if r.lead_department else "",
             "items": cell([names.item(i) for i in r.items or ()]),
             "status": t(f"plan.status.{r.status}", lang),
             "window": f"{r.earliest}–{r.latest}",
             "start": (f"{int(r.start_min) // 60:02d}:{int(r.start_min) % 60:02d}"
                       if r.start_min is not None else "")} for r in rows]
    unassigned = [f"#{r.id} {r.enterprise_name}: {r.unassigned_reason}" for r in rows if r.unassigned_reason][:300]
    return data, unassigned
