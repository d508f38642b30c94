"""Alert intake: store alerts idempotently and fold them into incidents, set-based, in the caller's transaction.

``ingest`` does, for one request (one alert or a batch of up to 5,000):

1. datum conversion and H3 cells, vectorised (``geo_data.coords``);
2. one query placing every point in the county / a township (outside the county -> rejected item) and finding
   the nearest enterprise within the link distance (for the incidents it may open), before any lock;
3. ONE round trip (pipeline mode) for: transaction-level advisory locks per (county, type, res-6 region of the
   match disk), taken in key order, so concurrent writers of the same type never match against each other's
   half-made incidents (and never deadlock on the locks); then, under them, the source ids already stored
   (duplicates: nothing more to do for them) and the open incidents near the alerts (on (type, cell) pairs);
4. the pure rule ``enforcement.incidents.match_alerts``; ids reserved for the new incidents;
5. ONE round trip for the set-based writes: new incidents, updated incidents, the alerts themselves already
   linked (``INSERT ... ON CONFLICT (source, source_id) DO NOTHING RETURNING`` — if a racing writer of another
   type stored one of them, the transaction is retried), timeline events and the grid-cell counters. Live-push
   notices come from the statement triggers (migration 250) or, with ``notices``, are left to the caller.

Nothing is written when anything fails: the caller owns the transaction.
"""

from __future__ import annotations

import functools
import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import orjson
import psycopg

from enforcement.incidents import AlertFact, IncidentState, TypeRule, match_alerts
from geo_data import coords
from geo_data.db import fetch_all, fetch_pipelined, float_array, int_array, text_array
from geo_data.notify import payloads_by_township


@dataclass(slots=True)
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


def _json(value: Any) -> str:
    """JSON text for a ``jsonb`` parameter (orjson: a 5,000-row batch encodes in a few ms)."""
    return orjson.dumps(value).decode()


_FEW_PAIRS = 400  # up to this many (type, cell) pairs: one index probe each; beyond: one hash join


_LOCK_RES = 6  # matching locks cover (county, type, res-6 region): ~36 km², far wider than any match ring


