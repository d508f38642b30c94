-- These incidents (ids: a bigint[] literal) as the live layers show them, with their county and township.
-- The columns of map_incidents.sql plus county_code: a pushed row is the loaded row (tests/db/test_live_rows.py).
SELECT i.id, i.county_code, i.type_code, coalesce(t.name, i.type_code) AS type_name,
       coalesce(t.name_en, i.type_code) AS type_name_en, i.severity, i.status, i.first_seen, i.last_seen,
       i.alert_count, i.sources, i.township_code, tw.name AS township_name, i.sla_due_at, i.escalated,
       d.status AS dispatch_status, d.team_name,
       (SELECT count(*) FROM evidence_files ef WHERE ef.incident_id = i.id) AS photos,
       round(ST_X(i.geom)::numeric, 6)::float8 AS lng, round(ST_Y(i.geom)::numeric, 6)::float8 AS lat
FROM incidents i
LEFT JOIN alert_types t ON t.code = i.type_code
LEFT JOIN townships tw ON tw.code = i.township_code
LEFT JOIN LATERAL (SELECT d.status, tm.name AS team_name FROM dispatches d JOIN teams tm ON tm.id = d.team_id
                   WHERE d.incident_id = i.id AND d.status IN ('assigned', 'accepted', 'en_route', 'on_site')
                   LIMIT 1) d ON true
WHERE i.id = ANY(%(ids)s::bigint[]);
