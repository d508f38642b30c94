"""Benchmark: vehicle trackers reporting through the real OsmAnd endpoint while county map pages are open.

A fresh database with the demo county (婺城区, ``--enterprises``, one month of visits) and ``--devices`` vehicle
teams of its own (巡查车 NNN, bases at random inside the county, 500 m from its edge), each with one tracker
(``geo_data.devices.add_device``: its own token). ``gridcommand serve`` (gunicorn, 2 workers, the job worker)
serves it (``tests.served``). Every device reports every ``--interval`` s (phases spread evenly, so 500 devices
every 10 s = 50 fixes/s) an OsmAnd GET with its token, ``timestamp`` (unix s), ``lat``, ``lon``: a walk of ~60 m
a step on a 200 m circle around its base (always inside the county, never too fast: every fix moves its team).

Watching: ``--pages`` county map pages (``/``, a viewer) as windows of one headless Chromium (windows, not tabs:
a background tab draws no animation frames), and/or ``--readers`` SSE readers of ``/events`` (what the map page
reads, parsed in Python threads). A page's team marker is drawn by ``View.draw`` (assets/gridcommand.js); the
benchmark wraps it and stamps each team feature drawn with the animation frame after it (as the page's own
push -> drawn measure does), keyed by team and ``position_at`` — the fix's own time, so a fix is matched to the
first frame that showed it. fix -> moved = that frame's time − the moment the fix was sent (one machine, one
clock). Readers stamp the message's arrival instead (fix -> received).

Measured: fix -> moved per page p50/p95/max, fixes never shown (a later fix of the same team shown instead, or
none), the endpoint's answer time, achieved fix rate, server CPU (utime+stime from /proc of the gunicorn
arbiter and workers and the job worker, and separately of the database backends serving this database) per
fix and in % of one core, the client's own CPU, stored track points and their table size per fix, push bytes per
page per second.

    .venv/bin/python bench/field_positions.py [--devices 500] [--interval 10] [--minutes 3] [--pages 20]
        [--readers 0] [--enterprises 2000]

Develop with short runs: ``--devices 50 --minutes 0.5 --pages 2``. Last line:
``RESULT position_push_p95_ms=<value> ms``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _fresh_db import create_database, database_name, drop_database  # noqa: E402

from geo_data import demo, devices  # noqa: E402
from geo_data.coords import h3_cells  # noqa: E402
from geo_data.db import connect  # noqa: E402
from geo_data.users import create_user  # noqa: E402
from tests import map_scenario as ms  # noqa: E402
from tests.served import served  # noqa: E402

COUNTY = "330702"
VIEWER = "fieldpos_viewer"
CLK_TCK = os.sysconf("SC_CLK_TCK")
CIRCLE_DEG = 0.0018          # radius of each device's walk (~200 m)
STEP_RAD = 0.3               # per fix along it (~60 m: 22 km/h at a 10 s interval)

# Wrap the view's draw (shared prototype: survives a re-created view) and stamp team features drawn with the
# animation frame after them; keyed "team:<id>|<position_at>", first frame only.
PROBE = """
var v = window.gc && gc.view();
if (!v) { return false; }
var proto = Object.getPrototypeOf(v);
if (!proto.__benchDraw) {
  var orig = proto.draw, pending = [], queued = false;
  window.__moves = []; window.__seen = {};
  proto.__benchDraw = true;
  proto.draw = function (kind, fid, f) {
    var out = orig.apply(this, arguments);
    if (kind === "team" && f && f.properties) {
      var key = fid + "|" + f.properties.position_at;
      if (!window.__seen[key]) {
        window.__seen[key] = true; pending.push(key);
        if (!queued) {
          queued = true;
          requestAnimationFrame(function () { requestAnimationFrame(function () {
            var t = performance.timeOrigin + performance.now();
            pending.forEach(function (k) { window.__moves.push([k, t]); });
            pending = []; queued = false;
          }); });
        }
      }
    }
    return out;
  };
}
return true;
"""
DRAIN = "var m = window.__moves || []; window.__moves = []; return m;"


@dataclass
class Device:
    team_id: int
    token: str
    lat: float
    lng: float
    phase: float


@dataclass
class Sent:
    """What was sent: (team_id, fix epoch s) -> wall-clock time just before the request."""

    at: dict[tuple[int, int], float] = field(default_factory=dict)
    answer_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    moved: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _position_epoch(text: str | None) -> int | None:
    if not text:
        return None
    return int(datetime.fromisoformat(text).timestamp())


def setup(url: str, n_devices: int, enterprises: int) -> list[Device]:
    """The demo county, a viewer, and ``n_devices`` vehicle teams each with one tracker."""
    with connect(url) as conn:
        demo.load_demo(conn, enterprises=enterprises, seed=42, history_months=1, county_code=COUNTY,
                       today_plan=False)
        create_user(conn, username=VIEWER, password=ms.PASSWORD, role="viewer", county_code=COUNTY)
        spots = conn.execute(
            "SELECT ST_X(p.geom) AS lng, ST_Y(p.geom) AS lat, tw.code AS township"
            " FROM counties c, ST_Dump(ST_GeneratePoints(ST_Buffer(c.geom::geography, -500)::geometry, %s, 15)) p"
            " JOIN townships tw ON ST_Contains(tw.geom, p.geom) WHERE c.code = %s",
            (n_devices, COUNTY)).fetchall()
        out: list[Device] = []
        rng = np.random.default_rng(15)
        for k, s in enumerate(spots[:n_devices]):
            lng, lat = float(s["lng"]), float(s["lat"])
            row = conn.execute(
                "INSERT INTO teams (county_code, township_code, name, kind, qualifications, base, base_h3_r9)"
                " VALUES (%s, %s, %s, 'township', '{comprehensive}', ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s)"
                " RETURNING id", (COUNTY, s["township"], f"巡查车 {k + 1:03d}", lng, lat,
                                  int(h3_cells(lat, lng, 9)[0]))).fetchone()
            assert row is not None
            token, _dev = devices.add_device(conn, team_id=int(row["id"]), identifier=f"bench-veh-{k + 1:03d}",
                                             kind="vehicle")
            out.append(Device(int(row["id"]), token, lat, lng, float(rng.uniform(0, 2 * math.pi))))
        conn.commit()
    return out


def cpu_s(pids: Iterable[int]) -> dict[int, float]:
    """utime + stime (s) of each process still alive."""
    out: dict[int, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return out


def cpu_since(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two readings (a process started meanwhile counts from 0)."""
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def descendants(pid: int) -> list[int]:
    """``pid`` and every process under it (from /proc: each process's parent)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def db_backends(url: str) -> list[int]:
    with connect(url) as conn:
        return [int(r["pid"]) for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]


def send_loop(base: str, fleet: list[Device], interval: float, seconds: float, sent: Sent, threads: int) -> float:
    """Every device every ``interval`` s, phases spread evenly; returns the time sending stopped."""
    local = threading.local()
    endpoint = f"{base}/api/v1/positions/osmand"

    def one(dev: Device) -> None:
        s = getattr(local, "session", None)
        if s is None:
            s = local.session = requests.Session()
        dev.phase += STEP_RAD
        lat = dev.lat + CIRCLE_DEG * math.sin(dev.phase)
        lng = dev.lng + CIRCLE_DEG * math.cos(dev.phase) / math.cos(math.radians(dev.lat))
        now = time.time()
        epoch = int(now)
        with sent.lock:
            sent.at[(dev.team_id, epoch)] = now
        try:
            query: dict[str, str] = {"token": dev.token, "timestamp": str(epoch), "lat": f"{lat:.7f}",
                                     "lon": f"{lng:.7f}"}
            r = s.get(endpoint, params=query, timeout=30)
            ok = r.status_code == 200
            body = r.json() if ok else {}
            key = "" if ok and body.get("moved") else f"{r.status_code} {body.get('flag', r.text[:60])}"
        except requests.RequestException as exc:
            key = type(exc).__name__
        with sent.lock:
            sent.answer_ms.append((time.time() - now) * 1000)
            if key:
                sent.errors[key] = sent.errors.get(key, 0) + 1
                sent.at.pop((dev.team_id, epoch), None)   # not a move to wait for
            else:
                sent.moved += 1

    n = len(fleet)
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        k = 0
        while True:
            due = start + k * interval / n
            if due - start >= seconds:
                break
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, fleet[k % n])
            k += 1
    return time.time()


def _viewer_session(base: str) -> requests.Session:
    import re

    s = requests.Session()
    page = s.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no login form"
    r = s.post(f"{base}/login", data={"username": VIEWER, "password": ms.PASSWORD, "csrf_token": token.group(1),
                                      "next": "/"}, headers={"Origin": base}, allow_redirects=False, timeout=30)
    if r.status_code != 302:
        raise RuntimeError(f"login answered {r.status_code}")
    return s


def sse_reader(base: str, stop: threading.Event, ready: threading.Event, out: list[tuple[str, float]],
               stats: dict[str, Any]) -> None:
    """One subscriber of /events, logged in as the viewer: team changes (id, position_at) with arrival times.
    Reconnects after an error as the page's EventSource does (counted in ``stats``)."""
    s: requests.Session | None = None
    while not stop.is_set():
        try:
            s = s or _viewer_session(base)
            with s.get(f"{base}/events", stream=True, timeout=(10, 30)) as resp:
                if resp.status_code != 200:
                    s = None
                    raise RuntimeError(f"/events answered {resp.status_code}")
                for line in resp.iter_lines(decode_unicode=True):
                    if stop.is_set():
                        return
                    if line == "event: hello":
                        ready.set()
                    if not line or not line.startswith("data: "):
                        continue
                    stats["bytes"] = stats.get("bytes", 0) + len(line)
                    now = time.time()
                    try:
                        msg = json.loads(line[6:])
                    except ValueError:
                        continue
                    for c in msg.get("changes", []) if isinstance(msg, dict) else []:
                        if c.get("kind") == "team" and c.get("feature"):
                            out.append((f"team:{c['id']}|{c['feature']['properties'].get('position_at')}", now))
        except Exception as exc:  # noqa: BLE001 - counted and shown; the reader reconnects
            stats["errors"] = stats.get("errors", 0) + 1
            stats["last_error"] = f"{type(exc).__name__}: {str(exc)[:120]}"
            stop.wait(1.0)


