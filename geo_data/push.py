"""Live push: one LISTEN connection per server process, fanned out to per-client queues.

The listener thread LISTENs on channel ``gridcommand`` (payload ``{"kind", "op", "id", "county_code",
"township_code"}``, sent by the table triggers of migration 100 and by ``geo_data.notify``), reads the changed
row once on its own second connection, turns it into a ``Change`` through the ``render`` callable and puts it on
the queue of every subscriber whose scope covers the row. A township subscriber only ever receives rows of its
own township (county squads, whose township is NULL, go to the whole county). It reconnects with exponential
backoff; after a reconnect every subscriber is told to resync, since notifications may have been missed.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from geo_data.db import connect
from geo_data.map_queries import LIVE_KINDS, live_row

CHANNEL = "gridcommand"
log = logging.getLogger(__name__)

Render = Callable[[str, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Change:
    """One change for the browser: add/update (with the rendered feature) or remove, or a resync request."""

    kind: str                      # alert | incident | team | resync
    op: str                        # upsert | remove | resync
    id: int | None
    county_code: str | None
    township_code: str | None
    feature: dict[str, Any] | None = None
    at: float = field(default_factory=time.time)

    def as_json(self) -> str:
        return json.dumps({"kind": self.kind, "op": self.op, "id": self.id, "feature": self.feature,
                           "at": self.at}, ensure_ascii=False, separators=(",", ":"), default=str)


class Subscriber:
    """One browser stream: a bounded queue and the scope it may see."""

    def __init__(self, county_code: str, township_code: str | None, maxsize: int = 1000) -> None:
        self.county_code = county_code
        self.township_code = township_code
        self.queue: queue.Queue[Change] = queue.Queue(maxsize=maxsize)

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
        try:
            self.queue.put_nowait(change)
        except queue.Full:  # a stalled client: drop its backlog and make it resync instead
            with self.queue.mutex:
                self.queue.queue.clear()
            self.queue.put_nowait(Change("resync", "resync", None, None, None))


class PushHub:
    """The process's listener thread and its subscribers."""

    def __init__(self, url: str, render: Render, *, max_backoff_s: float = 30.0) -> None:
        self.url = url
        self.render = render
        self.max_backoff_s = max_backoff_s
        self._subs: set[Subscriber] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.connected = threading.Event()
        self.delivered = 0

    # -- subscribers ---------------------------------------------------------------------------------------
    def subscribe(self, county_code: str, township_code: str | None) -> Subscriber:
        sub = Subscriber(county_code, township_code)
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
                        self.publish(Change("resync", "resync", None, None, None))
                    first = False
                    backoff = 0.5
                    while not self._stop.is_set():
                        for note in listen.notifies(timeout=1.0):
                            self._handle(reader, note.payload)
            except Exception as exc:  # noqa: BLE001 - any failure: log, back off, reconnect
                self.connected.clear()
                log.warning("push listener lost its connection (%s); retrying in %.1f s", exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)

    def _handle(self, reader: psycopg.Connection[Any], payload: str) -> None:
        """One notice: a row (``id`` int) or a batch (plural ``kind``, ``id`` a list, or None = too many)."""
        try:
            msg = json.loads(payload)
            kind = str(msg["kind"]).rstrip("s")          # "alerts" (batch) -> "alert"
            ids = msg.get("id")
            county, township = msg.get("county_code", msg.get("county")), msg.get("township_code")
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("ignoring malformed notification %r", payload[:200])
            return
        if kind not in LIVE_KINDS:
            return
        if not self._anyone_sees(kind, county, township):  # nobody watching: don't read the rows at all
            return
        if ids is None:  # more rows changed than a notice can list: those who may see them reload
            self.publish(Change("resync", "resync", None, county, township))
            return
        for row_id in ids if isinstance(ids, list) else [ids]:
            try:
                self._publish_row(reader, kind, int(row_id), county, township, str(msg.get("op", "")))
            except (TypeError, ValueError):
                log.warning("ignoring notification with a bad id %r", row_id)

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

    def _publish_row(self, reader: psycopg.Connection[Any], kind: str, row_id: int, county: str | None,
                     township: str | None, op: str) -> None:
        row = None if op == "remove" else live_row(reader, kind=kind, id=row_id)
        if row is None or row.get("active") is False:
            self.publish(Change(kind, "remove", row_id, county, township))
            return
        self.publish(Change(kind, "upsert", row_id, row["county_code"], row["township_code"],
                            self.render(kind, row)))


_hubs: dict[str, PushHub] = {}
_hubs_lock = threading.Lock()


def hub_for(url: str, render: Render) -> PushHub:
    """The one started hub of this process for database ``url``."""
    with _hubs_lock:
        hub = _hubs.get(url)
        if hub is None:
            hub = _hubs[url] = PushHub(url, render).start()
        return hub
