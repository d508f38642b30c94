"""Benchmark: import N generated enterprises of 婺城区 (330702) end to end, as ``gridcommand import`` does.

    .venv/bin/python bench/import_enterprises.py --rows 1000000 [--repeat 3] [--keep]

Generates a UTF-8 CSV with Chinese headers (valid USCCs, realistic names, addresses, industries, risk and
credit grades, points inside the real county outline) in a temp dir, creates a fresh database on the local
cluster (or on ``DATABASE_URL``'s server) with the county, its 26 generated townships, the reference data and
the H3 grid, then times ``geo_data.importers.import_enterprises`` (read, checks, H3 x3, township placement,
COPY, index rebuild, per-cell counts) and the commit. Besides wall-clock seconds it prints the CPU seconds of
this process and of its server backend, which do not depend on how busy the machine is (the wall clock on a
shared machine does). The last line is ``RESULT import_1m_seconds=<median wall seconds> s``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _fresh_db import create_database, drop_database  # noqa: E402  (bench/ is the script's directory)

from geo_data.cells import ensure_cells, refresh_cell_counts  # noqa: E402
from geo_data.db import connect  # noqa: E402
from geo_data.errors import InvalidInput  # noqa: E402
from geo_data.importers import import_enterprises  # noqa: E402
from geo_data.reference import industries, load_reference  # noqa: E402
from geo_data.townships import (  # noqa: E402
    bundled_county,
    bundled_townships,
    generate_townships,
    load_county,
    store_townships,
)
from geo_data.uscc import ALPHABET, is_valid_uscc  # noqa: E402

COUNTY = "330702"
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)])
_ALPHA = np.array(list(ALPHABET))


def make_usccs(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` distinct valid codes 91330702 + 8-digit organisation body + its check + the final check (vectorised)."""
    bodies = rng.choice(10**8, size=n, replace=False)
    digits = (bodies[:, None] // 10 ** np.arange(7, -1, -1)) % 10
    org = 11 - (digits * _ORG_WEIGHTS).sum(axis=1) % 11
    org_char = np.array(list("0123456789X0"))[org]
    org_val = np.where(org_char == "X", ALPHABET.index("X"), org % 11)
    head = np.array([9, 1, 3, 3, 0, 7, 0, 2])
    vals = np.column_stack([np.broadcast_to(head, (n, 8)), digits, org_val])
    check = (31 - (vals * _USCC_WEIGHTS).sum(axis=1) % 31) % 31
    body_txt = pd.Series(bodies).astype(str).str.zfill(8)
    return ("91330702" + body_txt + pd.Series(org_char) + pd.Series(_ALPHA[check])).to_numpy()


def make_points(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points inside the county: 60 % around a few urban/industrial centres, the rest uniform."""
    county = bundled_county(COUNTY).geom
    shapely.prepare(county)
    minx, miny, maxx, maxy = county.bounds
    centres = np.array([[119.64, 29.08, 0.03], [119.60, 29.05, 0.02], [119.55, 29.10, 0.015],
                        [119.50, 28.95, 0.02], [119.40, 29.00, 0.015]])
    lng_out: list[np.ndarray] = []
    lat_out: list[np.ndarray] = []
    have = 0
    while have < n:
        m = (n - have) * 2
        pick = rng.integers(0, len(centres), m)
        clustered = rng.random(m) < 0.6
        lng = np.where(clustered, centres[pick, 0] + rng.normal(0, 1, m) * centres[pick, 2], rng.uniform(minx, maxx, m))
        lat = np.where(clustered, centres[pick, 1] + rng.normal(0, 1, m) * centres[pick, 2], rng.uniform(miny, maxy, m))
        lng, lat = np.round(lng, 6), np.round(lat, 6)  # as written to the CSV: test inside after rounding
        ok = shapely.contains_xy(county, lng, lat)
        lng_out.append(lng[ok])
        lat_out.append(lat[ok])
        have += int(ok.sum())
    return np.concatenate(lng_out)[:n], np.concatenate(lat_out)[:n]


def make_csv(path: Path, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    inds = industries()
    weights = np.array([i.demo_weight for i in inds], dtype=float)
    pick = rng.choice(len(inds), size=n, p=weights / weights.sum())
    ind_names = np.array([i.name for i in inds])[pick]
    suffix = np.array([i.shop_suffixes[0] if i.shop_suffixes else "店" for i in inds])[pick]
    given = np.array(list("金华婺城兴旺鑫盛达利隆昌顺和佳美新源宏远恒丰华泰"))
    a, b = rng.integers(0, len(given), n), rng.integers(0, len(given), n)
    names = pd.Series(given[a]) + pd.Series(given[b]) + pd.Series(suffix) + "（" + pd.Series(np.arange(n) % 997).astype(str) + "号）"
    streets = np.array(["八一南街", "人民西路", "宾虹路", "双龙南街", "婺江西路", "丹溪路", "李渔路", "环城南路"])
    addr = "浙江省金华市婺城区" + pd.Series(streets[rng.integers(0, len(streets), n)]) + \
        pd.Series(rng.integers(1, 999, n)).astype(str) + "号"
    lng, lat = make_points(n, rng)
    frame = pd.DataFrame({
        "统一社会信用代码": make_usccs(n, rng), "企业名称": names, "行业": ind_names,
        "经度": lng, "纬度": lat, "地址": addr,
        "风险等级": np.array(["高", "较高", "一般", "低"])[rng.choice(4, n, p=[0.05, 0.15, 0.5, 0.3])],
        "信用等级": np.array(["A", "B", "C", "D"])[rng.choice(4, n, p=[0.4, 0.4, 0.15, 0.05])],
    })
    assert all(is_valid_uscc(c) for c in frame["统一社会信用代码"].iloc[:1000])
    frame.to_csv(path, index=False, encoding="utf-8")


def backend_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a local server backend (from /proc; 0 if it is not on this machine)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def county_database() -> str:
    """URL of a new migrated database with the county, townships, reference data and cells."""
    url = create_database("gcbench_import")
    with connect(url) as conn:
        load_reference(conn)
        load_county(conn, code=COUNTY)
        towns = generate_townships(bundled_county(COUNTY).geom, bundled_townships(COUNTY), seed=1)
        store_townships(conn, county_code=COUNTY, townships=towns, generated=True)
        ensure_cells(conn, county_code=COUNTY)
        conn.commit()
    return url


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", action="store_true", help="keep the CSV and the database")
    ap.add_argument("--csv", type=Path, default=None, help="reuse (or write) the generated CSV at this path")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="gcbench_"))
    csv_path = args.csv or tmp / f"enterprises_{args.rows}.csv"
    if not csv_path.exists():
        t = time.perf_counter()
        make_csv(csv_path, args.rows, args.seed)
        print(f"generated {args.rows} rows in {time.perf_counter() - t:.1f} s", flush=True)
    print(f"CSV {csv_path}: {csv_path.stat().st_size / 2**20:.1f} MiB, load average {os.getloadavg()[0]:.1f}",
          flush=True)
    url = county_database()
    print(f"database: {url}", flush=True)
    totals: list[float] = []
    cpu_totals: list[float] = []
    try:
        for i in range(args.repeat):
            with connect(url) as conn:
                if i:
                    conn.execute("TRUNCATE enterprises CASCADE")
                    refresh_cell_counts(conn, county_code=COUNTY)
                    conn.commit()
                timings: dict[str, float] = {}
                backend = conn.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]
                server0, client0 = backend_cpu_seconds(backend), time.process_time()
                start = time.perf_counter()
                try:
                    report = import_enterprises(conn, path=csv_path, county_code=COUNTY, progress=False,
                                                timings=timings)
                except InvalidInput as exc:
                    sys.exit(f"{exc}\n" + "\n".join(map(str, exc.problems[:20])))
                conn.commit()
                total = time.perf_counter() - start
                client_cpu, server_cpu = time.process_time() - client0, backend_cpu_seconds(backend) - server0
                totals.append(total)
                cpu_totals.append(client_cpu + server_cpu)
                assert report.rows_loaded == args.rows, report.problems[:5]
                phases = "  ".join(f"{k} {v:.2f}" for k, v in timings.items())
                print(f"run {i + 1}: {total:.2f} s wall  ({phases}; commit incl.); CPU: client {client_cpu:.2f} s"
                      f" + server {server_cpu:.2f} s; load average {os.getloadavg()[0]:.1f}", flush=True)
        with connect(url) as conn:
            size = conn.execute("SELECT pg_size_pretty(pg_total_relation_size('enterprises')) AS s,"
                                " (SELECT sum(ent_total) FROM h3_cells WHERE res = 9) AS n").fetchone()
            print(f"enterprises table with indexes: {size['s']}; res-9 cell counts sum to {size['n']}")
    finally:
        if not args.keep:
            drop_database(url)
            if args.csv is None:
                csv_path.unlink(missing_ok=True)
            tmp.rmdir()
    med = statistics.median(totals)
    if len(totals) > 1:
        print(f"median of {len(totals)}: {med:.2f} s (min {min(totals):.2f}, max {max(totals):.2f})")
    print(f"CPU seconds (client + server backend), median: {statistics.median(cpu_totals):.2f} s")
    print(f"RESULT import_1m_seconds={med:.2f} s")


if __name__ == "__main__":
    main()
