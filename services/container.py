"""What the use cases and adapters need at run time, built once per app by the composition root (``app.py``).

One ``Services`` per app: the pools, the settings, the job queue and the travel-time estimator. ``bind`` hangs it
on a Flask app; ``current()`` finds the one of the app serving the request, so two apps in one process (as in
tests) stay on their own databases. There is no process-wide default that each new app would overwrite: outside
an app context ``current()`` is an error (code that runs there is handed what it needs).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import procrastinate
import psycopg
from psycopg_pool import ConnectionPool

from geo_data import alerts
from geo_data.settings import Settings
from geo_data.travel import TravelTimeEstimator, estimator_for

_EXTENSION_KEY = "gridcommand"
_TYPES_TTL_S = 30.0
T = TypeVar("T")


class AlertTypeCache:
    """The alert types (code -> remote-closable, severity floor, …), re-read after ``ttl_s`` or at once when an
    unknown code arrives; the cache is per app and never outlives an edit by more than ``ttl_s``."""

    def __init__(self, ttl_s: float = _TYPES_TTL_S) -> None:
        self._ttl_s = ttl_s
        self._at = -float("inf")  # never read yet: monotonic() may start near 0 at boot
        self._types: dict[str, alerts.AlertTypeInfo] = {}

    def of(self, conn: psycopg.Connection[Any], wanted: set[str]) -> dict[str, alerts.AlertTypeInfo]:
        if time.monotonic() - self._at > self._ttl_s or not wanted <= self._types.keys():
            self._types = alerts.alert_types(conn)
            self._at = time.monotonic()
        return self._types


class RecentResults:
    """Results of read-only computations that many screens ask for alike (twenty walls of one county asking for
    the same 90-day rates each minute), kept per app for ``ttl_s`` under a key that names everything the result
    depends on (scope, period, language, a revision of the rows read). Never outlives ``ttl_s``; per app, so it
    never outlives the app's database (a module cache would outlive a test's)."""

    def __init__(self, max_entries: int = 256) -> None:
        self._lock = threading.Lock()
        self._max = max_entries
        self._entries: dict[tuple[Any, ...], tuple[float, Any]] = {}

    def get(self, key: tuple[Any, ...], ttl_s: float, compute: Callable[[], T]) -> T:
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and now - hit[0] <= ttl_s:
            value: T = hit[1]
            return value
        value = compute()   # outside the lock: two callers may compute the same key once each, never block
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries = {k: v for k, v in self._entries.items() if now - v[0] <= ttl_s}
                if len(self._entries) >= self._max:
                    self._entries.clear()
            self._entries[key] = (time.monotonic(), value)
        return value


@dataclass
class Services:
    """The run-time dependencies of one app."""

    settings: Settings
    pool: ConnectionPool
    database_url: str
    jobs: procrastinate.App  # defers background jobs on ``pool``; ``gridcommand worker`` runs them
    replica_pool: ConnectionPool | None = None  # the hot standby, when one is configured
    estimator: TravelTimeEstimator = field(init=False)
    alert_types: AlertTypeCache = field(default_factory=AlertTypeCache)
    recent: RecentResults = field(default_factory=RecentResults)

    def __post_init__(self) -> None:
        self.estimator = estimator_for(self.settings.dispatch)

    @property
    def read_pool(self) -> ConnectionPool:
        """For read-only screens (wall, map, KPI panels): the standby if configured, else the primary.
        Anything that writes (audit included) uses ``pool``."""
        return self.replica_pool or self.pool


def bind(services: Services, server: Any) -> None:
    """Make ``services`` the ones of ``server`` (a Flask app)."""
    server.extensions[_EXTENSION_KEY] = services


def current() -> Services:
    """The services of the Flask app handling the current request (or of the app whose context is pushed)."""
    from flask import current_app, has_app_context

    if not has_app_context() or _EXTENSION_KEY not in current_app.extensions:
        raise RuntimeError("no app's services here: run inside an app made by app.create_app() (or mount_api)")
    found: Services = current_app.extensions[_EXTENSION_KEY]
    return found
