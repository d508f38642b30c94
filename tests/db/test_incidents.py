"""Incident de-duplication on crafted cases, enterprise linking, SLA, grid-cell counters and remote closure
(real PostGIS, through ``geo_data.alerts.ingest`` and ``geo_data.incidents``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import h3.api.basic_int as h3_int
import pytest

from geo_data.alerts import AlertInput, ingest
from geo_data.errors import Conflict, InvalidInput
from geo_data.incidents import get_incident, timeline
from geo_data.scope import Role, Scope
from services.dispatch import remote_close
from tests.db.dispatch_scenario import COUNTY, add_enterprise, build

SH = ZoneInfo("Asia/Shanghai")
_ids = count(1)
OPERATOR = Scope(actor="op1", role=Role.COUNTY_OPERATOR, county_code=COUNTY)


@pytest.fixture(scope="module", autouse=True)
def county(db_url: str) -> None:
    from geo_data.db import connect

    with connect(db_url) as c:
        build(c)
        c.commit()


def _at(day: int, minute: int = 0) -> datetime:
    return datetime(2026, 10, day, 9, 0, tzinfo=SH) + timedelta(minutes=minute)


def _centre(cell: int) -> tuple[float, float]:
    lat, lng = h3_int.cell_to_latlng(cell)
    return lng, lat


def _send(conn: Any, *points: tuple[float, float, str, datetime, str], source: str = "t-src",
          uscc: str | None = None) -> list[Any]:
    alerts = [AlertInput(source_id=f"inc-{next(_ids)}", source_kind="sensor", type_code=t, observed_at=at,
                         lng=lng, lat=lat, severity=sev, enterprise_uscc=uscc) for lng, lat, t, at, sev in points]
    with conn.transaction():
        return ingest(conn, source=source, county_code=COUNTY, alerts=alerts)


def _base(lng: float, lat: float) -> int:
    return int(h3_int.latlng_to_cell(lat, lng, 9))


def test_neighbouring_cell_within_window_joins_one_incident(conn: Any) -> None:
    base = _base(120.011, 30.011)
    near = sorted(h3_int.grid_ring(base, 1))[0]
    r = _send(conn, (*_centre(base), "gt_vending", _at(1), "low"),
              (*_centre(near), "gt_vending", _at(1, 20), "high"))
    assert [x.status for x in r] == ["new", "new"]
    assert r[0].incident_id == r[1].incident_id
    r3 = _send(conn, (*_centre(base), "gt_vending", _at(1, 30), "medium"), source="other-src")
    assert r3[0].incident_id == r[0].incident_id
    inc = get_incident(conn, OPERATOR, r[0].incident_id)
    assert inc["alert_count"] == 3 and inc["severity"] == "high"
    assert sorted(inc["sources"]) == ["other-src", "t-src"]
    assert inc["first_seen"] == _at(1) and inc["last_seen"] == _at(1, 30)
    assert inc["township_code"] == "339901001"
    assert [e["event"] for e in timeline(conn, OPERATOR, r[0].incident_id)] == ["created", "alert_joined"]
    events = conn.execute("SELECT event, note, detail FROM dispatch_events WHERE incident_id = %s ORDER BY id",
                          (r[0].incident_id,)).fetchall()
    assert [(e["event"], e["note"], e["detail"]["alerts"]) for e in events] == [
        ("created", "", [r[0].alert_id, r[1].alert_id]), ("alert_joined", "+1", [r3[0].alert_id])]


def test_other_type_other_time_or_too_far_open_separate_incidents(conn: Any) -> None:
    base = _base(120.031, 30.011)
    two_away = sorted(h3_int.grid_ring(base, 2))[0]
    r = _send(conn, (*_centre(base), "gt_vending", _at(2), "low"),
              (*_centre(base), "gt_discharge", _at(2, 1), "low"),         # other type
              (*_centre(base), "gt_vending", _at(2, 200), "low"),         # 200 min later, window 60
              (*_centre(two_away), "gt_vending", _at(2, 5), "low"))       # ring 2 > vending ring 1
    assert len({x.incident_id for x in r}) == 4


def test_ring_two_type_joins_two_cells_away(conn: Any) -> None:
    base = _base(120.031, 30.031)
    two_away = sorted(h3_int.grid_ring(base, 2))[0]
    three_away = sorted(h3_int.grid_ring(base, 3))[0]
    r = _send(conn, (*_centre(base), "gt_discharge", _at(3), "low"),
              (*_centre(two_away), "gt_discharge", _at(3, 10), "low"),
              (*_centre(three_away), "gt_discharge", _at(3, 15), "low"))
    assert r[0].incident_id == r[1].incident_id
    # three away from the incident's anchor cell: not the same thing
    assert r[2].incident_id != r[0].incident_id


def test_ring_zero_type_needs_the_same_cell(conn: Any) -> None:
    base = _base(120.021, 30.071)
    near = sorted(h3_int.grid_ring(base, 1))[0]
    r = _send(conn, (*_centre(base), "gt_noise", _at(4), "low"), (*_centre(near), "gt_noise", _at(4, 1), "low"),
              (*_centre(base), "gt_noise", _at(4, 2), "low"))
    assert r[0].incident_id == r[2].incident_id != r[1].incident_id


def test_enterprise_within_50_m_is_linked_and_uscc_wins(conn: Any) -> None:
    near_id, _ = add_enterprise(conn, name="近处企业", lng=120.0812, lat=30.0812)
    far_id, far_uscc = add_enterprise(conn, name="远处企业", lng=120.0850, lat=30.0850)
    r = _send(conn, (120.0814, 30.0813, "gt_discharge", _at(5), "low"))   # ~20 m from near
    assert get_incident(conn, OPERATOR, r[0].incident_id)["enterprise_id"] == near_id
    r = _send(conn, (120.0830, 30.0830, "gt_vending", _at(5), "low"))     # ~200 m from both
    assert get_incident(conn, OPERATOR, r[0].incident_id)["enterprise_id"] is None
    r = _send(conn, (120.0814, 30.0813, "gt_noise", _at(5), "low"), uscc=far_uscc)
    assert get_incident(conn, OPERATOR, r[0].incident_id)["enterprise_id"] == far_id


def test_sla_follows_severity_and_tightens_when_it_rises(conn: Any) -> None:
    base = _base(120.061, 30.011)
    r = _send(conn, (*_centre(base), "gt_vending", _at(6), "low"))
    inc = conn.execute("SELECT sla_due_at - created_at AS sla FROM incidents WHERE id = %s",
                       (r[0].incident_id,)).fetchone()
    assert inc["sla"] == timedelta(minutes=480)
    _send(conn, (*_centre(base), "gt_vending", _at(6, 5), "urgent"))
    inc = conn.execute("SELECT severity, sla_due_at - created_at AS sla FROM incidents WHERE id = %s",
                       (r[0].incident_id,)).fetchone()
    assert inc["severity"] == "urgent" and inc["sla"] == timedelta(minutes=60)


def test_cell_counters_and_remote_close(conn: Any) -> None:
    base = _base(120.071, 30.061)
    parents = [h3_int.cell_to_parent(base, 8), base]

    def counts() -> list[tuple[int, int]]:
        return [tuple(conn.execute("SELECT alerts, alerts_open FROM h3_cells WHERE cell = %s", (c,)).fetchone()
                      .values()) for c in parents]

    before = counts()
    r = _send(conn, (*_centre(base), "gt_vending", _at(7), "low"), (*_centre(base), "gt_vending", _at(7, 1), "low"))
    after = counts()
    assert [(a - b, o - p) for (a, o), (b, p) in zip(after, before, strict=True)] == [(2, 2), (2, 2)]
    with pytest.raises(InvalidInput):
        remote_close(conn, OPERATOR, r[0].incident_id, reason=" ", evidence="https://x/1.jpg")
    closed = remote_close(conn, OPERATOR, r[0].incident_id, reason="摊主已自行撤离", evidence="https://cam/1.jpg")
    assert closed["status"] == "remote_closed" and closed["closed_by"] == "op1"
    assert [(a, o) for a, o in counts()] == [(a, o - 2) for a, o in after]
    audit = conn.execute("SELECT actor, detail FROM audit_log WHERE action = 'incident.remote_close'"
                         " AND object_id = %s", (str(r[0].incident_id),)).fetchone()
    assert audit["actor"] == "op1" and audit["detail"]["reason"] == "摊主已自行撤离"
    # a closed incident takes no new alerts
    r2 = _send(conn, (*_centre(base), "gt_vending", _at(7, 2), "low"))
    assert r2[0].incident_id != r[0].incident_id


def test_on_site_types_cannot_be_closed_remotely(conn: Any) -> None:
    r = _send(conn, (120.091, 30.091, "gt_discharge", _at(8), "low"))
    with pytest.raises(Conflict):
        remote_close(conn, OPERATOR, r[0].incident_id, reason="ok", evidence="https://x/1.jpg")
    assert get_incident(conn, OPERATOR, r[0].incident_id)["status"] == "open"


def test_an_incident_closed_while_alerts_join_it_makes_the_intake_start_again(
        conn: Any, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Candidates are read without row locks: if a dispatcher closes one before the join is written, the
    transaction is refused (retryable) and, sent again, the alert opens a new incident."""
    import psycopg

    import geo_data.alerts as alerts_mod
    from geo_data.db import connect

    base = _base(120.071, 30.071)
    (first,) = _send(conn, (*_centre(base), "gt_vending", _at(3), "low"))
    real_match = alerts_mod.match_alerts

    def match_then_close(*args: Any, **kwargs: Any) -> Any:
        with connect(db_url, autocommit=True) as other:  # a dispatcher closes it meanwhile
            other.execute("UPDATE incidents SET status = 'closed', closed_at = now() WHERE id = %s",
                          (first.incident_id,))
        return real_match(*args, **kwargs)

    monkeypatch.setattr(alerts_mod, "match_alerts", match_then_close)
    with pytest.raises(psycopg.errors.SerializationFailure):
        _send(conn, (*_centre(base), "gt_vending", _at(3, 10), "high"))
    monkeypatch.setattr(alerts_mod, "match_alerts", real_match)
    (again,) = _send(conn, (*_centre(base), "gt_vending", _at(3, 10), "high"))
    assert again.status == "new" and again.incident_id != first.incident_id
    closed = get_incident(conn, OPERATOR, first.incident_id)
    assert closed["status"] == "closed" and closed["alert_count"] == 1


