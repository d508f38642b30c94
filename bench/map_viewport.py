"""Benchmark: server time and payload of the map's viewport layers on 1M enterprises.

Builds a fresh database ``gcbench_map_*`` on the local cluster (or ``DATABASE_URL``'s server), loads the demo
county with ``geo_data.demo.load_demo`` (1M enterprises, real 婺城区 outline, generated townships, H3 cells with
pre-aggregated counts, visits), then times ``callbacks.map_view.viewport_payload`` — exactly what the
viewport callback runs: scoped, bbox-bounded SQL plus the GeoJSON builders — for random 1600x900 px views at
zoom 9, 12 and 15 inside the county (p50/p95 over ``--views`` views each), and the payload (compact JSON) size.
Goal: p95 <= 50 ms and <= 300 KB at every zoom.

    .venv/bin/python bench/map_viewport.py [--enterprises 1000000] [--views 200] [--keep] [--db NAME]

``--db NAME`` reuses an existing benchmark database (skips loading). Last line:
``RESULT viewport_p95_ms=<worst p95 of the three zooms> ms``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _fresh_db import create_database, database_name, database_of, drop_database  # noqa: E402  (bench/ is the script's directory)

from callbacks.map_common import view_bounds  # noqa: E402
from callbacks.map_view import viewport_payload  # noqa: E402
from geo_data.db import connect  # noqa: E402
from geo_data.scope import Role, Scope  # noqa: E402
from geo_data.settings import MapSettings  # noqa: E402
from layers.geojson import payload_bytes  # noqa: E402

COUNTY = "330702"


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--enterprises", type=int, default=1_000_000)
    ap.add_argument("--views", type=int, default=200)
    ap.add_argument("--history-months", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--db", help="reuse this existing, loaded database")
    args = ap.parse_args()

    url = database_of(args.db) if args.db else create_database("gcbench_map")
    name = database_name(url)
    try:
        if not args.db:
            from geo_data.demo import load_demo

            _log(f"loading the demo county with {args.enterprises:,} enterprises into {name}")
            t0 = time.perf_counter()
            with connect(url) as c:
                summary = load_demo(c, enterprises=args.enterprises, seed=7, history_months=args.history_months)
                c.commit()
            # a live database has been vacuumed since its rows were written (hint bits set, visibility map built);
            # without this the first views pay for the bulk load's cleanup and race autovacuum for the two CPUs
            with psycopg.connect(url, autocommit=True) as c:
                c.execute("VACUUM (ANALYZE)")
            _log(f"loaded in {time.perf_counter() - t0:.0f} s: {summary}")
        run(url, args.views)
    finally:
        if not args.keep and not args.db:
            drop_database(url)
        elif not args.db:
            _log(f"kept database {name} (reuse with --db {name})")


def run(url: str, n_views: int) -> None:
    scope = Scope("bench", Role.COUNTY_OPERATOR, COUNTY)
    settings = MapSettings()
    rng = np.random.default_rng(11)
    worst = 0.0
    load0 = os.getloadavg()[0]
    with connect(url) as conn:
        conn.execute("SET TIME ZONE 'Asia/Shanghai'")
        box = conn.execute("SELECT ST_XMin(geom) AS x0, ST_YMin(geom) AS y0, ST_XMax(geom) AS x1, "
                           "ST_YMax(geom) AS y1 FROM counties WHERE code = %s", (COUNTY,)).fetchone()
        n_ent = conn.execute("SELECT count(*) AS n FROM enterprises WHERE county_code = %s", (COUNTY,)).fetchone()["n"]
        _log(f"{n_ent:,} enterprises; county bbox {box}")
        today = date.today()
        lines = []
        for zoom, measure in ((9, "enterprises"), (12, "enterprises"), (15, "enterprises"), (12, "repeat_rate")):
            times, cpu, sizes, feats, capped = [], [], [], [], 0
            for _ in range(n_views):
                centre = [rng.uniform(box["y0"], box["y1"]), rng.uniform(box["x0"], box["x1"])]
                (s, w), (n, e) = view_bounds(None, centre, zoom, width_px=1600, height_px=900)
                t0, c0 = time.perf_counter(), time.process_time()
                with conn.transaction():
                    p = viewport_payload(conn, scope=scope, map_settings=settings, bbox=(w, s, e, n), zoom=zoom,
                                         measure=measure, date_from=today - timedelta(days=29), date_to=today)
                data = {"cells": p["cells"], "enterprises": p["enterprises"]}
                size = payload_bytes(data)   # serialising is part of the server's work
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                sizes.append(size / 1024)
                feats.append(len(p["cells"]["features"]) + len(p["enterprises"]["features"]))
                capped += p["total"] > p["shown"]
            p50, p95 = _pct(times, 50), _pct(times, 95)
            line = (f"zoom {zoom:>2} {measure:<12} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  (python cpu p95 "
                    f"{_pct(cpu, 95):5.1f} ms)  payload p50 "
                    f"{_pct(sizes, 50):6.1f} KB  p95 {_pct(sizes, 95):6.1f} KB  max {max(sizes):6.1f} KB  "
                    f"features p50 {statistics.median(feats):.0f}  capped views {capped}/{n_views}")
            _log(line)
            lines.append(line)
            if measure == "enterprises":
                worst = max(worst, p95)
    print("\n".join(lines))
    print(f"load average (1 min) {load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end; {os.cpu_count()} CPUs")
    print(f"RESULT viewport_p95_ms={worst:.1f} ms")


if __name__ == "__main__":
    main()
