"""Inspection tasks (检查任务) in: departments' plans from CSV/Excel, every bad row reported, nothing half-loaded.

Columns (Chinese or English headers): department (code, Chinese or English name), uscc, items (codes or
names separated by ``；;,，、``), reason (年度计划/双随机/专项/投诉/告警 or annual/random/special/complaint/alert),
earliest, latest (dates). Rules: items must belong to the department, the enterprise must exist in the
caller's county (and township), earliest ≤ latest. An unknown department or reason is also reported once per
value (``UnknownValue``: rows, closest known value); ``value_maps`` (``--map-values department:消防大队=fire``,
``reason:日常检查=annual``) maps such values.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg

from geo_data import audit
from geo_data.db import fetch_all
from geo_data.errors import InvalidInput, RowProblem
from geo_data.importers import ImportRefused
from geo_data.scope import Permission, Scope
from geo_data.uscc import normalise_uscc, uscc_problem
from geo_data.vocabularies import (
    EXCEL_SERIAL,
    UnknownValue,
    excel_serial_date,
    normal_key,
    resolve_value_map,
    suggest,
)

COLUMNS = ("department", "uscc", "items", "reason", "earliest", "latest")
HEADER_ALIASES = {
    "department": "department", "department_code": "department", "部门": "department", "执法部门": "department",
    "uscc": "uscc", "统一社会信用代码": "uscc", "信用代码": "uscc",
    "items": "items", "检查事项": "items", "事项": "items",
    "reason": "reason", "任务来源": "reason", "原因": "reason", "检查原因": "reason",
    "earliest": "earliest", "最早日期": "earliest", "开始日期": "earliest",
    "latest": "latest", "最晚日期": "latest", "截止日期": "latest",
}
REASON_ALIASES = {
    "年度计划": "annual", "年度": "annual", "annual": "annual",
    "双随机": "random", "random": "random",
    "专项": "special", "专项检查": "special", "special": "special",
    "投诉": "complaint", "投诉举报": "complaint", "complaint": "complaint",
    "告警": "alert", "预警": "alert", "alert": "alert",
}
REASONS_ACCEPTED = "年度计划, 双随机, 专项, 投诉, 告警"
VALUE_MAP_FIELDS = ("department", "reason")
ITEM_SEPARATORS = re.compile(r"[；;,，、]")
MAX_ROWS = 200_000


@dataclass(frozen=True)
class TaskRow:
    row: int
    department: str
    enterprise_id: int
    items: tuple[str, ...]
    reason: str
    earliest: date
    latest: date


@dataclass(frozen=True)
class TaskImportReport:
    inserted: int
    problems: list[RowProblem]
    task_ids: list[int]
    unknown: list[UnknownValue] = dataclasses.field(default_factory=list)  # each unknown value once


def read_table(source: str | Path | bytes, *, filename: str = "") -> pd.DataFrame:
    """A CSV (UTF-8, with or without BOM) or Excel file as a frame of strings with canonical headers."""
    name = (filename or str(source) if not isinstance(source, bytes) else filename).lower()
    data: Any = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        if name.endswith((".xlsx", ".xlsm", ".xls")):
            frame = pd.read_excel(data, dtype=object)
        else:
            frame = pd.read_csv(data, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InvalidInput(f"file: cannot read {filename or source!s}: {exc}") from exc
    frame.columns = [HEADER_ALIASES.get(str(c).strip().lower(), HEADER_ALIASES.get(str(c).strip(), str(c)))
                     for c in frame.columns]
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InvalidInput(f"file: missing columns: {', '.join(missing)} (need {', '.join(COLUMNS)})")
    if len(frame) > MAX_ROWS:
        raise InvalidInput(f"file: {len(frame)} rows, at most {MAX_ROWS} per import")
    return frame


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def parse_date(value: Any) -> date:
    """A date from ``YYYY-MM-DD``, ``YYYY/MM/DD``, ``YYYYMMDD``, ``YYYY年M月D日``, an Excel date cell, or the
    Excel serial day number a CSV export writes for a date cell (``46083`` = 2026-03-02)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        raise ValueError("empty")
    if EXCEL_SERIAL.fullmatch(text):
        return excel_serial_date(text)
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]00:00(?::00)?)?", text)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    if re.fullmatch(r"\d{8}", text):
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    raise ValueError(f"not a date: {text!r} (use YYYY-MM-DD)")


