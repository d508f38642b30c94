"""双随机 draws stored: the register read in canonical order, the draw recorded with seed and parameters,
random-check tasks filed for the targets, inspectors drawn with recusal, and the publishable result list.

The rules (stratification, proportions, inspector choice) are in ``enforcement.draws``. The register is read
``ORDER BY id``; with the recorded seed and parameters ``redo_draw`` reproduces the targets and inspectors as
long as the register (its digest is stored) and the pool have not changed.
"""

from __future__ import annotations

import io
import json
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import psycopg

from enforcement.draws import (
    DrawnTarget,
    DrawParams,
    Inspector,
    InspectorSlot,
    RegisterEntry,
    draw_inspectors,
    draw_targets,
    register_digest,
    rng_for,
)
from geo_data import audit
from geo_data.db import fetch_all, fetch_one
from geo_data.errors import InvalidInput, NotFound
from geo_data.scope import Permission, Scope

RESULT_FIELDS = ("position", "enterprise_name", "uscc", "department_code", "items", "inspectors", "draw_id",
                 "seed", "draw_date")


@dataclass(frozen=True)
class DrawOutcome:
    draw_id: int
    seed: int
    targets: list[DrawnTarget]
    slots: list[InspectorSlot]
    register_size: int
    register_digest: str


def _register(conn: psycopg.Connection[Any], scope: Scope, townships: list[str] | None,
              industries: list[str] | None) -> list[RegisterEntry]:
    rows = fetch_all(conn, "draw_register", {**scope.params, "townships": townships, "industries": industries})
    return [RegisterEntry(int(r["id"]), r["risk"], r["credit"], r["industry"], r["township"]) for r in rows]


def _compute(conn: psycopg.Connection[Any], scope: Scope, *, department: str, params: DrawParams, seed: int,
             townships: list[str] | None, industries: list[str] | None, period_start: date
             ) -> tuple[list[RegisterEntry], list[DrawnTarget], list[InspectorSlot]]:
    register = _register(conn, scope, townships, industries)
    rng = rng_for(seed)
    targets = draw_targets(register, params, rng)
    ids = [t.enterprise_id for t in targets]
    pool = [Inspector(int(r["id"]), r["department_code"], frozenset(r["qualifications"]), r["team_id"])
            for r in fetch_all(conn, "draw_inspector_pool", {"county_code": scope.county_code})]
    conflicts = [(int(r["inspector_id"]), int(r["enterprise_id"])) for r in fetch_all(conn, "draw_conflicts", {"ids": ids})]
    last = {int(r["enterprise_id"]): [int(i) for i in r["inspector_ids"]]
            for r in fetch_all(conn, "draw_last_inspectors", {"ids": ids, "before": period_start})}
    slots = draw_inspectors(targets, department, pool, rng, per_visit=params.per_visit, conflicts=conflicts,
                            last_inspectors=last)
    return register, targets, slots


