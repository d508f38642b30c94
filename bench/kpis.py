"""Benchmark: every measure for one filter (the KPI panel) on 1M enterprises and 2M visits over a year.

Builds a fresh database ``gcbench_kpis_*`` on the local cluster (or ``DATABASE_URL``'s server), fills it fast
(enterprises by COPY with vectorised H3, visits/incidents/alerts by ``generate_series`` in SQL), then times
``geo_data.measures.panel`` for monthly filters: the county, a township, a res-7 cell, a department. Also times
a whole-year county panel (reported, not part of the goal). Goal: p95 <= 1 s per panel refresh.

    .venv/bin/python bench/kpis.py [--enterprises 1000000] [--visits 2000000] [--repeats 12] [--keep]

Last line: ``RESULT kpi_panel_p95_ms=<v> ms``.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _fresh_db import create_database, database_name, database_of, drop_database  # noqa: E402  (bench/ is the script's directory)

from enforcement.measures import MeasureFilter  # noqa: E402
from geo_data.coords import h3_cells  # noqa: E402
from geo_data.db import connect  # noqa: E402
from geo_data.measures import panel  # noqa: E402
from geo_data.scope import system_scope  # noqa: E402

COUNTY = "330702"
LNG0, LAT0, SPAN_LNG, SPAN_LAT = 119.40, 28.90, 0.50, 0.40
GRID = 5  # 5 x 5 = 25 townships
DEPTS = ["market", "emergency", "ecology", "fire", "health", "housing", "transport", "agri"]
RISKS = np.array(["high", "elevated", "general", "low"])
RISK_P = [0.05, 0.15, 0.5, 0.3]


def _square(lng: float, lat: float, dlng: float, dlat: float) -> str:
    return (f"SRID=4326;MULTIPOLYGON((({lng} {lat},{lng + dlng} {lat},{lng + dlng} {lat + dlat},"
            f"{lng} {lat + dlat},{lng} {lat})))")


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def build(conn: psycopg.Connection[Any], n_ent: int, n_visits: int) -> None:
    # Every trigger stays on, as in production: the live-push ones are statement-level since migration 250
    # (a notice per statement, not per row), the measure pre-aggregate ones (migration 401) keep the panels fed.
    conn.execute("INSERT INTO counties (code, name, geom) VALUES (%s, '基准县', %s)",
                 (COUNTY, _square(LNG0, LAT0, SPAN_LNG, SPAN_LAT)))
    dl, dt = SPAN_LNG / GRID, SPAN_LAT / GRID
    for i in range(GRID * GRID):
        gx, gy = i % GRID, i // GRID
        conn.execute("INSERT INTO townships (code, county_code, name, geom) VALUES (%s, %s, %s, %s)",
                     (f"{COUNTY}{i + 1:03d}", COUNTY, f"基准镇{i + 1}", _square(LNG0 + gx * dl, LAT0 + gy * dt, dl, dt)))
    for d in DEPTS:
        conn.execute("INSERT INTO departments (code, name, name_en) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                     (d, f"部门{d}", d))
    conn.execute("INSERT INTO industries (code, name, name_en) SELECT 'ind' || g, '行业' || g, 'ind' || g"
                 " FROM generate_series(1, 10) g ON CONFLICT DO NOTHING")
    conn.execute("INSERT INTO alert_types (code, name, name_en, departments) VALUES"
                 " ('bench_type', '基准告警', 'bench', '{fire}') ON CONFLICT DO NOTHING")
    conn.commit()

    _log(f"enterprises: {n_ent:,} by COPY")
    rng = np.random.default_rng(7)
    chunk = 200_000
    for start in range(0, n_ent, chunk):
        n = min(chunk, n_ent - start)
        lng = LNG0 + rng.random(n) * SPAN_LNG * 0.999
        lat = LAT0 + rng.random(n) * SPAN_LAT * 0.999
        town = (np.floor((lat - LAT0) / dt).astype(int) * GRID + np.floor((lng - LNG0) / dl).astype(int) + 1)
        risk = rng.choice(RISKS, size=n, p=RISK_P)
        ind = rng.integers(1, 11, size=n)
        cells = {r: h3_cells(lat, lng, r) for r in (7, 8, 9)}
        buf = io.StringIO()
        for k in range(n):
            idx = start + k + 1
            buf.write(f"{COUNTY}\t{COUNTY}{town[k]:03d}\t91{idx:016d}\t企业{idx}\tind{ind[k]}\t{risk[k]}\tB\t"
                      f"SRID=4326;POINT({lng[k]:.6f} {lat[k]:.6f})\t{cells[7][k]}\t{cells[8][k]}\t{cells[9][k]}\n")
        with conn.cursor() as cur, cur.copy(
                "COPY enterprises (county_code, township_code, uscc, name, industry_code, risk, credit, geom,"
                " h3_r7, h3_r8, h3_r9) FROM STDIN") as copy:
            copy.write(buf.getvalue())
        conn.commit()
    _log(f"visits: {n_visits:,} by generate_series")
    lo, hi = conn.execute("SELECT min(id) AS lo, max(id) AS hi FROM enterprises").fetchone().values()
    step = 500_000
    for start in range(0, n_visits, step):
        n = min(step, n_visits - start)
        conn.execute(
            """
            INSERT INTO visits (county_code, township_code, enterprise_id, visit_date, lead_department, departments,
                                status, reason, planned, from_draw, task_count, code_scanned, rating, geom,
                                h3_r7, h3_r8, h3_r9)
            SELECT e.county_code, e.township_code, e.id, g.d, g.deps[1], g.deps, 'done', g.reason,
                   random() < 0.85, g.reason = 'random' OR random() < 0.1, cardinality(g.deps),
                   random() < 0.97, CASE WHEN random() < 0.6 THEN 3 + floor(random() * 3)::int END,
                   e.geom, e.h3_r7, e.h3_r8, e.h3_r9
            FROM (SELECT %(lo)s + floor(random() * (%(hi)s - %(lo)s + 1))::bigint AS eid,
                         date '2025-01-01' + floor(random() * 365)::int AS d,
                         ('[0:9]={"{market}","{fire}","{ecology}","{emergency}","{market,fire}","{health}",'
                          '"{market,health,fire}","{housing}","{transport,emergency}","{agri}"}'::text[])
                             [floor(random() * 10)::int]::text[] AS deps,
                         (ARRAY['annual', 'random', 'random', 'special', 'complaint'])[1 + floor(random() * 5)::int]
                             AS reason
                  FROM generate_series(1, %(n)s)) g
            JOIN enterprises e ON e.id = g.eid
            """, {"lo": lo, "hi": hi, "n": n})
        conn.commit()
    _log("incidents, dispatch events, alerts, monitoring coverage")
    conn.execute(
        """
        INSERT INTO incidents (county_code, township_code, type_code, severity, status, first_seen, last_seen,
                               enterprise_id, geom, h3_r7, h3_r8, h3_r9, sla_due_at, on_site_at, closed_at, created_at)
        SELECT e.county_code, e.township_code, 'bench_type', 'high', g.status, g.t, g.t,
               CASE WHEN random() < 0.4 THEN e.id END, e.geom, e.h3_r7, e.h3_r8, e.h3_r9,
               g.t + interval '120 minutes',
               CASE WHEN g.status = 'closed' AND random() < 0.9 THEN g.t + random() * interval '200 minutes' END,
               CASE WHEN g.status IN ('closed', 'remote_closed') THEN g.t + interval '5 hours' END, g.t
        FROM (SELECT %(lo)s + floor(random() * (%(hi)s - %(lo)s + 1))::bigint AS eid,
                     timestamptz '2025-01-01 00:00+08' + random() * interval '365 days' AS t,
                     (ARRAY['closed', 'closed', 'remote_closed', 'open'])[1 + floor(random() * 4)::int] AS status
              FROM generate_series(1, 150000)) g
        JOIN enterprises e ON e.id = g.eid
        """, {"lo": lo, "hi": hi})
    conn.execute("INSERT INTO dispatch_events (county_code, incident_id, at, actor, event)"
                 " SELECT county_code, id, created_at + interval '70 minutes', 'bench', 'on_site' FROM incidents"
                 " WHERE status = 'closed' AND on_site_at IS NULL")
    conn.execute(
        """
        INSERT INTO alerts (county_code, township_code, source, source_id, source_kind, type_code, observed_at,
                            severity, enterprise_id, geom, h3_r7, h3_r8, h3_r9)
        SELECT e.county_code, e.township_code, 'bench', g.n::text, 'drone', 'bench_type', g.t, 'low',
               CASE WHEN random() < 0.3 THEN e.id END, e.geom, e.h3_r7, e.h3_r8, e.h3_r9
        FROM (SELECT n, %(lo)s + floor(random() * (%(hi)s - %(lo)s + 1))::bigint AS eid,
                     timestamptz '2025-01-01 00:00+08' + random() * interval '365 days' AS t
              FROM generate_series(1, 300000) n) g
        JOIN enterprises e ON e.id = g.eid
        """, {"lo": lo, "hi": hi})
    conn.execute(
        "INSERT INTO monitoring_coverage (cell, county_code, kind, source, valid_from, valid_to)"
        " SELECT DISTINCT h3_r9, %s, 'drone_track', 'bench', date '2025-01-01', NULL::date FROM enterprises"
        " WHERE id %% 1000 = 0", (COUNTY,))  # ~5 % of the res-9 cells under drone/camera coverage
    conn.commit()
    _log("VACUUM ANALYZE")
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")
    conn.autocommit = False


def _pcts(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return statistics.median(s), s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]


def run(conn: psycopg.Connection[Any], repeats: int) -> float:
    scope = system_scope(COUNTY)
    cell7 = conn.execute("SELECT h3_r7 FROM enterprises WHERE township_code = %s LIMIT 1",
                         (f"{COUNTY}013",)).fetchone()["h3_r7"]
    months = [date(2025, m, 1) for m in (3, 6, 9, 11)]
    filters: dict[str, list[MeasureFilter]] = {}
    for m in months:
        end = date(m.year, m.month + 1, 1).replace(day=1)
        last = date.fromordinal(end.toordinal() - 1)
        filters.setdefault("county month", []).append(MeasureFilter(m, last))
        filters.setdefault("township month", []).append(MeasureFilter(m, last, township_code=f"{COUNTY}013"))
        filters.setdefault("cell r7 month", []).append(MeasureFilter(m, last, cell=int(cell7)))
        filters.setdefault("department month", []).append(MeasureFilter(m, last, department="fire"))
    all_samples: list[float] = []
    print("| filter | panels | p50 ms | p95 ms |")
    print("|---|---|---|---|")
    for name, fs in filters.items():
        samples = []
        for r in range(repeats):
            f = fs[r % len(fs)]
            t0 = time.perf_counter()
            p = panel(conn, scope, f)
            samples.append((time.perf_counter() - t0) * 1000)
            conn.rollback()
        assert p["repeat_rate"].denominator is not None
        p50, p95 = _pcts(samples)
        all_samples += samples
        print(f"| {name} | {len(samples)} | {p50:.0f} | {p95:.0f} |", flush=True)
    year = []
    for _ in range(3):
        t0 = time.perf_counter()
        panel(conn, scope, MeasureFilter(date(2025, 1, 1), date(2025, 12, 31)))
        year.append((time.perf_counter() - t0) * 1000)
        conn.rollback()
    print(f"| county whole year (not in goal) | 3 | {statistics.median(year):.0f} | {max(year):.0f} |")
    p50, p95 = _pcts(all_samples)
    print(f"all monthly panels: n={len(all_samples)} p50={p50:.0f} ms p95={p95:.0f} ms")
    return p95


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=1_000_000)
    ap.add_argument("--visits", type=int, default=2_000_000)
    ap.add_argument("--repeats", type=int, default=12)
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--reuse", help="an existing bench database name to time again (no build)")
    args = ap.parse_args()
    url = database_of(args.reuse) if args.reuse else create_database("gcbench_kpis")
    name = database_name(url)
    try:
        if not args.reuse:
            with connect(url) as conn:
                t0 = time.perf_counter()
                build(conn, args.enterprises, args.visits)
                _log(f"built in {time.perf_counter() - t0:.0f} s ({name})")
        with connect(url) as conn:
            conn.execute("SET TIME ZONE 'Asia/Shanghai'")
            p95 = run(conn, args.repeats)
    finally:
        if not args.keep and not args.reuse:
            drop_database(url)
    print(f"RESULT kpi_panel_p95_ms={p95:.0f} ms")


if __name__ == "__main__":
    main()