class _Reference:
    """Departments and their items, looked up by code or name."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.department: dict[str, str] = {}
        self.items: dict[str, dict[str, str]] = {}
        for r in rows:
            for key in (r["code"], r["name"], r["name_en"], r["name_en"].lower()):
                self.department[key] = r["code"]
            lookup: dict[str, str] = {}
            for code, name in zip(r["item_codes"], r["item_names"], strict=True):
                lookup[code] = code
                lookup[name] = code
            self.items[r["code"]] = lookup


def check_rows(
    conn: psycopg.Connection[Any], scope: Scope, frame: pd.DataFrame,
    value_maps: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[list[TaskRow], list[RowProblem], list[UnknownValue]]:
    """The good rows, a problem for every bad field (row numbers 1-based, header excluded) and each unknown
    department or reason once."""
    ref = _Reference(fetch_all(conn, "task_departments"))
    dept_map = resolve_value_map("department", (value_maps or {}).get("department", {}),
                                 {normal_key(k): v for k, v in ref.department.items()},
                                 "a code or name of the departments list")
    reason_map = resolve_value_map("reason", (value_maps or {}).get("reason", {}),
                                   {normal_key(k): v for k, v in REASON_ALIASES.items()}, REASONS_ACCEPTED)
    unknown_depts: dict[str, list[int]] = {}
    unknown_reasons: dict[str, list[int]] = {}
    usccs = sorted({normalise_uscc(_text(v)) for v in frame["uscc"]})
    found = {r["uscc"]: int(r["id"]) for r in fetch_all(conn, "task_enterprise_ids", {**scope.params,
                                                                                         "usccs": usccs})}
    good: list[TaskRow] = []
    problems: list[RowProblem] = []
    for n, rec in enumerate(frame.to_dict("records"), start=1):
        bad: list[RowProblem] = []
        dept_text = _text(rec["department"])
        department = (dept_map.get(normal_key(dept_text)) or ref.department.get(dept_text)
                      or ref.department.get(dept_text.lower()))
        if not dept_text:
            bad.append(RowProblem(n, "department", "empty"))
        elif department is None:
            bad.append(RowProblem(n, "department", f"unknown department {dept_text!r}"))
            unknown_depts.setdefault(dept_text, []).append(n)
        uscc = normalise_uscc(_text(rec["uscc"]))
        enterprise_id = None
        why = uscc_problem(uscc)
        if why:
            bad.append(RowProblem(n, "uscc", why))
        else:
            enterprise_id = found.get(uscc)
            if enterprise_id is None:
                bad.append(RowProblem(n, "uscc", f"no enterprise {uscc} in county {scope.county_code}"
                                      + (f" township {scope.township_code}" if scope.township_code else "")))
        names = [p.strip() for p in ITEM_SEPARATORS.split(_text(rec["items"])) if p.strip()]
        items: list[str] = []
        if not names:
            bad.append(RowProblem(n, "items", "empty"))
        elif department is not None:
            lookup = ref.items.get(department, {})
            unknown = [x for x in names if x not in lookup]
            if unknown:
                bad.append(RowProblem(n, "items", f"not items of department {department}: {', '.join(unknown)}"))
            items = list(dict.fromkeys(lookup[x] for x in names if x in lookup))
        reason_text = _text(rec["reason"])
        reason = (reason_map.get(normal_key(reason_text)) or REASON_ALIASES.get(reason_text)
                  or REASON_ALIASES.get(reason_text.lower()))
        if reason is None:
            bad.append(RowProblem(n, "reason", f"unknown reason {reason_text!r} ({REASONS_ACCEPTED})"))
            if reason_text:
                unknown_reasons.setdefault(reason_text, []).append(n)
        dates: dict[str, date] = {}
        for field in ("earliest", "latest"):
            try:
                dates[field] = parse_date(rec[field])
            except ValueError as exc:
                bad.append(RowProblem(n, field, str(exc)))
        if len(dates) == 2 and dates["earliest"] > dates["latest"]:
            bad.append(RowProblem(n, "latest", f"{dates['latest']} is before earliest {dates['earliest']}"))
        if bad:
            problems.extend(bad)
            continue
        assert department is not None and enterprise_id is not None and reason is not None
        good.append(TaskRow(n, department, enterprise_id, tuple(items), reason, dates["earliest"], dates["latest"]))
    said = [UnknownValue("department", v, tuple(rows), suggest(v, ref.department)) for v, rows in unknown_depts.items()]
    said += [UnknownValue("reason", v, tuple(rows), suggest(v, REASON_ALIASES), f"use {REASONS_ACCEPTED}")
             for v, rows in unknown_reasons.items()]
    return good, problems, said


def insert_tasks(conn: psycopg.Connection[Any], *, county_code: str, rows: Sequence[TaskRow]) -> list[int]:
    """COPY the checked rows into ``inspection_tasks``; their new ids in row order."""
    if not rows:
        return []
    ids = [int(r["id"]) for r in fetch_all(conn, "task_ids_next", {"n": len(rows)})]
    with conn.cursor().copy(
        "COPY inspection_tasks (id, county_code, department_code, enterprise_id, items, reason, earliest, latest)"
        " FROM STDIN"
    ) as copy:
        for task_id, r in zip(ids, rows, strict=True):
            copy.write_row((task_id, county_code, r.department, r.enterprise_id, list(r.items), r.reason,
                            r.earliest, r.latest))
    return ids


def import_tasks(
    conn: psycopg.Connection[Any], scope: Scope, frame: pd.DataFrame, *, skip_bad: bool = False,
    source: str = "", value_maps: Mapping[str, Mapping[str, str]] | None = None,
) -> TaskImportReport:
    """Check and load tasks in the caller's transaction; all-or-nothing unless ``skip_bad``.

    Raises ImportRefused (an InvalidInput with every problem, and each unknown value once) when a row is bad
    and ``skip_bad`` is False.
    """
    scope.require(Permission.PLAN)
    good, problems, unknown = check_rows(conn, scope, frame, value_maps)
    if problems and not skip_bad:
        raise ImportRefused(f"{len({p.row for p in problems})} of {len(frame)} rows are bad; nothing imported",
                            problems, unknown)
    ids = insert_tasks(conn, county_code=scope.county_code, rows=good)
    audit.record_for(conn, scope, "tasks.import", object_type="inspection_tasks",
                     detail={"source": source, "inserted": len(ids), "bad_rows": len({p.row for p in problems}),
                             "value_maps": {f: dict(m) for f, m in (value_maps or {}).items()}})
    return TaskImportReport(inserted=len(ids), problems=problems, task_ids=ids, unknown=unknown)


def rejects_frame(frame: pd.DataFrame, problems: Sequence[RowProblem]) -> pd.DataFrame:
    """The bad rows with a ``problems`` column, for ``--rejects`` files."""
    why: dict[int, list[str]] = {}
    for p in problems:
        why.setdefault(p.row, []).append(f"{p.field}: {p.reason}")
    rows = sorted(why)
    out = frame.iloc[[r - 1 for r in rows]].copy()
    out.insert(0, "row", rows)
    out["problems"] = ["; ".join(why[r]) for r in rows]
    return out
