"""The push hub's listener on the real database: a run of notices is read in one query per kind, each row once,
and every row reaches a subscriber once with its newest state (issue 12: one query per row made the listener
fall minutes behind under the command centre's feed)."""

from __future__ import annotations

import time
from typing import Any

from geo_data.db import connect
from geo_data.push import PushHub, Subscriber
from tests.live_feed import COUNTY, TOWNS, feed_county


def _render(kind: str, row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "status": row.get("status"), "lng": row["lng"], "lat": row["lat"]}


def _collect(sub: Subscriber, want: set[int], timeout: float = 10.0) -> dict[int, list[dict[str, Any]]]:
    """Every team change the subscriber is offered until all of ``want`` came (or the timeout)."""
    got: dict[int, list[dict[str, Any]]] = {}
    deadline = time.monotonic() + timeout
    while not want <= got.keys() and time.monotonic() < deadline:
        batch = sub.take(timeout=0.5)
        for change in batch.changes if batch else []:
            if change.kind == "team":
                got.setdefault(int(change.id or 0), []).append(change.feature or {})
    return got


def test_sixty_single_row_notices_are_read_in_one_query_and_each_row_sent_once(db_url: str) -> None:
    with connect(db_url) as c:
        feed_county(c, teams=60)
        c.commit()
        teams = [r["id"] for r in c.execute("SELECT id FROM teams WHERE county_code = %s ORDER BY id", (COUNTY,))]
    hub = PushHub(db_url, _render).start()
    try:
        assert hub.connected.wait(10)
        sub = hub.subscribe(COUNTY, None)
        with connect(db_url) as c:   # 60 statements, one row each: 60 notices, delivered together at the commit
            for k, team in enumerate(teams):
                c.execute("UPDATE teams SET status = 'out', position = ST_SetSRID(ST_MakePoint(%s, 29.35), 4326)"
                          " WHERE id = %s", (119.31 + k * 0.001, team))
            c.commit()
        got = _collect(sub, set(teams))
        assert sorted(got) == teams
        assert all(len(states) == 1 and states[0]["status"] == "out" for states in got.values())
        assert [got[t][0]["lng"] for t in teams] == [round(119.31 + k * 0.001, 6) for k in range(len(teams))]
        assert hub.reads <= 3, f"{hub.reads} row queries for one commit of 60 notices"
    finally:
        hub.stop()


def test_a_township_subscriber_gets_its_own_rows_of_a_gathered_run_only(db_url: str) -> None:
    with connect(db_url) as c:
        feed_county(c, teams=60)
        c.commit()
        rows = c.execute("SELECT id, township_code FROM teams WHERE county_code = %s ORDER BY id", (COUNTY,)).fetchall()
    hub = PushHub(db_url, _render).start()
    try:
        assert hub.connected.wait(10)
        town = hub.subscribe(COUNTY, TOWNS[1])
        whole = hub.subscribe(COUNTY, None)
        with connect(db_url) as c:
            c.execute("UPDATE teams SET status = 'rest' WHERE county_code = %s", (COUNTY,))
            c.commit()
        everyone = {r["id"] for r in rows}
        assert set(_collect(whole, everyone)) == everyone
        own = {r["id"] for r in rows if r["township_code"] == TOWNS[1]}
        assert set(_collect(town, own, timeout=3.0)) == own
    finally:
        hub.stop()
