"""The hot standby and the failover drill (issue 12), on throwaway local clusters.

A primary and its streaming standby made by the real commands (`gridcommand db start`, `db standby`); the app's
pools built the way app.py builds them (`database_url`, `replica_database_url`, `open_pool`).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from itertools import count
from typing import Any

import psycopg

from callbacks.map_live import live_bases
from callbacks.map_view import boundary_layers, viewport_payload
from callbacks.wall import kpi_values
from enforcement.local_time import SHANGHAI
from enforcement.measures import MeasureFilter
from geo_data import measures
from geo_data import standby as replication
from geo_data.alerts import AlertInput, ingest
from geo_data.coverage import view_rows
from geo_data.db import connect, database_url, open_pool, replica_database_url, transaction
from geo_data.errors import DatabaseUnavailable
from geo_data.migrator import migrate
from geo_data.scope import Role, Scope
from geo_data.settings import DatabaseSettings, Settings
from tests.db.cluster_drill import gridcommand, local_clusters
from tests.db.dispatch_scenario import COUNTY, TOWNSHIPS, build

SCOPE = Scope(actor="drill", role=Role.COUNTY_OPERATOR, county_code=COUNTY)
_ids = count(1)


def _alert(source_id: str, *, lng: float = 120.02, lat: float = 30.02) -> AlertInput:
    return AlertInput(source_id=source_id, source_kind="ai_camera", type_code="gt_vending",
                      observed_at=datetime.now(SHANGHAI) - timedelta(seconds=5), lng=lng, lat=lat, severity="high")


def _primary_with_standby(settings: DatabaseSettings) -> None:
    """A migrated primary with the test county, then its standby (the primary then waits for it)."""
    gridcommand(settings.data_dir, "db", "start")
    url = database_url(settings, start=False)
    migrate(url)
    with connect(url) as conn:
        build(conn)
        conn.commit()
    out = gridcommand(settings.data_dir, "db", "standby").stdout
    assert "standby streams" in out, out


def test_read_only_screens_run_on_the_standby_and_see_what_was_committed() -> None:
    with local_clusters() as settings:
        _primary_with_standby(settings)
        with open_pool(database_url(settings, start=False), settings) as pool, transaction(pool) as conn:
            ingest(conn, source="drill", county_code=COUNTY,
                   alerts=[_alert(f"r-{i}", lng=120.01 + i * 0.02, lat=30.01 + i * 0.02) for i in range(3)])
        read_url = replica_database_url(settings)
        assert read_url is not None and "prefer-standby" in read_url
        today = datetime.now(SHANGHAI).date()
        with open_pool(read_url, settings, name="gridcommand-read") as read_pool, transaction(read_pool) as conn:
            # remote_apply: the commit above returned only once the standby had applied it
            assert conn.execute("SELECT pg_is_in_recovery() AS r").fetchone() == {"r": True}
            kpis = kpi_values(conn, scope=SCOPE, day=today, lang="en")
            alerts, incidents, _ = live_bases(conn, scope=SCOPE, since=datetime.now(SHANGHAI) - timedelta(hours=1),
                                      until=datetime.now(SHANGHAI) + timedelta(minutes=1), live=True)
            boundaries, _ = boundary_layers(conn, scope=SCOPE)
            view = viewport_payload(conn, scope=SCOPE, map_settings=Settings().map, bbox=(120.0, 30.0, 120.1, 30.1),
                                    zoom=12, measure="open_alerts", date_from=today, date_to=today)
            panel = measures.panel(conn, SCOPE, MeasureFilter(date_from=today - timedelta(days=30), date_to=today))
            rows = view_rows(conn, SCOPE, MeasureFilter(date_from=today - timedelta(days=30), date_to=today),
                             level="township", view="all", settings=Settings())
        assert kpis["alerts_today"] == "3"
        assert len(incidents["features"]) == 3 and len(alerts["features"]) == 3
        assert len(boundaries["features"]) == 5  # the county and its four townships
        assert view["cells"]["features"] and panel["repeat_rate"].denominator == 0
        assert rows and {r.key for r in rows} <= set(TOWNSHIPS)


def test_failover_keeps_every_acknowledged_alert_and_the_same_pool_carries_on() -> None:
    with local_clusters() as settings:
        _primary_with_standby(settings)
        primary, standby = replication.roles(settings.data_dir)
        assert standby is not None
        url = database_url(settings, start=False)
        assert "target_session_attrs=read-write" in url  # names both clusters: the app follows a promotion
        pool = open_pool(url, settings)
        read_url = replica_database_url(settings)
        assert read_url is not None
        read_pool = open_pool(read_url, settings, name="gridcommand-read")
        with transaction(read_pool) as conn:
            assert conn.execute("SELECT pg_is_in_recovery() AS r").fetchone() == {"r": True}
        with transaction(pool) as conn:
            sync = conn.execute("SELECT current_setting('synchronous_commit') AS c,"
                                " (SELECT sync_state FROM pg_stat_replication) AS s").fetchone()
        assert sync == {"c": "remote_apply", "s": "sync"}

        acknowledged: list[str] = []
        outages: list[str] = []
        done = threading.Event()

        def send_alerts() -> None:  # a source sending one alert after the other, as the intake stores them
            while not done.is_set():
                source_id = f"f-{next(_ids)}"
                try:
                    with transaction(pool) as conn:
                        ingest(conn, source="drill", county_code=COUNTY, alerts=[_alert(source_id)])
                    acknowledged.append(source_id)
                except DatabaseUnavailable as exc:
                    outages.append(str(exc))

        sender = threading.Thread(target=send_alerts, daemon=True)
        sender.start()
        try:
            _wait_for(lambda: len(acknowledged) >= 100, "100 alerts before the stop")
            primary.stop("immediate")  # as a crash: no shutdown checkpoint, connections cut
            before_stop = list(acknowledged)
            out = gridcommand(settings.data_dir, "db", "promote").stdout
            assert "promoted" in out
            _wait_for(lambda: len(acknowledged) >= len(before_stop) + 50, "50 alerts after the promotion")
        finally:
            done.set()
            sender.join(30)
            pool.close()

        with psycopg.connect(standby.url()) as conn:
            stored = {r[0] for r in conn.execute("SELECT source_id FROM alerts WHERE source = 'drill'")}
            assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (False,)
        assert set(before_stop) <= stored, f"lost: {sorted(set(before_stop) - stored)[:10]}"
        assert set(acknowledged) <= stored
        assert primary.is_retired and replication.roles(settings.data_dir) == (standby, None)
        # The read pool opened before the failover follows too: no standby answers, so the new primary does.
        try:
            with transaction(read_pool) as conn:
                row = conn.execute("SELECT count(*) AS n, pg_is_in_recovery() AS r FROM alerts"
                                   " WHERE source = 'drill'").fetchone()
        finally:
            read_pool.close()
        assert row is not None and row["n"] >= len(acknowledged) and row["r"] is False


def _wait_for(condition: Any, what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
