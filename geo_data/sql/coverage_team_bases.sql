-- Bases of the active teams of the scope (county squads serve every township).
SELECT tm.id, tm.name, ST_X(tm.base) AS lng, ST_Y(tm.base) AS lat
FROM teams tm
WHERE tm.county_code = %(county_code)s AND tm.active
  AND (%(township_code)s::text IS NULL OR tm.township_code IS NULL OR tm.township_code = %(township_code)s::text)
ORDER BY tm.id
