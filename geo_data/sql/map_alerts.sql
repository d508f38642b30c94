-- Alerts observed in [%(since)s, %(until)s), scoped, newest first, at most %(limit)s.
SELECT a.id, a.source_kind, a.type_code, coalesce(t.name, a.type_code) AS type_name,
       coalesce(t.name_en, a.type_code) AS type_name_en, a.severity, a.observed_at, a.incident_id,
       a.township_code, coalesce(i.status, 'open') AS incident_status,
       round(ST_X(a.geom)::numeric, 6)::float8 AS lng, round(ST_Y(a.geom)::numeric, 6)::float8 AS lat
FROM alerts a
LEFT JOIN alert_types t ON t.code = a.type_code
LEFT JOIN incidents i ON i.id = a.incident_id
WHERE a.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR a.township_code = %(township_code)s)
  AND a.observed_at >= %(since)s AND a.observed_at < %(until)s
ORDER BY a.observed_at DESC
LIMIT %(limit)s;
