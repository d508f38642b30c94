-- These teams (ids: a bigint[] literal) as the live layer shows them, with their county and township.
-- The columns of map_teams.sql plus county_code and active: a pushed row is the loaded row (tests/db/test_live_rows.py).
SELECT tm.id, tm.county_code, tm.name, tm.kind, tm.status, tm.township_code, tm.members, tm.position_at,
       tm.active,
       round(ST_X(coalesce(tm.position, tm.base))::numeric, 6)::float8 AS lng,
       round(ST_Y(coalesce(tm.position, tm.base))::numeric, 6)::float8 AS lat
FROM teams tm
WHERE tm.id = ANY(%(ids)s::bigint[]);
