-- The evidence of one incident (caller's scope: the incident's township decides), oldest first.
SELECT ef.id, ef.incident_id, ef.sha256, ef.media_type, ef.bytes, ef.width, ef.height, ef.original_name,
       ef.taken_at, ST_Y(ef.geom) AS lat, ST_X(ef.geom) AS lng, ef.uploaded_by, ef.uploaded_at
FROM evidence_files ef
JOIN incidents i ON i.id = ef.incident_id
WHERE ef.incident_id = %(incident_id)s AND i.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR i.township_code = %(township_code)s)
ORDER BY ef.uploaded_at, ef.id
