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


def payloads_by_township(*, kind: str, op: str, county_code: str,
                         rows: Sequence[tuple[int | None, str | None]], chunk: int = 300) -> list[str]:
    """Notices for changed rows ``(id, township_code)``, in the form of the statement triggers (migration 250):
    one per township and chunk of ids, singular ``kind`` when it names one row, plural with an id list else."""
    by_town: dict[str | None, list[int]] = {}
    for row_id, town in rows:
        if row_id is None:
            continue
        by_town.setdefault(town, []).append(int(row_id))
    out: list[str] = []
    for town, ids in by_town.items():
        ids.sort()
        for k in range(0, len(ids), chunk):
            part = ids[k:k + chunk]
            out.append(payload(kind=kind, op=op, id=part[0], county_code=county_code, township_code=town)
                       if len(part) == 1 else
                       payload(kind=kind + "s", op=op, id=part, county_code=county_code, township_code=town))
    return out


def send_after_commit(conn: psycopg.Connection[Any], payloads: Sequence[str]) -> None:
    """Send notices collected by a writer whose transaction has COMMITTED, in a short transaction of their own.

    Why: PostgreSQL serialises the commits of notifying transactions (a database-wide lock is held from the
    queue write through the commit's WAL flush). A data transaction that notifies therefore commits one at a
    time, fsync after fsync. Sent afterwards, the durable data commit needs no such lock, and the notice-only
    transaction may commit asynchronously (``synchronous_commit = off``): it writes no data, so a crash can only
    lose a live-push notice — which listeners survive anyway (they resync after any reconnect). The rows are
    committed before the notice, so a listener always finds them.
    """
    if not payloads:
        return
    with conn.pipeline(), conn.transaction():  # one round trip: BEGIN, the notices, COMMIT
        conn.execute("SELECT set_config('synchronous_commit', 'off', true), count(pg_notify(%s, p))"
                     " FROM unnest(%s::text[]) AS p", (CHANNEL, list(payloads)))
