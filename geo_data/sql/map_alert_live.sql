-- These alerts (ids: a bigint[] literal) as the live layer shows them, with their county and township (the push hub filters by scope).
-- The columns of map_alerts.sql plus county_code: a pushed row is the loaded row (tests/db/test_live_rows.py).
SELECT a.id, a.county_code, a.source_kind, a.type_code, coalesce(t.name, a.type_code) AS type_name,
       coalesce(t.name_en, a.type_code) AS type_name_en, a.severity, a.observed_at, a.incident_id,
       a.township_code, coalesce(i.status, 'open') AS incident_status,
       round(ST_X(a.geom)::numeric, 6)::float8 AS lng, round(ST_Y(a.geom)::numeric, 6)::float8 AS lat
FROM alerts a
LEFT JOIN alert_types t ON t.code = a.type_code
LEFT JOIN incidents i ON i.id = a.incident_id
WHERE a.id = ANY(%(ids)s::bigint[]);
