"""The server callbacks each page fires, as the Dash renderer posts them: shapes (outputs, inputs, state) and
helpers to read a rendered layout. Used by ``bench/load_command_centre.py`` (the command-centre load test) and
checked against the app's ``/_dash-dependencies`` by ``tests/e2e/test_page_callbacks.py``, so the load test
cannot drift from the pages without a test failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from layers.registry import WALL_KPIS
from tests.dash_calls import callback_body


@dataclass(frozen=True)
class Callback:
    """One server callback as the page declares it: outputs, inputs and state as ``"id.prop"``."""

    name: str
    outputs: tuple[str, ...]
    inputs: tuple[str, ...]
    state: tuple[str, ...] = ()

    def body(self, values: dict[str, Any], changed: list[str]) -> dict[str, Any]:
        return callback_body(list(self.outputs), [(k, values.get(k)) for k in self.inputs],
                             [(k, values.get(k)) for k in self.state], changed)


def _cb(name: str, outputs: list[str], inputs: list[str], state: list[str] | None = None) -> Callback:
    return Callback(name, tuple(outputs), tuple(inputs), tuple(state or ()))


ROUTER = _cb("pages_router", ["_pages_content.children", "_pages_store.data"],
             ["_pages_location.pathname", "_pages_location.search"])
WALL = {
    "kpis": _cb("wall_kpis", [f"kpi-{k}.children" for k in WALL_KPIS] + ["wall-clock.children"],
                ["wall-refresh.n_intervals"], ["wall-days.data", "lang.data"]),
    "live": _cb("wall_live", ["wall-alerts-base.data", "wall-incidents-base.data", "wall-teams-base.data"],
                ["wall-resync.n_intervals", "live-resync.data"], ["lang.data"]),
    "boundaries": _cb("wall_boundaries", ["wall-boundaries.data", "wall-labels.data"], ["lang.data"]),
    "cells": _cb("wall_cells", ["wall-cells.data", "wall-cells.hideout"],
                 ["wall-map.bounds", "wall-map.zoom", "wall-map.center"], ["lang.data"]),
    "rotate": _cb("wall_rotate", ["wall-map.viewport", "wall-rotation.data", "wall-focus.children"],
                  ["wall-rotate.n_intervals"], ["wall-rotation.data", "lang.data"]),
}
MAP = {
    "boundaries": _cb("map_boundaries", ["boundaries.data", "labels.data"], ["lang.data"]),
    "viewport": _cb("map_viewport", ["cells.data", "cells.hideout", "enterprises.data", "map-note.children",
                                     "legend.children"],
                    ["map.bounds", "map.zoom", "map.center", "measure.value", "time-range.value",
                     "time-custom.start_date", "time-custom.end_date"], ["lang.data"]),
    "visits": _cb("map_visits", ["visits.data", "routes.data"], ["visit-day.date"], ["lang.data"]),
    "playback": _cb("map_playback", ["playback.data", "pb-meta.data", "pb-slider.max", "pb-slider.value"],
                    ["pb-play.n_clicks", "time-range.value", "time-custom.start_date", "time-custom.end_date"],
                    ["pb-meta.data", "lang.data"]),
    "live": _cb("map_live", ["alerts-base.data", "incidents-base.data", "teams-base.data"],
                ["time-range.value", "time-custom.start_date", "time-custom.end_date", "resync.n_intervals",
                 "live-resync.data"], ["lang.data"]),
}
DISPATCH = {
    # the queue's and map's base (on the stream's hello, a resync, every 5 min); the queue itself is drawn in the
    # browser from it and the pushed changes, and a click in it sets dsp-selected there (no server callback)
    "queue": _cb("dispatch_queue", ["dsp-incidents-base.data", "dsp-teams-base.data"],
                 ["live-resync.data", "dsp-resync.n_intervals"]),
    "select": _cb("dispatch_select", ["dsp-selected.data"], ["dsp-incidents.clickData"]),
    "detail": _cb("dispatch_detail", ["dsp-detail.children"], ["dsp-selected.data", "dsp-changed.data", "dsp-push.data"],
                  ["dsp-lang.data"]),
}
PLANNER = {
    "plans": _cb("planner_plans", ["planner-plan.options", "planner-plan.value"], ["planner-refresh.data"]),
    "departments": _cb("planner_departments", ["draw-department.options"], ["planner-refresh.data"]),
    "items": _cb("planner_items", ["draw-items.options"], ["draw-department.value"]),
    "preview": _cb("planner_draw_preview", ["draw-preview-box.children", "draw-pending.data", "draw-create.disabled"],
                   ["draw-preview.n_clicks", "draw-department.value", "draw-items.value", "draw-rate.value",
                    "draw-seed.value", "planner-period.start_date", "planner-period.end_date"]),
    "draws": _cb("planner_draws", ["draw-msg.children", "planner-draws.rowData"],
                 ["draw-create.n_clicks", "planner-refresh.data"], ["draw-pending.data"]),
    "plan": _cb("planner_plan", ["planner-summary.children", "planner-visits.rowData", "planner-unassigned.children",
                                 "planner-export-csv.href", "planner-export-xlsx.href"],
                ["planner-plan.value", "planner-refresh.data", "planner-job-state.data"]),
    "days": _cb("planner_days", ["planner-day.options", "planner-day.value"],
                ["planner-plan.value", "planner-job-state.data"], ["planner-day.value"]),
    "routes": _cb("planner_routes", ["planner-routes.children", "planner-day-teams.children", "planner-map.viewport"],
                  ["planner-day.value"], ["planner-plan.value"]),
    "job": _cb("planner_job", ["planner-job.children", "planner-progress.value", "planner-poll.disabled",
                               "planner-job-state.data"],
               ["planner-route.n_clicks", "planner-poll.n_intervals", "planner-plan.value"]),
}
ALL_CALLBACKS = [ROUTER, *WALL.values(), *MAP.values(), *DISPATCH.values(), *PLANNER.values()]

# What each page fires once its layout is rendered (the order Chromium's renderer sent them in, 2026-12-03); the
# live bases follow the stream's hello, the rest follow timers and clicks.
FIRST = {
    "/wall": [WALL["kpis"], WALL["boundaries"], WALL["cells"]],
    "/": [MAP["boundaries"], MAP["viewport"], MAP["visits"], MAP["playback"]],
    "/dispatch": [DISPATCH["queue"], DISPATCH["detail"]],
    "/planner": [PLANNER[k] for k in ("plans", "departments", "items", "draws", "plan", "days", "routes")],
}
PAGE_CALLBACKS = {"/wall": WALL, "/": MAP, "/dispatch": DISPATCH, "/planner": PLANNER}


def _spec(items: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(f"{i['id']}.{i['property']}" for i in items)


def check_callbacks(dependencies: list[dict[str, Any]]) -> list[str]:
    """What differs between the shapes above and the app's ``/_dash-dependencies`` (empty: all match)."""
    declared: dict[tuple[str, ...], dict[str, Any]] = {}
    for dep in dependencies:
        outputs = dep["output"].strip(".").split("...") if dep["output"].startswith("..") else [dep["output"]]
        declared[tuple(o.split("@")[0] for o in outputs)] = dep  # "@<hash>": allow_duplicate
    problems: list[str] = []
    for cb in ALL_CALLBACKS:
        found = declared.get(cb.outputs)
        if found is None:
            problems.append(f"{cb.name}: no callback with outputs {cb.outputs}")
        elif _spec(found["inputs"]) != cb.inputs or _spec(found.get("state", [])) != cb.state:
            problems.append(f"{cb.name}: the app has inputs {_spec(found['inputs'])} state "
                            f"{_spec(found.get('state', []))}")
    return problems


