-- Active teams in scope at their live position (or base), with status. County squads show to everyone in
-- the county; township dispatchers see their own township's teams and the county squads.
SELECT tm.id, tm.name, tm.kind, tm.status, tm.township_code, tm.members, tm.position_at,
       round(ST_X(coalesce(tm.position, tm.base))::numeric, 6)::float8 AS lng,
       round(ST_Y(coalesce(tm.position, tm.base))::numeric, 6)::float8 AS lat
FROM teams tm
WHERE tm.county_code = %(county_code)s AND tm.active
  AND (%(township_code)s::text IS NULL OR tm.township_code = %(township_code)s OR tm.township_code IS NULL)
ORDER BY tm.id;
