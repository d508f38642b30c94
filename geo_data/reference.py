"""Reference data: departments (执法部门), inspection items (检查事项), industries (行业), alert types (告警类型).

The data lives in small files under ``geo_data/reference/`` (see ``PROVENANCE.md`` there) and is upserted
idempotently by ``load_reference``; the demo generator also reads the industries' demo columns (share of the
register, where they sit, risk mix, supervising departments, name patterns) from here.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import psycopg

from enforcement.grades import RISK_GRADES
from geo_data.db import fetch_one, sql_text
from geo_data.errors import InvalidInput

REFERENCE_DIR = Path(__file__).with_name("reference")
PLACEMENTS = ("urban", "town", "park", "rural", "mountain")


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    name_en: str


@dataclass(frozen=True)
class InspectionItem:
    code: str
    department_code: str
    name: str
    legal_basis: str
    service_minutes: int


@dataclass(frozen=True)
class Industry:
    """An industry and the demo generator's parameters for it."""

    code: str
    name: str
    name_en: str
    busy_windows: list[list[str]]         # [["11:00", "13:30"], ...] local time (Asia/Shanghai)
    departments: tuple[str, ...]          # departments that supervise it, most frequent first
    demo_weight: float                    # relative share of the register
    placement: str                        # urban | town | park | rural | mountain
    risk_mix: tuple[float, float, float, float]   # P(high, elevated, general, low)
    company_share: float                  # share registered as companies (有限公司) rather than shops
    shop_suffixes: tuple[str, ...]
    company_term: str


@dataclass(frozen=True)
class AlertType:
    code: str
    name: str
    name_en: str
    departments: tuple[str, ...]
    window_minutes: int
    ring: int
    remote_closable: bool
    sla_minutes: dict[str, int]


def _rows(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@cache
def departments() -> tuple[Department, ...]:
    """The ten departments, in file order."""
    return tuple(Department(r["code"], r["name"], r["name_en"]) for r in _rows("departments.csv"))


@cache
def inspection_items() -> tuple[InspectionItem, ...]:
    """Every inspection item, in file order (grouped by department)."""
    return tuple(InspectionItem(r["code"], r["department_code"], r["name"], r["legal_basis"],
                                int(r["service_minutes"])) for r in _rows("inspection_items.csv"))


def _busy_windows(text: str, code: str) -> list[list[str]]:
    windows = []
    for part in filter(None, text.split(";")):
        start, _, end = part.partition("-")
        if len(start) != 5 or len(end) != 5 or start >= end:
            raise InvalidInput(f"industries.csv: {code}: busy window {part!r} is not HH:MM-HH:MM")
        windows.append([start, end])
    return windows


@cache
def industries() -> tuple[Industry, ...]:
    """Every industry with its demo parameters, in file order."""
    out = []
    for r in _rows("industries.csv"):
        mix = tuple(float(r[f"risk_{g}"]) for g in RISK_GRADES)
        if abs(sum(mix) - 1.0) > 1e-9 or r["placement"] not in PLACEMENTS:
            raise InvalidInput(f"industries.csv: {r['code']}: risk mix must sum to 1 and placement be known")
        out.append(Industry(
            code=r["code"], name=r["name"], name_en=r["name_en"],
            busy_windows=_busy_windows(r["busy_windows"], r["code"]),
            departments=tuple(r["departments"].split()), demo_weight=float(r["demo_weight"]),
            placement=r["placement"], risk_mix=(mix[0], mix[1], mix[2], mix[3]),
            company_share=float(r["company_share"]), shop_suffixes=tuple(r["shop_suffixes"].split(";")),
            company_term=r["company_term"],
        ))
    return tuple(out)


@cache
def alert_types() -> tuple[AlertType, ...]:
    """Every alert type, in file order."""
    data = json.loads((REFERENCE_DIR / "alert_types.json").read_text(encoding="utf-8"))
    return tuple(AlertType(code=a["code"], name=a["name"], name_en=a["name_en"],
                           departments=tuple(a["departments"]), window_minutes=int(a["window_minutes"]),
                           ring=int(a["ring"]), remote_closable=bool(a["remote_closable"]),
                           sla_minutes={k: int(v) for k, v in a["sla_minutes"].items()}) for a in data)


def check_reference() -> None:
    """Raise InvalidInput if the files refer to unknown departments (kept consistent by a unit test)."""
    known = {d.code for d in departments()}
    for item in inspection_items():
        if item.department_code not in known:
            raise InvalidInput(f"inspection_items.csv: {item.code}: unknown department {item.department_code}")
    for ind in industries():
        for dep in ind.departments:
            if dep not in known:
                raise InvalidInput(f"industries.csv: {ind.code}: unknown department {dep}")
    for at in alert_types():
        for dep in at.departments:
            if dep not in known:
                raise InvalidInput(f"alert_types.json: {at.code}: unknown department {dep}")


def load_reference(conn: psycopg.Connection[Any]) -> None:
    """Upsert departments, inspection items, industries and alert types; running it again changes nothing."""
    check_reference()
    with conn.cursor() as cur:
        cur.executemany(sql_text("reference_upsert_department").encode(),
                        [{"code": d.code, "name": d.name, "name_en": d.name_en} for d in departments()])
        cur.executemany(sql_text("reference_upsert_inspection_item").encode(),
                        [vars(i) for i in inspection_items()])
        cur.executemany(sql_text("reference_upsert_industry").encode(),
                        [{"code": i.code, "name": i.name, "name_en": i.name_en,
                          "busy_windows": json.dumps(i.busy_windows)} for i in industries()])
        cur.executemany(sql_text("reference_upsert_alert_type").encode(),
                        [{"code": a.code, "name": a.name, "name_en": a.name_en,
                          "remote_closable": a.remote_closable, "window_minutes": a.window_minutes,
                          "ring": a.ring, "departments": list(a.departments),
                          "sla_minutes": json.dumps(a.sla_minutes)} for a in alert_types()])


def reference_counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """How many departments, inspection items, industries and alert types are loaded."""
    row = fetch_one(conn, "reference_counts")
    assert row is not None
    return {k: int(v) for k, v in row.items()}
