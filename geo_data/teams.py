"""Teams: live positions (the simulator and field apps move them), lists for the map, dispatch candidates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg

from geo_data import coords
from geo_data.db import fetch_all, fetch_one
from geo_data.errors import NotFound
from geo_data.notify import notify
from geo_data.scope import Scope

TEAM_STATUSES = ("idle", "out", "en_route", "on_site", "rest")


@dataclass(frozen=True)
class TeamCandidate:
    """A team that could take an incident now: where it stands, how busy it is (``team_candidates.sql``)."""

    id: int
    name: str
    township_code: str | None         # None: a county squad
    township_name: str | None
    kind: str
    status: str                       # idle | out
    qualifications: tuple[str, ...]   # department codes whose items it may inspect
    lng: float                        # WGS-84 degrees: the live position, else the base
    lat: float
    distance_m: float                 # geodesic metres to the incident
    relation: str                     # same | neighbour | county, against the incident's township
    dispatches_today: int             # dispatches since ``day_start``
    planned_today: int                # planned visits on ``today``
    nearest_planned_m: float | None   # metres to the nearest of them (None: none planned)


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
               day_start: datetime) -> list[TeamCandidate]:
    """Available, qualified teams of the incident's county with relation (same township, neighbour — read from
    the townships' outlines as they are now — or county), distance and today's workload."""
    rows = fetch_all(conn, "team_candidates", {"incident_id": incident_id, "today": today,
                                               "day_start": day_start})
    return [TeamCandidate(
        id=r["id"], name=r["name"], township_code=r["township_code"], township_name=r["township_name"],
        kind=r["kind"], status=r["status"], qualifications=tuple(r["qualifications"]), lng=r["lng"],
        lat=r["lat"], distance_m=float(r["distance_m"]), relation=r["relation"],
        dispatches_today=r["dispatches_today"], planned_today=r["planned_today"] or 0,
        nearest_planned_m=float(r["nearest_planned_m"]) if r["nearest_planned_m"] is not None else None)
        for r in rows]
