"""Benchmark: alerts/s through the real HTTP API with incident matching on, batched and single.

    .venv/bin/python bench/alert_ingest.py [--enterprises 20000] [--batches 12] [--singles 2000]

Creates a fresh database with the demo county (婺城区 330702), starts ``gridcommand serve`` (gunicorn, gthread)
on it, creates a source token, then sends
* batches of 5,000 alerts from 2 concurrent senders, and
* single alerts from 8 concurrent senders, then from 32 (a county has hundreds of cameras and sensors; single
  posts are committed in groups, so more senders share more transactions — the bench prints alerts per
  transaction),
placed near random demo enterprises with reference alert types, observed over the last hours (so part of them
join existing incidents). The senders use keep-alive ``http.client`` connections (``requests`` would spend
~1.2 ms of this machine's CPU per call) and bodies encoded before the clock starts: real senders run on their own
machines, the benchmark's senders share this one's two cores with the server. The last line is ``RESULT ingest_batch_per_s=<v> alerts/s``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _fresh_db import fresh_database  # noqa: E402

from geo_data.db import connect  # noqa: E402
from geo_data.demo import load_demo  # noqa: E402
from geo_data.tokens import create_token  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
KINDS = ["drone", "ai_camera", "sensor", "complaint"]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _alerts(n: int, points: list[tuple[float, float]], types: list[str], rng: random.Random,
            prefix: str) -> list[dict]:
    now = datetime.now(SH)
    out = []
    for i in range(n):
        lng, lat = rng.choice(points)
        out.append({"source_id": f"{prefix}-{i}", "source_kind": rng.choice(KINDS), "type": rng.choice(types),
                    "observed_at": (now - timedelta(minutes=rng.uniform(0, 240))).isoformat(timespec="seconds"),
                    "location": {"lng": lng + rng.uniform(-3e-4, 3e-4), "lat": lat + rng.uniform(-3e-4, 3e-4)},
                    "confidence": round(rng.uniform(0.5, 1), 2),
                    "severity": rng.choice(["low", "medium", "high", "urgent"]),
                    "evidence_url": f"https://e.example.cn/{prefix}/{i}.jpg"})
    return out


class _Client:
    """One keep-alive HTTP connection (the standard library's: ``requests`` spends ~1.2 ms of CPU per call on
    this machine, which the senders — cameras, drone gateways — would not take from the server in production)."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        host, _, port = base.removeprefix("http://").partition(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=300)
        self.headers = {"Content-Type": "application/json", **headers}

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        self.conn.request("POST", path, body=body, headers=self.headers)
        resp = self.conn.getresponse()
        return resp.status, resp.read()


