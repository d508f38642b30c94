-- One active team in scope for its details panel (county squads show to everyone in the county), with its
-- active dispatch and that incident.
SELECT tm.id, tm.name, tm.kind, tm.status, tm.township_code, tw.name AS township_name, tm.members,
       tm.qualifications, tm.position_at,
       round(ST_X(coalesce(tm.position, tm.base))::numeric, 6)::float8 AS lng,
       round(ST_Y(coalesce(tm.position, tm.base))::numeric, 6)::float8 AS lat,
       d.id AS dispatch_id, d.status AS dispatch_status, d.assigned_at, d.eta_minutes,
       i.id AS incident_id, coalesce(t.name, i.type_code) AS incident_type_name,
       coalesce(t.name_en, i.type_code) AS incident_type_name_en, i.severity AS incident_severity
FROM teams tm
LEFT JOIN townships tw ON tw.code = tm.township_code
LEFT JOIN dispatches d ON d.team_id = tm.id AND d.status IN ('assigned', 'accepted', 'en_route', 'on_site')
LEFT JOIN incidents i ON i.id = d.incident_id
LEFT JOIN alert_types t ON t.code = i.type_code
WHERE tm.id = %(id)s AND tm.county_code = %(county_code)s AND tm.active
  AND (%(township_code)s::text IS NULL OR tm.township_code = %(township_code)s OR tm.township_code IS NULL);
