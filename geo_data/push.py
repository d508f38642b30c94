"""Live push: one LISTEN connection per server process, fanned out to per-client queues.

The listener thread LISTENs on channel ``gridcommand`` (payload ``{"kind", "op", "id", "county_code",
"township_code"}``, sent by the table triggers of migrations 100/250/252 and by ``geo_data.notify``), gathers the
notices arriving within 50 ms, reads the rows they name on its own second connection (one query per kind, each
row once however many notices named it: a feed of hundreds of rows a second costs a few queries, not one per
row, so the listener does not fall behind), turns each into a ``Change`` through the ``render`` callable and
offers it to every subscriber whose scope covers the row. A township subscriber only ever receives rows of its
own township (county squads, whose township is NULL, go to the whole county). It reconnects with exponential
backoff; after a reconnect every subscriber is told to resync, since notifications may have been missed.

Nothing is sent twice: the hub drops a change whose rendered state equals the one it published last for that
row, and each subscriber keeps only the latest change per (kind, id) until its stream sends the next batch
(``api/events.py``: at most one message per ``MapSettings.push_interval_ms``). Closed incidents are removals:
they leave the live layer (history and playback still show them).
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from geo_data.db import connect
from geo_data.map_queries import LIVE_KINDS, live_rows

CHANNEL = "gridcommand"
CLOSED = ("closed", "remote_closed")   # incidents in these states leave the live layer (history only)
log = logging.getLogger(__name__)

Render = Callable[[str, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Change:
    """One change for the browser: add/update (with the rendered feature) or remove, or a resync request.

    ``at`` (epoch s) is taken BEFORE the row is read: the state the change carries is at least that new. The
    browser keeps, per (kind, id), the state with the latest ``at`` (a base load carries its own stamp), so
    base and pushes merge correctly in whatever order they arrive."""

    kind: str                      # alert | incident | team | resync
    op: str                        # upsert | remove | resync
    id: int | None
    county_code: str | None
    township_code: str | None
    feature: dict[str, Any] | None = None
    at: float = field(default_factory=time.time)

    @functools.cached_property
    def text(self) -> str:
        """The JSON the stream sends (encoded once, however many subscribers receive it)."""
        return json.dumps({"kind": self.kind, "op": self.op, "id": self.id, "feature": self.feature,
                           "at": round(self.at, 3)}, ensure_ascii=False, separators=(",", ":"), default=str)

    def as_json(self) -> str:
        return self.text

    @property
    def key(self) -> tuple[str, int | None]:
        return self.kind, self.id


@dataclass(frozen=True)
class Batch:
    """What one stream message carries: the latest change per (kind, id) since the last message, in the order
    of their last change, or ``resync`` (the client reloads its bases; ``changes`` is then empty)."""

    changes: list[Change]
    resync: bool = False

    def as_json(self, seq: int) -> str:
        head = f'{{"seq":{seq},"at":{time.time():.3f},"resync":{"true" if self.resync else "false"},"changes":['
        return head + ",".join(c.text for c in self.changes) + "]}"


class Subscriber:
    """One browser stream: the changes waiting for its next message, coalesced by (kind, id), and its scope.

    ``offer`` never blocks the listener: a change replaces the waiting one of the same row. When more than
    ``max_pending`` distinct rows wait (a client that does not keep up, or a burst), they are dropped and the
    next message is one compact resync instead of a backlog; changes offered while a resync waits are dropped
    too, since the reload the client makes after receiving it reads them anyway."""

    def __init__(self, county_code: str, township_code: str | None, max_pending: int = 2000) -> None:
        self.county_code = county_code
        self.township_code = township_code
        self.max_pending = max_pending
        self._pending: dict[tuple[str, int | None], Change] = {}
        self._resync = False
        self._cond = threading.Condition()
        self.offered = 0       # changes offered (diagnostics: offered - sent = coalesced away)

    def covers(self, change: Change) -> bool:
        if change.kind == "resync" and change.county_code is None:
            return True
        if change.county_code != self.county_code:
            return False
        if self.township_code is None:
            return True
        # County-level squads (township NULL) are visible to township dispatchers; nothing else outside.
        if change.kind == "resync":
            return change.township_code in (None, self.township_code)
        return change.township_code == self.township_code or (change.kind == "team" and change.township_code is None)

    def offer(self, change: Change) -> None:
        with self._cond:
            self.offered += 1
            if change.kind == "resync":
                self._resync = True
                self._pending.clear()
            elif not self._resync:
                self._pending.pop(change.key, None)    # re-insert: the order is that of the last change
                self._pending[change.key] = change
                if len(self._pending) > self.max_pending:
                    self._pending.clear()
                    self._resync = True
            self._cond.notify_all()

    def wait(self, timeout: float) -> bool:
        """Block until something waits to be sent (True) or ``timeout`` seconds pass (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._resync or bool(self._pending), timeout)

    def take(self, timeout: float = 0.0) -> Batch | None:
        """What waits, as one batch (and clear it), after waiting up to ``timeout`` s; None when nothing came."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._resync or bool(self._pending), timeout):
                return None
            if self._resync:
                self._resync = False
                self._pending.clear()
                return Batch([], resync=True)
            batch = Batch(list(self._pending.values()))
            self._pending = {}
            return batch


class PushHub:
    """The process's listener thread and its subscribers."""

    def __init__(self, url: str, render: Render, *, max_backoff_s: float = 30.0, max_pending: int = 2000,
                 remember: int = 100_000, gather_s: float = 0.05, gather_max: int = 1000) -> None:
        self.url = url
        # after a notice, the ones arriving within ``gather_s`` (at most ``gather_max``) are handled with it: the
        # rows they name are read in one query per kind, each row once however many notices named it
        self.gather_s = gather_s
        self.gather_max = gather_max
        self.render = render
        self.max_backoff_s = max_backoff_s
        self.max_pending = max_pending
        # (kind, id) -> the text of its last published state: a notice that changes nothing the map shows (a
        # statement touching a row twice, a trigger and an application notice for one write) is not sent again
        self._last: OrderedDict[tuple[str, int], str] = OrderedDict()
        self._remember = remember
        self.skipped_same = 0
        self._subs: set[Subscriber] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()
        self.delivered = 0
        self.reads = 0          # row queries made (diagnostics: one per kind per gathered run of notices)

    # -- subscribers ---------------------------------------------------------------------------------------
    def subscribe(self, county_code: str, township_code: str | None) -> Subscriber:
        sub = Subscriber(county_code, township_code, self.max_pending)
        with self._lock:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            self._subs.discard(sub)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subs)

    def publish(self, change: Change) -> None:
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            if sub.covers(change):
                sub.offer(change)
                self.delivered += 1

    # -- the listener thread --------------------------------------------------------------------------------
    def start(self) -> PushHub:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="gridcommand-listen", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        backoff = 0.5
        first = True
        while not self._stop.is_set():
            try:
                with connect(self.url, autocommit=True) as listen, connect(self.url, autocommit=True) as reader:
                    listen.execute(f"LISTEN {CHANNEL}")
                    reader.execute("SET TIME ZONE 'Asia/Shanghai'")
                    self.connected.set()
                    if not first:  # notifications may have been missed while disconnected
                        self._last.clear()
                        self.publish(Change("resync", "resync", None, None, None))
                    first = False
                    backoff = 0.5
                    while not self._stop.is_set():
                        notes = list(listen.notifies(timeout=1.0, stop_after=1))
                        if notes:
                            notes += listen.notifies(timeout=self.gather_s, stop_after=self.gather_max)
                            self._handle([n.payload for n in notes], reader)
            except Exception as exc:  # noqa: BLE001 - any failure: log, back off, reconnect
                self.connected.clear()
                log.warning("push listener lost its connection (%s); retrying in %.1f s", exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)

    def _handle(self, payloads: list[str], reader: psycopg.Connection[Any]) -> None:
        """A gathered run of notices: each a row (``id`` int) or a batch (plural ``kind``, ``id`` a list, or None =
        too many rows to list). The rows named are read once each, one query per kind, and published in the order
        of their last notice; a resync request goes out before them."""
        wanted: dict[tuple[str, int], tuple[str | None, str | None, str]] = {}  # (kind, id) -> county, township, op
        for payload in payloads:
            try:
                msg = json.loads(payload)
                kind = str(msg["kind"]).rstrip("s")          # "alerts" (batch) -> "alert"
                ids = msg.get("id")
                county, township = msg.get("county_code", msg.get("county")), msg.get("township_code")
            except (ValueError, KeyError, TypeError, AttributeError):
                log.warning("ignoring malformed notification %r", payload[:200])
                continue
            if kind not in LIVE_KINDS:
                continue
            if not self._anyone_sees(kind, county, township):  # nobody watching: don't read the rows at all
                continue
            if ids is None:  # more rows changed than a notice can list: those who may see them reload
                self.publish(Change("resync", "resync", None, county, township))
                continue
            for row_id in ids if isinstance(ids, list) else [ids]:
                try:
                    key = (kind, int(row_id))
                except (TypeError, ValueError):
                    log.warning("ignoring notification with a bad id %r", row_id)
                    continue
                wanted.pop(key, None)   # re-insert: the order is that of the last notice
                wanted[key] = (county, township, str(msg.get("op", "")))
        if not wanted:
            return
        at = time.time()  # before the reads: the states read are at least this new
        rows: dict[tuple[str, int], dict[str, Any]] = {}
        for kind in LIVE_KINDS:
            ids = [i for (k, i), (_c, _t, op) in wanted.items() if k == kind and op != "remove"]
            if ids:
                self.reads += 1
                rows.update(((kind, i), row) for i, row in live_rows(reader, kind=kind, ids=ids).items())
        for (kind, row_id), (county, township, _op) in wanted.items():
            self._publish_row(kind, row_id, rows.get((kind, row_id)), county, township, at)

    def _anyone_sees(self, kind: str, county: str | None, township: str | None) -> bool:
        """Whether some subscriber may see rows of this notice (a notice without a township — a batch that
        spans townships — concerns every subscriber of its county)."""
        with self._lock:
            subs = list(self._subs)
        if county is None:
            return bool(subs)
        if township is None:
            return any(s.county_code == county for s in subs)
        probe = Change(kind, "upsert", None, county, township)
        return any(s.covers(probe) for s in subs)

    def _publish_row(self, kind: str, row_id: int, row: dict[str, Any] | None, county: str | None,
                     township: str | None, at: float) -> None:
        """Publish one row's state read at ``at`` (None: gone or told removed) unless it is the one sent last."""
        if row is None or row.get("active") is False or (kind == "incident" and row.get("status") in CLOSED):
            change = Change(kind, "remove", row_id, row["county_code"] if row else county,
                            row["township_code"] if row else township, at=at)
            fingerprint = "remove"
        else:
            change = Change(kind, "upsert", row_id, row["county_code"], row["township_code"],
                            self.render(kind, row), at=at)
            fingerprint = json.dumps(change.feature, ensure_ascii=False, sort_keys=True, default=str)
        if not self._remember_state((kind, row_id), fingerprint):
            self.skipped_same += 1
            return
        self.publish(change)

    def _remember_state(self, key: tuple[str, int], fingerprint: str) -> bool:
        """Record the row's newest published state; False when it is the one published last time."""
        if self._last.get(key) == fingerprint:
            self._last.move_to_end(key)
            return False
        self._last[key] = fingerprint
        self._last.move_to_end(key)
        while len(self._last) > self._remember:
            self._last.popitem(last=False)
        return True


_hubs: dict[str, PushHub] = {}
_hubs_lock = threading.Lock()


def hub_for(url: str, render: Render, *, max_pending: int = 2000) -> PushHub:
    """The one started hub of this process for database ``url``."""
    with _hubs_lock:
        hub = _hubs.get(url)
        if hub is None:
            hub = _hubs[url] = PushHub(url, render, max_pending=max_pending).start()
        return hub
