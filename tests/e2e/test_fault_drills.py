"""Fault drills against the server ``make run`` starts (gunicorn and its workers, in a subprocess).

- the web server killed (SIGKILL, every process of it) in the middle of a 5,000-alert batch: nothing of the batch is
  half-stored, and a resend stores each alert exactly once;
- PostgreSQL restarted while the map and the wall are open: the pages warn that their data is stale meanwhile and
  carry on live afterwards, without a reload.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

from geo_data.db import connect
from tests.db.dispatch_scenario import COUNTY, LAT0, LNG0, SIZE, alert, build, token
from tests.served import served

pytestmark = pytest.mark.e2e

BATCH = 5000


def _batch(prefix: str) -> list[dict[str, Any]]:
    side = 70  # a 70 × 72 grid of distinct places inside the county square
    return [alert(f"{prefix}-{i}", lng=LNG0 + 0.001 + (i % side) * SIZE * 0.0139,
                  lat=LAT0 + 0.001 + (i // side) * SIZE * 0.0136, type=("gt_vending", "gt_discharge")[i % 2])
            for i in range(BATCH)]


def _post_batch(base: str, tok: str, items: list[dict[str, Any]], timeout: float = 120) -> requests.Response:
    return requests.post(f"{base}/api/v1/alerts/batch", data=json.dumps({"items": items}),
                         headers={"Authorization": f"Bearer {tok}", "Content-Type": "application/json"},
                         timeout=timeout)


def _stored(conn: psycopg.Connection[Any], prefix: str) -> dict[str, int]:
    return dict(conn.execute(
        "SELECT count(*) AS alerts, count(DISTINCT source_id) AS distinct_ids,"
        " count(*) FILTER (WHERE incident_id IS NULL) AS without_incident,"
        " (SELECT coalesce(sum(alert_count), 0) FROM incidents WHERE county_code = %s) AS counted"
        " FROM alerts WHERE source_id LIKE %s", (COUNTY, f"{prefix}-%")).fetchone())


def _writing_backends(conn: psycopg.Connection[Any], dbname: str) -> int:
    return int(conn.execute(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
        " AND state <> 'idle' AND query ~* '(insert|copy|update).*alerts|alert_insert'", (dbname,)).fetchone()["n"])


def _backends_of_app(conn: psycopg.Connection[Any], dbname: str) -> int:
    return int(conn.execute("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = %s"
                            " AND pid <> pg_backend_pid() AND state <> 'idle'", (dbname,)).fetchone()["n"])


def test_server_killed_mid_batch_stores_nothing_half_and_a_resend_stores_each_alert_once(
        db_url: str, tmp_path: Path) -> None:
    with connect(db_url) as c:
        build(c)
        c.commit()
    tok = token(db_url, source="drill-kill")
    dbname = str(psycopg.conninfo.conninfo_to_dict(db_url)["dbname"])
    items = _batch("kill")
    with connect(db_url, autocommit=True) as watch:
        with served(db_url, tmp_path / "first") as first:
            answered: list[Any] = []
            sender = threading.Thread(target=lambda: answered.append(_try(lambda: _post_batch(
                first.base_url, tok, items))))
            sender.start()
            deadline = time.monotonic() + 60
            while _writing_backends(watch, dbname) == 0:  # the batch is being written: kill now
                assert time.monotonic() < deadline, "the batch never reached the database"
                time.sleep(0.005)
            os.killpg(first.process.pid, signal.SIGKILL)
            sender.join(60)
        assert answered and isinstance(answered[0], Exception), f"the batch was answered: {answered}"
        deadline = time.monotonic() + 60
        while _backends_of_app(watch, dbname) > 0:  # PostgreSQL ends the orphaned transaction
            assert time.monotonic() < deadline, "backends of the killed server still busy"
            time.sleep(0.05)
        after_kill = _stored(watch, "kill")
        assert after_kill["alerts"] in (0, BATCH), f"half-stored batch: {after_kill}"

        with served(db_url, tmp_path / "second") as second:
            reply = _post_batch(second.base_url, tok, items)
            assert reply.status_code == 200, reply.text
            body = reply.json()
            assert (body["stored"], body["duplicates"], body["rejected"]) == (
                BATCH - after_kill["alerts"], after_kill["alerts"], 0)
            again = _post_batch(second.base_url, tok, items).json()
            assert (again["stored"], again["duplicates"]) == (0, BATCH)
        assert _stored(watch, "kill") == {"alerts": BATCH, "distinct_ids": BATCH, "without_incident": 0,
                                          "counted": BATCH}


def _try(fn: Any) -> Any:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - the drill wants to see the connection error itself
        return exc
