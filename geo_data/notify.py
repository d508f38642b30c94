"""Live-push notices on the PostgreSQL channel ``gridcommand`` (``pg_notify``), sent inside the writer's
transaction so they are delivered only if it commits.

Payload (JSON, small — PostgreSQL caps a notice at 8,000 bytes)::

    {"kind": "alert"|"incident"|"team"|"dispatch", "op": "add"|"update"|"remove",
     "id": 123, "county": "330702", "township": "330702001" | null}

Batches send ONE notice per kind instead of one per row: ``kind`` is plural (``"alerts"``,
``"incidents"``) and ``id`` is a list of ids (at most ``MAX_IDS``; beyond that ``id`` is ``null`` and
``"count"`` says how many rows changed, so a listener reloads its view). ``township`` is null for batches that
span townships. ``county_code``/``township_code`` repeat ``county``/``township`` under the names the row
triggers of migration 100 use, so one listener parses both.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import psycopg

CHANNEL = "gridcommand"
MAX_IDS = 500


def payload(*, kind: str, op: str, id: int | Sequence[int] | None, county_code: str,
            township_code: str | None = None) -> str:
    """The JSON text of one notice (see module docstring)."""
    body: dict[str, Any] = {"kind": kind, "op": op, "county": county_code, "township": township_code,
                            "county_code": county_code, "township_code": township_code}
    if isinstance(id, int) or id is None:
        body["id"] = id
    else:
        ids = [int(i) for i in id]
        body["count"] = len(ids)
        body["id"] = ids if len(ids) <= MAX_IDS else None
    return json.dumps(body, separators=(",", ":"))


def notify(conn: psycopg.Connection[Any], *, kind: str, op: str, id: int | Sequence[int] | None,
           county_code: str, township_code: str | None = None) -> None:
    """Queue one notice in the caller's transaction."""
    conn.execute("SELECT pg_notify(%s, %s)",
                 (CHANNEL, payload(kind=kind, op=op, id=id, county_code=county_code, township_code=township_code)))