def latencies(moves: list[tuple[str, float]], sent: Sent, until: float) -> tuple[list[float], int]:
    """fix -> shown (ms) for each fix sent before ``until`` that this watcher showed, and how many it never did."""
    first: dict[tuple[int, int], float] = {}
    for key, t in moves:
        fid, _, stamp = key.partition("|")
        epoch = _position_epoch(stamp if stamp != "null" else None)
        if epoch is None:
            continue
        k = (int(fid.split(":")[1]), epoch)
        if k not in first or t < first[k]:
            first[k] = t
    out: list[float] = []
    missing = 0
    for k, sent_at in sent.at.items():
        if sent_at > until:
            continue
        shown = first.get(k)
        if shown is None:
            missing += 1
        else:
            out.append(shown - sent_at)
    return [x * 1000 for x in out], missing


def describe(name: str, lat: list[float], missing: int) -> str:
    if not lat:
        return f"{name}: nothing shown ({missing} fixes missing)"
    a = np.asarray(lat)
    return (f"{name}: p50 {np.percentile(a, 50):.0f} p95 {np.percentile(a, 95):.0f} max {a.max():.0f} ms"
            f" ({len(a)} fixes shown, {missing} never)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=500)
    ap.add_argument("--interval", type=float, default=10.0, help="seconds between two fixes of one device")
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--pages", type=int, default=20, help="county map pages (Chromium windows)")
    ap.add_argument("--readers", type=int, default=0, help="SSE readers of /events (Python)")
    ap.add_argument("--enterprises", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=16, help="sender threads")
    ap.add_argument("--pages-per-browser", type=int, default=5,
                    help="windows per headless Chromium (at most 6 connections per host, one SSE stream each)")
    ap.add_argument("--window", default="1280,800", help="page window size")
    args = ap.parse_args()
    from selenium.webdriver.support.ui import WebDriverWait

    url = create_database("gcbench_fieldpos")
    drivers: list[Any] = []
    stop = threading.Event()
    try:
        t0 = time.perf_counter()
        fleet = setup(url, args.devices, args.enterprises)
        print(f"set-up {time.perf_counter() - t0:.0f} s: {len(fleet)} devices, each its own team", flush=True)
        data_dir = Path("/tmp") / database_name(url)
        env = {"GRIDCOMMAND_MAP_LIVE_MAX_FEATURES": "5000"}
        with served(url, data_dir, env=env) as instance:
            base = instance.base_url
            # (browser, window handle) per page. A browser holds at most 6 HTTP/1.1 connections to one host and
            # every map page keeps one open for /events: a 7th page of one browser never loads (measured), so the
            # pages are spread over browsers of --pages-per-browser windows each.
            windows: list[tuple[Any, str]] = []
            opened = time.perf_counter()
            for first in range(0, args.pages, args.pages_per_browser):
                driver = ms.headless_chromium(f"--window-size={args.window}", "--disable-renderer-backgrounding",
                                              "--disable-background-timer-throttling",
                                              "--disable-backgrounding-occluded-windows")
                drivers.append(driver)
                driver.set_page_load_timeout(180)   # the later windows load while the earlier ones run
                ms.browser_login(driver, base, VIEWER, "/")
                windows.append((driver, driver.current_window_handle))
                for _ in range(min(args.pages_per_browser, args.pages - first) - 1):
                    driver.switch_to.new_window("window")
                    driver.get(f"{base}/")
                    windows.append((driver, driver.current_window_handle))
            for driver, h in windows:
                driver.switch_to.window(h)
                WebDriverWait(driver, 120).until(
                    lambda d: d.execute_script("return !!(window.gc && gc.view() && gc.live.baseAt.team > 0)"))
                WebDriverWait(driver, 30).until(lambda d: d.execute_script(PROBE))
            if windows:
                driver, h = windows[0]
                driver.switch_to.window(h)
                shown = driver.execute_script("return Object.keys(gc.view().markers.team || {}).length")
                print(f"{len(windows)} map pages in {len(drivers)} browsers open in {time.perf_counter() - opened:.0f} s;"
                      f" teams drawn in the first: {shown}", flush=True)
            reader_moves: list[list[tuple[str, float]]] = [[] for _ in range(args.readers)]
            reader_stats: list[dict[str, Any]] = [{} for _ in range(args.readers)]
            reader_ready = [threading.Event() for _ in range(args.readers)]
            readers = [threading.Thread(target=sse_reader, args=(base, stop, reader_ready[k], reader_moves[k],
                                                                 reader_stats[k]), daemon=True)
                       for k in range(args.readers)]
            for t in readers:
                t.start()
            deadline = time.monotonic() + 120
            for ev in reader_ready:   # every reader subscribed before the idle window (logins cost CPU)
                ev.wait(max(0.0, deadline - time.monotonic()))
            if args.readers:
                print(f"{sum(ev.is_set() for ev in reader_ready)} of {args.readers} SSE readers subscribed", flush=True)
            time.sleep(2)

            def app_pids() -> list[int]:
                return descendants(instance.process.pid)

            def browser_pids() -> list[int]:
                return [p for d in drivers for p in descendants(d.service.process.pid)]

            # idle: the pages open, nothing sent (the pages' own polling, heartbeats, the job worker)
            idle_s = 10.0
            app_i, db_i = cpu_s(app_pids()), cpu_s(db_backends(url))
            time.sleep(idle_s)
            idle_app = cpu_since(app_i, cpu_s(app_pids())) / idle_s
            idle_db = cpu_since(db_i, cpu_s(db_backends(url))) / idle_s
            print(f"idle with the watchers connected: app {idle_app * 100:.1f} %, database {idle_db * 100:.1f} % of a core",
                  flush=True)
            page_bytes0 = _page_bytes(windows)
            app0, br0 = cpu_s(app_pids()), cpu_s(browser_pids())
            db0, me0 = cpu_s(db_backends(url)), time.process_time()
            size0 = _track_size(url)
            sent = Sent()
            page_moves: list[list[tuple[str, float]]] = [[] for _ in windows]
            collector_stop = threading.Event()

            def collect() -> None:   # drain the pages every second (selenium is not thread-safe: one thread)
                while not collector_stop.is_set():
                    for k, (driver, h) in enumerate(windows):
                        driver.switch_to.window(h)
                        page_moves[k].extend((str(m[0]), float(m[1]) / 1000) for m in driver.execute_script(DRAIN))
                    collector_stop.wait(1.0)

            collector = threading.Thread(target=collect, daemon=True)
            if windows:
                collector.start()
            start = time.time()
            stopped = send_loop(base, fleet, args.interval, args.minutes * 60, sent, args.threads)
            time.sleep(min(args.interval, 5.0))      # the last fixes' pushes
            elapsed = time.time() - start
            # processes of the end too: a worker gunicorn restarted or a pool connection opened under the load
            app_cpu = cpu_since(app0, cpu_s(app_pids()))
            db_cpu, me1 = cpu_since(db0, cpu_s(db_backends(url))), time.process_time()
            browser_cpu = cpu_since(br0, cpu_s(browser_pids()))
            collector_stop.set()
            if windows:
                collector.join()
            stop.set()
            page_bytes1 = _page_bytes(windows)
            size1 = _track_size(url)
            n_fixes = len(sent.answer_ms)

            ans = np.asarray(sent.answer_ms or [0.0])
            print(f"fixes sent {n_fixes} in {stopped - start:.0f} s = {n_fixes / max(stopped - start, 1e-9):.1f}/s"
                  f" (target {args.devices / args.interval:.1f}/s), moved {sent.moved}, other answers {sent.errors}")
            print(f"OsmAnd answer p50 {np.percentile(ans, 50):.0f} p95 {np.percentile(ans, 95):.0f}"
                  f" max {ans.max():.0f} ms")
            print(f"server CPU: app (gunicorn + job worker) {app_cpu:.1f} s = {app_cpu / elapsed * 100:.0f} % of a core,"
                  f" {app_cpu * 1000 / max(n_fixes, 1):.2f} ms per fix; database backends {db_cpu:.1f} s ="
                  f" {db_cpu * 1000 / max(n_fixes, 1):.2f} ms per fix; together"
                  f" {(app_cpu + db_cpu) * 1000 / max(n_fixes, 1):.2f} ms per fix")
            net = (app_cpu - idle_app * elapsed + db_cpu - idle_db * elapsed) * 1000 / max(n_fixes, 1)
            print(f"  of it beyond idle: {net:.2f} ms per fix (app + database)")
            print(f"clients: bench {me1 - me0:.1f} s ({(me1 - me0) / elapsed * 100:.0f} % of a core), Chromium"
                  f" {browser_cpu:.1f} s ({browser_cpu / elapsed * 100:.0f} % of a core,"
                  f" {browser_cpu / elapsed * 100 / max(len(windows), 1):.0f} % per page)")
            print(f"track points: {size1[0] - size0[0]} stored ({(size1[0] - size0[0]) / max(n_fixes, 1):.2f} per fix),"
                  f" team_positions +{(size1[1] - size0[1]) / 2**20:.1f} MiB ="
                  f" {(size1[1] - size0[1]) / max(size1[0] - size0[0], 1):.0f} bytes per point with its indexes")
            all_lat: list[float] = []
            medians = []
            for k, moves in enumerate(page_moves):
                lat, missing = latencies(moves, sent, stopped)
                all_lat += lat + [math.inf] * missing
                medians.append(float(np.median(lat)) if lat else math.inf)
                pushed = (page_bytes1[k] - page_bytes0[k]) / elapsed / 1024
                print(describe(f"page {k + 1}", lat, missing) + f"; push {pushed:.1f} KiB/s")
            for k, moves in enumerate(reader_moves):
                lat, missing = latencies(moves, sent, stopped)
                all_lat += lat + [math.inf] * missing
                medians.append(float(np.median(lat)) if lat else math.inf)
                errors = (f"; {reader_stats[k]['errors']} reconnects, last: {reader_stats[k]['last_error']}"
                          if reader_stats[k].get("errors") else "")
                print(describe(f"reader {k + 1} (received)", lat, missing)
                      + f"; {reader_stats[k].get('bytes', 0) / elapsed / 1024:.1f} KiB/s" + errors)
            if not all_lat:
                print("RESULT position_push_p95_ms=nan ms")
                return
            arr = np.asarray(all_lat)
            finite = arr[np.isfinite(arr)]
            print(f"all watchers: {len(arr)} fix-watcher pairs, {int((~np.isfinite(arr)).sum())} never shown"
                  f" ({(~np.isfinite(arr)).mean():.1%}); median of the watchers' medians"
                  f" {np.median(np.asarray(medians)):.0f} ms;"
                  f" p50 {np.percentile(finite, 50) if finite.size else math.nan:.0f} ms;"
                  f" shown within 1 s {(arr <= 1000).mean():.1%}")
            # a fix never shown counts as infinitely late (the sample at or above the 95th percentile: no
            # interpolation towards infinity)
            p95 = float(np.percentile(arr, 95, method="higher"))
            print(f"RESULT position_push_p95_ms={p95:.0f} ms")
    finally:
        stop.set()
        for driver in drivers:
            driver.quit()
        drop_database(url)
        shutil.rmtree(Path("/tmp") / database_name(url), ignore_errors=True)   # the served instance's data dir


def _page_bytes(windows: list[tuple[Any, str]]) -> list[int]:
    out = []
    for driver, h in windows:
        driver.switch_to.window(h)
        out.append(int(driver.execute_script("return gc.live.bytes || 0")))
    return out


def _track_size(url: str) -> tuple[int, int]:
    with connect(url) as conn:
        row = conn.execute("SELECT count(*) AS n, pg_total_relation_size('team_positions') AS bytes"
                           " FROM team_positions").fetchone()
    assert row is not None
    return int(row["n"]), int(row["bytes"])


if __name__ == "__main__":
    main()
