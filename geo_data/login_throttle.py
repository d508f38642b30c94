"""Fair login-failure handling: delays per (name as typed, client address) and a limit per address.

An attacker who types a name wrong from their machine slows down only that name *from that address*; the real
user logging in from the command centre is not affected. Unknown names are counted exactly like known ones, so
no answer tells them apart. Every failure, every block that starts and every refused attempt is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg

from geo_data import audit
from geo_data.db import execute, fetch_all

ADDRESS_WIDE = ""  # login_throttle.username of an address's count across all names
FORGET_AFTER = timedelta(hours=24)  # a (name, address) pair quiet this long starts again from nothing


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int = 3
    delay: timedelta = timedelta(seconds=5)
    max_delay: timedelta = timedelta(minutes=15)
    address_failures: int = 30
    address_window: timedelta = timedelta(minutes=15)

    def delay_after(self, failures: int) -> timedelta | None:
        """The wait after the ``failures``-th consecutive failure of one (name, address): none for the first
        ``free_failures``, then ``delay`` doubling each time, at most ``max_delay``."""
        extra = failures - self.free_failures
        if extra <= 0:
            return None
        return min(self.delay * (2 ** min(extra - 1, 30)), self.max_delay)


def key(username: str) -> str:
    """The name as counted: trimmed, case-folded, at most 64 characters (usernames are ASCII)."""
    return username.strip().lower()[:64]


def blocked_for(conn: psycopg.Connection[Any], *, username: str, remote_addr: str) -> float:
    """Seconds until ``username`` may be tried again from ``remote_addr`` (0: now); locks the rows concerned.

    Called first in the login transaction: two parallel attempts on the same (name, address) take turns.
    """
    execute(conn, "login_throttle_ensure", {"username": key(username), "remote_addr": remote_addr,
                                            "address_wide": ADDRESS_WIDE})
    rows = fetch_all(conn, "login_throttle_lock", {"username": key(username), "remote_addr": remote_addr,
                                                   "address_wide": ADDRESS_WIDE})
    return max((float(r["wait_s"]) for r in rows), default=0.0)


def record_failure(conn: psycopg.Connection[Any], *, username: str, remote_addr: str, policy: ThrottlePolicy,
                   reason: str, county_code: str | None = None) -> float:
    """Count one failure for (name, address) and for the address; audit it and any block it starts.

    Returns the seconds the caller must now wait (0: none).
    """
    name = key(username)
    rows = fetch_all(conn, "login_throttle_fail", {
        "username": name, "remote_addr": remote_addr, "address_wide": ADDRESS_WIDE, "forget": FORGET_AFTER,
        "window": policy.address_window})
    by_name = {r["username"]: int(r["failures"]) for r in rows}
    name_failures = by_name.get(name, 0)
    address_failures = by_name.get(ADDRESS_WIDE, 0)
    audit.record(conn, actor=username[:64], action="login.failed", remote_addr=remote_addr, county_code=county_code,
                 detail={"reason": reason, "failures": name_failures, "address_failures": address_failures})
    wait = 0.0
    delay = policy.delay_after(name_failures)
    if delay is not None:
        execute(conn, "login_throttle_block", {"username": name, "remote_addr": remote_addr, "until": delay})
        audit.record(conn, actor=username[:64], action="login.locked", remote_addr=remote_addr,
                     county_code=county_code, detail={"scope": "name+address", "seconds": delay.total_seconds(),
                                                      "failures": name_failures})
        wait = delay.total_seconds()
    if address_failures >= policy.address_failures:
        seconds = execute(conn, "login_throttle_block_address", {"remote_addr": remote_addr,
                                                                "address_wide": ADDRESS_WIDE,
                                                                "window": policy.address_window})
        if seconds:
            audit.record(conn, actor=username[:64], action="login.locked", remote_addr=remote_addr,
                         county_code=county_code,
                         detail={"scope": "address", "failures": address_failures,
                                 "window_minutes": policy.address_window.total_seconds() / 60})
        wait = max(wait, policy.address_window.total_seconds())
    return wait


def record_success(conn: psycopg.Connection[Any], *, username: str, remote_addr: str) -> None:
    """A right password (and second factor) from this address: its count for this name starts again."""
    execute(conn, "login_throttle_clear", {"username": key(username), "remote_addr": remote_addr})


def unlock(conn: psycopg.Connection[Any], *, username: str, actor: str, actor_kind: str = "user",
           county_code: str | None = None) -> int:
    """Forget every failure counted for ``username`` from any address (admin or ``gridcommand user unlock``)."""
    n = execute(conn, "login_throttle_unlock", {"username": key(username)})
    audit.record(conn, actor=actor, actor_kind=actor_kind, action="login.unlock", object_type="user",
                 object_id=username, county_code=county_code, detail={"rows": n})
    return n
