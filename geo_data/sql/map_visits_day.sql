-- On-site visits of one day (Asia/Shanghai calendar date), scoped, at most %(limit)s.
SELECT v.id, v.enterprise_id, e.name AS enterprise_name, v.team_id, v.status, v.departments, v.code_scanned,
       v.started_at, round(ST_X(v.geom)::numeric, 6)::float8 AS lng, round(ST_Y(v.geom)::numeric, 6)::float8 AS lat
FROM visits v
JOIN enterprises e ON e.id = v.enterprise_id
WHERE v.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR v.township_code = %(township_code)s)
  AND v.visit_date = %(day)s AND v.status <> 'cancelled'
ORDER BY v.team_id NULLS LAST, v.started_at NULLS LAST, v.id
LIMIT %(limit)s;
