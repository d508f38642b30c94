"""Alert intake: store alerts idempotently and fold them into incidents, set-based, in the caller's transaction.

``ingest`` does, for one request (one alert or a batch of up to 5,000):

1. datum conversion and H3 cells, vectorised (``geo_data.coords``);
2. one query placing every point in the county / a township (outside the county -> rejected item);
3. transaction-level advisory locks per (county, type), taken in key order, so concurrent writers of the same
   type never match against each other's half-made incidents (and never deadlock on the locks);
4. ``INSERT ... ON CONFLICT (source, source_id) DO NOTHING RETURNING``: only new alerts go on;
5. the open incidents near the new alerts (one query), the pure rule ``enforcement.incidents.match_alerts``,
   then set-based writes: new incidents, updated incidents, alert -> incident links, timeline events and the
   grid-cell counters; one NOTIFY per kind.

Nothing is written when anything fails: the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import psycopg

from enforcement.incidents import AlertFact, IncidentState, TypeRule, match_alerts
from geo_data import coords
from geo_data.db import fetch_all
from geo_data.notify import notify


@dataclass(frozen=True)
class AlertInput:
    """One validated alert as sent (coordinates in ``datum``; ``observed_at`` time-zone aware)."""

    source_id: str
    source_kind: str
    type_code: str
    observed_at: datetime
    lng: float
    lat: float
    datum: str = "wgs84"
    confidence: float | None = None
    severity: str = "medium"
    evidence_url: str | None = None
    description: str | None = None
    enterprise_uscc: str | None = None


@dataclass
class ItemResult:
    """What became of one item: ``new``, ``duplicate`` or ``rejected`` (with field problems)."""

    index: int
    source_id: str
    status: str
    alert_id: int | None = None
    incident_id: int | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (field, message)


@dataclass(frozen=True)
class AlertTypeInfo:
    code: str
    name: str
    name_en: str
    remote_closable: bool
    window_minutes: int
    ring: int
    departments: list[str]
    sla_minutes: dict[str, int]


def alert_types(conn: psycopg.Connection[Any]) -> dict[str, AlertTypeInfo]:
    """Every configured alert type by code."""
    return {r["code"]: AlertTypeInfo(**r) for r in fetch_all(conn, "alert_types_all")}


def _lock_key(county_code: str, type_code: str) -> int:
    digest = hashlib.sha256(f"gridcommand:incident:{county_code}:{type_code}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _disk_by_distance(cell: int, k: int) -> list[int]:
    import h3.api.basic_int as h3_int

    out: list[int] = [cell]
    for d in range(1, k + 1):
        out.extend(sorted(h3_int.grid_ring(cell, d)))
    return out


def ingest(conn: psycopg.Connection[Any], *, source: str, county_code: str, alerts: Sequence[AlertInput],
           link_m: float = 50.0, types: dict[str, AlertTypeInfo] | None = None) -> list[ItemResult]:
    """Store ``alerts`` from ``source`` into ``county_code`` and match them into incidents (see module doc).

    Returns one result per input item, in input order.
    """
    types = types if types is not None else alert_types(conn)
    results = [ItemResult(index=i, source_id=a.source_id, status="pending") for i, a in enumerate(alerts)]
    if not alerts:
        return results
    for r, a in zip(results, alerts, strict=True):
        if a.type_code not in types:
            r.status = "rejected"
            r.problems.append(("type", f"unknown alert type {a.type_code!r}"))

    # Datums -> WGS-84, vectorised per datum.
    lng = np.array([a.lng for a in alerts], dtype=np.float64)
    lat = np.array([a.lat for a in alerts], dtype=np.float64)
    datums = np.array([a.datum for a in alerts])
    for d in set(datums.tolist()):
        if d in ("wgs84", "cgcs2000"):
            continue
        m = datums == d
        lng[m], lat[m] = coords.to_wgs84(lng[m], lat[m], d)
    inside = coords.in_china_box(lng, lat)
    for i, r in enumerate(results):
        if not inside[i] and r.status == "pending":
            r.status = "rejected"
            r.problems.append(("location", "point lies outside China"))

    pending = [i for i, r in enumerate(results) if r.status == "pending"]
    if not pending:
        return results
    located = fetch_all(conn, "alert_locate", {"county_code": county_code, "lng": lng[pending].tolist(),
                                               "lat": lat[pending].tolist()})
    township: dict[int, str | None] = {}
    for i, row in zip(pending, located, strict=True):
        if not row["in_county"]:
            results[i].status = "rejected"
            results[i].problems.append(("location", f"point lies outside county {county_code}"))
        township[i] = row["township_code"]
    ok = [i for i in pending if results[i].status == "pending"]
    if not ok:
        return results

    cells = coords.cells_all_res(lat[ok], lng[ok])
    keys = sorted({_lock_key(county_code, alerts[i].type_code) for i in ok})
    conn.execute("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(%s::bigint[]) AS k", (keys,))

    rows = []
    for j, i in enumerate(ok):
        a = alerts[i]
        rows.append({
            "ord": i, "township_code": township[i], "source_id": a.source_id, "source_kind": a.source_kind,
            "type_code": a.type_code, "observed_at": a.observed_at.isoformat(), "confidence": a.confidence,
            "severity": a.severity, "evidence_url": a.evidence_url, "description": a.description,
            "uscc": a.enterprise_uscc, "lng": float(lng[i]), "lat": float(lat[i]),
            "h3_r7": int(cells[7][j]), "h3_r8": int(cells[8][j]), "h3_r9": int(cells[9][j]),
        })
    inserted = fetch_all(conn, "alert_insert_many", {"county_code": county_code, "source": source,
                                                     "rows": json.dumps(rows)})
    new_by_sid = {r["source_id"]: r for r in inserted}
    row_by_index = {row["ord"]: row for row in rows}
    facts: list[AlertFact] = []
    seen: set[str] = set()
    for i in ok:
        sid = alerts[i].source_id
        if sid in new_by_sid and sid not in seen:
            seen.add(sid)
            results[i].status = "new"
            results[i].alert_id = int(new_by_sid[sid]["id"])
            a = alerts[i]
            facts.append(AlertFact(key=results[i].alert_id, type_code=a.type_code,
                                   h3_r9=row_by_index[i]["h3_r9"], observed_at=a.observed_at,
                                   severity=a.severity, source=source))
        else:
            results[i].status = "duplicate"
    dup_sids = [results[i].source_id for i in ok if results[i].status == "duplicate"]
    if dup_sids:
        existing = {r["source_id"]: r for r in fetch_all(conn, "alert_ids_by_source",
                                                          {"source": source, "source_ids": dup_sids})}
        for i in ok:
            r = results[i]
            if r.status == "duplicate" and r.source_id in existing:
                r.alert_id = int(existing[r.source_id]["id"])
                inc = existing[r.source_id]["incident_id"]
                r.incident_id = int(inc) if inc is not None else None
    if facts:
        _match(conn, county_code=county_code, source=source, facts=facts, types=types, link_m=link_m,
               results=results)
    return results


def _match(conn: psycopg.Connection[Any], *, county_code: str, source: str, facts: list[AlertFact],
           types: dict[str, AlertTypeInfo], link_m: float, results: list[ItemResult]) -> None:
    rules = {code: TypeRule(code, t.ring, t.window_minutes) for code, t in types.items()}
    near: set[int] = set()
    for f in facts:
        near.update(_disk_by_distance(f.h3_r9, rules[f.type_code].ring))
    max_window = max(rules[f.type_code].window_minutes for f in facts)
    since = min(f.observed_at for f in facts) - timedelta(minutes=max_window)
    candidates = [
        IncidentState(id=r["id"], type_code=r["type_code"], h3_r9=r["h3_r9"], first_seen=r["first_seen"],
                      last_seen=r["last_seen"], severity=r["severity"], alert_count=r["alert_count"],
                      sources=list(r["sources"]))
        for r in fetch_all(conn, "incident_open_near", {
            "county_code": county_code, "types": sorted({f.type_code for f in facts}), "cells": sorted(near),
            "since": since})
    ]
    before = {c.id: (c.alert_count, c.severity) for c in candidates}
    result = match_alerts(facts, candidates, rules, _disk_by_distance)

    new_ids = [r["id"] for r in fetch_all(conn, "incident_ids_next", {"n": len(result.opened)})] \
        if result.opened else []
    for inc, new_id in zip(result.opened, new_ids, strict=True):
        inc.id = int(new_id)
    if result.opened:
        fetch_all(conn, "incident_insert_many", {"link_m": link_m, "rows": json.dumps([
            {"id": inc.id, "anchor_alert": inc.anchor_key, "type_code": inc.type_code, "severity": inc.severity,
             "first_seen": inc.first_seen.isoformat(), "last_seen": inc.last_seen.isoformat(),
             "alert_count": inc.alert_count, "sources": inc.sources} for inc in result.opened])})
    if result.updated:
        fetch_all(conn, "incident_update_many", {"rows": json.dumps([
            {"id": inc.id, "added": inc.alert_count - before[inc.id][0], "severity": inc.severity,
             "first_seen": inc.first_seen.isoformat(), "last_seen": inc.last_seen.isoformat(),
             "sources": inc.sources} for inc in result.updated])})
    links = [{"alert_id": key, "incident_id": inc.id} for key, inc in result.incident_of.items()]
    fetch_all(conn, "alert_set_incident", {"rows": json.dumps(links)})
    events = [{"incident_id": inc.id, "event": "created", "detail": {"alerts": inc.joined}}
              for inc in result.opened]
    events += [{"incident_id": inc.id, "event": "alert_joined",
                "note": f"+{len(inc.joined)}", "detail": {"alerts": inc.joined}} for inc in result.updated]
    fetch_all(conn, "dispatch_event_insert_many", {"county_code": county_code, "actor": f"source:{source}",
                                                   "rows": json.dumps(events)})
    alert_ids = [f.key for f in facts]
    fetch_all(conn, "alert_cells_increment", {"ids": alert_ids})
    by_key = {r.alert_id: r for r in results if r.alert_id is not None and r.status == "new"}
    for key, inc in result.incident_of.items():
        by_key[key].incident_id = inc.id
    if len(alert_ids) == 1:
        r0 = by_key[alert_ids[0]]
        notify(conn, kind="alert", op="add", id=alert_ids[0], county_code=county_code)
        notify(conn, kind="incident", op="add" if result.opened else "update", id=r0.incident_id,
               county_code=county_code)
    else:
        notify(conn, kind="alerts", op="add", id=alert_ids, county_code=county_code)
        if result.opened:
            notify(conn, kind="incidents", op="add", id=[i.id for i in result.opened if i.id is not None],
                   county_code=county_code)
        if result.updated:
            notify(conn, kind="incidents", op="update", id=[i.id for i in result.updated if i.id is not None],
                   county_code=county_code)
