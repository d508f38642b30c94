"""The live layers read each row two ways: in the base a page loads (``map_alerts`` / ``map_incidents`` /
``map_teams``, scoped, ordered, cut) and as the push hub sends it after a change (``map_*_live`` by id, unscoped,
with what the hub filters by). The two SQL files repeat their select list on purpose (one is a scoped range scan,
the other an id probe on the hub's hot path); this test keeps them one row shape: a column added to one only
would draw a pushed feature differently from a loaded one (the photo count had to go into both)."""

from __future__ import annotations

from datetime import datetime, timedelta

from geo_data import map_queries
from geo_data.db import connect
from geo_data.scope import system_scope
from tests.live_feed import COUNTY, feed_county, seed_history

# what the pushed row carries beyond the loaded one: the hub filters by county and drops inactive teams
PUSH_ONLY = {"alert": {"county_code"}, "incident": {"county_code"}, "team": {"county_code", "active"}}


def test_a_pushed_row_is_the_loaded_row_plus_what_the_hub_filters_by(db_url: str) -> None:
    with connect(db_url) as c:
        feed_county(c, teams=4)
        c.commit()
    seed_history(db_url, COUNTY, alerts=12, days=2)
    scope = system_scope(COUNTY)
    now = datetime.now().astimezone()
    with connect(db_url) as c:
        c.execute("UPDATE incidents SET status = 'dispatched' WHERE id = (SELECT min(id) FROM incidents"
                  " WHERE county_code = %s AND status = 'open')", (COUNTY,))
        loaded = {
            "alert": map_queries.alerts_between(c, scope=scope, since=now - timedelta(days=3),
                                                until=now + timedelta(minutes=1)),
            "incident": map_queries.incidents_live(c, scope=scope, since=now - timedelta(days=3)),
            "team": map_queries.teams(c, scope=scope),
        }
        for kind, rows in loaded.items():
            assert rows, f"the scenario has {kind}s"
            pushed = map_queries.live_rows(c, kind=kind, ids=[r["id"] for r in rows])
            assert pushed.keys() == {r["id"] for r in rows}
            for row in rows:
                push = pushed[row["id"]]
                assert push["county_code"] == COUNTY
                assert {k: v for k, v in push.items() if k not in PUSH_ONLY[kind]} == row, (kind, row["id"])
