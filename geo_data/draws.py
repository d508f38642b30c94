"""双随机 draws stored: the register read in canonical order, the draw recorded with seed and parameters,
random-check tasks filed for the targets, inspectors drawn with recusal, and the publishable result list.

The rules (stratification, proportions, inspector choice) are in ``enforcement.draws``. The register is read
``ORDER BY id``; with the recorded seed and parameters ``redo_draw`` reproduces the targets and inspectors as
long as the register (its digest is stored) and the pool have not changed.

A planner previews a draw first (``preview_draw``: nothing written, the seed chosen then) and commits that preview
(``create_draw`` with the preview's seed, register digest and token): what was shown is what is drawn, a register
changed meanwhile is a Conflict, and the same preview committed twice records one draw.
"""

from __future__ import annotations

import io
import json
import secrets
from collections import Counter
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
from enforcement.grades import RISK_GRADES
from geo_data import audit
from geo_data.db import fetch_all, fetch_one
from geo_data.errors import Conflict, InvalidInput, NotFound
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
    already_recorded: bool = False   # the preview had been committed before: this is that draw


@dataclass(frozen=True)
class DrawPreview:
    """What a draw would be, nothing written: ``token`` commits exactly this (seed, register digest)."""
    seed: int
    token: str
    register_size: int
    register_digest: str
    targets: list[DrawnTarget]
    slots: list[InspectorSlot]
    sample: list[dict[str, Any]]        # the first targets: position, name, USCC, township, grades, inspectors
    by_township: list[dict[str, Any]]   # township name, register size, drawn (most drawn first)
    by_risk: list[dict[str, Any]]       # risk grade, register size, drawn (RISK_GRADES order)
    unstaffed: int                      # targets short of inspectors (no qualified one left after recusal)


def _checked(conn: psycopg.Connection[Any], scope: Scope, *, department: str, items: list[str],
             period_start: date, period_end: date, seed: int | None) -> int:
    """The draw's inputs checked (InvalidInput names the field); the seed to use (a fresh one if none)."""
    scope.require(Permission.PLAN)
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
    return seed


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


def preview_draw(
    conn: psycopg.Connection[Any], scope: Scope, *, department: str, items: list[str], period_start: date,
    period_end: date, params: DrawParams | None = None, seed: int | None = None,
    townships: list[str] | None = None, industries: list[str] | None = None, sample: int = 20,
) -> DrawPreview:
    """The draw these inputs make, with names for the first ``sample`` targets and counts per township and risk
    grade; nothing is written (``create_draw`` with the preview's seed, digest and token commits it)."""
    params = params or DrawParams()
    seed = _checked(conn, scope, department=department, items=items, period_start=period_start,
                    period_end=period_end, seed=seed)
    register, targets, slots = _compute(conn, scope, department=department, params=params, seed=seed,
                                        townships=townships, industries=industries, period_start=period_start)
    shown = targets[:sample]
    names = {int(r["id"]): r for r in fetch_all(conn, "draw_preview_rows", {
        "ids": [t.enterprise_id for t in shown], "county_code": scope.county_code})}
    slot_of: dict[int, list[int]] = {}
    for s in slots:
        if s.inspector_id is not None:
            slot_of.setdefault(s.enterprise_id, []).append(s.inspector_id)
    inspector_ids = sorted({i for t in shown for i in slot_of.get(t.enterprise_id, [])})
    inspectors = {int(r["id"]): f"{r['name']}（{r['badge_no']}）" for r in fetch_all(conn, "draw_inspector_names", {
        "ids": inspector_ids, "county_code": scope.county_code})}
    rows = [{"position": t.position, "enterprise_name": names[t.enterprise_id]["name"],
             "uscc": names[t.enterprise_id]["uscc"], "township_name": names[t.enterprise_id]["township_name"],
             "risk": names[t.enterprise_id]["risk"], "credit": names[t.enterprise_id]["credit"],
             "inspectors": "、".join(inspectors[i] for i in slot_of.get(t.enterprise_id, []))}
            for t in shown if t.enterprise_id in names]
    by_id = {e.enterprise_id: e for e in register}
    town_names = {r["code"]: r["name"] for r in fetch_all(conn, "draw_township_names",
                                                          {"county_code": scope.county_code})}
    reg_town = Counter(e.township for e in register)
    drawn_town = Counter(by_id[t.enterprise_id].township for t in targets)
    by_township = sorted(({"township": town_names.get(code, code), "register": n, "drawn": drawn_town.get(code, 0)}
                          for code, n in reg_town.items()), key=lambda r: (-r["drawn"], -r["register"], r["township"]))
    reg_risk = Counter(e.risk for e in register)
    drawn_risk = Counter(by_id[t.enterprise_id].risk for t in targets)
    by_risk = [{"risk": r, "register": reg_risk.get(r, 0), "drawn": drawn_risk.get(r, 0)}
               for r in RISK_GRADES if reg_risk.get(r)]
    unstaffed = len({s.enterprise_id for s in slots if s.inspector_id is None})
    return DrawPreview(seed, secrets.token_urlsafe(16), len(register), register_digest(register), targets, slots,
                       rows, by_township, by_risk, unstaffed)


