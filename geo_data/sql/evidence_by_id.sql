-- One evidence record whose incident lies in the caller's scope (the incident's current township decides).
SELECT ef.id, ef.incident_id, ef.sha256, ef.media_type, ef.bytes, ef.original_name
FROM evidence_files ef
JOIN incidents i ON i.id = ef.incident_id
WHERE ef.id = %(id)s AND i.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR i.township_code = %(township_code)s)
