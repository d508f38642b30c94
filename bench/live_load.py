"""Benchmark: the county map and the wall, open in headless Chromium, under a live feed of 50 changes per second.

A fresh database with the demo county (婺城区, ``--enterprises`` enterprises, one month of visits) and a week of
alerts (``--history``; with their incidents and the demo's teams about 5,000 live markers — the server is told
to send up to 5,000 features per layer), served by ``gridcommand serve`` (gunicorn, 2 workers). One browser shows
``/`` (county zoom), another ``/wall``; ``tests.live_feed.LiveFeed`` writes ``--rate`` changed rows per second
through SQL (new alerts with their incidents, incident updates, team moves) for ``--minutes``. Measured in the
pages:

- main-thread busy: the sum of long tasks (PerformanceObserver ``longtask``: tasks over 50 ms) per second;
- push -> drawn: from the moment the server read a changed row to the animation frame after its marker was
  drawn (``gc.live.drawLatency``; browser and server share this machine's clock);
- click -> details: a click on an incident marker every 5 s until the details panel changed;
- JS heap (``performance.memory.usedJSHeapSize``) after the base loaded and at the end.

    .venv/bin/python bench/live_load.py [--minutes 2] [--rate 50] [--screenshots DIR]

Last line: ``RESULT live_push_drawn_p95_ms=<v> ms``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _fresh_db import create_database, database_name, drop_database  # noqa: E402

from geo_data import demo  # noqa: E402
from geo_data.db import connect  # noqa: E402
from geo_data.users import create_user  # noqa: E402
from tests import live_feed  # noqa: E402
from tests import map_scenario as ms  # noqa: E402
from tests.served import served  # noqa: E402

COUNTY = "330702"
OBSERVE = """
window.__long = 0; window.__longSince = performance.now();
new PerformanceObserver(function (list) { list.getEntries().forEach(function (e) { window.__long += e.duration; }); })
    .observe({type: 'longtask', buffered: false});
window.__details = null;
var el = document.getElementById('details');
if (el) { new MutationObserver(function () { window.__details = performance.now(); })
    .observe(el, {childList: true, subtree: true, characterData: true}); }
return performance.memory ? performance.memory.usedJSHeapSize : 0;
"""
CLICK = """
var v = gc.view(), ids = Object.keys(v.markers.incident);
if (!ids.length) { return null; }
var fid = ids[Math.floor(Math.random() * ids.length)], m = v.markers.incident[fid];
var p = v.map.latLngToContainerPoint(m.getLatLng()), box = v.map.getContainer().getBoundingClientRect();
if (p.x < 5 || p.y < 5 || p.x > box.width - 5 || p.y > box.height - 5) { return null; }
window.__details = null; window.__clickAt = performance.now();
var ev = {bubbles: true, cancelable: true, clientX: box.left + p.x, clientY: box.top + p.y, view: window};
v.map.getContainer().dispatchEvent(new MouseEvent('click', ev));
return fid;
"""


COUNTS = """
var l = gc.live, v = gc.view(), n = function (o) { return Object.keys(o).length; };
return {alerts: n(l.layers.alert), incidents: n(l.layers.incident), teams: n(l.layers.team),
        ver: n(l.ver.alert) + n(l.ver.incident) + n(l.ver.team), pushed: n(l.pushedAt), drawn: n(l.drawnAt),
        markers: n(v.markers.alert) + n(v.markers.incident) + n(v.markers.team), bins: n(v.bins || {}),
        history: (function () {   // dash-renderer's undo history: what it keeps of earlier input values
            var st = window.store && window.store.getState(), h = st && st.history;
            if (!h) { return [0, 0]; }
            return [h.past.length, JSON.stringify(h.past).length + JSON.stringify(h.present || {}).length];
        })()};
