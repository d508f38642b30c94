-- The team's active dispatch (at most one: dispatches_one_active_per_team) with what the field needs of its
-- incident: type, severity, place (WGS-84), enterprise, SLA.
SELECT d.id AS dispatch_id, d.status AS dispatch_status, d.assigned_at, d.assigned_by, d.eta_minutes,
       i.id AS incident_id, i.type_code, t.name AS type_name, t.name_en AS type_name_en, i.severity, i.status,
       i.sla_due_at, i.created_at, i.on_site_at, ST_X(i.geom) AS lng, ST_Y(i.geom) AS lat,
       e.name AS enterprise_name, e.address AS enterprise_address, tw.name AS township_name,
       (SELECT ev.note FROM dispatch_events ev WHERE ev.dispatch_id = d.id AND ev.event = 'assigned'
        ORDER BY ev.at DESC LIMIT 1) AS assign_note
FROM dispatches d
JOIN incidents i ON i.id = d.incident_id
JOIN alert_types t ON t.code = i.type_code
LEFT JOIN enterprises e ON e.id = i.enterprise_id
LEFT JOIN townships tw ON tw.code = i.township_code
WHERE d.team_id = %(team_id)s AND d.county_code = %(county_code)s
  AND d.status IN ('assigned', 'accepted', 'en_route', 'on_site')
