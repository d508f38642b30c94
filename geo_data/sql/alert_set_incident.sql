-- Link alerts to their incidents (pairs as JSON).
UPDATE alerts a SET incident_id = r.incident_id
FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(alert_id bigint, incident_id bigint)
WHERE a.id = r.alert_id
