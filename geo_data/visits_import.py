"""Import historical inspection records (检查记录) as visits, checked like enterprises (see importers.py).

Columns (Chinese or English names, ``--map`` for others):

* 统一社会信用代码 / uscc — an enterprise already registered in the county (required)
* 检查部门 / department — the lead department, code or name (required)
* 参与部门 / departments — further departments, separated by , ， ; ； 、 or |
* 检查日期 / date — YYYY-MM-DD (also YYYY/MM/DD, YYYYMMDD, 2026年3月2日), an Excel date cell or an Excel
  serial day number as CSV exports write them (46083 = 2026-03-02); not in the future (required)
* 检查事项 / items — inspection item codes or names, separated as above; each must belong to one of the
  visit's departments
* 联合检查 / joint — 是/否, yes/no, true/false, 1/0; a joint visit needs two or more departments and a
  visit of two or more departments is joint (left empty: taken from the departments)
* 行政行为码 / code — the inspection code, unique (optional); 亮码 / code_scanned — 是/否 (default 否)
* 评价 / rating — 1-5 (optional); 检查结果 / result — free text (optional)

Visits take the place, township and H3 cells of their enterprise; the visit counts of those cells are refreshed.
An unknown department or item is reported once per value (with its rows and the closest known name) besides the
row problems; ``value_maps`` (``--map-values department:消防大队=fire``; a department mapping serves both
department columns) maps them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg

from geo_data import audit
from geo_data.cells import refresh_cell_counts
from geo_data.db import execute, fetch_all
from geo_data.importers import (
    CheckedRows,
    ImportReport,
    Problems,
    _finish_problems,
    _lookup,
    _reference_table,
    normalise_usccs,
    read_source,
    resolve_columns,
)
from geo_data.uscc import uscc_problem
from geo_data.vocabularies import EXCEL_EPOCH, EXCEL_SERIAL, UnknownValue, resolve_value_map, suggest

VISIT_FIELDS: dict[str, tuple[str, ...]] = {
    "uscc": ("统一社会信用代码", "社会信用代码", "信用代码", "uscc"),
    "department": ("检查部门", "牵头部门", "部门", "department", "lead_department"),
    "departments": ("参与部门", "部门列表", "联合部门", "departments"),
    "date": ("检查日期", "日期", "检查时间", "date", "visit_date"),
    "items": ("检查事项", "事项", "items"),
    "joint": ("联合检查", "是否联合检查", "joint"),
    "code": ("行政行为码", "检查码", "code"),
    "code_scanned": ("亮码", "是否亮码", "扫码", "code_scanned", "scanned"),
    "rating": ("评价", "满意度", "企业评价", "rating"),
    "result": ("检查结果", "结果", "result"),
}
VISIT_REQUIRED = ("uscc", "department", "date")
VISIT_VALUE_MAP_FIELDS = ("department", "items")
_SPLIT = r"[,，;；、|]"
_TRUE = {"是", "y", "yes", "true", "t", "1", "√"}
_FALSE = {"否", "n", "no", "false", "f", "0", ""}


def _flags(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(value, understood) for yes/no texts; '' reads as no."""
    key = values.str.lower().str.strip()
    yes = key.isin(_TRUE).to_numpy()
    no = key.isin(_FALSE).to_numpy()
    return yes, yes | no


def _dates(values: pd.Series) -> pd.Series:
    """Dates of a text column (NaT where not a date): ISO and Chinese forms, Excel cells read as text
    ("2026-03-02 00:00:00") and Excel serial day numbers (five digits, a fraction is the time of day)."""
    text = values.str.replace(r"[/.年月]", "-", regex=True).str.replace("日", "", regex=False)
    text = text.str.replace(r"^(\d{4})(\d{2})(\d{2})$", r"\1-\2-\3", regex=True).str.slice(0, 10)
    out = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    serial = values.str.fullmatch(EXCEL_SERIAL.pattern).fillna(False).to_numpy(dtype=bool)
    if serial.any():
        days = values[serial].astype(float).astype(int).to_numpy()
        out[serial] = pd.Timestamp(EXCEL_EPOCH) + pd.to_timedelta(days, unit="D")
    return out


