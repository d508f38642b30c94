"""Position-reporting devices (vehicle trackers, body cameras, phones running Traccar Client), each bound to one
team by an administrator and authenticated by its own token.

The token (``gcd_`` + 32 random bytes, URL-safe) is shown once; the database keeps its SHA-256 and a prefix to
recognise it in lists. A tracker presents it in the URL query (``?token=``), as its device identifier, or as
``Authorization: Bearer`` (see ``api.positions`` and docs/field.md).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

import psycopg

from geo_data import audit
from geo_data.db import fetch_all, fetch_one
from geo_data.errors import Conflict, InvalidInput, NotFound
from geo_data.tokens import hash_token

TOKEN_PREFIX = "gcd_"
KINDS = ("tracker", "vehicle", "body_camera", "phone")
IDENTIFIER_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True)
class Device:
    id: int
    county_code: str
    team_id: int
    township_code: str | None
    identifier: str
    kind: str
    prefix: str


def add_device(conn: psycopg.Connection[Any], *, team_id: int, identifier: str | None = None,
               kind: str = "tracker", label: str = "", created_by: str = "cli") -> tuple[str, Device]:
    """Bind a new device to ``team_id``; returns (its token — shown once, never stored —, its record)."""
    if kind not in KINDS:
        raise InvalidInput(f"kind: one of {', '.join(KINDS)}")
    identifier = identifier or f"dev-{secrets.token_hex(4)}"
    if not IDENTIFIER_RE.match(identifier) or identifier.startswith(TOKEN_PREFIX):
        raise InvalidInput(f"identifier: 1-64 letters, digits, '_', '.', ':' or '-', not starting {TOKEN_PREFIX}")
    if len(label) > 100:
        raise InvalidInput("label: at most 100 characters")
    team = fetch_one(conn, "team_exists", {"id": team_id})
    if team is None:
        raise NotFound(f"team {team_id} not found")
    if not team["active"]:
        raise InvalidInput(f"team: team {team_id} is not active")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = fetch_one(conn, "device_insert", {"team_id": team_id, "identifier": identifier, "kind": kind,
                                            "label": label, "token_hash": hash_token(token), "prefix": token[:12],
                                            "created_by": created_by})
    if row is None:
        raise Conflict(f"a device with identifier {identifier!r} exists already")
    audit.record(conn, actor=created_by, actor_kind="cli", action="device.add", object_type="device",
                 object_id=row["id"], county_code=row["county_code"], township_code=team["township_code"],
                 detail={"team_id": team_id, "identifier": identifier, "kind": kind})
    return token, Device(id=row["id"], county_code=row["county_code"], team_id=team_id,
                         township_code=team["township_code"], identifier=identifier, kind=kind, prefix=row["prefix"])


def device_for_token(conn: psycopg.Connection[Any], token: str) -> Device | None:
    """The live device presenting ``token``, or None (unknown, revoked, or not a device token)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = fetch_one(conn, "device_by_token", {"token_hash": hash_token(token)})
    if row is None:
        return None
    return Device(id=row["id"], county_code=row["county_code"], team_id=row["team_id"],
                  township_code=row["township_code"], identifier=row["identifier"], kind=row["kind"],
                  prefix=row["prefix"])


def list_devices(conn: psycopg.Connection[Any], county_code: str | None = None) -> list[dict[str, Any]]:
    return fetch_all(conn, "device_list", {"county_code": county_code})


def revoke_device(conn: psycopg.Connection[Any], ref: str, *, actor: str = "cli") -> list[dict[str, Any]]:
    """Revoke the live device with this id, identifier or token prefix; NotFound if none matches."""
    rows = fetch_all(conn, "device_revoke", {"ref": ref})
    if not rows:
        raise NotFound(f"no live device with id, identifier or prefix {ref!r}")
    for r in rows:
        audit.record(conn, actor=actor, actor_kind="cli", action="device.revoke", object_type="device",
                     object_id=r["id"], county_code=r["county_code"],
                     detail={"identifier": r["identifier"], "team_id": r["team_id"]})
    return rows
