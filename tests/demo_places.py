"""Places in the shared demo county that a test can use whatever ran before it: other modules dispatch teams and
post incidents in the same database, so a test that needs a free team or an incident of its own finds them here
instead of assuming a fixed township is still as the demo left it."""

from __future__ import annotations

from typing import Any

import psycopg


def township_with_free_team(conn: psycopg.Connection[Any], county: str, type_code: str, *,
                            exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The first township (by code) with a team that could take an incident of ``type_code`` now (the rule of
    ``geo_data/sql/team_candidates.sql``: active, idle or out, qualified, no active dispatch): code, team id."""
    row = conn.execute(
        "SELECT tm.township_code AS code, min(tm.id) AS team FROM teams tm JOIN alert_types t ON t.code = %s"
        " WHERE tm.county_code = %s AND tm.township_code IS NOT NULL AND tm.township_code <> ALL(%s)"
        "  AND tm.active AND tm.status IN ('idle', 'out')"
        "  AND (cardinality(t.departments) = 0 OR tm.qualifications && t.departments)"
        "  AND NOT EXISTS (SELECT 1 FROM dispatches d WHERE d.team_id = tm.id"
        "                  AND d.status IN ('assigned', 'accepted', 'en_route', 'on_site'))"
        " GROUP BY 1 ORDER BY 1 LIMIT 1", (type_code, county, list(exclude))).fetchone()
    assert row is not None, f"no township of {county} has a free team for {type_code}"
    return {"code": row["code"], "team": row["team"]}


def quiet_spot(conn: psycopg.Connection[Any], township: str) -> dict[str, float]:
    """A random point inside ``township`` (300 m from its edge) with no open incident within about 1 km, so that
    an alert posted there starts an incident of its own instead of joining one."""
    spot = conn.execute(
        "SELECT ST_X(s.p) AS lng, ST_Y(s.p) AS lat FROM (SELECT (ST_Dump(ST_GeneratePoints("
        " ST_Buffer(geom, -0.003), 20))).geom AS p FROM townships WHERE code = %s) s"
        " WHERE NOT EXISTS (SELECT 1 FROM incidents i WHERE i.status IN ('open', 'dispatched')"
        " AND ST_DWithin(i.geom, s.p, 0.01)) LIMIT 1", (township,)).fetchone()
    assert spot is not None, f"no quiet spot in township {township}"
    return {"lng": float(spot["lng"]), "lat": float(spot["lat"])}