"""


def _heap_after_gc(driver: Any) -> float:
    """Used JS heap (bytes) after a full garbage collection (DevTools protocol): what the page retains."""
    driver.execute_cdp_cmd("HeapProfiler.enable", {})
    driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    return float(driver.execute_cdp_cmd("Runtime.getHeapUsage", {})["usedSize"])


def _instances(driver: Any, prototype: str) -> int:
    """Live objects whose prototype chain holds ``prototype`` (DevTools ``Runtime.queryObjects``)."""
    proto = driver.execute_cdp_cmd("Runtime.evaluate", {"expression": prototype, "objectGroup": "gc-bench"})
    found = driver.execute_cdp_cmd("Runtime.queryObjects", {"prototypeObjectId": proto["result"]["objectId"],
                                                            "objectGroup": "gc-bench"})
    n = driver.execute_cdp_cmd("Runtime.callFunctionOn", {"functionDeclaration": "function () { return this.length; }",
                                                          "objectId": found["objects"]["objectId"],
                                                          "returnByValue": True})
    driver.execute_cdp_cmd("Runtime.releaseObjectGroup", {"objectGroup": "gc-bench"})
    return int(n["result"]["value"])


def _retained(driver: Any) -> str:
    """Heap after GC, Leaflet layers alive, and the live store's entries: a leak shows as layers or entries
    beyond what is drawn."""
    heap = _heap_after_gc(driver)
    c = driver.execute_script(COUNTS)
    return (f"heap after GC {heap / 2**20:.1f} MiB; Leaflet CircleMarkers {_instances(driver, 'L.CircleMarker.prototype')},"
            f" Markers {_instances(driver, 'L.Marker.prototype')}, layers {_instances(driver, 'L.Layer.prototype')};"
            f" live features {c['alerts']}+{c['incidents']}+{c['teams']}, markers drawn {c['markers']}, bins {c['bins']},"
            f" ver entries {c['ver']}, pushedAt {c['pushed']}, drawnAt {c['drawn']};"
            f" Dash history {c['history'][0]} entries, {c['history'][1] / 2**20:.2f} MiB as JSON")


def _ready(driver: Any) -> bool:
    return bool(driver.execute_script(
        "return !!(window.gc && gc.view() && gc.live.baseAt.alert > 0 && gc.live.baseAt.incident > 0)"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--enterprises", type=int, default=20_000)
    ap.add_argument("--history", type=int, default=3500)
    ap.add_argument("--screenshots", type=Path, default=None, help="folder for screenshots at the end of the load")
    ap.add_argument("--heap-every", type=float, default=0.0,
                    help="seconds between heap-after-GC samples of both pages during the load (0: none; each forced"
                         " GC is main-thread work the long-task figure then includes)")
    ap.add_argument("--steady", action="store_true",
                    help="change only existing ids (incident updates, team moves): a leak check, no legitimate growth")
    ap.add_argument("--resync-every", type=float, default=0.0,
                    help="seconds between base reloads asked of both pages (as their 5-minute timer and a reconnect"
                         " do; 0: only those): hours of reloads in minutes, for what a reload leaves behind")
    args = ap.parse_args()
    from selenium.webdriver.support.ui import WebDriverWait

    url = create_database("gcbench_live")
    drivers: list[Any] = []
    try:
        t0 = time.perf_counter()
        with connect(url) as conn:
            demo.load_demo(conn, enterprises=args.enterprises, seed=42, history_months=1, county_code=COUNTY)
            create_user(conn, username="live_viewer", password=ms.PASSWORD, role="viewer", county_code=COUNTY)
            conn.commit()
        live_feed.seed_history(url, COUNTY, alerts=args.history)
        print(f"set-up {time.perf_counter() - t0:.0f} s", flush=True)
        data_dir = Path("/tmp") / database_name(url)
        with served(url, data_dir, env={"GRIDCOMMAND_MAP_LIVE_MAX_FEATURES": "5000"}) as instance:
            heap0: dict[str, float] = {}
            for path in ("/", "/wall"):
                d = ms.headless_chromium("--enable-precise-memory-info", "--window-size=1920,1080")
                drivers.append(d)
                ms.browser_login(d, instance.base_url, "live_viewer", path)
                WebDriverWait(d, 60).until(_ready)
            time.sleep(3)
            for d, name in zip(drivers, ("map", "wall"), strict=True):
                print(f"{name} at start: {_retained(d)}", flush=True)
                heap0[name] = float(d.execute_script(OBSERVE))
                n = d.execute_script("return [Object.keys(gc.live.layers.alert).length,"
                                     " Object.keys(gc.live.layers.incident).length, Object.keys(gc.live.layers.team).length]")
                print(f"{name}: alerts {n[0]}, incidents {n[1]}, teams {n[2]} drawn at start", flush=True)
                d.execute_script("gc.live.drawLatency = [];")
            feed = live_feed.LiveFeed(url, COUNTY, rate=args.rate)
            if args.steady:
                with connect(url) as conn:
                    feed.incidents = [r["id"] for r in conn.execute(
                        "SELECT id FROM incidents WHERE county_code = %s AND status IN ('open', 'dispatched')"
                        " AND last_seen > now() - interval '20 hours' ORDER BY id DESC LIMIT 300",
                        (COUNTY,)).fetchall()]
                feed.new_share = 0.0
            feed.start()
            start = time.monotonic()
            clicks: list[float] = []
            m = drivers[0]
            next_heap = start + args.heap_every
            next_resync, resyncs = start + args.resync_every, 0
            while time.monotonic() - start < args.minutes * 60:
                time.sleep(5)
                if args.resync_every and time.monotonic() >= next_resync:
                    next_resync += args.resync_every
                    resyncs += 1
                    for d in drivers:
                        d.execute_script("dash_clientside.set_props('live-resync', {data: -arguments[0]});", resyncs)
                if args.heap_every and time.monotonic() >= next_heap:
                    next_heap += args.heap_every
                    for d, name in zip(drivers, ("map", "wall"), strict=True):
                        print(f"{time.monotonic() - start:5.0f} s {name}: {_retained(d)}", flush=True)
                fid = m.execute_script(CLICK)
                if fid is None:
                    continue
                end = time.monotonic() + 10     # the nearest marker may be another incident or a team: any details
                while time.monotonic() < end:
                    got = m.execute_script("return window.__details === null ? null : window.__details - window.__clickAt")
                    if got is not None:
                        clicks.append(float(got))
                        break
                    time.sleep(0.02)
                else:
                    clicks.append(10_000.0)
            if args.screenshots:
                args.screenshots.mkdir(parents=True, exist_ok=True)
                drivers[0].save_screenshot(str(args.screenshots / "live_map_1920.png"))
                drivers[1].save_screenshot(str(args.screenshots / "live_wall_1920.png"))
                drivers[1].set_window_size(3840, 2160)
                time.sleep(3)
                drivers[1].save_screenshot(str(args.screenshots / "live_wall_3840.png"))
            feed.stop()
            elapsed = time.monotonic() - start
            print(f"feed {feed.changes / elapsed:.1f} rows/s for {elapsed:.0f} s, errors {feed.errors}"
                  f"{f', {resyncs} base reloads asked' if resyncs else ''}", flush=True)
            p95s = []
            for d, name in zip(drivers, ("map", "wall"), strict=True):
                r = d.execute_script("return {long: window.__long, since: window.__longSince, now: performance.now(),"
                                     " heap: performance.memory ? performance.memory.usedJSHeapSize : 0,"
                                     " lat: gc.live.drawLatency, batches: gc.live.batches, bytes: gc.live.bytes}")
                busy = r["long"] / (r["now"] - r["since"]) * 100
                lat = np.asarray(r["lat"] or [0.0])
                p95s.append(float(np.percentile(lat, 95)))
                print(f"{name}: main thread in long tasks {busy:.1f} %, push->drawn p50 {np.percentile(lat, 50):.0f}"
                      f" p95 {np.percentile(lat, 95):.0f} max {lat.max():.0f} ms ({len(lat)} changes), heap"
                      f" {heap0[name] / 2**20:.1f} -> {r['heap'] / 2**20:.1f} MiB, {r['batches']} messages", flush=True)
            for d, name in zip(drivers, ("map", "wall"), strict=True):
                print(f"{name} at end: {_retained(d)}", flush=True)
            arr = np.asarray(clicks or [0.0])
            print(f"map click->details: {len(clicks)} clicks, p50 {np.percentile(arr, 50):.0f} p95"
                  f" {np.percentile(arr, 95):.0f} ms")
            print(f"RESULT live_push_drawn_p95_ms={max(p95s):.0f} ms")
    finally:
        for d in drivers:
            d.quit()
        drop_database(url)


if __name__ == "__main__":
    main()
