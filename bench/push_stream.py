"""Benchmark: what one client's live stream carries under a real feed — messages, bytes and changes per second,
and how many changes repeat a state already sent.

Builds a fresh database with the feed county (``tests.live_feed``: 3 townships, 60 teams, a week of history),
starts ``gridcommand serve`` (gunicorn, 2 workers) from ``--code-dir`` (default: this tree; point it at a
checkout of an older commit to measure "before"), logs a county operator in over HTTP, opens ``/events`` and
writes ``--rate`` changed rows per second through SQL for ``--seconds``.

    .venv/bin/python bench/push_stream.py [--seconds 30] [--rate 50] [--code-dir DIR]

Last line: ``RESULT push_stream_messages_per_s=<v> msg/s``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _fresh_db import create_database, database_name, drop_database  # noqa: E402

from geo_data.db import connect  # noqa: E402
from geo_data.users import create_user  # noqa: E402
from tests import live_feed  # noqa: E402
from tests.served import free_port, serve_env  # noqa: E402

PASSWORD = "correct-horse-battery"


def start_server(code_dir: Path, url: str, data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    code = f"import sys; sys.path.insert(0, {str(code_dir)!r}); from cli import main; main()"
    log = (data_dir / "serve.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=code_dir, env=serve_env(url, data_dir), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            if requests.get(f"{base}/healthz", timeout=1).ok:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit("server did not start: " + (data_dir / "serve.log").read_text()[-2000:])


def login(base: str, username: str) -> requests.Session:
    s = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(f"{base}/login", timeout=10).text)
    assert token
    r = s.post(f"{base}/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1),
                                     "next": "/"}, headers={"Origin": base}, timeout=10, allow_redirects=False)
    assert r.status_code == 302, r.status_code
    return s


def count_stream(session: requests.Session, base: str, seconds: float, out: dict[str, float]) -> None:
    last: dict[tuple[str, int], str] = {}
    end = time.monotonic() + seconds
    with session.get(f"{base}/events", stream=True, timeout=(5, 15)) as r:
        for raw in r.iter_lines():
            if time.monotonic() > end:
                break
            line = raw.decode("utf-8")
            out["bytes"] += len(raw) + 1
            if not line.startswith("data: "):
                continue
            body = json.loads(line[len("data: "):])
            if isinstance(body, dict) and "changes" in body:
                changes = body["changes"]
            elif isinstance(body, list):
                changes = body
            else:
                continue          # hello / heartbeat payloads
            out["messages"] += 1
            for c in changes:
                out["changes"] += 1
                if c.get("op") == "resync":
                    out["resyncs"] += 1
                    continue
                key = (c["kind"], c["id"])
                state = json.dumps([c.get("op"), c.get("feature")], sort_keys=True)
                if last.get(key) == state:
                    out["repeats"] += 1
                last[key] = state


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--rate", type=float, default=50.0)
    ap.add_argument("--code-dir", type=Path, default=ROOT)
    args = ap.parse_args()
    url = create_database("gcbench_stream")
    data_dir = Path("/tmp") / database_name(url)
    data_dir.mkdir(parents=True, exist_ok=True)
    proc = None
    try:
        with connect(url) as conn:
            live_feed.feed_county(conn)
            create_user(conn, username="stream_op", password=PASSWORD, role="county_operator",
                        county_code=live_feed.COUNTY)
            conn.commit()
        live_feed.seed_history(url, live_feed.COUNTY, alerts=500)
        proc, base = start_server(args.code_dir.resolve(), url, data_dir)
        session = login(base, "stream_op")
        stats = {"messages": 0.0, "bytes": 0.0, "changes": 0.0, "repeats": 0.0, "resyncs": 0.0}
        reader = threading.Thread(target=count_stream, args=(session, base, args.seconds, stats), daemon=True)
        reader.start()
        time.sleep(1.0)
        feed = live_feed.LiveFeed(url, live_feed.COUNTY, rate=args.rate)
        feed.start()
        reader.join(args.seconds + 20)
        feed.stop()
        s = args.seconds
        print(f"code {args.code_dir}  feed {feed.changes / s:.1f} rows/s for {s:.0f} s  errors {feed.errors}")
        print(f"per client: {stats['messages'] / s:.1f} messages/s, {stats['bytes'] / s / 1024:.1f} KiB/s, "
              f"{stats['changes'] / s:.1f} changes/s, repeats {stats['repeats']:.0f} of {stats['changes']:.0f} "
              f"changes, resyncs {stats['resyncs']:.0f}")
        print(f"RESULT push_stream_messages_per_s={stats['messages'] / s:.1f} msg/s")
    finally:
        if proc is not None:
            os.killpg(proc.pid, 15)
            proc.wait(20)
        drop_database(url)


if __name__ == "__main__":
    main()