def check_visits(conn: psycopg.Connection[Any], *, county_code: str, source: Any,
                 mapping: Mapping[str, str] | None = None,
                 value_maps: Mapping[str, Mapping[str, str]] | None = None) -> tuple[CheckedRows, pd.DataFrame]:
    """Check every visit row; returns the checks and the clean rows (enterprise id, arrays, flags)."""
    frame = source.frame
    n = len(frame)
    cols = resolve_columns(list(frame.columns), VISIT_FIELDS, required=VISIT_REQUIRED, mapping=mapping)
    value_maps = value_maps or {}
    problems = Problems(n)

    def col(name: str) -> pd.Series:
        return frame[cols[name]] if name in cols else pd.Series([""] * n, dtype=object)

    uscc, valid = normalise_usccs(col("uscc"))
    empty = (uscc == "").to_numpy()
    problems.add(empty, "uscc", "missing")
    problems.add(~empty & ~valid, "uscc", lambda i: str(uscc_problem(uscc.iat[i])))
    ents = pd.DataFrame(fetch_all(conn, "visit_import_enterprises", {"county_code": county_code}),
                        columns=["uscc", "id", "h3_r7", "h3_r8", "h3_r9"]).set_index("uscc")
    ent_id = uscc.map(ents["id"]) if len(ents) else pd.Series([np.nan] * n)
    problems.add(~empty & ent_id.isna().to_numpy(), "uscc", f"no such enterprise in county {county_code}")

    dept_rows = fetch_all(conn, "import_departments")
    depts = _reference_table(dept_rows)
    dept_names = {r[k]: r["code"] for r in dept_rows for k in ("name", "name_en")}
    dept_map = resolve_value_map("department", value_maps.get("department", {}), depts,
                                 "a code or name of the departments list")
    lead_raw = col("department")
    lead = _lookup(lead_raw, depts, dept_map)
    problems.add((lead_raw == "").to_numpy(), "department", "missing")
    problems.add_unknown((lead_raw != "").to_numpy() & lead.isna().to_numpy(), "department", lead_raw,
                         lambda v: (suggest(v, dept_names), ""),
                         lambda v, s, h: f"unknown department {v!r}{f'; suggested: {s}' if s else ''}")
    # departments and items: explode the lists, look every part up at once, regroup by row
    parts = col("departments").str.split(_SPLIT, regex=True).explode()
    parts = parts[parts.str.strip() != ""].str.strip()
    part_codes = _lookup(parts, depts, dept_map)
    unknown = parts[part_codes.isna()]
    bad_depts = unknown.groupby(level=0).agg(lambda s: "、".join(s))
    problems.add(np.isin(np.arange(n), bad_depts.index), "departments",
                 lambda i: f"unknown department(s): {bad_depts.loc[i]}")
    _summarise_parts(problems, "departments", unknown, dept_names)
    extra = part_codes.dropna().groupby(level=0).agg(list)
    dept_lists = [sorted({lead.iat[i], *extra.get(i, [])} - {np.nan}) if pd.notna(lead.iat[i]) else []
                  for i in range(n)]

    items_tab = fetch_all(conn, "import_inspection_items")
    item_code = {re.sub(r"\s+", "", r[k]).lower(): r["code"] for r in items_tab for k in ("code", "name")}
    item_names = {r["name"]: r["code"] for r in items_tab}
    item_dept = {r["code"]: r["department_code"] for r in items_tab}
    item_map = resolve_value_map("items", value_maps.get("items", {}), item_code, "an inspection item code or name")
    iparts = col("items").str.split(_SPLIT, regex=True).explode()
    iparts = iparts[iparts.str.strip() != ""].str.strip()
    icodes = _lookup(iparts, item_code, item_map)
    bad_items = iparts[icodes.isna()].groupby(level=0).agg(lambda s: "、".join(s))
    problems.add(np.isin(np.arange(n), bad_items.index), "items", lambda i: f"unknown item(s): {bad_items.loc[i]}")
    _summarise_parts(problems, "items", iparts[icodes.isna()], item_names)
    item_lists = icodes.dropna().groupby(level=0).agg(list)
    foreign: dict[int, str] = {}
    for i, codes in item_lists.items():  # rows with items only, to word the message
        outside = [c for c in codes if item_dept[c] not in dept_lists[int(i)]]
        if outside and dept_lists[int(i)]:
            foreign[int(i)] = "、".join(outside)
    problems.add(np.isin(np.arange(n), list(foreign)), "items",
                 lambda i: f"item(s) {foreign[i]} belong to no department of this visit")

    when = _dates(col("date"))
    date_raw = col("date")
    problems.add((date_raw == "").to_numpy(), "date", "missing")
    problems.add((date_raw != "").to_numpy() & when.isna().to_numpy(), "date",
                 lambda i: f"not a date (YYYY-MM-DD): {date_raw.iat[i]!r}")
    problems.add((when > pd.Timestamp(date.today())).to_numpy(), "date", "in the future")

    n_depts = np.array([len(d) for d in dept_lists])
    if "joint" in cols:
        joint, understood = _flags(col("joint"))
        problems.add(~understood, "joint", lambda i: f"not yes/no: {col('joint').iat[i]!r}")
        problems.add(understood & joint & (n_depts == 1), "joint",
                     "a joint visit needs two or more departments (list them under departments)")
        problems.add(understood & ~joint & (n_depts > 1), "joint",
                     "says not joint but lists two or more departments")
    scanned, scanned_ok = _flags(col("code_scanned"))
    problems.add(~scanned_ok, "code_scanned", lambda i: f"not yes/no: {col('code_scanned').iat[i]!r}")

    rating_raw = col("rating")
    rating = pd.to_numeric(rating_raw, errors="coerce")
    problems.add((rating_raw != "").to_numpy() & ~rating.isin([1, 2, 3, 4, 5]).to_numpy(), "rating",
                 lambda i: f"must be a whole number 1-5, got {rating_raw.iat[i]!r}")

    code = col("code").str.strip()
    has_code = (code != "").to_numpy()
    problems.add(has_code & code.duplicated(keep="first").to_numpy(), "code", "duplicate in this file")
    used = {r["code"] for r in fetch_all(conn, "visit_import_existing_codes",
                                         {"codes": code[has_code].unique().tolist()})}
    problems.add(has_code & code.isin(used).to_numpy(), "code", "already used by another visit")

    clean = pd.DataFrame({
        "enterprise_id": ent_id.to_numpy(), "visit_date": when.dt.date.to_numpy(),
        "lead_department": lead.to_numpy(dtype=object), "departments": dept_lists,
        "items": [item_lists.get(i, []) for i in range(n)], "code": np.where(has_code, code.to_numpy(dtype=object), None),
        "code_scanned": scanned, "rating": rating.to_numpy(), "result": col("result").to_numpy(dtype=object),
    })
    checked = CheckedRows(clean=clean, good=~problems.bad, problems=problems.rows(), source=source,
                          unknown=problems.unknown)
    return checked, ents


