"""The demo county at scale: ``python bench/demo_county.py --enterprises 1000000``.

Loads 婺城区 with N enterprises and 12 months of visits into a fresh database (dropped afterwards), checks
the repeat-inspection rate in SQL and that nothing lies outside the county, and prints the stage timings.
Last line: ``RESULT demo_<N>_seconds=<value> s``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _fresh_db import fresh_database  # noqa: E402

from geo_data import demo  # noqa: E402
from geo_data.db import connect  # noqa: E402

REPEAT_RATE_SQL = """
SELECT count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM visits w WHERE w.enterprise_id = v.enterprise_id AND w.id <> v.id
             AND w.lead_department <> v.lead_department
             AND w.visit_date BETWEEN v.visit_date - 30 AND v.visit_date))::float / count(*) AS rate
FROM visits v
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args()
    with fresh_database("gcbench_demo") as url, connect(url) as conn:
        start = time.perf_counter()
        summary = demo.load_demo(conn, enterprises=args.enterprises, seed=args.seed, history_months=args.months)
        conn.commit()
        total = time.perf_counter() - start
        row = conn.execute(REPEAT_RATE_SQL).fetchone()
        outside = conn.execute("SELECT count(*) AS n FROM enterprises e JOIN counties c ON c.code = e.county_code"
                               " WHERE NOT ST_Contains(c.geom, e.geom)").fetchone()
        print(f"enterprises {summary.enterprises}, visits {summary.visits}, teams {summary.teams}, "
              f"inspectors {summary.inspectors}")
        print(f"repeat-inspection rate (SQL) {row['rate'] if row else float('nan'):.4f}; "
              f"outside the county: {outside['n'] if outside else '?'}")
        print("stage seconds: " + ", ".join(f"{k} {v}" for k, v in summary.seconds.items()))
        print(f"RESULT demo_{args.enterprises}_seconds={total:.1f} s")


if __name__ == "__main__":
    main()
