"""Coalesced live push (issue 13): one batch per interval per client, latest state per (kind, id), a compact
resync for a client that falls behind. Pure: the hub is not started, changes are published by hand."""

from __future__ import annotations

import json
import time
from typing import Any

from api.events import stream
from geo_data.push import Change, PushHub, Subscriber


def _move(team: int, x: float, township: str | None = "t1") -> Change:
    feature = {"type": "Feature", "id": f"team:{team}", "properties": {"status": "out"},
               "geometry": {"type": "Point", "coordinates": [x, 29.0]}}
    return Change("team", "upsert", team, "c1", township, feature)


def test_a_batch_holds_only_the_latest_change_of_each_row_in_the_order_of_their_last_change() -> None:
    sub = Subscriber("c1", None)
    for x in range(5):
        sub.offer(_move(1, 119.0 + x))
        sub.offer(_move(2, 120.0 + x))
    sub.offer(_move(1, 130.0))
    batch = sub.take()
    assert batch is not None and not batch.resync
    assert [(c.id, c.feature["geometry"]["coordinates"][0]) for c in batch.changes] == [(2, 124.0), (1, 130.0)]
    assert sub.take() is None, "what was sent is gone"


def test_a_removal_replaces_the_pending_update_of_the_same_row() -> None:
    sub = Subscriber("c1", None)
    sub.offer(_move(7, 119.5))
    sub.offer(Change("team", "remove", 7, "c1", "t1"))
    batch = sub.take()
    assert batch is not None and [(c.id, c.op) for c in batch.changes] == [(7, "remove")]


def test_a_client_that_falls_behind_gets_one_compact_resync_instead_of_a_backlog() -> None:
    sub = Subscriber("c1", None, max_pending=10)
    for team in range(11):
        sub.offer(_move(team, 119.0))
    sub.offer(_move(99, 119.0))            # offered while the resync waits: the reload reads it anyway
    batch = sub.take()
    assert batch is not None and batch.resync and batch.changes == []
    assert len(batch.as_json(1)) < 100
    sub.offer(_move(5, 119.1))             # after the resync was taken: delivered normally
    after = sub.take()
    assert after is not None and [c.id for c in after.changes] == [5]


def test_scope_township_subscriber_gets_own_township_and_county_squads_only() -> None:
    sub = Subscriber("c1", "t1")
    assert sub.covers(_move(1, 119.0, "t1"))
    assert sub.covers(_move(2, 119.0, None))          # a county squad
    assert not sub.covers(_move(3, 119.0, "t2"))
    assert not sub.covers(Change("alert", "upsert", 4, "c1", None, {}))
    assert not sub.covers(Change("team", "upsert", 5, "c2", "t1", {}))


def _messages(gen: Any, n: int) -> list[tuple[float, dict[str, Any]]]:
    out: list[tuple[float, dict[str, Any]]] = []
    for chunk in gen:
        if chunk.startswith("data: "):
            out.append((time.monotonic(), json.loads(chunk[len("data: "):])))
            if len(out) == n:
                return out
    return out


def test_the_stream_sends_at_most_one_message_per_interval_and_never_a_change_twice() -> None:
    hub = PushHub("postgresql://unused", lambda kind, row: row)   # not started: changes are published by hand
    gen = stream(hub, "c1", None, interval_s=0.3, heartbeat_s=5)
    assert next(gen).startswith("retry:") and next(gen).startswith("event: hello")
    import threading

    def feed() -> None:
        for step in range(40):                       # 4 rows moving every 25 ms for 1 s: 160 changes
            for team in range(4):
                hub.publish(_move(team, 119.0 + step / 100))
            time.sleep(0.025)

    feeder = threading.Thread(target=feed)
    started = time.monotonic()
    feeder.start()
    msgs = _messages(gen, 4)
    feeder.join()
    gaps = [b[0] - a[0] for a, b in zip(msgs, msgs[1:], strict=False)]
    assert all(g >= 0.29 for g in gaps), gaps
    assert msgs[0][0] - started < 0.3, "the first change goes out at once"
    for _, body in msgs:
        keys = [(c["kind"], c["id"]) for c in body["changes"]]
        assert len(keys) == len(set(keys)) <= 4, "one change per row and message"
    assert [b["seq"] for _, b in msgs] == [1, 2, 3, 4]
    gen.close()
    assert hub.subscriber_count == 0, "closing the stream unsubscribes"
