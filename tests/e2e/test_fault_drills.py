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


def test_database_restarted_while_map_and_wall_are_open_they_warn_then_carry_on_live(
        browser: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    import shutil
    import tempfile

    from selenium.webdriver.support.ui import WebDriverWait

    from geo_data.cluster import LocalCluster
    from geo_data.migrator import migrate
    from tests import map_scenario as ms

    tmp = Path(tempfile.mkdtemp(prefix="gc-restart-"))
    os.chmod(tmp, 0o755)  # the server runs as an unprivileged user when the tests run as root
    cluster = LocalCluster(tmp / "cluster")  # its own cluster: the rest of the suite keeps its database
    cluster.start()
    try:
        url = cluster.url()
        migrate(url)
        with connect(url) as c:
            ms.load(c)
            c.commit()
        viewer = ms.user(url, "county_operator")
        ms.console_errors(browser)  # what earlier tests' pages logged in the shared browser is theirs
        with served(url, tmp / "data") as app:
            ms.browser_login(browser, app.base_url, viewer, "/wall", db_url=url)
            wall = browser.current_window_handle
            browser.switch_to.new_window("tab")
            browser.get(f"{app.base_url}/")
            board = browser.current_window_handle

            def on(handle: str, script: str, timeout: float) -> None:
                from selenium.common.exceptions import TimeoutException

                browser.switch_to.window(handle)
                try:
                    WebDriverWait(browser, timeout, poll_frequency=0.2).until(lambda b: b.execute_script(script))
                except TimeoutException:
                    text = browser.execute_script("return document.body ? document.body.innerText : ''")
                    raise AssertionError(f"{browser.current_url}: not within {timeout} s: {script}\n"
                                         f"page: {text[:600]!r}\nconsole: {ms.console_errors(browser)}\n"
                                         f"server:\n{app.log_tail(40)}") from None

            stale = "var s = document.getElementById('stale'); return !!s && !s.classList.contains('hidden');"
            fresh = "var s = document.getElementById('stale'); return !!s && s.classList.contains('hidden');"
            on(wall, "return document.querySelectorAll('#wall-incident-list li').length >= 3", 30)
            live_alerts = "(window.gc && gc.live ? Object.keys(gc.live.layers.alert).length : 0)"
            on(board, f"return {live_alerts} >= 3", 30)
            alerts_before = browser.execute_script(f"return {live_alerts}")
            cluster.stop()
            for handle in (wall, board):  # no heartbeat while the feed is down: the warning comes on
                on(handle, stale, 60)
            cluster.start()
            for handle in (wall, board):
                on(handle, fresh, 60)
            # while the database was away, callbacks answered 503 and the stream was cut: the browser logs those
            # failed requests; anything else (a script error) is a defect
            outage = [e for e in ms.console_errors(browser)
                      if not ("Failed to load resource" in e and ("/_dash-update-component" in e or "/events" in e))]
            assert not outage, outage
            with connect(url) as c:
                ms.add_alert(c, lng=119.69, lat=29.11, township=ms.TOWN_E, severity="urgent",
                             source_kind="sensor", source_id=f"after-restart-{time.time()}")
                c.commit()
            on(wall, "return Array.from(document.querySelectorAll('#wall-incident-list li'))"
                     ".some(li => li.innerText.indexOf('紧急') >= 0)", 10)
            on(board, f"return {live_alerts} > {alerts_before}", 10)
            for handle in (wall, board):
                browser.switch_to.window(handle)
                assert browser.execute_script("return performance.getEntriesByType('navigation').length") == 1
            errors = ms.console_errors(browser)  # since the recovery: none at all
            assert not errors, errors
    finally:
        for extra in browser.window_handles[1:]:  # the shared browser goes on with one tab, whatever happened
            browser.switch_to.window(extra)
            browser.close()
        browser.switch_to.window(browser.window_handles[0])
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)
