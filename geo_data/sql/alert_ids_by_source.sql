-- Already stored alerts of a source (for duplicate replies): id and incident.
SELECT source_id, id, incident_id
FROM alerts
WHERE source = %(source)s AND source_id = ANY(%(source_ids)s::text[])