def _summarise_parts(problems: Problems, fld: str, unknown_parts: pd.Series, names: Mapping[str, str]) -> None:
    """One ``UnknownValue`` per unknown list entry (the rows were reported already, one reason per row)."""
    if unknown_parts.empty:
        return
    for value, rows in pd.Series(unknown_parts.index + 1, dtype=np.int64).groupby(
            unknown_parts.to_numpy(dtype=object), sort=False):
        problems.unknown.append(UnknownValue(fld, str(value), tuple(sorted({int(r) for r in rows})),
                                             suggest(str(value), names),
                                             map_field="department" if fld == "departments" else ""))


def import_visits(conn: psycopg.Connection[Any], *, path: Path | str, county_code: str, skip_bad: bool = False,
                  rejects_path: Path | None = None, mapping: Mapping[str, str] | None = None,
                  actor: str = "cli", value_maps: Mapping[str, Mapping[str, str]] | None = None) -> ImportReport:
    """Read, check and load visit records into the county, in the caller's transaction (all or nothing)."""
    source = read_source(path)
    checked, ents = check_visits(conn, county_code=county_code, source=source, mapping=mapping,
                                 value_maps=value_maps)
    target = _finish_problems(checked, skip_bad=skip_bad, rejects_path=rejects_path, what="visit")
    good = checked.clean[checked.good]
    execute(conn, "visit_import_stage_create")
    conn.execute("TRUNCATE visit_stage")
    with conn.cursor() as cur, cur.copy(
            "COPY visit_stage (enterprise_id, visit_date, lead_department, departments, items, code,"
            " code_scanned, rating, result) FROM STDIN") as copy:
        copy.set_types(["int8", "date", "text", "text[]", "text[]", "text", "bool", "int2", "text"])
        for row in good.itertuples(index=False):
            copy.write_row((int(row.enterprise_id), row.visit_date, row.lead_department, row.departments,
                            row.items, None if pd.isna(row.code) else str(row.code), bool(row.code_scanned),
                            None if pd.isna(row.rating) else int(row.rating), row.result or ""))
    loaded = execute(conn, "visit_import_insert", {"county_code": county_code})
    if loaded:
        touched = ents[ents["id"].isin(good["enterprise_id"].astype("int64"))]
        refresh_cell_counts(conn, county_code=county_code, cells={
            7: touched["h3_r7"].unique().tolist(), 8: touched["h3_r8"].unique().tolist(),
            9: touched["h3_r9"].unique().tolist()})
    audit.record(conn, actor=actor, actor_kind="cli" if actor == "cli" else "user", action="import.visits",
                 object_type="file", object_id=Path(path).name, county_code=county_code,
                 detail={"rows": len(source), "loaded": loaded, "rejected": len(source) - loaded,
                         "rejects": str(target) if target else None})
    return ImportReport("visits", len(source), loaded, checked.problems, target, [], checked.unknown)
