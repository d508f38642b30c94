"""Group commit for single alert posts (``POST /api/v1/alerts``).

A busy township sends single alerts from many cameras and sensors at once. Storing each in a transaction of its
own costs a dozen round trips, the matching locks and a durable commit (a WAL flush) per alert; the server then
spends most of its time on fixed costs. Instead, each process runs one writer thread: a request thread validates
its alert and hands it over; the writer takes every alert waiting at that moment (at most ``max_items``) and
stores them in ONE transaction with ``services.intake.store_alerts`` — the same code as a batch —, then answers
each request with its own result. Under light load a group holds one alert and nothing waits; under load the groups
grow while the previous transaction runs, so the fixed costs are shared. Only while senders are queueing (a
group of the last second held more than one alert) does the writer linger, at most ``linger_s`` (5 ms) and only
until as many alerts wait as the largest group of the last second held: the replies' senders come back with
their next alert, a group shares one commit among all of them, and nobody waits for a linger once they are all
back (8 busy senders: 410 -> 490 alerts/s, docs/benchmarks.md).

What a caller sees does not change: 201 new, 200 duplicate (also when two retries of one alert land in one
group), 422 invalid, 401/403 for its own token. Tokens are checked inside the group's transaction (one query for
the group), so a token revoked a moment ago is refused exactly as before. When the group's transaction fails for
any other reason than an unreachable database (say, a value the database refuses), the group is stored again
one alert per transaction, so only the alert at fault fails. A request gives up after ``wait_s`` with 503 (retrying is safe: ``source_id`` is idempotent).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg

from api.errors import ApiError
from api.tokens import checked
from geo_data import alerts as alert_store
from geo_data.errors import DatabaseUnavailable
from geo_data.tokens import ApiToken, token_for

log = logging.getLogger(__name__)

# Runs ``fn(conn)`` in one transaction and sends the collected notices after the commit
# (``services.transactions.transaction_on``).
TransactionRunner = Callable[[Callable[[psycopg.Connection[Any]], None], list[str]], None]
# Stores the alerts of one (source, county) in the caller's transaction: ``services.intake.store_alerts``.
Store = Callable[[psycopg.Connection[Any], str, str, list[alert_store.AlertInput], list[str]],
                 list[alert_store.ItemResult]]


@dataclass
class Pending:
    """One request's alert waiting for its group; ``result`` or ``error`` is set before ``done``."""

    token: str
    alert: alert_store.AlertInput
    done: threading.Event = field(default_factory=threading.Event)
    result: alert_store.ItemResult | None = None
    error: BaseException | None = None


class AlertGroups:
    """One writer thread per process storing waiting single alerts together (see module docstring)."""

    def __init__(self, run: TransactionRunner, store: Store, *, max_items: int = 500, wait_s: float = 30.0,
                 linger_s: float = 0.005) -> None:
        self._run, self._store = run, store
        self._max, self._wait_s, self._linger_s = max_items, wait_s, linger_s
        self._queue: queue.SimpleQueue[Pending] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.groups = 0  # groups stored so far, and the largest (for the benchmark and the tests)
        self.largest = 0

    def store(self, token: str, alert: alert_store.AlertInput) -> alert_store.ItemResult:
        """Store one alert with the next group; its result, or the error meant for this request."""
        self._ensure_thread()
        item = Pending(token, alert)
        self._queue.put(item)
        if not item.done.wait(self._wait_s):
            raise DatabaseUnavailable(f"alert not stored within {self._wait_s:.0f} s")
        if item.error is not None:
            raise item.error
        assert item.result is not None
        return item.result

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="gc-alert-groups", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        recent: deque[tuple[float, int]] = deque()  # (when, size) of the groups of the last second
        while True:
            group = [self._queue.get()]
            now = time.monotonic()
            while recent and recent[0][0] < now - 1.0:
                recent.popleft()
            # As many senders as the largest recent group are likely coming back with their next alert: linger
            # for them (at most linger_s), but not once they are all here.
            expected = max((n for _t, n in recent), default=1)
            deadline = now + self._linger_s if expected > 1 else 0.0
            while len(group) < self._max:
                try:
                    wait = deadline - time.monotonic() if len(group) < expected else 0.0
                    group.append(self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait())
                except queue.Empty:
                    break
            recent.append((now, len(group)))
            self.groups += 1
            self.largest = max(self.largest, len(group))
            self._store_group(group)

    def _store_group(self, group: list[Pending]) -> None:
        notices: list[str] = []
        try:
            self._run(lambda conn: self._ingest(conn, group, notices), notices)
        except (DatabaseUnavailable, psycopg.OperationalError) as exc:  # the database is away: all wait
            self._fail(group, exc)
        except Exception as exc:  # noqa: BLE001 - every waiting request must get an answer
            if len(group) == 1:
                self._fail(group, exc)
            else:  # one alert's data was refused: store them one by one, so only that one fails
                log.info("alert group of %d refused (%s); storing one by one", len(group),
                         str(exc).splitlines()[0] if str(exc) else repr(exc))
                for item in group:
                    self._store_group([item])
        except BaseException as exc:
            self._fail(group, exc)
            raise
        finally:
            for item in group:
                if item.result is None and item.error is None:
                    item.error = RuntimeError("alert group ended without a result")
                item.done.set()

    @staticmethod
    def _fail(group: list[Pending], exc: BaseException) -> None:
        for item in group:
            if item.result is None and item.error is None:
                item.error = exc

    def _ingest(self, conn: psycopg.Connection[Any], group: list[Pending], notices: list[str]) -> None:
        """Inside the group's transaction: check the tokens, then ingest per (source, county)."""
        for item in group:  # a retried transaction starts clean
            item.result = item.error = None
        tokens: dict[str, ApiToken | None] = {t: token_for(conn, t) for t in {i.token for i in group}}
        by_source: dict[tuple[str, str], list[Pending]] = {}
        for item in group:
            try:
                token = checked(tokens[item.token], "alerts:write")
            except ApiError as exc:  # this request's own 401/403
                item.error = exc
                continue
            by_source.setdefault((token.source, token.county_code), []).append(item)
        for (source, county_code), items in by_source.items():
            results = self._store(conn, source, county_code, [i.alert for i in items], notices)
            for item, result in zip(items, results, strict=True):
                item.result = result
