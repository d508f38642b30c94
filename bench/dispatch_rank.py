"""Benchmark: team recommendation latency with 1M enterprises, 500 teams and 10,000 open incidents.

    .venv/bin/python bench/dispatch_rank.py [--enterprises 1000000] [--teams 500] [--incidents 10000]

Fresh database with the demo county (婺城区 330702: 20,000 demo enterprises with a month of visits, topped
up to N with synthetic enterprises by COPY — loading a 1M demo with its visit history takes far longer); extra
teams up to --teams (random
qualifications, based inside random townships); at least --incidents open incidents made by ingesting alerts
(``geo_data.alerts.ingest``); 1,000 planned visits today and 200 active dispatches. Then times
``services.dispatch.recommend`` (candidate SQL + travel time + ranking) on 1,000 random open incidents, one
connection, warm cache. The last line is ``RESULT rank_p95_ms=<v> ms``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import h3.api.basic_int as h3_int  # noqa: E402
from _fresh_db import fresh_database  # noqa: E402

from geo_data.alerts import AlertInput, ingest  # noqa: E402
from geo_data.db import connect  # noqa: E402
from geo_data.demo import load_demo  # noqa: E402
from geo_data.dispatch import assign  # noqa: E402
from geo_data.scope import Role, Scope  # noqa: E402
from geo_data.settings import DispatchSettings  # noqa: E402
from geo_data.travel import StraightLineEstimator  # noqa: E402
from services.dispatch import recommend  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
COUNTY = "330702"


def _top_up_enterprises(conn, n: int) -> None:
    """Add ``n`` synthetic enterprises at random points of the county's townships (COPY; H3 vectorised)."""
    import numpy as np

    from geo_data import coords

    box = conn.execute("SELECT ST_XMin(geom) AS x0, ST_YMin(geom) AS y0, ST_XMax(geom) AS x1, ST_YMax(geom) AS y1"
                       " FROM counties WHERE code = %s", (COUNTY,)).fetchone()
    rng = np.random.default_rng(3)
    lng = rng.uniform(box["x0"], box["x1"], n)
    lat = rng.uniform(box["y0"], box["y1"], n)
    cells = coords.cells_all_res(lat, lng)
    conn.execute("CREATE TEMP TABLE ent_stage (uscc text, lng float8, lat float8, r7 bigint, r8 bigint, r9 bigint)"
                 " ON COMMIT DROP")
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    with conn.cursor() as cur, cur.copy("COPY ent_stage FROM STDIN") as copy:
        for i in range(n):
            k, serial = i, []
            for _ in range(10):
                k, d = divmod(k, 31)
                serial.append(alphabet[d])
            copy.write_row(("92330702" + "".join(serial), float(lng[i]), float(lat[i]), int(cells[7][i]),
                            int(cells[8][i]), int(cells[9][i])))
    conn.execute(
        "INSERT INTO enterprises (county_code, township_code, uscc, name, risk, credit, geom, h3_r7, h3_r8, h3_r9)"
        " SELECT %s, t.township_code, s.uscc, '基准主体' || s.uscc, 'general', 'B', ST_SetSRID(ST_MakePoint(s.lng, s.lat), 4326),"
        " s.r7, s.r8, s.r9 FROM ent_stage s LEFT JOIN h3_cells t ON t.cell = s.r9"  # township of the grid cell
        " ON CONFLICT DO NOTHING", (COUNTY,))
    conn.commit()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=1_000_000)
    ap.add_argument("--teams", type=int, default=500)
    ap.add_argument("--incidents", type=int, default=10_000)
    ap.add_argument("--samples", type=int, default=1_000)
    args = ap.parse_args()
    rng = random.Random(5)
    with fresh_database("gcbench_rank") as url, connect(url) as conn:
        t0 = time.perf_counter()
        demo_n = min(args.enterprises, 20_000)
        load_demo(conn, enterprises=demo_n, seed=7, history_months=1)
        conn.commit()
        print(f"demo county with {demo_n:,} enterprises in {time.perf_counter() - t0:.0f} s")
        if args.enterprises > demo_n:
            t0 = time.perf_counter()
            _top_up_enterprises(conn, args.enterprises - demo_n)
            print(f"+{args.enterprises - demo_n:,} synthetic enterprises (COPY) in {time.perf_counter() - t0:.0f} s")
        deps = [r["code"] for r in conn.execute("SELECT code FROM departments")]
        towns = [(r["code"], r["lng"], r["lat"]) for r in conn.execute(
            "SELECT code, ST_X(label_point) AS lng, ST_Y(label_point) AS lat FROM townships"
            " WHERE county_code = %s", (COUNTY,))]
        have = conn.execute("SELECT count(*) AS n FROM teams").fetchone()["n"]
        for k in range(max(0, args.teams - have)):
            code, lng, lat = rng.choice(towns)
            lng, lat = lng + rng.uniform(-0.03, 0.03), lat + rng.uniform(-0.03, 0.03)
            conn.execute(
                "INSERT INTO teams (county_code, township_code, name, kind, qualifications, base, base_h3_r9,"
                " status) VALUES (%s, %s, %s, 'township', %s, ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s, %s)",
                (COUNTY, code, f"基准队{k}", rng.sample(deps, 3), lng, lat, h3_int.latlng_to_cell(lat, lng, 9),
                 rng.choice(["idle", "idle", "out"])))
        conn.commit()
        points = [(r["lng"], r["lat"]) for r in conn.execute(
            "SELECT ST_X(geom) AS lng, ST_Y(geom) AS lat FROM enterprises ORDER BY random() LIMIT 20000")]
        types = [r["code"] for r in conn.execute("SELECT code FROM alert_types")]
        now = datetime.now(SH)
        t0 = time.perf_counter()
        made = 0
        while conn.execute("SELECT count(*) AS n FROM incidents WHERE status = 'open'").fetchone()["n"] \
                < args.incidents:
            n = 5000
            alerts = [AlertInput(source_id=f"rank-{made + i}", source_kind="sensor", type_code=rng.choice(types),
                                 observed_at=now - timedelta(minutes=rng.uniform(0, 600)),
                                 lng=p[0] + rng.uniform(-2e-4, 2e-4), lat=p[1] + rng.uniform(-2e-4, 2e-4),
                                 severity=rng.choice(["low", "medium", "high", "urgent"]))
                      for i, p in enumerate(rng.choices(points, k=n))]
            with conn.transaction():
                ingest(conn, source="bench", county_code=COUNTY, alerts=alerts)
            made += n
        open_ids = [r["id"] for r in conn.execute("SELECT id FROM incidents WHERE status = 'open'")]
        conn.execute("ANALYZE")
        print(f"{made:,} alerts -> {len(open_ids):,} open incidents in {time.perf_counter() - t0:.1f} s")
        conn.execute(
            "INSERT INTO visits (county_code, township_code, enterprise_id, team_id, visit_date, lead_department,"
            " departments, status, geom, h3_r7, h3_r8, h3_r9)"
            " SELECT e.county_code, e.township_code, e.id, t.id, %s, t.qualifications[1], ARRAY[t.qualifications[1]],"
            " 'planned', e.geom, e.h3_r7, e.h3_r8, e.h3_r9"
            " FROM (SELECT * FROM enterprises ORDER BY random() LIMIT 1000) e"
            " CROSS JOIN LATERAL (SELECT id, qualifications FROM teams WHERE township_code = e.township_code"
            "  AND cardinality(qualifications) > 0 ORDER BY random() + e.id * 0 LIMIT 1) t",
            (now.date(),))
        op = Scope(actor="bench", role=Role.COUNTY_OPERATOR, county_code=COUNTY)
        teams = [r["id"] for r in conn.execute("SELECT id FROM teams ORDER BY random() LIMIT 200")]
        for team, inc in zip(teams, rng.sample(open_ids, 200), strict=True):
            try:
                with conn.transaction():
                    assign(conn, op, inc, team)
            except Exception:  # noqa: BLE001 - a busy team is fine here
                pass
        conn.execute("ANALYZE")
        conn.commit()
        counts = conn.execute("SELECT (SELECT count(*) FROM enterprises) AS e, (SELECT count(*) FROM teams) AS t,"
                              " (SELECT count(*) FROM incidents WHERE status IN ('open', 'dispatched')) AS i,"
                              " (SELECT count(*) FROM dispatches WHERE status = 'assigned') AS d").fetchone()
        print(f"database: {counts['e']:,} enterprises, {counts['t']} teams, {counts['i']:,} open incidents,"
              f" {counts['d']} active dispatches")
        settings = DispatchSettings()
        est = StraightLineEstimator(settings)
        sample = rng.choices(open_ids, k=args.samples)
        for inc in sample[:50]:  # warm-up
            recommend(conn, op, inc, settings=settings, estimator=est, now=datetime.now(UTC))
        times, lengths = [], []
        for inc in sample:
            t = time.perf_counter()
            ranked = recommend(conn, op, inc, settings=settings, estimator=est, now=datetime.now(UTC))
            times.append((time.perf_counter() - t) * 1000)
            lengths.append(len(ranked))
        conn.rollback()
        times.sort()
        p50, p95 = statistics.median(times), times[int(0.95 * len(times)) - 1]
        print(f"recommend(): {len(times)} incidents, p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms,"
              f" mean {len(lengths) and sum(lengths) / len(lengths):.1f} teams listed")
    print(f"RESULT rank_p50_ms={p50:.1f} ms")
    print(f"RESULT rank_p95_ms={p95:.1f} ms")


if __name__ == "__main__":
    main()
