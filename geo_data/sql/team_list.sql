-- Teams in the caller's scope with their live position and status (county squads included for townships).
SELECT tm.id, tm.name, tm.township_code, tm.kind, tm.status,
       ST_X(coalesce(tm.position, tm.base)) AS lng, ST_Y(coalesce(tm.position, tm.base)) AS lat
FROM teams tm
WHERE tm.county_code = %(county_code)s AND tm.active
  AND (%(township_code)s::text IS NULL OR tm.township_code = %(township_code)s OR tm.township_code IS NULL)
ORDER BY tm.name