def create_draw(
    conn: psycopg.Connection[Any], scope: Scope, *, department: str, items: list[str], period_start: date,
    period_end: date, params: DrawParams | None = None, seed: int | None = None,
    townships: list[str] | None = None, industries: list[str] | None = None,
) -> DrawOutcome:
    """Draw targets and inspectors, file a random-check task per target, record everything. Audited."""
    scope.require(Permission.PLAN)
    params = params or DrawParams()
    if period_end < period_start:
        raise InvalidInput("period: ends before it starts")
    allowed = {r["code"] for r in fetch_all(conn, "draw_items_of_department", {"department": department})}
    if not allowed:
        raise InvalidInput(f"department: unknown department {department!r} or it has no inspection items")
    if not items or not set(items) <= allowed:
        raise InvalidInput(f"items: must be items of department {department}: {', '.join(sorted(set(items) - allowed)) or 'none given'}")
    seed = secrets.randbits(63) if seed is None else int(seed)
    if not 0 <= seed < 2**63:
        raise InvalidInput("seed: must be within 0..2^63-1")
    register, targets, slots = _compute(conn, scope, department=department, params=params, seed=seed,
                                        townships=townships, industries=industries, period_start=period_start)
    digest = register_digest(register)
    stored = {**params.as_dict(), "townships": townships, "industries": industries}
    row = fetch_one(conn, "draw_insert", {
        "county_code": scope.county_code, "department": department, "items": items, "period_start": period_start,
        "period_end": period_end, "seed": seed, "params": json.dumps(stored), "register_size": len(register),
        "register_digest": digest, "target_count": len(targets), "actor": scope.actor})
    assert row is not None
    draw_id = int(row["id"])
    task_ids = [int(r["id"]) for r in fetch_all(conn, "task_ids_next", {"n": len(targets)})] if targets else []
    with conn.cursor() as cur:
        if targets:
            with cur.copy("COPY inspection_tasks (id, county_code, department_code, enterprise_id, items, reason,"
                          " earliest, latest, draw_id) FROM STDIN") as copy:
                for task_id, t in zip(task_ids, targets, strict=True):
                    copy.write_row((task_id, scope.county_code, department, t.enterprise_id, items, "random",
                                    period_start, period_end, draw_id))
            with cur.copy("COPY draw_targets (draw_id, county_code, enterprise_id, stratum, position, task_id)"
                          " FROM STDIN") as copy:
                for task_id, t in zip(task_ids, targets, strict=True):
                    copy.write_row((draw_id, scope.county_code, t.enterprise_id, t.stratum, t.position, task_id))
            with cur.copy("COPY draw_inspectors (draw_id, county_code, enterprise_id, slot, inspector_id, note)"
                          " FROM STDIN") as copy:
                for s in slots:
                    copy.write_row((draw_id, scope.county_code, s.enterprise_id, s.slot, s.inspector_id, s.note))
    audit.record_for(conn, scope, "draw.create", object_type="draw", object_id=draw_id,
                     detail={"seed": seed, "department": department, "targets": len(targets),
                             "register_size": len(register), "register_digest": digest})
    return DrawOutcome(draw_id, seed, targets, slots, len(register), digest)


def redo_draw(conn: psycopg.Connection[Any], scope: Scope, draw_id: int) -> DrawOutcome:
    """Recompute a recorded draw from its seed and parameters against today's register (nothing written)."""
    d = get_draw(conn, scope, draw_id)
    p = d["params"]
    params = DrawParams(base_rate=p["base_rate"], risk_factor=p["risk_factor"], credit_factor=p["credit_factor"],
                        max_rate=p["max_rate"], per_visit=p["per_visit"])
    register, targets, slots = _compute(conn, scope, department=d["department_code"], params=params,
                                        seed=int(d["seed"]), townships=p.get("townships"),
                                        industries=p.get("industries"), period_start=d["period_start"])
    return DrawOutcome(draw_id, int(d["seed"]), targets, slots, len(register), register_digest(register))


def get_draw(conn: psycopg.Connection[Any], scope: Scope, draw_id: int) -> dict[str, Any]:
    row = fetch_one(conn, "draw_get", {"draw_id": draw_id, "county_code": scope.county_code})
    if row is None:
        raise NotFound(f"draw {draw_id} not found")
    return row


def list_draws(conn: psycopg.Connection[Any], scope: Scope, *, limit: int = 50) -> list[dict[str, Any]]:
    return fetch_all(conn, "draw_list", {"county_code": scope.county_code, "limit": limit})


def result_table(conn: psycopg.Connection[Any], scope: Scope, draw_id: int) -> pd.DataFrame:
    """The publishable list (一公开), columns ``RESULT_FIELDS`` (``layers.tables.export_frame`` heads them)."""
    get_draw(conn, scope, draw_id)
    rows = fetch_all(conn, "draw_result", {"draw_id": draw_id, "county_code": scope.county_code})
    frame = pd.DataFrame(rows, columns=["position", "enterprise_name", "uscc", "department_code", "items",
                                        "inspectors", "draw_id", "seed", "created_at"])
    frame["draw_date"] = [c.date().isoformat() for c in frame.pop("created_at")] if len(frame) else []
    frame["seed"] = frame["seed"].astype(str)   # 63-bit seeds lose digits in Excel as numbers
    return frame[list(RESULT_FIELDS)]


def result_csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8-sig")


def result_excel(frame: pd.DataFrame, sheet: str = "双随机抽取结果") -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet)
    return buf.getvalue()
