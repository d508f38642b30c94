"""Running a use case in one transaction: the one runner the API and the screens share.

Deadlocks (and the coverage pre-aggregate's key collision) are retried — nothing of the failed attempt was
kept and every use case is safe to run again; an unreachable database becomes ``DatabaseUnavailable`` (503 for
machines, the notice bar for people). Live-push notices a use case collected are sent once it has committed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from geo_data.errors import DatabaseUnavailable
from geo_data.notify import send_after_commit
from services.container import current

log = logging.getLogger(__name__)
T = TypeVar("T")


def run_in_transaction(fn: Callable[[psycopg.Connection[Any]], T], notices: list[str] | None = None) -> T:
    """Run ``fn`` in one transaction on a pooled connection of this app (see ``transaction_on``)."""
    return transaction_on(current().pool, fn, notices)


def transaction_on(pool: ConnectionPool, fn: Callable[[psycopg.Connection[Any]], T],
                   notices: list[str] | None = None) -> T:
    """Run ``fn`` in one transaction on a connection of ``pool``; deadlocks are retried, an unreachable database
    becomes ``DatabaseUnavailable`` (nothing written). ``notices`` that ``fn`` collected are sent once the
    transaction has committed (``geo_data.notify.send_after_commit``); failing to send them never fails the
    call — the data is stored."""
    for attempt in range(4):
        if notices is not None:
            notices.clear()
        try:
            with pool.connection() as conn:
                with conn.transaction():
                    out = fn(conn)
                if notices:
                    try:
                        send_after_commit(conn, notices)
                    except psycopg.Error as exc:
                        log.warning("live-push notices after commit not sent: %s", exc)
                return out
        except psycopg.errors.TransactionRollback as exc:
            if attempt == 3:
                raise
            log.warning("transaction retried (%s): %s", type(exc).__name__, str(exc).splitlines()[0])
            time.sleep(0.02 * (attempt + 1))
        except psycopg.errors.UniqueViolation as exc:
            # The coverage pre-aggregate trigger of migration 405 recomputes (delete + insert) the rows of the
            # enterprises it touches; two writers linking the same enterprise at once can collide on its key.
            # Nothing of this transaction was kept, and resending is idempotent: try again.
            if exc.diag.constraint_name != "coverage_touch_pkey" or attempt == 3:
                raise
            log.warning("transaction retried (coverage_touch key collision)")
            time.sleep(0.02 * (attempt + 1))
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise DatabaseUnavailable(str(exc)) from exc
    raise AssertionError("unreachable")