def create_draw(
    conn: psycopg.Connection[Any], scope: Scope, *, department: str, items: list[str], period_start: date,
    period_end: date, params: DrawParams | None = None, seed: int | None = None,
    townships: list[str] | None = None, industries: list[str] | None = None,
    preview_token: str | None = None, expect_digest: str | None = None,
) -> DrawOutcome:
    """Draw targets and inspectors, file a random-check task per target, record everything. Audited.

    From a preview (``preview_token``, ``expect_digest``, its seed): Conflict if the register changed since; a
    token already committed returns that draw (``already_recorded``) and writes nothing."""
    params = params or DrawParams()
    seed = _checked(conn, scope, department=department, items=items, period_start=period_start,
                    period_end=period_end, seed=seed)
    if preview_token is not None and (done := _committed(conn, scope, preview_token)) is not None:
        return done
    register, targets, slots = _compute(conn, scope, department=department, params=params, seed=seed,
                                        townships=townships, industries=industries, period_start=period_start)
    digest = register_digest(register)
    if expect_digest is not None and digest != expect_digest:
        raise Conflict(f"register: the register changed since the preview ({len(register)} enterprises now):"
                       " preview the draw again")
    stored = {**params.as_dict(), "townships": townships, "industries": industries}
    row = fetch_one(conn, "draw_insert", {
        "county_code": scope.county_code, "department": department, "items": items, "period_start": period_start,
        "period_end": period_end, "seed": seed, "params": json.dumps(stored), "register_size": len(register),
        "register_digest": digest, "target_count": len(targets), "actor": scope.actor,
        "preview_token": preview_token})
    if row is None:   # the same preview committed meanwhile by another request (the unique token waited for it)
        assert preview_token is not None
        done = _committed(conn, scope, preview_token)
        assert done is not None
        return done
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
                             "register_size": len(register), "register_digest": digest,
                             "from_preview": preview_token is not None})
    return DrawOutcome(draw_id, seed, targets, slots, len(register), digest)


def _committed(conn: psycopg.Connection[Any], scope: Scope, token: str) -> DrawOutcome | None:
    """The draw a preview token already recorded, as stored (targets and inspectors), or None."""
    d = fetch_one(conn, "draw_by_token", {"token": token, "county_code": scope.county_code})
    if d is None:
        return None
    rows = fetch_all(conn, "draw_stored_targets", {"draw_id": d["id"], "county_code": scope.county_code})
    targets = [DrawnTarget(int(r["enterprise_id"]), r["stratum"], int(r["position"])) for r in rows]
    slots = [InspectorSlot(int(r["enterprise_id"]), int(r["slot"]),
                           None if r["inspector_id"] is None else int(r["inspector_id"]), r["note"])
             for r in fetch_all(conn, "draw_stored_slots", {"draw_id": d["id"], "county_code": scope.county_code})]
    return DrawOutcome(int(d["id"]), int(d["seed"]), targets, slots, int(d["register_size"]), d["register_digest"],
                       already_recorded=True)


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
