"""Group commit of single alert posts (api.alert_groups) against the real PostGIS: a group behaves exactly like
its alerts sent one by one — duplicates, foreign or revoked tokens, and one alert the database refuses."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from api.alert_groups import AlertGroups, Pending
from api.errors import ApiError
from geo_data import alerts as alert_store
from geo_data.db import connect
from geo_data.tokens import revoke_token
from services.transactions import transaction_on
from tests.db.dispatch_scenario import COUNTY, build, token

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def pool(db_url: str) -> Any:
    with connect(db_url) as c:
        build(c)
        c.commit()
    p = ConnectionPool(db_url, min_size=1, max_size=4, kwargs={"row_factory": psycopg.rows.dict_row}, open=True)
    yield p
    p.close()


def _groups(pool: ConnectionPool, pause_s: float = 0.0, linger_s: float = 0.005) -> AlertGroups:
    def run(fn: Any, notices: list[str]) -> None:
        time.sleep(pause_s)  # a slow transaction: the next alerts queue up behind it
        transaction_on(pool, fn, notices)

    def store(conn: Any, source: str, county: str, items: list[Any], notices: list[str]) -> list[Any]:
        return alert_store.ingest(conn, source=source, county_code=county, alerts=items, link_m=50.0,
                                  types=alert_store.alert_types(conn), notices=notices)

    return AlertGroups(run, store, linger_s=linger_s)


def _alert(sid: str, *, severity: str = "medium", lng: float = 120.031) -> alert_store.AlertInput:
    return alert_store.AlertInput(source_id=sid, source_kind="ai_camera", type_code="gt_vending",
                                  observed_at=datetime(2026, 11, 21, 10, 0, tzinfo=SH), lng=lng, lat=30.031,
                                  severity=severity)


def test_a_group_answers_each_alert_as_if_sent_alone(pool: ConnectionPool, db_url: str, conn: Any) -> None:
    cam, other = f"cam-{secrets.token_hex(3)}", f"drone-{secrets.token_hex(3)}"
    tok, tok_other = token(db_url, source=cam), token(db_url, source=other)
    tok_read = token(db_url, source=f"r-{secrets.token_hex(3)}", scopes=("incidents:read",))
    tok_revoked = token(db_url, source=f"x-{secrets.token_hex(3)}")
    with connect(db_url) as c:
        revoke_token(c, tok_revoked[:11])
        c.commit()
    sid = f"g-{secrets.token_hex(4)}"
    group = [Pending(tok, _alert(sid)), Pending(tok, _alert(sid)),           # a retry inside the same group
             Pending(tok_other, _alert(sid)),                                 # same id, another source: its own
             Pending(tok_read, _alert(sid + "-r")), Pending(tok_revoked, _alert(sid + "-x")),
             Pending(tok, _alert(sid + "-far", lng=121.5))]                   # outside the county
    _groups(pool)._store_group(group)
    first, again, theirs, no_scope, revoked, far = group
    assert first.result is not None and first.result.status == "new" and first.result.incident_id
    assert again.result is not None and again.result.status == "duplicate"
    assert (again.result.alert_id, again.result.incident_id) == (first.result.alert_id, first.result.incident_id)
    assert theirs.result is not None and theirs.result.status == "new"
    assert theirs.result.alert_id != first.result.alert_id
    assert isinstance(no_scope.error, ApiError) and no_scope.error.status == 403
    assert isinstance(revoked.error, ApiError) and revoked.error.status == 401
    assert far.result is not None and far.result.status == "rejected"
    assert far.result.problems == [("location", f"point lies outside county {COUNTY}")]
    assert all(i.done.is_set() for i in group)
    rows = conn.execute("SELECT source, count(*) AS n FROM alerts WHERE source_id LIKE %s GROUP BY source",
                        (sid + "%",)).fetchall()
    assert {r["source"]: r["n"] for r in rows} == {cam: 1, other: 1}


def test_an_alert_the_database_refuses_fails_alone(pool: ConnectionPool, db_url: str, conn: Any) -> None:
    tok = token(db_url, source=f"cam-{secrets.token_hex(3)}")
    sid = f"g-{secrets.token_hex(4)}"
    group = [Pending(tok, _alert(f"{sid}-{k}", lng=120.031 + 0.002 * k)) for k in range(5)]
    group[1].alert = replace(group[1].alert, source_kind="satellite")   # refused by the table's CHECK
    group[3].alert = replace(group[3].alert, severity="extreme")        # refused by the matching rule
    _groups(pool)._store_group(group)
    assert isinstance(group[1].error, psycopg.errors.CheckViolation)
    assert group[3].error is not None
    assert [g.result.status if g.result else None for g in group] == ["new", None, "new", None, "new"]
    n = conn.execute("SELECT count(*) AS n FROM alerts WHERE source_id LIKE %s", (sid + "%",)).fetchone()["n"]
    assert n == 3


def test_concurrent_single_posts_share_transactions(pool: ConnectionPool, db_url: str, conn: Any) -> None:
    tok = token(db_url, source=f"cam-{secrets.token_hex(3)}")
    groups = _groups(pool, pause_s=0.2)
    sid = f"g-{secrets.token_hex(4)}"
    results: dict[int, Any] = {}

    def send(k: int) -> None:
        results[k] = groups.store(tok, _alert(f"{sid}-{k % 10}", lng=120.031 + 0.001 * (k % 10)))

    threads = [threading.Thread(target=send, args=(k,)) for k in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 20
    assert sorted(r.status for r in results.values()) == ["duplicate"] * 10 + ["new"] * 10
    assert groups.groups < 20 and groups.largest > 1
    for k in range(10):
        ids = {r.alert_id for j, r in results.items() if j % 10 == k}
        assert len(ids) == 1
    n = conn.execute("SELECT count(*) AS n FROM alerts WHERE source_id LIKE %s", (sid + "%",)).fetchone()["n"]
    assert n == 10


def test_the_writer_lingers_for_returning_senders_but_not_once_they_are_back(
        pool: ConnectionPool, db_url: str) -> None:
    """After a group of three, the writer waits (here up to 5 s) for three alerts before it stores the next
    group — and not a moment longer once they are there. A lone alert afterwards waits the linger out."""
    tok = token(db_url, source=f"cam-{secrets.token_hex(3)}")
    groups = _groups(pool, pause_s=0.2, linger_s=5.0)
    sid = f"l-{secrets.token_hex(4)}"

    def round_of(n: int, tag: str, first_alone: bool = False) -> float:
        t0 = time.monotonic()
        threads = [threading.Thread(target=groups.store, args=(tok, _alert(f"{sid}-{tag}{k}",
                                                                         lng=120.031 + 0.001 * k)))
                   for k in range(n)]
        for k, t in enumerate(threads):
            t.start()
            if first_alone and k == 0:
                time.sleep(0.1)  # the writer has taken it (and sits in its 0.2 s transaction)
        for t in threads:
            t.join(30)
        return time.monotonic() - t0

    round_of(1, "w")  # the writer runs, the first-time costs are paid
    round_of(4, "a", first_alone=True)  # one alone, then the three that queued behind it together
    assert (groups.groups, groups.largest) == (3, 3)
    assert round_of(3, "b") < 2.0  # three back: stored at once, no 5 s linger
    assert groups.groups == 4
    assert round_of(1, "c") > 4.5  # one of the three expected: it waits the linger out, then goes alone