def test_candidate_query_for_a_few_pairs_probes_per_pair_even_with_stale_statistics(conn: Any) -> None:
    """Single posts look their candidates up per (type, cell) pair. Statistics taken while few incidents were
    open must not make the (cached, generic) plan scan every open incident instead: right after a burst of new
    incidents that cost 20 ms per group of single posts."""
    import re

    import psycopg

    from geo_data.db import sql_text

    base = _base(120.031, 30.081)
    cells = sorted(h3_int.grid_disk(base, 9))
    conn.execute("ALTER TABLE incidents SET (autovacuum_enabled = false)")
    try:
        conn.execute("ANALYZE incidents")  # few open incidents now ...
        conn.execute(  # ... thousands once the statistics were taken
            "INSERT INTO incidents (county_code, township_code, type_code, severity, status, first_seen, last_seen,"
            " geom, h3_r7, h3_r8, h3_r9, sla_due_at) SELECT %s, NULL, 'gt_vending', 'low', 'open', now(), now(),"
            " ST_SetSRID(ST_MakePoint(120.031, 30.081), 4326), 0, 0, c, now() FROM unnest(%s::bigint[]) AS c,"
            " generate_series(1, 12)", (COUNTY, cells))
        names: list[str] = []

        def numbered(m: re.Match[str]) -> str:  # %(name)s -> $n, as the server sees the query
            if m[1] not in names:
                names.append(m[1])
            return f"${names.index(m[1]) + 1}"

        text = re.sub(r"%\((\w+)\)s", numbered, sql_text("incident_open_near_few"))
        conn.execute("SET plan_cache_mode = force_generic_plan")
        types = {"pair_types": "text[]", "pair_cells": "bigint[]", "county_code": "text", "since": "timestamptz"}
        conn.execute(f"PREPARE few_pairs ({', '.join(types[n] for n in names)}) AS {text}")
        args = {"pair_types": "{gt_vending,gt_vending}", "pair_cells": f"{{{cells[0]},{cells[1]}}}",
                "county_code": COUNTY, "since": _at(1)}
        with psycopg.ClientCursor(conn) as cur:  # values inlined: EXECUTE's arguments take the declared types
            cur.execute("EXPLAIN EXECUTE few_pairs(" + ", ".join(f"%({n})s" for n in names) + ")", args)
            plan = "\n".join(r["QUERY PLAN"] for r in cur.fetchall())
        assert "Index Cond" in plan and "h3_r9 = " in plan.split("Index Cond", 1)[1].split("\n")[0], plan
        assert "Hash Join" not in plan, plan
    finally:
        conn.execute("DEALLOCATE ALL")
        conn.execute("RESET plan_cache_mode")
        conn.execute("DELETE FROM incidents WHERE h3_r7 = 0 AND h3_r8 = 0")
        conn.execute("ALTER TABLE incidents RESET (autovacuum_enabled)")


