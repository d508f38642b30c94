"""Benchmark: an alert committed in PostgreSQL -> its marker drawn on an open map page in headless Chromium.

Starts the real app (threaded WSGI server, as the e2e tests do) on a fresh database with a small scenario
county, logs a county operator into ``/`` and, for each of ``--alerts`` alerts, arms a poller that reads the
moment gridcommand.js drew a new alert (``gc.live.drawnAt``), commits one alert (with its incident) through SQL —
the database trigger of migration 100 notifies, the listener thread fans out, ``/events`` streams, the
browser merges by id and Leaflet draws — and reads the stamp. Browser and server share this machine's clock.
Goal: p95 <= 1 s.

    .venv/bin/python bench/push_latency.py [--alerts 100]

Last line: ``RESULT push_p95_ms=<v> ms``.
"""

from __future__ import annotations

import argparse
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _fresh_db import create_database, database_name, drop_database  # noqa: E402  (bench/ is the script's directory)

from geo_data.db import connect  # noqa: E402
from geo_data.settings import DatabaseSettings, MapSettings, ServerSettings, Settings  # noqa: E402
from tests import map_scenario as ms  # noqa: E402

# gridcommand.js stamps gc.live.drawnAt[fid] on the animation frame after the canvas drew a pushed change
ARM = """
window.__pushSeen = null;
var known = Object.assign({}, gc.live.layers.alert);
if (window.__pushPoll) { clearInterval(window.__pushPoll); }
window.__pushPoll = setInterval(function () {
    Object.keys(gc.live.drawnAt).forEach(function (fid) {
        if (window.__pushSeen === null && fid.indexOf('alert:') === 0 && !known[fid]) {
            window.__pushSeen = gc.live.drawnAt[fid];
        }
    });
}, 5);
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alerts", type=int, default=100)
    args = ap.parse_args()
    url = create_database("gcbench_push")
    name = database_name(url)
    driver = None
    servers = ExitStack()
    try:
        data_dir = Path("/tmp") / name
        settings = Settings(db=DatabaseSettings(url=url, data_dir=data_dir), server=ServerSettings(), map=MapSettings())
        base = servers.enter_context(ms.live_server(settings, url))
        user = ms.user(url, "county_operator")
        from selenium.webdriver.support.ui import WebDriverWait

        driver = ms.headless_chromium()
        ms.browser_login(driver, base, user, "/", db_url=url)
        WebDriverWait(driver, 15).until(lambda d: d.execute_script(
            "return window.gc && gc.live.source && gc.live.source.readyState === 1 &&"
            " Object.keys(gc.live.layers.alert).length >= 3"))
        time.sleep(1.0)
        latencies: list[float] = []
        rng = np.random.default_rng(3)
        with connect(url, autocommit=True) as conn:
            for i in range(args.alerts):
                driver.execute_script(ARM)
                lng = float(rng.uniform(ms.WEST + 0.005, ms.EAST - 0.005))
                lat = float(rng.uniform(ms.SOUTH + 0.005, ms.NORTH - 0.005))
                with conn.transaction():
                    ms.add_alert(conn, lng=lng, lat=lat, township=ms.TOWN_W if lng < ms.MID else ms.TOWN_E,
                                 source_id=f"bench-{i}", severity="high")
                committed_ms = time.time() * 1000
                seen = None
                deadline = time.monotonic() + 10
                while seen is None and time.monotonic() < deadline:
                    time.sleep(0.01)
                    seen = driver.execute_script("return window.__pushSeen")
                if seen is None:
                    print(f"alert {i}: not seen within 10 s", flush=True)
                    latencies.append(10_000.0)
                else:
                    latencies.append(max(0.0, float(seen) - committed_ms))
        arr = np.asarray(latencies)
        print(f"alerts {len(arr)}  p50 {np.percentile(arr, 50):.0f} ms  p95 {np.percentile(arr, 95):.0f} ms  "
              f"max {arr.max():.0f} ms")
        print(f"RESULT push_p95_ms={np.percentile(arr, 95):.0f} ms")
    finally:
        if driver is not None:
            driver.quit()
        servers.close()
        drop_database(url)


if __name__ == "__main__":
    main()