def _run_parallel(jobs: list, workers: int, fn, client) -> float:
    it = iter(jobs)
    lock = threading.Lock()
    errors: list[str] = []

    def worker() -> None:
        s = client()
        while True:
            with lock:
                job = next(it, None)
            if job is None:
                return
            err = fn(s, job)
            if err:
                errors.append(err)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        print(f"  {len(errors)} errors, first: {errors[0]}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=20_000)
    ap.add_argument("--batches", type=int, default=12)
    ap.add_argument("--singles", type=int, default=2_000)
    ap.add_argument("--senders", type=int, default=8, help="concurrent senders of single posts")
    ap.add_argument("--many-senders", type=int, default=32,
                    help="a second single-post run with this many senders (a county's many cameras; 0: skip)")
    ap.add_argument("--batch-senders", type=int, default=2, help="concurrent senders of batches")
    ap.add_argument("--workers", type=int, default=2, help="server processes (gridcommand serve --workers)")
    args = ap.parse_args()
    rng = random.Random(11)
    with fresh_database("gcbench_ingest") as url:
        t0 = time.perf_counter()
        with connect(url) as conn:
            load_demo(conn, enterprises=args.enterprises, seed=7, history_months=1)
            conn.commit()
            token, _ = create_token(conn, source="bench", county_code="330702", created_by="bench")
            points = [(r["lng"], r["lat"]) for r in conn.execute(
                "SELECT ST_X(geom) AS lng, ST_Y(geom) AS lat FROM enterprises ORDER BY random() LIMIT 5000")]
            types = [r["code"] for r in conn.execute("SELECT code FROM alert_types")]
            conn.commit()
        print(f"demo county with {args.enterprises} enterprises loaded in {time.perf_counter() - t0:.1f} s")
        port = _free_port()
        data_dir = Path(tempfile.mkdtemp(prefix="gcbench-"))
        env = {**os.environ, "DATABASE_URL": url, "GRIDCOMMAND_DATA_DIR": str(data_dir),
               "GRIDCOMMAND_DISPATCH_ESCALATE_EVERY_S": "0", "GRIDCOMMAND_POOL_MAX": "24",
               "PYTHONPATH": str(ROOT)}
        server = subprocess.Popen([str(ROOT / ".venv/bin/gridcommand"), "serve", "--port", str(port),
                                   "--threads", "16", "--workers", str(args.workers)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=open(data_dir / "server.log", "w"))
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(240):
                try:
                    if requests.get(base + "/healthz", timeout=1).ok:
                        break
                except requests.RequestException:
                    if server.poll() is not None:
                        sys.exit("server exited: " + (data_dir / "server.log").read_text()[-2000:])
                    time.sleep(0.5)
            headers = {"Authorization": f"Bearer {token}"}
            warm = _alerts(200, points, types, rng, "warm")
            requests.post(base + "/api/v1/alerts/batch", json={"items": warm}, headers=headers, timeout=60)

            # Request bodies are encoded before the clock starts: senders run on their own machines.
            batches = [json.dumps({"items": _alerts(5000, points, types, rng, f"b{k}")}).encode()
                       for k in range(args.batches)]

            rejected: list[int] = []

            def client() -> _Client:
                return _Client(base, headers)

            def send_batch(s: _Client, items: bytes) -> str | None:
                status, body = s.post("/api/v1/alerts/batch", items)
                if status == 207:  # a few jittered points fall just outside the county: rejected per item
                    rejected.append(json.loads(body)["rejected"])
                    return None
                return None if status == 200 else f"{status} {body[:200]!r}"

            elapsed = _run_parallel(batches, args.batch_senders, send_batch, client)
            batch_rate = args.batches * 5000 / elapsed
            print(f"batched: {args.batches} × 5,000 alerts in {elapsed:.2f} s = {batch_rate:,.0f} alerts/s"
                  f" ({args.batch_senders} senders; {sum(rejected)} items rejected as outside the county)")

            def send_one(s: _Client, item: bytes) -> str | None:
                status, body = s.post("/api/v1/alerts", item)
                if status == 422 and b"outside county" in body:  # a jittered point just outside: rejected
                    return None
                return None if status in (200, 201) else f"{status} {body[:200]!r}"

            def transactions(prefix: str) -> int:
                """How many transactions stored these alerts (each leaves its id in the rows' xmin)."""
                with connect(url) as conn:
                    return int(conn.execute("SELECT count(DISTINCT xmin::text) AS n FROM alerts WHERE source = 'bench'"
                                            " AND source_id LIKE %s", (prefix + "-%",)).fetchone()["n"])

            single_rates: dict[int, float] = {}
            for senders in dict.fromkeys((args.senders, args.many_senders)):
                if senders <= 0:
                    continue
                singles = [json.dumps(a).encode() for a in _alerts(args.singles, points, types, rng, f"s{senders}")]
                elapsed = _run_parallel(singles, senders, send_one, client)
                per_txn = args.singles / max(1, transactions(f"s{senders}"))
                single_rates[senders] = args.singles / elapsed
                print(f"single: {args.singles} alerts in {elapsed:.2f} s = {single_rates[senders]:,.0f} alerts/s"
                      f" ({senders} senders; ≈ {per_txn:.1f} alerts per transaction)")
            with connect(url) as conn:
                row = conn.execute("SELECT count(*) AS a, count(DISTINCT incident_id) AS i FROM alerts"
                                   " WHERE source = 'bench'").fetchone()
            print(f"stored {row['a']} alerts in {row['i']} incidents")
        finally:
            server.terminate()
            server.wait(30)
    for senders, rate in single_rates.items():
        suffix = "" if senders == args.senders else f"_{senders}_senders"
        print(f"RESULT ingest_single{suffix}_per_s={rate:.0f} alerts/s")
    print(f"RESULT ingest_batch_per_s={batch_rate:.0f} alerts/s")


if __name__ == "__main__":
    main()
