"""Teams: live positions (the simulator and field apps move them), lists for the map, dispatch candidates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import psycopg

from geo_data import coords
from geo_data.db import fetch_all, fetch_one
from geo_data.errors import NotFound
from geo_data.notify import notify
from geo_data.scope import Scope

TEAM_STATUSES = ("idle", "out", "en_route", "on_site", "rest")


def move_team(conn: psycopg.Connection[Any], *, team_id: int, lng: float, lat: float, at: datetime,
              status: str | None = None) -> None:
    """Set a team's live position (WGS-84 degrees) and optionally status; keeps the track; NOTIFY kind team."""
    cells = coords.cells_all_res([lat], [lng])
    row = fetch_one(conn, "team_move", {"id": team_id, "lng": lng, "lat": lat, "at": at, "status": status,
                                        "h3_r7": int(cells[7][0]), "h3_r8": int(cells[8][0]),
                                        "h3_r9": int(cells[9][0])})
    if row is None:
        raise NotFound(f"team {team_id} not found")
    notify(conn, kind="team", op="update", id=team_id, county_code=row["county_code"])


def list_teams(conn: psycopg.Connection[Any], scope: Scope) -> list[dict[str, Any]]:
    """Active teams the scope may see (own township's and county squads for a township dispatcher)."""
    return fetch_all(conn, "team_list", scope.params)


def candidates(conn: psycopg.Connection[Any], *, incident_id: int, today: date,
               day_start: datetime) -> list[dict[str, Any]]:
    """Available, qualified teams of the incident's county with relation (same township, neighbour — read from
    the townships' outlines as they are now — or county), distance and today's workload."""
    return fetch_all(conn, "team_candidates", {"incident_id": incident_id, "today": today,
                                               "day_start": day_start})
