"""The enterprise's own page of an inspection code (``/v/<code>``, no account): what it may show, its URL,
and the rate limit on unknown codes.

The code is the capability (``geo_data.visit_codes``): whoever holds it sees who inspects — the visit's own
inspectors with their badge numbers and departments, the lead department, the items with their legal basis and
the date — and may confirm the scan-in and rate once. Nothing else of the enterprise or of the team is shown,
so a code seen by someone else tells them nothing about the enterprise.

Guessing: a wrong code has no row to count attempts on, so unknown codes are counted per client address; past
``code_misses_per_10min`` in ten minutes the address gets 429 for every code lookup (page and API alike), so
the answers cannot be used as an oracle either.
"""

from __future__ import annotations

import re
from typing import Any

import psycopg

from geo_data.db import execute, fetch_one
from geo_data.visit_codes import RateLimited

CODE_RE = re.compile(r"^ZJ[0-9]{14}[A-Z2-7]{10}$")


def public_url(base_url: str, code: str) -> str:
    """``<base>/v/<code>``: what the QR on the visit sheet and the inspector's phone encodes."""
    return f"{base_url.rstrip('/')}/v/{code}"


def check_misses(conn: psycopg.Connection[Any], remote_addr: str, limit: int) -> None:
    """RateLimited once ``remote_addr`` asked for ``limit`` unknown codes in the last ten minutes."""
    row = fetch_one(conn, "visit_code_misses_recent", {"remote_addr": remote_addr[:64]})
    if row is not None and int(row["n"]) >= limit:
        raise RateLimited("too many unknown codes from your address; try again in 10 minutes")


def record_miss(conn: psycopg.Connection[Any], remote_addr: str) -> None:
    """Count one unknown code against ``remote_addr`` (the caller commits, also when answering 404)."""
    execute(conn, "visit_code_miss_insert", {"remote_addr": remote_addr[:64]})


def public_visit(conn: psycopg.Connection[Any], code: str) -> dict[str, Any] | None:
    """What the page shows for ``code`` (see the module docstring), or None for a malformed or unknown code."""
    if not CODE_RE.match(code):
        return None
    return fetch_one(conn, "visit_code_public", {"code": code})
