"""The nightly upkeep jobs run in a real ``gridcommand worker``: track retention removes only positions older than
``positions.track_days``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from geo_data import jobs
from geo_data.settings import DatabaseSettings, Settings
from tests.db.dispatch_scenario import COUNTY, add_team, build
from tests.job_worker import job_worker, wait_for


@pytest.fixture(scope="module", autouse=True)
def county(db_url: str) -> None:
    with psycopg.connect(db_url) as c:
        build(c)


def _add_position(conn: Any, team_id: int, days_ago: float) -> None:
    conn.execute(
        "INSERT INTO team_positions (county_code, team_id, at, geom, h3_r7, h3_r8, h3_r9, status)"
        " VALUES (%s, %s, now() - make_interval(secs => %s), ST_SetSRID(ST_MakePoint(120.01, 30.01), 4326),"
        " 0, 0, 0, 'out')", (COUNTY, team_id, days_ago * 86400))


def test_track_retention_runs_in_the_worker_and_keeps_recent_positions(conn: Any, db_url: str,
                                                                        tmp_path: Path) -> None:
    team = add_team(conn, name="巡查一队", township="339901001", lng=120.01, lat=30.01, qualifications=[])
    for days in (200, 31, 29.9, 1, 0):
        _add_position(conn, team, days)
    env = {"GRIDCOMMAND_POSITIONS_TRACK_DAYS": "30"}
    with jobs.queue_app(Settings(db=DatabaseSettings(url=db_url)), db_url).open() as queue:
        queue.configure_task(jobs.PRUNE_TRACKS).defer(timestamp=int(time.time()))
    with job_worker(db_url, tmp_path, env=env) as worker:
        wait_for("the pruning job to succeed", lambda: conn.execute(
            "SELECT status FROM procrastinate_jobs WHERE task_name = %s ORDER BY id DESC LIMIT 1",
            (jobs.PRUNE_TRACKS,)).fetchone()["status"] == "succeeded", 30, logs=worker.log)
    left = conn.execute("SELECT round(extract(epoch FROM now() - at) / 86400) AS days FROM team_positions"
                        " WHERE team_id = %s ORDER BY at", (team,)).fetchall()
    assert [int(r["days"]) for r in left] == [30, 1, 0]
