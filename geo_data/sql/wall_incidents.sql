-- Live incident list for the wall: open and dispatched incidents, scoped, urgent first then newest.
SELECT i.id, coalesce(t.name, i.type_code) AS type_name, coalesce(t.name_en, i.type_code) AS type_name_en,
       i.severity, i.status, i.first_seen, i.last_seen, i.alert_count, i.township_code, tw.name AS township_name,
       round(ST_X(i.geom)::numeric, 6)::float8 AS lng, round(ST_Y(i.geom)::numeric, 6)::float8 AS lat
FROM incidents i
LEFT JOIN alert_types t ON t.code = i.type_code
LEFT JOIN townships tw ON tw.code = i.township_code
WHERE i.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR i.township_code = %(township_code)s)
  AND i.status IN ('open', 'dispatched')
ORDER BY CASE i.severity WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, i.last_seen DESC
LIMIT %(limit)s;
