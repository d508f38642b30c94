-- Incidents in the caller's scope (optionally one id, one township, some statuses), most severe first,
-- then least time left to the SLA; with type, township, enterprise and the active dispatch.
SELECT i.id, i.county_code, i.township_code, tw.name AS township_name, i.type_code, t.name AS type_name,
       t.name_en AS type_name_en, t.remote_closable, i.severity, i.status, i.first_seen, i.last_seen,
       i.alert_count, i.sources, i.enterprise_id, e.name AS enterprise_name, e.uscc AS enterprise_uscc,
       ST_X(i.geom) AS lng, ST_Y(i.geom) AS lat, i.h3_r9, i.sla_due_at, i.escalated, i.escalated_at,
       i.escalation_reason, i.on_site_at, i.closed_at, i.closed_by, i.close_reason, i.close_evidence,
       i.created_at, d.id AS dispatch_id, d.team_id, tm.name AS team_name, d.status AS dispatch_status,
       d.eta_minutes
FROM incidents i
JOIN alert_types t ON t.code = i.type_code
LEFT JOIN townships tw ON tw.code = i.township_code
LEFT JOIN enterprises e ON e.id = i.enterprise_id
LEFT JOIN dispatches d ON d.incident_id = i.id AND d.status IN ('assigned', 'accepted', 'en_route', 'on_site')
LEFT JOIN teams tm ON tm.id = d.team_id
WHERE i.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR i.township_code = %(township_code)s)
  AND (%(id)s::bigint IS NULL OR i.id = %(id)s)
  AND (%(filter_township)s::text IS NULL OR i.township_code = %(filter_township)s)
  AND (%(statuses)s::text[] IS NULL OR i.status = ANY(%(statuses)s::text[]))
ORDER BY CASE i.severity WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END,
         i.sla_due_at, i.id
LIMIT %(limit)s
