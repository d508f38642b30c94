-- The fix's team, locked so the fixes of one team are judged one at a time (never backwards in time), and
-- whether the point lies inside the team's county.
SELECT t.id, t.county_code, t.township_code, t.status, t.position_at,
       ST_Intersects(c.geom, ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326)) AS inside
FROM teams t JOIN counties c ON c.code = t.county_code
WHERE t.id = %(team_id)s
FOR UPDATE OF t
