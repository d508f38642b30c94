-- Already stored alerts of a source among the given ids: id and incident.
SELECT source_id, id, incident_id
FROM alerts
WHERE source = %(source)s AND source_id = ANY(%(source_ids)s::text[])