def _lock_key(county_code: str, type_code: str, region: int) -> int:
    digest = hashlib.sha256(f"gridcommand:incident:{county_code}:{type_code}:{region}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@functools.lru_cache(maxsize=65_536)
def _regions(cell: int, k: int) -> frozenset[int]:
    """The res-6 regions that the res-9 disk of radius ``k`` around ``cell`` touches."""
    import h3.api.basic_int as h3_int

    return frozenset(h3_int.cell_to_parent(c, _LOCK_RES) for c in _disk_by_distance(cell, k))


@functools.lru_cache(maxsize=65_536)
def _disk_by_distance(cell: int, k: int) -> tuple[int, ...]:
    """Res-9 cells within ``k`` grid steps of ``cell``, itself first, then ring by ring (cached: alerts
    cluster, and a batch asks for the same disks twice)."""
    import h3.api.basic_int as h3_int

    out: list[int] = [cell]
    for d in range(1, k + 1):
        out.extend(sorted(h3_int.grid_ring(cell, d)))
    return tuple(out)


def ingest(conn: psycopg.Connection[Any], *, source: str, county_code: str, alerts: Sequence[AlertInput],
           link_m: float = 50.0, types: dict[str, AlertTypeInfo] | None = None,
           notices: list[str] | None = None) -> list[ItemResult]:
    """Store ``alerts`` from ``source`` into ``county_code`` and match them into incidents (see module doc).

    Returns one result per input item, in input order. With ``notices`` (a list), the live-push notices of the
    stored alerts and touched incidents are appended to it instead of being sent by the table triggers inside
    this transaction; the caller sends them once it has committed (``geo_data.notify.send_after_commit``).
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
    located = fetch_all(conn, "alert_locate", {"county_code": county_code, "link_m": link_m,
                                               "lng": float_array(lng[pending].tolist()),
                                               "lat": float_array(lat[pending].tolist())})
    township: dict[int, str | None] = {}
    near_enterprise: dict[int, int | None] = {}
    for i, row in zip(pending, located, strict=True):
        near_enterprise[i] = row["near_enterprise_id"]
        if not row["in_county"]:
            results[i].status = "rejected"
            results[i].problems.append(("location", f"point lies outside county {county_code}"))
        township[i] = row["township_code"]
    ok = [i for i in pending if results[i].status == "pending"]
    if not ok:
        return results

    cells = coords.cells_all_res(lat[ok], lng[ok])
    # An alert can only join incidents of its type whose cell lies in its disk, and a writer that opens an
    # incident opens it at its own alert's cell: locking every region the disk touches therefore serialises
    # exactly the writers that could match against each other's half-made incidents. Writers elsewhere in the
    # county (single posts from other places) no longer wait for each other.
    c7, c8, c9 = cells[7].tolist(), cells[8].tolist(), cells[9].tolist()
    regions = {(alerts[i].type_code, region) for j, i in enumerate(ok)
               for region in _regions(c9[j], types[alerts[i].type_code].ring)}
    keys = sorted({_lock_key(county_code, t, region) for t, region in regions})  # hashed once per key
    # The rows to store and the facts the rule sees, built before the locks are taken (less time under them).
    prepared: dict[int, tuple[dict[str, Any], AlertFact]] = {}
    for j, i in enumerate(ok):
        a = alerts[i]
        prepared[i] = ({"ord": i, "township_code": township[i], "source_id": a.source_id,
                        "source_kind": a.source_kind, "type_code": a.type_code,
                        "observed_at": a.observed_at.isoformat(), "confidence": a.confidence, "severity": a.severity,
                        "evidence_url": a.evidence_url, "description": a.description, "uscc": a.enterprise_uscc,
                        "lng": float(lng[i]), "lat": float(lat[i]), "h3_r7": c7[j], "h3_r8": c8[j], "h3_r9": c9[j],
                        "near_enterprise_id": near_enterprise[i]},
                       AlertFact(key=i, type_code=a.type_code, h3_r9=c9[j], observed_at=a.observed_at,
                                 severity=a.severity, source=source))
    usccs = sorted({u for i in ok if (u := alerts[i].enterprise_uscc)})
    ent_of = {r["uscc"]: r["id"] for r in fetch_all(conn, "alert_enterprises_by_uscc", {
        "county_code": county_code, "usccs": text_array(usccs)})} if usccs else {}
    # One round trip: the locks; then, under them, the source ids already stored and the open incidents the
    # alerts may join (nobody else can add either for these types here while we hold the locks). What is not
    # stored yet is new (the INSERT below verifies it and asks for a retry if a racing writer of another type
    # won). With ``notices`` the caller notifies after commit: the row triggers (migration 252) stay silent.
    rules = {code: TypeRule(code, t.ring, t.window_minutes) for code, t in types.items()}
    ok_types = sorted({alerts[i].type_code for i in ok})
    disks = [(alerts[i].type_code, _disk_by_distance(c9[j], rules[alerts[i].type_code].ring))
             for j, i in enumerate(ok)]
    since = min(alerts[i].observed_at for i in ok) - timedelta(minutes=max(rules[t].window_minutes
                                                                           for t in ok_types))
    pairs = list({(t, c) for t, d in disks for c in d})  # distinct; any order
    # A few (type, cell) pairs: one index probe each; many: one hash join against the open incidents.
    near_query = "incident_open_near_few" if len(pairs) <= _FEW_PAIRS else "incident_open_near"
    near_params: dict[str, Any] = {"county_code": county_code, "since": since,
                                   "pair_types": text_array(t for t, _c in pairs),
                                   "pair_cells": int_array(c for _t, c in pairs)}
    _locks, stored, near_rows = fetch_pipelined(conn, [
        ("alert_matching_lock", {"keys": int_array(keys), "after_commit": "off" if notices is None else "on"}),
        ("alert_ids_by_source", {"source": source, "source_ids": text_array(sorted({alerts[i].source_id for i in ok}))}),
        (near_query, near_params),
    ], unprepared={"incident_open_near"})  # tens of thousands of pairs: planned for their actual number
    existing = {r["source_id"]: r for r in stored}
    rows: dict[int, dict[str, Any]] = {}
    facts: list[AlertFact] = []
    first_of: dict[str, int] = {}
    for i in ok:
        a, r = alerts[i], results[i]
        if a.source_id in existing:
            r.status = "duplicate"
            r.alert_id = int(existing[a.source_id]["id"])
            inc = existing[a.source_id]["incident_id"]
            r.incident_id = int(inc) if inc is not None else None
            continue
        if a.source_id in first_of:
            r.status = "duplicate"  # repeated inside this request: filled in after the insert
            continue
        first_of[a.source_id] = i
        r.status = "new"
        rows[i], fact = prepared[i]
        facts.append(fact)
    if facts:
        _match_and_store(conn, county_code=county_code, source=source, facts=facts, rows=rows, rules=rules,
                         candidates=near_rows, ent_of=ent_of, results=results, notices=notices)
    for i in ok:
        r = results[i]
        if r.status == "duplicate" and r.alert_id is None and r.source_id in first_of:
            first = results[first_of[r.source_id]]
            r.alert_id, r.incident_id = first.alert_id, first.incident_id
    return results


def _match_and_store(conn: psycopg.Connection[Any], *, county_code: str, source: str, facts: list[AlertFact],
                     rows: dict[int, dict[str, Any]], rules: dict[str, TypeRule],
                     candidates: list[dict[str, Any]], ent_of: dict[str, int], results: list[ItemResult],
                     notices: list[str] | None = None) -> None:
    """Match new alerts into incidents (pure rule), then write incidents, alerts, timeline events and cell
    counters in one round trip."""
    states = [IncidentState(id=r["id"], type_code=r["type_code"], h3_r9=r["h3_r9"], first_seen=r["first_seen"],
                            last_seen=r["last_seen"], severity=r["severity"], alert_count=r["alert_count"],
                            sources=list(r["sources"])) for r in candidates]
    before = {c.id: c.alert_count for c in states}
    result = match_alerts(facts, states, rules, _disk_by_distance)

    if result.opened:
        new_ids = [r["id"] for r in fetch_all(conn, "incident_ids_next", {"n": len(result.opened)})]
        for inc, new_id in zip(result.opened, new_ids, strict=True):
            inc.id = int(new_id)
    for key, inc in result.incident_of.items():
        rows[key]["incident_id"] = inc.id
    writes: list[tuple[str, Any]] = []
    if result.opened:
        payload = []
        for inc in result.opened:
            anchor = rows[inc.anchor_key]  # type: ignore[index]
            payload.append({"id": inc.id, "type_code": inc.type_code, "severity": inc.severity,
                            "first_seen": inc.first_seen.isoformat(), "last_seen": inc.last_seen.isoformat(),
                            "alert_count": inc.alert_count, "sources": inc.sources,
                            "township_code": anchor["township_code"],
                            "enterprise_id": ent_of.get(anchor["uscc"]) or anchor["near_enterprise_id"],
                            "lng": anchor["lng"], "lat": anchor["lat"], "h3_r7": anchor["h3_r7"],
                            "h3_r8": anchor["h3_r8"], "h3_r9": anchor["h3_r9"]})
        writes.append(("incident_insert_many", {"county_code": county_code, "rows": _json(payload)}))
    if result.updated:
        writes.append(("incident_update_many", {"rows": _json([
            {"id": inc.id, "added": inc.alert_count - before[inc.id], "severity": inc.severity,
             "first_seen": inc.first_seen.isoformat(), "last_seen": inc.last_seen.isoformat(),
             "sources": sorted(set(inc.sources))} for inc in result.updated])}))
    per_cell = Counter(rows[f.key][f"h3_r{res}"] for f in facts for res in (7, 8, 9))
    cells_sorted = sorted(per_cell)
    writes += [
        ("alert_insert_many", {"county_code": county_code, "source": source, "actor": f"source:{source}",
                               "rows": _json([rows[f.key] for f in facts]),
                               "opened": int_array(inc.id for inc in result.opened if inc.id is not None)}),
        ("alert_cells_increment", {"cells": int_array(cells_sorted),
                                   "counts": int_array(per_cell[c] for c in cells_sorted)}),
    ]
    out = dict(zip((name for name, _params in writes), fetch_pipelined(conn, writes), strict=True))
    updated_rows, inserted = out.get("incident_update_many", []), out["alert_insert_many"]
    if len(updated_rows) != len(result.updated):
        # An incident was closed after the candidates were read (they are not row-locked): start again.
        raise psycopg.errors.SerializationFailure("incident closed while alerts were joining it; retry")
    if len(inserted) != len(facts):
        # A writer of another type stored one of these source ids meanwhile: start the transaction again.
        raise psycopg.errors.SerializationFailure("concurrent insert of the same source ids; retry")
    id_of = {r["source_id"]: int(r["id"]) for r in inserted}
    for f in facts:
        res = results[f.key]
        res.alert_id = id_of[res.source_id]
        res.incident_id = result.incident_of[f.key].id
    # Live push: the caller sends these after its commit; without ``notices`` the statement triggers of migration
    # 250 announce the same rows inside this transaction.
    if notices is not None:
        notices += payloads_by_township(kind="alert", op="insert", county_code=county_code,
                                        rows=[(results[f.key].alert_id, rows[f.key]["township_code"]) for f in facts])
        notices += payloads_by_township(kind="incident", op="insert", county_code=county_code,
                                        rows=[(inc.id, rows[inc.anchor_key]["township_code"])  # type: ignore[index]
                                              for inc in result.opened])
        notices += payloads_by_township(kind="incident", op="update", county_code=county_code,
                                        rows=[(r["id"], r["township_code"]) for r in updated_rows])