def test_a_big_batch_joins_exactly_the_incidents_the_rule_picks_among_all_open_ones(conn: Any) -> None:
    """Batches fetch candidates by a hash join on their (type, cell) pairs, single posts by a probe per pair:
    either way the alerts join exactly what the rule picks when it sees every open incident."""
    import random

    from enforcement.incidents import AlertFact, IncidentState, TypeRule, match_alerts
    from geo_data.alerts import _FEW_PAIRS, _disk_by_distance, alert_types

    rng = random.Random(4)
    types = ["gt_vending", "gt_discharge", "gt_noise"]

    def point() -> tuple[float, float]:
        return 120.002 + rng.random() * 0.096, 30.002 + rng.random() * 0.096

    seeds = [(*point(), rng.choice(types), _at(20, rng.randint(0, 60)), "low") for _ in range(40)]
    _send(conn, *seeds)
    # the batch: next to the seeds (same or neighbouring cells) and elsewhere
    batch = []
    for lng, lat, t, at, _sev in seeds * 4:
        inside = [c for c in _disk_by_distance(_base(lng, lat), 2)
                  if 120.001 < _centre(c)[0] < 120.099 and 30.001 < _centre(c)[1] < 30.099]
        batch.append((*_centre(rng.choice(inside)), t if rng.random() < 0.8 else rng.choice(types),
                      at + timedelta(minutes=rng.randint(-90, 90)), rng.choice(["low", "high"])))
    batch += [(*point(), rng.choice(types), _at(20, rng.randint(0, 60)), "low") for _ in range(100)]
    rules = {c: TypeRule(c, t.ring, t.window_minutes) for c, t in alert_types(conn).items()}
    pairs = {(t, c) for _x, _y, t, _a, _s in batch for c in _disk_by_distance(_base(_x, _y), rules[t].ring)}
    assert len(pairs) > _FEW_PAIRS  # the hash-join path
    open_now = [IncidentState(id=r["id"], type_code=r["type_code"], h3_r9=r["h3_r9"], first_seen=r["first_seen"],
                              last_seen=r["last_seen"], severity=r["severity"], alert_count=r["alert_count"],
                              sources=list(r["sources"])) for r in conn.execute(
        "SELECT * FROM incidents WHERE county_code = %s AND status IN ('open', 'dispatched')", (COUNTY,))]
    facts = [AlertFact(key=i, type_code=t, h3_r9=_base(x, y), observed_at=at, severity=sev, source="t-src")
             for i, (x, y, t, at, sev) in enumerate(batch)]
    expected = match_alerts(facts, open_now, rules, _disk_by_distance).incident_of
    got = _send(conn, *batch)
    old_ids = {s.id for s in open_now}
    joined = 0
    for i, r in enumerate(got):
        inc = expected[i]
        if inc.id is not None:
            assert r.incident_id == inc.id, (i, batch[i])
            joined += 1
        else:
            assert r.incident_id not in old_ids
    assert joined > 20  # the case is not vacuous