def find_component(tree: Any, component_id: str) -> dict[str, Any] | None:
    """The props of the component ``component_id`` in a rendered layout (Dash's JSON), or None."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict):
                if props.get("id") == component_id:
                    return props
                stack.extend(v for v in props.values() if isinstance(v, dict | list))
    return None


def pattern_ids(tree: Any, type_name: str, key: str) -> list[Any]:
    """The ``key`` values of pattern-matching ids ``{"type": type_name, key: ...}`` in a callback's output."""
    found: list[Any] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict):
                cid = props.get("id")
                if isinstance(cid, dict) and cid.get("type") == type_name and key in cid:
                    found.append(cid[key])
                stack.extend(v for v in props.values() if isinstance(v, dict | list))
    return found


def layout_values(tree: Any, callbacks: Any) -> dict[str, Any]:
    """The initial value of every input and state of ``callbacks`` as the rendered layout ``tree`` sets it (what
    the browser sends in its first calls; a prop the layout does not set is None)."""
    values: dict[str, Any] = {}
    for cb in callbacks:
        for spec in (*cb.inputs, *cb.state):
            cid, prop = spec.rsplit(".", 1)
            props = find_component(tree, cid) if not cid.startswith("{") else None
            values[spec] = (props or {}).get(prop)
    return values
